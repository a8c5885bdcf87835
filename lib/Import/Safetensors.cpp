//===- Safetensors.cpp - Hugging Face safetensors and config.json ---------===//
//
// JSON goes through llvm::json. Hugging Face names map onto tfm's GGUF names
// (`model.layers.3.self_attn.q_proj.weight` -> `blk.3.attn_q.weight`).
// Hugging Face Llama weights rotate half-split pairs, so the config says
// so; no weight is permuted.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/Safetensors.h"
#include "tfm/Import/TokenizerJson.h"

#include "tfm/Import/FusedTensors.h"
#include "tfm/Import/ModelFile.h"
#include "tfm/Model/HuggingFaceNames.h"
#include "tfm/Model/RelativePosition.h"
#include "tfm/Quantization/Dequantize.h"
#include "tfm/Model/Architectures.h"
#include "tfm/Model/ByteReader.h"
#include "tfm/Model/RopeScaling.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <cstring>

using namespace mlir::tfm;
using llvm::Twine;

namespace {

constexpr uint64_t kMaxHeaderBytes = 100 << 20;
constexpr size_t kMaxShards = 4096;

std::optional<WeightFormat> parseDType(llvm::StringRef dtype) {
  if (dtype == "F32")
    return WeightFormat::F32;
  if (dtype == "F16")
    return WeightFormat::F16;
  if (dtype == "BF16")
    return WeightFormat::BF16;
  return std::nullopt;
}

llvm::Expected<SafetensorsEntry>
parseEntry(ByteReader &reader, uint64_t dataStart, llvm::StringRef name,
           const llvm::json::Value &value) {
  auto fail = [&](const Twine &message) {
    return reader.errorAt(8, "tensor '" + name + "': " + message);
  };
  const llvm::json::Object *object = value.getAsObject();
  if (!object)
    return fail("entry is not an object");
  SafetensorsEntry entry;
  entry.name = name.str();
  std::optional<llvm::StringRef> dtype = object->getString("dtype");
  if (!dtype)
    return fail("no string 'dtype'");
  std::optional<WeightFormat> type = parseDType(*dtype);
  if (!type)
    return fail("dtype " + *dtype + " is not supported (F32, F16, BF16 are)");
  entry.type = *type;
  const llvm::json::Array *shape = object->getArray("shape");
  if (!shape || shape->size() > 4)
    return fail("'shape' must be an array of at most 4 dimensions");
  uint64_t elements = 1;
  for (const llvm::json::Value &dim : *shape) {
    std::optional<int64_t> size = dim.getAsInteger();
    if (!size || *size < 0)
      return fail("'shape' holds something other than a size");
    std::optional<uint64_t> product =
        llvm::checkedMulUnsigned<uint64_t>(elements, uint64_t(*size));
    if (!product || *product > uint64_t(INT64_MAX))
      return fail("element count overflows");
    elements = *product;
    entry.shape.push_back(*size);
  }
  const llvm::json::Array *offsets = object->getArray("data_offsets");
  std::optional<int64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = (*offsets)[0].getAsInteger();
    end = (*offsets)[1].getAsInteger();
  }
  if (!begin || !end || *begin < 0 || *end < *begin)
    return fail("'data_offsets' must be two ascending byte offsets");
  std::optional<uint64_t> bytes = tensorByteSize(*type, elements);
  if (!bytes || *bytes != uint64_t(*end - *begin))
    return fail("data_offsets span " + Twine(*end - *begin) +
                " bytes but the shape needs " +
                Twine(bytes ? *bytes : 0));
  std::optional<uint64_t> absoluteEnd =
      llvm::checkedAddUnsigned<uint64_t>(dataStart, uint64_t(*end));
  if (!absoluteEnd || *absoluteEnd > reader.size())
    return fail("data ends past the end of the file");
  entry.begin = dataStart + uint64_t(*begin);
  entry.end = *absoluteEnd;
  return entry;
}

/// Memory for the converted copy of `view` (`bytes` of it), or an error
/// naming the tensor when there is none.
llvm::Expected<std::unique_ptr<llvm::WritableMemoryBuffer>>
copyBuffer(const TensorView &view, size_t bytes) {
  std::unique_ptr<llvm::WritableMemoryBuffer> buffer =
      llvm::WritableMemoryBuffer::getNewUninitMemBuffer(bytes);
  if (!buffer)
    return importError(view.file, view.fileOffset,
                       "no memory for a converted copy of tensor '" +
                           view.name + "' (" + Twine(bytes) + " bytes)");
  return std::move(buffer);
}

