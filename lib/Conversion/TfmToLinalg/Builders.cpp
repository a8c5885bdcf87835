//===- Builders.cpp - small builders shared by the families ---------------===//
//
// The generics, constants, reshapes and maps every lowering of
// tfm-to-linalg builds with (declared in Common.h).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

namespace mlir::tfm::tfm_to_linalg {

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

/// f32 to bf16 rounded to nearest, ties to even, in integer arithmetic:
/// x86 without AVX512-BF16 has no instruction for it, and LLVM would call
/// a runtime function (__truncsfbf2) that older libgcc lacks. Finite
/// values only, as a KV cache holds.
static Value truncateToBFloat16(OpBuilder &b, Location loc, Value value) {
  Type i32 = b.getI32Type();
  auto constant = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i32, v));
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, value);
  Value lowestKept = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, constant(16)), constant(1));
  Value bias = arith::AddIOp::create(b, loc, lowestKept, constant(0x7FFF));
  Value rounded = arith::ShRUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, bias), constant(16));
  Value half = arith::TruncIOp::create(b, loc, b.getI16Type(), rounded);
  return arith::BitcastOp::create(b, loc, b.getBF16Type(), half);
}

/// bf16 to f32: its bits are the top half of the f32's (exact).
static Value extendBFloat16(OpBuilder &b, Location loc, Value value) {
  Value half = arith::BitcastOp::create(b, loc, b.getI16Type(), value);
  Value bits = arith::ExtUIOp::create(b, loc, b.getI32Type(), half);
  Value shifted = arith::ShLIOp::create(
      b, loc, bits,
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(16)));
  return arith::BitcastOp::create(b, loc, b.getF32Type(), shifted);
}

/// Converts f32 to the cache's element type (f32, f16, bf16).
Value toCacheElement(OpBuilder &b, Location loc, Value value, Type element) {
  if (element.isF32())
    return value;
  if (element.isBF16())
    return truncateToBFloat16(b, loc, value);
  return arith::TruncFOp::create(b, loc, element, value);
}

/// Converts a cached element back to f32.
Value fromCacheElement(OpBuilder &b, Location loc, Value value) {
  Type type = value.getType();
  if (type.isF32())
    return value;
  if (type.isInteger(8))
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), value);
  if (type.isBF16())
    return extendBFloat16(b, loc, value);
  return arith::ExtFOp::create(b, loc, b.getF32Type(), value);
}

/// The !tfm.quant element type of a weight, if it is quantized.
QuantType quantTypeOf(Value weight) {
  return dyn_cast<QuantType>(
      cast<ShapedType>(weight.getType()).getElementType());
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



} // namespace mlir::tfm::tfm_to_linalg
