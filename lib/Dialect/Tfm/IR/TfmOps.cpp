//===- TfmOps.cpp - tfm dialect operations --------------------------------===//
//
// Verifiers check what ODS constraints cannot: shapes that must agree between
// operands, head arithmetic of attention and the KV cache, and attribute
// ranges. Dynamic dimensions are accepted wherever a static one is expected;
// they are checked at run time.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Model/RelativePosition.h"
#include "tfm/Runtime/tfm_kernels.h"

#include "llvm/Support/CheckedArithmetic.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {

RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Two dimensions conflict only when both are static and different.
bool dimsConflict(int64_t lhs, int64_t rhs) {
  return !ShapedType::isDynamic(lhs) && !ShapedType::isDynamic(rhs) &&
         lhs != rhs;
}

std::string formatDim(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
}

LogicalResult verifyRank(Operation *op, StringRef name, Value value,
                         int64_t rank) {
  RankedTensorType type = tensorTypeOf(value);
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << name << " must have rank " << rank << ", got "
                           << type;
}

/// Checks `actual` against `expected`, naming both in the message.
LogicalResult verifyDim(Operation *op, const Twine &what, int64_t actual,
                        const Twine &expectedWhat, int64_t expected) {
  if (!dimsConflict(actual, expected))
    return success();
  return op->emitOpError() << what << " (" << formatDim(actual)
                           << ") must equal " << expectedWhat << " ("
                           << formatDim(expected) << ")";
}

LogicalResult verifyPositive(Operation *op, StringRef name, double value) {
  if (value > 0.0)
    return success();
  return op->emitOpError() << name << " must be positive, got " << value;
}

LogicalResult verifyNonNegative(Operation *op, StringRef name, double value) {
  if (value >= 0.0)
    return success();
  return op->emitOpError() << name << " must be non-negative, got " << value;
}

/// `[seq, features]` activation in, the same shape out with one element type.
LogicalResult verifyRowwiseResult(Operation *op, Value input, Value result) {
  RankedTensorType inputType = tensorTypeOf(input);
  RankedTensorType resultType = tensorTypeOf(result);
  if (inputType.getElementType() != resultType.getElementType())
    return op->emitOpError() << "result element type "
                             << resultType.getElementType()
                             << " must match input element type "
                             << inputType.getElementType();
  return success();
}

/// A per-feature vector (norm scale or bias) of length `features`.
LogicalResult verifyFeatureVector(Operation *op, StringRef name, Value vector,
                                  int64_t features) {
  if (failed(verifyRank(op, name, vector, 1)))
    return failure();
  return verifyDim(op, Twine(name) + " length", tensorTypeOf(vector).getDimSize(0),
                   "input features", features);
}

LogicalResult verifyHeadsDivide(Operation *op, int64_t numHeads,
                                int64_t numKvHeads) {
  if (numHeads % numKvHeads == 0)
    return success();
  return op->emitOpError() << "num_heads (" << numHeads
                           << ") must be a multiple of num_kv_heads ("
                           << numKvHeads << ")";
}

/// A KV-cache op names its layer by a constant or by an `index` value, not
/// both; a constant must be a layer of the cache.
LogicalResult verifyLayerIndex(Operation *op, std::optional<uint64_t> layer,
                               Value dynamicLayer, KVCacheType cache) {
  if (layer.has_value() == static_cast<bool>(dynamicLayer))
    return op->emitOpError(
        "needs exactly one of a constant layer and an index operand");
  if (!layer || cache.isPool() ||
      static_cast<int64_t>(*layer) < cache.getLayers())
    return success();
  return op->emitOpError() << "layer " << *layer
                           << " is out of range for a cache of "
                           << cache.getLayers() << " layers";
}

} // namespace

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

/// Interleaved rows come in whole groups, for each of the `parts` (gate
/// and up of a gated weight) on its own.
static LogicalResult verifyInterleavedRows(Operation *op, QuantType quant,
                                           int64_t rows, int64_t parts) {
  int64_t group = quant.getRowsPerGroup();
  if (group == 1 || ShapedType::isDynamic(rows) || (rows / parts) % group == 0)
    return success();
  return op->emitOpError() << "weight of " << quant << " needs a multiple of "
                           << group << " output rows"
                           << (parts > 1 ? " in each half" : "") << ", got "
                           << rows / parts;
}