/// A tensor whose values tfm keeps differently from the checkpoint
/// (Gemma's 1 + w norms, GPT-2's [in, out] matrices), converted into
/// memory the model keeps: only these small or few tensors are copied.
llvm::Expected<TensorView> applyTransform(ModelFile &model, TensorView view,
                                          HuggingFaceTransform transform) {
  if (transform == HuggingFaceTransform::None)
    return view;
  size_t elementBytes = view.type == WeightFormat::F32 ? 4
                        : view.type == WeightFormat::F16 ||
                                view.type == WeightFormat::BF16
                            ? 2
                            : 0;
  if (elementBytes == 0)
    return importError(view.file, view.fileOffset,
                       "tensor '" + view.name + "' must be F32, F16 or BF16");
  std::unique_ptr<llvm::WritableMemoryBuffer> buffer;
  if (transform == HuggingFaceTransform::AddOne) {
    // Gemma's RMSNorm scales by 1 + w; tfm's weight is that sum (as
    // llama.cpp's converter stores it), in f32.
    int64_t count = view.numElements();
    llvm::Expected<std::unique_ptr<llvm::WritableMemoryBuffer>> copy =
        copyBuffer(view, size_t(count) * 4);
    if (!copy)
      return copy.takeError();
    buffer = std::move(*copy);
    auto *out = reinterpret_cast<float *>(buffer->getBufferStart());
    if (!dequantize(view.type, view.data, llvm::MutableArrayRef(out, count)))
      return importError(view.file, view.fileOffset,
                         "cannot read tensor '" + view.name + "'");
    for (int64_t i = 0; i < count; ++i)
      out[i] += 1.0f;
    view.type = WeightFormat::F32;
  } else {
    if (view.shape.size() != 2)
      return importError(view.file, view.fileOffset,
                         "tensor '" + view.name + "' must be 2-D");
    // Conv1D keeps [in, out]; tfm's matrices are [out, in].
    int64_t in = view.shape[0], out = view.shape[1];
    llvm::Expected<std::unique_ptr<llvm::WritableMemoryBuffer>> copy =
        copyBuffer(view, view.data.size());
    if (!copy)
      return copy.takeError();
    buffer = std::move(*copy);
    char *to = buffer->getBufferStart();
    for (int64_t i = 0; i < in; ++i)
      for (int64_t o = 0; o < out; ++o)
        std::memcpy(to + (o * in + i) * elementBytes,
                    view.data.data() + (i * out + o) * elementBytes,
                    elementBytes);
    view.shape = {out, in};
  }
  view.data = model.keep(std::move(buffer));
  return view;
}

llvm::Expected<std::vector<std::string>> listShards(llvm::StringRef dir) {
  std::vector<std::string> shards;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) == ".safetensors")
      shards.push_back(it->path());
    if (shards.size() > kMaxShards)
      return importError(dir, "more than " + Twine(kMaxShards) +
                                  " .safetensors files");
  }
  if (ec)
    return importError(dir, "cannot list: " + ec.message());
  if (shards.empty())
    return importError(dir, "no .safetensors files");
  llvm::sort(shards);
  return shards;
}

} // namespace

llvm::Expected<std::vector<SafetensorsEntry>>
mlir::tfm::parseSafetensors(llvm::StringRef fileName,
                            llvm::ArrayRef<uint8_t> bytes) {
  ByteReader reader(fileName, bytes);
  llvm::Expected<uint64_t> headerLength = reader.read<uint64_t>("header length");
  if (!headerLength)
    return headerLength.takeError();
  if (*headerLength > kMaxHeaderBytes || *headerLength > reader.remaining())
    return reader.errorAt(0, "header length " + Twine(*headerLength) +
                                 " exceeds the file or the limit of " +
                                 Twine(kMaxHeaderBytes));
  llvm::Expected<llvm::StringRef> header =
      reader.takeString(*headerLength, "header");
  if (!header)
    return header.takeError();
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(*header);
  if (!json)
    return reader.errorAt(8, "header is not valid JSON: " +
                                 llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return reader.errorAt(8, "header is not a JSON object");

  uint64_t dataStart = 8 + *headerLength;
  std::vector<SafetensorsEntry> entries;
  for (const auto &[key, value] : *root) {
    if (key == "__metadata__")
      continue;
    llvm::Expected<SafetensorsEntry> entry =
        parseEntry(reader, dataStart, key, value);
    if (!entry)
      return entry.takeError();
    entries.push_back(std::move(*entry));
  }
  llvm::sort(entries, [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
    return a.begin < b.begin;
  });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].begin < entries[i - 1].end)
      return reader.errorAt(8, "tensor '" + entries[i].name +
                                   "' data overlaps tensor '" +
                                   entries[i - 1].name + "'");
  return entries;
}

