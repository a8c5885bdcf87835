//===- SafetensorsWriter.cpp - write Hugging Face directories -------------===//

#include "tfm/Writers/SafetensorsWriter.h"

#include "tfm/Model/Architectures.h"
#include "tfm/Model/ImportError.h"
#include "tfm/Model/RelativePosition.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace mlir::tfm;

namespace {

const char *dtypeName(WeightFormat format) {
  return format == WeightFormat::F16    ? "F16"
         : format == WeightFormat::BF16 ? "BF16"
                                        : "F32";
}

const char *activationName(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::SiLU:
    return "silu";
  case ActivationKind::GELUTanh:
    return "gelu_pytorch_tanh";
  case ActivationKind::GELU:
    return "gelu";
  case ActivationKind::ReLU:
    return "relu";
  }
  return "silu";
}

llvm::json::Object gpt2Config(const ModelConfig &config) {
  return llvm::json::Object{
      {"architectures", llvm::json::Array{"GPT2LMHeadModel"}},
      {"model_type", "gpt2"},
      {"n_embd", config.dim},
      {"n_inner", config.hiddenDim},
      {"n_layer", config.numLayers},
      {"n_head", config.numHeads},
      {"n_positions", config.positionRows()},
      {"n_ctx", config.positionRows()},
      {"vocab_size", config.vocabSize},
      {"layer_norm_epsilon", config.normEps},
      {"activation_function", "gelu_new"},
      {"tie_word_embeddings", true}};
}

llvm::json::Object bertConfig(const ModelConfig &config) {
  return llvm::json::Object{
      {"architectures", llvm::json::Array{"BertModel"}},
      {"model_type", "bert"},
      {"hidden_size", config.dim},
      {"intermediate_size", config.hiddenDim},
      {"num_hidden_layers", config.numLayers},
      {"num_attention_heads", config.numHeads},
      {"vocab_size", config.vocabSize},
      {"max_position_embeddings", config.positionRows()},
      {"type_vocab_size", config.tokenTypes},
      {"layer_norm_eps", config.normEps},
      {"hidden_act", activationName(config.layer.activation)}};
}

/// T5Config: the encoder's and the decoder's layers, the FFN kind.
llvm::json::Object t5Config(const ModelConfig &config) {
  bool gated = config.layer.feedForward == FeedForwardKind::Gated;
  return llvm::json::Object{
      {"architectures", llvm::json::Array{"T5ForConditionalGeneration"}},
      {"model_type", "t5"},
      {"d_model", config.dim},
      {"d_ff", config.hiddenDim},
      {"d_kv", config.headDim()},
      {"num_layers", config.numLayers},
      {"num_decoder_layers", config.decoderLayers()},
      {"num_heads", config.numHeads},
      {"vocab_size", config.vocabSize},
      {"relative_attention_num_buckets", config.relativeBuckets},
      {"relative_attention_max_distance", kT5MaxDistance},
      {"layer_norm_epsilon", config.normEps},
      {"feed_forward_proj", gated ? "gated-gelu" : "relu"},
      {"is_encoder_decoder", true},
      {"tie_word_embeddings", config.tiedEmbeddings},
      {"decoder_start_token_id", config.decoderStartToken},
      {"pad_token_id", 0},
      {"eos_token_id", 1}};
}

llvm::json::Object decoderConfig(const ModelConfig &config,
                                 const ArchitectureInfo &info) {
  llvm::json::Object hf{
      {"architectures", llvm::json::Array{info.huggingFaceClass}},
      {"model_type", info.name},
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
  bool gemma = config.layer.postAttentionNorm;
  hf[gemma ? "hidden_activation" : "hidden_act"] =
      activationName(config.layer.activation);
  if (config.headDimension > 0)
    hf["head_dim"] = config.headDimension;
  if (config.rotaryDim > 0)
    hf["partial_rotary_factor"] =
        double(config.rotaryDim) / double(config.headDim());
  if (gemma)
    hf["query_pre_attn_scalar"] =
        config.attentionScale > 0.0
            ? 1.0 / (config.attentionScale * config.attentionScale)
            : double(config.headDim());
  if (config.attentionSoftCap > 0.0)
    hf["attn_logit_softcapping"] = config.attentionSoftCap;
  if (config.finalLogitSoftCap > 0.0)
    hf["final_logit_softcapping"] = config.finalLogitSoftCap;
  if (config.architecture == "qwen2")
    hf["use_sliding_window"] = config.slidingWindow > 0;
  if (config.slidingWindow > 0)
    hf["sliding_window"] = config.slidingWindow;
  if (config.slidingWindow > 0 && config.slidingPattern > 0)
    hf["sliding_window_pattern"] = config.slidingPattern;
  if (config.localRopeTheta > 0.0)
    hf["rope_local_base_freq"] = config.localRopeTheta;
  return hf;
}

/// Rows of head-major Q or K, each head's pairs (2j, 2j+1) moved to
/// (j, j + D/2): llama.cpp's converter's permutation undone.
std::vector<float> halfSplitRows(const std::vector<float> &values,
                                 int64_t heads, int64_t headDim,
                                 int64_t columns) {
  std::vector<float> out(values.size());
  int64_t half = headDim / 2;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < half; ++j)
      for (int64_t c = 0; c < 2; ++c)
        std::copy_n(&values[(h * headDim + 2 * j + c) * columns], columns,
                    &out[(h * headDim + c * half + j) * columns]);
  return out;
}

