//===- Llama2cModel.cpp - llama2.c checkpoints as a ModelFile -------------===//
//
// The legacy format `run.c` reads: a header of seven int32
//   dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
// (a negative vocab_size means the classifier is not shared with the
// embedding), then f32 arrays, each stacked over layers where it is per
// layer:
//   token_embedding [vocab, dim]; rms_att [L, dim]; wq [L, dim, dim];
//   wk, wv [L, kv_dim, dim]; wo [L, dim, dim]; rms_ffn [L, dim];
//   w1 [L, hidden, dim]; w2 [L, dim, hidden]; w3 [L, hidden, dim];
//   rms_final [dim]; freq_cis_real, freq_cis_imag [seq_len, head_dim / 2];
//   wcls [vocab, dim] when not shared.
// RoPE pairs adjacent features (interleaved). The RoPE tables are skipped:
// tfm computes the rotation from theta = 10000.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/ModelFile.h"
#include "tfm/Model/ByteReader.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir::tfm;
using llvm::Twine;

namespace {

constexpr int64_t kHeaderBytes = 7 * 4;
constexpr int64_t kMaxHyperparameter = 1 << 24;

/// Lays out the arrays of the checkpoint one after another, checking that
/// each fits in the file.
class ArrayCursor {
public:
  ArrayCursor(ModelFile &model, llvm::StringRef path,
              llvm::ArrayRef<uint8_t> bytes)
      : model(model), path(path), bytes(bytes) {}

  /// Adds `layers` tensors of `shape` (f32) named by `nameOf(layer)`.
  llvm::Error stacked(llvm::function_ref<std::string(int64_t)> nameOf,
                      int64_t layers, llvm::ArrayRef<int64_t> shape) {
    uint64_t elements = 1;
    for (int64_t dim : shape)
      elements *= uint64_t(dim); // dims are capped, products fit
    uint64_t tensorBytes = elements * 4;
    for (int64_t layer = 0; layer < layers; ++layer) {
      TensorView view;
      view.name = nameOf(layer);
      view.shape.assign(shape.begin(), shape.end());
      view.type = WeightFormat::F32;
      view.file = path.str();
      view.fileOffset = position;
      if (llvm::Error error = advance(tensorBytes, view.name))
        return error;
      view.data = bytes.slice(view.fileOffset, tensorBytes);
      if (llvm::Error error = model.addTensor(std::move(view)))
        return error;
    }
    return llvm::Error::success();
  }

  llvm::Error single(llvm::StringRef name, llvm::ArrayRef<int64_t> shape) {
    return stacked([&](int64_t) { return name.str(); }, 1, shape);
  }

  llvm::Error skip(uint64_t count, llvm::StringRef what) {
    return advance(count, what);
  }

  uint64_t offset() const { return position; }

private:
  llvm::Error advance(uint64_t count, llvm::StringRef what) {
    std::optional<uint64_t> end =
        llvm::checkedAddUnsigned<uint64_t>(position, count);
    if (!end || *end > bytes.size())
      return importError(path, position,
                         "truncated: " + what + " needs " + Twine(count) +
                             " bytes, " + Twine(bytes.size() - position) +
                             " left");
    position = *end;
    return llvm::Error::success();
  }

  ModelFile &model;
  llvm::StringRef path;
  llvm::ArrayRef<uint8_t> bytes;
  uint64_t position = kHeaderBytes;
};

llvm::Error readHeader(ByteReader &reader, ModelConfig &config,
                       bool &sharedClassifier) {
  const char *names[] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                         "n_kv_heads", "vocab_size", "seq_len"};
  int32_t values[7];
  for (int i = 0; i < 7; ++i) {
    uint64_t at = reader.offset();
    llvm::Expected<int32_t> value = reader.read<int32_t>(names[i]);
    if (!value)
      return value.takeError();
    int64_t magnitude = i == 5 ? std::abs(int64_t(*value)) : *value;
    if (magnitude <= 0 || magnitude > kMaxHyperparameter)
      return reader.errorAt(at, Twine("header field ") + names[i] + " = " +
                                    Twine(*value) + " is not in 1.." +
                                    Twine(kMaxHyperparameter) +
                                    " (not a llama2.c checkpoint?)");
    values[i] = *value;
  }
  config = ModelConfig::tinyLlama();
  config.dim = values[0];
  config.hiddenDim = values[1];
  config.numLayers = values[2];
  config.numHeads = values[3];
  config.numKvHeads = values[4];
  sharedClassifier = values[5] > 0;
  config.vocabSize = std::abs(values[5]);
  config.contextLength = values[6];
  config.ropeTheta = 10000.0;
  config.normEps = 1e-5;
  config.tiedEmbeddings = sharedClassifier;
  if (llvm::Error error = validateModelConfig(config))
    return reader.errorAt(0, llvm::toString(std::move(error)));
  return llvm::Error::success();
}

