//===- WritersTest.cpp - the model writers of lib/Writers ----------------===//
//
// Round trips through the readers are the lit tests of tfm-make-model's
// formats (test/Import/formats.test); these check what those cannot see:
// names, encodings and the refusal of incomplete tensor sets.
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Dequantize.h"
#include "tfm/Writers/FloatTensor.h"
#include "tfm/Writers/Llama2cWriter.h"
#include "tfm/Writers/SafetensorsWriter.h"

#include <gtest/gtest.h>

using namespace mlir::tfm;

namespace {

TEST(WritersTest, HuggingFaceNamesOfLlamaTensors) {
  EXPECT_EQ(huggingFaceLlamaName("token_embd.weight"),
            "model.embed_tokens.weight");
  EXPECT_EQ(huggingFaceLlamaName("output_norm.weight"), "model.norm.weight");
  EXPECT_EQ(huggingFaceLlamaName("output.weight"), "lm_head.weight");
  EXPECT_EQ(huggingFaceLlamaName("blk.3.attn_q.weight"),
            "model.layers.3.self_attn.q_proj.weight");
  EXPECT_EQ(huggingFaceLlamaName("blk.12.ffn_norm.weight"),
            "model.layers.12.post_attention_layernorm.weight");
  EXPECT_EQ(huggingFaceLlamaName("blk.0.ffn_down.weight"),
            "model.layers.0.mlp.down_proj.weight");
  // Names it does not know are kept.
  EXPECT_EQ(huggingFaceLlamaName("blk.0.attn_qkv.weight"),
            "blk.0.attn_qkv.weight");
  EXPECT_EQ(huggingFaceLlamaName("rope_freqs.weight"), "rope_freqs.weight");
}

TEST(WritersTest, EncodesF32AndF16) {
  FloatTensor tensor{"t", {3}, {1.0f, -2.5f, 0.0f}};
  std::vector<uint8_t> f32 = encodeFloatTensor(tensor, WeightFormat::F32);
  ASSERT_EQ(f32.size(), 12u);
  float second;
  std::memcpy(&second, f32.data() + 4, 4);
  EXPECT_EQ(second, -2.5f);
  std::vector<uint8_t> f16 = encodeFloatTensor(tensor, WeightFormat::F16);
  ASSERT_EQ(f16.size(), 6u);
  std::vector<float> decoded(3);
  ASSERT_TRUE(dequantize(WeightFormat::F16, f16, decoded));
  EXPECT_EQ(decoded, tensor.values);
}

TEST(WritersTest, AppendsLittleEndian) {
  std::vector<uint8_t> out;
  appendLittleEndian<uint32_t>(out, 0x46554747);
  appendLittleEndian<uint16_t>(out, 0x0102);
  EXPECT_EQ(out, (std::vector<uint8_t>{'G', 'G', 'U', 'F', 0x02, 0x01}));
}

/// Every tensor of a one-layer Llama model, filled with its index.
std::vector<FloatTensor> llamaTensors() {
  std::vector<std::string> names = {"token_embd.weight", "output_norm.weight",
                                    "output.weight"};
  for (const char *kind :
       {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
        "ffn_gate", "ffn_down", "ffn_up"})
    names.push_back(std::string("blk.0.") + kind + ".weight");
  std::vector<FloatTensor> tensors;
  for (size_t i = 0; i < names.size(); ++i)
    tensors.push_back({names[i], {2}, {float(i), float(i)}});
  return tensors;
}

TEST(WritersTest, Llama2cCheckpointHeaderAndOrder) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.numLayers = 1;
  config.tiedEmbeddings = false;
  std::vector<FloatTensor> tensors = llamaTensors();
  llvm::Expected<std::vector<uint8_t>> bytes =
      serializeLlama2cCheckpoint(config, tensors);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  int32_t header[7];
  std::memcpy(header, bytes->data(), sizeof(header));
  EXPECT_EQ(header[0], config.dim);
  EXPECT_EQ(header[5], -config.vocabSize) << "untied: negative vocabulary";
  // After the header: the embedding (index 0), then attn_norm of layer 0
  // (index 3).
  float first[4];
  std::memcpy(first, bytes->data() + sizeof(header), sizeof(first));
  EXPECT_EQ(first[0], 0.0f);
  EXPECT_EQ(first[2], 3.0f);
  size_t ropeTables = size_t(config.contextLength * config.headDim());
  EXPECT_EQ(bytes->size(),
            sizeof(header) + (12 * 2 + ropeTables) * sizeof(float));
}

TEST(WritersTest, Llama2cCheckpointNamesAMissingTensor) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.numLayers = 1;
  std::vector<FloatTensor> tensors = llamaTensors();
  tensors.erase(tensors.begin() + 5); // blk.0.attn_k.weight
  llvm::Expected<std::vector<uint8_t>> bytes =
      serializeLlama2cCheckpoint(config, tensors);
  ASSERT_FALSE(bool(bytes));
  EXPECT_EQ(llvm::toString(bytes.takeError()),
            "llama2.c checkpoint: no tensor 'blk.0.attn_k.weight'");
}

TEST(WritersTest, WriteFileBytesNamesAnUnwritablePath) {
  llvm::Error error =
      writeFileBytes("/nonexistent-dir/x.bin", std::vector<uint8_t>{1});
  ASSERT_TRUE(bool(error));
  EXPECT_NE(llvm::toString(std::move(error)).find("/nonexistent-dir/x.bin"),
            std::string::npos);
}

} // namespace
