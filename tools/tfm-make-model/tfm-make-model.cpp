//===- tfm-make-model.cpp - write random-weight models --------------------===//
//
//   tfm-make-model --format=gguf|llama2c|safetensors -o PATH
//                  [--shape llama-110m|llama-336m-gqa] [shape flags]
//   tfm-make-model --arch=gpt2 -o FILE.gguf [shape flags]
//
// Writes a Llama model with seeded random weights in any format tfm imports:
// a GGUF file (with a synthetic SentencePiece vocabulary), a llama2.c
// checkpoint (with `tok<vocab>.bin` beside it), or a Hugging Face directory
// (config.json and one or more .safetensors shards); or a GPT-2 model as a
// GGUF file laid out as llama.cpp's converter writes one (Q, K and V in one
// `attn_qkv` matrix). The tensor list comes from the model builder, so the
// files always hold what the IR needs.
//
//===----------------------------------------------------------------------===//

#include "tfm/Builder/ModelBuilder.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Import/Dequantize.h"
#include "tfm/Import/GGUFWriter.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-make-model options");
cl::opt<std::string> shape(
    "shape",
    cl::desc("Start from a named shape of shared/BASELINES.md: llama-110m | "
             "llama-336m-gqa (shape flags given too override it)"),
    cl::cat(category));
cl::opt<std::string> arch("arch", cl::desc("llama | gpt2 (GGUF only)"),
                          cl::init("llama"), cl::cat(category));
cl::opt<std::string> format("format", cl::desc("gguf | llama2c | safetensors"),
                            cl::init("gguf"), cl::cat(category));
cl::opt<std::string> outputPath("o", cl::Required,
                                cl::desc("Output file (directory for "
                                         "safetensors)"),
                                cl::cat(category));
cl::opt<int64_t> vocabSize("vocab", cl::init(512), cl::cat(category),
                           cl::desc("Vocabulary size"));
cl::opt<int64_t> dim("dim", cl::init(64), cl::cat(category),
                     cl::desc("Model dimension"));
cl::opt<int64_t> hiddenDim("hidden-dim", cl::init(172), cl::cat(category),
                           cl::desc("Feed-forward dimension"));
cl::opt<int64_t> numLayers("layers", cl::init(2), cl::cat(category),
                           cl::desc("Layers"));
cl::opt<int64_t> numHeads("heads", cl::init(8), cl::cat(category),
                          cl::desc("Attention heads"));
cl::opt<int64_t> numKvHeads("kv-heads", cl::init(4), cl::cat(category),
                            cl::desc("Key/value heads"));
cl::opt<int64_t> contextLength("context", cl::init(128), cl::cat(category),
                               cl::desc("Context length"));
cl::opt<bool> tied("tied", cl::desc("No separate output matrix"),
                   cl::cat(category));
cl::opt<std::string> weightType("type", cl::init("f32"), cl::cat(category),
                                cl::desc("Matrix storage: f32 | f16"));
cl::opt<unsigned> shards("shards", cl::init(1), cl::cat(category),
                         cl::desc("safetensors: number of shard files"));
cl::opt<unsigned> seed("seed", cl::init(1), cl::cat(category),
                       cl::desc("Random seed"));

/// Sets the shape flags the user did not give from a named shape; false
/// for an unknown name.
bool applyNamedShape(llvm::StringRef name) {
  struct Shape {
    const char *name;
    int64_t dim, hidden, layers, heads, kvHeads, vocab, context;
  };
  static const Shape shapes[] = {
      {"llama-110m", 768, 2048, 12, 12, 12, 32000, 1024},
      {"llama-336m-gqa", 1024, 2816, 24, 16, 4, 32000, 2048}};
  const Shape *found = llvm::find_if(
      shapes, [&](const Shape &s) { return name == s.name; });
  if (found == std::end(shapes))
    return false;
  auto setDefault = [](cl::opt<int64_t> &flag, int64_t value) {
    if (flag.getNumOccurrences() == 0)
      flag = value;
  };
  setDefault(dim, found->dim);
  setDefault(hiddenDim, found->hidden);
  setDefault(numLayers, found->layers);
  setDefault(numHeads, found->heads);
  setDefault(numKvHeads, found->kvHeads);
  setDefault(vocabSize, found->vocab);
  setDefault(contextLength, found->context);
  return true;
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-make-model: " << message << "\n";
  return 1;
}