/// A quantized weight's rows must be whole blocks (and whole groups of
/// interleaved rows).
static LogicalResult verifyQuantizedRows(Operation *op,
                                         RankedTensorType weightType,
                                         int64_t rowsPerFeature = 1) {
  auto quant = dyn_cast<QuantType>(weightType.getElementType());
  if (!quant || weightType.getRank() != 2)
    return success();
  int64_t inFeatures = weightType.getDimSize(1);
  if (quant.getRowBytes(inFeatures) < 0)
    return op->emitOpError()
           << "weight in-features (" << inFeatures
           << ") must be a multiple of the " << quant << " block of "
           << quant.getBlockElements();
  return verifyInterleavedRows(op, quant, weightType.getDimSize(0),
                               rowsPerFeature);
}

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError("name must not be empty");
  RankedTensorType type = getResult().getType();
  if (!type.hasStaticShape())
    return emitOpError() << "weight type must have a static shape, got "
                         << type;
  if (type.getRank() < 1 || type.getRank() > 4)
    return emitOpError() << "weight rank must be between 1 and 4, got "
                         << type.getRank();
  if (isa<QuantType>(type.getElementType()) && type.getRank() != 2)
    return emitOpError() << "quantized weight must be a matrix [out, in], got "
                         << type;
  if (std::optional<ArrayAttr> parts = getParts()) {
    // One part: a copy of one tensor under its own key (column-scaled, or
    // stored in the format of its matmul uses).
    if (parts->empty())
      return emitOpError() << "parts must name at least 1 tensor, got 0";
    // Rows of matrices stack, packed panels ([out / P, in, P]) and bias
    // vectors too.
    for (Attribute part : *parts)
      if (cast<StringAttr>(part).getValue().empty())
        return emitOpError("part names must not be empty");
  }
  if (std::optional<StringRef> scale = getColumnScale()) {
    if (scale->empty())
      return emitOpError("column_scale must name a tensor");
    if (type.getRank() < 2)
      return emitOpError() << "a weight with a column_scale must have "
                              "columns, got "
                           << type;
    if (isa<QuantType>(type.getElementType()))
      return emitOpError("a quantized weight cannot take a column_scale: its "
                         "blocks would have to be quantized again");
  }
  if (std::optional<ArrayRef<int64_t>> pool = getPoolHeads()) {
    if (pool->size() != 2 || (*pool)[0] < 2 || (*pool)[1] < 1)
      return emitOpError("pool_heads must be [group >= 2, head_dim >= 1]");
    if (!getParts() || getParts()->size() != 1)
      return emitOpError("pool_heads needs the one tensor it pools in parts");
    // Packed panels ([out / P, in, P], after tfm-lower-matmul-panels) no
    // longer show the rows.
    if (type.getRank() <= 2 && type.getDimSize(0) % (*pool)[1] != 0)
      return emitOpError() << "pooled rows " << type.getDimSize(0)
                           << " are not whole heads of " << (*pool)[1];
  }
  return verifyQuantizedRows(*this, type);
}

//===----------------------------------------------------------------------===//
// Embeddings and position encodings
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  if (failed(verifyRank(*this, "table", getTable(), 2)) ||
      failed(verifyRank(*this, "result", getResult(), 2)))
    return failure();
  RankedTensorType table = getTable().getType();
  RankedTensorType result = getResult().getType();
  if (failed(verifyDim(*this, "result rows", result.getDimSize(0),
                       "number of tokens", getTokens().getType().getDimSize(0))))
    return failure();
  if (FloatAttr scale = getScaleAttr())
    if (failed(verifyPositive(*this, "scale", scale.getValueAsDouble())))
      return failure();
  return verifyDim(*this, "result features", result.getDimSize(1),
                   "table embedding size", table.getDimSize(1));
}

LogicalResult RoPEOp::verify() {
  if (failed(verifyRank(*this, "input", getInput(), 2)))
    return failure();
  int64_t features = getInput().getType().getDimSize(1);
  int64_t headDim = getHeadDim();
  int64_t rotaryDim = getRotaryDim();
  if (!ShapedType::isDynamic(features) && features % headDim != 0)
    return emitOpError() << "input features (" << features
                         << ") must be a multiple of head_dim (" << headDim
                         << ")";
  if (rotaryDim % 2 != 0)
    return emitOpError() << "rotary_dim (" << rotaryDim << ") must be even";
  if (rotaryDim > headDim)
    return emitOpError() << "rotary_dim (" << rotaryDim
                         << ") must not exceed head_dim (" << headDim << ")";
  if (failed(verifyRopeFrequencies([&] { return emitOpError(); },
                                   getFrequenciesAttr(), rotaryDim)))
    return failure();
  return verifyPositive(*this, "theta", getTheta().convertToDouble());
}

