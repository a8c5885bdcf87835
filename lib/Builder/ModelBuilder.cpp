//===- ModelBuilder.cpp - build whole transformer models in tfm IR --------===//
//
// Each architecture is a few lines of "which ops in which order": the shared
// pieces (weights by name, attention blocks, feed-forward blocks) live in
// `ModelEmitter`, one instance per function so weights are declared once in
// the function that uses them.
//
//===----------------------------------------------------------------------===//

#include "tfm/Builder/ModelBuilder.h"

#include "tfm/Dialect/Tfm/IR/TfmDialect.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"
#include "tfm/Model/RelativePosition.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

//===----------------------------------------------------------------------===//
// ModelEmitter: the building blocks shared by all architectures
//===----------------------------------------------------------------------===//

namespace {

/// A batched decode step (`decode_batch`): row `i` is one token of its own
/// context, at position `positions[i]` of cache `slots[i]` of the pool.
struct BatchRows {
  Value positions;
  Value slots;
};

/// Where a decoder's layers keep their keys and values: every layer in the
/// cache of the whole context, or, when the sliding-window layers keep a
/// ring (ModelConfig::slidingRingRows), those in the ring cache instead.
/// Each layer's index counts the layers before it in the same cache.
struct CacheLayout {
  int64_t ringRows = 0;
  int64_t fullLayers = 0;
  int64_t ringLayers = 0;
  SmallVector<bool> inRing;
  SmallVector<int64_t> index;

  static CacheLayout of(const ModelConfig &config, int64_t ubatch) {
    CacheLayout layout;
    layout.ringRows = config.slidingRingRows(ubatch);
    for (int64_t layer = 0; layer < config.numLayers; ++layer) {
      bool ring = layout.ringRows > 0 && config.isSlidingLayer(layer);
      layout.inRing.push_back(ring);
      layout.index.push_back(ring ? layout.ringLayers++ : layout.fullLayers++);
    }
    return layout;
  }
  bool hasRing() const { return ringRows > 0; }
};

/// The cache values a decoder function threads through its layers.
struct DecoderCaches {
  Value full;
  /// Null without a ring.
  Value ring;

  Value &of(const CacheLayout &layout, int64_t layer) {
    return layout.inRing[layer] ? ring : full;
  }
};

/// Emits the body of one function. Activations are f32; matrices are stored
/// in `config.weightType`; norm scales and biases stay f32 (as in GGUF).
class ModelEmitter {
public:
  ModelEmitter(ImplicitLocOpBuilder &builder, const ModelConfig &config,
               CacheLayout caches = CacheLayout())
      : b(builder), config(config), caches(std::move(caches)) {}

  Type activationType() { return b.getF32Type(); }

  Type weightElementType() {
    switch (config.weightType) {
    case StorageType::F32:
      return b.getF32Type();
    case StorageType::F16:
      return b.getF16Type();
    case StorageType::BF16:
      return b.getBF16Type();
    }
    llvm_unreachable("unknown storage type");
  }

  RankedTensorType rowsType(Value like, int64_t features) {
    int64_t rows = cast<RankedTensorType>(like.getType()).getDimSize(0);
    return RankedTensorType::get({rows, features}, activationType());
  }

  /// Declares the weight `name` once per function.
  Value param(StringRef name, ArrayRef<int64_t> shape, Type elementType) {
    auto it = params.find(name);
    if (it != params.end())
      return it->second;
    auto type = RankedTensorType::get(shape, elementType);
    Value value = ParamOp::create(b, type, name, ArrayAttr(),
                                  /*column_scale=*/StringAttr(),
                                  /*pool_heads=*/DenseI64ArrayAttr());
    params[name] = value;
    return value;
  }

  Value matrix(StringRef name, int64_t rows, int64_t cols) {
    return param(name, {rows, cols}, weightElementType());
  }

  Value vector(StringRef name, int64_t size) {
    return param(name, {size}, b.getF32Type());
  }

  Value embed(Value tokens) {
    Value table = matrix("token_embd.weight", config.vocabSize, config.dim);
    // Gemma multiplies the embeddings by sqrt(dim).
    FloatAttr scale =
        config.layer.scaleEmbeddings
            ? b.getF64FloatAttr(std::sqrt(double(config.dim)))
            : FloatAttr();
    return EmbeddingOp::create(b, rowsType(tokens, config.dim), table, tokens,
                               scale);
  }

  Value norm(NormKind kind, Value input, StringRef prefix, bool withBias) {
    Value weight = vector((prefix + ".weight").str(), config.dim);
    llvm::APFloat eps(config.normEps);
    if (kind == NormKind::RMSNorm)
      return RMSNormOp::create(b, input.getType(), input, weight, eps);
    Value bias = withBias ? vector((prefix + ".bias").str(), config.dim)
                          : Value();
    return LayerNormOp::create(b, input.getType(), input, weight, bias, eps);
  }

  /// RMSNorm of each head of `input` with the `[head_dim]` weight `name`.
  Value headNorm(Value input, StringRef name) {
    Value weight = vector(name, config.headDim());
    return RMSNormOp::create(b, input.getType(), input, weight,
                             llvm::APFloat(config.normEps));
  }

  Value linear(Value input, StringRef prefix, int64_t outFeatures,
               bool withBias) {
    int64_t inFeatures =
        cast<RankedTensorType>(input.getType()).getDimSize(1);
    Value weight = matrix((prefix + ".weight").str(), outFeatures, inFeatures);
    Value bias =
        withBias ? vector((prefix + ".bias").str(), outFeatures) : Value();
    return LinearOp::create(b, rowsType(input, outFeatures), input,
                            /*norm_weight=*/Value(), weight, bias,
                            /*residual=*/Value(), /*norm_eps=*/FloatAttr(),
                            /*gated=*/ActivationAttr(),
                            /*activation=*/ActivationAttr());
  }

