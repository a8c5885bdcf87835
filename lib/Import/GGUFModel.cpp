//===- GGUFModel.cpp - GGUF `llama` and `gpt2` files as a ModelFile -------===//
//
// Hyperparameters come from the `llama.*` or `gpt2.*` metadata, the
// vocabulary from `tokenizer.ggml.*`, and the tensors are views into the
// mapped file. GGUF `llama` weights are stored for interleaved
// (adjacent-pair) RoPE: the converter permutes Hugging Face's Q and K rows.
// GGUF `gpt2` files keep Q, K and V in one matrix, read as three views.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/FusedTensors.h"
#include "tfm/Import/GGUF.h"
#include "tfm/Import/ModelFile.h"
#include "tfm/Model/Architectures.h"
#include "tfm/Model/ImportError.h"
#include "tfm/Model/RopeScaling.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <cstring>

using namespace mlir::tfm;
using llvm::Twine;

namespace {

/// Where the metadata starts: errors about a missing key point here.
constexpr uint64_t kMetadataOffset = 24;
/// Caps on hyperparameters, far above any released model.
constexpr uint64_t kMaxDimension = 1 << 20;
constexpr uint64_t kMaxContext = 1 << 24;
constexpr uint64_t kMaxCount = 1 << 16;

class MetadataReader {
public:
  MetadataReader(llvm::StringRef file, const GGUFFile &gguf)
      : file(file), gguf(gguf) {}

  llvm::Error missing(llvm::StringRef key) const {
    return importError(file, kMetadataOffset,
                       "metadata has no '" + key + "'");
  }

  llvm::Expected<int64_t> integer(llvm::StringRef key, uint64_t max,
                                  std::optional<int64_t> fallback) const {
    const GGUFValue *value = gguf.lookup(key);
    if (!value) {
      if (fallback)
        return *fallback;
      return missing(key);
    }
    if (!value->isInteger())
      return importError(file, value->offset,
                         "'" + key + "' must be an integer, got " +
                             stringifyGGUFValueType(value->type));
    bool isSigned = value->type == GGUFValueType::Int8 ||
                    value->type == GGUFValueType::Int16 ||
                    value->type == GGUFValueType::Int32 ||
                    value->type == GGUFValueType::Int64;
    if ((isSigned && value->signedValue < 0) || value->unsignedValue > max)
      return importError(file, value->offset,
                         "'" + key + "' value " +
                             (isSigned ? Twine(value->signedValue)
                                       : Twine(value->unsignedValue)) +
                             " is outside 0.." + Twine(max));
    return int64_t(value->unsignedValue);
  }

  llvm::Expected<double> real(llvm::StringRef key, double fallback) const {
    const GGUFValue *value = gguf.lookup(key);
    if (!value)
      return fallback;
    if (!value->isFloat())
      return importError(file, value->offset,
                         "'" + key + "' must be a float, got " +
                             stringifyGGUFValueType(value->type));
    if (!std::isfinite(value->floatValue))
      return importError(file, value->offset,
                         "'" + key + "' is not finite");
    return value->floatValue;
  }

  llvm::Expected<llvm::StringRef> string(llvm::StringRef key) const {
    const GGUFValue *value = gguf.lookup(key);
    if (!value)
      return missing(key);
    if (value->type != GGUFValueType::String)
      return importError(file, value->offset,
                         "'" + key + "' must be a string, got " +
                             stringifyGGUFValueType(value->type));
    return value->stringValue;
  }

  std::optional<bool> flag(llvm::StringRef key) const {
    const GGUFValue *value = gguf.lookup(key);
    if (!value || value->type != GGUFValueType::Bool)
      return std::nullopt;
    return value->unsignedValue != 0;
  }

  /// An array whose elements must be one of `allowed`, checked before any
  /// element is read.
  llvm::Expected<const GGUFValue *>
  array(llvm::StringRef key,
        std::initializer_list<GGUFValueType> allowed) const {
    const GGUFValue *value = gguf.lookup(key);
    if (!value)
      return nullptr;
    if (value->type != GGUFValueType::Array)
      return importError(file, value->offset,
                         "'" + key + "' must be an array, got " +
                             stringifyGGUFValueType(value->type));
    if (!llvm::is_contained(allowed, value->elementType))
      return importError(file, value->offset,
                         "'" + key + "' elements must be " +
                             stringifyGGUFValueType(*allowed.begin()) +
                             ", got " +
                             stringifyGGUFValueType(value->elementType));
    return value;
  }

