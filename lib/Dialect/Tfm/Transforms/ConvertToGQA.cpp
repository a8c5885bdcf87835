//===- ConvertToGQA.cpp - mean-pool MHA's key/value heads into GQA -------===//
//---------===//
//
// A KV head's key is `rope(norm(x W_h^T + b_h))`: the projection is the
// only part with per-head weights, and everything after it treats the
// heads alike, so pooling the rows of W and b per group of heads is the
// whole conversion. The means are taken when the weights file is written
// (`tfm.param ... pool_heads`), as a folded norm scale is: the IR never
// holds weight values.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCONVERTTOGQA
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `type` with `rows` rows (the other dims kept).
RankedTensorType withRows(RankedTensorType type, int64_t rows) {
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = rows;
  return RankedTensorType::get(shape, type.getElementType());
}

/// `type` with `columns` columns: a `[seq, features]` activation.
RankedTensorType withColumns(RankedTensorType type, int64_t columns) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = columns;
  return RankedTensorType::get(shape, type.getElementType());
}

struct TfmConvertToGQAPass
    : public tfm::impl::TfmConvertToGQABase<TfmConvertToGQAPass> {
  using TfmConvertToGQABase::TfmConvertToGQABase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<KVCacheType> cache = cacheTypeOf(module);
    if (!cache)
      return; // no decoder here
    int64_t current = cache->getKvHeads();
    if (kvHeads <= 0 || current % kvHeads != 0) {
      module.emitError() << "tfm-convert-to-gqa: kv-heads="
                         << kvHeads.getValue()
                         << " does not divide the model's " << current
                         << " KV heads";
      return signalPassFailure();
    }
    if (kvHeads == current)
      return;
    group = current / kvHeads;
    headDim = cache->getHeadDim();
    // Collected first: pooling replaces params the walk would pass.
    SmallVector<KVCacheAppendOp> appends;
    module.walk([&](KVCacheAppendOp append) { appends.push_back(append); });
    for (KVCacheAppendOp append : appends)
      if (failed(poolProjection(append, append.getKey(), "key")) ||
          failed(poolProjection(append, append.getValue(), "value")))
        return signalPassFailure();
    retypeCaches(module);
    recordKvHeads(module);
  }

  /// The one KV-cache type of the module's function signatures.
  std::optional<KVCacheType> cacheTypeOf(ModuleOp module) {
    std::optional<KVCacheType> found;
    module.walk([&](FunctionOpInterface func) {
      for (Type type : func.getArgumentTypes())
        if (auto cache = dyn_cast<KVCacheType>(type))
          found = cache;
    });
    return found;
  }

  /// A `tensor.extract_slice` of whole rows of a matrix (all its columns).
  static bool isWholeRow(Operation *op) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(op);
    if (!slice || slice.getSourceType().getRank() != 2)
      return false;
    int64_t columns = slice.getSourceType().getDimSize(1);
    return slice.getStaticSizes().back() == columns &&
           slice.getStaticOffsets().back() == 0 &&
           slice.getStaticStrides().back() == 1;
  }

  /// Pools the projection that `value` (a key or value `append` writes to
  /// the cache) comes from, and narrows the per-head ops between them.
  LogicalResult poolProjection(KVCacheAppendOp append, Value value,
                               StringRef what) {
    SmallVector<Operation *> perHead;
    Operation *op = value.getDefiningOp();
    // A batched decode step takes each token's row of the projection.
    while (op && (isa<RoPEOp, RMSNormOp>(op) || isWholeRow(op))) {
      perHead.push_back(op);
      op = op->getOperand(0).getDefiningOp();
    }
    auto linear = dyn_cast_or_null<LinearOp>(op);
    if (!linear || linear.getGated() || linear.getResidual()) {
      return append.emitError()
             << "tfm-convert-to-gqa: the " << what
             << " of a tfm.kv_cache.append does not come "
                "from a plain tfm.linear"
             << (op ? " (it comes from '" + op->getName().getStringRef().str() +
                          "')"
                    : std::string());
    }
    if (!pooled.insert(linear.getOperation()).second)
      return success();
    auto weight = linear.getWeight().getDefiningOp<ParamOp>();
    if (failed(poolParam(linear, weight, linear.getWeightMutable())))
      return failure();
    if (Value bias = linear.getBias())
      if (failed(poolParam(linear, bias.getDefiningOp<ParamOp>(),
                           linear.getBiasMutable()[0])))
        return failure();
    auto narrow = [&](Value result) {
      auto type = cast<RankedTensorType>(result.getType());
      result.setType(withColumns(type, type.getShape().back() / group));
      if (auto slice = result.getDefiningOp<tensor::ExtractSliceOp>()) {
        SmallVector<int64_t> sizes(slice.getStaticSizes());
        sizes.back() /= group;
        slice.setStaticSizes(sizes);
      }
    };
    narrow(linear.getResult());
    for (Operation *between : perHead)
      narrow(between->getResult(0));
    return success();
  }

  /// Points `operand` of `linear` at a pooled copy of `param`.
  LogicalResult poolParam(LinearOp linear, ParamOp param, OpOperand &operand) {
    if (!param || param.getParts() || param.getColumnScale() ||
        param.getPoolHeads())
      return linear.emitError("tfm-convert-to-gqa: the projection's weights "
                              "are not a plain tfm.param (run the "
                              "conversion before the fusion passes)");
    RankedTensorType type = param.getType();
    int64_t rows = type.getDimSize(0);
    if (rows % (group * headDim) != 0)
      return param.emitError() << "tfm-convert-to-gqa: " << rows
                               << " rows are not whole groups of " << group
                               << " heads of " << headDim;
    OpBuilder b(param);
    std::string name = (param.getName() + "/gqa" + llvm::Twine(kvHeads)).str();
    auto pooledParam = ParamOp::create(
        b, param.getLoc(), withRows(type, rows / group), b.getStringAttr(name),
        b.getArrayAttr({param.getNameAttr()}), /*column_scale=*/nullptr,
        b.getDenseI64ArrayAttr({group, headDim}));
    for (NamedAttribute attr : param->getDiscardableAttrs())
      pooledParam->setAttr(attr.getName(), attr.getValue());
    operand.set(pooledParam.getResult());
    if (param->use_empty())
      param->erase();
    return success();
  }

  /// Every `!tfm.kv_cache` of the module gets the new KV heads.
  void retypeCaches(ModuleOp module) {
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](KVCacheType cache) -> Type {
      return KVCacheType::get(cache.getContext(), cache.getLayers(), kvHeads,
                              cache.getContextLength(), cache.getHeadDim(),
                              cache.getElementType(), cache.getRing());
    });
    replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }

  /// The module's `tfm.config` says what the model now is.
  void recordKvHeads(ModuleOp module) {
    auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
    if (!config)
      return;
    NamedAttrList fields(config);
    fields.set("num_kv_heads",
               IntegerAttr::get(IntegerType::get(&getContext(), 64), kvHeads));
    module->setAttr("tfm.config", fields.getDictionary(&getContext()));
  }

  int64_t group = 1;
  int64_t headDim = 0;
  llvm::SmallPtrSet<Operation *, 16> pooled;
};

} // namespace
