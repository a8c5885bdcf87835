//===- InterleaveQuantizedWeights.cpp - 16-row layout of block formats ----===//
//
// Decoding one token reads every weight once, and the row-wise kernel spends
// about 16 instructions per 32-weight block of one row (unpack, sign fix-up,
// dot product, two scales, accumulate). Stored as groups of 16 rows
// interleaved four elements at a time, a block of 16 rows takes 8 512-bit
// dot products against broadcast activation bytes plus one scale step for
// all 16 rows. 16-bit float weights are interleaved one feature (f16) or
// one pair of features (bf16) at a time: 16 rows' values are one vector to
// widen (or to feed AVX512-BF16's dot product), and a tile of tokens
// multiplies it without horizontal sums. This pass only
// re-types the weights; the weights writer
// repacks the same blocks (tfm_quant_interleave) and the lowering calls the
// _X16 kernels.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMINTERLEAVEQUANTIZEDWEIGHTS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Output rows of each product `use` computes from the weight (a gated
/// layer computes two: gate rows, then up rows).
int64_t rowsPerProduct(OpOperand &use, int64_t rows) {
  if (auto linear = dyn_cast<LinearOp>(use.getOwner()))
    if (linear.getGated())
      return rows / 2;
  return rows;
}

/// The formats with an _X16 layout.
bool hasInterleavedLayout(QuantFormat format) {
  switch (format) {
  case QuantFormat::q8_0:
  case QuantFormat::q4_0:
  case QuantFormat::q4_k:
  case QuantFormat::q6_k:
  case QuantFormat::f16:
  case QuantFormat::bf16:
    return true;
  default:
    return false;
  }
}

/// True if `param` is a row-wise matrix of a format with an _X16 layout
/// that only linear layers read and whose products are whole groups of
/// rows.
bool canInterleave(ParamOp param) {
  RankedTensorType type = param.getType();
  auto quant = dyn_cast<QuantType>(type.getElementType());
  if (!quant || quant.getInterleave() != 0 ||
      !hasInterleavedLayout(quant.getFormat()) || param->use_empty())
    return false;
  int64_t rows = type.getDimSize(0);
  return llvm::all_of(param->getUses(), [&](OpOperand &use) {
    return isMatmulWeightUse(use) &&
           rowsPerProduct(use, rows) % TFM_QUANT_INTERLEAVE == 0;
  });
}

struct TfmInterleaveQuantizedWeightsPass
    : tfm::impl::TfmInterleaveQuantizedWeightsBase<
          TfmInterleaveQuantizedWeightsPass> {
  void runOnOperation() override {
    getOperation().walk([&](ParamOp param) {
      if (!canInterleave(param))
        return;
      RankedTensorType type = param.getType();
      auto quant = cast<QuantType>(type.getElementType());
      auto interleaved = QuantType::get(&getContext(), quant.getFormat(),
                                        quant.getGroup(), TFM_QUANT_INTERLEAVE);
      param.getResult().setType(
          RankedTensorType::get(type.getShape(), interleaved));
    });
  }
};

} // namespace