/// Byte offset of `"key"` in a JSON document, so errors about a field point
/// at it; 0 when the key is absent.
static uint64_t offsetOfKey(llvm::StringRef text, llvm::StringRef key) {
  size_t at = text.find(("\"" + key + "\"").str());
  return at == llvm::StringRef::npos ? 0 : at;
}

/// Phi-3's LongRoPE: per-pair `short_factor` and `long_factor` lists (the
/// long ones serve contexts beyond the original one), and the magnitude
/// sqrt(1 + ln(factor) / ln(original)) of the extension factor unless
/// `attention_factor` says otherwise.
static llvm::Error readLongRope(llvm::StringRef fileName, uint64_t at,
                                const llvm::json::Object &scaling,
                                std::optional<int64_t> originalContext,
                                ModelConfig &config) {
  if (std::optional<int64_t> inScaling =
          scaling.getInteger("original_max_position_embeddings"))
    originalContext = inScaling;
  if (!originalContext || *originalContext <= 1)
    return importError(fileName, at,
                       "LongRoPE needs original_max_position_embeddings "
                       "above 1");
  int64_t pairs = config.rotaryDims() / 2;
  std::vector<float> factors[2];
  const char *keys[2] = {"short_factor", "long_factor"};
  for (int which = 0; which < 2; ++which) {
    const llvm::json::Array *list = scaling.getArray(keys[which]);
    if (!list || int64_t(list->size()) != pairs)
      return importError(fileName, at,
                         "'rope_scaling' '" + Twine(keys[which]) +
                             "' must list " + Twine(pairs) +
                             " numbers (one per rotary pair)");
    for (const llvm::json::Value &entry : *list) {
      std::optional<double> number = entry.getAsNumber();
      if (!number || !(*number > 0.0) || !std::isfinite(*number))
        return importError(fileName, at,
                           "'rope_scaling' '" + Twine(keys[which]) +
                               "' must hold positive numbers");
      factors[which].push_back(float(*number));
    }
  }
  double attention = longRopeAttentionFactor(double(config.contextLength),
                                             double(*originalContext));
  if (std::optional<double> given = scaling.getNumber("attention_factor"))
    attention = *given;
  if (!(attention > 0.0) || !std::isfinite(attention))
    return importError(fileName, at,
                       "'rope_scaling' attention_factor must be positive");
  applyLongRope(config, factors[0], factors[1], *originalContext, attention);
  return llvm::Error::success();
}