  Value logits(Value hidden) {
    Value weight = config.tiedEmbeddings
                       ? matrix("token_embd.weight", config.vocabSize,
                                config.dim)
                       : matrix("output.weight", config.vocabSize, config.dim);
    Value logits = LogitsOp::create(b, rowsType(hidden, config.vocabSize),
                                    hidden, /*norm_weight=*/Value(), weight,
                                    /*norm_eps=*/FloatAttr());
    if (config.finalLogitSoftCap > 0.0)
      logits = SoftCapOp::create(b, logits.getType(), logits,
                                 llvm::APFloat(config.finalLogitSoftCap));
    return logits;
  }

  Value add(Value lhs, Value rhs) { return AddOp::create(b, lhs.getType(), lhs, rhs); }

  /// RoPE of `layer`: the model's (scaled) frequencies, or a sliding
  /// layer's own base.
  Value rope(Value input, Value start, int64_t layer) {
    int64_t headDim = config.headDim();
    int64_t rotaryDim = config.rotaryDims();
    RopePairing pairing = config.layer.ropeInterleaved
                              ? RopePairing::interleaved
                              : RopePairing::half_split;
    bool local = config.hasLocalRope(layer);
    DenseF64ArrayAttr frequencies =
        config.activeRopeFrequencies().empty() || local
            ? DenseF64ArrayAttr()
            : b.getDenseF64ArrayAttr(config.activeRopeFrequencies());
    double theta = local ? config.localRopeTheta : config.ropeTheta;
    return RoPEOp::create(b, input.getType(), input, start, headDim, rotaryDim,
                          llvm::APFloat(theta), pairing, frequencies);
  }

  llvm::APFloat attentionScale() { return llvm::APFloat(config.scoreScale()); }

  int64_t queryFeatures() { return config.queryFeatures(); }
  int64_t kvFeatures() { return config.kvFeatures(); }

  /// Causal self-attention of a decoder layer through the KV cache:
  /// projects Q/K/V, rotates Q/K if the positions are RoPE, appends K/V at
  /// `start`, attends over positions `0 .. start + seq - 1` and projects
  /// the result, with the biases `config.layer` asks for.
  Value cachedSelfAttention(Value hidden, Value start, DecoderCaches &cache,
                            int64_t layer, StringRef prefix) {
    const LayerChoices &choices = config.layer;
    Value q = linear(hidden, (prefix + ".attn_q").str(), queryFeatures(),
                     choices.qkvBias);
    Value k = linear(hidden, (prefix + ".attn_k").str(), kvFeatures(),
                     choices.qkvBias);
    Value v = linear(hidden, (prefix + ".attn_v").str(), kvFeatures(),
                     choices.qkvBias);
    if (choices.qkNorm) {
      q = headNorm(q, (prefix + ".attn_q_norm.weight").str());
      k = headNorm(k, (prefix + ".attn_k_norm.weight").str());
    }
    Value &layerCache = cache.of(caches, layer);
    Value attended = batch ? attendRowByRow(q, k, v, layerCache, layer)
                           : attendInOrder(q, k, v, start, layerCache, layer);
    return linear(attended, (prefix + ".attn_output").str(), config.dim,
                  choices.outputBias);
  }

  /// RoPE (if the positions are), append at `start` and causal attention
  /// of the rows of `q`, `k`, `v`: consecutive tokens of one context.
  Value attendInOrder(Value q, Value k, Value v, Value start, Value &cache,
                      int64_t layer) {
    if (config.layer.positions == PositionKind::Rope) {
      q = rope(q, start, layer);
      k = rope(k, start, layer);
    }
    int64_t cacheLayer = caches.index[layer];
    cache = KVCacheAppendOp::create(b, cache, k, v, start, cacheLayer);
    auto attention = KVCacheAttentionOp::create(
        b, q.getType(), q, cache, start, cacheLayer, config.numHeads,
        attentionScale());
    setAttentionOptions(attention, layer);
    return attention.getResult();
  }

  /// Sliding window and soft cap of `layer`'s attention.
  void setAttentionOptions(KVCacheAttentionOp attention, int64_t layer) {
    if (config.isSlidingLayer(layer))
      attention.setWindowAttr(b.getI64IntegerAttr(config.slidingWindow));
    if (config.attentionSoftCap > 0.0)
      attention.setSoftCapAttr(b.getF64FloatAttr(config.attentionSoftCap));
  }

