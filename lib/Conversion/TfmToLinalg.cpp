//===- TfmToLinalg.cpp - lower tfm compute ops to linalg on tensors -------===//
//
// Each tfm op becomes one or a few `linalg.generic` ops plus tensor reshapes
// and slices. The generics are written so the loop order suits the CPU: the
// innermost iteration dimension is the contiguous one in memory (the packed
// output features of a linear layer, the head dimension of attention), and
// every generic carries a `tfm.kernel` tag naming its kernel class, which is
// how tfm-tile-and-vectorize picks tile sizes without pattern-matching maps.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include <cmath>
#include <limits>

namespace mlir::tfm {
#define GEN_PASS_DEF_CONVERTTFMTOLINALG
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

using IteratorType = utils::IteratorType;
constexpr IteratorType kParallel = IteratorType::parallel;
constexpr IteratorType kReduction = IteratorType::reduction;

/// Builds the body of a generic from its block arguments (inputs, then
/// outputs); returns the values to yield.
using BodyBuilder =
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

//===----------------------------------------------------------------------===//
// Small builders
//===----------------------------------------------------------------------===//

/// The affine map selecting iteration dimensions `dims` out of `rank`.
AffineMap selectDims(MLIRContext *context, unsigned rank,
                     ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned dim : dims)
    exprs.push_back(getAffineDimExpr(dim, context));
  return AffineMap::get(rank, 0, exprs, context);
}

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes) {
  return tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   double value) {
  Value init = emptyTensor(b, loc, sizes);
  return linalg::FillOp::create(b, loc, ValueRange{f32Constant(b, loc, value)},
                                ValueRange{init})
      .getResult(0);
}

/// A tagged `linalg.generic` with one result per output.
SmallVector<Value> buildGeneric(OpBuilder &b, Location loc, StringRef kernel,
                                ValueRange inputs, ValueRange outputs,
                                ArrayRef<AffineMap> maps,
                                ArrayRef<IteratorType> iterators,
                                BodyBuilder body) {
  auto generic = linalg::GenericOp::create(
      b, loc, ValueRange(outputs).getTypes(), inputs, outputs, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc, body(nested, nestedLoc, args));
      });
  generic->setAttr(kKernelAttrName, b.getStringAttr(kernel));
  return SmallVector<Value>(generic.getResults());
}

/// `out = fn(inputs...)` element-wise over the shape of `shapeOf`; every
/// input is read through its map.
Value buildElementwise(OpBuilder &b, Location loc, Value shapeOf,
                       ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                       function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  auto type = cast<RankedTensorType>(shapeOf.getType());
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(b, loc, tensor::getMixedSizes(b, loc, shapeOf));
  return buildGeneric(b, loc, "elementwise", inputs, init, maps,
                      SmallVector<IteratorType>(rank, kParallel),
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        return SmallVector<Value>{
                            fn(nb, nl, args.drop_back())};
                      })
      .front();
}

/// Reduces the last dimension of `input`: `acc = combine(acc, x)` starting
/// from `initial`. `extraInputs` are read with `extraMaps`.
Value buildRowReduction(
    OpBuilder &b, Location loc, Value input, double initial,
    ValueRange extraInputs, ArrayRef<AffineMap> extraMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> combine) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  sizes.pop_back();
  Value init = filledTensor(b, loc, sizes, initial);
  MLIRContext *context = b.getContext();
  AffineMap rowMap = AffineMap::get(
      rank, 0, b.getMultiDimIdentityMap(rank).getResults().drop_back(),
      context);
  SmallVector<Value> inputs{input};
  llvm::append_range(inputs, extraInputs);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  llvm::append_range(maps, extraMaps);
  maps.push_back(rowMap);
  SmallVector<IteratorType> iterators(rank, kParallel);
  iterators.back() = kReduction;
  return buildGeneric(b, loc, "row_reduction", inputs, init, maps, iterators,
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        return SmallVector<Value>{
                            combine(nb, nl, args.drop_back(), args.back())};
                      })
      .front();
}

/// Map of a row tensor (all dims but the last) inside a `rank`-dim space.
AffineMap rowMap(MLIRContext *context, unsigned rank) {
  SmallVector<unsigned> dims;
  for (unsigned d = 0; d + 1 < rank; ++d)
    dims.push_back(d);
  return selectDims(context, rank, dims);
}

/// Map of a vector over the last dim inside a `rank`-dim space.
AffineMap lastDimMap(MLIRContext *context, unsigned rank) {
  return selectDims(context, rank, {rank - 1});
}

Value activation(OpBuilder &b, Location loc, Activation kind, Value x) {
  switch (kind) {
  case Activation::relu:
    return arith::MaximumFOp::create(b, loc, x, f32Constant(b, loc, 0.0));
  case Activation::gelu: {
    Value scaled = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, M_SQRT1_2));
    Value erf = math::ErfOp::create(b, loc, scaled);
    Value onePlus = arith::AddFOp::create(b, loc, erf, f32Constant(b, loc, 1.0));
    Value half = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, 0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case Activation::gelu_tanh: {
    Value cube = arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, x), x);
    Value inner = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, cube, f32Constant(b, loc, 0.044715)));
    Value scaled = arith::MulFOp::create(
        b, loc, inner, f32Constant(b, loc, std::sqrt(2.0 / M_PI)));
    Value onePlus = arith::AddFOp::create(b, loc, math::TanhOp::create(b, loc, scaled),
                                          f32Constant(b, loc, 1.0));
    Value half = arith::MulFOp::create(b, loc, x, f32Constant(b, loc, 0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case Activation::silu: {
    Value negated = arith::NegFOp::create(b, loc, x);
    Value denominator = arith::AddFOp::create(
        b, loc, math::ExpOp::create(b, loc, negated), f32Constant(b, loc, 1.0));
    return arith::DivFOp::create(b, loc, x, denominator);
  }
  }
  llvm_unreachable("unknown activation");
}

/// `kind(gate) * up`, element-wise.
Value buildGatedActivation(OpBuilder &b, Location loc, Activation kind,
                           Value gate, Value up) {
  unsigned rank = cast<RankedTensorType>(gate.getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  return buildElementwise(
      b, loc, gate, ValueRange{gate, up}, {identity, identity},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return arith::MulFOp::create(nb, nl, activation(nb, nl, kind, x[0]),
                                     x[1]);
      });
}

/// `[d0, d1 * d2]` -> `[d0, d1, d2]`.
Value splitLastDim(OpBuilder &b, Location loc, Value value,
                   ArrayRef<int64_t> innerShape) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape().drop_back());
  llvm::append_range(shape, innerShape);
  SmallVector<ReassociationIndices> reassociation;
  int64_t rank = type.getRank();
  for (int64_t d = 0; d + 1 < rank; ++d)
    reassociation.push_back({d});
  ReassociationIndices last;
  for (int64_t d = 0; d < static_cast<int64_t>(innerShape.size()); ++d)
    last.push_back(rank - 1 + d);
  reassociation.push_back(last);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> outputShape =
      tensor::getMixedSizes(b, loc, value);
  outputShape.pop_back();
  for (int64_t size : innerShape)
    outputShape.push_back(b.getIndexAttr(size));
  return tensor::ExpandShapeOp::create(b, loc, resultType, value, reassociation,
                                       outputShape);
}

/// Merges the dims from `firstMerged` on into one.
Value mergeTrailingDims(OpBuilder &b, Location loc, Value value,
                        int64_t firstMerged) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t d = 0; d < firstMerged; ++d)
    reassociation.push_back({d});
  ReassociationIndices last;
  for (int64_t d = firstMerged; d < type.getRank(); ++d)
    last.push_back(d);
  reassociation.push_back(last);
  return tensor::CollapseShapeOp::create(b, loc, value, reassociation);
}

OpFoldResult dimOf(OpBuilder &b, Location loc, Value value, int64_t dim) {
  return tensor::getMixedSize(b, loc, value, dim);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// Where the keys and values of an attention come from.
enum class KVLayout {
  /// `[kv_heads, tokens, head_dim]`: a slice of the KV cache.
  HeadMajor,
  /// `[tokens, kv_heads, head_dim]`: projections of the current tokens.
  TokenMajor,
};

/// Converts f32 to the cache's element type (f32, f16).
Value toCacheElement(OpBuilder &b, Location loc, Value value, Type element) {
  if (element.isF32())
    return value;
  return arith::TruncFOp::create(b, loc, element, value);
}

/// Converts a cached element back to f32.
Value fromCacheElement(OpBuilder &b, Location loc, Value value) {
  Type type = value.getType();
  if (type.isF32())
    return value;
  if (type.isInteger(8))
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), value);
  return arith::ExtFOp::create(b, loc, b.getF32Type(), value);
}