/// The number of heads whose rows `gguf` holds when they are Q/K rows
/// GGUF permutes; 0 otherwise.
int64_t permutedHeads(const ModelConfig &config, llvm::StringRef gguf) {
  if (!config.layer.ropeInterleaved ||
      config.layer.positions != PositionKind::Rope)
    return 0;
  if (gguf.ends_with(".attn_q.weight") || gguf.ends_with(".attn_q.bias"))
    return config.numHeads;
  if (gguf.ends_with(".attn_k.weight") || gguf.ends_with(".attn_k.bias"))
    return config.numKvHeads;
  return 0;
}

} // namespace

void SafetensorsWriter::addTensor(llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> shape,
                                  WeightFormat format, uint64_t bytes,
                                  TensorProducer produce) {
  tensors.push_back(
      {name.str(), shape.vec(), format, bytes, std::move(produce)});
}

llvm::Error SafetensorsWriter::writeFile(llvm::StringRef path) const {
  llvm::json::Object header;
  uint64_t offset = 0;
  for (const Tensor &tensor : tensors) {
    llvm::json::Array shape;
    for (int64_t d : tensor.shape)
      shape.push_back(d);
    header[tensor.name] = llvm::json::Object{
        {"dtype", dtypeName(tensor.format)},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{int64_t(offset),
                                           int64_t(offset + tensor.bytes)}}};
    offset += tensor.bytes;
  }
  header["__metadata__"] = llvm::json::Object{{"format", "pt"}};
  std::string headerText;
  llvm::raw_string_ostream(headerText) << llvm::json::Value(std::move(header));

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return importError(path, "cannot write: " + ec.message());
  std::vector<uint8_t> length;
  appendLittleEndian(length, uint64_t(headerText.size()));
  out.write(reinterpret_cast<const char *>(length.data()), length.size());
  out << headerText;
  for (const Tensor &tensor : tensors) {
    uint64_t begin = out.tell();
    tensor.produce(out);
    if (out.tell() - begin != tensor.bytes)
      return importError(path, "tensor '" + tensor.name + "' has " +
                                   llvm::Twine(out.tell() - begin) +
                                   " bytes, its header says " +
                                   llvm::Twine(tensor.bytes));
  }
  out.close();
  if (out.has_error())
    return importError(path, "cannot write: " + out.error().message());
  return llvm::Error::success();
}

llvm::Error mlir::tfm::writeHuggingFaceConfig(llvm::StringRef directory,
                                              const ModelConfig &config,
                                              llvm::json::Object extra) {
  const ArchitectureInfo *info = lookupArchitecture(config.architecture);
  if (!info || info->huggingFaceClass.empty())
    return llvm::createStringError("no Hugging Face class writes " +
                                   config.architecture + " models");
  llvm::json::Object hf = config.architecture == "gpt2"   ? gpt2Config(config)
                          : config.architecture == "bert" ? bertConfig(config)
                          : config.architecture == "t5"   ? t5Config(config)
                                : decoderConfig(config, *info);
  for (auto &entry : extra)
    hf[entry.first] = std::move(entry.second);
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(hf)));
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, "config.json");
  return writeFileBytes(
      path, llvm::ArrayRef(reinterpret_cast<const uint8_t *>(text.data()),
                           text.size()));
}

bool mlir::tfm::huggingFaceValuesDiffer(const ModelConfig &config,
                                        llvm::StringRef gguf,
                                        HuggingFaceTransform transform) {
  return transform != HuggingFaceTransform::None ||
         permutedHeads(config, gguf) > 0;
}

FloatTensor mlir::tfm::huggingFaceValues(const ModelConfig &config,
                                         FloatTensor tensor,
                                         HuggingFaceTransform transform) {
  if (int64_t heads = permutedHeads(config, tensor.name)) {
    int64_t columns = tensor.shape.size() == 2 ? tensor.shape[1] : 1;
    tensor.values =
        halfSplitRows(tensor.values, heads, config.headDim(), columns);
  }
  switch (transform) {
  case HuggingFaceTransform::None:
    break;
  case HuggingFaceTransform::AddOne:
    for (float &value : tensor.values)
      value -= 1.0f;
    break;
  case HuggingFaceTransform::Transpose: {
    int64_t rows = tensor.shape[0], columns = tensor.shape[1];
    std::vector<float> transposed(tensor.values.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < columns; ++c)
        transposed[c * rows + r] = tensor.values[r * columns + c];
    tensor.values = std::move(transposed);
    tensor.shape = {columns, rows};
    break;
  }
  }
  return tensor;
}
