//===- ModelBuilderTest.cpp - unit tests of the model builder API ---------===//

#include "tfm/Builder/ModelBuilder.h"
#include "tfm/Model/Architectures.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSet.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tfm;

namespace {

class ModelBuilderTest : public ::testing::Test {
protected:
  OwningOpRef<ModuleOp> build(const ModelConfig &config) {
    llvm::Expected<OwningOpRef<ModuleOp>> module = buildModel(context, config);
    if (!module) {
      ADD_FAILURE() << llvm::toString(module.takeError());
      return nullptr;
    }
    return std::move(*module);
  }

  std::string buildError(const ModelConfig &config) {
    llvm::Expected<OwningOpRef<ModuleOp>> module = buildModel(context, config);
    if (module)
      return "";
    return llvm::toString(module.takeError());
  }

  MLIRContext context;
};

func::FuncOp lookupFunc(ModuleOp module, StringRef name) {
  return module.lookupSymbol<func::FuncOp>(name);
}

llvm::StringSet<> paramNames(func::FuncOp func) {
  llvm::StringSet<> names;
  func.walk([&](ParamOp param) { names.insert(param.getName()); });
  return names;
}

RankedTensorType paramType(func::FuncOp func, StringRef name) {
  RankedTensorType found;
  func.walk([&](ParamOp param) {
    if (param.getName() == name)
      found = param.getResult().getType();
  });
  return found;
}

template <typename OpTy>
int64_t countOps(Operation *root) {
  int64_t count = 0;
  root->walk([&](OpTy) { ++count; });
  return count;
}

TEST_F(ModelBuilderTest, LlamaHasPrefillAndDecodeThatShareTheCache) {
  ModelConfig config = ModelConfig::tinyLlama();
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  func::FuncOp prefill = lookupFunc(*module, "prefill");
  func::FuncOp decode = lookupFunc(*module, "decode");
  ASSERT_TRUE(prefill && decode);

  auto cache = dyn_cast<KVCacheType>(prefill.getArgumentTypes()[2]);
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache, decode.getArgumentTypes()[2]);
  EXPECT_EQ(cache, prefill.getResultTypes()[1]);
  EXPECT_EQ(cache.getLayers(), 5);
  EXPECT_EQ(cache.getKvHeads(), 4);
  EXPECT_EQ(cache.getHeadDim(), 8);
  // layers * 2 * kv_heads * context * head_dim * sizeof(f32)
  EXPECT_EQ(cache.getSizeInBytes(), 5 * 2 * 4 * 512 * 8 * 4);

  auto prefillTokens = cast<RankedTensorType>(prefill.getArgumentTypes()[0]);
  EXPECT_TRUE(prefillTokens.isDynamicDim(0));
  auto decodeLogits = cast<RankedTensorType>(decode.getResultTypes()[0]);
  EXPECT_EQ(decodeLogits.getShape(), ArrayRef<int64_t>({1, 512}));

  EXPECT_EQ(countOps<KVCacheAppendOp>(prefill), 5);
  EXPECT_EQ(countOps<KVCacheAttentionOp>(decode), 5);
  EXPECT_EQ(countOps<RoPEOp>(decode), 10);
  EXPECT_EQ(countOps<GatedActivationOp>(decode), 5);
}

TEST_F(ModelBuilderTest, LlamaDeclaresEveryWeightOnceByGGUFName) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.numLayers = 2;
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  func::FuncOp decode = lookupFunc(*module, "decode");
  // 9 per layer plus token_embd, output_norm and output.
  EXPECT_EQ(paramNames(decode).size(), 2u * 9u + 3u);
  EXPECT_EQ(countOps<ParamOp>(decode), 2 * 9 + 3);
  EXPECT_TRUE(paramNames(decode).contains("blk.1.ffn_gate.weight"));
  // GQA: K and V project to kv_heads * head_dim features.
  EXPECT_EQ(paramType(decode, "blk.0.attn_k.weight").getShape(),
            ArrayRef<int64_t>({32, 64}));
  EXPECT_EQ(paramType(decode, "blk.0.attn_q.weight").getShape(),
            ArrayRef<int64_t>({64, 64}));
}

TEST_F(ModelBuilderTest, TiedLlamaUsesTheEmbeddingForLogits) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.tiedEmbeddings = true;
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  func::FuncOp decode = lookupFunc(*module, "decode");
  EXPECT_FALSE(paramNames(decode).contains("output.weight"));
  decode.walk([](LogitsOp logits) {
    auto param = logits.getWeight().getDefiningOp<ParamOp>();
    ASSERT_TRUE(param);
    EXPECT_EQ(param.getName(), "token_embd.weight");
  });
}

