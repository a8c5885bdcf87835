/*===- tfm.h - C API of models compiled by tfm-compile -------------*- C -*-===*
 *
 * Load a directory written by tfm-compile, create contexts (each owns a KV
 * cache), prefill a prompt in one call, decode token by token; tokenize
 * with the model's tokenizer and sample the next token. Plain C, no MLIR
 * or LLVM dependency; link with libtfm_runtime (`pkg-config tfm` or CMake's
 * `find_package(tfm)`, target tfm::runtime). See docs/c-api.md.
 *
 * Thread safety: a model may be shared by any number of contexts used from
 * different threads at once (its tokenizer too); one context, and one
 * sampler, must be used by one thread at a time.
 *
 *===----------------------------------------------------------------------===*/

#ifndef TFM_RUNTIME_TFM_H
#define TFM_RUNTIME_TFM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TFM_API __attribute__((visibility("default")))
#else
#define TFM_API
#endif

typedef enum tfm_status {
  TFM_OK = 0,
  /* A null pointer, a token id outside the vocabulary, n <= 0, ... */
  TFM_ERROR_INVALID_ARGUMENT = 1,
  /* A file of the model directory is missing or unreadable. */
  TFM_ERROR_IO = 2,
  /* The directory's files do not fit together (ABI or size mismatch). */
  TFM_ERROR_FORMAT = 3,
  /* The tokens do not fit in the rest of the context. */
  TFM_ERROR_CONTEXT_FULL = 4,
  TFM_ERROR_OUT_OF_MEMORY = 5,
} tfm_status;

typedef struct tfm_model tfm_model;
typedef struct tfm_context tfm_context;

/* The message of the last error on the calling thread ("" if none). */
TFM_API const char *tfm_last_error(void);

/* Loads DIR (libtfm_model.so + weights.bin, memory-mapped read-only). */
TFM_API tfm_status tfm_model_load(const char *dir, tfm_model **model);
/* Frees MODEL: unmaps its weights and closes its library (one compiled for
 * MLIR's async thread runtime stays mapped until the process exits: the
 * runtime's workers may still be finishing tasks in its code). */
TFM_API void tfm_model_free(tfm_model *model);

TFM_API int32_t tfm_model_vocab_size(const tfm_model *model);
/* Longest context the library was compiled for. */
TFM_API int32_t tfm_model_max_context(const tfm_model *model);
/* Bytes of the weights file (read once per decoded token). */
TFM_API size_t tfm_model_weights_bytes(const tfm_model *model);
/* Bytes of weights a decoded token streams from memory: the whole file but
 * the embedding table, of which it reads one row; for an encoder-decoder
 * (T5) the weights its decode step reads, not the encoder's. */
TFM_API size_t tfm_model_bytes_per_token(const tfm_model *model);

/* A context with a KV cache for `context_length` tokens (0: the model's
 * maximum) whose calls use `threads` threads (0: one per CPU this process
 * may run on). More threads than those CPUs are not used: every parallel
 * loop ends waiting for its slowest thread, and a thread without a CPU of
 * its own makes each loop wait for a scheduler time slice.
 * tfm_context_threads gives the count used. */
TFM_API tfm_status tfm_context_create(tfm_model *model, int32_t context_length,
                              int32_t threads, tfm_context **context);
/* N contexts (as N tfm_context_create calls) whose KV caches lie in one
 * block, into CONTEXTS[0..N): tfm_decode_batch runs a step of any of them
 * in one call of the model's batched entry point, one pass over the
 * weights for all (a server's parallel slots). Free each with
 * tfm_context_free; the block goes with the last. */
TFM_API tfm_status tfm_context_create_group(tfm_model *model, int32_t n,
                                            int32_t context_length,
                                            int32_t threads,
                                            tfm_context **contexts);
TFM_API void tfm_context_free(tfm_context *context);

/* Runs `n` tokens at the current position in one batched call (a model
 * whose sliding-window layers keep a ring, tfm-compile --ubatch, in calls
 * of at most ubatch tokens); on success `*logits` points at the vocabulary
 * logits of the last token (valid until the next call on this context). */
TFM_API tfm_status tfm_prefill(tfm_context *context, const int32_t *tokens, int32_t n,
                       const float **logits);