  /// The attention of a batched decode step: each row is the next token of
  /// its own context, so each is rotated at its own position, appended to
  /// and attends over its own cache of the pool (layer `slot * layers +
  /// layer`, counting the layers of that pool: the full caches' or the
  /// rings'), one row after the other; the projections
  /// around it see all rows at once (one pass over the weights).
  Value attendRowByRow(Value q, Value k, Value v, Value &cache,
                       int64_t layer) {
    Value zero = indexConstant(0), one = indexConstant(1);
    Value rows = tensor::DimOp::create(b, q, 0);
    int64_t queryFeatures = config.queryFeatures();
    Value init = tensor::EmptyOp::create(
        b, ArrayRef<OpFoldResult>{rows, b.getIndexAttr(queryFeatures)},
        activationType());
    auto loop = scf::ForOp::create(b, zero, rows, one, ValueRange{init, cache});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value row = loop.getInductionVar();
      Value out = loop.getRegionIterArgs()[0];
      Value pool = loop.getRegionIterArgs()[1];
      Value position = rowIndex(batch->positions, row);
      Value cacheLayer = arith::AddIOp::create(
          b,
          arith::MulIOp::create(b, rowIndex(batch->slots, row),
                                indexConstant(caches.inRing[layer]
                                                  ? caches.ringLayers
                                                  : caches.fullLayers)),
          indexConstant(caches.index[layer]));
      Value qRow = rowOf(q, row), kRow = rowOf(k, row), vRow = rowOf(v, row);
      if (config.layer.positions == PositionKind::Rope) {
        qRow = rope(qRow, position, layer);
        kRow = rope(kRow, position, layer);
      }
      pool = KVCacheAppendOp::create(b, pool.getType(), pool, kRow, vRow,
                                     position, cacheLayer, /*key_norm=*/Value(),
                                     IntegerAttr(), RopeAttr(), FloatAttr());
      auto attention = KVCacheAttentionOp::create(
          b, qRow.getType(), qRow, pool, position, cacheLayer,
          /*bias=*/Value(), /*key_count=*/Value(), /*query_norm=*/Value(),
          IntegerAttr(), b.getI64IntegerAttr(config.numHeads),
          b.getF64FloatAttr(config.scoreScale()), RopeAttr(), IntegerAttr(),
          FloatAttr(), FloatAttr());
      setAttentionOptions(attention, layer);
      out = tensor::InsertSliceOp::create(b, attention.getResult(), out,
                                          rowOffsets(row), rowSizes(out),
                                          rowStrides());
      scf::YieldOp::create(b, ValueRange{out, pool});
    }
    cache = loop.getResult(1);
    return loop.getResult(0);
  }

  /// Element `row` of the i32 vector `values` as an index.
  Value rowIndex(Value values, Value row) {
    Value element = tensor::ExtractOp::create(b, values, ValueRange{row});
    return arith::IndexCastOp::create(b, b.getIndexType(), element);
  }

  SmallVector<OpFoldResult> rowOffsets(Value row) {
    return {row, b.getIndexAttr(0)};
  }
  SmallVector<OpFoldResult> rowSizes(Value matrix) {
    return {b.getIndexAttr(1),
            b.getIndexAttr(cast<RankedTensorType>(matrix.getType()).getDimSize(1))};
  }
  SmallVector<OpFoldResult> rowStrides() {
    return {b.getIndexAttr(1), b.getIndexAttr(1)};
  }

  /// Row `row` of `matrix` as a `[1, features]` tensor.
  Value rowOf(Value matrix, Value row) {
    int64_t features = cast<RankedTensorType>(matrix.getType()).getDimSize(1);
    auto type = RankedTensorType::get({1, features}, activationType());
    return tensor::ExtractSliceOp::create(b, type, matrix, rowOffsets(row),
                                          rowSizes(matrix), rowStrides());
  }

  /// Attention without a cache: encoder self-attention (`full`) or
  /// decoder-to-encoder attention (`cross`, keys and values from `memory`).
  Value plainAttention(Value hidden, Value memory, MaskKind mask,
                       StringRef qName, StringRef kName, StringRef vName,
                       StringRef outName, bool withBias, Value bias = {}) {
    Value q = linear(hidden, qName, queryFeatures(), withBias);
    Value k = linear(memory, kName, kvFeatures(), withBias);
    Value v = linear(memory, vName, kvFeatures(), withBias);
    Value attended = AttentionOp::create(
        b, q.getType(), q, k, v, bias, config.numHeads, config.numKvHeads,
        config.headDim(), attentionScale(), mask);
    return linear(attended, outName, config.dim, withBias);
  }

  /// T5's decoder self-attention: through the KV cache as a decoder's, the
  /// relative position `bias` added to the scores, no RoPE, no biases.
  Value biasedSelfAttention(Value hidden, Value start, Value &cache,
                            int64_t layer, StringRef prefix, Value bias) {
    Value q = linear(hidden, (prefix + ".attn_q").str(), queryFeatures(), false);
    Value k = linear(hidden, (prefix + ".attn_k").str(), kvFeatures(), false);
    Value v = linear(hidden, (prefix + ".attn_v").str(), kvFeatures(), false);
    cache = KVCacheAppendOp::create(b, cache, k, v, start, layer);
    auto attention = KVCacheAttentionOp::create(
        b, q.getType(), q, cache, start, layer, config.numHeads,
        attentionScale());
    attention.getBiasMutable().assign(bias);
    return linear(attention.getResult(), (prefix + ".attn_o").str(),
                  config.dim, false);
  }

  /// Cross-attention of the decoder rows over the `sourceTokens` keys and
  /// values of cache layer `cacheLayer` (written by `encode`).
  Value crossAttention(Value hidden, Value cache, int64_t cacheLayer,
                       Value sourceTokens, StringRef prefix) {
    Value q = linear(hidden, (prefix + ".cross_attn_q").str(), queryFeatures(),
                     false);
    Value zero = indexConstant(0);
    auto attention = KVCacheAttentionOp::create(
        b, q.getType(), q, cache, zero, cacheLayer, config.numHeads,
        attentionScale());
    attention.getKeyCountMutable().assign(sourceTokens);
    return linear(attention.getResult(), (prefix + ".cross_attn_o").str(),
                  config.dim, false);
  }

  /// Rows `indices` of the f32 table `name` (`rows` x dim): learned
  /// positions and token types, gathered as the token embeddings are.
  Value tableRows(StringRef name, int64_t rows, Value indices) {
    Value table = param(name, {rows, config.dim}, weightElementType());
    return EmbeddingOp::create(b, rowsType(indices, config.dim), table,
                               indices, FloatAttr());
  }

