//===- tfm-make-model.cpp - write random-weight models --------------------===//
//
//   tfm-make-model --format=gguf|llama2c|safetensors -o PATH
//                  [--shape llama-3.2-1b|qwen2.5-0.5b|gemma-2-2b|...]
//                  [shape flags]
//   tfm-make-model --arch=qwen2|qwen3|phi3|gpt2|bert|t5 -o PATH [shape flags]
//
// Writes a decoder of any architecture of the table (docs/models.md), a
// BERT encoder (GGUF with `ARCH.pooling_type` from --pooling, or a
// BertModel directory) or a T5 encoder-decoder (GGUF, with a synthetic
// unigram vocabulary), with
// seeded random weights: a GGUF file (with a synthetic SentencePiece
// vocabulary) laid out as llama.cpp's converter writes that architecture
// (fused `attn_qkv` for GPT-2 and Phi-3, gate and up in one `ffn_up` for
// Phi-3, `rope_freqs.weight` with --llama3-rope), a llama2.c checkpoint
// (Llama only, with `tok<vocab>.bin` beside it), or a Hugging Face
// directory (config.json and one or more .safetensors shards). The tensor
// list comes from the model builder, so the files always hold what the IR
// needs.
//
//===----------------------------------------------------------------------===//

#include "tfm/Builder/ModelBuilder.h"
#include "tfm/Import/GGUF.h"
#include "tfm/Import/ModelFile.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Model/Architectures.h"
#include "tfm/Model/RopeScaling.h"
#include "tfm/Writers/GGUFWriter.h"
#include "tfm/Writers/Llama2cWriter.h"
#include "tfm/Writers/SafetensorsWriter.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-make-model options");
cl::opt<std::string> shape(
    "shape",
    cl::desc("Start from the shape of a released model (llama-3.2-1b, "
             "qwen2.5-0.5b, gemma-2-2b, phi-3-mini, llama-3-8b, "
             "flan-t5-base, ...) or of "
             "shared/BASELINES.md (llama-110m, llama-336m-gqa); it sets the "
             "architecture, and shape flags given too override it"),
    cl::cat(category));
cl::opt<std::string> arch(
    "arch",
    cl::desc("An architecture of docs/models.md: llama, qwen2, qwen3, phi3, "
             "gpt2 (decoders), bert (encoder), t5 (encoder-decoder)"),
    cl::init("llama"), cl::cat(category));
cl::opt<std::string> format("format", cl::desc("gguf | llama2c | safetensors"),
                            cl::init("gguf"), cl::cat(category));
cl::opt<std::string> outputPath("o",
                                cl::desc("Output file (directory for "
                                         "safetensors)"),
                                cl::cat(category));
