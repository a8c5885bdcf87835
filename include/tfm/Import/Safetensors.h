//===- Safetensors.h - Hugging Face safetensors and config.json -*- C++ -*-===//
//
// A safetensors file is `u64 header_length`, a JSON header
//   {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]},
//    "__metadata__": {...}}
// and the data, offsets relative to the end of the header. config.json gives
// the hyperparameters of a `LlamaForCausalLM`.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_SAFETENSORS_H
#define TFM_IMPORT_SAFETENSORS_H

#include "tfm/Quantization/WeightFormat.h"
#include "tfm/Model/ModelConfig.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::tfm {

struct SafetensorsEntry {
  std::string name;
  WeightFormat type = WeightFormat::F32;
  llvm::SmallVector<int64_t, 4> shape;
  /// Absolute offsets in the file.
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// Parses and validates the header of a safetensors file: JSON well formed,
/// dtypes F32/F16/BF16, at most 4 dimensions, byte ranges that match the
/// shapes, lie in the file and do not overlap.
llvm::Expected<std::vector<SafetensorsEntry>>
parseSafetensors(llvm::StringRef fileName, llvm::ArrayRef<uint8_t> bytes);

/// Reads a Hugging Face config.json of a LlamaForCausalLM into `config`.
llvm::Expected<ModelConfig> parseHFConfig(llvm::StringRef fileName,
                                          llvm::StringRef json);

} // namespace mlir::tfm

#endif // TFM_IMPORT_SAFETENSORS_H