/* Runs one token; same contract as tfm_prefill with n = 1. */
TFM_API tfm_status tfm_decode(tfm_context *context, int32_t token,
                      const float **logits);
/* One decode step of N contexts of one model: TOKENS[i] at the position of
 * CONTEXTS[i] (a server's continuous batching: each context is one
 * client's). LOGITS[i] gets the vocabulary logits of context i, valid until
 * the next call on it. The contexts must be distinct and use the same
 * thread count; nothing runs unless every token fits its context. Contexts
 * of one tfm_context_create_group run in one call of the compiled batched
 * step (every linear layer reads its weights once for all N tokens);
 * others, or a model compiled without that step (learned positions, a
 * library from before it), run one after the other. */
TFM_API tfm_status tfm_decode_batch(tfm_context *const *contexts,
                                    const int32_t *tokens, int32_t n,
                                    const float **logits);

/* How tfm_embed pools the hidden states of a text's tokens. */
typedef enum tfm_pooling {
  /* The last token's: decoder embedding models (Qwen3-Embedding,
   * gte-Qwen2) read the text causally up to it. */
  TFM_POOLING_LAST = 0,
  /* The mean over the tokens. */
  TFM_POOLING_MEAN = 1,
  /* The first token's (BERT's [CLS]; encoders only). */
  TFM_POOLING_CLS = 2,
  /* None: every token's state (tfm_encode only). */
  TFM_POOLING_NONE = 3,
  /* Not a pooling: makes every int32 a value of the type, so that a C
   * caller's unknown value is refused (TFM_ERROR_INVALID_ARGUMENT) rather
   * than undefined in the C++ runtime. */
  TFM_POOLING_MAX_ENUM = 0x7FFFFFFF,
} tfm_pooling;

/* The embedding of the N TOKENS, run from position 0 of CONTEXT: the final
 * (normed) hidden states, pooled as POOLING says and scaled to unit
 * length, into OUT (tfm_model_embedding_size floats). The context's cache
 * is overwritten and its position is 0 afterwards. TFM_ERROR_FORMAT for a
 * library compiled without `--embeddings`; TFM_ERROR_CONTEXT_FULL when N
 * exceeds the context. */
TFM_API tfm_status tfm_embed(tfm_context *context, const int32_t *tokens,
                             int32_t n, tfm_pooling pooling, float *out);
/* Floats of an embedding (the model's dimension); 0 when the library has
 * no embed entry point (a decoder compiled without --embeddings). For an
 * encoder, tfm_embed is tfm_encode of one text of type-0 tokens,
 * normalized. */
TFM_API int32_t tfm_model_embedding_size(const tfm_model *model);

/* ---- Encoders (BERT) -------------------------------------------------- */

/* 1 for an encoder-only model (BERT): it has no KV cache, no logits and
 * no tfm_prefill/tfm_decode (those fail with TFM_ERROR_FORMAT); contexts
 * of it only set the thread count and hold no cache. */
TFM_API int tfm_model_is_encoder(const tfm_model *model);
/* The pooling the model file asks for (GGUF ARCH.pooling_type):
 * TFM_POOLING_MEAN, _CLS, _LAST or _NONE; TFM_POOLING_LAST for a
 * decoder. */
TFM_API tfm_pooling tfm_model_pooling(const tfm_model *model);
/* Rows of the model's token-type (segment) table; 0 without one. */
TFM_API int32_t tfm_model_token_types(const tfm_model *model);
/* Encodes N_TEXTS texts in one call: text i is the next LENGTHS[i] ids of
 * TOKENS (the texts one after the other) with the token types of
 * TOKEN_TYPES alike (null: all 0). Each text attends to its own tokens
 * only, at positions 0, 1, ...: BERT's padding mask, without padding.
 * POOLING TFM_POOLING_NONE writes one row of tfm_model_embedding_size
 * floats per token, in order; MEAN, CLS (the first token's) and LAST one
 * row per text. NORMALIZE nonzero scales every row to unit length.
 * TFM_ERROR_CONTEXT_FULL when a text is longer than the model's positions
 * (tfm_model_max_context); TFM_ERROR_INVALID_ARGUMENT for an empty text, an
 * id outside the vocabulary or a token type outside the table;
 * TFM_ERROR_FORMAT for a decoder. */