TEST_F(ModelBuilderTest, MultiQueryAttentionShrinksTheCache) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.numKvHeads = 1;
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  auto cache = cast<KVCacheType>(
      lookupFunc(*module, "decode").getArgumentTypes()[2]);
  EXPECT_EQ(cache.getKvHeads(), 1);
  EXPECT_EQ(cache.getSizeInBytes(), 5 * 2 * 1 * 512 * 8 * 4);
}

TEST_F(ModelBuilderTest, StorageTypesReachWeightsAndCache) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.weightType = StorageType::F16;
  config.kvCacheType = StorageType::BF16;
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  func::FuncOp decode = lookupFunc(*module, "decode");
  EXPECT_TRUE(
      paramType(decode, "blk.0.attn_q.weight").getElementType().isF16());
  // Norm scales stay f32, as in GGUF files.
  EXPECT_TRUE(
      paramType(decode, "blk.0.attn_norm.weight").getElementType().isF32());
  auto cache = cast<KVCacheType>(decode.getArgumentTypes()[2]);
  EXPECT_TRUE(cache.getElementType().isBF16());
}

TEST_F(ModelBuilderTest, RopeFollowsTheConfig) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.layer.ropeInterleaved = false;
  config.rotaryDim = 4;
  config.ropeTheta = 500000.0;
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  int64_t ropes = 0;
  module->walk([&](RoPEOp rope) {
    ++ropes;
    EXPECT_EQ(rope.getPairing(), RopePairing::half_split);
    EXPECT_EQ(rope.getRotaryDim(), 4);
    EXPECT_EQ(rope.getHeadDim(), 8);
    EXPECT_EQ(rope.getTheta().convertToDouble(), 500000.0);
  });
  // Q and K of 5 layers in prefill, decode and decode_batch.
  EXPECT_EQ(ropes, 3 * 2 * 5);
}

TEST_F(ModelBuilderTest, GPT2UsesLayerNormLearnedPositionsAndGelu) {
  OwningOpRef<ModuleOp> module = build(ModelConfig::tinyGPT2());
  ASSERT_TRUE(module);
  func::FuncOp decode = lookupFunc(*module, "decode");
  ASSERT_TRUE(decode);
  EXPECT_EQ(countOps<RMSNormOp>(decode), 0);
  EXPECT_EQ(countOps<LayerNormOp>(decode), 2 * 5 + 1);
  EXPECT_EQ(countOps<LearnedPositionOp>(decode), 1);
  EXPECT_EQ(countOps<RoPEOp>(decode), 0);
  decode.walk([](ActivationOp act) {
    EXPECT_EQ(act.getKind(), Activation::gelu_tanh);
  });
  decode.walk([](LinearOp linear) { EXPECT_TRUE(linear.getBias()); });
  EXPECT_TRUE(paramNames(decode).contains("blk.0.attn_q.bias"));
}

TEST_F(ModelBuilderTest, BERTIsAPostNormEncoderWithAFullMask) {
  OwningOpRef<ModuleOp> module = build(ModelConfig::tinyBERT());
  ASSERT_TRUE(module);
  EXPECT_FALSE(lookupFunc(*module, "prefill"));
  func::FuncOp encode = lookupFunc(*module, "encode");
  ASSERT_TRUE(encode);
  // Tokens, token types, positions and where each text starts.
  EXPECT_EQ(encode.getNumArguments(), 4u);
  EXPECT_TRUE(encode->hasAttr(kRowsPerTokenAttrName));
  EXPECT_EQ(countOps<KVCacheAppendOp>(encode), 0);
  EXPECT_EQ(countOps<LogitsOp>(encode), 0);
  encode.walk(
      [](AttentionOp attn) { EXPECT_EQ(attn.getMask(), MaskKind::full); });
  // Post-norm: each residual add feeds a layer norm (the embedding rows
  // are summed first, then normed).
  encode.walk([](AddOp add) {
    ASSERT_TRUE(add->hasOneUse());
    EXPECT_TRUE((isa<LayerNormOp, AddOp>(*add->user_begin())));
  });
  EXPECT_TRUE(paramNames(encode).contains("token_types.weight"));
}

