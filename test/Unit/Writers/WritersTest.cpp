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
  auto name = [](llvm::StringRef arch, llvm::StringRef gguf) {
    std::optional<HuggingFaceTensor> found = toHuggingFaceName(arch, gguf);
    return found ? found->huggingFace : std::string("<none>");
  };
  EXPECT_EQ(name("llama", "token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(name("llama", "output_norm.weight"), "model.norm.weight");
  EXPECT_EQ(name("llama", "output.weight"), "lm_head.weight");
  EXPECT_EQ(name("llama", "blk.3.attn_q.weight"),
            "model.layers.3.self_attn.q_proj.weight");
  EXPECT_EQ(name("llama", "blk.12.ffn_norm.weight"),
            "model.layers.12.post_attention_layernorm.weight");
  EXPECT_EQ(name("gemma2", "blk.12.ffn_norm.weight"),
            "model.layers.12.pre_feedforward_layernorm.weight");
  EXPECT_EQ(name("gemma2", "blk.0.post_attention_norm.weight"),
            "model.layers.0.post_attention_layernorm.weight");
  EXPECT_EQ(name("phi3", "blk.0.attn_qkv.weight"),
            "model.layers.0.self_attn.qkv_proj.weight");
  EXPECT_EQ(name("phi3", "blk.0.ffn_up.weight"),
            "model.layers.0.mlp.gate_up_proj.weight");
  EXPECT_EQ(name("gpt2", "blk.5.attn_qkv.bias"),
            "transformer.h.5.attn.c_attn.bias");
  EXPECT_EQ(name("gpt2", "position_embd.weight"), "transformer.wpe.weight");
  // What a layout does not have.
  EXPECT_EQ(name("llama", "blk.0.attn_qkv.weight"), "<none>");
  EXPECT_EQ(name("bert", "output.weight"), "<none>");
  // T5: two stacks, the FFN's names by kind.
  EXPECT_EQ(name("t5", "token_embd.weight"), "shared.weight");
  EXPECT_EQ(name("t5", "enc.blk.0.attn_rel_b.weight"),
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias."
            "weight");
  EXPECT_EQ(name("t5", "dec.blk.2.cross_attn_o.weight"),
            "decoder.block.2.layer.1.EncDecAttention.o.weight");
  EXPECT_EQ(name("t5", "dec.blk.2.ffn_up.weight"),
            "decoder.block.2.layer.2.DenseReluDense.wi.weight");
  EXPECT_EQ(toHuggingFaceName("t5", "enc.blk.1.ffn_up.weight",
                              /*gatedFeedForward=*/true)
                ->huggingFace,
            "encoder.block.1.layer.1.DenseReluDense.wi_1.weight");
  EXPECT_EQ(name("t5", "blk.0.attn_q.weight"), "<none>");
  // BERT: post-norm LayerNorms named for what they follow.
  EXPECT_EQ(name("bert", "token_embd.weight"),
            "embeddings.word_embeddings.weight");
  EXPECT_EQ(name("bert", "blk.1.layer_output_norm.bias"),
            "encoder.layer.1.output.LayerNorm.bias");
}

TEST(WritersTest, HuggingFaceNamesRoundTrip) {
  for (llvm::StringRef arch : {"llama", "qwen2", "gemma3", "phi3", "gpt2"})
    for (llvm::StringRef gguf :
         {"token_embd.weight", "output_norm.weight", "blk.7.attn_norm.weight",
          "blk.7.attn_output.weight", "blk.7.ffn_down.weight"}) {
      std::optional<HuggingFaceTensor> to = toHuggingFaceName(arch, gguf);
      ASSERT_TRUE(to) << arch.str() << " " << gguf.str();
      std::optional<HuggingFaceTensor> back =
          fromHuggingFaceName(arch, to->huggingFace);
      ASSERT_TRUE(back) << to->huggingFace;
      EXPECT_EQ(back->gguf, gguf);
      EXPECT_EQ(back->transform, to->transform);
    }
  for (llvm::StringRef gguf :
       {"token_types.weight", "token_embd_norm.bias", "blk.3.attn_k.bias",
        "blk.3.attn_output_norm.weight", "blk.3.ffn_up.weight"}) {
    std::optional<HuggingFaceTensor> to = toHuggingFaceName("bert", gguf);
    ASSERT_TRUE(to) << gguf.str();
    std::optional<HuggingFaceTensor> back =
        fromHuggingFaceName("bert", to->huggingFace);
    ASSERT_TRUE(back && back->gguf == gguf) << to->huggingFace;
    // BertForMaskedLM's checkpoints put "bert." before BertModel's names.
    std::optional<HuggingFaceTensor> prefixed =
        fromHuggingFaceName("bert", "bert." + to->huggingFace);
    ASSERT_TRUE(prefixed && prefixed->gguf == gguf) << to->huggingFace;
  }
  // T5: both stacks, both FFN kinds.
  for (bool gated : {false, true})
    for (llvm::StringRef gguf :
         {"token_embd.weight", "enc.output_norm.weight",
          "dec.blk.0.attn_rel_b.weight", "enc.blk.4.attn_o.weight",
          "dec.blk.4.cross_attn_k.weight", "dec.blk.4.cross_attn_norm.weight",
          "enc.blk.4.ffn_up.weight", "dec.blk.4.ffn_down.weight",
          "output.weight"}) {
      std::optional<HuggingFaceTensor> to =
          toHuggingFaceName("t5", gguf, gated);
      ASSERT_TRUE(to) << gguf.str();
      std::optional<HuggingFaceTensor> back =
          fromHuggingFaceName("t5", to->huggingFace);
      ASSERT_TRUE(back && back->gguf == gguf) << to->huggingFace;
    }
  // GPT-2 checkpoints saved without the "transformer." prefix read too.
  std::optional<HuggingFaceTensor> bare =
      fromHuggingFaceName("gpt2", "h.2.mlp.c_fc.weight");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->gguf, "blk.2.ffn_up.weight");
  EXPECT_EQ(bare->transform, HuggingFaceTransform::Transpose);
  EXPECT_FALSE(fromHuggingFaceName("llama", "model.layers.0.rotary_emb.inv_freq"));
}

