//===- OutlineLayers.cpp - one function for the repeated layers -----------===//
//
// Everything downstream of the tfm dialect costs time per op: the lowering,
// bufferization, LLVM's optimizer and instruction selection. A model
// function spells out each of its layers, so a 24-layer model is compiled
// 24 times over. This pass moves one layer into a private function and
// calls it per layer, so the rest of the compiler sees one layer.
//
// Soundness does not rest on the heuristic that finds the layers: a layer
// is outlined only if it is a contiguous run of ops isomorphic to the first
// layer, with the same data flow. Anything else stays inline.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMOUTLINELAYERS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Layer of a weight from its name, `blk.<N>.<tensor>`; none for global
/// weights (embeddings, final norm, output).
std::optional<int64_t> layerOfWeight(StringRef name) {
  if (!name.consume_front("blk."))
    return std::nullopt;
  int64_t layer;
  if (name.consumeInteger(10, layer) || !name.starts_with("."))
    return std::nullopt;
  return layer;
}

bool isKVCacheOp(Operation *op) {
  return isa<KVCacheAppendOp, KVCacheAttentionOp>(op);
}

/// The constant KV-cache layer of `op`, if it has one.
std::optional<int64_t> constantCacheLayer(Operation *op) {
  if (auto append = dyn_cast<KVCacheAppendOp>(op))
    return append.getLayer();
  if (auto attention = dyn_cast<KVCacheAttentionOp>(op))
    return attention.getLayer();
  return std::nullopt;
}

/// Params have no operands and no side effects: moving them to the top
/// leaves each layer a contiguous run of computing ops.
void hoistParams(Block &block) {
  SmallVector<ParamOp> params(block.getOps<ParamOp>());
  for (ParamOp param : llvm::reverse(params))
    param->moveBefore(&block, block.begin());
}

/// The layer of every op computed from layer weights, by data flow: the
/// latest layer whose weights it depends on. Ops after the layers that read
/// global weights (final norm, logits), and everything they feed, are the
/// tail and belong to no layer.
llvm::MapVector<int64_t, SmallVector<Operation *>> findLayers(Block &block) {
  llvm::DenseMap<Operation *, int64_t> layerOf;
  llvm::DenseSet<Operation *> tail;
  llvm::MapVector<int64_t, SmallVector<Operation *>> layers;
  for (Operation &op : block.without_terminator()) {
    if (auto param = dyn_cast<ParamOp>(op)) {
      layerOf[&op] = layerOfWeight(param.getName()).value_or(-1);
      continue;
    }
    int64_t layer = -1;
    bool readsGlobalWeight = false, inTail = false;
    for (Value operand : op.getOperands()) {
      Operation *producer = operand.getDefiningOp();
      if (!producer)
        continue;
      layer = std::max(layer, layerOf.lookup(producer));
      inTail |= tail.contains(producer);
      if (auto param = dyn_cast<ParamOp>(producer))
        readsGlobalWeight |= !layerOfWeight(param.getName());
    }
    layerOf[&op] = layer;
    if (inTail || (readsGlobalWeight && layer >= 0)) {
      tail.insert(&op);
      continue;
    }
    if (layer >= 0)
      layers[layer].push_back(&op);
  }
  return layers;
}

/// One layer's ops with their interface: values read from outside in order
/// of first use, and results used outside.
struct LayerRegion {
  int64_t layer = 0;
  SmallVector<Operation *> ops;
  llvm::SetVector<Value> inputs;
  llvm::DenseMap<Operation *, unsigned> position;

  bool contains(Operation *op) const { return position.contains(op); }

  /// Whether `user` is one of the ops or nested in one (a loop's body).
  bool containsUser(Operation *user) const {
    for (; user; user = user->getParentOp())
      if (contains(user))
        return true;
    return false;
  }

  bool isOutput(Value value) const {
    return llvm::any_of(value.getUsers(),
                        [&](Operation *user) { return !containsUser(user); });
  }
};

