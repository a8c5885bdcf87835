//===- FloatTensor.cpp - encode and write tensors for the writers ---------===//

#include "tfm/Writers/FloatTensor.h"

#include "tfm/Quantization/Dequantize.h"

#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <cstring>

using namespace mlir::tfm;

/// The upper half of the f32 bits, rounded to nearest even (as PyTorch's
/// .to(torch.bfloat16) rounds); the writers' values are finite.
uint16_t mlir::tfm::floatToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
  return uint16_t((bits + rounding) >> 16);
}

std::vector<uint8_t> mlir::tfm::encodeFloatTensor(const FloatTensor &tensor,
                                                  WeightFormat format) {
  assert((format == WeightFormat::F32 || format == WeightFormat::F16 ||
          format == WeightFormat::BF16) &&
         "the writers store unquantized tensors as f32, f16 or bf16");
  std::vector<uint8_t> bytes;
  if (format == WeightFormat::F32) {
    bytes.resize(tensor.values.size() * sizeof(float));
    std::memcpy(bytes.data(), tensor.values.data(), bytes.size());
    return bytes;
  }
  bytes.resize(tensor.values.size() * sizeof(uint16_t));
  for (size_t i = 0; i < tensor.values.size(); ++i) {
    uint16_t bits = format == WeightFormat::F16
                        ? floatToHalf(tensor.values[i])
                        : floatToBFloat16(tensor.values[i]);
    std::memcpy(bytes.data() + sizeof(uint16_t) * i, &bits, sizeof(bits));
  }
  return bytes;
}

llvm::Error mlir::tfm::writeFileBytes(llvm::StringRef path,
                                      llvm::ArrayRef<uint8_t> bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path + ": " +
                                           ec.message());
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  out.close();
  if (out.has_error())
    return llvm::createStringError(out.error(), "cannot write " + path + ": " +
                                                    out.error().message());
  return llvm::Error::success();
}
