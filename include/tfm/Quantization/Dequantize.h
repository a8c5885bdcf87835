//===- Dequantize.h - block formats to f32 ----------------------*- C++ -*-===//
//
// Reference decoders of every WeightFormat, written from the GGML block
// definitions. They are the ground truth the compiled kernels are tested
// against and what the compiler uses while a format has no native kernel.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_QUANTIZATION_DEQUANTIZE_H
#define TFM_QUANTIZATION_DEQUANTIZE_H

#include "tfm/Quantization/WeightFormat.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace mlir::tfm {

float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
uint16_t floatToBfloat16(float value);

/// Decodes `output.size()` values stored as `type` in `input`. `input` must
/// hold exactly the bytes of that many values (a whole number of blocks);
/// returns false otherwise and leaves `output` untouched.
bool dequantize(WeightFormat type, llvm::ArrayRef<uint8_t> input,
                llvm::MutableArrayRef<float> output);

} // namespace mlir::tfm

#endif // TFM_QUANTIZATION_DEQUANTIZE_H