/// Softmax attention of `queries [S, KVH, G, D]` over `keys`/`values`
/// (layout `kvLayout`). With `causalOffset`, query `i` sees keys
/// `j <= i + causalOffset`. Returns `[S, KVH, G, D]`.
Value buildAttention(OpBuilder &b, Location loc, Value queries, Value keys,
                     Value values, KVLayout kvLayout, Value causalOffset,
                     double scale, Value keyScales = {},
                     Value valueScales = {}) {
  MLIRContext *context = b.getContext();
  bool headMajor = kvLayout == KVLayout::HeadMajor;
  OpFoldResult seq = dimOf(b, loc, queries, 0);
  OpFoldResult kvHeads = dimOf(b, loc, queries, 1);
  OpFoldResult group = dimOf(b, loc, queries, 2);
  OpFoldResult headDim = dimOf(b, loc, queries, 3);
  OpFoldResult tokens = dimOf(b, loc, keys, headMajor ? 1 : 0);

  // scores[h, g, i, j] = q[i, h, g, :] . k[h, j, :]   (dims h g i j d)
  Value scoresInit = filledTensor(b, loc, {kvHeads, group, seq, tokens}, 0.0);
  AffineMap keyMap = headMajor ? selectDims(context, 5, {0, 3, 4})
                               : selectDims(context, 5, {3, 0, 4});
  // Keys and values are read in the cache's type and converted in the
  // kernel's registers (times the row's scale for the q8 cache).
  SmallVector<Value> scoreInputs{queries, keys};
  SmallVector<AffineMap> scoreMaps{selectDims(context, 5, {2, 0, 1, 4}), keyMap};
  if (keyScales) {
    scoreInputs.push_back(keyScales);
    scoreMaps.push_back(selectDims(context, 5, {0, 3}));
  }
  scoreMaps.push_back(selectDims(context, 5, {0, 1, 2, 3}));
  Value scores =
      buildGeneric(
          b, loc, "attention_scores", scoreInputs, scoresInit, scoreMaps,
          {kParallel, kParallel, kParallel, kParallel, kReduction},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            Value key = fromCacheElement(nb, nl, args[1]);
            if (args.size() == 4)
              key = arith::MulFOp::create(nb, nl, key, args[2]);
            Value product = arith::MulFOp::create(nb, nl, args[0], key);
            return SmallVector<Value>{
                arith::AddFOp::create(nb, nl, args.back(), product)};
          })
          .front();

  // Scale and mask: masked positions become -inf, so exp() gives 0.
  Value scaleValue = f32Constant(b, loc, scale);
  Value minusInf = f32Constant(b, loc, -std::numeric_limits<float>::infinity());
  Value logits = buildElementwise(
      b, loc, scores, scores, {b.getMultiDimIdentityMap(4)},
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(nb, nl, args[0], scaleValue);
        if (!causalOffset)
          return scaled;
        Value query = linalg::IndexOp::create(nb, nl, 2);
        Value key = linalg::IndexOp::create(nb, nl, 3);
        Value lastVisible = arith::AddIOp::create(nb, nl, query, causalOffset);
        Value masked = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ugt,
                                             key, lastVisible);
        return arith::SelectOp::create(nb, nl, masked, minusInf, scaled);
      });

  // Numerically stable softmax over j.
  Value rowMax = buildRowReduction(
      b, loc, logits, -std::numeric_limits<float>::infinity(), {}, {},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, nl, x[0], acc);
      });
  AffineMap rows = rowMap(context, 4);
  Value rowSum = buildRowReduction(
      b, loc, logits, 0.0, rowMax, {rows},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        Value shifted = arith::SubFOp::create(nb, nl, x[0], x[1]);
        return arith::AddFOp::create(nb, nl, acc,
                                     math::ExpOp::create(nb, nl, shifted));
      });
  Value probabilities = buildElementwise(
      b, loc, logits, ValueRange{logits, rowMax, rowSum},
      {b.getMultiDimIdentityMap(4), rows, rows},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        Value shifted = arith::SubFOp::create(nb, nl, x[0], x[1]);
        return arith::DivFOp::create(nb, nl, math::ExpOp::create(nb, nl, shifted),
                                     x[2]);
      });

  // out[i, h, g, :] = sum_j p[h, g, i, j] * v[h, j, :]   (dims i h g j d)
  Value outInit = filledTensor(b, loc, {seq, kvHeads, group, headDim}, 0.0);
  AffineMap valueMap = headMajor ? selectDims(context, 5, {1, 3, 4})
                                 : selectDims(context, 5, {3, 1, 4});
  SmallVector<Value> valueInputs{probabilities, values};
  SmallVector<AffineMap> valueMaps{selectDims(context, 5, {1, 2, 0, 3}),
                                   valueMap};
  if (valueScales) {
    valueInputs.push_back(valueScales);
    valueMaps.push_back(selectDims(context, 5, {1, 3}));
  }
  valueMaps.push_back(selectDims(context, 5, {0, 1, 2, 4}));
  return buildGeneric(
             b, loc, "attention_values", valueInputs, outInit, valueMaps,
             {kParallel, kParallel, kParallel, kReduction, kParallel},
             [](OpBuilder &nb, Location nl, ValueRange args) {
               Value value = fromCacheElement(nb, nl, args[1]);
               if (args.size() == 4)
                 value = arith::MulFOp::create(nb, nl, value, args[2]);
               Value product = arith::MulFOp::create(nb, nl, args[0], value);
               return SmallVector<Value>{
                   arith::AddFOp::create(nb, nl, args.back(), product)};
             })
      .front();
}

/// `[S, H * D]` queries -> `[S, KVH, H / KVH, D]`.
Value groupQueries(OpBuilder &b, Location loc, Value query, int64_t numHeads,
                   int64_t kvHeads) {
  int64_t features = cast<RankedTensorType>(query.getType()).getDimSize(1);
  int64_t headDim = features / numHeads;
  return splitLastDim(b, loc, query, {kvHeads, numHeads / kvHeads, headDim});
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

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
                       return SmallVector<Value>{tensor::ExtractOp::create(
                           nb, nl, table, ValueRange{row, column})};
                     })
            .front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `1 / sqrt(mean(input^2) + eps)` of each row (all dims but the last).
Value buildInverseRMS(OpBuilder &b, Location loc, Value input,
                      double epsValue) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  double features = type.getShape().back();
  Value sumOfSquares = buildRowReduction(
      b, loc, input, 0.0, {}, {},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        Value square = arith::MulFOp::create(nb, nl, x[0], x[0]);
        return arith::AddFOp::create(nb, nl, acc, square);
      });
  Value inverseFeatures = f32Constant(b, loc, 1.0 / features);
  Value eps = f32Constant(b, loc, epsValue);
  return buildElementwise(
      b, loc, sumOfSquares, sumOfSquares,
      {b.getMultiDimIdentityMap(rank - 1)},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        Value mean = arith::MulFOp::create(nb, nl, x[0], inverseFeatures);
        return math::RsqrtOp::create(nb, nl,
                                     arith::AddFOp::create(nb, nl, mean, eps));
      });
}

/// `input / sqrt(mean(input^2) + eps) * weight` over the last dim.
Value buildRMSNorm(OpBuilder &b, Location loc, Value input, Value weight,
                   double epsValue) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  Value rowScale = buildInverseRMS(b, loc, input, epsValue);
  MLIRContext *context = b.getContext();
  return buildElementwise(
      b, loc, input, ValueRange{input, rowScale, weight},
      {b.getMultiDimIdentityMap(rank), rowMap(context, rank),
       lastDimMap(context, rank)},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        Value normalized = arith::MulFOp::create(nb, nl, x[0], x[1]);
        return arith::MulFOp::create(nb, nl, normalized, x[2]);
      });
}