TEST(WritersTest, HuggingFaceValuesUndoTheStoredForms) {
  ModelConfig llama = ModelConfig::tinyLlama();
  llama.numHeads = 1;
  llama.numKvHeads = 1;
  llama.dim = 4;
  // One head of 4 features, one column: GGUF rows (q0 q1)(q2 q3) pair
  // (0,1) and (2,3); Hugging Face pairs (0,2) and (1,3).
  FloatTensor q{"blk.0.attn_q.weight", {4, 1}, {0, 1, 2, 3}};
  EXPECT_EQ(huggingFaceValues(llama, q, HuggingFaceTransform::None).values,
            (std::vector<float>{0, 2, 1, 3}));
  EXPECT_TRUE(huggingFaceValuesDiffer(llama, q.name,
                                      HuggingFaceTransform::None));
  ModelConfig qwen = ModelConfig::tiny("qwen2");
  EXPECT_FALSE(huggingFaceValuesDiffer(qwen, q.name,
                                       HuggingFaceTransform::None));
  FloatTensor norm{"blk.0.attn_norm.weight", {2}, {1.25f, 0.5f}};
  EXPECT_EQ(huggingFaceValues(qwen, norm, HuggingFaceTransform::AddOne).values,
            (std::vector<float>{0.25f, -0.5f}));
  FloatTensor matrix{"blk.0.ffn_up.weight", {2, 3}, {1, 2, 3, 4, 5, 6}};
  FloatTensor stored =
      huggingFaceValues(qwen, matrix, HuggingFaceTransform::Transpose);
  EXPECT_EQ(stored.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(stored.values, (std::vector<float>{1, 4, 2, 5, 3, 6}));
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