  /// The texts of a packed batch: `textStarts` has one entry more.
  Value textCount(Value textStarts) {
    return arith::SubIOp::create(b, tensor::DimOp::create(b, textStarts, 0),
                                 indexConstant(1));
  }

  /// Bidirectional self-attention of each of the `texts` texts of a packed
  /// batch over its own rows (`textStarts`: see buildBERTEncoder). The
  /// projections see every row at once; only the attention runs text by
  /// text.
  Value packedSelfAttention(Value hidden, Value textStarts, Value texts,
                            StringRef blk) {
    Value q = linear(hidden, (blk + ".attn_q").str(), queryFeatures(), true);
    Value k = linear(hidden, (blk + ".attn_k").str(), kvFeatures(), true);
    Value v = linear(hidden, (blk + ".attn_v").str(), kvFeatures(), true);
    Value zero = indexConstant(0), one = indexConstant(1);
    Value rows = tensor::DimOp::create(b, q, 0);
    Value init = tensor::EmptyOp::create(
        b, ArrayRef<OpFoldResult>{rows, b.getIndexAttr(queryFeatures())},
        activationType());
    auto loop = scf::ForOp::create(b, zero, texts, one, ValueRange{init});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value text = loop.getInductionVar();
      Value begin = rowIndex(textStarts, text);
      Value end =
          rowIndex(textStarts, arith::AddIOp::create(b, text, one));
      Value length = arith::SubIOp::create(b, end, begin);
      auto rowsOf = [&](Value matrix) {
        int64_t features =
            cast<RankedTensorType>(matrix.getType()).getDimSize(1);
        auto type = RankedTensorType::get({ShapedType::kDynamic, features},
                                          activationType());
        return tensor::ExtractSliceOp::create(
            b, type, matrix, rowOffsets(begin),
            ArrayRef<OpFoldResult>{length, b.getIndexAttr(features)},
            rowStrides());
      };
      Value qText = rowsOf(q);
      Value attended = AttentionOp::create(
          b, qText.getType(), qText, rowsOf(k), rowsOf(v), /*bias=*/Value(),
          config.numHeads,
          config.numKvHeads, config.headDim(), attentionScale(),
          MaskKind::full);
      Value out = tensor::InsertSliceOp::create(
          b, attended, loop.getRegionIterArgs()[0], rowOffsets(begin),
          ArrayRef<OpFoldResult>{length, b.getIndexAttr(queryFeatures())},
          rowStrides());
      scf::YieldOp::create(b, out);
    }
    return linear(loop.getResult(0), (blk + ".attn_output").str(), config.dim,
                  true);
  }

  /// `down(kind(gate(x)) * up(x))`: SwiGLU with `silu`.
  Value gatedFeedForward(Value hidden, StringRef prefix, Activation kind) {
    Value gate = linear(hidden, (prefix + ".ffn_gate").str(),
                        config.hiddenDim, /*withBias=*/false);
    Value up = linear(hidden, (prefix + ".ffn_up").str(), config.hiddenDim,
                      /*withBias=*/false);
    Value gated = GatedActivationOp::create(b, gate.getType(), gate, up, kind);
    return linear(gated, (prefix + ".ffn_down").str(), config.dim,
                  /*withBias=*/false);
  }

  /// `down(kind(up(x)))`: the two-matrix FFN of GPT-2, BERT and T5.
  Value feedForward(Value hidden, StringRef prefix, Activation kind,
                    bool withBias) {
    Value up =
        linear(hidden, (prefix + ".ffn_up").str(), config.hiddenDim, withBias);
    Value activated = ActivationOp::create(b, up.getType(), up, kind);
    return linear(activated, (prefix + ".ffn_down").str(), config.dim,
                  withBias);
  }

  Value indexConstant(int64_t value) {
    return arith::ConstantIndexOp::create(b, value);
  }

  /// Names the ops of one layer in locations (`blk.3`), so diagnostics and
  /// `--mlir-print-debuginfo` point at the layer.
  void setLayerLocation(StringRef name) {
    b.setLoc(NameLoc::get(b.getStringAttr(name)));
  }

  ImplicitLocOpBuilder &b;
  const ModelConfig &config;
  /// Which cache each decoder layer uses (an empty layout: T5's one cache).
  CacheLayout caches;
  /// Set while emitting `decode_batch`.
  std::optional<BatchRows> batch;

private:
  llvm::StringMap<Value> params;
};

std::string blockName(StringRef prefix, int64_t layer) {
  return llvm::formatv("{0}blk.{1}", prefix, layer).str();
}

/// Signature pieces shared by decoders.
struct DecoderSignature {
  RankedTensorType tokens;
  RankedTensorType logits;
};

DecoderSignature decoderSignature(Builder &b, const ModelConfig &config,
                                  int64_t seq) {
  return {RankedTensorType::get({seq}, b.getI32Type()),
          RankedTensorType::get({seq, config.vocabSize}, b.getF32Type())};
}

KVCacheType kvCacheType(Builder &b, const ModelConfig &config,
                        int64_t layers, int64_t ringRows = 0) {
  Type element = b.getF32Type();
  if (config.kvCacheType == StorageType::F16)
    element = b.getF16Type();
  else if (config.kvCacheType == StorageType::BF16)
    element = b.getBF16Type();
  return KVCacheType::get(b.getContext(), layers, config.numKvHeads,
                          ringRows > 0 ? ringRows : config.contextLength,
                          config.headDim(), element, ringRows > 0);
}