struct RMSNormLowering : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildRMSNorm(rewriter, op.getLoc(),
                                        adaptor.getInput(), adaptor.getWeight(),
                                        op.getEps().convertToDouble()));
    return success();
  }
};

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    AffineMap rows = rowMap(context, rank);
    AffineMap rowIdentity = rewriter.getMultiDimIdentityMap(rank - 1);
    Value inverseFeatures =
        f32Constant(rewriter, loc, 1.0 / type.getShape().back());
    auto add = [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
      return arith::AddFOp::create(nb, nl, acc, x[0]);
    };
    Value sum = buildRowReduction(rewriter, loc, input, 0.0, {}, {}, add);
    Value mean = buildElementwise(
        rewriter, loc, sum, sum, {rowIdentity},
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          return arith::MulFOp::create(nb, nl, x[0], inverseFeatures);
        });
    Value squaredDeviation = buildRowReduction(
        rewriter, loc, input, 0.0, mean, {rows},
        [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
          Value deviation = arith::SubFOp::create(nb, nl, x[0], x[1]);
          Value square = arith::MulFOp::create(nb, nl, deviation, deviation);
          return arith::AddFOp::create(nb, nl, acc, square);
        });
    Value eps = f32Constant(rewriter, loc, op.getEps().convertToDouble());
    Value rowScale = buildElementwise(
        rewriter, loc, squaredDeviation, squaredDeviation, {rowIdentity},
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value variance = arith::MulFOp::create(nb, nl, x[0], inverseFeatures);
          return math::RsqrtOp::create(
              nb, nl, arith::AddFOp::create(nb, nl, variance, eps));
        });
    SmallVector<Value> inputs{input, mean, rowScale, adaptor.getWeight()};
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank), rows,
                                rows, lastDimMap(context, rank)};
    if (Value bias = adaptor.getBias()) {
      inputs.push_back(bias);
      maps.push_back(lastDimMap(context, rank));
    }
    Value result = buildElementwise(
        rewriter, loc, input, inputs, maps,
        [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value centered = arith::SubFOp::create(nb, nl, x[0], x[1]);
          Value normalized = arith::MulFOp::create(nb, nl, centered, x[2]);
          Value scaled = arith::MulFOp::create(nb, nl, normalized, x[3]);
          if (x.size() == 5)
            return arith::AddFOp::create(nb, nl, scaled, x[4]);
          return scaled;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `input [S, K] x panels [NB, K, P]` accumulated onto `init [S, NB, P]`
/// (zeros when null): the products in panel layout, `[S, NB, P]`.
Value buildPanelProducts(OpBuilder &b, Location loc, Value input,
                         Value panels, Value init = {}) {
  MLIRContext *context = b.getContext();
  auto panelsType = cast<RankedTensorType>(panels.getType());
  if (!init)
    init = filledTensor(b, loc,
                        {dimOf(b, loc, input, 0),
                         b.getIndexAttr(panelsType.getDimSize(0)),
                         b.getIndexAttr(panelsType.getDimSize(2))},
                        0.0);
  // out[s, nb, p] += x[s, k] * w[nb, k, p]   (dims s nb k p)
  return buildGeneric(
             b, loc, "matmul_panels", ValueRange{input, panels}, init,
             {selectDims(context, 4, {0, 2}), selectDims(context, 4, {1, 2, 3}),
              selectDims(context, 4, {0, 1, 3})},
             {kParallel, kParallel, kReduction, kParallel},
             [](OpBuilder &nb, Location nl, ValueRange args) {
               Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
               return SmallVector<Value>{
                   arith::AddFOp::create(nb, nl, args[2], product)};
             })
      .front();
}

/// `input [S, K] x weight^T (+ residual)` where the weight is `[N, K]`
/// row-major or packed `[N / P, K, P]`; returns `[S, N]`. The products
/// accumulate onto `residual` when there is one, else onto zeros.
Value buildMatmul(OpBuilder &b, Location loc, Value input, Value weight,
                  int64_t outFeatures, Value residual = {}) {
  MLIRContext *context = b.getContext();
  OpFoldResult seq = dimOf(b, loc, input, 0);
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (weightType.getRank() == 2) {
    // out[s, n] += x[s, k] * w[n, k]   (dims s n k)
    Value init =
        residual ? residual
                 : filledTensor(b, loc, {seq, b.getIndexAttr(outFeatures)}, 0.0);
    return buildGeneric(
               b, loc, "matmul", ValueRange{input, weight}, init,
               {selectDims(context, 3, {0, 2}), selectDims(context, 3, {1, 2}),
                selectDims(context, 3, {0, 1})},
               {kParallel, kParallel, kReduction},
               [](OpBuilder &nb, Location nl, ValueRange args) {
                 Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
                 return SmallVector<Value>{
                     arith::AddFOp::create(nb, nl, args[2], product)};
               })
        .front();
  }
  int64_t panels = weightType.getDimSize(0);
  int64_t panel = weightType.getDimSize(2);
  Value init = residual ? splitLastDim(b, loc, residual, {panels, panel})
                        : Value();
  Value packed = buildPanelProducts(b, loc, input, weight, init);
  Value merged = mergeTrailingDims(b, loc, packed, 1);
  if (panels * panel == outFeatures)
    return merged;
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{seq, b.getIndexAttr(outFeatures)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, merged, offsets, sizes,
                                        strides);
}

/// The epilogue of a float linear layer whose norm's scale is folded into
/// its weights: `products [S, ...]` with each row times its inverse RMS
/// (`inverseRms [S]`), plus `residual` (the products' shape) if given. It
/// overwrites the products, so tfm-fuse-matmul-epilogues can compute the
/// products of a tile in that tile of the result. Panel-layout products
/// (`[S, NB, P]`) make a `matmul_epilogue` kernel.
Value buildRowScaleEpilogue(OpBuilder &b, Location loc, Value products,
                            Value inverseRms, Value residual) {
  unsigned rank = cast<RankedTensorType>(products.getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<Value> inputs{inverseRms};
  SmallVector<AffineMap> maps{selectDims(b.getContext(), rank, {0})};
  if (residual) {
    inputs.push_back(residual);
    maps.push_back(identity);
  }
  maps.push_back(identity);
  return buildGeneric(
             b, loc, rank == 3 ? "matmul_epilogue" : "elementwise", inputs,
             products, maps, SmallVector<IteratorType>(rank, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value scaled =
                   arith::MulFOp::create(nb, nl, args.back(), args[0]);
               if (residual)
                 scaled = arith::AddFOp::create(nb, nl, scaled, args[1]);
               return SmallVector<Value>{scaled};
             })
      .front();
}

/// `kind(gate * s) * (up * s)` for the gate and up products of a float
/// gated layer in panel layout (`[S, NB, P]` each), `s` the inverse RMS of
/// each row when the norm's scale is folded into the weights. Overwrites the
/// gate products (see buildRowScaleEpilogue).
Value buildGatedEpilogue(OpBuilder &b, Location loc, Activation kind,
                         Value gate, Value up, Value inverseRms) {
  AffineMap identity = b.getMultiDimIdentityMap(3);
  SmallVector<Value> inputs{up};
  SmallVector<AffineMap> maps{identity};
  if (inverseRms) {
    inputs.push_back(inverseRms);
    maps.push_back(selectDims(b.getContext(), 3, {0}));
  }
  maps.push_back(identity);
  return buildGeneric(
             b, loc, "matmul_epilogue", inputs, gate, maps,
             SmallVector<IteratorType>(3, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value gateValue = args.back(), upValue = args[0];
               if (inverseRms) {
                 gateValue = arith::MulFOp::create(nb, nl, gateValue, args[1]);
                 upValue = arith::MulFOp::create(nb, nl, upValue, args[1]);
               }
               return SmallVector<Value>{arith::MulFOp::create(
                   nb, nl, activation(nb, nl, kind, gateValue), upValue)};
             })
      .front();
}

/// `kind(products + bias)` for the products of a float linear layer in
/// panel layout (`[S, NB, P]`), `biasPanels` (`[NB, P]`) optional.
/// Overwrites the products (see buildRowScaleEpilogue).
Value buildActivationEpilogue(OpBuilder &b, Location loc, Activation kind,
                              Value products, Value biasPanels) {
  AffineMap identity = b.getMultiDimIdentityMap(3);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (biasPanels) {
    inputs.push_back(biasPanels);
    maps.push_back(selectDims(b.getContext(), 3, {1, 2}));
  }
  maps.push_back(identity);
  return buildGeneric(
             b, loc, "matmul_epilogue", inputs, products, maps,
             SmallVector<IteratorType>(3, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value value = args.back();
               if (biasPanels)
                 value = arith::AddFOp::create(nb, nl, value, args[0]);
               return SmallVector<Value>{activation(nb, nl, kind, value)};
             })
      .front();
}

/// Panels `[first, first + count)` of packed weights `[NB, K, P]`.
Value panelRange(OpBuilder &b, Location loc, Value panels, int64_t first,
                 int64_t count) {
  auto type = cast<RankedTensorType>(panels.getType());
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(first), b.getIndexAttr(0),
                                    b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(count),
                                  b.getIndexAttr(type.getDimSize(1)),
                                  b.getIndexAttr(type.getDimSize(2))};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, panels, offsets, sizes,
                                        strides);
}

/// The !tfm.quant element type of a weight, if it is quantized.
QuantType quantTypeOf(Value weight) {
  return dyn_cast<QuantType>(
      cast<ShapedType>(weight.getType()).getElementType());
}

/// The weight of a linear layer in the layout the kernel reads: a
/// `tfm.param` is re-declared as panels of `panel` output features.
Value weightOperand(OpBuilder &b, Value weight, int64_t panel) {
  auto param = weight.getDefiningOp<ParamOp>();
  if (panel <= 0 || !param || quantTypeOf(param.getResult()))
    return weight;
  auto type = cast<RankedTensorType>(param.getType());
  int64_t outFeatures = type.getDimSize(0);
  int64_t inFeatures = type.getDimSize(1);
  int64_t panels = llvm::divideCeil(outFeatures, panel);
  auto packedType = RankedTensorType::get({panels, inFeatures, panel},
                                          type.getElementType());
  auto packed =
      ParamOp::create(b, param.getLoc(), packedType, param.getNameAttr(),
                      param.getPartsAttr(), param.getColumnScaleAttr());
  packed->setAttr(kPanelAttrName, b.getI64IntegerAttr(panel));
  return packed;
}

/// A buffer type of `type` with any offset and strides but a contiguous
/// last dimension: what any bufferized row-major tensor casts to.
MemRefType rowContiguousBufferType(RankedTensorType type) {
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic,
                                       strides);
  return MemRefType::get(type.getShape(), type.getElementType(), layout);
}

