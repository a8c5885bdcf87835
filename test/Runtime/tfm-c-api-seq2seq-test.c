/*===- tfm-c-api-seq2seq-test.c - the encoder-decoder calls of the C API -===*
 *
 *   tfm-c-api-seq2seq-test DIR
 *
 * DIR is a compiled T5 model (a context of at least 16 tokens). Checks
 * what an encoder-decoder library is (the decoder start token, no decoding
 * before a source, no shifts or groups), that the decoder's logits depend
 * on the source, that encoding a source again gives the same logits (the
 * cross-attention keys and values replaced, the decoder restarted), that
 * a prefill of the start token and a token equals a prefill of the start
 * token and a decode of the token, and every bad argument's status.
 * Prints one line per check; exit code 1 on the first failure.
 *
 *===--------------------------------------------------------------------===*/

#include "tfm/Runtime/tfm.h"

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kSourceA = 5, kSourceB = 3 };
static const int32_t sourceA[kSourceA] = {40, 41, 42, 43, 1};
static const int32_t sourceB[kSourceB] = {90, 91, 1};

/* The logits after the start token of a fresh output from SOURCE, copied
 * into OUT. */
static void startLogits(tfm_context *context, int32_t start,
                        const int32_t *source, int32_t n, float *out,
                        int32_t vocab) {
  const float *logits = NULL;
  CHECK(tfm_encode_source(context, source, n) == TFM_OK, "encode a source");
  CHECK(tfm_context_position(context) == 0, "the decoder starts at 0");
  CHECK(tfm_prefill(context, &start, 1, &logits) == TFM_OK,
        "prefill the start token");
  memcpy(out, logits, sizeof(float) * (size_t)vocab);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tfm-c-api-seq2seq-test DIR\n");
    return 2;
  }
  tfm_model *model = NULL;
  CHECK(tfm_model_load(argv[1], &model) == TFM_OK, "load");
  CHECK(tfm_model_is_encoder_decoder(model) == 1, "an encoder-decoder");
  CHECK(tfm_model_is_encoder(model) == 0, "not an encoder-only model");
  int32_t start = tfm_model_decoder_start_token(model);
  CHECK(start == 0, "the decoder starts from <pad>");
  int32_t vocab = tfm_model_vocab_size(model);
  tfm_context *context = NULL;
  CHECK(tfm_context_create(model, 16, 0, &context) == TFM_OK, "context");
  CHECK(tfm_context_kv_bytes(context) > 0, "a KV cache");

  const float *logits = NULL;
  CHECK(tfm_prefill(context, &start, 1, &logits) ==
            TFM_ERROR_INVALID_ARGUMENT,
        "no decoding before a source");
  tfm_context *group[2];
  CHECK(tfm_context_create_group(model, 2, 16, 0, group) == TFM_ERROR_FORMAT,
        "no context groups");

  float *a = malloc(sizeof(float) * (size_t)vocab);
  float *b = malloc(sizeof(float) * (size_t)vocab);
  float *again = malloc(sizeof(float) * (size_t)vocab);
  float *stepwise = malloc(sizeof(float) * (size_t)vocab);
  startLogits(context, start, sourceA, kSourceA, a, vocab);
  startLogits(context, start, sourceB, kSourceB, b, vocab);
  CHECK(difference(a, b, vocab) > 1e-3f, "the output depends on the source");
  startLogits(context, start, sourceA, kSourceA, again, vocab);
  CHECK(difference(a, again, vocab) == 0.0f,
        "a source encoded again gives the same logits");

  /* Prefill [start, t] = prefill [start] then decode t. */
  int32_t two[2] = {start, 7};
  CHECK(tfm_encode_source(context, sourceA, kSourceA) == TFM_OK, "encode");
  CHECK(tfm_prefill(context, two, 2, &logits) == TFM_OK, "prefill two");
  memcpy(b, logits, sizeof(float) * (size_t)vocab);
  startLogits(context, start, sourceA, kSourceA, again, vocab);
  CHECK(tfm_decode(context, two[1], &logits) == TFM_OK, "decode");
  memcpy(stepwise, logits, sizeof(float) * (size_t)vocab);
  CHECK(difference(b, stepwise, vocab) < 1e-4f,
        "a prefill of two tokens is a prefill and a decode");
  CHECK(tfm_context_position(context) == 2, "two decoder positions");
  CHECK(tfm_context_shift(context, 0, 1) == TFM_ERROR_FORMAT,
        "no context shift");

  /* Bad arguments. */
  int32_t outside[2] = {3, vocab};
  CHECK(tfm_encode_source(context, outside, 2) == TFM_ERROR_INVALID_ARGUMENT,
        "an id outside the vocabulary");
  CHECK(tfm_encode_source(context, sourceA, 0) == TFM_ERROR_INVALID_ARGUMENT,
        "an empty source");
  CHECK(tfm_encode_source(NULL, sourceA, 1) == TFM_ERROR_INVALID_ARGUMENT,
        "a null context");
  int32_t longSource[17] = {0};
  CHECK(tfm_encode_source(context, longSource, 17) == TFM_ERROR_CONTEXT_FULL,
        "a source longer than the context");
  free(a);
  free(b);
  free(again);
  free(stepwise);
  tfm_context_free(context);
  tfm_model_free(model);
  printf("seq2seq calls: all checks passed\n");
  return 0;
}