LogicalResult SinusoidalPositionOp::verify() {
  if (failed(verifyRank(*this, "input", getInput(), 2)))
    return failure();
  int64_t features = getInput().getType().getDimSize(1);
  if (!ShapedType::isDynamic(features) && features % 2 != 0)
    return emitOpError() << "input features (" << features
                         << ") must be even";
  return verifyPositive(*this, "base", getBase().convertToDouble());
}

LogicalResult RelativePositionBiasOp::verify() {
  if (failed(verifyRank(*this, "table", getTable(), 2)) ||
      failed(verifyRank(*this, "result", getResult(), 3)))
    return failure();
  int64_t buckets = getTable().getType().getDimSize(0);
  // The exact buckets are half of one direction's: at least one of them.
  int64_t minimum = getBidirectional() ? 4 : 2;
  if (!ShapedType::isDynamic(buckets) &&
      (buckets < minimum || (getBidirectional() && buckets % 2 != 0)))
    return emitOpError() << "table of " << buckets << " buckets: "
                         << (getBidirectional() ? "bidirectional" : "causal")
                         << " buckets must be "
                         << (getBidirectional() ? "even and " : "")
                         << "at least " << minimum;
  return verifyDim(*this, "result heads",
                   getResult().getType().getDimSize(0), "table heads",
                   getTable().getType().getDimSize(1));
}

int64_t RelativePositionBiasOp::getBucket(int64_t relative) {
  return relativePositionBucket(relative, getTable().getType().getDimSize(0),
                                getBidirectional(), getMaxDistance());
}