/// `input x weight^T` with a quantized `weight` (raw block bytes): the
/// kernel-level tfm.quantized_matmul on buffers, with the result handed back
/// to tensors through a fresh buffer.
Value buildQuantizedMatmul(OpBuilder &b, Location loc, Value input,
                           Value weight, QuantType format,
                           int64_t outFeatures, Value residual = {},
                           Value normWeight = {}, FloatAttr normEps = {},
                           ActivationAttr gated = {}) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  auto readBuffer = [&](Value tensor, RankedTensorType type) -> Value {
    auto buffer = bufferization::ToBufferOp::create(
        b, loc, rowContiguousBufferType(type), tensor);
    buffer.setReadOnly(true);
    return buffer;
  };
  Value inputBuffer = readBuffer(input, inputType);
  Value weightBuffer = readBuffer(weight, weightType);
  auto resultType = RankedTensorType::get(
      {inputType.getDimSize(0), outFeatures}, b.getF32Type());
  SmallVector<Value> dynamicSizes;
  if (resultType.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, 0));
  Value output = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), b.getF32Type()),
      dynamicSizes);
  // The input quantized to 8-bit blocks, per token.
  int64_t activationRowBytes = tfm_quantized_activation_row_bytes(
      inputType.getDimSize(1));
  int64_t tokens = inputType.getDimSize(0);
  SmallVector<Value> scratchSizes;
  if (ShapedType::isDynamic(tokens))
    scratchSizes.push_back(arith::MulIOp::create(
        b, loc, dynamicSizes.front(),
        indexConstant(b, loc, activationRowBytes)));
  Value scratch = memref::AllocOp::create(
      b, loc,
      MemRefType::get({ShapedType::isDynamic(tokens)
                           ? ShapedType::kDynamic
                           : tokens * activationRowBytes},
                      b.getI8Type()),
      scratchSizes, b.getI64IntegerAttr(64));
  // A residual is copied into the output, the kernel adds the products.
  if (residual)
    memref::CopyOp::create(
        b, loc,
        readBuffer(residual, cast<RankedTensorType>(residual.getType())),
        output);
  Value normBuffer =
      normWeight ? readBuffer(normWeight,
                              cast<RankedTensorType>(normWeight.getType()))
                 : Value();
  QuantizedMatmulOp::create(b, loc, format, inputBuffer, normBuffer,
                            weightBuffer, output, scratch,
                            /*accumulate=*/residual != nullptr, normEps,
                            gated);
  return bufferization::ToTensorOp::create(b, loc, resultType, output,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

template <typename OpTy>
struct MatmulLowering : OpConversionPattern<OpTy> {
  MatmulLowering(const TypeConverter &converter, MLIRContext *context,
                 int64_t panel)
      : OpConversionPattern<OpTy>(converter, context), panel(panel) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t outFeatures =
        cast<RankedTensorType>(op.getType()).getShape().back();
    Value residual, normWeight, bias;
    FloatAttr normEps;
    ActivationAttr gated, activationKind;
    normWeight = adaptor.getNormWeight();
    normEps = op.getNormEpsAttr();
    if constexpr (std::is_same_v<OpTy, LinearOp>) {
      residual = adaptor.getResidual();
      gated = op.getGatedAttr();
      bias = adaptor.getBias();
      activationKind = op.getActivationAttr();
    }
    Value input = adaptor.getInput();
    Value result;
    if (QuantType format = quantTypeOf(op.getWeight())) {
      // The norm prologue runs inside the activation quantization, the
      // gated activation in the microkernel's epilogue.
      result = buildQuantizedMatmul(rewriter, loc, input, adaptor.getWeight(),
                                    format, outFeatures, residual, normWeight,
                                    normEps, gated);
    } else if (activationKind &&
               (result = lowerFloatLinearWithActivation(
                    rewriter, loc, input, adaptor.getWeight(), outFeatures,
                    normWeight, normEps, bias, activationKind.getValue()))) {
      // Bias and activation are in the products' epilogue.
      rewriter.replaceOp(op, result);
      return success();
    } else {
      result = lowerFloatLinear(rewriter, loc, input, adaptor.getWeight(),
                                outFeatures, residual, normWeight, normEps,
                                gated);
    }
    if (bias || activationKind)
      result = buildBiasAndActivation(rewriter, loc, result, bias,
                                      activationKind);
    rewriter.replaceOp(op, result);
    return success();
  }

  /// `kind(products + bias)` (either optional) as one element-wise pass.
  static Value buildBiasAndActivation(OpBuilder &b, Location loc,
                                      Value products, Value bias,
                                      ActivationAttr kind) {
    SmallVector<Value> inputs{products};
    SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(2)};
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(lastDimMap(b.getContext(), 2));
    }
    return buildElementwise(
        b, loc, products, inputs, maps,
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value value = x[0];
          if (bias)
            value = arith::AddFOp::create(nb, nl, value, x[1]);
          return kind ? activation(nb, nl, kind.getValue(), value) : value;
        });
  }

  /// A float linear layer with an activation whose products come in whole
  /// panels: the bias and the activation as a `matmul_epilogue` over them,
  /// which tfm-fuse-matmul-epilogues computes in the matmul's thread steps.
  /// Null when the layer takes another form (a folded norm, row-major or
  /// partial panels); the caller then finishes it element-wise.
  Value lowerFloatLinearWithActivation(OpBuilder &b, Location loc, Value input,
                                       Value weight, int64_t outFeatures,
                                       Value normWeight, FloatAttr normEps,
                                       Value bias, Activation kind) const {
    // Only whole panels of a float parameter (what weightOperand packs);
    // checked before it creates the packed parameter.
    if ((normEps && !normWeight) || panel <= 0 || outFeatures % panel != 0 ||
        !weight.getDefiningOp<ParamOp>())
      return {};
    Value panels = weightOperand(b, weight, panel);
    if (normEps)
      input = buildRMSNorm(b, loc, input, normWeight,
                           normEps.getValueAsDouble());
    Value biasPanels =
        bias ? splitLastDim(b, loc, bias, {outFeatures / panel, panel})
             : Value();
    return mergeTrailingDims(
        b, loc,
        buildActivationEpilogue(b, loc, kind,
                                buildPanelProducts(b, loc, input, panels),
                                biasPanels),
        1);
  }

  /// A linear layer with float weights. A norm prologue with a weight is
  /// a separate normalization; one whose scale is folded into the weights
  /// (norm_eps alone) and a gated activation are epilogues over the panel
  /// products.
  Value lowerFloatLinear(OpBuilder &b, Location loc, Value input,
                         Value weight, int64_t outFeatures, Value residual,
                         Value normWeight, FloatAttr normEps,
                         ActivationAttr gated) const {
    Value inverseRms;
    if (normEps && normWeight)
      input = buildRMSNorm(b, loc, input, normWeight,
                           normEps.getValueAsDouble());
    else if (normEps)
      inverseRms = buildInverseRMS(b, loc, input, normEps.getValueAsDouble());
    weight = weightOperand(b, weight, panel);
    bool packed = cast<RankedTensorType>(weight.getType()).getRank() == 3;
    if (gated) {
      if (packed && outFeatures % panel == 0) {
        int64_t half = outFeatures / panel;
        Value gate =
            buildPanelProducts(b, loc, input, panelRange(b, loc, weight, 0, half));
        Value up = buildPanelProducts(b, loc, input,
                                      panelRange(b, loc, weight, half, half));
        return mergeTrailingDims(
            b, loc,
            buildGatedEpilogue(b, loc, gated.getValue(), gate, up, inverseRms),
            1);
      }
      // Halves that split a panel: both halves, then the activation.
      Value both = buildMatmul(b, loc, input, weight, 2 * outFeatures);
      if (inverseRms)
        both = buildRowScaleEpilogue(b, loc, both, inverseRms, {});
      auto half = [&](int64_t column) -> Value {
        SmallVector<OpFoldResult> offsets{b.getIndexAttr(0),
                                          b.getIndexAttr(column)};
        SmallVector<OpFoldResult> sizes{dimOf(b, loc, both, 0),
                                        b.getIndexAttr(outFeatures)};
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        return tensor::ExtractSliceOp::create(b, loc, both, offsets, sizes,
                                              strides);
      };
      return buildGatedActivation(b, loc, gated.getValue(), half(0),
                                  half(outFeatures));
    }
    // The residual goes into panels when it splits into whole panels;
    // otherwise it is added after the padded columns are cut.
    bool intoPanels = !packed || outFeatures % panel == 0;
    Value result;
    if (!inverseRms) {
      // Products accumulate onto the residual.
      result = buildMatmul(b, loc, input, weight, outFeatures,
                           intoPanels ? residual : Value());
    } else if (!packed) {
      result = buildRowScaleEpilogue(
          b, loc, buildMatmul(b, loc, input, weight, outFeatures), inverseRms,
          residual);
    } else {
      auto type = cast<RankedTensorType>(weight.getType());
      Value panelResidual =
          residual && intoPanels
              ? splitLastDim(b, loc, residual,
                             {type.getDimSize(0), type.getDimSize(2)})
              : Value();
      result = mergeTrailingDims(
          b, loc,
          buildRowScaleEpilogue(b, loc, buildPanelProducts(b, loc, input, weight),
                                inverseRms, panelResidual),
          1);
      if (type.getDimSize(0) * panel != outFeatures) {
        SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
        SmallVector<OpFoldResult> sizes{dimOf(b, loc, input, 0),
                                        b.getIndexAttr(outFeatures)};
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        result = tensor::ExtractSliceOp::create(b, loc, result, offsets, sizes,
                                                strides);
      }
    }
    if (residual && !intoPanels)
      result = buildElementwise(
          b, loc, result, ValueRange{result, residual},
          {b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
          [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
            return arith::AddFOp::create(nb, nl, x[0], x[1]);
          });
    return result;
  }

  int64_t panel;
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

/// cos and sin of the rotation angles of positions `start + s`, `[S, R/2]`:
/// angle `(start + s) * theta^(-2j / R)`.
std::pair<Value, Value> buildRopeTables(OpBuilder &b, Location loc,
                                        OpFoldResult seq, Value start,
                                        int64_t rotaryDim, double thetaValue) {
  int64_t half = rotaryDim / 2;
  Value cosInit = emptyTensor(b, loc, {seq, b.getIndexAttr(half)});
  Value sinInit = emptyTensor(b, loc, {seq, b.getIndexAttr(half)});
  Value theta = f32Constant(b, loc, thetaValue);
  Value exponentStep = f32Constant(b, loc, -2.0 / rotaryDim);
  SmallVector<Value> tables = buildGeneric(
      b, loc, "elementwise", {}, ValueRange{cosInit, sinInit},
      {b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
      {kParallel, kParallel}, [&](OpBuilder &nb, Location nl, ValueRange) {
        Type i64 = nb.getI64Type();
        Value token = linalg::IndexOp::create(nb, nl, 0);
        Value position = arith::AddIOp::create(nb, nl, token, start);
        Value positionF = arith::UIToFPOp::create(
            nb, nl, nb.getF32Type(),
            arith::IndexCastOp::create(nb, nl, i64, position));
        Value pair = arith::UIToFPOp::create(
            nb, nl, nb.getF32Type(),
            arith::IndexCastOp::create(nb, nl, i64,
                                       linalg::IndexOp::create(nb, nl, 1)));
        Value exponent = arith::MulFOp::create(nb, nl, pair, exponentStep);
        Value frequency = math::PowFOp::create(nb, nl, theta, exponent);
        Value angle = arith::MulFOp::create(nb, nl, positionF, frequency);
        return SmallVector<Value>{math::CosOp::create(nb, nl, angle),
                                  math::SinOp::create(nb, nl, angle)};
      });
  return {tables[0], tables[1]};
}

/// How the features of a head pair up: the rotated features of a head
/// viewed as `[R/2, 2]` (interleaved, pair member = last dim) or
/// `[2, R/2]` (half-split, member = first dim).
struct RopePairs {
  bool interleaved;
  int64_t half;

  ArrayRef<int64_t> shape() const {
    static thread_local SmallVector<int64_t, 2> dims;
    dims = interleaved ? SmallVector<int64_t, 2>{half, 2}
                       : SmallVector<int64_t, 2>{2, half};
    return dims;
  }
  /// Position of the member and frequency dims among the two pair dims.
  unsigned memberDim() const { return interleaved ? 1 : 0; }
  unsigned frequencyDim() const { return interleaved ? 0 : 1; }
};

/// Element `member` (0 or 1) of the rotated pair `(a, b)` with `cos`/`sin`:
/// `(a cos - b sin, a sin + b cos)`, chosen by the loop index `memberIndex`.
Value rotatePairMember(OpBuilder &b, Location loc, Value first, Value second,
                       Value cos, Value sin, Value memberIndex) {
  Value isSecond = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, memberIndex,
      arith::ConstantIndexOp::create(b, loc, 1));
  Value aCos = arith::MulFOp::create(b, loc, first, cos);
  Value bSin = arith::MulFOp::create(b, loc, second, sin);
  Value aSin = arith::MulFOp::create(b, loc, first, sin);
  Value bCos = arith::MulFOp::create(b, loc, second, cos);
  return arith::SelectOp::create(b, loc, isSecond,
                                 arith::AddFOp::create(b, loc, aSin, bCos),
                                 arith::SubFOp::create(b, loc, aCos, bSin));
}

/// A map of `rank` loop dims that reads pair member `member` where loop dim
/// `memberLoopDim` is, and the other dims through `dims` (loop dim per
/// source dim, with the member's source dim marked by -1).
AffineMap pairMemberMap(MLIRContext *context, unsigned rank,
                        ArrayRef<int64_t> dims, int64_t member) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(d < 0 ? getAffineConstantExpr(member, context)
                          : getAffineDimExpr(d, context));
  return AffineMap::get(rank, 0, exprs, context);
}