  llvm::StringRef file;
  const GGUFFile &gguf;
};

/// The model and pre-tokenizer of `tokenizer.ggml.*`, with the special
/// tokens llama.cpp assumes for the model.
llvm::Error readTokenizerModel(const MetadataReader &meta, Vocabulary &vocab) {
  llvm::Expected<llvm::StringRef> model = meta.string("tokenizer.ggml.model");
  if (!model)
    return model.takeError();
  std::optional<TokenizerModel> parsed = parseTokenizerModel(*model);
  if (!parsed)
    return importError(meta.file,
                       meta.gguf.lookup("tokenizer.ggml.model")->offset,
                       "tokenizer model '" + *model +
                           "' is not supported (tfm reads llama, gpt2, bert "
                           "and t5)");
  vocab.model = *parsed;
  setDefaultSpecialTokens(vocab);
  // Without the key llama.cpp takes the default pre-tokenizer; a value it
  // does not know is refused.
  if (vocab.model == TokenizerModel::ByteLevelBpe &&
      meta.gguf.lookup("tokenizer.ggml.pre")) {
    llvm::Expected<llvm::StringRef> pre = meta.string("tokenizer.ggml.pre");
    if (!pre)
      return pre.takeError();
    if (!isKnownPreTokenizer(*pre))
      return importError(meta.file,
                         meta.gguf.lookup("tokenizer.ggml.pre")->offset,
                         "unknown pre-tokenizer '" + *pre + "' (tfm knows " +
                             listPreTokenizers() + ")");
    vocab.preTokenizer = pre->str();
    // Llama 3's words that are tokens skip the merges, and it adds BOS.
    if (*pre == "llama-bpe" || *pre == "llama3" || *pre == "llama-v3" ||
        *pre == "falcon3") {
      vocab.ignoreMerges = true;
      vocab.addBos = true;
    }
  }
  return llvm::Error::success();
}

/// The special-token ids and the flags of what encoding adds.
llvm::Error readSpecialTokens(const MetadataReader &meta, Vocabulary &vocab) {
  // BOS, EOS and unknown must be tokens of the vocabulary (checked with
  // it); the others are only named, and one outside the vocabulary (files
  // write 0xFFFFFFFF for "none") is no token, as llama.cpp takes it.
  struct Id {
    const char *key;
    int32_t *field;
    bool optional;
  };
  const Id ids[] = {
      {"tokenizer.ggml.bos_token_id", &vocab.bosId, false},
      {"tokenizer.ggml.eos_token_id", &vocab.eosId, false},
      {"tokenizer.ggml.unknown_token_id", &vocab.unknownId, false},
      {"tokenizer.ggml.eot_token_id", &vocab.eotId, true},
      {"tokenizer.ggml.padding_token_id", &vocab.padId, true},
      {"tokenizer.ggml.seperator_token_id", &vocab.sepId, true},
      {"tokenizer.ggml.cls_token_id", &vocab.clsId, true},
      {"tokenizer.ggml.mask_token_id", &vocab.maskId, true}};
  for (const Id &id : ids) {
    llvm::Expected<int64_t> value = meta.integer(id.key, UINT32_MAX, *id.field);
    if (!value)
      return value.takeError();
    if (*value == UINT32_MAX || *value < 0)
      *id.field = kNoToken;
    else if (*value >= int64_t(vocab.size()))
      *id.field = id.optional ? kNoToken : int32_t(std::min<int64_t>(*value, INT32_MAX));
    else
      *id.field = int32_t(*value);
  }
  // WordPiece wraps a text in CLS ... SEP.
  if (vocab.model == TokenizerModel::WordPiece && vocab.clsId != kNoToken)
    vocab.bosId = vocab.clsId;
  for (auto [key, field] :
       {std::pair{"tokenizer.ggml.add_bos_token", &vocab.addBos},
        std::pair{"tokenizer.ggml.add_eos_token", &vocab.addEos},
        std::pair{"tokenizer.ggml.add_sep_token", &vocab.addSep},
        std::pair{"tokenizer.ggml.add_space_prefix", &vocab.addSpacePrefix}})
    if (std::optional<bool> value = meta.flag(key))
      *field = *value;
  return llvm::Error::success();
}

llvm::Expected<Vocabulary> vocabularyFromMetadata(const MetadataReader &meta) {
  Vocabulary vocab;
  if (llvm::Error error = readTokenizerModel(meta, vocab))
    return std::move(error);
  llvm::Expected<const GGUFValue *> tokens =
      meta.array("tokenizer.ggml.tokens", {GGUFValueType::String});
  llvm::Expected<const GGUFValue *> scores =
      meta.array("tokenizer.ggml.scores", {GGUFValueType::Float32});
  llvm::Expected<const GGUFValue *> types =
      meta.array("tokenizer.ggml.token_type", {GGUFValueType::Int32});
  llvm::Expected<const GGUFValue *> merges =
      meta.array("tokenizer.ggml.merges", {GGUFValueType::String});
  if (!tokens)
    return tokens.takeError();
  if (!scores)
    return scores.takeError();
  if (!types)
    return types.takeError();
  if (!merges)
    return merges.takeError();
  if (!*tokens)
    return meta.missing("tokenizer.ggml.tokens");
  if (vocab.model == TokenizerModel::ByteLevelBpe && !*merges)
    return meta.missing("tokenizer.ggml.merges");
  uint64_t count = (*tokens)->count;
  for (const GGUFValue *companion : {*scores, *types})
    if (companion && companion->count != count)
      return importError(meta.file, companion->offset,
                         "has " + Twine(companion->count) +
                             " elements but tokenizer.ggml.tokens has " +
                             Twine(count));

  bool sentencePiece = vocab.model == TokenizerModel::SentencePieceBpe;
  vocab.pieces.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    // SentencePiece BPE marks spaces with U+2581; tfm's pieces use ' '.
    llvm::StringRef piece = (*tokens)->strings[i];
    vocab.pieces.push_back(sentencePiece
                               ? llvm::join(llvm::split(piece, "\xE2\x96\x81"), " ")
                               : piece.str());
    vocab.scores.push_back(*scores ? float((*scores)->floatElement(i)) : 0.f);
    int64_t kind = *types ? (*types)->integerElement(i) : 1;
    if (kind < 1 || kind > 6)
      return importError(meta.file, (*types)->offset,
                         "token " + Twine(i) + " has unknown token type " +
                             Twine(kind));
    vocab.kinds.push_back(static_cast<TokenKind>(kind));
  }
  if (*merges) {
    for (uint64_t i = 0; i < (*merges)->count; ++i)
      vocab.merges.push_back((*merges)->strings[i].str());
    if (std::optional<TokenizerError> error = checkMerges(vocab))
      return importError(meta.file, (*merges)->offset, error->message);
  }
  if (llvm::Error error = readSpecialTokens(meta, vocab))
    return std::move(error);
  if (meta.gguf.lookup("tokenizer.chat_template")) {
    llvm::Expected<llvm::StringRef> chat = meta.string("tokenizer.chat_template");
    if (!chat)
      return chat.takeError();
    vocab.chatTemplate = chat->str();
  }
  if (llvm::Error error = validateVocabulary(vocab, meta.file))
    return std::move(error);
  return vocab;
}