LogicalResult LearnedPositionOp::verify() {
  if (failed(verifyRank(*this, "input", getInput(), 2)) ||
      failed(verifyRank(*this, "table", getTable(), 2)))
    return failure();
  return verifyDim(*this, "table embedding size",
                   getTable().getType().getDimSize(1), "input features",
                   getInput().getType().getDimSize(1));
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  if (failed(verifyRank(*this, "input", getInput(), 2)))
    return failure();
  if (failed(verifyRank(*this, "weight", getWeight(), 1)))
    return failure();
  int64_t features = getInput().getType().getDimSize(1);
  int64_t group = getGroupSize();
  if (!ShapedType::isDynamic(features) && !ShapedType::isDynamic(group) &&
      (group == 0 || features % group != 0))
    return emitOpError("weight of ")
           << group << " elements must divide the " << features
           << " input features (one weight per feature or per group)";
  return verifyNonNegative(*this, "eps", getEps().convertToDouble());
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyRank(*this, "input", getInput(), 2)))
    return failure();
  int64_t features = getInput().getType().getDimSize(1);
  if (failed(verifyFeatureVector(*this, "weight", getWeight(), features)))
    return failure();
  if (getBias() &&
      failed(verifyFeatureVector(*this, "bias", getBias(), features)))
    return failure();
  return verifyNonNegative(*this, "eps", getEps().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Linear layers and logits
//===----------------------------------------------------------------------===//

/// Shared by linear and logits: `[seq, in] x [out, in]^T -> [seq, out]`.
static LogicalResult verifyMatmulShapes(Operation *op, Value input,
                                        Value weight, Value result,
                                        int64_t weightRowsPerFeature = 1) {
  if (failed(verifyRank(op, "input", input, 2)) ||
      failed(verifyRank(op, "weight", weight, 2)) ||
      failed(verifyRank(op, "result", result, 2)) ||
      failed(verifyRowwiseResult(op, input, result)))
    return failure();
  RankedTensorType inputType = tensorTypeOf(input);
  RankedTensorType weightType = tensorTypeOf(weight);
  RankedTensorType resultType = tensorTypeOf(result);
  if (failed(verifyDim(op, "weight in-features", weightType.getDimSize(1),
                       "input features", inputType.getDimSize(1))) ||
      failed(verifyDim(op, "result rows", resultType.getDimSize(0),
                       "input rows", inputType.getDimSize(0))))
    return failure();
  int64_t weightRows = weightType.getDimSize(0);
  if (weightRowsPerFeature == 2 && !ShapedType::isDynamic(weightRows) &&
      weightRows % 2 != 0)
    return op->emitOpError() << "gated weight needs an even number of rows "
                                "(gate, then up), got "
                             << weightRows;
  if (failed(verifyDim(op, "result features", resultType.getDimSize(1),
                       weightRowsPerFeature == 2 ? "half the gated weight rows"
                                                 : "weight out-features",
                       ShapedType::isDynamic(weightRows)
                           ? weightRows
                           : weightRows / weightRowsPerFeature)))
    return failure();
  return verifyQuantizedRows(op, weightType, weightRowsPerFeature);
}

/// An RMSNorm prologue: a weight of the input's features and an epsilon,
/// both or neither.
/// `unitScale`: the op may normalize without a weight (norm_eps alone).
static LogicalResult verifyNormPrologue(Operation *op, Value normWeight,
                                        std::optional<APFloat> eps,
                                        int64_t inFeatures, bool unitScale) {
  if (!unitScale && bool(normWeight) != eps.has_value())
    return op->emitOpError("needs both an rms_norm weight and norm_eps, or "
                           "neither");
  if (normWeight && !eps)
    return op->emitOpError("an rms_norm weight needs norm_eps");
  if (eps && !(eps->convertToDouble() > 0.0))
    return op->emitOpError("norm_eps must be positive");
  if (!normWeight)
    return success();
  auto type = cast<ShapedType>(normWeight.getType());
  if (type.getRank() != 1 || type.getDimSize(0) != inFeatures)
    return op->emitOpError() << "rms_norm weight must be [" << inFeatures
                             << "] (the input features), got " << type;
  return success();
}

/// The norm prologue of a tfm.linear or tfm.logits: with a weight, or
/// without one when its scale is folded into float weights (the quantized
/// kernels normalize with a weight).
static LogicalResult verifyMatmulNormPrologue(Operation *op, Value normWeight,
                                              std::optional<APFloat> eps,
                                              TypedValue<RankedTensorType> input,
                                              TypedValue<RankedTensorType> weight) {
  if (failed(verifyNormPrologue(op, normWeight, eps,
                                input.getType().getDimSize(1),
                                /*unitScale=*/true)))
    return failure();
  if (eps && !normWeight && isa<QuantType>(weight.getType().getElementType()))
    return op->emitOpError("a norm prologue without an rms_norm weight (a "
                           "scale folded into the weight) needs float "
                           "weights");
  return success();
}

LogicalResult LinearOp::verify() {
  if (failed(verifyMatmulShapes(*this, getInput(), getWeight(), getResult(),
                                getGated() ? 2 : 1)))
    return failure();
  if (getGated() && (getBias() || getResidual()))
    return emitOpError("a gated linear layer takes no bias or residual");
  if (getActivation() && (getGated() || getResidual()))
    return emitOpError(
        "a linear layer with an activation takes no residual or gating");
  if (failed(verifyMatmulNormPrologue(*this, getNormWeight(), getNormEps(),
                                      getInput(), getWeight())))
    return failure();
  if (getResidual() && getResidual().getType() != getResult().getType())
    return emitOpError() << "residual type " << getResidual().getType()
                         << " differs from the result type "
                         << getResult().getType();
  if (!getBias())
    return success();
  if (failed(verifyRank(*this, "bias", getBias(), 1)))
    return failure();
  return verifyDim(*this, "bias length", getBias().getType().getDimSize(0),
                   "weight out-features", getWeight().getType().getDimSize(0));
}

ParamOp mlir::tfm::splitMatmulUses(ParamOp param) {
  SmallVector<OpOperand *> matmulUses;
  bool otherUses = false;
  for (OpOperand &use : param->getUses()) {
    if (isMatmulWeightUse(use))
      matmulUses.push_back(&use);
    else
      otherUses = true;
  }
  if (matmulUses.empty() || !otherUses || param.getParts() ||
      param.getColumnScale() || param.getPoolHeads())
    return {};
  OpBuilder b(param);
  auto copy = ParamOp::create(
      b, param.getLoc(), param.getType(),
      b.getStringAttr(param.getName() + kMatmulCopySuffix),
      b.getArrayAttr({param.getNameAttr()}), /*column_scale=*/nullptr,
      /*pool_heads=*/nullptr);
  for (OpOperand *use : matmulUses)
    use->set(copy.getResult());
  return copy;
}

bool mlir::tfm::isMatmulWeightUse(OpOperand &use) {
  Operation *owner = use.getOwner();
  if (auto linear = dyn_cast<LinearOp>(owner))
    return &use == &linear.getWeightMutable();
  if (auto logits = dyn_cast<LogitsOp>(owner))
    return &use == &logits.getWeightMutable();
  return false;
}

LogicalResult LogitsOp::verify() {
  if (failed(verifyMatmulShapes(*this, getInput(), getWeight(), getResult())))
    return failure();
  return verifyMatmulNormPrologue(*this, getNormWeight(), getNormEps(),
                                  getInput(), getWeight());
}

LogicalResult LastTokenOp::verify() {
  if (failed(verifyRank(*this, "input", getInput(), 2)) ||
      failed(verifyRank(*this, "result", getResult(), 2)) ||
      failed(verifyRowwiseResult(*this, getInput(), getResult())))
    return failure();
  RankedTensorType result = getResult().getType();
  if (result.getDimSize(0) != 1)
    return emitOpError() << "result must have exactly one row, got " << result;
  return verifyDim(*this, "result features", result.getDimSize(1),
                   "input features", getInput().getType().getDimSize(1));
}

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

/// Query features must be `num_heads * head_dim` and the result must have the
/// query's type.
static LogicalResult verifyQueryHeads(Operation *op, Value query, Value result,
                                      int64_t numHeads, int64_t headDim) {
  if (failed(verifyRank(op, "query", query, 2)))
    return failure();
  if (query.getType() != result.getType())
    return op->emitOpError() << "result type " << result.getType()
                             << " must match query type " << query.getType();
  return verifyDim(op, "query features", tensorTypeOf(query).getDimSize(1),
                   "num_heads * head_dim", numHeads * headDim);
}

/// Keys and values: `[seq, kv_heads * head_dim]`, with one sequence length.
static LogicalResult verifyKeysValues(Operation *op, Value key, Value value,
                                      int64_t kvFeatures) {
  if (failed(verifyRank(op, "key", key, 2)) ||
      failed(verifyRank(op, "value", value, 2)))
    return failure();
  RankedTensorType keyType = tensorTypeOf(key);
  RankedTensorType valueType = tensorTypeOf(value);
  if (failed(verifyDim(op, "key features", keyType.getDimSize(1),
                       "num_kv_heads * head_dim", kvFeatures)) ||
      failed(verifyDim(op, "value features", valueType.getDimSize(1),
                       "num_kv_heads * head_dim", kvFeatures)))
    return failure();
  return verifyDim(op, "value rows", valueType.getDimSize(0), "key rows",
                   keyType.getDimSize(0));
}

/// A score bias `[num_heads, queries, keys]`.
static LogicalResult verifyScoreBias(Operation *op, Value bias,
                                     int64_t numHeads, int64_t queries,
                                     int64_t keys) {
  if (!bias)
    return success();
  if (failed(verifyRank(op, "bias", bias, 3)))
    return failure();
  ArrayRef<int64_t> shape = tensorTypeOf(bias).getShape();
  if (failed(verifyDim(op, "bias heads", shape[0], "num_heads", numHeads)) ||
      failed(verifyDim(op, "bias rows", shape[1], "query rows", queries)))
    return failure();
  return verifyDim(op, "bias columns", shape[2], "keys", keys);
}

LogicalResult AttentionOp::verify() {
  int64_t numHeads = getNumHeads();
  int64_t numKvHeads = getNumKvHeads();
  int64_t headDim = getHeadDim();
  if (failed(verifyHeadsDivide(*this, numHeads, numKvHeads)) ||
      failed(verifyQueryHeads(*this, getQuery(), getResult(), numHeads,
                              headDim)) ||
      failed(verifyKeysValues(*this, getKey(), getValue(),
                              numKvHeads * headDim)) ||
      failed(verifyPositive(*this, "scale", getScale().convertToDouble())) ||
      failed(verifyScoreBias(*this, getBias(), numHeads,
                             getQuery().getType().getDimSize(0),
                             getKey().getType().getDimSize(0))))
    return failure();
  if (getMask() == MaskKind::full)
    return verifyDim(*this, "key rows", getKey().getType().getDimSize(0),
                     "query rows with a full (self-attention) mask",
                     getQuery().getType().getDimSize(0));
  return success();
}

/// A per-head RMSNorm fused into an attention op (`name`: key_norm or
/// query_norm): a `[head_dim]` weight and norm_eps together, as the
/// tfm.rms_norm it replaces.
static LogicalResult verifyHeadNorm(Operation *op, StringRef name,
                                    Value weight, FloatAttr eps,
                                    int64_t headDim) {
  if (bool(weight) != bool(eps))
    return op->emitOpError() << "needs " << name
                             << " and norm_eps together, or neither";
  if (!weight)
    return success();
  auto type = cast<ShapedType>(weight.getType());
  if (type.getRank() != 1 || dimsConflict(type.getDimSize(0), headDim) ||
      type.isDynamicDim(0))
    return op->emitOpError() << name << " must be [head_dim] = [" << headDim
                             << "], got " << type;
  return verifyNonNegative(op, "norm_eps", eps.getValueAsDouble());
}

/// A rope fused into a KV-cache op rotates whole heads of the cache.
static LogicalResult verifyFusedRope(Operation *op, RopeAttr rope,
                                     KVCacheType cache) {
  if (!rope || rope.getRotaryDim() == cache.getHeadDim())
    return success();
  return op->emitOpError() << "fused rope must rotate the whole head: "
                           << "rotary_dim " << rope.getRotaryDim()
                           << " vs head_dim " << cache.getHeadDim();
}

LogicalResult KVCacheAppendOp::verify() {
  KVCacheType cache = getCache().getType();
  if (failed(verifyLayerIndex(*this, getLayer(), getDynamicLayer(), cache)))
    return failure();
  if (failed(verifyKeysValues(*this, getKey(), getValue(),
                              cache.getKVFeatures())) ||
      failed(verifyHeadNorm(*this, "key_norm", getKeyNorm(), getNormEpsAttr(),
                            cache.getHeadDim())))
    return failure();
  return verifyFusedRope(*this, getRopeAttr(), cache);
}

LogicalResult KVCacheAttentionOp::verify() {
  KVCacheType cache = getCache().getType();
  int64_t numHeads = getNumHeads();
  if (failed(verifyLayerIndex(*this, getLayer(), getDynamicLayer(), cache)) ||
      failed(verifyHeadsDivide(*this, numHeads, cache.getKvHeads())) ||
      failed(verifyQueryHeads(*this, getQuery(), getResult(), numHeads,
                              cache.getHeadDim())) ||
      failed(verifyFusedRope(*this, getRopeAttr(), cache)) ||
      failed(verifyHeadNorm(*this, "query_norm", getQueryNorm(),
                            getNormEpsAttr(), cache.getHeadDim())))
    return failure();
  if (FloatAttr cap = getSoftCapAttr())
    if (failed(verifyPositive(*this, "soft_cap", cap.getValueAsDouble())))
      return failure();
  // Cross-attention keys are an encoder's, at no position of the query.
  if (getKeyCount() && (getRopeAttr() || getWindowAttr()))
    return emitOpError("attends over an encoder's keys (`keys`): no rope or "
                       "window applies");
  if (failed(verifyScoreBias(*this, getBias(), numHeads,
                             getQuery().getType().getDimSize(0),
                             ShapedType::kDynamic)) ||
      failed(verifyRingWindow()))
    return failure();
  return verifyPositive(*this, "scale", getScale().convertToDouble());
}

LogicalResult KVCacheAttentionOp::verifyRingWindow() {
  KVCacheType cache = getCache().getType();
  if (!cache.getRing())
    return success();
  // A ring keeps the last rows only: what a window shows and no more.
  std::optional<uint64_t> window = getWindow();
  if (!window)
    return emitOpError("reads a ring cache, which keeps only recent "
                       "positions: it needs a sliding window");
  if (int64_t(*window) > cache.getContextLength())
    return emitOpError() << "window " << *window << " exceeds the "
                         << cache.getContextLength()
                         << " rows of its ring cache";
  if (getKeyCount() || getBias())
    return emitOpError("reads a ring cache: no encoder keys or position "
                       "bias apply");
  return success();
}

//===----------------------------------------------------------------------===//
// Element-wise and row-wise math
//===----------------------------------------------------------------------===//

LogicalResult SoftCapOp::verify() {
  return verifyPositive(*this, "cap", getCap().convertToDouble());
}

LogicalResult SoftmaxOp::verify() {
  RankedTensorType type = getInput().getType();
  if (type.getRank() >= 1)
    return success();
  return emitOpError() << "input must have rank at least 1, got " << type;
}

//===----------------------------------------------------------------------===//
// Custom directives
//===----------------------------------------------------------------------===//

/// `[3]` or `[%layer]`: the layer of a KV-cache op.
static ParseResult
parseLayerIndex(OpAsmParser &parser,
                std::optional<OpAsmParser::UnresolvedOperand> &dynamicLayer,
                IntegerAttr &layer) {
  OpAsmParser::UnresolvedOperand operand;
  OptionalParseResult parsedOperand = parser.parseOptionalOperand(operand);
  if (parsedOperand.has_value()) {
    if (failed(*parsedOperand))
      return failure();
    dynamicLayer = operand;
    return success();
  }
  int64_t value;
  if (parser.parseInteger(value))
    return failure();
  layer = parser.getBuilder().getI64IntegerAttr(value);
  return success();
}

static void printLayerIndex(OpAsmPrinter &printer, Operation *,
                            Value dynamicLayer, IntegerAttr layer) {
  if (dynamicLayer)
    printer << dynamicLayer;
  else
    printer << layer.getInt();
}

#define GET_OP_CLASSES
//===----------------------------------------------------------------------===//
// Kernel-level ops
//===----------------------------------------------------------------------===//

LogicalResult QuantizedMatmulOp::verify() {
  MemRefType input = getInput().getType();
  MemRefType weight = getWeight().getType();
  MemRefType output = getOutput().getType();
  auto sameDim = [&](int64_t a, int64_t b, StringRef what) -> LogicalResult {
    if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b)
      return success();
    return emitOpError() << what << " (" << a << " vs " << b << ")";
  };
  // A gated product reads a gate row and an up row per output feature.
  int64_t rowsPerFeature = getGated() ? 2 : 1;
  if (getGated() && getAccumulate())
    return emitOpError("a gated product cannot accumulate into its output");
  if (failed(sameDim(input.getDimSize(0), output.getDimSize(0),
                     "input and output rows differ")) ||
      failed(sameDim(weight.getDimSize(0),
                     ShapedType::isDynamic(output.getDimSize(1))
                         ? ShapedType::kDynamic
                         : rowsPerFeature * output.getDimSize(1),
                     getGated() ? "weight rows and twice the output features "
                                  "differ"
                                : "weight rows and output features differ")))
    return failure();
  int64_t inFeatures = input.getDimSize(1);
  if (ShapedType::isDynamic(inFeatures) ||
      ShapedType::isDynamic(weight.getDimSize(1)))
    return emitOpError("input features and weight row bytes must be static");
  int64_t rowBytes = getQuantType().getRowBytes(inFeatures);
  if (rowBytes < 0)
    return emitOpError() << "input features (" << inFeatures
                         << ") must be a multiple of the " << getFormat()
                         << " block of " << getQuantType().getBlockElements();
  if (failed(sameDim(weight.getDimSize(1), rowBytes,
                     "weight row bytes do not match the format")) ||
      failed(verifyInterleavedRows(*this, getQuantType(), weight.getDimSize(0),
                                   rowsPerFeature)))
    return failure();
  if (failed(verifyNormPrologue(*this, getNormWeight(), getNormEps(),
                                inFeatures, /*unitScale=*/false)))
    return failure();
  int64_t scratchBytes = getScratch().getType().getDimSize(0);
  int64_t tokens = input.getDimSize(0);
  if (ShapedType::isDynamic(scratchBytes) || ShapedType::isDynamic(tokens))
    return success();
  std::optional<int64_t> needed = llvm::checkedMul(
      tokens, int64_t(tfm_quantized_activation_row_bytes(
                  getQuantType().getKernelFormat(), inFeatures)));
  if (!needed)
    return emitOpError() << "the quantized input of " << tokens
                         << " tokens does not fit in 64 bits";
  if (scratchBytes < *needed)
    return emitOpError() << "scratch holds " << scratchBytes
                         << " bytes, the quantized input needs " << *needed;
  return success();
}