/// RoPE of `input` (`[S, H * D]`) at positions `start + s` (see tfm.rope).
Value buildRoPE(OpBuilder &b, Location loc, Value input, Value start,
                int64_t headDim, int64_t rotaryDim, double theta,
                RopePairing pairing) {
  MLIRContext *context = b.getContext();
  int64_t features = cast<RankedTensorType>(input.getType()).getDimSize(1);
  int64_t heads = features / headDim;
  RopePairs pairs{pairing == RopePairing::interleaved, rotaryDim / 2};
  OpFoldResult seq = dimOf(b, loc, input, 0);

  // [S, H * D] -> [S, H, D] -> the rotated features [S, H, R].
  Value heads3 = splitLastDim(b, loc, input, {heads, headDim});
  auto slice3 = [&](Value source, int64_t size) {
    SmallVector<OpFoldResult> offsets(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{seq, b.getIndexAttr(heads),
                                    b.getIndexAttr(size)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes,
                                          strides)
        .getResult();
  };
  Value rotary = rotaryDim == headDim ? heads3 : slice3(heads3, rotaryDim);
  // [S, H, pair dims]: loop dims 2 and 3 are the pair dims.
  Value paired = splitLastDim(b, loc, rotary, pairs.shape());
  auto [cosTable, sinTable] =
      buildRopeTables(b, loc, seq, start, rotaryDim, theta);

  // One element-wise generic over the pairs: member `m` of a pair reads
  // both members through maps with a constant member index.
  unsigned memberLoop = 2 + pairs.memberDim();
  SmallVector<int64_t> dims{0, 1, 2, 3};
  dims[memberLoop] = -1;
  AffineMap table = selectDims(context, 4, {0, 2 + pairs.frequencyDim()});
  Value assembled = buildElementwise(
      b, loc, paired, ValueRange{paired, paired, cosTable, sinTable},
      {pairMemberMap(context, 4, dims, 0), pairMemberMap(context, 4, dims, 1),
       table, table},
      [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return rotatePairMember(nb, nl, x[0], x[1], x[2], x[3],
                                linalg::IndexOp::create(nb, nl, memberLoop));
      });
  Value rotatedHeads = mergeTrailingDims(b, loc, assembled, 2);
  if (rotaryDim != headDim) {
    SmallVector<OpFoldResult> offsets(3, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{seq, b.getIndexAttr(heads),
                                    b.getIndexAttr(rotaryDim)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    rotatedHeads = tensor::InsertSliceOp::create(b, loc, rotatedHeads, heads3,
                                                 offsets, sizes, strides);
  }
  return mergeTrailingDims(b, loc, rotatedHeads, 1);
}

struct RoPELowering : OpConversionPattern<RoPEOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RoPEOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildRoPE(rewriter, op.getLoc(), adaptor.getInput(),
                                     adaptor.getStart(), op.getHeadDim(),
                                     op.getRotaryDim(),
                                     op.getTheta().convertToDouble(),
                                     op.getPairing()));
    return success();
  }
};

struct SinusoidalPositionLowering
    : OpConversionPattern<SinusoidalPositionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SinusoidalPositionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t features = cast<RankedTensorType>(input.getType()).getDimSize(1);
    Value start = adaptor.getStart();
    Value base = f32Constant(rewriter, loc, op.getBase().convertToDouble());
    Value exponentStep = f32Constant(rewriter, loc, -1.0 / features);
    Value result = buildElementwise(
        rewriter, loc, input, input, {rewriter.getMultiDimIdentityMap(2)},
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Type i64 = nb.getI64Type();
          Type f32 = nb.getF32Type();
          Value token = linalg::IndexOp::create(nb, nl, 0);
          Value position = arith::UIToFPOp::create(
              nb, nl, f32,
              arith::IndexCastOp::create(
                  nb, nl, i64, arith::AddIOp::create(nb, nl, token, start)));
          Value feature = arith::IndexCastOp::create(
              nb, nl, i64, linalg::IndexOp::create(nb, nl, 1));
          Value one = arith::ConstantIntOp::create(nb, nl, i64, 1);
          Value odd = arith::AndIOp::create(nb, nl, feature, one);
          Value even = arith::SubIOp::create(nb, nl, feature, odd);
          Value exponent = arith::MulFOp::create(
              nb, nl, arith::UIToFPOp::create(nb, nl, f32, even), exponentStep);
          Value angle = arith::MulFOp::create(
              nb, nl, position, math::PowFOp::create(nb, nl, base, exponent));
          Value isOdd = arith::TruncIOp::create(nb, nl, nb.getI1Type(), odd);
          Value wave = arith::SelectOp::create(
              nb, nl, isOdd, math::CosOp::create(nb, nl, angle),
              math::SinOp::create(nb, nl, angle));
          return arith::AddFOp::create(nb, nl, x[0], wave);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LearnedPositionLowering : OpConversionPattern<LearnedPositionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LearnedPositionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    SmallVector<OpFoldResult> offsets{adaptor.getStart(),
                                      rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, input);
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    Value rows = tensor::ExtractSliceOp::create(
        rewriter, loc, adaptor.getTable(), offsets, sizes, strides);
    AffineMap identity = rewriter.getMultiDimIdentityMap(2);
    Value result = buildElementwise(
        rewriter, loc, input, ValueRange{input, rows}, {identity, identity},
        [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          return arith::AddFOp::create(nb, nl, x[0], x[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Writes `tokens [S, KVH * D]` at positions `start..` of `part` (0: keys,
/// 1: values) of `layer` into the cache `[L, 2, KVH, C, D]`.
/// Inserts `rows` (`[KVH, S, W]`) at columns `[column, column + W)` of the
/// rows of positions `[start, start + S)` of `layer`/`part`.
Value insertRows(OpBuilder &b, Location loc, Value cache, Value rows,
                 OpFoldResult layer, int64_t part, Value start,
                 int64_t column) {
  auto rowsType = cast<RankedTensorType>(rows.getType());
  SmallVector<OpFoldResult> offsets{layer, b.getIndexAttr(part),
                                    b.getIndexAttr(0), start,
                                    b.getIndexAttr(column)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1),
                                  b.getIndexAttr(rowsType.getDimSize(0)),
                                  dimOf(b, loc, rows, 1),
                                  b.getIndexAttr(rowsType.getDimSize(2))};
  SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, rows, cache, offsets, sizes,
                                       strides);
}

/// The rows `[KVH, S, width]` of positions `[start, start + S)` of
/// `layer`/`part` of the cache: what insertRows writes.
Value cacheRows(OpBuilder &b, Location loc, Value cache, OpFoldResult layer,
                int64_t part, Value start, OpFoldResult seq, int64_t width) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  int64_t kvHeads = cacheType.getDimSize(2);
  SmallVector<OpFoldResult> offsets{layer, b.getIndexAttr(part),
                                    b.getIndexAttr(0), start,
                                    b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1),
                                  b.getIndexAttr(kvHeads), seq,
                                  b.getIndexAttr(width)};
  SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
  auto type = RankedTensorType::get(
      {kvHeads, getConstantIntValue(seq).value_or(ShapedType::kDynamic),
       width},
      cacheType.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, type, cache, offsets, sizes,
                                        strides);
}

/// q8 rows of `[KVH, S, D]` f32 values: the int8 values `[KVH, S, D]` and
/// the 4 bytes of each row's scale `[KVH, S, 4]` (little-endian f32).
std::pair<Value, Value> quantizeRows(OpBuilder &b, Location loc, Value values) {
  MLIRContext *context = b.getContext();
  Value absMax = buildRowReduction(
      b, loc, values, 0.0, {}, {},
      [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, nl, math::AbsFOp::create(nb, nl, x[0]),
                                         acc);
      });
  Value scale = buildElementwise(
      b, loc, absMax, absMax, {b.getMultiDimIdentityMap(2)},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return arith::DivFOp::create(nb, nl, x[0], f32Constant(nb, nl, 127.0));
      });
  // q = round(x / scale); rows of zeros have scale 0 and q 0.
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  Value qInit = tensor::EmptyOp::create(b, loc, sizes, b.getI8Type());
  Value quantized =
      buildGeneric(
          b, loc, "elementwise", ValueRange{values, scale}, qInit,
          {b.getMultiDimIdentityMap(3), rowMap(context, 3),
           b.getMultiDimIdentityMap(3)},
          SmallVector<IteratorType>(3, kParallel),
          [](OpBuilder &nb, Location nl, ValueRange x) {
            Value zero = f32Constant(nb, nl, 0.0);
            Value positive = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OGT, x[1], zero);
            Value divided = arith::DivFOp::create(nb, nl, x[0], x[1]);
            Value scaled = arith::SelectOp::create(nb, nl, positive, divided, zero);
            Value rounded = math::RoundEvenOp::create(nb, nl, scaled);
            return SmallVector<Value>{
                arith::FPToSIOp::create(nb, nl, nb.getI8Type(), rounded)};
          })
          .front();
  // scaleBytes[h, s, j] = byte j of scale[h, s].
  SmallVector<OpFoldResult> byteSizes{sizes[0], sizes[1], b.getIndexAttr(4)};
  Value bytesInit = tensor::EmptyOp::create(b, loc, byteSizes, b.getI8Type());
  Value scaleBytes =
      buildGeneric(
          b, loc, "elementwise", ValueRange{scale}, bytesInit,
          {selectDims(context, 3, {0, 1}), b.getMultiDimIdentityMap(3)},
          SmallVector<IteratorType>(3, kParallel),
          [](OpBuilder &nb, Location nl, ValueRange x) {
            Value bits = arith::BitcastOp::create(nb, nl, nb.getI32Type(), x[0]);
            Value byte = arith::IndexCastOp::create(
                nb, nl, nb.getI32Type(), linalg::IndexOp::create(nb, nl, 2));
            Value shift = arith::MulIOp::create(
                nb, nl, byte, arith::ConstantIntOp::create(nb, nl, nb.getI32Type(), 8));
            Value shifted = arith::ShRUIOp::create(nb, nl, bits, shift);
            return SmallVector<Value>{
                arith::TruncIOp::create(nb, nl, nb.getI8Type(), shifted)};
          })
          .front();
  return {quantized, scaleBytes};
}