/// The `ARCH.*` sizes every decoder has: dimensions, layers, heads and
/// context.
llvm::Error fillSizes(const MetadataReader &meta, llvm::StringRef arch,
                      ModelConfig &config) {
  struct Field {
    const char *key;
    int64_t *target;
    uint64_t max;
  };
  const Field fields[] = {
      {"embedding_length", &config.dim, kMaxDimension},
      {"feed_forward_length", &config.hiddenDim, kMaxDimension},
      {"block_count", &config.numLayers, kMaxCount},
      {"attention.head_count", &config.numHeads, kMaxCount},
      {"context_length", &config.contextLength, kMaxContext},
  };
  for (const Field &field : fields) {
    llvm::Expected<int64_t> value =
        meta.integer((arch + "." + field.key).str(), field.max, std::nullopt);
    if (!value)
      return value.takeError();
    *field.target = *value;
  }
  return llvm::Error::success();
}

/// An optional float tensor read at import, such as Llama 3's
/// `rope_freqs.weight`.
llvm::Expected<std::vector<float>> smallFloatTensor(const ModelFile &model,
                                                    llvm::StringRef name,
                                                    int64_t expected) {
  const TensorView *view = model.lookup(name);
  if (!view)
    return std::vector<float>();
  if (view->type != WeightFormat::F32 || view->shape.size() != 1 ||
      view->shape[0] != expected)
    return importError(view->file, view->fileOffset,
                       "tensor '" + name + "' must be " + Twine(expected) +
                           " f32 values");
  std::vector<float> values(expected);
  std::memcpy(values.data(), view->data.data(), expected * sizeof(float));
  return values;
}