/// config.json's `rope_scaling`: linear and Llama 3's, folded into the
/// RoPE pair frequencies; other kinds are refused by name.
static llvm::Error readRopeScaling(llvm::StringRef fileName,
                                   llvm::StringRef text,
                                   const llvm::json::Value &value,
                                   std::optional<int64_t> originalContext,
                                   ModelConfig &config) {
  uint64_t at = offsetOfKey(text, "rope_scaling");
  const llvm::json::Object *scaling = value.getAsObject();
  if (!scaling)
    return importError(fileName, at, "'rope_scaling' must be an object");
  std::optional<llvm::StringRef> type = scaling->getString("rope_type");
  if (!type)
    type = scaling->getString("type");
  if (!type)
    return importError(fileName, at, "'rope_scaling' has no 'rope_type'");
  auto number = [&](llvm::StringRef key,
                    std::optional<double> fallback) -> llvm::Expected<double> {
    std::optional<double> v = scaling->getNumber(key);
    if (!v && !fallback)
      return importError(fileName, at, "'rope_scaling' has no '" + key + "'");
    double result = v ? *v : *fallback;
    if (!(result > 0.0) || !std::isfinite(result))
      return importError(fileName, at,
                         "'rope_scaling' '" + key + "' must be positive");
    return result;
  };
  if (*type == "default")
    return llvm::Error::success();
  if (*type == "longrope" || *type == "su")
    return readLongRope(fileName, at, *scaling, originalContext, config);
  llvm::Expected<double> factor = number("factor", std::nullopt);
  if (!factor)
    return factor.takeError();
  if (*type == "linear") {
    applyRopeDivisors(config, {}, *factor);
    return llvm::Error::success();
  }
  if (*type == "llama3") {
    llvm::Expected<double> low = number("low_freq_factor", 1.0);
    llvm::Expected<double> high = number("high_freq_factor", 4.0);
    llvm::Expected<double> original =
        number("original_max_position_embeddings", 8192.0);
    for (llvm::Expected<double> *v : {&low, &high, &original})
      if (!*v)
        return v->takeError();
    if (*high <= *low)
      return importError(fileName, at,
                         "'rope_scaling' high_freq_factor must exceed "
                         "low_freq_factor");
    applyRopeDivisors(config, llama3RopeDivisors(config, *factor, *low, *high,
                                                 *original));
    return llvm::Error::success();
  }
  if (*type == "yarn") {
    YarnScaling yarn;
    yarn.factor = *factor;
    llvm::Expected<double> original = number(
        "original_max_position_embeddings",
        std::optional<double>(double(config.contextLength) / *factor));
    llvm::Expected<double> fast = number("beta_fast", 32.0);
    llvm::Expected<double> slow = number("beta_slow", 1.0);
    for (llvm::Expected<double> *v : {&original, &fast, &slow})
      if (!*v)
        return v->takeError();
    if (scaling->get("attention_factor")) {
      llvm::Expected<double> attention = number("attention_factor", std::nullopt);
      if (!attention)
        return attention.takeError();
      yarn.attentionFactor = *attention;
    }
    if (scaling->get("mscale") || scaling->get("mscale_all_dim"))
      return importError(fileName, at,
                         "'rope_scaling' yarn with mscale (DeepSeek's) is not "
                         "supported");
    yarn.originalContext = *original;
    yarn.betaFast = *fast;
    yarn.betaSlow = *slow;
    applyYarnScaling(config, yarn);
    return llvm::Error::success();
  }
  return importError(fileName, at,
                     "rope scaling '" + *type +
                         "' is not supported (tfm reads default, linear, yarn, "
                         "llama3 and longrope)");
}

/// The first of `keys` that config.json has (GPT-2 names its fields
/// n_embd, n_layer, ... where the others say hidden_size, ...).
static const llvm::json::Value *
findKey(const llvm::json::Object &root,
        std::initializer_list<llvm::StringRef> keys, llvm::StringRef &found) {
  for (llvm::StringRef key : keys)
    if (const llvm::json::Value *value = root.get(key))
      if (!value->getAsNull()) {
        found = key;
        return value;
      }
  found = *keys.begin();
  return nullptr;
}

/// The integer of the first of `keys` config.json has into `target`, or
/// `fallback` when it has none (an error without a fallback).
static llvm::Error readInteger(llvm::StringRef fileName, llvm::StringRef text,
                               const llvm::json::Object &root,
                               std::initializer_list<llvm::StringRef> keys,
                               int64_t &target,
                               std::optional<int64_t> fallback) {
  llvm::StringRef key;
  const llvm::json::Value *value = findKey(root, keys, key);
  if (value && !value->getAsInteger())
    return importError(fileName, offsetOfKey(text, key),
                       "'" + key + "' must be an integer");
  if (!value && !fallback)
    return importError(fileName, 0, "no '" + key + "'");
  target = value ? *value->getAsInteger() : *fallback;
  return llvm::Error::success();
}

