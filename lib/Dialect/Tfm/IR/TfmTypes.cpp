//===- TfmTypes.cpp - tfm dialect types -----------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

using namespace mlir;
using namespace mlir::tfm;

LogicalResult
KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                    int64_t layers, int64_t kvHeads, int64_t contextLength,
                    int64_t headDim, Type elementType) {
  auto requirePositive = [&](int64_t value, StringRef what) -> LogicalResult {
    if (value > 0)
      return success();
    return emitError() << "kv_cache " << what << " must be positive, got "
                       << value;
  };
  if (failed(requirePositive(layers, "layers")) ||
      failed(requirePositive(kvHeads, "kv_heads")) ||
      failed(requirePositive(contextLength, "context")) ||
      failed(requirePositive(headDim, "head_dim")))
    return failure();
  if (!isa<Float32Type, Float16Type, BFloat16Type>(elementType))
    return emitError() << "kv_cache element type must be f32, f16 or bf16, got "
                       << elementType;
  return success();
}

int64_t KVCacheType::getSizeInBytes() const {
  int64_t elementBytes = getElementType().getIntOrFloatBitWidth() / 8;
  return getLayers() * 2 * getKvHeads() * getContextLength() * getHeadDim() *
         elementBytes;
}