struct Weight {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// One random tensor per distinct `tfm.param` of the model, in first-use
/// order. Norm scales are near 1, everything else small.
std::vector<Weight> randomWeights(ModuleOp module, std::mt19937 &rng) {
  std::vector<Weight> weights;
  llvm::StringSet<> seen;
  std::uniform_real_distribution<float> small(-0.1f, 0.1f);
  module.walk([&](ParamOp param) {
    if (!seen.insert(param.getName()).second)
      return;
    Weight weight;
    weight.name = param.getName().str();
    llvm::append_range(weight.shape, param.getResult().getType().getShape());
    int64_t count = param.getResult().getType().getNumElements();
    bool isNorm = weight.name.find("norm") != std::string::npos &&
                  llvm::StringRef(weight.name).ends_with(".weight");
    for (int64_t i = 0; i < count; ++i)
      weight.values.push_back(isNorm ? 1.0f + small(rng) : small(rng));
    weights.push_back(std::move(weight));
  });
  return weights;
}

std::vector<uint8_t> encode(const Weight &weight, bool asHalf) {
  std::vector<uint8_t> bytes;
  if (!asHalf) {
    bytes.resize(weight.values.size() * 4);
    std::memcpy(bytes.data(), weight.values.data(), bytes.size());
    return bytes;
  }
  bytes.resize(weight.values.size() * 2);
  for (size_t i = 0; i < weight.values.size(); ++i) {
    uint16_t half = floatToHalf(weight.values[i]);
    std::memcpy(bytes.data() + 2 * i, &half, 2);
  }
  return bytes;
}

/// `<unk> <s> </s>`, then byte tokens when the vocabulary has room for all
/// 256, then pieces of printable characters with and without a leading space.
void syntheticVocabulary(int64_t size, std::vector<std::string> &pieces,
                         std::vector<float> &scores,
                         std::vector<int32_t> &types) {
  pieces = {"<unk>", "<s>", "</s>"};
  types = {2, 3, 3};
  if (size >= 3 + 256 + 1)
    for (int byte = 0; byte < 256; ++byte) {
      pieces.push_back(llvm::formatv("<0x{0:X-2}>", byte).str());
      types.push_back(6);
    }
  for (int64_t i = 0; int64_t(pieces.size()) < size; ++i) {
    char c = char(' ' + 1 + i % 94);
    std::string piece = i / 94 % 2 ? std::string(1, c) : " " + std::string(1, c);
    if (i >= 188)
      piece += std::to_string(i);
    pieces.push_back(piece);
    types.push_back(1);
  }
  scores.assign(pieces.size(), 0.f);
  for (size_t i = 0; i < pieces.size(); ++i)
    scores[i] = -float(i);
}

/// GPT-2's `blk.N.attn_q/k/v.{weight,bias}` as llama.cpp stores them: one
/// `blk.N.attn_qkv` tensor of Q, K and V rows, in place of the first.
std::vector<Weight> fuseQKV(const std::vector<Weight> &weights) {
  llvm::StringMap<const Weight *> byName;
  for (const Weight &weight : weights)
    byName[weight.name] = &weight;
  std::vector<Weight> fused;
  for (const Weight &weight : weights) {
    llvm::StringRef name = weight.name;
    size_t at = name.find(".attn_q.");
    if (at == llvm::StringRef::npos) {
      if (!name.contains(".attn_k.") && !name.contains(".attn_v."))
        fused.push_back(weight);
      continue;
    }
    std::string prefix = name.substr(0, at).str() + ".attn_";
    std::string part = name.substr(at + strlen(".attn_q.")).str();
    Weight qkv{prefix + "qkv." + part, weight.shape, {}};
    qkv.shape[0] *= 3;
    for (const char *projection : {"q.", "k.", "v."})
      llvm::append_range(qkv.values,
                         byName.lookup(prefix + projection + part)->values);
    fused.push_back(std::move(qkv));
  }
  return fused;
}

void addArchitectureMetadata(GGUFWriter &writer, const ModelConfig &config) {
  std::string key = stringifyModelArch(config.arch).str() + ".";
  writer.addString("general.architecture", stringifyModelArch(config.arch));
  writer.addString("general.name", "tfm-make-model");
  writer.addUInt32(key + "context_length", config.contextLength);
  writer.addUInt32(key + "embedding_length", config.dim);
  writer.addUInt32(key + "feed_forward_length", config.hiddenDim);
  writer.addUInt32(key + "block_count", config.numLayers);
  writer.addUInt32(key + "attention.head_count", config.numHeads);
  if (config.arch == ModelArch::GPT2) {
    writer.addFloat32(key + "attention.layer_norm_epsilon",
                      float(config.normEps));
    return;
  }
  writer.addUInt32("llama.attention.head_count_kv", config.numKvHeads);
  writer.addUInt32("llama.rope.dimension_count", config.headDim());
  writer.addFloat32("llama.rope.freq_base", float(config.ropeTheta));
  writer.addFloat32("llama.attention.layer_norm_rms_epsilon",
                    float(config.normEps));
}

llvm::Error writeGGUF(const ModelConfig &config,
                      const std::vector<Weight> &weights, bool asHalf) {
  GGUFWriter writer;
  addArchitectureMetadata(writer, config);
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  syntheticVocabulary(config.vocabSize, pieces, scores, types);
  for (std::string &piece : pieces)
    piece = llvm::join(llvm::split(piece, " "), "\xE2\x96\x81");
  writer.addString("tokenizer.ggml.model", "llama");
  writer.addStringArray("tokenizer.ggml.tokens", pieces);
  writer.addFloat32Array("tokenizer.ggml.scores", scores);
  writer.addInt32Array("tokenizer.ggml.token_type", types);
  writer.addUInt32("tokenizer.ggml.bos_token_id", 1);
  writer.addUInt32("tokenizer.ggml.eos_token_id", 2);
  for (const Weight &weight :
       config.arch == ModelArch::GPT2 ? fuseQKV(weights) : weights) {
    bool half = asHalf && weight.shape.size() == 2;
    writer.addTensor(weight.name, weight.shape,
                     half ? WeightFormat::F16 : WeightFormat::F32,
                     encode(weight, half));
  }
  return writer.writeFile(outputPath);
}

llvm::Error writeBytes(llvm::StringRef path, llvm::ArrayRef<uint8_t> bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return llvm::Error::success();
}

template <typename T>
void append(std::vector<uint8_t> &out, T value) {
  uint8_t raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.insert(out.end(), raw, raw + sizeof(T));
}

llvm::Error writeLlama2c(const ModelConfig &config,
                         const std::vector<Weight> &weights) {
  llvm::StringMap<const Weight *> byName;
  for (const Weight &weight : weights)
    byName[weight.name] = &weight;
  std::vector<uint8_t> out;
  int32_t vocab = int32_t(config.tiedEmbeddings ? config.vocabSize
                                                : -config.vocabSize);
  for (int32_t field :
       {int32_t(config.dim), int32_t(config.hiddenDim),
        int32_t(config.numLayers), int32_t(config.numHeads),
        int32_t(config.numKvHeads), vocab, int32_t(config.contextLength)})
    append(out, field);
  auto put = [&](llvm::StringRef name) {
    for (float value : byName.lookup(name)->values)
      append(out, value);
  };
  put("token_embd.weight");
  for (const char *suffix :
       {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
        "ffn_gate", "ffn_down", "ffn_up"})
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
      put(("blk." + llvm::Twine(layer) + "." + suffix + ".weight").str());
  put("output_norm.weight");
  for (int64_t i = 0; i < config.contextLength * config.headDim(); ++i)
    append(out, 0.0f); // freq_cis_real and freq_cis_imag, unused by tfm
  if (!config.tiedEmbeddings)
    put("output.weight");
  if (llvm::Error error = writeBytes(outputPath, out))
    return error;

  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  syntheticVocabulary(config.vocabSize, pieces, scores, types);
  std::vector<uint8_t> tokenizer = serializeLlama2cTokenizer(pieces, scores);
  llvm::SmallString<256> tokenizerPath =
      llvm::sys::path::parent_path(outputPath);
  llvm::sys::path::append(tokenizerPath,
                          "tok" + std::to_string(config.vocabSize) + ".bin");
  return writeBytes(tokenizerPath, tokenizer);
}

std::string hfName(llvm::StringRef gguf) {
  static const std::pair<const char *, const char *> names[] = {
      {"attn_norm", "input_layernorm"},
      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},
      {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},
      {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"}};
  if (gguf == "token_embd.weight")
    return "model.embed_tokens.weight";
  if (gguf == "output_norm.weight")
    return "model.norm.weight";
  if (gguf == "output.weight")
    return "lm_head.weight";
  llvm::SmallVector<llvm::StringRef> parts;
  gguf.split(parts, '.');
  for (auto [from, to] : names)
    if (parts[2] == from)
      return ("model.layers." + parts[1] + "." + to + ".weight").str();
  return gguf.str();
}

llvm::Error writeSafetensors(const ModelConfig &config,
                             const std::vector<Weight> &weights, bool asHalf) {
  if (std::error_code ec = llvm::sys::fs::create_directories(outputPath))
    return llvm::createStringError(ec, "cannot create " + outputPath);
  llvm::json::Object hfConfig{
      {"architectures", llvm::json::Array{"LlamaForCausalLM"}},
      {"hidden_size", config.dim},
      {"intermediate_size", config.hiddenDim},
      {"num_hidden_layers", config.numLayers},
      {"num_attention_heads", config.numHeads},
      {"num_key_value_heads", config.numKvHeads},
      {"vocab_size", config.vocabSize},
      {"max_position_embeddings", config.contextLength},
      {"rms_norm_eps", config.normEps},
      {"rope_theta", config.ropeTheta},
      {"tie_word_embeddings", config.tiedEmbeddings}};
  llvm::SmallString<256> configPath(outputPath.getValue());
  llvm::sys::path::append(configPath, "config.json");
  std::string configText;
  llvm::raw_string_ostream(configText)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(hfConfig)));
  if (llvm::Error error = writeBytes(
          configPath, llvm::ArrayRef(reinterpret_cast<const uint8_t *>(
                                         configText.data()),
                                     configText.size())))
    return error;

