//===- ModelConfig.h - hyperparameters of a transformer ---------*- C++ -*-===//
//
// The small struct every importer fills from a model file and the builder
// turns into tfm IR. A decoder architecture is not a code path but a
// `LayerChoices` value: the norms, biases, activation, positions and
// attention options its layers use, set from a table (Architectures.h)
// keyed by the file's architecture name. Depends on LLVM Support only, so
// readers and the runtime side can use it without MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_MODEL_MODELCONFIG_H
#define TFM_MODEL_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm {

/// The three transformer families: what the builder emits around the
/// layers (entry points, masks, cross-attention).
enum class ModelFamily {
  /// Causal decoder with a KV cache: `prefill` and `decode`.
  Decoder,
  /// Bidirectional encoder (BERT): `encode`.
  Encoder,
  /// Encoder plus a decoder with cross-attention (T5).
  EncoderDecoder,
};

/// How an encoder's token states become one embedding per text: the values
/// of GGUF `ARCH.pooling_type` (llama.cpp's llama_pooling_type).
enum class PoolingKind { None = 0, Mean = 1, CLS = 2, Last = 3 };

/// Storage type of weights or of the KV cache.
enum class StorageType { F32, F16, BF16 };

enum class NormKind {
  /// x / rms(x) * w.
  RMSNorm,
  /// (x - mean) / std * w (+ b with `normBias`).
  LayerNorm,
};

enum class FeedForwardKind {
  /// down(act(gate(x)) * up(x)): SwiGLU, GeGLU.
  Gated,
  /// down(act(up(x))): GPT-2, BERT, T5.
  Plain,
};

enum class ActivationKind { SiLU, GELU, GELUTanh, ReLU };

enum class PositionKind {
  /// Rotary embeddings of Q and K.
  Rope,
  /// A learned table added to the embeddings.
  Learned,
  /// A learned bias per head and bucket of the key's distance from the
  /// query, added to the attention scores (T5).
  RelativeBias,
  /// No position signal (the attention is causal only).
  None,
};

/// The choices one decoder layer (and the stack around it) makes. Each
/// supported architecture is a value of this struct (Architectures.cpp).
struct LayerChoices {
  NormKind norm = NormKind::RMSNorm;
  /// LayerNorm with a bias.
  bool normBias = false;
  /// Gemma 2/3: a norm of the attention output and of the FFN output
  /// before each joins the residual stream (besides the usual pre-norms).
  bool postAttentionNorm = false;
  bool postFeedForwardNorm = false;
  /// Biases of the Q, K and V projections (Qwen 2, GPT-2), of the attention
  /// output projection and of the FFN's matrices (GPT-2).
  bool qkvBias = false;
  bool outputBias = false;
  bool feedForwardBias = false;
  /// RMSNorm of each head of Q and of K before RoPE (Qwen 3, Gemma 3),
  /// with one `[head_dim]` weight each.
  bool qkNorm = false;
  FeedForwardKind feedForward = FeedForwardKind::Gated;
  ActivationKind activation = ActivationKind::SiLU;
  PositionKind positions = PositionKind::Rope;
  /// RoPE pairs: features (2j, 2j+1) (llama.cpp's "norm" type, GGUF llama's
  /// permuted Q/K) or (j, j + R/2) (GPT-NeoX, Hugging Face, GGUF qwen2...).
  bool ropeInterleaved = true;
  /// Gemma multiplies the embeddings by sqrt(dim); 1 elsewhere.
  bool scaleEmbeddings = false;
  /// T5 scores with q . k, unscaled (its initialization folds the
  /// 1 / sqrt(head_dim) into the query weights).
  bool unscaledScores = false;
};

struct ModelConfig {
  ModelFamily family = ModelFamily::Decoder;
  /// The architecture's name in the table (GGUF `general.architecture`).
  std::string architecture = "llama";
  LayerChoices layer;
  int64_t vocabSize = 512;
  int64_t dim = 64;
  int64_t hiddenDim = 172;
  /// Layers of a decoder or encoder; the encoder's layers for T5.
  int64_t numLayers = 5;
  /// T5 only: decoder layers; 0 means the same as numLayers.
  int64_t numDecoderLayers = 0;
  /// T5 only: the buckets of the relative position bias (`[buckets,
  /// heads]` tables) and the token the decoder starts from (its pad).
  int64_t relativeBuckets = 32;
  int64_t decoderStartToken = 0;
  int64_t numHeads = 8;
  /// Fewer than numHeads gives GQA, 1 gives MQA.
  int64_t numKvHeads = 4;
  /// Features of one attention head; 0 means dim / numHeads. Qwen 3 and
  /// Gemma have heads * head_dim != dim.
  int64_t headDimension = 0;
  /// Longest sequence: KV cache length, learned position table size.
  int64_t contextLength = 512;
  /// Rows of a learned position table when the file's table is longer than
  /// the context compiled for (a GPT-2 file's 1024 positions served with a
  /// shorter KV cache); 0 means contextLength.
  int64_t positionTableRows = 0;
  /// Rotary dimensions per head; 0 means the whole head.
  int64_t rotaryDim = 0;
  double ropeTheta = 10000.0;
  /// RoPE frequencies of the rotary pairs when a scaling (linear, Llama 3's
  /// rope_freqs) changed them from theta^(-2j/R); empty otherwise.
  std::vector<double> ropeFrequencies;
  /// LongRoPE (Phi-3's long-context models): the pair frequencies of a
  /// context longer than `longRopeOriginalContext` (ropeFrequencies then
  /// hold the short ones), chosen by the context compiled for as llama.cpp
  /// chooses by its context size.
  std::vector<double> longRopeFrequencies;
  int64_t longRopeOriginalContext = 0;
  /// Scale of the attention scores; 0 means 1 / sqrt(head_dim).
  double attentionScale = 0.0;
  /// YaRN's factor on the rotated Q and K (so on the scores, squared).
  double ropeAttentionFactor = 1.0;
  /// Soft caps (cap * tanh(x / cap)) of the attention scores and of the
  /// final logits (Gemma 2); 0 means none.
  double attentionSoftCap = 0.0;
  double finalLogitSoftCap = 0.0;
  /// Sliding-window attention: a query sees the last `slidingWindow`
  /// positions (0: all). Which layers slide: `slidingLayers` when a file
  /// lists them, else every layer l with l % slidingPattern <
  /// slidingPattern - 1 (Gemma 2: 2, even layers; Gemma 3: 6, five of six),
  /// or all layers with pattern 0 (Mistral).
  int64_t slidingWindow = 0;
  int64_t slidingPattern = 0;
  std::vector<bool> slidingLayers;
  /// RoPE base of the sliding layers (Gemma 3: 10000 where the global
  /// layers have 1e6); 0 means ropeTheta. Sliding layers rotate unscaled.
  double localRopeTheta = 0.0;
  double normEps = 1e-5;
  /// The logits reuse the token embedding table instead of `output.weight`.
  bool tiedEmbeddings = false;
  /// Encoders: rows of the token-type (segment) table `token_types.weight`
  /// added to the embeddings (BERT: 2; 0: none), and the pooling the file
  /// asks for.
  int64_t tokenTypes = 0;
  PoolingKind pooling = PoolingKind::Mean;
  StorageType weightType = StorageType::F32;
  StorageType kvCacheType = StorageType::F32;