/// The cache types of a decoder function: the whole context's, then the
/// ring's if the layout has one; `pool` makes them pools of caches.
SmallVector<Type, 2> decoderCacheTypes(Builder &b, const ModelConfig &config,
                                       const CacheLayout &layout,
                                       bool pool = false) {
  auto layers = [&](int64_t count) {
    return pool ? ShapedType::kDynamic : count;
  };
  SmallVector<Type, 2> types{
      kvCacheType(b, config, layers(layout.fullLayers))};
  if (layout.hasRing())
    types.push_back(kvCacheType(b, config, layers(layout.ringLayers),
                                layout.ringRows));
  return types;
}

/// The caches among `func`'s arguments from `first` on (see
/// decoderCacheTypes).
DecoderCaches decoderCaches(func::FuncOp func, unsigned first,
                            const CacheLayout &layout) {
  return {func.getArgument(first),
          layout.hasRing() ? func.getArgument(first + 1) : Value()};
}

/// Creates `name(argTypes) -> resultTypes` with an entry block and moves the
/// builder into it.
func::FuncOp beginFunction(ImplicitLocOpBuilder &b, ModuleOp module,
                           StringRef name, TypeRange argTypes,
                           TypeRange resultTypes) {
  b.setInsertionPointToEnd(module.getBody());
  auto func =
      func::FuncOp::create(b, name, b.getFunctionType(argTypes, resultTypes));
  b.setInsertionPointToStart(func.addEntryBlock());
  return func;
}

//===----------------------------------------------------------------------===//
// Architectures
//===----------------------------------------------------------------------===//

Activation activationOf(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::SiLU:
    return Activation::silu;
  case ActivationKind::GELU:
    return Activation::gelu;
  case ActivationKind::GELUTanh:
    return Activation::gelu_tanh;
  case ActivationKind::ReLU:
    return Activation::relu;
  }
  llvm_unreachable("unknown activation");
}

/// One pre-norm decoder layer as `config.layer` describes it:
///   x += post_norm?(attn(norm(x)));  x += post_norm?(ffn(norm(x)))
Value emitDecoderLayer(ModelEmitter &e, Value x, Value start,
                       DecoderCaches &cache, int64_t layer) {
  const LayerChoices &choices = e.config.layer;
  std::string blk = blockName("", layer);
  e.setLayerLocation(blk);
  Value h = e.norm(choices.norm, x, blk + ".attn_norm", choices.normBias);
  Value attended = e.cachedSelfAttention(h, start, cache, layer, blk);
  if (choices.postAttentionNorm)
    attended = e.norm(choices.norm, attended, blk + ".post_attention_norm",
                      choices.normBias);
  x = e.add(x, attended);
  h = e.norm(choices.norm, x, blk + ".ffn_norm", choices.normBias);
  Activation activation = activationOf(choices.activation);
  Value ffn = choices.feedForward == FeedForwardKind::Gated
                  ? e.gatedFeedForward(h, blk, activation)
                  : e.feedForward(h, blk, activation, choices.feedForwardBias);
  if (choices.postFeedForwardNorm)
    ffn = e.norm(choices.norm, ffn, blk + ".post_ffw_norm", choices.normBias);
  return e.add(x, ffn);
}

/// What a decoder function returns besides the cache.
enum class DecoderOutput { Logits, Hidden };

/// Embeddings (and learned positions), the layers, the final norm and the
/// logits (or the normed hidden states) of a causal decoder.
void emitDecoderBody(ModelEmitter &e, Value tokens, Value start,
                     DecoderCaches cache,
                     DecoderOutput output = DecoderOutput::Logits) {
  const LayerChoices &choices = e.config.layer;
  Value x = e.embed(tokens);
  if (choices.positions == PositionKind::Learned) {
    Value positions =
        e.param("position_embd.weight", {e.config.positionRows(), e.config.dim},
                e.weightElementType());
    x = LearnedPositionOp::create(e.b, x.getType(), x, positions, start);
  }
  for (int64_t layer = 0; layer < e.config.numLayers; ++layer)
    x = emitDecoderLayer(e, x, start, cache, layer);
  e.setLayerLocation("output");
  x = e.norm(choices.norm, x, "output_norm", choices.normBias);
  SmallVector<Value, 3> results{
      output == DecoderOutput::Logits ? e.logits(x) : x, cache.full};
  if (cache.ring)
    results.push_back(cache.ring);
  func::ReturnOp::create(e.b, results);
}

/// `args` then the cache types, and `firstResult` then the same.
std::pair<SmallVector<Type>, SmallVector<Type>>
withCaches(ArrayRef<Type> args, Type firstResult,
           ArrayRef<Type> cacheTypes) {
  SmallVector<Type> inputs(args), results{firstResult};
  inputs.append(cacheTypes.begin(), cacheTypes.end());
  results.append(cacheTypes.begin(), cacheTypes.end());
  return {inputs, results};
}

/// `embed(tokens, start, cache) -> (hidden, cache)`: a prefill whose
/// result is the final-normed hidden state of every token (what embedding
/// models built on decoders pool: the last token's, or the mean).
void buildDecoderEmbedding(ImplicitLocOpBuilder &b, ModuleOp module,
                           const ModelConfig &config,
                           const CacheLayout &layout) {
  auto tokens = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  auto hidden = RankedTensorType::get({ShapedType::kDynamic, config.dim},
                                      b.getF32Type());
  auto [inputs, results] =
      withCaches({tokens, b.getIndexType()}, hidden,
                 decoderCacheTypes(b, config, layout));
  func::FuncOp func =
      beginFunction(b, module, kEmbedFunction, inputs, results);
  func->setAttr(kRowsPerTokenAttrName, b.getUnitAttr());
  ModelEmitter emitter(b, config, layout);
  emitDecoderBody(emitter, func.getArgument(0), func.getArgument(1),
                  decoderCaches(func, 2, layout), DecoderOutput::Hidden);
}