  unsigned shardCount = std::max(1u, unsigned(shards));
  for (unsigned shard = 0; shard < shardCount; ++shard) {
    llvm::json::Object header;
    std::vector<uint8_t> data;
    for (size_t i = shard; i < weights.size(); i += shardCount) {
      const Weight &weight = weights[i];
      bool half = asHalf && weight.shape.size() == 2;
      std::vector<uint8_t> bytes = encode(weight, half);
      llvm::json::Array shape;
      for (int64_t d : weight.shape)
        shape.push_back(d);
      header[hfName(weight.name)] = llvm::json::Object{
          {"dtype", half ? "F16" : "F32"},
          {"shape", std::move(shape)},
          {"data_offsets",
           llvm::json::Array{int64_t(data.size()),
                             int64_t(data.size() + bytes.size())}}};
      data.insert(data.end(), bytes.begin(), bytes.end());
    }
    header["__metadata__"] = llvm::json::Object{{"format", "pt"}};
    std::string headerText;
    llvm::raw_string_ostream(headerText)
        << llvm::json::Value(std::move(header));
    std::vector<uint8_t> file;
    append(file, uint64_t(headerText.size()));
    file.insert(file.end(), headerText.begin(), headerText.end());
    file.insert(file.end(), data.begin(), data.end());
    llvm::SmallString<256> shardPath(outputPath.getValue());
    llvm::sys::path::append(shardPath,
                            "model-" + std::to_string(shard + 1) + "-of-" +
                                std::to_string(shardCount) + ".safetensors");
    if (llvm::Error error = writeBytes(shardPath, file))
      return error;
  }
  return llvm::Error::success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Write a random-weight Llama or GPT-2 model\n");
  if (arch != "llama" && arch != "gpt2")
    return fail("unknown --arch '" + arch + "' (expected llama or gpt2)");
  bool gpt2 = arch == "gpt2";
  ModelConfig config = gpt2 ? ModelConfig::tinyGPT2() : ModelConfig::tinyLlama();
  if (!shape.empty() && (gpt2 || !applyNamedShape(shape)))
    return fail("unknown --shape '" + shape + "'" +
                (gpt2 ? " for gpt2 (the shapes are Llama models)"
                      : " (expected llama-110m or llama-336m-gqa)"));
  if (gpt2 && format != "gguf")
    return fail("gpt2 models are written as GGUF only, not --format=" + format);
  if (gpt2) {
    // Multi-head attention and a 4 x dim MLP, as GPT-2 has.
    if (numKvHeads.getNumOccurrences() == 0)
      numKvHeads = numHeads.getValue();
    if (hiddenDim.getNumOccurrences() == 0)
      hiddenDim = 4 * dim;
    if (numKvHeads != numHeads)
      return fail("gpt2 has multi-head attention: --kv-heads must equal "
                  "--heads");
  }
  config.vocabSize = vocabSize;
  config.dim = dim;
  config.hiddenDim = hiddenDim;
  config.numLayers = numLayers;
  config.numHeads = numHeads;
  config.numKvHeads = numKvHeads;
  config.contextLength = contextLength;
  config.tiedEmbeddings = tied;
  if (weightType != "f32" && weightType != "f16")
    return fail("unknown --type '" + weightType + "' (expected f32 or f16)");
  bool asHalf = weightType == "f16";

  MLIRContext context;
  llvm::Expected<OwningOpRef<ModuleOp>> module = buildModel(context, config);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  std::mt19937 rng(seed);
  std::vector<Weight> weights = randomWeights(**module, rng);

  llvm::Error error = llvm::Error::success();
  if (format == "gguf")
    error = writeGGUF(config, weights, asHalf);
  else if (format == "llama2c")
    error = asHalf ? llvm::createStringError("llama2c checkpoints are f32")
                   : writeLlama2c(config, weights);
  else if (format == "safetensors")
    error = writeSafetensors(config, weights, asHalf);
  else
    return fail("unknown --format '" + format +
                "' (expected gguf, llama2c or safetensors)");
  if (error)
    return fail(llvm::toString(std::move(error)));
  return 0;
}
