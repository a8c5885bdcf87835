//===- WeightFormat.cpp - element and block formats of weights --------------===//

#include "tfm/Quantization/WeightFormat.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir::tfm;

std::optional<WeightFormat> mlir::tfm::weightFormatFromGGML(uint32_t id) {
  switch (id) {
  case 0:
  case 1:
  case 2:
  case 3:
  case 8:
  case 12:
  case 13:
  case 14:
  case 30:
    return static_cast<WeightFormat>(id);
  default:
    return std::nullopt;
  }
}

llvm::StringRef mlir::tfm::ggmlTypeName(uint32_t id) {
  static const char *const names[] = {
      "f32",  "f16",  "q4_0", "q4_1", "q4_2", "q4_3",    "q5_0",    "q5_1",
      "q8_0", "q8_1", "q2_k", "q3_k", "q4_k", "q5_k",    "q6_k",    "q8_k",
      "iq2_xxs", "iq2_xs", "iq3_xxs", "iq1_s", "iq4_nl", "iq3_s", "iq2_s",
      "iq4_xs", "i8", "i16", "i32", "i64", "f64", "iq1_m", "bf16"};
  if (id < std::size(names))
    return names[id];
  return "";
}

const WeightFormatInfo &mlir::tfm::getWeightFormatInfo(WeightFormat type) {
  static const WeightFormatInfo f32{"f32", 1, 4, false};
  static const WeightFormatInfo f16{"f16", 1, 2, false};
  static const WeightFormatInfo bf16{"bf16", 1, 2, false};
  // GGML block layouts (ggml-common.h): scales are f16.
  static const WeightFormatInfo q4_0{"q4_0", 32, 2 + 16, true};
  static const WeightFormatInfo q4_1{"q4_1", 32, 2 + 2 + 16, true};
  static const WeightFormatInfo q8_0{"q8_0", 32, 2 + 32, true};
  static const WeightFormatInfo q4_k{"q4_k", 256, 2 + 2 + 12 + 128, true};
  static const WeightFormatInfo q5_k{"q5_k", 256, 2 + 2 + 12 + 32 + 128, true};
  static const WeightFormatInfo q6_k{"q6_k", 256, 128 + 64 + 16 + 2, true};
  switch (type) {
  case WeightFormat::F32:
    return f32;
  case WeightFormat::F16:
    return f16;
  case WeightFormat::BF16:
    return bf16;
  case WeightFormat::Q4_0:
    return q4_0;
  case WeightFormat::Q4_1:
    return q4_1;
  case WeightFormat::Q8_0:
    return q8_0;
  case WeightFormat::Q4_K:
    return q4_k;
  case WeightFormat::Q5_K:
    return q5_k;
  case WeightFormat::Q6_K:
    return q6_k;
  }
  llvm_unreachable("unknown tensor type");
}

std::optional<WeightFormat> mlir::tfm::parseWeightFormat(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<WeightFormat>>(name.lower())
      .Case("f32", WeightFormat::F32)
      .Case("f16", WeightFormat::F16)
      .Case("bf16", WeightFormat::BF16)
      .Case("q4_0", WeightFormat::Q4_0)
      .Case("q4_1", WeightFormat::Q4_1)
      .Case("q8_0", WeightFormat::Q8_0)
      .Case("q4_k", WeightFormat::Q4_K)
      .Case("q5_k", WeightFormat::Q5_K)
      .Case("q6_k", WeightFormat::Q6_K)
      .Default(std::nullopt);
}

std::optional<uint64_t> mlir::tfm::tensorByteSize(WeightFormat type,
                                                  uint64_t elements) {
  const WeightFormatInfo &info = getWeightFormatInfo(type);
  if (elements % info.blockElements != 0)
    return std::nullopt;
  return llvm::checkedMulUnsigned<uint64_t>(elements / info.blockElements,
                                            info.blockBytes);
}
