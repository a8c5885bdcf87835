//===- TfmTypes.cpp - tfm dialect types -----------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Runtime/tfm_kernels.h"

using namespace mlir;
using namespace mlir::tfm;

LogicalResult
KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                    int64_t layers, int64_t kvHeads, int64_t contextLength,
                    int64_t headDim, Type elementType, bool ring) {
  auto requirePositive = [&](int64_t value, StringRef what) -> LogicalResult {
    if (value > 0)
      return success();
    return emitError() << "kv_cache " << what << " must be positive, got "
                       << value;
  };
  // No layers is a cache of a model whose layers all keep a ring.
  if (!ShapedType::isDynamic(layers) && layers < 0)
    return emitError() << "kv_cache layers must be non-negative, got "
                       << layers;
  if (
      failed(requirePositive(kvHeads, "kv_heads")) ||
      failed(requirePositive(contextLength, "context")) ||
      failed(requirePositive(headDim, "head_dim")))
    return failure();
  if (!isa<Float32Type, Float16Type, BFloat16Type>(elementType) &&
      !elementType.isInteger(8))
    return emitError()
           << "kv_cache element type must be f32, f16, bf16 or i8, got "
           << elementType;
  return success();
}

int64_t KVCacheType::getSizeInBytes() const {
  assert(!isPool() && "a pool's size is known at run time only");
  int64_t elementBytes = getElementType().getIntOrFloatBitWidth() / 8;
  return getLayers() * 2 * getKvHeads() * getContextLength() * getRowElements() *
         elementBytes;
}

LogicalResult QuantType::verify(function_ref<InFlightDiagnostic()> emitError,
                                QuantFormat format, int64_t group,
                                int64_t interleave) {
  if (interleave != 0) {
    if (interleave != TFM_QUANT_INTERLEAVE)
      return emitError() << "interleave must be " << TFM_QUANT_INTERLEAVE
                         << " rows (or absent), got " << interleave;
    if (format != QuantFormat::q8_0 && format != QuantFormat::q4_0 &&
        format != QuantFormat::q4_k && format != QuantFormat::q6_k &&
        format != QuantFormat::f16 && format != QuantFormat::bf16)
      return emitError() << "only q8_0, q4_0, q4_k, q6_k, f16 and bf16 rows "
                            "can be interleaved, not "
                         << stringifyQuantFormat(format);
  }
  if (format == QuantFormat::int4) {
    if (group <= 0 || group % 32 != 0)
      return emitError() << "int4 group must be a positive multiple of 32, got "
                         << group;
    return success();
  }
  if (group != 0)
    return emitError() << "only int4 takes a group size; "
                       << stringifyQuantFormat(format) << " has fixed blocks";
  return success();
}

int64_t QuantType::getBlockElements() const {
  switch (getFormat()) {
  case QuantFormat::q4_k:
  case QuantFormat::q6_k:
    return 256;
  case QuantFormat::int4:
    return getGroup();
  case QuantFormat::f16:
  case QuantFormat::bf16:
    return 16;
  default:
    return 32;
  }
}

Type QuantType::parse(AsmParser &parser) {
  StringRef name;
  llvm::SMLoc nameLoc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&name))
    return {};
  std::optional<QuantFormat> format = symbolizeQuantFormat(name);
  if (!format) {
    parser.emitError(nameLoc) << "unknown quantized format '" << name << "'";
    return {};
  }
  int64_t group = 0, interleave = 0;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    llvm::SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key))
      return {};
    int64_t *value = key == "group"        ? &group
                     : key == "interleave" ? &interleave
                                           : nullptr;
    if (!value) {
      parser.emitError(keyLoc)
          << "expected 'group' or 'interleave', got '" << key << "'";
      return {};
    }
    if (parser.parseEqual() || parser.parseInteger(*value))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(nameLoc); },
                    parser.getContext(), *format, group, interleave);
}

void QuantType::print(AsmPrinter &printer) const {
  printer << "<" << stringifyQuantFormat(getFormat());
  if (getGroup() != 0)
    printer << ", group = " << getGroup();
  if (getInterleave() != 0)
    printer << ", interleave = " << getInterleave();
  printer << ">";
}

int32_t QuantType::getKernelFormat() const {
  if (getInterleave() == 0)
    return static_cast<int32_t>(getFormat());
  switch (getFormat()) {
  case QuantFormat::q8_0: return TFM_QUANT_Q8_0_X16;
  case QuantFormat::q4_0: return TFM_QUANT_Q4_0_X16;
  case QuantFormat::q4_k: return TFM_QUANT_Q4_K_X16;
  case QuantFormat::f16: return TFM_QUANT_F16_X16;
  case QuantFormat::bf16: return TFM_QUANT_BF16_X16;
  default: return TFM_QUANT_Q6_K_X16; // the verifier allows no other
  }
}

int64_t QuantType::getRowBytes(int64_t inFeatures) const {
  return tfm_quant_row_bytes(static_cast<int32_t>(getFormat()), getGroup(),
                             inFeatures);
}

QuantType mlir::tfm::parseQuantTypeName(MLIRContext *context, StringRef name) {
  std::string lower = name.lower();
  StringRef text(lower);
  if (text.consume_front("int4")) {
    int64_t group = 32;
    if (text.consume_front("g") && text.getAsInteger(10, group))
      return {};
    if (!text.empty() && group == 32 && text != "g32")
      return {};
    if (group <= 0 || group % 32 != 0)
      return {};
    return QuantType::get(context, QuantFormat::int4, group);
  }
  std::optional<QuantFormat> format = symbolizeQuantFormat(text);
  if (!format || *format == QuantFormat::int4)
    return {};
  return QuantType::get(context, *format, 0);
}
