//===- FuseSiblingLinears.cpp - one linear layer for linears of one input -===//
//
// Attention projects one normalized input three times (Q, K, V) and a SwiGLU
// FFN twice (gate, up). Each linear layer is a pass over the input and a
// parallel loop of its own; for a decoded token those loops are tens of
// microseconds long, so their start and join costs, and the activation
// quantization of quantized layers, are paid three and two times per layer.
// The pass stacks the weights of linears that share their input into one
// `tfm.param ... parts [...]` and computes one linear layer, whose columns
// the original results are slices of.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSESIBLINGLINEARS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// A plain named weight of `rank` (no parts, no column scale).
ParamOp plainParam(Value value, int64_t rank) {
  auto param = value.getDefiningOp<ParamOp>();
  if (!param || param.getParts() || param.getColumnScale() ||
      param.getType().getRank() != rank)
    return {};
  return param;
}

/// The weight of `linear` if it can be stacked with others: a plain named
/// matrix, a plain named bias vector or none (the biases stack as the
/// weights do, Qwen 2's Q/K/V biases), and no other epilogue.
ParamOp stackableWeight(LinearOp linear) {
  if (linear.getResidual() || linear.getNormWeight() || linear.getGated() ||
      linear.getActivation())
    return {};
  if (linear.getBias() && !plainParam(linear.getBias(), 1))
    return {};
  return plainParam(linear.getWeight(), 2);
}

/// Linears can share one stacked weight if their weights have the same
/// element type, in-features and attributes (storage notes), their results
/// the same type but for the columns, and all or none have a bias.
using SiblingKey =
    std::tuple<Type, int64_t, DictionaryAttr, Type, int64_t, int64_t>;

SiblingKey siblingKeyOf(LinearOp linear, ParamOp weight) {
  RankedTensorType weightType = weight.getType();
  auto resultType = cast<RankedTensorType>(linear.getResult().getType());
  return {weightType.getElementType(), weightType.getDimSize(1),
          weight->getDiscardableAttrDictionary(), resultType.getElementType(),
          resultType.getDimSize(0), linear.getBias() ? 1 : 0};
}

/// A readable key for the stacked tensor: the names' common prefix and
/// suffix around their differing middles, `blk.0.attn_q+attn_k+attn_v.weight`.
std::string stackedName(ArrayRef<StringRef> names) {
  StringRef first = names.front();
  size_t prefix = first.size(), suffix = first.size();
  for (StringRef name : names.drop_front()) {
    size_t common = 0;
    while (common < std::min(prefix, name.size()) &&
           first[common] == name[common])
      ++common;
    prefix = common;
    size_t tail = 0;
    while (tail < std::min(suffix, name.size()) &&
           first[first.size() - 1 - tail] == name[name.size() - 1 - tail])
      ++tail;
    suffix = tail;
  }
  // Cut at dots so that whole name components differ.
  prefix = first.substr(0, prefix).rfind('.') + 1; // npos + 1 == 0
  size_t dot = first.substr(first.size() - suffix).find('.');
  suffix = dot == StringRef::npos ? 0 : suffix - dot;
  std::string result = first.substr(0, prefix).str();
  for (auto [i, name] : llvm::enumerate(names)) {
    if (i)
      result += '+';
    result += name.drop_front(prefix).drop_back(suffix).str();
  }
  return result + first.take_back(suffix).str();
}

/// One param of `params` stacked along their rows, with the first one's
/// attributes.
ParamOp stackParams(OpBuilder &b, Location loc, SmallVector<ParamOp> params) {
  SmallVector<StringRef> names;
  SmallVector<Attribute> parts;
  int64_t rows = 0;
  for (ParamOp param : params) {
    names.push_back(param.getName());
    parts.push_back(param.getNameAttr());
    rows += param.getType().getDimSize(0);
  }
  RankedTensorType type = params.front().getType();
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = rows;
  auto stacked = ParamOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()),
      b.getStringAttr(stackedName(names)), b.getArrayAttr(parts),
      /*column_scale=*/nullptr, /*pool_heads=*/nullptr);
  for (NamedAttribute attr : params.front()->getDiscardableAttrs())
    stacked->setAttr(attr.getName(), attr.getValue());
  return stacked;
}

/// Replaces `linears` (same input, compatible weights, in block order) by
/// one linear over their stacked weights and column slices of its result.
void fuseSiblings(ArrayRef<LinearOp> linears) {
  LinearOp first = linears.front();
  OpBuilder b(first);
  Location loc = b.getFusedLoc(llvm::map_to_vector(
      linears, [](LinearOp linear) { return linear.getLoc(); }));

  SmallVector<ParamOp> weights, biases;
  for (LinearOp linear : linears) {
    weights.push_back(stackableWeight(linear));
    if (linear.getBias())
      biases.push_back(linear.getBias().getDefiningOp<ParamOp>());
  }
  ParamOp stacked = stackParams(b, loc, weights);
  ParamOp stackedBias = biases.empty() ? ParamOp() : stackParams(b, loc, biases);
  int64_t rows = stacked.getType().getDimSize(0);

  auto resultType = cast<RankedTensorType>(first.getResult().getType());
  auto fusedType = RankedTensorType::get({resultType.getDimSize(0), rows},
                                         resultType.getElementType());
  auto fused = LinearOp::create(b, loc, fusedType, first.getInput(),
                                /*norm_weight=*/Value(), stacked.getResult(),
                                stackedBias ? stackedBias.getResult() : Value(),
                                /*residual=*/Value(),
                                /*norm_eps=*/FloatAttr(),
                                /*gated=*/ActivationAttr(),
                                /*activation=*/ActivationAttr());

  OpFoldResult seq = tensor::getMixedSize(b, loc, fused.getResult(), 0);
  int64_t column = 0;
  for (LinearOp linear : linears) {
    int64_t width =
        cast<RankedTensorType>(linear.getResult().getType()).getDimSize(1);
    Value slice = tensor::ExtractSliceOp::create(
        b, linear.getLoc(), fused.getResult(),
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(column)},
        ArrayRef<OpFoldResult>{seq, b.getIndexAttr(width)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    linear.getResult().replaceAllUsesWith(slice);
    column += width;
  }
  for (LinearOp linear : linears) {
    Operation *weight = linear.getWeight().getDefiningOp();
    Operation *bias = linear.getBias() ? linear.getBias().getDefiningOp()
                                       : nullptr;
    linear.erase();
    for (Operation *param : {weight, bias})
      if (param && param->use_empty())
        param->erase();
  }
}

/// Groups of linears of `block` that read the same input with compatible
/// weights, each in block order.
SmallVector<SmallVector<LinearOp>> siblingGroups(Block &block) {
  llvm::MapVector<std::pair<Value, SiblingKey>, SmallVector<LinearOp>> groups;
  for (auto linear : block.getOps<LinearOp>())
    if (ParamOp weight = stackableWeight(linear))
      groups[{linear.getInput(), siblingKeyOf(linear, weight)}].push_back(
          linear);
  SmallVector<SmallVector<LinearOp>> result;
  for (auto &entry : groups)
    if (entry.second.size() > 1)
      result.push_back(std::move(entry.second));
  return result;
}

struct TfmFuseSiblingLinearsPass
    : tfm::impl::TfmFuseSiblingLinearsBase<TfmFuseSiblingLinearsPass> {
  void runOnOperation() override {
    getOperation().walk([](Block *block) {
      for (SmallVector<LinearOp> &group : siblingGroups(*block))
        fuseSiblings(group);
    });
  }
};

} // namespace