void buildCausalDecoder(ImplicitLocOpBuilder &b, ModuleOp module,
                        const ModelConfig &config, const CacheLayout &layout,
                        StringRef name, int64_t seq) {
  DecoderSignature sig = decoderSignature(b, config, seq);
  auto [inputs, results] =
      withCaches({sig.tokens, b.getIndexType()}, sig.logits,
                 decoderCacheTypes(b, config, layout));
  func::FuncOp func = beginFunction(b, module, name, inputs, results);
  ModelEmitter emitter(b, config, layout);
  emitDecoderBody(emitter, func.getArgument(0), func.getArgument(1),
                  decoderCaches(func, 2, layout));
}

/// `decode_batch(tokens, positions, slots, pool) -> (logits, pool)`: one
/// decode step of as many contexts as tokens, token `i` at position
/// `positions[i]` of cache `slots[i]` of the pool, with a row of logits
/// each (the runtime's tfm_decode_batch). Learned positions are not
/// batched (GPT-2 keeps one context a call).
void buildBatchedDecoder(ImplicitLocOpBuilder &b, ModuleOp module,
                         const ModelConfig &config,
                         const CacheLayout &layout) {
  DecoderSignature sig = decoderSignature(b, config, ShapedType::kDynamic);
  auto [inputs, results] =
      withCaches({sig.tokens, sig.tokens, sig.tokens}, sig.logits,
                 decoderCacheTypes(b, config, layout, /*pool=*/true));
  func::FuncOp func =
      beginFunction(b, module, kDecodeBatchFunction, inputs, results);
  // Each result has a row per token: the runtime sizes them by the tokens.
  func->setAttr(kRowsPerTokenAttrName, b.getUnitAttr());
  ModelEmitter emitter(b, config, layout);
  emitter.batch = BatchRows{func.getArgument(1), func.getArgument(2)};
  emitDecoderBody(emitter, func.getArgument(0), Value(),
                  decoderCaches(func, 3, layout));
}

/// BERT's `encode(tokens, token_types, positions, text_starts) -> hidden`:
/// a batch of texts packed one after the other, text `s` being rows
/// `[text_starts[s], text_starts[s + 1])` (so `text_starts` has one entry
/// more than there are texts, the last being the row count). Token, token
/// type and learned position embeddings, layer_norm; then post-norm layers
/// x = layer_norm(x + attn(x)); x = layer_norm(x + mlp(x)), the attention
/// of each text over its own rows only: BERT's padding mask, without the
/// padding. Returns every row's final hidden state; pooling is the
/// runtime's (tfm_encode).
void buildBERTEncoder(ImplicitLocOpBuilder &b, ModuleOp module,
                      const ModelConfig &config) {
  auto ids = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  auto hidden = RankedTensorType::get({ShapedType::kDynamic, config.dim},
                                      b.getF32Type());
  func::FuncOp func = beginFunction(b, module, kEncodeFunction,
                                    {ids, ids, ids, ids}, {hidden});
  func->setAttr(kRowsPerTokenAttrName, b.getUnitAttr());
  ModelEmitter e(b, config);
  Value tokens = func.getArgument(0), tokenTypes = func.getArgument(1);
  Value positions = func.getArgument(2), textStarts = func.getArgument(3);
  Value x = e.embed(tokens);
  x = e.add(x, e.tableRows("position_embd.weight", config.positionRows(),
                           positions));
  if (config.tokenTypes > 0)
    x = e.add(x, e.tableRows("token_types.weight", config.tokenTypes,
                             tokenTypes));
  x = e.norm(NormKind::LayerNorm, x, "token_embd_norm", true);
  // Before the layers, so that each layer is one run of ops
  // (tfm-outline-layers makes them one function).
  Value texts = e.textCount(textStarts);
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    std::string blk = blockName("", layer);
    e.setLayerLocation(blk);
    Value attended = e.packedSelfAttention(x, textStarts, texts, blk);
    x = e.norm(NormKind::LayerNorm, e.add(x, attended), blk + ".attn_output_norm",
               true);
    Value mlp = e.feedForward(x, blk, activationOf(config.layer.activation),
                              /*withBias=*/true);
    x = e.norm(NormKind::LayerNorm, e.add(x, mlp), blk + ".layer_output_norm",
               true);
  }
  func::ReturnOp::create(b, x);
}

/// The KV cache of an encoder-decoder: the decoder's self-attention layers
/// 0 .. L-1, then its cross-attention layers L .. 2L-1, which `encode`
/// fills with the keys and values of the encoder's output (positions 0 ..
/// n-1) once per input; the decoder's steps only read them.
KVCacheType seq2seqCacheType(Builder &b, const ModelConfig &config) {
  return kvCacheType(b, config, 2 * config.decoderLayers());
}

/// T5's relative position bias `[heads, queries, keys]` from the first
/// layer's table `prefix.blk.0.attn_rel_b.weight` (`[buckets, heads]`),
/// computed once and shared by the layers as T5 does.
Value relativeBias(ModelEmitter &e, StringRef prefix, Value queryStart,
                   Value queryCount, int64_t staticQueries, Value keyCount,
                   bool bidirectional) {
  const ModelConfig &config = e.config;
  Value table = e.param((prefix + "blk.0.attn_rel_b.weight").str(),
                        {config.relativeBuckets, config.numHeads},
                        e.b.getF32Type());
  auto type = RankedTensorType::get(
      {config.numHeads, staticQueries, ShapedType::kDynamic}, e.b.getF32Type());
  return RelativePositionBiasOp::create(
      e.b, type, table, queryStart, queryCount, keyCount,
      bidirectional ? e.b.getUnitAttr() : UnitAttr(),
      e.b.getI64IntegerAttr(kT5MaxDistance));
}