TFM_API tfm_status tfm_encode(tfm_context *context, const int32_t *tokens,
                              const int32_t *token_types,
                              const int32_t *lengths, int32_t n_texts,
                              tfm_pooling pooling, int normalize, float *out);

/* ---- Encoder-decoders (T5) ------------------------------------------- */

/* 1 for an encoder-decoder model (T5): its decoder generates from a source
 * text given to tfm_encode_source first; tfm_prefill and tfm_decode then
 * run the decoder as for a decoder-only model, starting from
 * tfm_model_decoder_start_token. */
TFM_API int tfm_model_is_encoder_decoder(const tfm_model *model);
/* The token an encoder-decoder's decoder starts from (T5: <pad>); -1 for
 * other models. */
TFM_API int32_t tfm_model_decoder_start_token(const tfm_model *model);
/* Runs the encoder over the N source TOKENS and keeps, in CONTEXT's cache,
 * the keys and values every decoder layer's cross-attention reads: they
 * are computed once per source, not per generated token. The decoder's
 * position returns to 0 (a new output starts). TFM_ERROR_CONTEXT_FULL
 * when N exceeds the context length; TFM_ERROR_INVALID_ARGUMENT for no
 * tokens or an id outside the vocabulary; TFM_ERROR_FORMAT for a model
 * that is not an encoder-decoder. tfm_prefill and tfm_decode on an
 * encoder-decoder's context fail with TFM_ERROR_INVALID_ARGUMENT until a
 * source is encoded. */
TFM_API tfm_status tfm_encode_source(tfm_context *context,
                                     const int32_t *tokens, int32_t n);

/* Forgets every token: the next prefill starts at position 0. */
TFM_API void tfm_context_reset(tfm_context *context);
/* Forgets the tokens at and after POSITION (0 <= POSITION <= the current
 * position; TFM_ERROR_INVALID_ARGUMENT otherwise): the next call continues
 * there, so a prompt that shares its first POSITION tokens with what the
 * context ran reuses their keys and values (a server's prompt cache).
 * Sliding-window layers that keep a ring hold the last window + ubatch - 1
 * positions only: a POSITION whose window reaches before them is refused
 * (TFM_ERROR_INVALID_ARGUMENT; tfm_context_reset and run the tokens
 * again). */
TFM_API tfm_status tfm_context_truncate(tfm_context *context,
                                        int32_t position);
/* llama.cpp's context shift: forgets the DISCARD tokens after the first
 * KEEP (the attention sinks, e.g. BOS) and moves the later ones back by
 * DISCARD positions, their keys rotated to the new positions (RoPE), so
 * that generation continues past the context: the position drops by
 * DISCARD. TFM_ERROR_INVALID_ARGUMENT unless 0 <= KEEP, 0 < DISCARD and
 * KEEP + DISCARD <= the position, or when a ring (see
 * tfm_context_truncate) no longer holds kept positions the window after the
 * shift sees; TFM_ERROR_FORMAT for a library compiled before this call
 * existed and for an encoder-decoder. */
TFM_API tfm_status tfm_context_shift(tfm_context *context, int32_t keep,
                                     int32_t discard);
/* Tokens in the KV cache. */
TFM_API int32_t tfm_context_position(const tfm_context *context);
TFM_API int32_t tfm_context_length(const tfm_context *context);
/* Threads this context's calls use. */
TFM_API int32_t tfm_context_threads(const tfm_context *context);
/* Bytes of this context's KV cache: layers x 2 x kv_heads x context_length
 * x row, a row being head_dim elements of the compiled KV-cache type (f32,
 * f16, or for q8 head_dim int8 values and a 4-byte scale); sliding-window
 * layers that keep a ring count window + ubatch - 1 positions instead of
 * context_length. */
TFM_API size_t tfm_context_kv_bytes(const tfm_context *context);

/* Counting kernel time (tfm-lab's attention share): with ENABLE nonzero,
 * every thread's time inside the fused attention kernels of MODEL's
 * library (all its contexts) adds up from zero; 0 stops counting. A
 * counted call pays two clock reads. TFM_ERROR_FORMAT for a library
 * compiled before the counters existed. Unfused attention (tfm-compile
 * --disable flash-attention) runs in generated loops and is not counted. */