/// `tokens` (`[S, KVH * D]` f32) as head-major rows `[KVH, S, D]` of type
/// `stored`: one transposing element-wise kernel.
Value headMajorRows(OpBuilder &b, Location loc, Value tokens, int64_t kvHeads,
                    int64_t headDim, Type stored) {
  MLIRContext *context = b.getContext();
  Value perHead = splitLastDim(b, loc, tokens, {kvHeads, headDim});
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(kvHeads),
                                     dimOf(b, loc, tokens, 0),
                                     b.getIndexAttr(headDim)},
      stored);
  return buildGeneric(b, loc, "elementwise", ValueRange{perHead}, init,
                      {selectDims(context, 3, {1, 0, 2}),
                       b.getMultiDimIdentityMap(3)},
                      SmallVector<IteratorType>(3, kParallel),
                      [&](OpBuilder &nb, Location nl, ValueRange x) {
                        return SmallVector<Value>{
                            toCacheElement(nb, nl, x[0], stored)};
                      })
      .front();
}

/// The same rows rotated by `rope` at positions `start + s` in the same
/// kernel: the pairs of each head are read through constant-member maps
/// (see buildRoPE) while they are transposed, so RoPE costs no pass of its
/// own over the keys.
Value rotatedHeadMajorRows(OpBuilder &b, Location loc, Value tokens,
                           Value rows, int64_t headDim, Value start,
                           RopeAttr rope) {
  auto rowsType = cast<RankedTensorType>(rows.getType());
  int64_t kvHeads = rowsType.getDimSize(0);
  Type stored = rowsType.getElementType();
  MLIRContext *context = b.getContext();
  RopePairs pairs{rope.getPairing() == RopePairing::interleaved, headDim / 2};
  ArrayRef<int64_t> pairShape = pairs.shape();
  SmallVector<int64_t> shape{kvHeads, pairShape[0], pairShape[1]};
  Value paired = splitLastDim(b, loc, tokens, shape); // [S, KVH, P0, P1]
  OpFoldResult seq = dimOf(b, loc, tokens, 0);
  auto [cosTable, sinTable] =
      buildRopeTables(b, loc, seq, start, headDim,
                      rope.getTheta().getValueAsDouble());
  // Loop dims (h, s, p0, p1) over the output [KVH, S, P0, P1], a view of
  // `rows` [KVH, S, D].
  Value init = splitLastDim(b, loc, rows, pairShape);
  unsigned memberLoop = 2 + pairs.memberDim();
  SmallVector<int64_t> sourceDims{1, 0, 2, 3};
  sourceDims[memberLoop] = -1;
  AffineMap table = selectDims(context, 4, {1, 2 + pairs.frequencyDim()});
  Value rotated =
      buildGeneric(
          b, loc, "elementwise",
          ValueRange{paired, paired, cosTable, sinTable}, init,
          {pairMemberMap(context, 4, sourceDims, 0),
           pairMemberMap(context, 4, sourceDims, 1), table, table,
           b.getMultiDimIdentityMap(4)},
          SmallVector<IteratorType>(4, kParallel),
          [&](OpBuilder &nb, Location nl, ValueRange x) {
            Value value = rotatePairMember(
                nb, nl, x[0], x[1], x[2], x[3],
                linalg::IndexOp::create(nb, nl, memberLoop));
            return SmallVector<Value>{toCacheElement(nb, nl, value, stored)};
          })
          .front();
  return mergeTrailingDims(b, loc, rotated, 2);
}

/// Writes `tokens` (`[S, KVH * D]` f32) at positions `[start, start + S)` of
/// `layer`, rotated by `rope` if given, converted to the cache's element
/// type.
Value writeCache(OpBuilder &b, Location loc, Value cache, Value tokens,
                 OpFoldResult layer, int64_t part, Value start,
                 int64_t headDim, RopeAttr rope = {}) {
  auto cacheType = cast<RankedTensorType>(cache.getType());
  Type element = cacheType.getElementType();
  int64_t kvHeads = cacheType.getDimSize(2);
  // [S, KVH, D] -> [KVH, S, D], in the stored type (q8: f32 for now).
  Type stored = element.isInteger(8) ? b.getF32Type() : element;
  Value headMajor;
  if (!rope) {
    headMajor = headMajorRows(b, loc, tokens, kvHeads, headDim, stored);
  } else {
    // Rotated rows are written through a view of pairs, which empty-tensor
    // elimination does not see through: take the destination rows of the
    // cache explicitly (q8 rows are quantized from f32 afterwards).
    Value rows =
        element.isInteger(8)
            ? tensor::EmptyOp::create(
                  b, loc,
                  ArrayRef<OpFoldResult>{b.getIndexAttr(kvHeads),
                                         dimOf(b, loc, tokens, 0),
                                         b.getIndexAttr(headDim)},
                  stored)
                  .getResult()
            : cacheRows(b, loc, cache, layer, part, start,
                        dimOf(b, loc, tokens, 0), headDim);
    headMajor =
        rotatedHeadMajorRows(b, loc, tokens, rows, headDim, start, rope);
  }
  if (!element.isInteger(8))
    return insertRows(b, loc, cache, headMajor, layer, part, start, 0);
  auto [quantized, scaleBytes] = quantizeRows(b, loc, headMajor);
  cache = insertRows(b, loc, cache, quantized, layer, part, start, 0);
  return insertRows(b, loc, cache, scaleBytes, layer, part, start, headDim);
}