/// The sizes, the norm epsilon, the RoPE base and scaling, the activation.
static llvm::Error readHFHyperparameters(llvm::StringRef fileName,
                                         llvm::StringRef text,
                                         const llvm::json::Object &root,
                                         ModelConfig &config) {
  auto integer = [&](std::initializer_list<llvm::StringRef> keys,
                     int64_t &target, std::optional<int64_t> fallback) {
    return readInteger(fileName, text, root, keys, target, fallback);
  };
  if (llvm::Error e = integer({"hidden_size", "n_embd"}, config.dim,
                              std::nullopt))
    return e;
  // GPT-2's n_inner is null for 4 x n_embd.
  if (llvm::Error e = integer({"intermediate_size", "n_inner"},
                              config.hiddenDim,
                              config.architecture == "gpt2"
                                  ? std::optional<int64_t>(4 * config.dim)
                                  : std::nullopt))
    return e;
  if (llvm::Error e = integer({"num_hidden_layers", "n_layer"},
                              config.numLayers, std::nullopt))
    return e;
  if (llvm::Error e = integer({"num_attention_heads", "n_head"},
                              config.numHeads, std::nullopt))
    return e;
  if (llvm::Error e = integer({"num_key_value_heads"}, config.numKvHeads,
                              config.numHeads))
    return e;
  if (llvm::Error e = integer({"vocab_size"}, config.vocabSize, std::nullopt))
    return e;
  if (llvm::Error e = integer({"max_position_embeddings", "n_positions"},
                              config.contextLength, std::nullopt))
    return e;
  if (std::optional<int64_t> headDim = root.getInteger("head_dim")) {
    if (*headDim <= 0 || *headDim > (int64_t(1) << 20))
      return importError(fileName, offsetOfKey(text, "head_dim"),
                         "head_dim " + Twine(*headDim) + " is not in 1..2^20");
    // Qwen 3 and Gemma heads are wider than hidden_size / heads.
    if (config.numHeads <= 0 || *headDim * config.numHeads != config.dim)
      config.headDimension = *headDim;
  }
  if (std::optional<double> factor = root.getNumber("partial_rotary_factor")) {
    if (!(*factor > 0.0 && *factor <= 1.0))
      return importError(fileName, offsetOfKey(text, "partial_rotary_factor"),
                         "partial_rotary_factor must be in (0, 1]");
    if (*factor < 1.0)
      config.rotaryDim = int64_t(double(config.headDim()) * *factor);
  }
  llvm::StringRef epsKey;
  if (const llvm::json::Value *eps = findKey(
          root, {"rms_norm_eps", "layer_norm_epsilon", "layer_norm_eps"},
          epsKey))
    config.normEps = eps->getAsNumber().value_or(config.normEps);
  config.ropeTheta = root.getNumber("rope_theta").value_or(10000.0);
  config.tiedEmbeddings =
      root.getBoolean("tie_word_embeddings").value_or(config.tiedEmbeddings);
  llvm::StringRef activationKey;
  if (const llvm::json::Value *activation = findKey(
          root, {"hidden_activation", "hidden_act", "activation_function"},
          activationKey)) {
    std::optional<llvm::StringRef> name = activation->getAsString();
    std::optional<ActivationKind> kind;
    if (name && (*name == "silu" || *name == "swish"))
      kind = ActivationKind::SiLU;
    else if (name && (*name == "gelu_pytorch_tanh" || *name == "gelu_new"))
      kind = ActivationKind::GELUTanh;
    else if (name && *name == "gelu")
      kind = ActivationKind::GELU;
    else if (name && *name == "relu")
      kind = ActivationKind::ReLU;
    if (!kind)
      return importError(fileName, offsetOfKey(text, activationKey),
                         "'" + activationKey +
                             "' is not one of silu, gelu_pytorch_tanh, "
                             "gelu_new, gelu, relu");
    config.layer.activation = *kind;
  }
  if (const llvm::json::Value *scaling = root.get("rope_scaling"))
    if (!scaling->getAsNull())
      return readRopeScaling(fileName, text, *scaling,
                             root.getInteger("original_max_position_embeddings"),
                             config);
  return llvm::Error::success();
}

/// Attention beyond the plain causal one: Gemma's score scale and soft
/// caps, sliding windows (Mistral, Phi-3, Qwen 2 when it uses them, Gemma's
/// local layers and their RoPE base).
static llvm::Error readHFAttentionOptions(llvm::StringRef fileName,
                                          llvm::StringRef text,
                                          const llvm::json::Object &root,
                                          ModelConfig &config) {
  auto positive = [&](llvm::StringRef key, double &target) -> llvm::Error {
    const llvm::json::Value *value = root.get(key);
    if (!value || value->getAsNull())
      return llvm::Error::success();
    std::optional<double> number = value->getAsNumber();
    if (!number || !(*number > 0.0) || !std::isfinite(*number))
      return importError(fileName, offsetOfKey(text, key),
                         "'" + key + "' must be a positive number");
    target = *number;
    return llvm::Error::success();
  };
  double preAttentionScalar = 0.0;
  if (llvm::Error e = positive("query_pre_attn_scalar", preAttentionScalar))
    return e;
  if (preAttentionScalar > 0.0)
    config.attentionScale = 1.0 / std::sqrt(preAttentionScalar);
  config.attentionSoftCap = config.finalLogitSoftCap = 0.0;
  if (llvm::Error e = positive("attn_logit_softcapping", config.attentionSoftCap))
    return e;
  if (llvm::Error e =
          positive("final_logit_softcapping", config.finalLogitSoftCap))
    return e;
  config.localRopeTheta = 0.0;
  if (llvm::Error e = positive("rope_local_base_freq", config.localRopeTheta))
    return e;
  config.slidingWindow = 0;
  if (root.getBoolean("use_sliding_window").value_or(true)) {
    double window = 0.0;
    if (llvm::Error e = positive("sliding_window", window))
      return e;
    config.slidingWindow = int64_t(window);
  }
  if (std::optional<int64_t> pattern = root.getInteger("sliding_window_pattern"))
    config.slidingPattern = *pattern;
  // Newer configs list each layer's kind instead of a pattern.
  if (const llvm::json::Array *types = root.getArray("layer_types")) {
    config.slidingLayers.clear();
    for (const llvm::json::Value &type : *types)
      config.slidingLayers.push_back(type.getAsString() ==
                                     std::optional<llvm::StringRef>(
                                         "sliding_attention"));
    if (int64_t(config.slidingLayers.size()) != config.numLayers)
      return importError(fileName, offsetOfKey(text, "layer_types"),
                         "'layer_types' must have one entry per layer (" +
                             Twine(config.numLayers) + ")");
  }
  return llvm::Error::success();
}