/// T5's FFN: `down(relu(up(x)))` (v1.0) or `down(gelu(gate(x)) * up(x))`
/// (v1.1, FLAN), no biases.
Value t5FeedForward(ModelEmitter &e, Value h, StringRef blk) {
  Activation activation = activationOf(e.config.layer.activation);
  if (e.config.layer.feedForward == FeedForwardKind::Gated)
    return e.gatedFeedForward(h, blk, activation);
  return e.feedForward(h, blk, activation, /*withBias=*/false);
}

/// T5's `encode(tokens, cache) -> cache`: the encoder (pre-norm RMSNorm
/// layers, bidirectional self-attention with the relative position bias,
/// the FFN), its final norm, then each decoder layer's cross-attention keys
/// and values of that output written to the cache's cross layers.
void buildT5Encoder(ImplicitLocOpBuilder &b, ModuleOp module,
                    const ModelConfig &config) {
  auto tokens = RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  KVCacheType cacheType = seq2seqCacheType(b, config);
  func::FuncOp func = beginFunction(b, module, kEncodeFunction,
                                    {tokens, cacheType}, {cacheType});
  ModelEmitter e(b, config);
  Value cache = func.getArgument(1);
  Value x = e.embed(func.getArgument(0));
  Value zero = e.indexConstant(0);
  Value count = tensor::DimOp::create(b, x, 0);
  Value bias = relativeBias(e, "enc.", zero, count, ShapedType::kDynamic,
                            count, /*bidirectional=*/true);
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    std::string blk = blockName("enc.", layer);
    e.setLayerLocation(blk);
    Value h = e.norm(NormKind::RMSNorm, x, blk + ".attn_norm", false);
    x = e.add(x, e.plainAttention(h, h, MaskKind::full, blk + ".attn_q",
                                  blk + ".attn_k", blk + ".attn_v",
                                  blk + ".attn_o", /*withBias=*/false, bias));
    h = e.norm(NormKind::RMSNorm, x, blk + ".ffn_norm", false);
    x = e.add(x, t5FeedForward(e, h, blk));
  }
  e.setLayerLocation("enc.output");
  x = e.norm(NormKind::RMSNorm, x, "enc.output_norm", false);
  int64_t decoderLayers = config.decoderLayers();
  for (int64_t layer = 0; layer < decoderLayers; ++layer) {
    std::string blk = blockName("dec.", layer);
    e.setLayerLocation(blk + ".cross_kv");
    Value k = e.linear(x, blk + ".cross_attn_k", e.kvFeatures(), false);
    Value v = e.linear(x, blk + ".cross_attn_v", e.kvFeatures(), false);
    cache = KVCacheAppendOp::create(b, cache, k, v, zero,
                                    decoderLayers + layer);
  }
  func::ReturnOp::create(b, cache);
}

/// T5's decoder `name(tokens, start, source_tokens, cache) -> (logits,
/// cache)`: causal self-attention through the KV cache with the causal
/// relative position bias, cross-attention over the `source_tokens` keys
/// and values `encode` wrote, the FFN; the final norm and the logits.
void buildT5Decoder(ImplicitLocOpBuilder &b, ModuleOp module,
                    const ModelConfig &config, StringRef name, int64_t seq) {
  DecoderSignature sig = decoderSignature(b, config, seq);
  KVCacheType cacheType = seq2seqCacheType(b, config);
  func::FuncOp func = beginFunction(
      b, module, name,
      {sig.tokens, b.getIndexType(), b.getIndexType(), cacheType},
      {sig.logits, cacheType});
  ModelEmitter e(b, config);
  Value start = func.getArgument(1);
  Value sourceTokens = func.getArgument(2);
  Value cache = func.getArgument(3);
  Value x = e.embed(func.getArgument(0));
  Value count = tensor::DimOp::create(b, x, 0);
  Value bias = relativeBias(e, "dec.", start, count, seq,
                            arith::AddIOp::create(b, start, count),
                            /*bidirectional=*/false);
  int64_t decoderLayers = config.decoderLayers();
  for (int64_t layer = 0; layer < decoderLayers; ++layer) {
    std::string blk = blockName("dec.", layer);
    e.setLayerLocation(blk);
    Value h = e.norm(NormKind::RMSNorm, x, blk + ".attn_norm", false);
    x = e.add(x, e.biasedSelfAttention(h, start, cache, layer, blk, bias));
    h = e.norm(NormKind::RMSNorm, x, blk + ".cross_attn_norm", false);
    x = e.add(x, e.crossAttention(h, cache, decoderLayers + layer,
                                  sourceTokens, blk));
    h = e.norm(NormKind::RMSNorm, x, blk + ".ffn_norm", false);
    x = e.add(x, t5FeedForward(e, h, blk));
  }
  e.setLayerLocation("dec.output");
  x = e.norm(NormKind::RMSNorm, x, "dec.output_norm", false);
  func::ReturnOp::create(b, ValueRange{e.logits(x), cache});
}