  int64_t headDim() const {
    if (headDimension > 0)
      return headDimension;
    return numHeads > 0 ? dim / numHeads : 0;
  }
  int64_t queryFeatures() const { return numHeads * headDim(); }
  int64_t kvFeatures() const { return numKvHeads * headDim(); }
  int64_t rotaryDims() const { return rotaryDim > 0 ? rotaryDim : headDim(); }
  int64_t positionRows() const {
    return positionTableRows > 0 ? positionTableRows : contextLength;
  }
  int64_t decoderLayers() const {
    return numDecoderLayers > 0 ? numDecoderLayers : numLayers;
  }
  /// Layers of the KV cache: an encoder-decoder's decoder has a self- and a
  /// cross-attention layer each.
  int64_t cacheLayers() const {
    return family == ModelFamily::EncoderDecoder ? 2 * decoderLayers()
                                                 : numLayers;
  }
  bool isDecoder() const { return family != ModelFamily::Encoder; }
  bool isSlidingLayer(int64_t layer) const {
    if (slidingWindow <= 0)
      return false;
    if (!slidingLayers.empty())
      return layer < int64_t(slidingLayers.size()) && slidingLayers[layer];
    return slidingPattern <= 0 || layer % slidingPattern < slidingPattern - 1;
  }
  /// Rows of the ring cache that keeps the sliding layers' keys and values
  /// for calls of up to `ubatch` tokens: the window plus ubatch - 1 (a
  /// call's first query sees `window` positions, its appends overwrite the
  /// oldest). 0 when there are no sliding layers, `ubatch` is 0 (a full
  /// cache asked for), or the whole context is no longer than that.
  int64_t slidingRingRows(int64_t ubatch) const {
    if (slidingWindow <= 0 || ubatch <= 0 || !isDecoder())
      return 0;
    int64_t rows = slidingWindow + ubatch - 1;
    return rows < contextLength ? rows : 0;
  }
  /// Whether `layer` rotates with its own (local, unscaled) RoPE base.
  bool hasLocalRope(int64_t layer) const {
    return localRopeTheta > 0.0 && isSlidingLayer(layer);
  }
  /// The RoPE frequency of pair j in `layer`.
  double ropeFrequencyOfLayer(int64_t layer, int64_t pair) const;
  double scoreScale() const;
  /// The frequency of rotary pair j: activeRopeFrequencies()[j] when set,
  /// else theta^(-2j / rotary_dim).
  double ropeFrequency(int64_t pair) const;
  /// The scaled pair frequencies for this context length (empty: none).
  const std::vector<double> &activeRopeFrequencies() const {
    return !longRopeFrequencies.empty() &&
                   contextLength > longRopeOriginalContext
               ? longRopeFrequencies
               : ropeFrequencies;
  }

  /// A small model of the named architecture (see Architectures.h); the
  /// shapes of a test model.
  static ModelConfig tiny(llvm::StringRef architecture);
  static ModelConfig tinyLlama() { return tiny("llama"); }
  static ModelConfig tinyGPT2() { return tiny("gpt2"); }
  static ModelConfig tinyBERT() { return tiny("bert"); }
  static ModelConfig tinyT5() { return tiny("t5"); }
};

llvm::StringRef stringifyStorageType(StorageType type);
std::optional<StorageType> parseStorageType(llvm::StringRef name);
llvm::StringRef stringifyNormKind(NormKind kind);
llvm::StringRef stringifyActivationKind(ActivationKind kind);
llvm::StringRef stringifyPositionKind(PositionKind kind);
llvm::StringRef stringifyPoolingKind(PoolingKind kind);
std::optional<PoolingKind> parsePoolingKind(llvm::StringRef name);

/// Checks that the hyperparameters describe a model the dialect can express;
/// the error names the first offending field.
llvm::Error validateModelConfig(const ModelConfig &config);

} // namespace mlir::tfm

#endif // TFM_MODEL_MODELCONFIG_H