LayerRegion describeLayer(int64_t layer, ArrayRef<Operation *> ops) {
  LayerRegion region;
  region.layer = layer;
  region.ops.assign(ops.begin(), ops.end());
  for (auto [index, op] : llvm::enumerate(ops))
    region.position[op] = index;
  for (Operation *op : ops) {
    // Values a loop's body reads from outside the loop are inputs too.
    llvm::SetVector<Value> readInside;
    getUsedValuesDefinedAbove(op->getRegions(), readInside);
    for (Value operand :
         llvm::concat<Value>(op->getOperands(), readInside.getArrayRef())) {
      Operation *producer = operand.getDefiningOp();
      if (!producer || !region.contains(producer))
        region.inputs.insert(operand);
    }
  }
  // Activations, positions and the cache first, then the weights: the layer
  // function reads like `layer(hidden, pos, cache, weights...)`.
  SmallVector<Value> inputs = region.inputs.takeVector();
  for (bool weights : {false, true})
    for (Value input : inputs)
      if (static_cast<bool>(input.getDefiningOp<ParamOp>()) == weights)
        region.inputs.insert(input);
  return region;
}

/// The ops of `region` form one run of the block.
bool isContiguous(const LayerRegion &region) {
  Operation *op = region.ops.front();
  for (Operation *expected : region.ops) {
    if (op != expected)
      return false;
    op = op->getNextNode();
  }
  return true;
}

/// The attributes that must agree between layers: all but the KV-cache
/// layer.
DictionaryAttr comparableAttributes(Operation *op) {
  NamedAttrList attributes(op->getAttrDictionary());
  if (isKVCacheOp(op))
    attributes.erase("layer");
  return attributes.getDictionary(op->getContext());
}

/// How an operand is produced, in terms that do not depend on the layer:
/// the n-th input of the region or result r of the op at position p.
std::pair<int64_t, int64_t> operandSource(const LayerRegion &region,
                                          Value operand) {
  Operation *producer = operand.getDefiningOp();
  if (producer && region.contains(producer))
    return {region.position.lookup(producer),
            cast<OpResult>(operand).getResultNumber()};
  ArrayRef<Value> inputs = region.inputs.getArrayRef();
  return {-1, llvm::find(inputs, operand) - inputs.begin()};
}

/// `b` (with regions: an encoder's per-text attention loop) computes in
/// `candidate` what `a` computes in `pattern`: the same ops nested alike,
/// values from outside them produced alike.
bool isLikeWithRegions(const LayerRegion &pattern, Operation *a,
                       const LayerRegion &candidate, Operation *b) {
  llvm::DenseMap<Value, Value> inside;
  auto checkEquivalent = [&](Value x, Value y) -> LogicalResult {
    if (Value mapped = inside.lookup(x))
      return success(mapped == y);
    return success(operandSource(pattern, x) == operandSource(candidate, y));
  };
  auto markEquivalent = [&](Value x, Value y) { inside[x] = y; };
  return OperationEquivalence::isEquivalentTo(
      a, b, checkEquivalent, markEquivalent,
      OperationEquivalence::IgnoreLocations);
}