/// T5Config's fields (d_model, d_ff, d_kv, num_layers, ...), with its
/// defaults: 8 heads of 64, 32 buckets, ReLU, tied output, decoder start 0.
/// The context is `n_positions` when given, else 512 (as llama.cpp's
/// converter takes it: the relative positions have no table to bound it).
static llvm::Error readT5Config(llvm::StringRef fileName, llvm::StringRef text,
                                const llvm::json::Object &root,
                                ModelConfig &config) {
  auto integer = [&](llvm::StringRef key, int64_t &target,
                     std::optional<int64_t> fallback) {
    return readInteger(fileName, text, root, {key}, target, fallback);
  };
  int64_t headDim = 0, maxDistance = 0;
  for (auto [key, target, fallback] :
       {std::tuple{"d_model", &config.dim, std::optional<int64_t>()},
        std::tuple{"d_ff", &config.hiddenDim, std::optional<int64_t>()},
        std::tuple{"num_layers", &config.numLayers, std::optional<int64_t>()},
        std::tuple{"num_heads", &config.numHeads, std::optional<int64_t>(8)},
        std::tuple{"vocab_size", &config.vocabSize, std::optional<int64_t>()},
        std::tuple{"d_kv", &headDim, std::optional<int64_t>(64)},
        std::tuple{"relative_attention_num_buckets", &config.relativeBuckets,
                   std::optional<int64_t>(32)},
        std::tuple{"relative_attention_max_distance", &maxDistance,
                   std::optional<int64_t>(kT5MaxDistance)},
        std::tuple{"decoder_start_token_id", &config.decoderStartToken,
                   std::optional<int64_t>(0)},
        std::tuple{"n_positions", &config.contextLength,
                   std::optional<int64_t>(512)}})
    if (llvm::Error e = integer(key, *target, fallback))
      return e;
  if (llvm::Error e =
          integer("num_decoder_layers", config.numDecoderLayers,
                  config.numLayers))
    return e;
  if (maxDistance != kT5MaxDistance)
    return importError(fileName,
                       offsetOfKey(text, "relative_attention_max_distance"),
                       "relative_attention_max_distance " + Twine(maxDistance) +
                           " is not T5's 128 (the only one tfm and llama.cpp "
                           "read)");
  config.numKvHeads = config.numHeads;
  config.headDimension =
      headDim * config.numHeads == config.dim ? 0 : headDim;
  config.normEps = root.getNumber("layer_norm_epsilon").value_or(1e-6);
  config.tiedEmbeddings = root.getBoolean("tie_word_embeddings").value_or(true);
  llvm::StringRef ffn = root.getString("feed_forward_proj").value_or("relu");
  if (ffn == "gated-gelu") {
    config.layer.feedForward = FeedForwardKind::Gated;
    config.layer.activation = ActivationKind::GELUTanh;
  } else if (ffn != "relu") {
    return importError(fileName, offsetOfKey(text, "feed_forward_proj"),
                       "'feed_forward_proj' is not one of relu, gated-gelu");
  }
  return llvm::Error::success();
}