TEST_F(ModelBuilderTest, T5DecoderAttendsToTheEncodedSource) {
  ModelConfig config = ModelConfig::tinyT5();
  OwningOpRef<ModuleOp> module = build(config);
  ASSERT_TRUE(module);
  func::FuncOp encode = lookupFunc(*module, "encode");
  func::FuncOp decode = lookupFunc(*module, "decode");
  ASSERT_TRUE(encode && decode && lookupFunc(*module, "prefill"));
  // One cache: the decoder's self-attention layers, then its cross layers,
  // which encode fills once per source.
  auto cache = cast<KVCacheType>(decode.getArgumentTypes()[3]);
  EXPECT_EQ(cache.getLayers(), 2 * config.decoderLayers());
  EXPECT_EQ(encode.getResultTypes()[0], cache);
  EXPECT_EQ(countOps<KVCacheAppendOp>(encode), config.decoderLayers());
  encode.walk([&](KVCacheAppendOp append) {
    EXPECT_GE(int64_t(*append.getLayer()), config.decoderLayers());
  });
  // The encoder's attention: bidirectional, biased by positions; one bias
  // shared by the layers.
  EXPECT_EQ(countOps<AttentionOp>(encode), config.numLayers);
  EXPECT_EQ(countOps<RelativePositionBiasOp>(encode), 1);
  encode.walk([](AttentionOp attn) {
    EXPECT_EQ(attn.getMask(), MaskKind::full);
    EXPECT_TRUE(attn.getBias());
  });
  // The decoder: biased causal self-attention and cross-attention over
  // the source's keys per layer.
  int64_t self = 0, cross = 0;
  decode.walk([&](KVCacheAttentionOp attn) {
    if (attn.getKeyCount()) {
      EXPECT_FALSE(attn.getBias());
      EXPECT_GE(int64_t(*attn.getLayer()), config.decoderLayers());
      ++cross;
    } else {
      EXPECT_TRUE(attn.getBias());
      ++self;
    }
  });
  EXPECT_EQ(self, config.decoderLayers());
  EXPECT_EQ(cross, config.decoderLayers());
  EXPECT_EQ(countOps<AttentionOp>(decode), 0);
  EXPECT_TRUE(paramNames(encode).contains("dec.blk.2.cross_attn_k.weight"));
  EXPECT_TRUE(paramNames(decode).contains("dec.blk.2.cross_attn_q.weight"));
  EXPECT_TRUE(paramNames(encode).contains("enc.blk.1.attn_o.weight"));
}

TEST_F(ModelBuilderTest, ConfigIsAttachedToTheModule) {
  OwningOpRef<ModuleOp> module = build(ModelConfig::tinyLlama());
  ASSERT_TRUE(module);
  auto config = (*module)->getAttrOfType<DictionaryAttr>("tfm.config");
  ASSERT_TRUE(config);
  EXPECT_EQ(cast<StringAttr>(config.get("arch")).getValue(), "llama");
  EXPECT_EQ(cast<IntegerAttr>(config.get("num_kv_heads")).getInt(), 4);
}

TEST_F(ModelBuilderTest, InvalidConfigsNameTheField) {
  ModelConfig config = ModelConfig::tinyLlama();
  config.numKvHeads = 3;
  EXPECT_EQ(buildError(config), "model config: num_heads (8) must be a "
                                "multiple of num_kv_heads (3)");

  config = ModelConfig::tinyLlama();
  config.dim = 60;
  EXPECT_EQ(buildError(config),
            "model config: dim (60) must be a multiple of num_heads (8)");

  config = ModelConfig::tinyLlama();
  config.rotaryDim = 3;
  EXPECT_EQ(buildError(config), "model config: rotary_dim (3) must be even "
                                "and at most head_dim (8)");

  config = ModelConfig::tinyLlama();
  config.vocabSize = 0;
  EXPECT_EQ(buildError(config), "model config: vocab_size must be positive, "
                                "got 0");
}

TEST_F(ModelBuilderTest, NamesRoundTrip) {
  for (const ArchitectureInfo &info : architectures()) {
    EXPECT_EQ(lookupArchitecture(info.name), &info);
    if (!info.huggingFaceClass.empty())
      EXPECT_EQ(lookupHuggingFaceArchitecture(info.huggingFaceClass), &info);
    EXPECT_EQ(ModelConfig::tiny(info.name).architecture, info.name);
  }
  EXPECT_EQ(lookupHuggingFaceArchitecture("MistralForCausalLM"),
            lookupArchitecture("llama"));
  for (StorageType type : {StorageType::F32, StorageType::F16,
                           StorageType::BF16})
    EXPECT_EQ(parseStorageType(stringifyStorageType(type)), type);
  EXPECT_FALSE(lookupArchitecture("mamba"));
}

} // namespace