/// `candidate` computes what `pattern` computes, from its own inputs.
bool isLike(const LayerRegion &pattern, const LayerRegion &candidate) {
  if (pattern.ops.size() != candidate.ops.size() ||
      pattern.inputs.size() != candidate.inputs.size())
    return false;
  for (auto [a, b] : llvm::zip(pattern.inputs, candidate.inputs))
    if (a.getType() != b.getType())
      return false;
  std::optional<int64_t> cacheLayer;
  for (auto [a, b] : llvm::zip(pattern.ops, candidate.ops)) {
    if (a->getNumRegions() != 0 || b->getNumRegions() != 0) {
      if (isKVCacheOp(a) || !isLikeWithRegions(pattern, a, candidate, b))
        return false;
      continue;
    }
    if (a->getName() != b->getName() ||
        a->getResultTypes() != b->getResultTypes() ||
        a->getNumOperands() != b->getNumOperands() ||
        comparableAttributes(a) != comparableAttributes(b))
      return false;
    for (auto [x, y] : llvm::zip(a->getOperands(), b->getOperands()))
      if (operandSource(pattern, x) != operandSource(candidate, y))
        return false;
    // One constant cache layer per layer: it becomes the call's argument.
    if (isKVCacheOp(b)) {
      std::optional<int64_t> layer = constantCacheLayer(b);
      if (!layer || (cacheLayer && *cacheLayer != *layer))
        return false;
      cacheLayer = layer;
    }
  }
  return true;
}

std::optional<int64_t> cacheLayerOf(const LayerRegion &region) {
  for (Operation *op : region.ops)
    if (isKVCacheOp(op))
      return constantCacheLayer(op);
  return std::nullopt;
}

/// Results of the pattern layer that any of `layers` uses outside itself,
/// as (op position, result number).
SmallVector<std::pair<unsigned, unsigned>>
layerOutputs(ArrayRef<LayerRegion> layers) {
  SmallVector<std::pair<unsigned, unsigned>> outputs;
  const LayerRegion &pattern = layers.front();
  for (unsigned position = 0; position < pattern.ops.size(); ++position)
    for (unsigned result = 0; result < pattern.ops[position]->getNumResults();
         ++result)
      if (llvm::any_of(layers, [&](const LayerRegion &layer) {
            return layer.isOutput(layer.ops[position]->getResult(result));
          }))
        outputs.push_back({position, result});
  return outputs;
}

/// Copies `op` into the layer function; KV-cache ops take the layer from
/// the function's `layer` argument.
void cloneIntoLayerFunction(OpBuilder &b, Operation *op, IRMapping &mapping,
                            Value layer) {
  if (auto append = dyn_cast<KVCacheAppendOp>(op)) {
    auto clone = KVCacheAppendOp::create(
        b, append.getLoc(), append.getType(),
        mapping.lookup(append.getCache()), mapping.lookup(append.getKey()),
        mapping.lookup(append.getValue()), mapping.lookup(append.getStart()),
        layer, mapping.lookupOrNull(append.getKeyNorm()), IntegerAttr(),
        append.getRopeAttr(), append.getNormEpsAttr());
    mapping.map(append.getResult(), clone.getResult());
    return;
  }
  if (auto attention = dyn_cast<KVCacheAttentionOp>(op)) {
    auto clone = KVCacheAttentionOp::create(
        b, attention.getLoc(), attention.getType(),
        mapping.lookup(attention.getQuery()),
        mapping.lookup(attention.getCache()),
        mapping.lookup(attention.getStart()), layer,
        mapping.lookupOrNull(attention.getBias()),
        mapping.lookupOrNull(attention.getKeyCount()),
        mapping.lookupOrNull(attention.getQueryNorm()), IntegerAttr(),
        attention.getNumHeadsAttr(), attention.getScaleAttr(),
        attention.getRopeAttr(), attention.getWindowAttr(),
        attention.getSoftCapAttr(), attention.getNormEpsAttr());
    mapping.map(attention.getResult(), clone.getResult());
    return;
  }
  b.clone(*op, mapping);
}