int64_t FlashAttentionOp::getHeadDim() {
  MemRefType keys = getKeys().getType();
  int64_t row = keys.getDimSize(2);
  if (ShapedType::isDynamic(row))
    return ShapedType::kDynamic;
  // q8 rows end with their 4-byte scale.
  return keys.getElementType().isInteger(8) ? row - 4 : row;
}

LogicalResult FlashAttentionOp::verifyQueryRope(MemRefType query,
                                                int64_t headDim) {
  if (bool(getRopeAttr()) != bool(getRopeCos()) ||
      bool(getRopeCos()) != bool(getRopeSin()))
    return emitOpError("needs the rope attribute and both its cos and sin "
                       "tables, or none of them");
  RopeAttr rope = getRopeAttr();
  if (!rope)
    return success();
  if (rope.getRotaryDim() != headDim)
    return emitOpError() << "rope must rotate the whole head: rotary_dim "
                         << rope.getRotaryDim() << " vs head_dim " << headDim;
  if (headDim > TFM_ATTENTION_MAX_ROPE_HEAD_DIM)
    return emitOpError() << "rotates query heads of at most "
                         << TFM_ATTENTION_MAX_ROPE_HEAD_DIM
                         << " elements, got " << headDim;
  for (Value table : {getRopeCos(), getRopeSin()}) {
    auto type = cast<MemRefType>(table.getType());
    if (type.getDimSize(1) != headDim / 2 ||
        failed(mlir::verifyCompatibleDims(
            {type.getDimSize(0), query.getDimSize(0)})))
      return emitOpError() << "rope tables must be [seq, head_dim / 2] = ["
                           << query.getDimSize(0) << ", " << headDim / 2
                           << "], got " << type;
  }
  return success();
}