DictionaryAttr configAttr(Builder &b, const ModelConfig &config) {
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr("arch", b.getStringAttr(config.architecture)),
      b.getNamedAttr("vocab_size", b.getI64IntegerAttr(config.vocabSize)),
      b.getNamedAttr("dim", b.getI64IntegerAttr(config.dim)),
      b.getNamedAttr("hidden_dim", b.getI64IntegerAttr(config.hiddenDim)),
      b.getNamedAttr("num_layers", b.getI64IntegerAttr(config.numLayers)),
      b.getNamedAttr("num_heads", b.getI64IntegerAttr(config.numHeads)),
      b.getNamedAttr("num_kv_heads", b.getI64IntegerAttr(config.numKvHeads)),
      b.getNamedAttr("head_dim", b.getI64IntegerAttr(config.headDim())),
      b.getNamedAttr("context_length",
                     b.getI64IntegerAttr(config.contextLength)),
      b.getNamedAttr("norm_eps", b.getF64FloatAttr(config.normEps)),
      b.getNamedAttr("tied_embeddings", b.getBoolAttr(config.tiedEmbeddings)),
      b.getNamedAttr("weight_type", b.getStringAttr(stringifyStorageType(
                                        config.weightType))),
      b.getNamedAttr("kv_cache_type", b.getStringAttr(stringifyStorageType(
                                          config.kvCacheType))),
  };
  const LayerChoices &choices = config.layer;
  if (config.family == ModelFamily::Decoder) {
    entries.push_back(b.getNamedAttr(
        "norm", b.getStringAttr(stringifyNormKind(choices.norm))));
    entries.push_back(b.getNamedAttr(
        "activation",
        b.getStringAttr(stringifyActivationKind(choices.activation))));
    entries.push_back(b.getNamedAttr(
        "positions", b.getStringAttr(stringifyPositionKind(choices.positions))));
    for (auto [flag, name] :
         {std::pair{choices.qkvBias, "qkv_bias"},
          std::pair{choices.qkNorm, "qk_norm"},
          std::pair{choices.postAttentionNorm, "post_attention_norm"},
          std::pair{choices.postFeedForwardNorm, "post_ffn_norm"}})
      if (flag)
        entries.push_back(b.getNamedAttr(name, b.getUnitAttr()));
  }
  if (choices.positions == PositionKind::Rope) {
    entries.push_back(
        b.getNamedAttr("rotary_dim", b.getI64IntegerAttr(config.rotaryDims())));
    entries.push_back(
        b.getNamedAttr("rope_theta", b.getF64FloatAttr(config.ropeTheta)));
    if (!config.activeRopeFrequencies().empty())
      entries.push_back(b.getNamedAttr("rope_scaled", b.getUnitAttr()));
  }
  if (config.slidingWindow > 0)
    entries.push_back(b.getNamedAttr(
        "sliding_window", b.getI64IntegerAttr(config.slidingWindow)));
  for (auto [value, name] :
       {std::pair{config.attentionSoftCap, "attention_soft_cap"},
        std::pair{config.finalLogitSoftCap, "final_logit_soft_cap"}})
    if (value > 0.0)
      entries.push_back(b.getNamedAttr(name, b.getF64FloatAttr(value)));
  if (config.family == ModelFamily::Encoder) {
    entries.push_back(b.getNamedAttr(
        "pooling", b.getStringAttr(stringifyPoolingKind(config.pooling))));
    entries.push_back(b.getNamedAttr(
        "token_types", b.getI64IntegerAttr(config.tokenTypes)));
  }
  if (config.family == ModelFamily::EncoderDecoder) {
    entries.push_back(b.getNamedAttr(
        "num_decoder_layers", b.getI64IntegerAttr(config.decoderLayers())));
    entries.push_back(b.getNamedAttr(
        "activation",
        b.getStringAttr(stringifyActivationKind(choices.activation))));
    entries.push_back(b.getNamedAttr(
        "relative_buckets", b.getI64IntegerAttr(config.relativeBuckets)));
    entries.push_back(b.getNamedAttr(
        "decoder_start_token", b.getI64IntegerAttr(config.decoderStartToken)));
  }
  return b.getDictionaryAttr(entries);
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::tfm::buildModel(MLIRContext &context, const ModelConfig &config,
                      const BuildOptions &options) {
  if (llvm::Error error = validateModelConfig(config))
    return std::move(error);
  context.loadDialect<TfmDialect, func::FuncDialect, arith::ArithDialect,
                      scf::SCFDialect, tensor::TensorDialect>();

  Location loc = NameLoc::get(
      StringAttr::get(&context, config.architecture));
  ImplicitLocOpBuilder b(loc, &context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b);
  module->getOperation()->setAttr("tfm.config", configAttr(b, config));

  switch (config.family) {
  case ModelFamily::Decoder: {
    CacheLayout layout = CacheLayout::of(config, options.ubatch);
    buildCausalDecoder(b, *module, config, layout, "prefill",
                       ShapedType::kDynamic);
    buildCausalDecoder(b, *module, config, layout, "decode", 1);
    if (config.layer.positions != PositionKind::Learned)
      buildBatchedDecoder(b, *module, config, layout);
    if (options.embeddings)
      buildDecoderEmbedding(b, *module, config, layout);
    break;
  }
  case ModelFamily::Encoder:
    buildBERTEncoder(b, *module, config);
    break;
  case ModelFamily::EncoderDecoder:
    buildT5Encoder(b, *module, config);
    buildT5Decoder(b, *module, config, "prefill", ShapedType::kDynamic);
    buildT5Decoder(b, *module, config, "decode", 1);
    break;
  }

  // The builder must only ever produce valid IR; report a bug as an error
  // rather than handing an invalid module to the caller.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      diagnostics += diag.str();
      return success();
    });
    if (succeeded(verify(*module)))
      return std::move(module);
  }
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "built an invalid module: " + diagnostics);
}