/// Gemma's attention options, with llama.cpp's defaults for a missing key:
/// the sliding window and which layers slide (an integer pattern or one
/// bool per layer), the sliding layers' RoPE base, the soft caps, and the
/// score scale of the largest model.
llvm::Error readAttentionOptions(const MetadataReader &meta,
                                 const ArchitectureInfo &info,
                                 ModelConfig &config) {
  const ArchitectureDefaults &defaults = info.defaults;
  std::string prefix = info.name.str() + ".";
  for (auto [key, target, fallback] :
       {std::tuple{"attn_logit_softcapping", &config.attentionSoftCap,
                   defaults.attentionSoftCap},
        std::tuple{"final_logit_softcapping", &config.finalLogitSoftCap,
                   defaults.finalLogitSoftCap},
        std::tuple{"rope.freq_base_swa", &config.localRopeTheta,
                   defaults.localRopeTheta}}) {
    llvm::Expected<double> value = meta.real(prefix + key, fallback);
    if (!value)
      return value.takeError();
    if (*value < 0.0)
      return importError(meta.file, meta.gguf.lookup(prefix + key)->offset,
                         "'" + prefix + key + "' must not be negative");
    *target = *value;
  }
  if (defaults.layersScalingByWidth > 0 &&
      config.numLayers == defaults.layersScalingByWidth && config.numHeads > 0)
    config.attentionScale = 1.0 / std::sqrt(double(config.dim / config.numHeads));
  // llama.cpp reads a sliding window only for architectures with sliding
  // layers.
  if (defaults.slidingWindow == 0 && defaults.slidingPattern == 0)
    return llvm::Error::success();
  llvm::Expected<int64_t> window = meta.integer(
      prefix + "attention.sliding_window", kMaxContext, defaults.slidingWindow);
  if (!window)
    return window.takeError();
  config.slidingWindow = *window;
  config.slidingPattern = defaults.slidingPattern;
  std::string patternKey = prefix + "attention.sliding_window_pattern";
  const GGUFValue *pattern = meta.gguf.lookup(patternKey);
  if (pattern && pattern->type == GGUFValueType::Array) {
    llvm::Expected<const GGUFValue *> flags =
        meta.array(patternKey, {GGUFValueType::Bool});
    if (!flags)
      return flags.takeError();
    if (int64_t((*flags)->count) != config.numLayers)
      return importError(meta.file, pattern->offset,
                         "'" + patternKey + "' has " +
                             Twine((*flags)->count) + " layers, the model " +
                             Twine(config.numLayers));
    for (uint64_t layer = 0; layer < (*flags)->count; ++layer)
      config.slidingLayers.push_back((*flags)->integerElement(layer) != 0);
  } else if (pattern) {
    llvm::Expected<int64_t> every =
        meta.integer(patternKey, kMaxCount, std::nullopt);
    if (!every)
      return every.takeError();
    config.slidingPattern = *every;
  }
  return llvm::Error::success();
}