LogicalResult FlashAttentionOp::verify() {
  MemRefType query = getQuery().getType();
  MemRefType keys = getKeys().getType();
  MemRefType output = getOutput().getType();
  if (keys.getShape() != getValues().getType().getShape() ||
      keys.getElementType() != getValues().getType().getElementType())
    return emitOpError() << "keys " << keys << " and values "
                         << getValues().getType() << " differ";
  int64_t headDim = getHeadDim();
  if (ShapedType::isDynamic(headDim) || headDim <= 0)
    return emitOpError() << "key rows must have a static size"
                         << (keys.getElementType().isInteger(8)
                                 ? " of head_dim + 4 bytes"
                                 : "")
                         << ", got " << keys;
  int64_t kvHeads = keys.getDimSize(0);
  int64_t numHeads = getNumHeads();
  if (ShapedType::isDynamic(kvHeads) || numHeads % kvHeads != 0)
    return emitOpError() << "num_heads (" << numHeads
                         << ") must be a multiple of the static kv heads of "
                         << keys;
  if (query.getDimSize(1) != numHeads * headDim)
    return emitOpError() << "query features must be num_heads x head_dim ("
                         << numHeads * headDim << "), got " << query;
  if (failed(mlir::verifyCompatibleShape(query, output)))
    return emitOpError() << "output " << output << " does not match query "
                         << query;
  if (failed(verifyQueryRope(query, headDim)) ||
      failed(verifyHeadNorm(*this, "query_norm", getQueryNorm(),
                            getNormEpsAttr(), headDim)))
    return failure();
  if (getQueryNorm() && headDim > TFM_ATTENTION_MAX_ROPE_HEAD_DIM)
    return emitOpError() << "normalizes query heads of at most "
                         << TFM_ATTENTION_MAX_ROPE_HEAD_DIM
                         << " elements, got " << headDim;
  if (FloatAttr cap = getSoftCapAttr())
    if (failed(verifyPositive(*this, "soft_cap", cap.getValueAsDouble())))
      return failure();
  if (bool(getPositionBias()) != bool(getBiasQueryStart()) ||
      bool(getPositionBias()) != bool(getMaxDistanceAttr()))
    return emitOpError("needs a position bias, its query start and "
                       "max_distance together, or none of them");
  if (MemRefType bias = getPositionBias() ? getPositionBias().getType()
                                          : MemRefType()) {
    int64_t distances = 2 * int64_t(*getMaxDistance()) + 1;
    if (dimsConflict(bias.getDimSize(0), numHeads) ||
        dimsConflict(bias.getDimSize(1), distances))
      return emitOpError() << "position bias must be [num_heads, 2 * "
                              "max_distance + 1] = ["
                           << numHeads << ", " << distances << "], got "
                           << bias;
  }
  if (getRingTokens() && (!getWindow() || getPositionBias()))
    return emitOpError("reads a ring cache (`ring`): it needs a sliding "
                       "window and no position bias");
  bool split = getKvSplits() > 1;
  if (split != bool(getPartials()))
    return emitOpError() << "needs a partials buffer exactly when kv_splits > 1"
                         << " (kv_splits = " << getKvSplits() << ")";
  if (!split)
    return success();
  int64_t have = getPartials().getType().getDimSize(0);
  int64_t seq = query.getDimSize(0);
  if (ShapedType::isDynamic(have) || ShapedType::isDynamic(seq))
    return success();
  int64_t needed = getKvSplits() * seq * numHeads * (headDim + 2);
  if (have < needed)
    return emitOpError() << "partials hold " << have << " floats, "
                         << getKvSplits() << " splits need " << needed;
  return success();
}

#include "tfm/Dialect/Tfm/IR/TfmOps.cpp.inc"
