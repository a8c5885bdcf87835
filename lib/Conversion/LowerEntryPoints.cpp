//===- LowerEntryPoints.cpp - buffer ABI for model functions --------------===//
//
// The runtime calls model functions through their C interface with buffers
// it owns: the mapped weights file, the token ids, the KV cache and the
// logits. This pass fixes that ABI while the body is still on tensors, so
// one-shot bufferization afterwards only has to respect `to_tensor` and
// `materialize_in_destination` at the boundary.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERENTRYPOINTS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Tensors in the weights file start at multiples of this (a cache line and
/// an AVX-512 vector).
constexpr int64_t kWeightAlignment = 64;

/// One tensor of the weights file: a param name in one layout (type and,
/// for quantized blocks, format) and where its values come from (parts,
/// column scale, pooled heads).
using WeightKey = std::tuple<StringAttr, Type, Attribute, ArrayAttr,
                             StringAttr, Attribute>;

WeightKey weightKeyOf(ParamOp param) {
  return {param.getNameAttr(), param.getType(),
          param->getAttr(kQuantFormatAttrName), param.getPartsAttr(),
          param.getColumnScaleAttr(), param.getPoolHeadsAttr()};
}

/// Byte offsets of every distinct weight, in order of first use.
struct WeightsLayout {
  llvm::MapVector<WeightKey, int64_t> offsets;
  int64_t size = 0;

  int64_t place(ParamOp param) {
    auto [it, inserted] = offsets.insert({weightKeyOf(param), 0});
    if (inserted) {
      auto type = cast<RankedTensorType>(param.getType());
      it->second = llvm::alignTo(size, kWeightAlignment);
      size = it->second +
             type.getNumElements() * type.getElementTypeBitWidth() / 8;
    }
    return it->second;
  }
};

MemRefType bufferTypeOf(RankedTensorType type) {
  return MemRefType::get(type.getShape(), type.getElementType());
}

/// Replaces every `tfm.param` of `func` by a view into `weights`; params
/// with one name and type share one view.
void bindParams(func::FuncOp func, Value weights, WeightsLayout &layout) {
  OpBuilder builder(func.getContext());
  builder.setInsertionPointToStart(&func.front());
  llvm::DenseMap<WeightKey, Value> views;
  SmallVector<ParamOp> params;
  func.walk([&](ParamOp param) { params.push_back(param); });
  for (ParamOp param : params) {
    // Params left unused by the lowering (a weight re-declared in another
    // layout) must not take space in the file.
    if (param->use_empty()) {
      param.erase();
      continue;
    }
    Value &view = views[weightKeyOf(param)];
    if (!view) {
      Location loc = param.getLoc();
      auto type = cast<RankedTensorType>(param.getType());
      Value offset =
          arith::ConstantIndexOp::create(builder, loc, layout.place(param));
      Value buffer = memref::ViewOp::create(builder, loc, bufferTypeOf(type),
                                            weights, offset, ValueRange{});
      view = bufferization::ToTensorOp::create(builder, loc, type, buffer,
                                               /*restrict=*/true,
                                               /*writable=*/false);
    }
    param.replaceAllUsesWith(view);
    param.erase();
  }
}

/// Index of the KV-cache argument a result of `type` writes back to, if
/// any: the first of that type not in `taken` (a decoder whose sliding
/// layers keep a ring returns both caches, in argument order, and both
/// may have the same tensor type).
std::optional<unsigned> inPlaceArgument(func::FuncOp func, Type type,
                                        llvm::SmallDenseSet<unsigned> &taken) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, kKVCacheArgAttrName) &&
        func.getArgument(i).getType() == type && taken.insert(i).second)
      return i;
  return std::nullopt;
}

/// Static, or dynamic in the first dimension only in a function whose
/// results have a row per token (the runtime sizes those buffers).
bool hasRuntimeSizedShape(func::FuncOp func, RankedTensorType type) {
  if (type.hasStaticShape())
    return true;
  return func->hasAttr(kRowsPerTokenAttrName) && type.getRank() >= 1 &&
         llvm::all_of(type.getShape().drop_front(),
                      [](int64_t size) { return !ShapedType::isDynamic(size); });
}

