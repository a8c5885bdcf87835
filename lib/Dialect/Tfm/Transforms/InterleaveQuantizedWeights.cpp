//===- InterleaveQuantizedWeights.cpp - 16-row layout of block formats ----===//
//
// Decoding one token reads every weight once, and the row-wise kernel spends
// about 16 instructions per 32-weight block of one row (unpack, sign fix-up,
// dot product, two scales, accumulate). Stored as groups of 16 rows
// interleaved four elements at a time, a block of 16 rows takes 8 512-bit
// dot products against broadcast activation bytes plus one scale step for
// all 16 rows. This pass only re-types the weights; the weights writer
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

/// True if `param` is a row-wise q8_0, q4_0, q4_k or q6_k matrix that only linear
/// layers read and whose products are whole groups of rows.
bool canInterleave(ParamOp param) {
  RankedTensorType type = param.getType();
  auto quant = dyn_cast<QuantType>(type.getElementType());
  if (!quant || quant.getInterleave() != 0 ||
      (quant.getFormat() != QuantFormat::q8_0 &&
       quant.getFormat() != QuantFormat::q4_0 &&
       quant.getFormat() != QuantFormat::q4_k &&
       quant.getFormat() != QuantFormat::q6_k) ||
      param->use_empty())
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