/// The decoder hyperparameters under `ARCH.*` and the architecture's row
/// of layer choices.
llvm::Error fillDecoderConfig(const MetadataReader &meta,
                              const ArchitectureInfo &info,
                              ModelConfig &config) {
  config = ModelConfig::tiny(info.name);
  std::string arch = info.name.str();
  auto key = [&](llvm::StringRef suffix) { return arch + "." + suffix.str(); };
  if (llvm::Error error = fillSizes(meta, arch, config))
    return error;
  llvm::Expected<int64_t> kvHeads =
      meta.integer(key("attention.head_count_kv"), kMaxCount, config.numHeads);
  if (!kvHeads)
    return kvHeads.takeError();
  config.numKvHeads = *kvHeads;
  // Heads whose width is not dim / heads (Qwen 3, Gemma) say so; keys and
  // values of one width only.
  int64_t defaultHeadDim =
      config.numHeads > 0 ? config.dim / config.numHeads : 0;
  llvm::Expected<int64_t> keyLength =
      meta.integer(key("attention.key_length"), kMaxDimension, defaultHeadDim);
  if (!keyLength)
    return keyLength.takeError();
  llvm::Expected<int64_t> valueLength =
      meta.integer(key("attention.value_length"), kMaxDimension, *keyLength);
  if (!valueLength)
    return valueLength.takeError();
  if (*valueLength != *keyLength)
    return importError(meta.file, meta.gguf.lookup(key("attention.value_length"))->offset,
                       "value_length " + Twine(*valueLength) +
                           " differs from key_length " + Twine(*keyLength) +
                           " (tfm needs one head width)");
  config.headDimension = *keyLength == defaultHeadDim ? 0 : *keyLength;
  const LayerChoices &choices = config.layer;
  if (choices.positions == PositionKind::Rope) {
    llvm::Expected<int64_t> rotary = meta.integer(
        key("rope.dimension_count"), kMaxDimension, config.headDim());
    if (!rotary)
      return rotary.takeError();
    // The whole head rotates when the key is absent or equals head_dim.
    config.rotaryDim = *rotary == config.headDim() ? 0 : *rotary;
    llvm::Expected<double> theta = meta.real(key("rope.freq_base"), 10000.0);
    if (!theta)
      return theta.takeError();
    config.ropeTheta = *theta;
  }
  llvm::Expected<double> eps =
      choices.norm == NormKind::RMSNorm
          ? meta.real(key("attention.layer_norm_rms_epsilon"), 1e-5)
          : meta.real(key("attention.layer_norm_epsilon"), 1e-5);
  if (!eps)
    return eps.takeError();
  config.normEps = *eps;
  return readAttentionOptions(meta, info, config);
}

/// The f32 vector `name` of `pairs` values, each positive (empty when the
/// file has no such tensor).
llvm::Expected<std::vector<float>> ropeFactorTensor(const ModelFile &model,
                                                    llvm::StringRef name,
                                                    int64_t pairs) {
  llvm::Expected<std::vector<float>> values =
      smallFloatTensor(model, name, pairs);
  if (!values)
    return values.takeError();
  for (auto [j, value] : llvm::enumerate(*values))
    if (!(value > 0.0f) || !std::isfinite(value))
      return importError(model.path, model.lookup(name)->fileOffset,
                         name + "[" + Twine(j) + "] is not a positive number");
  return values;
}

/// A positive real of the metadata, `fallback` when it is missing.
llvm::Expected<double> positiveReal(const MetadataReader &meta,
                                    const std::string &key, double fallback) {
  llvm::Expected<double> value = meta.real(key, fallback);
  if (value && (!(*value > 0.0) || !std::isfinite(*value)))
    return importError(meta.file, meta.gguf.lookup(key)->offset,
                       key + " must be positive");
  return value;
}