func::FuncOp
createLayerFunction(func::FuncOp parent, const LayerRegion &pattern,
                    ArrayRef<std::pair<unsigned, unsigned>> outputs,
                    bool takesCacheLayer, SymbolTable &symbols) {
  MLIRContext *context = parent.getContext();
  SmallVector<Type> inputTypes =
      llvm::map_to_vector(pattern.inputs, [](Value v) { return v.getType(); });
  if (takesCacheLayer)
    inputTypes.push_back(IndexType::get(context));
  SmallVector<Type> outputTypes = llvm::map_to_vector(
      outputs, [&](std::pair<unsigned, unsigned> output) {
        return pattern.ops[output.first]->getResult(output.second).getType();
      });

  OpBuilder b(context);
  b.setInsertionPointAfter(parent);
  auto function = func::FuncOp::create(
      b, parent.getLoc(), (parent.getName() + "_layer").str(),
      FunctionType::get(context, inputTypes, outputTypes));
  function.setPrivate();
  symbols.insert(function);

  Block *body = function.addEntryBlock();
  b.setInsertionPointToStart(body);
  IRMapping mapping;
  for (auto [input, argument] : llvm::zip(pattern.inputs, body->getArguments()))
    mapping.map(input, argument);
  Value layer = takesCacheLayer ? body->getArguments().back() : Value();
  for (Operation *op : pattern.ops)
    cloneIntoLayerFunction(b, op, mapping, layer);
  SmallVector<Value> results = llvm::map_to_vector(
      outputs, [&](std::pair<unsigned, unsigned> output) {
        return mapping.lookup(
            pattern.ops[output.first]->getResult(output.second));
      });
  func::ReturnOp::create(b, parent.getLoc(), results);
  return function;
}

/// Replaces the ops of `layer` by a call of `function`. `replaced` maps the
/// outputs of layers already replaced (inputs of later ones) to call results.
void replaceByCall(const LayerRegion &layer, func::FuncOp function,
                   ArrayRef<std::pair<unsigned, unsigned>> outputs,
                   IRMapping &replaced) {
  Operation *first = layer.ops.front();
  OpBuilder b(first);
  SmallVector<Value> operands = llvm::map_to_vector(
      layer.inputs, [&](Value input) { return replaced.lookupOrDefault(input); });
  if (std::optional<int64_t> cacheLayer = cacheLayerOf(layer))
    operands.push_back(
        arith::ConstantIndexOp::create(b, first->getLoc(), *cacheLayer));
  auto call = func::CallOp::create(b, first->getLoc(), function, operands);
  for (auto [output, result] : llvm::zip(outputs, call.getResults())) {
    Value value = layer.ops[output.first]->getResult(output.second);
    replaced.map(value, result);
    value.replaceUsesWithIf(result, [&](OpOperand &use) {
      return !layer.contains(use.getOwner());
    });
  }
  for (Operation *op : llvm::reverse(layer.ops))
    op->erase();
}

/// Outlines the layers of `function` that are alike; returns how many.
int64_t outlineLayers(func::FuncOp function, int64_t minLayers,
                      SymbolTable &symbols) {
  if (!function.getBody().hasOneBlock())
    return 0;
  Block &block = function.front();
  hoistParams(block);
  SmallVector<LayerRegion> alike;
  for (auto &[layer, ops] : findLayers(block)) {
    LayerRegion region = describeLayer(layer, ops);
    if (!isContiguous(region))
      continue;
    if (alike.empty() || isLike(alike.front(), region))
      alike.push_back(std::move(region));
  }
  if (static_cast<int64_t>(alike.size()) < std::max<int64_t>(minLayers, 1))
    return 0;
  SmallVector<std::pair<unsigned, unsigned>> outputs = layerOutputs(alike);
  bool takesCacheLayer = cacheLayerOf(alike.front()).has_value();
  func::FuncOp layerFunction = createLayerFunction(
      function, alike.front(), outputs, takesCacheLayer, symbols);
  IRMapping replaced;
  for (const LayerRegion &layer : alike)
    replaceByCall(layer, layerFunction, outputs, replaced);
  return alike.size();
}

struct TfmOutlineLayersPass
    : public tfm::impl::TfmOutlineLayersBase<TfmOutlineLayersPass> {
  using TfmOutlineLayersBase::TfmOutlineLayersBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp function : functions)
      if (!function.isExternal())
        outlineLayers(function, minLayers, symbols);
  }
};

} // namespace