LogicalResult lowerFunction(func::FuncOp func, WeightsLayout &layout) {
  MLIRContext *context = func.getContext();
  Location loc = func.getLoc();
  if (!func.getBody().hasOneBlock())
    return func.emitOpError("model functions must have a single block");
  Block &entry = func.front();
  auto returnOp = cast<func::ReturnOp>(entry.getTerminator());

  // Results: the KV cache goes back into its argument, others into new
  // trailing output buffers.
  SmallVector<std::pair<Value, std::optional<unsigned>>> results;
  llvm::SmallDenseSet<unsigned> cachesWritten;
  for (Value result : returnOp.getOperands()) {
    if (!isa<RankedTensorType>(result.getType()))
      return func.emitOpError("returns a non-tensor value of type ")
             << result.getType();
    std::optional<unsigned> inPlace =
        inPlaceArgument(func, result.getType(), cachesWritten);
    // The runtime owns output buffers of a fixed size: a result that could
    // be larger (prefill logits of every position) would overrun it.
    if (!inPlace && !hasRuntimeSizedShape(
                        func, cast<RankedTensorType>(result.getType())))
      return func.emitOpError("returns ")
             << result.getType()
             << ", a dynamic shape the runtime's fixed output buffers cannot "
                "hold";
    results.push_back({result, inPlace});
  }

  // Tensor arguments become buffers read through `to_tensor`.
  OpBuilder builder(context);
  builder.setInsertionPointToStart(&entry);
  SmallVector<Value> tensorArguments;
  for (BlockArgument argument : entry.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type)
      continue;
    argument.setType(bufferTypeOf(type));
    bool isCache = func.getArgAttr(argument.getArgNumber(), kKVCacheArgAttrName) != nullptr;
    auto asTensor = bufferization::ToTensorOp::create(
        builder, loc, type, argument, /*restrict=*/true, /*writable=*/isCache);
    argument.replaceAllUsesExcept(asTensor, asTensor);
  }

  // Outputs.
  builder.setInsertionPoint(returnOp);
  for (auto [value, inPlace] : results) {
    // A cache returned untouched (a model whose layers all keep a ring
    // leaves the other cache, of no layers, as it came) is in place.
    if (inPlace && value == func.getArgument(*inPlace))
      continue;
    Value destination;
    if (inPlace) {
      destination = func.getArgument(*inPlace);
    } else {
      auto type = bufferTypeOf(cast<RankedTensorType>(value.getType()));
      destination = entry.addArgument(type, loc);
    }
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange{}, value, destination, /*restrict=*/true,
        /*writable=*/true);
  }
  func::ReturnOp::create(builder, loc);
  returnOp.erase();

  // The weights come first.
  auto weightsType =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(context, 8));
  SmallVector<DictionaryAttr> argumentAttrs;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    argumentAttrs.push_back(func.getArgAttrDict(i));
  Value weights = entry.insertArgument(0u, weightsType, loc);
  argumentAttrs.insert(argumentAttrs.begin(), DictionaryAttr());
  argumentAttrs.resize(entry.getNumArguments());
  func.setType(FunctionType::get(context, entry.getArgumentTypes(), {}));
  func.setAllArgAttrs(llvm::map_to_vector(argumentAttrs, [&](DictionaryAttr a) {
    return a ? a : DictionaryAttr::get(context);
  }));
  func.removeResAttrsAttr();
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(context));
  bindParams(func, weights, layout);
  return success();
}

/// Records the layout of the weights file on the module.
void recordLayout(ModuleOp module, const WeightsLayout &layout) {
  Builder builder(module.getContext());
  SmallVector<Attribute> entries;
  for (auto &[key, offset] : layout.offsets) {
    auto [name, tensorType, format, parts, columnScale, poolHeads] = key;
    auto type = cast<RankedTensorType>(tensorType);
    NamedAttrList fields;
    fields.append("name", name);
    if (parts)
      fields.append("parts", parts);
    if (columnScale)
      fields.append("column_scale", columnScale);
    if (poolHeads)
      fields.append("pool_heads", poolHeads);
    if (format)
      fields.append("format", format);
    fields.append("offset", builder.getI64IntegerAttr(offset));
    fields.append("shape", builder.getDenseI64ArrayAttr(type.getShape()));
    int64_t panel = type.getRank() == 3 ? type.getDimSize(2) : 0;
    if (format) {
      // Quantized rows: the shape is [out, row bytes]; keep the logical
      // shape for the weights writer.
      fields.set("row_bytes", builder.getI64IntegerAttr(type.getDimSize(1)));
    }
    fields.append("panel", builder.getI64IntegerAttr(panel));
    entries.push_back(fields.getDictionary(module.getContext()));
  }
  module->setAttr("tfm.weights", builder.getArrayAttr(entries));
  module->setAttr("tfm.weights_size", builder.getI64IntegerAttr(layout.size));
}

struct TfmLowerEntryPointsPass
    : public tfm::impl::TfmLowerEntryPointsBase<TfmLowerEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    WeightsLayout layout;
    for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      // Private functions (the layer functions of tfm-outline-layers) are
      // internal: bufferization gives them buffer signatures.
      if (func.isExternal() || func.isPrivate())
        continue;
      if (failed(lowerFunction(func, layout)))
        return signalPassFailure();
    }
    recordLayout(module, layout);
  }
};

} // namespace