/// RoPE scaling as `ARCH.rope.scaling.*` and the factor tensors describe
/// it, as llama.cpp applies it: `linear` (a factor), `yarn` (factor,
/// original_context_length), Llama 3's `rope_freqs` divisors, Phi-3's
/// LongRoPE (`rope_factors_short` / `rope_factors_long`, chosen by the
/// context against original_context_length), and `attn_factor` on the
/// rotated Q and K of any of them.
llvm::Error readRopeScaling(const MetadataReader &meta, ModelFile &model) {
  ModelConfig &config = model.config;
  if (config.layer.positions != PositionKind::Rope)
    return llvm::Error::success();
  int64_t pairs = config.rotaryDims() / 2;
  std::string prefix = config.architecture + ".rope.scaling.";
  llvm::Expected<int64_t> original =
      meta.integer(prefix + "original_context_length", uint64_t(1) << 31,
                   config.contextLength);
  if (!original)
    return original.takeError();
  llvm::Expected<double> factor = positiveReal(meta, prefix + "factor", 1.0);
  llvm::Expected<double> attention =
      positiveReal(meta, prefix + "attn_factor", 1.0);
  for (llvm::Expected<double> *v : {&factor, &attention})
    if (!*v)
      return v->takeError();
  std::string type = "none";
  if (const GGUFValue *entry = meta.gguf.lookup(prefix + "type")) {
    llvm::Expected<llvm::StringRef> name = meta.string(prefix + "type");
    if (!name)
      return name.takeError();
    type = name->str();
    if (type != "none" && type != "linear" && type != "yarn")
      return importError(meta.file, entry->offset,
                         "rope scaling '" + type +
                             "' is not supported (tfm reads none, linear, "
                             "yarn, Llama 3's rope_freqs and Phi-3's "
                             "rope_factors_long/short)");
  }
  llvm::Expected<std::vector<float>> divisors =
      ropeFactorTensor(model, "rope_freqs.weight", pairs);
  llvm::Expected<std::vector<float>> longFactors =
      ropeFactorTensor(model, "rope_factors_long.weight", pairs);
  llvm::Expected<std::vector<float>> shortFactors =
      ropeFactorTensor(model, "rope_factors_short.weight", pairs);
  for (auto *v : {&divisors, &longFactors, &shortFactors})
    if (!*v)
      return v->takeError();
  if (longFactors->empty() != shortFactors->empty())
    return importError(model.path, model.tensorIndexOffset,
                       "LongRoPE needs both rope_factors_long.weight and "
                       "rope_factors_short.weight");
  if (type == "yarn") {
    YarnScaling yarn;
    yarn.factor = *factor;
    yarn.originalContext = double(*original);
    applyYarnScaling(config, yarn);
  } else if (!longFactors->empty()) {
    applyLongRope(config, *shortFactors, *longFactors, *original, 1.0);
  } else if (type == "linear" || !divisors->empty()) {
    applyRopeDivisors(config, *divisors, type == "linear" ? *factor : 1.0);
  }
  // llama.cpp multiplies every scaling's magnitude by attn_factor.
  config.ropeAttentionFactor *= *attention;
  return llvm::Error::success();
}

/// An encoder's `ARCH.pooling_type` (llama.cpp's llama_pooling_type; none
/// when absent, as llama.cpp takes it).
llvm::Error readPooling(const MetadataReader &meta, ModelConfig &config) {
  std::string key = config.architecture + ".pooling_type";
  llvm::Expected<int64_t> pooling =
      meta.integer(key, int64_t(PoolingKind::Last), int64_t(PoolingKind::None));
  if (!pooling)
    return pooling.takeError();
  config.pooling = PoolingKind(*pooling);
  return llvm::Error::success();
}

/// The rows of an encoder's token-type table (`token_types.weight`, BERT's
/// segments; none without the tensor), which must agree with
/// `tokenizer.ggml.token_type_count` when the file has it.
llvm::Error readTokenTypes(const MetadataReader &meta, ModelFile &model) {
  const TensorView *table = model.lookup("token_types.weight");
  model.config.tokenTypes = table ? table->shape[0] : 0;
  if (!table)
    return llvm::Error::success();
  if (table->shape.size() != 2 || table->shape[1] != model.config.dim)
    return importError(table->file, table->fileOffset,
                       "'token_types.weight' must be [types, " +
                           Twine(model.config.dim) + "]");
  const char *key = "tokenizer.ggml.token_type_count";
  if (const GGUFValue *entry = meta.gguf.lookup(key)) {
    llvm::Expected<int64_t> count = meta.integer(key, kMaxCount, 0);
    if (!count)
      return count.takeError();
    if (*count != model.config.tokenTypes)
      return importError(meta.file, entry->offset,
                         Twine(key) + " is " + Twine(*count) +
                             " but token_types.weight has " +
                             Twine(model.config.tokenTypes) + " rows");
  }
  return llvm::Error::success();
}