TFM_API tfm_status tfm_model_count_attention(tfm_model *model, int enable);
/* Thread-seconds counted since tfm_model_count_attention enabled counting
 * (divide by the threads for the wall-clock share of a parallel call). */
TFM_API double tfm_model_attention_seconds(const tfm_model *model);

/* ---- Text: the model's tokenizer (DIR/vocabulary.bin) --------------- */

/* Writes the ids of the LENGTH bytes at TEXT into TOKENS (room for
 * CAPACITY ids); when ADD_SPECIAL is nonzero, with the tokens the
 * vocabulary puts around a text (BOS for Llama, none for GPT-2 or Qwen:
 * tfm_model_add_bos); *COUNT gets the number of ids. When they do not fit, nothing is written, *COUNT is the number
 * needed and the status TFM_ERROR_INVALID_ARGUMENT (call with CAPACITY 0
 * to size the buffer). TFM_ERROR_IO / TFM_ERROR_FORMAT: DIR's tokenizer is
 * missing or malformed. */
TFM_API tfm_status tfm_tokenize(const tfm_model *model, const char *text,
                                size_t length, int add_special,
                                int32_t *tokens,
                                int32_t capacity, int32_t *count);
/* The bytes TOKEN stands for when it follows PREVIOUS (-1 at the start):
 * byte tokens give one byte (possibly part of a UTF-8 character: print
 * the pieces of a sequence in order), control tokens nothing, and the
 * space the tokenizer puts in front of a text is dropped after BOS. Copies
 * up to SIZE bytes into BUFFER (no terminating NUL); *LENGTH gets the
 * piece's full length (larger than SIZE: call again with more room). */
TFM_API tfm_status tfm_token_to_piece(const tfm_model *model,
                                      int32_t previous, int32_t token,
                                      char *buffer, size_t size,
                                      size_t *length);
/* Beginning- and end-of-sequence tokens, or -1 without a tokenizer. */
TFM_API int32_t tfm_model_bos(const tfm_model *model);
TFM_API int32_t tfm_model_eos(const tfm_model *model);
/* 1 when tfm_tokenize with ADD_SPECIAL puts BOS first, 0 when it does not
 * (or without a tokenizer), as llama.cpp's llama_vocab_get_add_bos. */
TFM_API int tfm_model_add_bos(const tfm_model *model);

/* ---- Sampling, as tfm-run and llama.cpp's default chain do it -------- */

/* tfm_sampler_params.seed: a random seed for each sampler. */
#define TFM_SAMPLER_RANDOM_SEED UINT64_MAX

typedef struct tfm_sampler tfm_sampler;

typedef struct tfm_sampler_params {
  float temperature;     /* 0: greedy (after the penalty) */
  int32_t top_k;         /* 0: every token */
  float top_p;           /* 1: every token */
  float repeat_penalty;  /* 1: off */
  int32_t repeat_last_n; /* tokens the penalty looks back over; 0 off, -1 all */
  uint64_t seed;         /* the draw's generator; TFM_SAMPLER_RANDOM_SEED */
} tfm_sampler_params;

/* llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, no penalty
 * (repeat_last_n 64), a random seed. */
TFM_API tfm_sampler_params tfm_sampler_default_params(void);
/* TFM_ERROR_INVALID_ARGUMENT names the first parameter out of range. */
TFM_API tfm_status tfm_sampler_create(const tfm_sampler_params *params,
                                      tfm_sampler **sampler);
TFM_API void tfm_sampler_free(tfm_sampler *sampler);
/* Adds TOKEN to the history the penalty looks at: the prompt's tokens
 * (sampled tokens are added by tfm_sampler_sample). */
TFM_API tfm_status tfm_sampler_accept(tfm_sampler *sampler, int32_t token);
/* The next token from the VOCAB LOGITS of the last position; it joins the
 * history. */
TFM_API tfm_status tfm_sampler_sample(tfm_sampler *sampler,
                                      const float *logits, int32_t vocab,
                                      int32_t *token);
/* Forgets the history. */
TFM_API void tfm_sampler_reset(tfm_sampler *sampler);

#ifdef __cplusplus
}
#endif

#endif /* TFM_RUNTIME_TFM_H */