llvm::Expected<ModelConfig> mlir::tfm::parseHFConfig(llvm::StringRef fileName,
                                                     llvm::StringRef text) {
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return importError(fileName, 0, "not valid JSON: " +
                                     llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return importError(fileName, 0, "not a JSON object");
  const llvm::json::Array *architectures = root->getArray("architectures");
  std::optional<llvm::StringRef> arch;
  if (architectures && !architectures->empty())
    arch = (*architectures)[0].getAsString();
  if (!arch)
    return importError(fileName, 0, "no 'architectures' list");
  const ArchitectureInfo *info = lookupHuggingFaceArchitecture(*arch);
  if (!info)
    return importError(fileName, offsetOfKey(text, "architectures"),
                       "unknown architecture '" + *arch + "' (tfm imports " +
                           listHuggingFaceArchitectures() + ")");

  ModelConfig config = ModelConfig::tiny(info->name);
  // Hugging Face keeps Q and K unpermuted: RoPE pairs are half-split.
  config.layer.ropeInterleaved = false;
  if (info->family == ModelFamily::EncoderDecoder) {
    if (llvm::Error error = readT5Config(fileName, text, *root, config))
      return std::move(error);
  } else {
    if (llvm::Error error =
            readHFHyperparameters(fileName, text, *root, config))
      return std::move(error);
    if (llvm::Error error =
            readHFAttentionOptions(fileName, text, *root, config))
      return std::move(error);
  }
  if (llvm::Error error = validateModelConfig(config))
    return importError(fileName, 0, llvm::toString(std::move(error)));
  return config;
}

/// Hugging Face's T5 with a tied output scales the decoder's last hidden
/// state by d_model^-0.5 before the LM head (its initialization for the
/// shared table); tfm folds the factor into the final norm's weight, so the
/// logits are Hugging Face's. (llama.cpp's converter leaves it out: the
/// same greedy tokens, logits larger by sqrt(d_model).)
static llvm::Error scaleTiedT5Output(ModelFile &model) {
  const TensorView *norm = model.lookup("dec.output_norm.weight");
  if (!norm)
    return importError(model.path, 0,
                       "no tensor 'decoder.final_layer_norm.weight'");
  TensorView scaled = *norm;
  int64_t count = scaled.numElements();
  llvm::Expected<std::unique_ptr<llvm::WritableMemoryBuffer>> copy =
      copyBuffer(scaled, size_t(count) * 4);
  if (!copy)
    return copy.takeError();
  auto *out = reinterpret_cast<float *>((*copy)->getBufferStart());
  if (!dequantize(scaled.type, scaled.data, llvm::MutableArrayRef(out, count)))
    return importError(scaled.file, scaled.fileOffset,
                       "cannot read tensor 'decoder.final_layer_norm.weight'");
  float factor = float(1.0 / std::sqrt(double(model.config.dim)));
  for (int64_t i = 0; i < count; ++i)
    out[i] *= factor;
  scaled.type = WeightFormat::F32;
  scaled.data = model.keep(std::move(*copy));
  return model.replaceTensor(std::move(scaled));
}

/// An encoder's token types (the rows of token_types.weight) and pooling:
/// sentence-transformers' `1_Pooling/config.json` when the directory has it
/// (CLS, mean or last token), none otherwise, as llama.cpp's converter
/// takes it.
static llvm::Error readEncoderOptions(llvm::StringRef directory,
                                      ModelFile &model) {
  const TensorView *types = model.lookup("token_types.weight");
  model.config.tokenTypes = types ? types->shape[0] : 0;
  if (types && (types->shape.size() != 2 || types->shape[1] != model.config.dim))
    return importError(types->file, types->fileOffset,
                       "'token_types.weight' must be [types, " +
                           Twine(model.config.dim) + "]");
  model.config.pooling = PoolingKind::None;
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, "1_Pooling", "config.json");
  if (!llvm::sys::fs::exists(path))
    return llvm::Error::success();
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> text = mapFile(path);
  if (!text)
    return text.takeError();
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*text)->getBuffer());
  if (!json)
    return importError(path, 0, "not valid JSON: " +
                                    llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return importError(path, 0, "not a JSON object");
  for (auto [key, kind] :
       {std::pair{"pooling_mode_cls_token", PoolingKind::CLS},
        std::pair{"pooling_mode_mean_tokens", PoolingKind::Mean},
        std::pair{"pooling_mode_lasttoken", PoolingKind::Last}})
    if (root->getBoolean(key).value_or(false)) {
      model.config.pooling = kind;
      return llvm::Error::success();
    }
  return importError(path, 0,
                     "no pooling tfm knows (pooling_mode_cls_token, "
                     "pooling_mode_mean_tokens, pooling_mode_lasttoken)");
}

