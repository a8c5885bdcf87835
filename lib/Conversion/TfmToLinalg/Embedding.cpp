//===- Embedding.cpp - token rows in and out ------------------------------===//
//
// tfm.embedding gathers the rows of its table; tfm.last_token slices the
// last row a prefill hands to the logits.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

namespace mlir::tfm::tfm_to_linalg {

namespace {

struct EmbeddingLowering : OpConversionPattern<EmbeddingOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable();
    Value tokens = adaptor.getTokens();
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> sizes{
        dimOf(rewriter, loc, tokens, 0),
        rewriter.getIndexAttr(resultType.getDimSize(1))};
    Value init = emptyTensor(rewriter, loc, sizes);
    MLIRContext *context = rewriter.getContext();
    Value result =
        buildGeneric(rewriter, loc, "gather", tokens, init,
                     {selectDims(context, 2, {0}),
                      AffineMap::getMultiDimIdentityMap(2, context)},
                     {kParallel, kParallel},
                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                       Value row = arith::IndexCastOp::create(
                           nb, nl, nb.getIndexType(), args[0]);
                       Value column = linalg::IndexOp::create(nb, nl, 1);
                       Value element = tensor::ExtractOp::create(
                           nb, nl, table, ValueRange{row, column});
                       if (FloatAttr scale = op.getScaleAttr())
                         element = arith::MulFOp::create(
                             nb, nl, element,
                             f32Constant(nb, nl, scale.getValueAsDouble()));
                       return SmallVector<Value>{element};
                     })
            .front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LastTokenLowering : OpConversionPattern<LastTokenOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LastTokenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Value seq = tensor::DimOp::create(rewriter, loc, input, 0);
    Value last =
        arith::SubIOp::create(rewriter, loc, seq, indexConstant(rewriter, loc, 1));
    auto resultType = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets{last, rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{
        rewriter.getIndexAttr(1),
        rewriter.getIndexAttr(resultType.getDimSize(1))};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, resultType, input, offsets, sizes, strides);
    return success();
  }
};

} // namespace

void populateEmbeddingLoweringPatterns(const TypeConverter &converter,
                                       RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, LastTokenLowering>(converter, patterns.getContext());
}

} // namespace mlir::tfm::tfm_to_linalg
