//===- Architectures.cpp - the table of supported architectures -----------===//

#include "tfm/Model/Architectures.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir::tfm;
using llvm::StringRef;

namespace {

/// Pre-norm RMSNorm, RoPE, SwiGLU, no biases: Llama and its descendants.
constexpr LayerChoices llamaLayer() { return LayerChoices(); }

constexpr LayerChoices neoxRopeLayer() {
  LayerChoices layer;
  layer.ropeInterleaved = false;
  return layer;
}

constexpr LayerChoices qwen2Layer() {
  LayerChoices layer = neoxRopeLayer();
  layer.qkvBias = true;
  return layer;
}

constexpr LayerChoices qwen3Layer() {
  LayerChoices layer = neoxRopeLayer();
  layer.qkNorm = true;
  return layer;
}

/// Gemma 2: RMSNorm before and after attention and FFN, GeGLU (tanh GELU),
/// embeddings scaled by sqrt(dim), NeoX RoPE. (GGUF norm weights already
/// hold Gemma's 1 + w.)
constexpr LayerChoices gemma2Layer() {
  LayerChoices layer = neoxRopeLayer();
  layer.postAttentionNorm = layer.postFeedForwardNorm = true;
  layer.activation = ActivationKind::GELUTanh;
  layer.scaleEmbeddings = true;
  return layer;
}

/// Gemma 3 (text): Gemma 2's layer plus the per-head q/k norm.
constexpr LayerChoices gemma3Layer() {
  LayerChoices layer = gemma2Layer();
  layer.qkNorm = true;
  return layer;
}

constexpr LayerChoices gpt2Layer() {
  LayerChoices layer;
  layer.norm = NormKind::LayerNorm;
  layer.normBias = true;
  layer.qkvBias = layer.outputBias = layer.feedForwardBias = true;
  layer.feedForward = FeedForwardKind::Plain;
  layer.activation = ActivationKind::GELUTanh;
  layer.positions = PositionKind::Learned;
  return layer;
}

/// BERT: post-norm LayerNorm, learned positions, GELU, biases everywhere.
constexpr LayerChoices bertLayer() {
  LayerChoices layer = gpt2Layer();
  layer.activation = ActivationKind::GELU;
  return layer;
}

/// T5 v1.0: pre-norm RMSNorm without biases, a ReLU FFN, unscaled scores
/// plus the relative position bias. T5 v1.1 / FLAN (a file with
/// `ffn_gate`) has a gated tanh-GELU FFN instead.
constexpr LayerChoices t5Layer() {
  LayerChoices layer;
  layer.feedForward = FeedForwardKind::Plain;
  layer.activation = ActivationKind::ReLU;
  layer.positions = PositionKind::RelativeBias;
  layer.unscaledScores = true;
  return layer;
}

const ArchitectureInfo kArchitectures[] = {
    {"llama", "LlamaForCausalLM", ModelFamily::Decoder, llamaLayer(),
     /*ggufFusedQKV=*/false, /*ggufFusedGateUp=*/false,
     "Llama 2, Llama 3/3.1/3.2, Mistral 7B, SmolLM2, TinyLlama"},
    {"qwen2", "Qwen2ForCausalLM", ModelFamily::Decoder, qwen2Layer(), false,
     false, "Qwen 2, Qwen 2.5"},
    {"qwen3", "Qwen3ForCausalLM", ModelFamily::Decoder, qwen3Layer(), false,
     false, "Qwen 3 (dense)"},
    {"phi3", "Phi3ForCausalLM", ModelFamily::Decoder, neoxRopeLayer(), true,
     true, "Phi-3, Phi-3.5, Phi-4-mini"},
    {"gemma2", "Gemma2ForCausalLM", ModelFamily::Decoder, gemma2Layer(), false, false,
     "Gemma 2",
     ArchitectureDefaults{/*slidingWindow=*/4096, /*slidingPattern=*/2,
                          /*localRopeTheta=*/0.0, /*attentionSoftCap=*/50.0,
                          /*finalLogitSoftCap=*/30.0,
                          /*layersScalingByWidth=*/46,
                          /*tiedEmbeddings=*/true}},
    {"gemma3", "Gemma3ForCausalLM", ModelFamily::Decoder, gemma3Layer(), false, false,
     "Gemma 3 (text)",
     ArchitectureDefaults{/*slidingWindow=*/0, /*slidingPattern=*/6,
                          /*localRopeTheta=*/10000.0,
                          /*attentionSoftCap=*/0.0, /*finalLogitSoftCap=*/0.0,
                          /*layersScalingByWidth=*/62,
                          /*tiedEmbeddings=*/true}},
    {"gpt2", "GPT2LMHeadModel", ModelFamily::Decoder, gpt2Layer(), true,
     false, "GPT-2",
     ArchitectureDefaults{/*slidingWindow=*/0, /*slidingPattern=*/0,
                          /*localRopeTheta=*/0.0, /*attentionSoftCap=*/0.0,
                          /*finalLogitSoftCap=*/0.0,
                          /*layersScalingByWidth=*/0,
                          /*tiedEmbeddings=*/true}},
    {"bert", "BertModel", ModelFamily::Encoder, bertLayer(), false, false,
     "BERT, BGE, MiniLM"},
    {"t5", "T5ForConditionalGeneration", ModelFamily::EncoderDecoder,
     t5Layer(), false, false, "T5, T5 v1.1, FLAN-T5"},
};

/// Hugging Face classes whose layers are another class's.
const std::pair<StringRef, StringRef> kHuggingFaceAliases[] = {
    {"MistralForCausalLM", "llama"},
    {"BertForMaskedLM", "bert"},
};

} // namespace

llvm::ArrayRef<ArchitectureInfo> mlir::tfm::architectures() {
  return kArchitectures;
}

const ArchitectureInfo *mlir::tfm::lookupArchitecture(StringRef name) {
  const ArchitectureInfo *found = llvm::find_if(
      kArchitectures, [&](const ArchitectureInfo &a) { return a.name == name; });
  return found == std::end(kArchitectures) ? nullptr : found;
}

const ArchitectureInfo *
mlir::tfm::lookupHuggingFaceArchitecture(StringRef className) {
  for (auto [alias, name] : kHuggingFaceAliases)
    if (alias == className)
      return lookupArchitecture(name);
  const ArchitectureInfo *found =
      llvm::find_if(kArchitectures, [&](const ArchitectureInfo &a) {
        return !a.huggingFaceClass.empty() && a.huggingFaceClass == className;
      });
  return found == std::end(kArchitectures) ? nullptr : found;
}

std::string mlir::tfm::listArchitectures(bool decodersOnly) {
  std::string list;
  for (const ArchitectureInfo &a : kArchitectures) {
    if (decodersOnly && a.family != ModelFamily::Decoder)
      continue;
    list += (list.empty() ? "" : ", ") + a.name.str();
  }
  return list;
}

std::string mlir::tfm::listHuggingFaceArchitectures() {
  std::string list;
  auto add = [&](StringRef name) {
    list += (list.empty() ? "" : ", ") + name.str();
  };
  for (const ArchitectureInfo &a : kArchitectures)
    if (!a.huggingFaceClass.empty())
      add(a.huggingFaceClass);
  for (auto [alias, name] : kHuggingFaceAliases)
    add(alias);
  return list;
}
