//===- ModelBuilder.h - build whole transformer models in tfm IR -*- C++ -*-===//
//
// Turns a small config struct into a tfm module. Importers fill the config
// from a model file's hyperparameters; tests and tools build synthetic models
// with it. Weight names follow GGUF (`token_embd.weight`,
// `blk.N.attn_q.weight`, ...) so a GGUF file can serve as the weight source
// directly.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_BUILDER_MODELBUILDER_H
#define TFM_BUILDER_MODELBUILDER_H

#include "tfm/Model/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"


namespace mlir::tfm {

/// Builds the whole model as a verified tfm module:
/// * decoders (Llama, GPT-2): `prefill(tokens, start, cache)` and
///   `decode(token, pos, cache)`, each returning `(logits, cache)`;
/// * BERT: `encode(tokens, token_types, positions, text_starts)` returning
///   the final hidden states;
/// * T5: `encode(tokens, cache) -> cache`, writing the cross-attention keys
///   and values of the source into the cache's cross layers, and
///   `prefill`/`decode(tokens, start, source_tokens, cache)`.
/// Decoders with RoPE also get `decode_batch(tokens, positions, slots,
/// pool)`, one decode step of many contexts (the runtime's
/// tfm_decode_batch). The hyperparameters are attached as the module
/// attribute `tfm.config`.
struct BuildOptions {
  /// Decoders: also `embed(tokens, start, cache) -> (hidden, cache)`, the
  /// final-normed hidden state of every token instead of logits (the
  /// runtime's tfm_embed, tfm-server's /v1/embeddings).
  bool embeddings = false;
  /// Decoders with sliding-window layers (Mistral, Gemma 2 and 3): the
  /// most tokens one call runs, so that those layers keep a ring of
  /// `window + ubatch - 1` positions rather than the whole context
  /// (ModelConfig::slidingRingRows; llama.cpp's n_ubatch). Their functions
  /// then take that ring after the cache: `prefill(tokens, start, cache,
  /// ring)`. 0 keeps every layer's whole context (llama.cpp's --swa-full).
  int64_t ubatch = 512;
};
llvm::Expected<OwningOpRef<ModuleOp>>
buildModel(MLIRContext &context, const ModelConfig &config,
           const BuildOptions &options = BuildOptions());

} // namespace mlir::tfm

#endif // TFM_BUILDER_MODELBUILDER_H
