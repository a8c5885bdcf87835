//===- HuggingFaceNames.cpp - Hugging Face tensor names of each architecture ===//

#include "tfm/Model/HuggingFaceNames.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"

using namespace mlir::tfm;
using llvm::StringRef;
using Transform = HuggingFaceTransform;

namespace {

/// Which feed-forward kind a name belongs to, where the two differ in
/// name (T5's `wi` vs v1.1's `wi_0`/`wi_1`); the reader takes either.
enum class FeedForwardOnly { Any, Plain, Gated };

/// One name: Hugging Face's and tfm's (per layer: the part after the layer
/// number), and how the values differ.
struct NamePair {
  const char *huggingFace;
  const char *gguf;
  Transform transform = Transform::None;
  FeedForwardOnly only = FeedForwardOnly::Any;
};

/// A stack of layers: Hugging Face's layer N is `<huggingFace>N.<suffix>`,
/// tfm's `<gguf>N.<suffix>`.
struct LayerStack {
  const char *huggingFace;
  const char *gguf;
  llvm::ArrayRef<NamePair> layer;
};

struct Layout {
  /// Global tensors, and the layer stacks (T5 has an encoder's and a
  /// decoder's).
  llvm::ArrayRef<NamePair> globals;
  llvm::ArrayRef<LayerStack> stacks;
  /// A prefix the reader also accepts missing (GPT-2 checkpoints saved
  /// from GPT2Model rather than GPT2LMHeadModel).
  const char *optionalPrefix;
  /// A prefix the reader also accepts present (BERT checkpoints saved from
  /// BertForMaskedLM: `bert.` before BertModel's names).
  const char *extraPrefix = "";
};

const NamePair kLlamaGlobals[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

const NamePair kLlamaLayer[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

/// Gemma 2/3: four norms a layer, every norm weight stored as w of 1 + w.
const NamePair kGemmaGlobals[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight", Transform::AddOne},
};

const NamePair kGemmaLayer[] = {
    {"input_layernorm.weight", "attn_norm.weight", Transform::AddOne},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight", Transform::AddOne},
    {"self_attn.k_norm.weight", "attn_k_norm.weight", Transform::AddOne},
    {"post_attention_layernorm.weight", "post_attention_norm.weight",
     Transform::AddOne},
    {"pre_feedforward_layernorm.weight", "ffn_norm.weight", Transform::AddOne},
    {"post_feedforward_layernorm.weight", "post_ffw_norm.weight",
     Transform::AddOne},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

/// Phi-3: Q, K and V in one matrix, gate and up in another, as in GGUF.
const NamePair kPhi3Layer[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.qkv_proj.weight", "attn_qkv.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

const NamePair kGPT2Globals[] = {
    {"transformer.wte.weight", "token_embd.weight"},
    {"transformer.wpe.weight", "position_embd.weight"},
    {"transformer.ln_f.weight", "output_norm.weight"},
    {"transformer.ln_f.bias", "output_norm.bias"},
    {"lm_head.weight", "output.weight"},
};

const NamePair kGPT2Layer[] = {
    {"ln_1.weight", "attn_norm.weight"},
    {"ln_1.bias", "attn_norm.bias"},
    {"attn.c_attn.weight", "attn_qkv.weight", Transform::Transpose},
    {"attn.c_attn.bias", "attn_qkv.bias"},
    {"attn.c_proj.weight", "attn_output.weight", Transform::Transpose},
    {"attn.c_proj.bias", "attn_output.bias"},
    {"ln_2.weight", "ffn_norm.weight"},
    {"ln_2.bias", "ffn_norm.bias"},
    {"mlp.c_fc.weight", "ffn_up.weight", Transform::Transpose},
    {"mlp.c_fc.bias", "ffn_up.bias"},
    {"mlp.c_proj.weight", "ffn_down.weight", Transform::Transpose},
    {"mlp.c_proj.bias", "ffn_down.bias"},
};

/// BertModel: post-norm, so each LayerNorm is named for what it follows.
const NamePair kBertGlobals[] = {
    {"embeddings.word_embeddings.weight", "token_embd.weight"},
    {"embeddings.position_embeddings.weight", "position_embd.weight"},
    {"embeddings.token_type_embeddings.weight", "token_types.weight"},
    {"embeddings.LayerNorm.weight", "token_embd_norm.weight"},
    {"embeddings.LayerNorm.bias", "token_embd_norm.bias"},
};

const NamePair kBertLayer[] = {
    {"attention.self.query.weight", "attn_q.weight"},
    {"attention.self.query.bias", "attn_q.bias"},
    {"attention.self.key.weight", "attn_k.weight"},
    {"attention.self.key.bias", "attn_k.bias"},
    {"attention.self.value.weight", "attn_v.weight"},
    {"attention.self.value.bias", "attn_v.bias"},
    {"attention.output.dense.weight", "attn_output.weight"},
    {"attention.output.dense.bias", "attn_output.bias"},
    {"attention.output.LayerNorm.weight", "attn_output_norm.weight"},
    {"attention.output.LayerNorm.bias", "attn_output_norm.bias"},
    {"intermediate.dense.weight", "ffn_up.weight"},
    {"intermediate.dense.bias", "ffn_up.bias"},
    {"output.dense.weight", "ffn_down.weight"},
    {"output.dense.bias", "ffn_down.bias"},
    {"output.LayerNorm.weight", "layer_output_norm.weight"},
    {"output.LayerNorm.bias", "layer_output_norm.bias"},
};

/// T5ForConditionalGeneration: the shared embedding, each stack's final
/// norm, the LM head; the relative position table in block 0 of each
/// stack.
const NamePair kT5Globals[] = {
    {"shared.weight", "token_embd.weight"},
    {"encoder.final_layer_norm.weight", "enc.output_norm.weight"},
    {"decoder.final_layer_norm.weight", "dec.output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

/// A T5 FFN, sublayer `N` of its block: `wi` (v1.0) or `wi_0`/`wi_1`
/// (gated, v1.1 and FLAN), `wo`.
#define TFM_T5_FEED_FORWARD(N)                                                 \
  {"layer." #N ".layer_norm.weight", "ffn_norm.weight"},                        \
      {"layer." #N ".DenseReluDense.wi.weight", "ffn_up.weight",               \
       Transform::None, FeedForwardOnly::Plain},                               \
      {"layer." #N ".DenseReluDense.wi_0.weight", "ffn_gate.weight"},          \
      {"layer." #N ".DenseReluDense.wi_1.weight", "ffn_up.weight",             \
       Transform::None, FeedForwardOnly::Gated},                               \
      {"layer." #N ".DenseReluDense.wo.weight", "ffn_down.weight"}

/// T5's self-attention sublayer 0 of every block.
#define TFM_T5_SELF_ATTENTION                                                  \
  {"layer.0.layer_norm.weight", "attn_norm.weight"},                           \
      {"layer.0.SelfAttention.q.weight", "attn_q.weight"},                     \
      {"layer.0.SelfAttention.k.weight", "attn_k.weight"},                     \
      {"layer.0.SelfAttention.v.weight", "attn_v.weight"},                     \
      {"layer.0.SelfAttention.o.weight", "attn_o.weight"},                     \
      {"layer.0.SelfAttention.relative_attention_bias.weight",                 \
       "attn_rel_b.weight"}

const NamePair kT5EncoderLayer[] = {TFM_T5_SELF_ATTENTION,
                                    TFM_T5_FEED_FORWARD(1)};

const NamePair kT5DecoderLayer[] = {
    TFM_T5_SELF_ATTENTION,
    {"layer.1.layer_norm.weight", "cross_attn_norm.weight"},
    {"layer.1.EncDecAttention.q.weight", "cross_attn_q.weight"},
    {"layer.1.EncDecAttention.k.weight", "cross_attn_k.weight"},
    {"layer.1.EncDecAttention.v.weight", "cross_attn_v.weight"},
    {"layer.1.EncDecAttention.o.weight", "cross_attn_o.weight"},
    TFM_T5_FEED_FORWARD(2)};

#undef TFM_T5_SELF_ATTENTION
#undef TFM_T5_FEED_FORWARD

const LayerStack kLlamaStack[] = {{"model.layers.", "blk.", kLlamaLayer}};
const LayerStack kGemmaStack[] = {{"model.layers.", "blk.", kGemmaLayer}};
const LayerStack kPhi3Stack[] = {{"model.layers.", "blk.", kPhi3Layer}};
const LayerStack kGPT2Stack[] = {{"transformer.h.", "blk.", kGPT2Layer}};
const LayerStack kBertStack[] = {{"encoder.layer.", "blk.", kBertLayer}};
const LayerStack kT5Stacks[] = {
    {"encoder.block.", "enc.blk.", kT5EncoderLayer},
    {"decoder.block.", "dec.blk.", kT5DecoderLayer}};

std::optional<Layout> layoutOf(StringRef architecture) {
  if (architecture == "llama" || architecture == "qwen2" ||
      architecture == "qwen3")
    return Layout{kLlamaGlobals, kLlamaStack, ""};
  if (architecture == "gemma2" || architecture == "gemma3")
    return Layout{kGemmaGlobals, kGemmaStack, ""};
  if (architecture == "phi3")
    return Layout{kLlamaGlobals, kPhi3Stack, ""};
  if (architecture == "gpt2")
    return Layout{kGPT2Globals, kGPT2Stack, "transformer."};
  if (architecture == "bert")
    return Layout{kBertGlobals, kBertStack, "", "bert."};
  if (architecture == "t5")
    return Layout{kT5Globals, kT5Stacks, ""};
  return std::nullopt;
}

/// The tensor `candidate` names in `layout`, reported as `name`.
std::optional<HuggingFaceTensor> match(const Layout &layout,
                                       StringRef candidate, StringRef name) {
  for (const NamePair &pair : layout.globals)
    if (candidate == pair.huggingFace)
      return HuggingFaceTensor{name.str(), pair.gguf, pair.transform};
  for (const LayerStack &stack : layout.stacks) {
    StringRef rest = candidate;
    if (!rest.consume_front(stack.huggingFace))
      continue;
    auto [layerText, suffix] = rest.split('.');
    unsigned layer;
    if (layerText.getAsInteger(10, layer))
      return std::nullopt;
    for (const NamePair &pair : stack.layer)
      if (suffix == pair.huggingFace)
        return HuggingFaceTensor{
            name.str(),
            (stack.gguf + llvm::Twine(layer) + "." + pair.gguf).str(),
            pair.transform};
  }
  return std::nullopt;
}

} // namespace

std::optional<HuggingFaceTensor>
mlir::tfm::fromHuggingFaceName(StringRef architecture, StringRef name) {
  std::optional<Layout> layout = layoutOf(architecture);
  if (!layout)
    return std::nullopt;
  if (std::optional<HuggingFaceTensor> found = match(*layout, name, name))
    return found;
  StringRef extra = layout->extraPrefix;
  if (!extra.empty() && name.starts_with(extra))
    return match(*layout, name.drop_front(extra.size()), name);
  StringRef prefix = layout->optionalPrefix;
  if (prefix.empty() || name.starts_with(prefix))
    return std::nullopt;
  return match(*layout, (prefix + name).str(), name);
}

std::optional<HuggingFaceTensor>
mlir::tfm::toHuggingFaceName(StringRef architecture, StringRef gguf,
                             bool gatedFeedForward) {
  std::optional<Layout> layout = layoutOf(architecture);
  if (!layout)
    return std::nullopt;
  for (const NamePair &pair : layout->globals)
    if (gguf == pair.gguf)
      return HuggingFaceTensor{pair.huggingFace, gguf.str(), pair.transform};
  FeedForwardOnly other =
      gatedFeedForward ? FeedForwardOnly::Plain : FeedForwardOnly::Gated;
  for (const LayerStack &stack : layout->stacks) {
    StringRef rest = gguf;
    if (!rest.consume_front(stack.gguf))
      continue;
    auto [layer, suffix] = rest.split('.');
    for (const NamePair &pair : stack.layer)
      if (suffix == pair.gguf && pair.only != other)
        return HuggingFaceTensor{
            (stack.huggingFace + layer + "." + pair.huggingFace).str(),
            gguf.str(), pair.transform};
  }
  return std::nullopt;
}