cl::opt<bool> printShape(
    "print-shape",
    cl::desc("Print the shape the flags describe (JSON: arch, dim, layers, "
             "heads, kv_heads, head_dim, context) instead of writing a model"),
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
cl::opt<int64_t> headDim("head-dim", cl::init(0), cl::cat(category),
                         cl::desc("Features per head (0: dim / heads)"));
cl::opt<int64_t> kvHeadCopies(
    "kv-head-copies",
    cl::desc("Make each KV head's key and value projections C identical "
             "copies (C divides --kv-heads): a GQA model in MHA's clothes, "
             "which tfm-compile --convert-to-gqa turns back exactly"),
    cl::init(1), cl::value_desc("C"), cl::cat(category));
cl::opt<double> ropeTheta("rope-theta", cl::init(10000.0), cl::cat(category),
                          cl::desc("RoPE base frequency"));
cl::opt<bool> llama3Rope(
    "llama3-rope",
    cl::desc("Llama 3.1/3.2's scaled RoPE (factor 32, low 1, high 4, "
             "original context 8192): GGUF rope_freqs.weight, or "
             "config.json rope_scaling"),
    cl::cat(category));
cl::opt<double> yarnFactor(
    "yarn", cl::init(0.0), cl::cat(category),
    cl::desc("YaRN RoPE scaling by this factor over an original context of "
             "--context / 4 (GGUF rope.scaling.*, config.json rope_scaling)"),
    cl::value_desc("factor"));
cl::opt<bool> longRope(
    "longrope",
    cl::desc("Phi-3's LongRoPE over an original context of --context / 4: "
             "GGUF rope_factors_long/short, or config.json rope_scaling"),
    cl::cat(category));
cl::opt<int64_t> slidingWindow(
    "sliding-window", cl::init(-1), cl::cat(category),
    cl::desc("Sliding window of the sliding layers (gemma2, gemma3; -1: the "
             "architecture's default)"));
cl::opt<int64_t> contextLength("context", cl::init(128), cl::cat(category),
                               cl::desc("Context length"));
cl::opt<bool> tied("tied", cl::desc("No separate output matrix"),
                   cl::cat(category));
cl::opt<std::string> weightType("type", cl::init("f32"), cl::cat(category),
                                cl::desc("Matrix storage: f32 | f16 | bf16"));
cl::opt<unsigned> shards("shards", cl::init(1), cl::cat(category),
                         cl::desc("safetensors: number of shard files"));
cl::opt<std::string> chatTemplate(
    "chat-template",
    cl::desc("A Jinja chat template to store (GGUF tokenizer.chat_template)"),
    cl::value_desc("jinja"), cl::cat(category));
cl::opt<std::string> vocabFrom(
    "vocab-from",
    cl::desc("A vocabulary GGUF file (llama.cpp's ggml-vocab-*.gguf): its "
             "tokenizer.* metadata replaces the synthetic vocabulary, and its "
             "size is the model's (GGUF only)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> pooling(
    "pooling", cl::init("mean"), cl::cat(category),
    cl::desc("An encoder's pooling (GGUF ARCH.pooling_type): none, mean, cls"));
cl::opt<int64_t> decoderLayers(
    "decoder-layers", cl::init(0), cl::cat(category),
    cl::desc("t5: decoder layers (0: as many as --layers)"));
cl::opt<bool> gatedFeedForward(
    "gated-ffn",
    cl::desc("t5: T5 v1.1 / FLAN-T5's gated tanh-GELU FFN (ffn_gate) instead "
             "of T5 v1.0's ReLU"),
    cl::cat(category));
cl::opt<unsigned> seed("seed", cl::init(1), cl::cat(category),
                       cl::desc("Random seed"));

/// The shapes of released models (and of shared/BASELINES.md's Llama
/// benchmarks): a named shape sets the architecture and every shape flag
/// the user did not give.
struct NamedShape {
  const char *name;
  const char *arch;
  int64_t dim, hidden, layers, heads, kvHeads, headDim, vocab, context;
  double ropeTheta;
  bool tied;
  bool llama3Rope;
  int64_t slidingWindow;
  /// T5 v1.1 / FLAN's gated FFN.
  bool gated = false;
};

const NamedShape kShapes[] = {
    {"llama-110m", "llama", 768, 2048, 12, 12, 12, 0, 32000, 1024, 10000.0,
     false, false, -1},
    {"llama-336m-gqa", "llama", 1024, 2816, 24, 16, 4, 0, 32000, 2048,
     10000.0, false, false, -1},
    {"tinyllama-1.1b", "llama", 2048, 5632, 22, 32, 4, 0, 32000, 2048,
     10000.0, false, false, -1},
    {"smollm2-135m", "llama", 576, 1536, 30, 9, 3, 0, 49152, 8192, 100000.0,
     true, false, -1},
    {"llama-3.2-1b", "llama", 2048, 8192, 16, 32, 8, 0, 128256, 8192,
     500000.0, true, true, -1},
    {"llama-3-8b", "llama", 4096, 14336, 32, 32, 8, 0, 128256, 8192,
     500000.0, false, false, -1},
    {"qwen2.5-0.5b", "qwen2", 896, 4864, 24, 14, 2, 0, 151936, 32768,
     1000000.0, true, false, -1},
    {"qwen3-0.6b", "qwen3", 1024, 3072, 28, 16, 8, 128, 151936, 40960,
     1000000.0, true, false, -1},
    {"phi-3-mini", "phi3", 3072, 8192, 32, 32, 32, 0, 32064, 4096, 10000.0,
     false, false, -1},
    {"gemma-2-2b", "gemma2", 2304, 9216, 26, 8, 4, 256, 256000, 8192,
     10000.0, true, false, 4096},
    {"gemma-3-1b", "gemma3", 1152, 6912, 26, 4, 1, 256, 262144, 32768,
     1000000.0, true, false, 512},
    // 12 encoder and 12 decoder layers.
    {"flan-t5-base", "t5", 768, 2048, 12, 12, 12, 0, 32128, 512, 10000.0,
     false, false, -1, /*gated=*/true},
};

std::string listShapes() {
  std::string list;
  for (const NamedShape &s : kShapes)
    list += (list.empty() ? "" : ", ") + std::string(s.name);
  return list;
}

/// Sets the architecture and the shape flags the user did not give from the
/// named shape; null for an unknown name.
const NamedShape *applyNamedShape(llvm::StringRef name) {
  const NamedShape *found = llvm::find_if(
      kShapes, [&](const NamedShape &s) { return name == s.name; });
  if (found == std::end(kShapes))
    return nullptr;
  auto setDefault = [](auto &flag, auto value) {
    if (flag.getNumOccurrences() == 0)
      flag = value;
  };
  setDefault(arch, std::string(found->arch));
  setDefault(dim, found->dim);
  setDefault(hiddenDim, found->hidden);
  setDefault(numLayers, found->layers);
  setDefault(numHeads, found->heads);
  setDefault(numKvHeads, found->kvHeads);
  setDefault(headDim, found->headDim);
  setDefault(vocabSize, found->vocab);
  setDefault(contextLength, found->context);
  setDefault(ropeTheta, found->ropeTheta);
  setDefault(tied, found->tied);
  setDefault(llama3Rope, found->llama3Rope);
  setDefault(slidingWindow, found->slidingWindow);
  setDefault(gatedFeedForward, found->gated);
  return found;
}

/// Rotary pairs of the model being written (for --longrope's lists).
int64_t rotaryPairs = 0;

/// The context a --yarn or --longrope model was trained with before its
/// extension.
int64_t yarnOriginalContext() { return std::max<int64_t>(2, contextLength / 4); }

/// --longrope's per-pair factors: short ones near 1, long ones growing
/// with the pair's wavelength, as released models' are.
std::vector<float> longRopeFactors(int64_t pairs, bool isLong) {
  std::vector<float> factors;
  for (int64_t j = 0; j < pairs; ++j)
    factors.push_back(isLong ? 1.0f + 0.5f * float(j) : 1.0f + 0.02f * float(j));
  return factors;
}


/// config.json entries beyond the hyperparameters: Llama 3's or YaRN's
/// rope_scaling.
llvm::json::Object huggingFaceExtras() {
  llvm::json::Object extras;
  if (llama3Rope)
    extras["rope_scaling"] = llvm::json::Object{
        {"rope_type", "llama3"},
        {"factor", 32.0},
        {"low_freq_factor", 1.0},
        {"high_freq_factor", 4.0},
        {"original_max_position_embeddings", 8192}};
  if (longRope) {
    auto list = [](const std::vector<float> &values) {
      llvm::json::Array array;
      for (float value : values)
        array.push_back(double(value));
      return array;
    };
    int64_t pairs = rotaryPairs;
    extras["rope_scaling"] = llvm::json::Object{
        {"rope_type", "longrope"},
        {"short_factor", list(longRopeFactors(pairs, false))},
        {"long_factor", list(longRopeFactors(pairs, true))}};
    extras["original_max_position_embeddings"] = yarnOriginalContext();
  }
  if (yarnFactor > 0.0)
    extras["rope_scaling"] = llvm::json::Object{
        {"rope_type", "yarn"},
        {"factor", yarnFactor.getValue()},
        {"original_max_position_embeddings", yarnOriginalContext()}};
  return extras;
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-make-model: " << message << "\n";
  return 1;
}

/// One tensor of the file: its name and shape, and where its values come
/// from: seeded random values of its own name, the stacked values of
/// `parts` (llama.cpp's fused tensors), or `fixed` values (rope_freqs).
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<std::string> parts;
  std::vector<float> fixed;

  int64_t numElements() const {
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    return count;
  }
};

/// One spec per distinct `tfm.param` of the model, in first-use order.
std::vector<TensorSpec> tensorSpecs(ModuleOp module) {
  std::vector<TensorSpec> specs;
  llvm::StringSet<> seen;
  module.walk([&](ParamOp param) {
    if (!seen.insert(param.getName()).second)
      return;
    TensorSpec spec;
    spec.name = param.getName().str();
    llvm::append_range(spec.shape, param.getResult().getType().getShape());
    specs.push_back(std::move(spec));
  });
  return specs;
}

/// The values of the tensor `name`, from a generator seeded by the seed
/// and the name: a tensor is the same whichever file, order or fusion it is
/// written in (a GGUF file's fused attn_qkv holds a Hugging Face
/// directory's q/k/v), and in however many pieces it is drawn. Norm scales
/// are near 1, everything else small.
class RandomTensorValues {
public:
  explicit RandomTensorValues(llvm::StringRef name)
      : isNorm(name.contains("norm") && name.ends_with(".weight")) {
    uint64_t hash = llvm::xxh3_64bits(name);
    std::seed_seq sequence{uint32_t(seed), uint32_t(hash),
                           uint32_t(hash >> 32)};
    rng.seed(sequence);
  }

  /// The next `count` values.
  std::vector<float> next(int64_t count) {
    std::vector<float> values(count);
    for (float &value : values)
      value = isNorm ? 1.0f + small(rng) : small(rng);
    return values;
  }

private:
  std::mt19937 rng;
  std::uniform_real_distribution<float> small{-0.1f, 0.1f};
  bool isNorm;
};

/// True for the tensors --kv-head-copies repeats: K and V projections.
bool repeatsKvHeads(llvm::StringRef name) {
  return kvHeadCopies > 1 &&
         (name.contains(".attn_k.") || name.contains(".attn_v."));
}

std::vector<float> randomValues(llvm::StringRef name, int64_t count) {
  if (!repeatsKvHeads(name))
    return RandomTensorValues(name).next(count);
  // Rows of numKvHeads heads: each distinct head drawn once, then copied.
  std::vector<float> distinct =
      RandomTensorValues(name).next(count / kvHeadCopies);
  int64_t head = count / numKvHeads;
  std::vector<float> values;
  values.reserve(count);
  for (int64_t h = 0; h < numKvHeads / kvHeadCopies; ++h)
    for (int64_t copy = 0; copy < kvHeadCopies; ++copy)
      values.insert(values.end(), distinct.begin() + h * head,
                    distinct.begin() + (h + 1) * head);
  return values;
}

/// Writes `spec` encoded as `format` to `out`, a million values at a time:
/// the memory of a piece, not of the tensor.
void writeTensorPieces(const TensorSpec &spec,
                       const llvm::StringMap<const TensorSpec *> &byName,
                       WeightFormat format, llvm::raw_ostream &out) {
  constexpr int64_t kPiece = int64_t(1) << 20;
  auto emit = [&](std::vector<float> values) {
    FloatTensor piece{spec.name, {int64_t(values.size())}, std::move(values)};
    std::vector<uint8_t> bytes = encodeFloatTensor(piece, format);
    out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  };
  if (!spec.fixed.empty())
    return emit(spec.fixed);
  auto drawAll = [&](llvm::StringRef name, int64_t count) {
    if (repeatsKvHeads(name))
      return emit(randomValues(name, count)); // small: one piece
    RandomTensorValues values(name);
    for (int64_t done = 0; done < count; done += kPiece)
      emit(values.next(std::min(kPiece, count - done)));
  };
  if (spec.parts.empty())
    return drawAll(spec.name, spec.numElements());
  for (const std::string &part : spec.parts)
    drawAll(part, byName.lookup(part)->numElements());
}

/// The values of `spec`, made now (one tensor at a time when streaming).
FloatTensor materialize(const TensorSpec &spec,
                        const llvm::StringMap<const TensorSpec *> &byName) {
  FloatTensor tensor{spec.name, spec.shape, spec.fixed};
  if (!spec.fixed.empty())
    return tensor;
  if (spec.parts.empty()) {
    tensor.values = randomValues(spec.name, spec.numElements());
    return tensor;
  }
  for (const std::string &part : spec.parts)
    llvm::append_range(tensor.values,
                       randomValues(part, byName.lookup(part)->numElements()));
  return tensor;
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

/// The tensors llama.cpp's converter stores as one for `info`: Q, K and V
/// as `attn_qkv` (GPT-2, Phi-3), gate and up as `ffn_up` (Phi-3), each
/// with its parts' rows stacked in order, in place of the first part.
std::vector<TensorSpec> fuseTensors(const ArchitectureInfo &info,
                                    const std::vector<TensorSpec> &specs) {
  struct Fusion {
    const char *fused;
    std::vector<const char *> parts;
  };
  std::vector<Fusion> fusions;
  if (info.ggufFusedQKV)
    fusions.push_back({"attn_qkv", {"attn_q", "attn_k", "attn_v"}});
  if (info.ggufFusedGateUp)
    fusions.push_back({"ffn_up", {"ffn_gate", "ffn_up"}});
  llvm::StringMap<const TensorSpec *> byName;
  for (const TensorSpec &spec : specs)
    byName[spec.name] = &spec;
  std::vector<TensorSpec> out;
  for (const TensorSpec &spec : specs) {
    // blk.N.<kind>.<part>
    llvm::SmallVector<llvm::StringRef, 4> pieces;
    llvm::StringRef(spec.name).split(pieces, '.');
    const Fusion *fusion = nullptr;
    size_t index = 0;
    if (pieces.size() == 4 && pieces[0] == "blk")
      for (const Fusion &candidate : fusions)
        for (size_t i = 0; i < candidate.parts.size(); ++i)
          if (pieces[2] == candidate.parts[i]) {
            fusion = &candidate;
            index = i;
          }
    if (!fusion) {
      out.push_back(spec);
      continue;
    }
    if (index != 0)
      continue;
    std::string prefix = (pieces[0] + "." + pieces[1] + ".").str();
    TensorSpec fused{prefix + fusion->fused + "." + pieces[3].str(),
                     spec.shape, {}, {}};
    fused.shape[0] = 0;
    for (const char *part : fusion->parts) {
      std::string name = prefix + part + "." + pieces[3].str();
      fused.shape[0] += byName.lookup(name)->shape[0];
      fused.parts.push_back(name);
    }
    out.push_back(std::move(fused));
  }
  return out;
}

/// T5's keys, as llama.cpp's converter writes them.
void addSeq2SeqMetadata(GGUFWriter &writer, const ModelConfig &config) {
  std::string key = config.architecture + ".";
  writer.addUInt32(key + "attention.head_count_kv", config.numKvHeads);
  writer.addUInt32(key + "attention.key_length", config.headDim());
  writer.addUInt32(key + "attention.value_length", config.headDim());
  writer.addFloat32(key + "attention.layer_norm_rms_epsilon",
                    float(config.normEps));
  writer.addUInt32(key + "attention.relative_buckets_count",
                   uint32_t(config.relativeBuckets));
  writer.addUInt32(key + "decoder_block_count",
                   uint32_t(config.decoderLayers()));
  writer.addUInt32(key + "decoder_start_token_id",
                   uint32_t(config.decoderStartToken));
}

void addArchitectureMetadata(GGUFWriter &writer, const ModelConfig &config) {
  std::string key = config.architecture + ".";
  writer.addString("general.architecture", config.architecture);
  writer.addString("general.name", "tfm-make-model");
  writer.addUInt32(key + "context_length", config.contextLength);
  writer.addUInt32(key + "embedding_length", config.dim);
  writer.addUInt32(key + "feed_forward_length", config.hiddenDim);
  writer.addUInt32(key + "block_count", config.numLayers);
  writer.addUInt32(key + "attention.head_count", config.numHeads);
  if (config.family == ModelFamily::EncoderDecoder)
    return addSeq2SeqMetadata(writer, config);
  if (config.layer.norm == NormKind::LayerNorm) {
    writer.addFloat32(key + "attention.layer_norm_epsilon",
                      float(config.normEps));
    if (config.family == ModelFamily::Encoder) {
      // As llama.cpp's converter writes a BERT model.
      writer.addBool(key + "attention.causal", false);
      writer.addUInt32(key + "pooling_type", uint32_t(config.pooling));
    }
    return;
  }
  writer.addUInt32(key + "attention.head_count_kv", config.numKvHeads);
  if (config.headDimension > 0) {
    writer.addUInt32(key + "attention.key_length", config.headDimension);
    writer.addUInt32(key + "attention.value_length", config.headDimension);
  }
  writer.addUInt32(key + "rope.dimension_count", config.rotaryDims());
  writer.addFloat32(key + "rope.freq_base", float(config.ropeTheta));
  writer.addFloat32(key + "attention.layer_norm_rms_epsilon",
                    float(config.normEps));
  // Gemma's attention options, where the architecture has them.
  const ArchitectureDefaults &defaults =
      lookupArchitecture(config.architecture)->defaults;
  if (defaults.slidingWindow > 0 || defaults.slidingPattern > 0) {
    writer.addUInt32(key + "attention.sliding_window", config.slidingWindow);
    writer.addUInt32(key + "attention.sliding_window_pattern",
                     config.slidingPattern);
  }
  if (config.localRopeTheta > 0.0)
    writer.addFloat32(key + "rope.freq_base_swa", float(config.localRopeTheta));
  if (longRope) {
    writer.addUInt32(key + "rope.scaling.original_context_length",
                     uint32_t(yarnOriginalContext()));
    writer.addFloat32(key + "rope.scaling.attn_factor",
                      float(longRopeAttentionFactor(
                                double(contextLength),
                                double(yarnOriginalContext()))));
  }
  if (yarnFactor > 0.0) {
    writer.addString(key + "rope.scaling.type", "yarn");
    writer.addFloat32(key + "rope.scaling.factor", float(yarnFactor));
    writer.addUInt32(key + "rope.scaling.original_context_length",
                     uint32_t(yarnOriginalContext()));
  }
  if (config.attentionSoftCap > 0.0)
    writer.addFloat32(key + "attn_logit_softcapping",
                      float(config.attentionSoftCap));
  if (config.finalLogitSoftCap > 0.0)
    writer.addFloat32(key + "final_logit_softcapping",
                      float(config.finalLogitSoftCap));
}

llvm::Error writeTensors(GGUFWriter &writer, const ModelConfig &config,
                         const std::vector<TensorSpec> &specs,
                         WeightFormat matrixFormat);

/// Copies every `tokenizer.*` entry of `vocabulary` (a GGUF file's
/// metadata) into `writer`, in the file's order.
llvm::Error copyTokenizerMetadata(const GGUFFile &vocabulary,
                                  GGUFWriter &writer) {
  for (const auto &[key, value] : vocabulary.metadata) {
    if (!key.starts_with("tokenizer."))
      continue;
    switch (value.type) {
    case GGUFValueType::String:
      writer.addString(key, value.stringValue);
      continue;
    case GGUFValueType::Bool:
      writer.addBool(key, value.unsignedValue != 0);
      continue;
    case GGUFValueType::UInt32:
    case GGUFValueType::Int32:
      writer.addUInt32(key, uint32_t(value.unsignedValue));
      continue;
    case GGUFValueType::Array:
      if (value.elementType == GGUFValueType::String) {
        writer.addStringArray(
            key, std::vector<std::string>(value.strings.begin(),
                                          value.strings.end()));
        continue;
      }
      if (value.elementType == GGUFValueType::Float32) {
        std::vector<float> values;
        for (uint64_t i = 0; i < value.count; ++i)
          values.push_back(float(value.floatElement(i)));
        writer.addFloat32Array(key, values);
        continue;
      }
      if (value.elementType == GGUFValueType::Int32) {
        std::vector<int32_t> values;
        for (uint64_t i = 0; i < value.count; ++i)
          values.push_back(int32_t(value.integerElement(i)));
        writer.addInt32Array(key, values);
        continue;
      }
      break;
    default:
      break;
    }
    return llvm::createStringError(
        vocabFrom + ": '" + key + "' is a " +
        stringifyGGUFValueType(value.type) + " tfm-make-model cannot copy");
  }
  return llvm::Error::success();
}

/// T5's SentencePiece unigram vocabulary as llama.cpp's converter stores
/// it: `<pad> </s> <unk>` (ids 0, 1, 2), then the synthetic pieces with
/// scores falling with the id; an end-of-sequence token after each text.
void addSyntheticUnigramVocabulary(GGUFWriter &writer, int64_t size) {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  syntheticVocabulary(size, pieces, scores, types);
  // No byte tokens in a unigram vocabulary: printable pieces only.
  std::vector<std::string> unigram = {"<pad>", "</s>", "<unk>"};
  std::vector<int32_t> kinds = {3, 3, 2};
  for (size_t i = 0; i < pieces.size() && int64_t(unigram.size()) < size; ++i)
    if (types[i] == 1)
      unigram.push_back(llvm::join(llvm::split(pieces[i], " "), "\xE2\x96\x81"));
  for (int64_t i = 0; int64_t(unigram.size()) < size; ++i)
    unigram.push_back("\xE2\x96\x81w" + std::to_string(i));
  kinds.resize(unigram.size(), 1);
  std::vector<float> unigramScores(unigram.size(), 0.0f);
  for (size_t i = 3; i < unigram.size(); ++i)
    unigramScores[i] = -1.0f - 0.01f * float(i);
  writer.addString("tokenizer.ggml.model", "t5");
  writer.addStringArray("tokenizer.ggml.tokens", unigram);
  writer.addFloat32Array("tokenizer.ggml.scores", unigramScores);
  writer.addInt32Array("tokenizer.ggml.token_type", kinds);
  writer.addUInt32("tokenizer.ggml.eos_token_id", 1);
  writer.addUInt32("tokenizer.ggml.unknown_token_id", 2);
  writer.addUInt32("tokenizer.ggml.padding_token_id", 0);
  writer.addBool("tokenizer.ggml.add_bos_token", false);
  writer.addBool("tokenizer.ggml.add_eos_token", true);
  // SentencePiece's add_dummy_prefix, which T5's converted files carry.
  writer.addBool("tokenizer.ggml.add_space_prefix", true);
}

llvm::Error writeGGUF(const ModelConfig &config,
                      const std::vector<TensorSpec> &specs,
                      WeightFormat matrixFormat, const GGUFFile *vocabulary) {
  GGUFWriter writer;
  addArchitectureMetadata(writer, config);
  if (vocabulary) {
    if (llvm::Error error = copyTokenizerMetadata(*vocabulary, writer))
      return error;
    return writeTensors(writer, config, specs, matrixFormat);
  }
  if (config.family == ModelFamily::EncoderDecoder) {
    addSyntheticUnigramVocabulary(writer, config.vocabSize);
    return writeTensors(writer, config, specs, matrixFormat);
  }
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
  if (config.tokenTypes > 0)
    writer.addUInt32("tokenizer.ggml.token_type_count",
                     uint32_t(config.tokenTypes));
  if (!chatTemplate.empty())
    writer.addString("tokenizer.chat_template", chatTemplate);
  return writeTensors(writer, config, specs, matrixFormat);
}

/// Adds the tensors and writes the file. Streamed: each tensor is made,
/// encoded and written when the writer reaches it.
llvm::Error writeTensors(GGUFWriter &writer, const ModelConfig &config,
                         const std::vector<TensorSpec> &specs,
                         WeightFormat matrixFormat) {
  llvm::StringMap<const TensorSpec *> byName;
  for (const TensorSpec &spec : specs)
    byName[spec.name] = &spec;
  std::vector<TensorSpec> fused =
      fuseTensors(*lookupArchitecture(config.architecture), specs);
  for (const TensorSpec &spec : fused) {
    // T5's relative position tables are f32, as llama.cpp's converter
    // keeps them.
    WeightFormat format = spec.shape.size() == 2 &&
                                  !llvm::StringRef(spec.name).contains("attn_rel_b")
                              ? matrixFormat
                              : WeightFormat::F32;
    uint64_t bytes = *tensorByteSize(format, spec.numElements());
    writer.addTensor(spec.name, spec.shape, format, bytes,
                     [&spec, &byName, format](llvm::raw_ostream &out) {
                       writeTensorPieces(spec, byName, format, out);
                     });
  }
  return writer.writeFile(outputPath);
}

/// A Hugging Face directory: config.json and `shards` safetensors files,
/// tensor i in shard i % shards, each tensor made when its shard reaches
/// it. Tensors stored as they are stream in pieces; those stored otherwise
/// (Gemma's norms, GPT-2's transposed matrices, Llama's Q/K rows in
/// half-split pairs) are made whole, one at a time.
llvm::Error writeHuggingFace(const ModelConfig &config,
                             const std::vector<TensorSpec> &specs,
                             WeightFormat matrixFormat) {
  if (std::error_code ec = llvm::sys::fs::create_directories(outputPath))
    return llvm::createStringError(ec, "cannot create " + outputPath + ": " +
                                           ec.message());
  if (llvm::Error error =
          writeHuggingFaceConfig(outputPath, config, huggingFaceExtras()))
    return error;
  llvm::StringMap<const TensorSpec *> byName;
  for (const TensorSpec &spec : specs)
    byName[spec.name] = &spec;
  std::vector<TensorSpec> fused =
      fuseTensors(*lookupArchitecture(config.architecture), specs);
  unsigned shardCount = std::max(1u, shards.getValue());
  std::vector<SafetensorsWriter> writers(shardCount);
  for (size_t i = 0; i < fused.size(); ++i) {
    const TensorSpec &spec = fused[i];
    std::optional<HuggingFaceTensor> name = toHuggingFaceName(
        config.architecture, spec.name,
        config.layer.feedForward == FeedForwardKind::Gated);
    if (!name)
      return llvm::createStringError("no Hugging Face name for '" + spec.name +
                                     "' of a " + config.architecture +
                                     " model");
    WeightFormat format =
        spec.shape.size() == 2 ? matrixFormat : WeightFormat::F32;
    std::vector<int64_t> shape = spec.shape;
    if (name->transform == HuggingFaceTransform::Transpose)
      std::swap(shape[0], shape[1]);
    uint64_t bytes = *tensorByteSize(format, spec.numElements());
    HuggingFaceTransform transform = name->transform;
    writers[i % shardCount].addTensor(
        name->huggingFace, shape, format, bytes,
        [&config, &spec, &byName, format, transform](llvm::raw_ostream &out) {
          if (!huggingFaceValuesDiffer(config, spec.name, transform))
            return writeTensorPieces(spec, byName, format, out);
          FloatTensor stored = huggingFaceValues(
              config, materialize(spec, byName), transform);
          std::vector<uint8_t> encoded = encodeFloatTensor(stored, format);
          out.write(reinterpret_cast<const char *>(encoded.data()),
                    encoded.size());
        });
  }
  for (unsigned shard = 0; shard < shardCount; ++shard) {
    llvm::SmallString<256> path(outputPath);
    llvm::sys::path::append(path, "model-" + std::to_string(shard + 1) +
                                      "-of-" + std::to_string(shardCount) +
                                      ".safetensors");
    if (llvm::Error error = writers[shard].writeFile(path))
      return error;
  }
  return llvm::Error::success();
}

/// The checkpoint, and `tok<vocab>.bin` beside it as llama2.c's tools name
/// their tokenizers.
llvm::Error writeLlama2c(const ModelConfig &config,
                         const std::vector<FloatTensor> &weights) {
  if (llvm::Error error = writeLlama2cCheckpoint(outputPath, config, weights))
    return error;
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  syntheticVocabulary(config.vocabSize, pieces, scores, types);
  llvm::SmallString<256> tokenizerPath =
      llvm::sys::path::parent_path(outputPath);
  llvm::sys::path::append(tokenizerPath,
                          "tok" + std::to_string(config.vocabSize) + ".bin");
  return writeFileBytes(tokenizerPath,
                        serializeLlama2cTokenizer(pieces, scores));
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Write a random-weight decoder or encoder model\n");
  if (!shape.empty()) {
    std::string given = arch.getNumOccurrences() ? arch.getValue() : "";
    const NamedShape *named = applyNamedShape(shape);
    if (!named)
      return fail("unknown --shape '" + shape + "' (expected one of " +
                  listShapes() + ")");
    if (!given.empty() && given != named->arch)
      return fail("--shape " + shape + " is a " + named->arch +
                  " model, not --arch=" + given);
  }
  if (printShape) {
    llvm::outs() << llvm::json::Value(llvm::json::Object{
                        {"arch", arch.getValue()},
                        {"dim", dim.getValue()},
                        {"layers", numLayers.getValue()},
                        {"heads", numHeads.getValue()},
                        {"kv_heads", numKvHeads.getValue()},
                        {"head_dim", headDim ? headDim.getValue()
                                             : dim / numHeads},
                        {"context", contextLength.getValue()}})
                 << "\n";
    return 0;
  }
  if (outputPath.empty())
    return fail("no output: give -o FILE (or --print-shape)");
  if (kvHeadCopies < 1 || numKvHeads % kvHeadCopies != 0)
    return fail("--kv-head-copies " + llvm::Twine(kvHeadCopies) +
                " does not divide --kv-heads " + llvm::Twine(numKvHeads));
  const ArchitectureInfo *info = lookupArchitecture(arch);
  if (!info)
    return fail("unknown --arch '" + arch + "' (expected one of " +
                listArchitectures() + ")");
  if (info->family == ModelFamily::Encoder && format == "llama2c")
    return fail(arch + " models are not written as --format=llama2c");
  if ((decoderLayers.getNumOccurrences() || gatedFeedForward) &&
      info->family != ModelFamily::EncoderDecoder)
    return fail("--decoder-layers and --gated-ffn are t5's, not " + arch +
                "'s");
  std::optional<PoolingKind> poolingKind = parsePoolingKind(pooling);
  if (!poolingKind || *poolingKind == PoolingKind::Last)
    return fail("unknown --pooling '" + pooling +
                "' (expected none, mean or cls)");
  bool llama = arch == "llama";
  ModelConfig config = ModelConfig::tiny(arch);
  // llama2.c checkpoints hold Llama models only; Hugging Face directories
  // the architectures with a Hugging Face class.
  if ((format == "llama2c" && !llama) ||
      (format == "safetensors" && info->huggingFaceClass.empty()))
    return fail(arch + " models are not written as --format=" + format);
  bool plainFeedForward = config.layer.feedForward == FeedForwardKind::Plain;
  if (plainFeedForward) {
    // Multi-head attention and a 4 x dim MLP, as GPT-2 has.
    if (numKvHeads.getNumOccurrences() == 0)
      numKvHeads = numHeads.getValue();
    if (hiddenDim.getNumOccurrences() == 0)
      hiddenDim = 4 * dim;
    if (numKvHeads != numHeads)
      return fail(arch + " has multi-head attention: --kv-heads must equal "
                  "--heads");
  }
  config.headDimension = headDim;
  config.ropeTheta = ropeTheta;
  if (slidingWindow >= 0)
    config.slidingWindow = slidingWindow;
  config.vocabSize = vocabSize;
  // A real vocabulary sets the embedding's rows.
  std::unique_ptr<llvm::MemoryBuffer> vocabularyBuffer;
  std::optional<GGUFFile> vocabulary;
  if (!vocabFrom.empty()) {
    if (format != "gguf")
      return fail("--vocab-from writes GGUF files only, not --format=" +
                  format);
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        mapFile(vocabFrom);
    if (!buffer)
      return fail(llvm::toString(buffer.takeError()));
    vocabularyBuffer = std::move(*buffer);
    llvm::StringRef data = vocabularyBuffer->getBuffer();
    llvm::Expected<GGUFFile> parsed = parseGGUF(
        vocabFrom, llvm::ArrayRef(reinterpret_cast<const uint8_t *>(data.data()),
                                  data.size()));
    if (!parsed)
      return fail(llvm::toString(parsed.takeError()));
    const GGUFValue *tokens = parsed->lookup("tokenizer.ggml.tokens");
    if (!tokens || tokens->type != GGUFValueType::Array || tokens->count == 0)
      return fail(vocabFrom + ": no tokenizer.ggml.tokens array");
    if (vocabSize.getNumOccurrences() && vocabSize != int64_t(tokens->count))
      return fail("--vocab " + llvm::Twine(int64_t(vocabSize)) + " but " +
                  vocabFrom + " has " + llvm::Twine(tokens->count) +
                  " tokens");
    config.vocabSize = int64_t(tokens->count);
    vocabulary = std::move(*parsed);
  }
  config.dim = dim;
  config.hiddenDim = hiddenDim;
  config.numLayers = numLayers;
  config.numHeads = numHeads;
  config.numKvHeads = numKvHeads;
  config.contextLength = contextLength;
  config.pooling = *poolingKind;
  config.numDecoderLayers = decoderLayers;
  if (gatedFeedForward) {
    config.layer.feedForward = FeedForwardKind::Gated;
    config.layer.activation = ActivationKind::GELUTanh;
  }
  if (tied)
    config.tiedEmbeddings = true;
  if (weightType != "f32" && weightType != "f16" && weightType != "bf16")
    return fail("unknown --type '" + weightType +
                "' (expected f32, f16 or bf16)");
  WeightFormat matrixFormat = weightType == "f16"    ? WeightFormat::F16
                              : weightType == "bf16" ? WeightFormat::BF16
                                                     : WeightFormat::F32;

  MLIRContext context;
  llvm::Expected<OwningOpRef<ModuleOp>> module = buildModel(context, config);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  std::vector<TensorSpec> specs = tensorSpecs(**module);
  if (llama3Rope && config.layer.positions != PositionKind::Rope)
    return fail("--llama3-rope needs an architecture with RoPE");
  if ((yarnFactor > 0.0) + llama3Rope + longRope > 1 ||
      ((yarnFactor > 0.0 || longRope) &&
       config.layer.positions != PositionKind::Rope))
    return fail("--yarn, --longrope and --llama3-rope need an architecture "
                "with RoPE, one of them at a time");
  rotaryPairs = config.rotaryDims() / 2;
  if (longRope && format == "gguf")
    for (bool isLong : {true, false})
      specs.push_back(TensorSpec{isLong ? "rope_factors_long.weight"
                                        : "rope_factors_short.weight",
                                 {rotaryPairs},
                                 {},
                                 longRopeFactors(rotaryPairs, isLong)});
  if (llama3Rope && format == "gguf") {
    // As llama.cpp's converter writes it: the divisor of each pair.
    std::vector<float> divisors =
        llama3RopeDivisors(config, 32.0, 1.0, 4.0, 8192.0);
    specs.push_back(TensorSpec{"rope_freqs.weight",
                               {int64_t(divisors.size())},
                               {},
                               divisors});
  }
  if (format != "gguf" && format != "llama2c" && format != "safetensors")
    return fail("unknown --format '" + format +
                "' (expected gguf, llama2c or safetensors)");

  llvm::Error error = llvm::Error::success();
  if (format == "gguf") {
    error = writeGGUF(config, specs, matrixFormat,
                      vocabulary ? &*vocabulary : nullptr);
  } else if (format == "safetensors") {
    error = writeHuggingFace(config, specs, matrixFormat);
  } else {
    // llama2.c checkpoints (small models) are written from memory.
    llvm::StringMap<const TensorSpec *> byName;
    for (const TensorSpec &spec : specs)
      byName[spec.name] = &spec;
    std::vector<FloatTensor> weights;
    for (const TensorSpec &spec : specs)
      weights.push_back(materialize(spec, byName));
    error = matrixFormat != WeightFormat::F32
                ? llvm::createStringError("llama2c checkpoints are f32")
                : writeLlama2c(config, weights);
  }
  if (error)
    return fail(llvm::toString(std::move(error)));
  return 0;
}