/// Keys or values of positions `[0, tokens)` of `layer`: `[KVH, tokens, D]`
/// in the stored type, and for the q8 cache their scales `[KVH, tokens]`.
std::pair<Value, Value> readCache(OpBuilder &b, Location loc, Value cache,
                                  OpFoldResult layer, int64_t part,
                                  OpFoldResult tokens, int64_t headDim) {
  MLIRContext *context = b.getContext();
  auto cacheType = cast<RankedTensorType>(cache.getType());
  Type element = cacheType.getElementType();
  int64_t kvHeads = cacheType.getDimSize(2);
  auto columns = [&](int64_t first, int64_t count) -> Value {
    SmallVector<OpFoldResult> offsets{layer, b.getIndexAttr(part),
                                      b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(first)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1),
                                    b.getIndexAttr(kvHeads), tokens,
                                    b.getIndexAttr(count)};
    SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
    auto type = RankedTensorType::get({kvHeads, ShapedType::kDynamic, count},
                                      element);
    return tensor::ExtractSliceOp::create(b, loc, type, cache, offsets, sizes,
                                          strides);
  };
  Value values = columns(0, headDim);
  if (!element.isInteger(8))
    return {values, Value()};
  // scale[h, t] = f32 from the 4 bytes after the row.
  Value bytes = columns(headDim, 4);
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(kvHeads), tokens};
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  Value bitsInit = linalg::FillOp::create(
                       b, loc, ValueRange{zero},
                       ValueRange{tensor::EmptyOp::create(b, loc, sizes,
                                                          b.getI32Type())})
                       .getResult(0);
  Value bits =
      buildGeneric(
          b, loc, "row_reduction", ValueRange{bytes}, bitsInit,
          {b.getMultiDimIdentityMap(3), rowMap(context, 3)},
          {kParallel, kParallel, kReduction},
          [](OpBuilder &nb, Location nl, ValueRange x) {
            Value byte = arith::ExtUIOp::create(nb, nl, nb.getI32Type(), x[0]);
            Value index = arith::IndexCastOp::create(
                nb, nl, nb.getI32Type(), linalg::IndexOp::create(nb, nl, 2));
            Value shift = arith::MulIOp::create(
                nb, nl, index, arith::ConstantIntOp::create(nb, nl, nb.getI32Type(), 8));
            Value placed = arith::ShLIOp::create(nb, nl, byte, shift);
            return SmallVector<Value>{arith::OrIOp::create(nb, nl, x[1], placed)};
          })
          .front();
  Value scales = buildElementwise(
      b, loc, bits, bits, {b.getMultiDimIdentityMap(2)},
      [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
        return arith::BitcastOp::create(nb, nl, nb.getF32Type(), x[0]);
      });
  return {values, scales};
}

/// The cache layer of a KV-cache op as a slice offset.
template <typename OpTy>
OpFoldResult cacheLayer(OpBuilder &b, OpTy op, Value dynamicLayer) {
  if (std::optional<uint64_t> layer = op.getLayer())
    return b.getIndexAttr(*layer);
  return dynamicLayer;
}

struct KVCacheAppendLowering : OpConversionPattern<KVCacheAppendOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KVCacheAppendOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpFoldResult layer = cacheLayer(rewriter, op, adaptor.getDynamicLayer());
    int64_t headDim = op.getCache().getType().getHeadDim();
    Value cache = writeCache(rewriter, loc, adaptor.getCache(),
                             adaptor.getKey(), layer, 0, adaptor.getStart(),
                             headDim, op.getRopeAttr());
    cache = writeCache(rewriter, loc, cache, adaptor.getValue(), layer, 1,
                       adaptor.getStart(), headDim);
    rewriter.replaceOp(op, cache);
    return success();
  }
};

/// Query rows of one step at most this many (static) are a decode step,
/// whose attention is split over key ranges: one query row per head gives
/// too few tasks for the threads.
constexpr int64_t kMaxDecodeQueries = 4;

/// `tfm.kv_cache.attention` as one fused kernel on buffers.
struct FlashAttentionLowering : OpConversionPattern<KVCacheAttentionOp> {
  FlashAttentionLowering(const TypeConverter &converter, MLIRContext *context,
                         int64_t kvSplits)
      : OpConversionPattern(converter, context, /*benefit=*/2),
        kvSplits(kvSplits) {}

  LogicalResult
  matchAndRewrite(KVCacheAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (RopeAttr rope = op.getRopeAttr();
        rope && rope.getRotaryDim() > TFM_ATTENTION_MAX_ROPE_HEAD_DIM)
      return rewriter.notifyMatchFailure(
          op, "the kernel rotates smaller query heads; unfused form instead");
    auto queryType = cast<RankedTensorType>(adaptor.getQuery().getType());
    auto cacheType = cast<RankedTensorType>(adaptor.getCache().getType());
    auto readBuffer = [&](Value tensor, RankedTensorType type) -> Value {
      auto buffer = bufferization::ToBufferOp::create(
          rewriter, loc, rowContiguousBufferType(type), tensor);
      buffer.setReadOnly(true);
      return buffer;
    };
    Value query = readBuffer(adaptor.getQuery(), queryType);
    Value cache = readBuffer(adaptor.getCache(), cacheType);
    Value seq = tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 0);
    Value tokens = arith::AddIOp::create(rewriter, loc, adaptor.getStart(), seq);
    OpFoldResult layer = cacheLayer(rewriter, op, adaptor.getDynamicLayer());
    Value keys = layerRows(rewriter, loc, cache, cacheType, layer, 0, tokens);
    Value values = layerRows(rewriter, loc, cache, cacheType, layer, 1, tokens);

    SmallVector<Value> dynamicSizes;
    if (queryType.isDynamicDim(0))
      dynamicSizes.push_back(seq);
    Value output = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get(queryType.getShape(), rewriter.getF32Type()),
        dynamicSizes);
    int64_t splits = 1;
    Value partials;
    int64_t queries = queryType.getDimSize(0);
    if (!ShapedType::isDynamic(queries) && queries <= kMaxDecodeQueries &&
        kvSplits > 1) {
      splits = kvSplits;
      int64_t headDim = op.getCache().getType().getHeadDim();
      partials = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get({splits * queries * int64_t(op.getNumHeads()) *
                           (headDim + 2)},
                          rewriter.getF32Type()));
    }
    // A fused rope: the kernel rotates each query row with these tables.
    Value ropeCos, ropeSin;
    if (RopeAttr rope = op.getRopeAttr()) {
      auto [cosTable, sinTable] = buildRopeTables(
          rewriter, loc, dimOf(rewriter, loc, adaptor.getQuery(), 0),
          adaptor.getStart(), rope.getRotaryDim(),
          rope.getTheta().getValueAsDouble());
      ropeCos = readBuffer(cosTable, cast<RankedTensorType>(cosTable.getType()));
      ropeSin = readBuffer(sinTable, cast<RankedTensorType>(sinTable.getType()));
    }
    FlashAttentionOp::create(rewriter, loc, query, keys, values,
                             adaptor.getStart(), output, partials, ropeCos,
                             ropeSin, op.getNumHeadsAttr(), op.getScaleAttr(),
                             rewriter.getI64IntegerAttr(splits),
                             op.getRopeAttr());
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, queryType, output,
                               /*restrict=*/true, /*writable=*/true));
    return success();
  }

private:
  /// Rows `[kv_heads, tokens, row]` of `part` (0: keys, 1: values) of
  /// `layer` of the cache buffer.
  static Value layerRows(OpBuilder &b, Location loc, Value cache,
                         RankedTensorType cacheType, OpFoldResult layer,
                         int64_t part, Value tokens) {
    int64_t kvHeads = cacheType.getDimSize(2);
    int64_t row = cacheType.getDimSize(4);
    SmallVector<OpFoldResult> offsets{layer, b.getIndexAttr(part),
                                      b.getIndexAttr(0), b.getIndexAttr(0),
                                      b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1),
                                    b.getIndexAttr(kvHeads), tokens,
                                    b.getIndexAttr(row)};
    SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
    auto type = rowContiguousBufferType(RankedTensorType::get(
        {kvHeads, ShapedType::kDynamic, row}, cacheType.getElementType()));
    return memref::SubViewOp::create(b, loc, type, cache, offsets, sizes,
                                     strides);
  }

  int64_t kvSplits;
};

struct KVCacheAttentionLowering : OpConversionPattern<KVCacheAttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KVCacheAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value query = adaptor.getQuery();
    Value cache = adaptor.getCache();
    int64_t kvHeads = cast<RankedTensorType>(cache.getType()).getDimSize(2);
    Value start = adaptor.getStart();
    Value seq = tensor::DimOp::create(rewriter, loc, query, 0);
    Value tokens = arith::AddIOp::create(rewriter, loc, start, seq);
    OpFoldResult layer = cacheLayer(rewriter, op, adaptor.getDynamicLayer());
    int64_t headDim = op.getCache().getType().getHeadDim();
    auto [keys, keyScales] =
        readCache(rewriter, loc, cache, layer, 0, tokens, headDim);
    auto [values, valueScales] =
        readCache(rewriter, loc, cache, layer, 1, tokens, headDim);
    // Without the fused kernel, a fused rope is a RoPE kernel of its own.
    if (RopeAttr rope = op.getRopeAttr())
      query = buildRoPE(rewriter, loc, query, start, headDim,
                        rope.getRotaryDim(),
                        rope.getTheta().getValueAsDouble(), rope.getPairing());
    Value queries =
        groupQueries(rewriter, loc, query, op.getNumHeads(), kvHeads);
    Value attended = buildAttention(rewriter, loc, queries, keys, values,
                                    KVLayout::HeadMajor, start,
                                    op.getScale().convertToDouble(), keyScales,
                                    valueScales);
    rewriter.replaceOp(op, mergeTrailingDims(rewriter, loc, attended, 1));
    return success();
  }
};

struct AttentionLowering : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t kvHeads = op.getNumKvHeads();
    int64_t headDim = op.getHeadDim();
    Value queries = groupQueries(rewriter, loc, adaptor.getQuery(),
                                 op.getNumHeads(), kvHeads);
    Value keys = splitLastDim(rewriter, loc, adaptor.getKey(), {kvHeads, headDim});
    Value values =
        splitLastDim(rewriter, loc, adaptor.getValue(), {kvHeads, headDim});
    Value causalOffset;
    if (op.getMask() == MaskKind::causal) {
      Value keyCount = tensor::DimOp::create(rewriter, loc, adaptor.getKey(), 0);
      Value queryCount =
          tensor::DimOp::create(rewriter, loc, adaptor.getQuery(), 0);
      causalOffset = arith::SubIOp::create(rewriter, loc, keyCount, queryCount);
    }
    Value attended = buildAttention(rewriter, loc, queries, keys, values,
                                    KVLayout::TokenMajor, causalOffset,
                                    op.getScale().convertToDouble());
    rewriter.replaceOp(op, mergeTrailingDims(rewriter, loc, attended, 1));
    return success();
  }
};

