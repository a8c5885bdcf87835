//===- SafetensorsWriter.cpp - write Hugging Face directories -------------===//

#include "tfm/Writers/SafetensorsWriter.h"

#include "tfm/Model/Architectures.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir::tfm;

namespace {

llvm::ArrayRef<uint8_t> asBytes(llvm::StringRef text) {
  return llvm::ArrayRef(reinterpret_cast<const uint8_t *>(text.data()),
                        text.size());
}

std::string pathIn(llvm::StringRef directory, const llvm::Twine &name) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, name);
  return path.str().str();
}

std::string huggingFaceClass(const ModelConfig &config) {
  const ArchitectureInfo *info = lookupArchitecture(config.architecture);
  return info && !info->huggingFaceClass.empty() ? info->huggingFaceClass.str()
                                                 : "LlamaForCausalLM";
}

llvm::Error writeConfig(llvm::StringRef directory, const ModelConfig &config,
                        llvm::json::Object extra) {
  llvm::json::Object hfConfig{
      {"architectures", llvm::json::Array{huggingFaceClass(config)}},
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
  if (config.headDimension > 0)
    hfConfig["head_dim"] = config.headDimension;
  for (auto &entry : extra)
    hfConfig[entry.first] = std::move(entry.second);
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(hfConfig)));
  return writeFileBytes(pathIn(directory, "config.json"), asBytes(text));
}

/// One shard: an 8-byte header length, the JSON header (name -> dtype,
/// shape, data offsets), then the data.
std::vector<uint8_t> serializeShard(llvm::ArrayRef<const FloatTensor *> tensors,
                                    WeightFormat matrixFormat) {
  llvm::json::Object header;
  std::vector<uint8_t> data;
  for (const FloatTensor *tensor : tensors) {
    WeightFormat format =
        tensor->shape.size() == 2 ? matrixFormat : WeightFormat::F32;
    std::vector<uint8_t> bytes = encodeFloatTensor(*tensor, format);
    const char *dtype = format == WeightFormat::F16    ? "F16"
                        : format == WeightFormat::BF16 ? "BF16"
                                                       : "F32";
    llvm::json::Array shape;
    for (int64_t d : tensor->shape)
      shape.push_back(d);
    header[huggingFaceLlamaName(tensor->name)] = llvm::json::Object{
        {"dtype", dtype},
        {"shape", std::move(shape)},
        {"data_offsets",
         llvm::json::Array{int64_t(data.size()),
                           int64_t(data.size() + bytes.size())}}};
    data.insert(data.end(), bytes.begin(), bytes.end());
  }
  header["__metadata__"] = llvm::json::Object{{"format", "pt"}};
  std::string headerText;
  llvm::raw_string_ostream(headerText) << llvm::json::Value(std::move(header));
  std::vector<uint8_t> file;
  appendLittleEndian(file, uint64_t(headerText.size()));
  file.insert(file.end(), headerText.begin(), headerText.end());
  file.insert(file.end(), data.begin(), data.end());
  return file;
}

} // namespace

std::string mlir::tfm::huggingFaceLlamaName(llvm::StringRef gguf) {
  static const std::pair<const char *, const char *> layerNames[] = {
      {"attn_norm", "input_layernorm"},
      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},
      {"attn_q_norm", "self_attn.q_norm"},
      {"attn_k_norm", "self_attn.k_norm"},
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
  if (parts.size() == 4 && parts[0] == "blk")
    for (auto [from, to] : layerNames)
      if (parts[2] == from)
        return ("model.layers." + parts[1] + "." + to + "." + parts[3]).str();
  return gguf.str();
}

llvm::Error mlir::tfm::writeHuggingFaceLlama(
    llvm::StringRef directory, const ModelConfig &config,
    llvm::ArrayRef<FloatTensor> tensors, unsigned shards,
    WeightFormat matrixFormat, llvm::json::Object extraConfig) {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return llvm::createStringError(ec, "cannot create " + directory + ": " +
                                           ec.message());
  if (llvm::Error error =
          writeConfig(directory, config, std::move(extraConfig)))
    return error;
  unsigned shardCount = std::max(1u, shards);
  for (unsigned shard = 0; shard < shardCount; ++shard) {
    std::vector<const FloatTensor *> members;
    for (size_t i = shard; i < tensors.size(); i += shardCount)
      members.push_back(&tensors[i]);
    std::string name = "model-" + std::to_string(shard + 1) + "-of-" +
                       std::to_string(shardCount) + ".safetensors";
    if (llvm::Error error = writeFileBytes(
            pathIn(directory, name), serializeShard(members, matrixFormat)))
      return error;
  }
  return llvm::Error::success();
}