/// T5's `t5.*` keys beyond a decoder's: the relative position buckets
/// (required, as llama.cpp requires them), the decoder's layers (the
/// encoder's when absent) and its start token (the padding token when
/// absent: T5's decoder starts from <pad>).
llvm::Error readSeq2Seq(const MetadataReader &meta, ModelConfig &config) {
  std::string prefix = config.architecture + ".";
  llvm::Expected<int64_t> buckets = meta.integer(
      prefix + "attention.relative_buckets_count", kMaxCount, std::nullopt);
  if (!buckets)
    return buckets.takeError();
  config.relativeBuckets = *buckets;
  llvm::Expected<int64_t> decoderLayers =
      meta.integer(prefix + "decoder_block_count", kMaxCount, config.numLayers);
  if (!decoderLayers)
    return decoderLayers.takeError();
  config.numDecoderLayers = *decoderLayers;
  llvm::Expected<int64_t> pad =
      meta.integer("tokenizer.ggml.padding_token_id", kMaxCount, 0);
  if (!pad)
    return pad.takeError();
  llvm::Expected<int64_t> start =
      meta.integer(prefix + "decoder_start_token_id", kMaxCount, *pad);
  if (!start)
    return start.takeError();
  config.decoderStartToken = *start;
  return llvm::Error::success();
}

llvm::Error fillConfig(const MetadataReader &meta, ModelConfig &config) {
  llvm::Expected<llvm::StringRef> arch = meta.string("general.architecture");
  if (!arch)
    return arch.takeError();
  const ArchitectureInfo *info = lookupArchitecture(*arch);
  if (!info)
    return importError(
        meta.file, meta.gguf.lookup("general.architecture")->offset,
        "unknown architecture '" + *arch + "' (tfm imports " +
            listArchitectures() + ")");
  if (llvm::Error error = fillDecoderConfig(meta, *info, config))
    return error;
  if (info->family == ModelFamily::Encoder)
    return readPooling(meta, config);
  if (info->family == ModelFamily::EncoderDecoder)
    return readSeq2Seq(meta, config);
  return llvm::Error::success();
}

/// T5 v1.1 and FLAN-T5 have a gated tanh-GELU FFN (`ffn_gate` tensors, as
/// llama.cpp decides), T5 v1.0 a ReLU one; the encoder and the decoder
/// must agree.
llvm::Error readSeq2SeqFeedForward(ModelFile &model) {
  bool encoderGated = model.lookup("enc.blk.0.ffn_gate.weight") != nullptr;
  bool decoderGated = model.lookup("dec.blk.0.ffn_gate.weight") != nullptr;
  if (encoderGated != decoderGated)
    return importError(model.path, model.tensorIndexOffset,
                       Twine("'") + (encoderGated ? "enc" : "dec") +
                           ".blk.0.ffn_gate.weight' without '" +
                           (encoderGated ? "dec" : "enc") +
                           ".blk.0.ffn_gate.weight' (tfm needs one FFN kind)");
  if (encoderGated) {
    model.config.layer.feedForward = FeedForwardKind::Gated;
    model.config.layer.activation = ActivationKind::GELUTanh;
  }
  return llvm::Error::success();
}

/// The learned position table may hold more positions than a compiled
/// context uses (ModelConfig::positionTableRows).
llvm::Error readPositionTable(ModelFile &model, const GGUFFile &gguf) {
  const TensorView *table = model.lookup("position_embd.weight");
  if (!table || table->shape.size() != 2)
    return importError(model.path, gguf.dataOffset,
                       "no 2-D tensor 'position_embd.weight'");
  if (table->shape[0] < model.config.contextLength)
    return importError(table->file, table->fileOffset,
                       "'position_embd.weight' has " + Twine(table->shape[0]) +
                           " positions, fewer than " +
                           model.config.architecture + ".context_length (" +
                           Twine(model.config.contextLength) + ")");
  model.config.positionTableRows = table->shape[0];
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::unique_ptr<ModelFile>>
mlir::tfm::readGGUFModel(llvm::StringRef path) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = mapFile(path);
  if (!buffer)
    return buffer.takeError();
  return readGGUFModel(path, std::move(*buffer));
}