llvm::Expected<std::unique_ptr<ModelFile>>
mlir::tfm::readSafetensorsModel(llvm::StringRef directory) {
  llvm::SmallString<256> configPath = directory;
  llvm::sys::path::append(configPath, "config.json");
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> configBuffer =
      mapFile(configPath);
  if (!configBuffer)
    return configBuffer.takeError();
  llvm::Expected<ModelConfig> config =
      parseHFConfig(configPath, (*configBuffer)->getBuffer());
  if (!config)
    return config.takeError();

  auto model = std::make_unique<ModelFile>();
  model->format = ModelFormat::Safetensors;
  model->path = directory.str();
  model->tensorIndexOffset = 8; // the JSON header of each shard
  model->config = *config;
  llvm::Expected<std::vector<std::string>> shards = listShards(directory);
  if (!shards)
    return shards.takeError();
  // Fused tensors (Phi-3's qkv_proj and gate_up_proj, GPT-2's c_attn) are
  // set aside and added as views of their rows once all shards are read.
  const ArchitectureInfo &info = *lookupArchitecture(config->architecture);
  FusedTensors fused(info, model->config, /*partsMayBeSeparate=*/false);
  for (const std::string &shard : *shards) {
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = mapFile(shard);
    if (!buffer)
      return buffer.takeError();
    llvm::ArrayRef<uint8_t> bytes = model->keep(std::move(*buffer));
    llvm::Expected<std::vector<SafetensorsEntry>> entries =
        parseSafetensors(shard, bytes);
    if (!entries)
      return entries.takeError();
    for (SafetensorsEntry &entry : *entries) {
      std::optional<HuggingFaceTensor> name =
          fromHuggingFaceName(config->architecture, entry.name);
      if (!name)
        continue; // e.g. rotary_emb.inv_freq buffers of old exports
      TensorView view;
      view.name = name->gguf;
      view.shape = entry.shape;
      view.type = entry.type;
      view.file = shard;
      view.fileOffset = entry.begin;
      view.data = bytes.slice(entry.begin, entry.end - entry.begin);
      llvm::Expected<TensorView> stored =
          applyTransform(*model, std::move(view), name->transform);
      if (!stored)
        return stored.takeError();
      llvm::Error error = fused.isFused(stored->name)
                              ? fused.add(std::move(*stored))
                              : model->addTensor(std::move(*stored));
      if (error)
        return std::move(error);
    }
  }
  if (llvm::Error error = fused.splitInto(*model))
    return std::move(error);
  // GPT-2's learned table has n_positions rows, whatever context is
  // compiled.
  if (model->config.layer.positions == PositionKind::Learned)
    model->config.positionTableRows = model->config.contextLength;
  if (!model->lookup("output.weight"))
    model->config.tiedEmbeddings = true;
  if (model->config.family == ModelFamily::EncoderDecoder &&
      model->config.tiedEmbeddings)
    if (llvm::Error error = scaleTiedT5Output(*model))
      return std::move(error);
  if (model->config.family == ModelFamily::Encoder)
    if (llvm::Error error = readEncoderOptions(directory, *model))
      return std::move(error);
  // The tokenizer, when the directory has one (with tokenizer_config.json's
  // special tokens and chat template); a BERT directory may have only
  // WordPiece's vocab.txt.
  llvm::SmallString<256> tokenizer(directory);
  llvm::sys::path::append(tokenizer, "tokenizer.json");
  llvm::SmallString<256> vocabText(directory);
  llvm::sys::path::append(vocabText, "vocab.txt");
  if (!llvm::sys::fs::exists(tokenizer) && llvm::sys::fs::exists(vocabText))
    tokenizer = vocabText;
  if (llvm::sys::fs::exists(tokenizer)) {
    llvm::Expected<Vocabulary> vocabulary =
        tokenizer == vocabText ? readWordPieceVocabText(vocabText)
                               : readTokenizerJson(tokenizer);
    if (!vocabulary)
      return vocabulary.takeError();
    if (int64_t(vocabulary->size()) > model->config.vocabSize)
      return importError(tokenizer,
                         "has " + llvm::Twine(vocabulary->size()) +
                             " tokens, more than the model's vocab_size " +
                             llvm::Twine(model->config.vocabSize));
    // Models pad their embedding past the tokenizer (Phi-3: 32064 rows
    // for 32011 tokens): the rows left are unused tokens, as llama.cpp
    // names them.
    while (int64_t(vocabulary->size()) < model->config.vocabSize) {
      vocabulary->pieces.push_back("[PAD" +
                                   std::to_string(vocabulary->size()) + "]");
      vocabulary->scores.push_back(0.0f);
      vocabulary->kinds.push_back(TokenKind::Unused);
    }
    model->vocabulary = std::move(*vocabulary);
    model->vocabularySource = std::string(tokenizer);
  }
  return std::move(model);
}