llvm::Error readWeights(ArrayCursor &cursor, const ModelConfig &c,
                        bool sharedClassifier) {
  int64_t kvDim = c.numKvHeads * c.headDim();
  auto perLayer = [](const char *suffix) {
    return [suffix](int64_t layer) {
      return ("blk." + Twine(layer) + "." + suffix).str();
    };
  };
  int64_t L = c.numLayers;
  if (llvm::Error e = cursor.single("token_embd.weight", {c.vocabSize, c.dim}))
    return e;
  struct Stacked {
    const char *suffix;
    llvm::SmallVector<int64_t, 2> shape;
  };
  const Stacked arrays[] = {
      {"attn_norm.weight", {c.dim}},
      {"attn_q.weight", {c.dim, c.dim}},
      {"attn_k.weight", {kvDim, c.dim}},
      {"attn_v.weight", {kvDim, c.dim}},
      {"attn_output.weight", {c.dim, c.dim}},
      {"ffn_norm.weight", {c.dim}},
      {"ffn_gate.weight", {c.hiddenDim, c.dim}},
      {"ffn_down.weight", {c.dim, c.hiddenDim}},
      {"ffn_up.weight", {c.hiddenDim, c.dim}},
  };
  for (const Stacked &array : arrays)
    if (llvm::Error e = cursor.stacked(perLayer(array.suffix), L, array.shape))
      return e;
  if (llvm::Error e = cursor.single("output_norm.weight", {c.dim}))
    return e;
  uint64_t ropeTableBytes = uint64_t(c.contextLength) * (c.headDim() / 2) * 4;
  if (llvm::Error e = cursor.skip(2 * ropeTableBytes, "RoPE tables"))
    return e;
  if (!sharedClassifier)
    if (llvm::Error e = cursor.single("output.weight", {c.vocabSize, c.dim}))
      return e;
  return llvm::Error::success();
}

/// The tokenizer for a checkpoint: the one given, else `tok<vocab>.bin`
/// beside the checkpoint (llama2.c's name for custom vocabularies), else
/// `tokenizer.bin` beside it. None found is not an error: the IR does not
/// need it.
std::string findTokenizer(llvm::StringRef checkpoint, llvm::StringRef given,
                          int64_t vocabSize) {
  if (!given.empty())
    return given.str();
  llvm::SmallString<256> dir = llvm::sys::path::parent_path(checkpoint);
  for (std::string name :
       {("tok" + Twine(vocabSize) + ".bin").str(), std::string("tokenizer.bin")}) {
    llvm::SmallString<256> candidate = dir;
    llvm::sys::path::append(candidate, name);
    if (llvm::sys::fs::exists(candidate))
      return std::string(candidate);
  }
  return "";
}

} // namespace

llvm::Expected<std::unique_ptr<ModelFile>>
mlir::tfm::readLlama2cModel(llvm::StringRef path,
                            std::unique_ptr<llvm::MemoryBuffer> buffer) {
  auto model = std::make_unique<ModelFile>();
  model->format = ModelFormat::Llama2c;
  model->path = path.str();
  model->tensorIndexOffset = kHeaderBytes;
  llvm::ArrayRef<uint8_t> bytes = model->keep(std::move(buffer));

  ByteReader reader(path, bytes);
  bool sharedClassifier = true;
  if (llvm::Error error = readHeader(reader, model->config, sharedClassifier))
    return std::move(error);
  ArrayCursor cursor(*model, path, bytes);
  if (llvm::Error error = readWeights(cursor, model->config, sharedClassifier))
    return std::move(error);
  if (cursor.offset() != bytes.size())
    return importError(path, cursor.offset(),
                       Twine(bytes.size() - cursor.offset()) +
                           " bytes after the last weight: the header's "
                           "shapes do not describe this file");
  return std::move(model);
}

llvm::Expected<std::unique_ptr<ModelFile>>
mlir::tfm::readLlama2cModel(llvm::StringRef path,
                            llvm::StringRef tokenizerPath) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = mapFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::Expected<std::unique_ptr<ModelFile>> model =
      readLlama2cModel(path, std::move(*buffer));
  if (!model)
    return model.takeError();
  std::string tokenizer =
      findTokenizer(path, tokenizerPath, (*model)->config.vocabSize);
  if (tokenizer.empty())
    return std::move(*model);
  llvm::Expected<Vocabulary> vocab =
      loadLlama2cTokenizer(tokenizer, (*model)->config.vocabSize);
  if (!vocab)
    return vocab.takeError();
  (*model)->vocabulary = std::move(*vocab);
  (*model)->vocabularySource = tokenizer;
  return std::move(*model);
}