struct ActivationLowering : OpConversionPattern<ActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
    Activation kind = op.getKind();
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), input, input,
                {rewriter.getMultiDimIdentityMap(rank)},
                [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
                  return activation(nb, nl, kind, x[0]);
                }));
    return success();
  }
};

struct GatedActivationLowering : OpConversionPattern<GatedActivationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatedActivationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildGatedActivation(rewriter, op.getLoc(),
                                                op.getKind(), adaptor.getGate(),
                                                adaptor.getUp()));
    return success();
  }
};

struct AddLowering : OpConversionPattern<AddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value lhs = adaptor.getLhs();
    unsigned rank = cast<RankedTensorType>(lhs.getType()).getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), lhs, ValueRange{lhs, adaptor.getRhs()},
                {identity, identity},
                [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
                  return arith::AddFOp::create(nb, nl, x[0], x[1]);
                }));
    return success();
  }
};

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
    AffineMap rows = rowMap(rewriter.getContext(), rank);
    Value rowMax = buildRowReduction(
        rewriter, loc, input, -std::numeric_limits<float>::infinity(), {}, {},
        [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
          return arith::MaximumFOp::create(nb, nl, x[0], acc);
        });
    Value rowSum = buildRowReduction(
        rewriter, loc, input, 0.0, rowMax, {rows},
        [](OpBuilder &nb, Location nl, ValueRange x, Value acc) -> Value {
          Value shifted = arith::SubFOp::create(nb, nl, x[0], x[1]);
          return arith::AddFOp::create(nb, nl, acc,
                                       math::ExpOp::create(nb, nl, shifted));
        });
    Value result = buildElementwise(
        rewriter, loc, input, ValueRange{input, rowMax, rowSum},
        {rewriter.getMultiDimIdentityMap(rank), rows, rows},
        [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value shifted = arith::SubFOp::create(nb, nl, x[0], x[1]);
          return arith::DivFOp::create(
              nb, nl, math::ExpOp::create(nb, nl, shifted), x[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A quantized weight becomes the raw bytes of its blocks, the format moving
/// to a `tfm.format` attribute the weights file is written from.
struct QuantizedParamLowering : OpConversionPattern<ParamOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ParamOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    QuantType format = quantTypeOf(op.getResult());
    if (!format)
      return failure();
    Type bytes = getTypeConverter()->convertType(op.getType());
    auto lowered = ParamOp::create(rewriter, op.getLoc(), bytes,
                                   op.getNameAttr(), op.getPartsAttr(),
                                   /*column_scale=*/nullptr);
    lowered->setAttr(kQuantFormatAttrName, TypeAttr::get(format));
    rewriter.replaceOp(op, lowered);
    return success();
  }
};

/// `!tfm.kv_cache<L, KVH, C, D, T>` -> `tensor<L x 2 x KVH x ? x D x T>`
/// (`D + 4` bytes per row for the i8 cache: the values, then the row's f32
/// scale);
/// `tensor<N x K x !tfm.quant<f>>` -> `tensor<N x row_bytes x i8>`.
class KVCacheTypeConverter : public TypeConverter {
public:
  KVCacheTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](RankedTensorType type) -> std::optional<Type> {
      auto quant = dyn_cast<QuantType>(type.getElementType());
      if (!quant)
        return type;
      if (type.getRank() != 2)
        return std::nullopt;
      return RankedTensorType::get(
          {type.getDimSize(0), quant.getRowBytes(type.getDimSize(1))},
          IntegerType::get(type.getContext(), 8));
    });
    addConversion([](KVCacheType type) -> Type {
      return RankedTensorType::get({type.getLayers(), 2, type.getKvHeads(),
                                    ShapedType::kDynamic,
                                    type.getRowElements()},
                                   type.getElementType());
    });
  }
};

/// Lowering is f32 only until quantization lands: reject anything else with
/// an error on the op.
LogicalResult checkF32Only(ModuleOp module) {
  WalkResult result = module.walk([](Operation *op) {
    if (op->getDialect() == nullptr ||
        op->getDialect()->getNamespace() != TfmDialect::getDialectNamespace())
      return WalkResult::advance();
    for (Type type : op->getResultTypes()) {
      auto tensorType = dyn_cast<RankedTensorType>(type);
      Type element = tensorType ? tensorType.getElementType() : Type();
      // The KV cache may store f16 or i8; it is converted on the way in
      // and out.
      if (isa<KVCacheType>(type))
        continue;
      if (element && !element.isF32() && !isa<QuantType>(element)) {
        op->emitOpError() << "has element type " << element
                          << "; the CPU lowering supports f32 only (widen "
                             "f16/bf16 weights when compiling)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Quantized blocks are only read by linear layers (directly or through
/// the arguments of a layer function).
LogicalResult checkQuantizedUses(ModuleOp module) {
  WalkResult result = module.walk([](ParamOp param) {
    if (!quantTypeOf(param.getResult()))
      return WalkResult::advance();
    for (Operation *user : param->getUsers())
      if (!isa<LinearOp, LogitsOp, func::CallOp>(user)) {
        param.emitOpError("quantized weight used by '")
            << user->getName()
            << "': only tfm.linear and tfm.logits read quantized weights";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// `weight` is only ever the weight operand of a linear layer or logits.
bool isOnlyMatmulWeight(Value weight) {
  return !weight.use_empty() &&
         llvm::all_of(weight.getUses(), isMatmulWeightUse);
}

/// Linear weights that reach a function as arguments (the layer functions
/// of tfm-outline-layers) take the panel layout like params do: the argument
/// is re-typed and every call passes the packed param. Arguments some call
/// feeds with a computed tensor keep the row-major layout.
void packWeightArguments(ModuleOp module, int64_t panel) {
  if (panel <= 0)
    return;
  SymbolTableCollection symbolTables;
  SymbolUserMap symbolUsers(symbolTables, module);
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    ArrayRef<Operation *> users = symbolUsers.getUsers(func);
    if (users.empty() || !llvm::all_of(users, [](Operation *user) {
          return isa<func::CallOp>(user);
        }))
      continue;
    for (BlockArgument argument : func.getArguments()) {
      unsigned index = argument.getArgNumber();
      if (!isOnlyMatmulWeight(argument) ||
          !llvm::all_of(users, [&](Operation *call) {
            return call->getOperand(index).getDefiningOp<ParamOp>();
          }))
        continue;
      for (Operation *call : users) {
        OpBuilder builder(call);
        call->setOperand(index,
                         weightOperand(builder, call->getOperand(index), panel));
      }
      argument.setType(users.front()->getOperand(index).getType());
    }
    func.setType(FunctionType::get(module.getContext(),
                                   func.front().getArgumentTypes(),
                                   func.getResultTypes()));
  }
}

/// Marks KV-cache arguments of the entry points so tfm-lower-entry-points
/// can update them in place.
void markKVCacheArguments(ModuleOp module) {
  module.walk([](func::FuncOp func) {
    if (func.isPrivate())
      return;
    for (auto [index, type] : llvm::enumerate(func.getArgumentTypes()))
      if (isa<KVCacheType>(type))
        func.setArgAttr(index, kKVCacheArgAttrName,
                        UnitAttr::get(func.getContext()));
  });
}

struct ConvertTfmToLinalgPass
    : public tfm::impl::ConvertTfmToLinalgBase<ConvertTfmToLinalgPass> {
  using ConvertTfmToLinalgBase::ConvertTfmToLinalgBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    if (kvSplits < 1) {
      module.emitError("kv-splits must be positive, got ")
          << static_cast<int64_t>(kvSplits);
      return signalPassFailure();
    }
    if (failed(checkF32Only(module)) || failed(checkQuantizedUses(module)))
      return signalPassFailure();
    markKVCacheArguments(module);
    packWeightArguments(module, weightPanel);

    KVCacheTypeConverter typeConverter;
    RewritePatternSet patterns(context);
    patterns.add<EmbeddingLowering, RMSNormLowering, LayerNormLowering,
                 LastTokenLowering, RoPELowering, SinusoidalPositionLowering,
                 LearnedPositionLowering, KVCacheAppendLowering,
                 KVCacheAttentionLowering, AttentionLowering,
                 ActivationLowering, GatedActivationLowering, AddLowering,
                 SoftmaxLowering, QuantizedParamLowering>(typeConverter,
                                                          context);
    patterns.add<MatmulLowering<LinearOp>, MatmulLowering<LogitsOp>>(
        typeConverter, context, weightPanel);
    if (flashAttention)
      patterns.add<FlashAttentionLowering>(typeConverter, context, kvSplits);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(
        patterns, typeConverter);
    populateReturnOpTypeConversionPattern(patterns, typeConverter);
    populateCallOpTypeConversionPattern(patterns, typeConverter);

    ConversionTarget target(*context);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.addIllegalDialect<TfmDialect>();
    target.addDynamicallyLegalOp<ParamOp>(
        [](ParamOp op) { return !quantTypeOf(op.getResult()); });
    target.addLegalDialect<bufferization::BufferizationDialect,
                           memref::MemRefDialect>();
    target.addLegalOp<QuantizedMatmulOp, FlashAttentionOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp func) {
      return typeConverter.isSignatureLegal(func.getFunctionType()) &&
             typeConverter.isLegal(&func.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return typeConverter.isLegal(op); });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