llvm::Expected<std::unique_ptr<ModelFile>>
mlir::tfm::readGGUFModel(llvm::StringRef path,
                         std::unique_ptr<llvm::MemoryBuffer> buffer) {
  auto model = std::make_unique<ModelFile>();
  model->format = ModelFormat::GGUF;
  model->path = path.str();
  llvm::ArrayRef<uint8_t> bytes = model->keep(std::move(buffer));
  llvm::Expected<GGUFFile> gguf = parseGGUF(path, bytes);
  if (!gguf)
    return gguf.takeError();
  MetadataReader meta(path, *gguf);
  if (llvm::Error error = fillConfig(meta, model->config))
    return std::move(error);
  if (gguf->tensors.empty())
    return importError(path, 8,
                       "tensor count is 0 (a vocabulary-only file?)");

  // Fused tensors (GPT-2's and Phi-3's Q/K/V, Phi-3's gate/up) are set
  // aside and added as views of their rows once the sizes are known.
  const ArchitectureInfo &info = *lookupArchitecture(model->config.architecture);
  FusedTensors fused(info, model->config,
                     /*partsMayBeSeparate=*/info.name == "phi3");
  for (const GGUFTensorInfo &tensor : gguf->tensors) {
    TensorView view;
    view.name = tensor.name.str();
    for (uint64_t dim : llvm::reverse(tensor.dims))
      view.shape.push_back(int64_t(dim));
    view.type = *weightFormatFromGGML(tensor.ggmlType);
    view.fileOffset = gguf->dataOffset + tensor.offset;
    view.data = bytes.slice(view.fileOffset, tensor.byteSize);
    view.file = path.str();
    if (fused.isFused(view.name)) {
      if (llvm::Error error = fused.add(std::move(view)))
        return std::move(error);
      continue;
    }
    if (llvm::Error error = model->addTensor(std::move(view)))
      return std::move(error);
  }

  const TensorView *embedding = model->lookup("token_embd.weight");
  if (!embedding || embedding->shape.size() != 2)
    return importError(path, gguf->dataOffset,
                       "no 2-D tensor 'token_embd.weight'");
  model->config.vocabSize = embedding->shape[0];
  model->config.tiedEmbeddings = !model->lookup("output.weight");
  model->tensorIndexOffset = gguf->tensors.front().infoOffset;
  if (llvm::Error error = validateModelConfig(model->config))
    return importError(path, kMetadataOffset, llvm::toString(std::move(error)));
  if (llvm::Error error = readRopeScaling(meta, *model))
    return std::move(error);
  if (model->config.layer.positions == PositionKind::Learned)
    if (llvm::Error error = readPositionTable(*model, *gguf))
      return std::move(error);
  if (llvm::Error error = fused.splitInto(*model))
    return std::move(error);
  if (model->config.family == ModelFamily::Encoder)
    if (llvm::Error error = readTokenTypes(meta, *model))
      return std::move(error);
  if (model->config.family == ModelFamily::EncoderDecoder)
    if (llvm::Error error = readSeq2SeqFeedForward(*model))
      return std::move(error);

  if (gguf->lookup("tokenizer.ggml.tokens")) {
    llvm::Expected<Vocabulary> vocab = vocabularyFromMetadata(meta);
    if (!vocab)
      return vocab.takeError();
    if (int64_t(vocab->size()) != model->config.vocabSize)
      return importError(path, gguf->lookup("tokenizer.ggml.tokens")->offset,
                         "vocabulary has " + Twine(vocab->size()) +
                             " tokens but token_embd.weight has " +
                             Twine(model->config.vocabSize) + " rows");
    model->vocabulary = std::move(*vocab);
    model->vocabularySource = path.str();
  }
  return std::move(model);
}

llvm::Expected<Vocabulary> mlir::tfm::readGGUFVocabulary(llvm::StringRef path) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = mapFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::StringRef data = (*buffer)->getBuffer();
  // Pieces are copied into the Vocabulary, so the mapping may go.
  return parseGGUFVocabulary(
      path, llvm::ArrayRef(reinterpret_cast<const uint8_t *>(data.data()),
                           data.size()));
}

llvm::Expected<Vocabulary>
mlir::tfm::parseGGUFVocabulary(llvm::StringRef path,
                               llvm::ArrayRef<uint8_t> bytes) {
  llvm::Expected<GGUFFile> gguf = parseGGUF(path, bytes);
  if (!gguf)
    return gguf.takeError();
  return vocabularyFromMetadata(MetadataReader(path, *gguf));
}
