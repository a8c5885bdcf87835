/*===- tfm-c-api-encoder-test.c - the encoder calls of the C API -------===*
 *
 *   tfm-c-api-encoder-test DIR
 *
 * DIR is a compiled BERT model whose file asks for CLS pooling. Checks what
 * an encoder library is (no KV cache, no decoder calls), that tfm_encode
 * gives a text the same state alone, in a batch and in another order of
 * the batch, with one thread or several, that null token types are type 0
 * and type 1 changes the result, that tfm_embed is the normalized CLS
 * state, and every bad argument's status. Prints one line per check; exit
 * code 1 on the first failure.
 *
 *===--------------------------------------------------------------------===*/

#include "tfm/Runtime/tfm.h"

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kShort = 3, kLong = 9 };
static const int32_t shortText[kShort] = {101, 2000, 102};
static const int32_t longText[kLong] = {101, 7592, 2088, 1010, 2023,
                                        2003, 1037, 3231, 102};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tfm-c-api-encoder-test DIR\n");
    return 2;
  }
  tfm_model *model = NULL;
  CHECK(tfm_model_load(argv[1], &model) == TFM_OK, "load");
  CHECK(tfm_model_is_encoder(model) == 1, "an encoder");
  CHECK(tfm_model_pooling(model) == TFM_POOLING_CLS, "the file's pooling");
  CHECK(tfm_model_token_types(model) == 2, "two token types");
  int32_t dim = tfm_model_embedding_size(model);
  CHECK(dim > 0, "embedding size");
  tfm_context *context = NULL, *single = NULL;
  CHECK(tfm_context_create(model, 0, 0, &context) == TFM_OK, "context");
  CHECK(tfm_context_create(model, 0, 1, &single) == TFM_OK,
        "one-thread context");
  CHECK(tfm_context_kv_bytes(context) == 0, "no KV cache");
  const float *logits = NULL;
  CHECK(tfm_prefill(context, shortText, kShort, &logits) == TFM_ERROR_FORMAT,
        "no prefill");
  tfm_context *group[2];
  CHECK(tfm_context_create_group(model, 2, 0, 0, group) == TFM_ERROR_FORMAT,
        "no context groups");

  /* The short text alone, then after the long one, then before it. */
  float *alone = malloc(sizeof(float) * kShort * dim);
  float *batch = malloc(sizeof(float) * (kShort + kLong) * dim);
  float *swapped = malloc(sizeof(float) * (kShort + kLong) * dim);
  int32_t one = kShort;
  CHECK(tfm_encode(context, shortText, NULL, &one, 1, TFM_POOLING_NONE, 0,
                   alone) == TFM_OK,
        "encode one text");
  int32_t tokens[kShort + kLong], lengths[2] = {kLong, kShort};
  memcpy(tokens, longText, sizeof(longText));
  memcpy(tokens + kLong, shortText, sizeof(shortText));
  CHECK(tfm_encode(context, tokens, NULL, lengths, 2, TFM_POOLING_NONE, 0,
                   batch) == TFM_OK,
        "encode a batch");
  CHECK(difference(alone, batch + kLong * dim, kShort * dim) < 1e-5f,
        "a text's states alone equal its states in a batch");
  memcpy(tokens, shortText, sizeof(shortText));
  memcpy(tokens + kShort, longText, sizeof(longText));
  int32_t swappedLengths[2] = {kShort, kLong};
  CHECK(tfm_encode(single, tokens, NULL, swappedLengths, 2, TFM_POOLING_NONE,
                   0, swapped) == TFM_OK,
        "encode the batch reversed on one thread");
  CHECK(difference(swapped, batch + kLong * dim, kShort * dim) < 1e-5f &&
            difference(swapped + kShort * dim, batch, kLong * dim) < 1e-5f,
        "the order of the batch and the threads change nothing");

  /* Token types: null is type 0; type 1 differs. */
  int32_t zeros[kShort] = {0, 0, 0}, ones[kShort] = {1, 1, 1};
  float *typed = malloc(sizeof(float) * kShort * dim);
  CHECK(tfm_encode(context, shortText, zeros, &one, 1, TFM_POOLING_NONE, 0,
                   typed) == TFM_OK &&
            difference(typed, alone, kShort * dim) == 0.0f,
        "null token types are type 0");
  CHECK(tfm_encode(context, shortText, ones, &one, 1, TFM_POOLING_NONE, 0,
                   typed) == TFM_OK &&
            difference(typed, alone, kShort * dim) > 1e-3f,
        "type 1 tokens differ");

  /* tfm_embed: the first token's state, unit length. */
  float *embedded = malloc(sizeof(float) * dim);
  float *cls = malloc(sizeof(float) * dim);
  CHECK(tfm_embed(context, shortText, kShort, TFM_POOLING_CLS, embedded) ==
            TFM_OK,
        "tfm_embed");
  double norm = 0.0;
  for (int32_t j = 0; j < dim; ++j)
    norm += (double)alone[j] * alone[j];
  for (int32_t j = 0; j < dim; ++j)
    cls[j] = (float)(alone[j] / sqrt(norm));
  CHECK(difference(embedded, cls, dim) < 1e-6f,
        "tfm_embed is the normalized CLS state");

  /* Bad arguments: a status and a message, nothing run. */
  int32_t bad[kShort] = {101, -1, 102};
  CHECK(tfm_encode(context, bad, NULL, &one, 1, TFM_POOLING_MEAN, 1,
                   embedded) == TFM_ERROR_INVALID_ARGUMENT &&
            strstr(tfm_last_error(), "outside the vocabulary"),
        "a token id outside the vocabulary");
  int32_t badTypes[kShort] = {0, 2, 0};
  CHECK(tfm_encode(context, shortText, badTypes, &one, 1, TFM_POOLING_MEAN, 1,
                   embedded) == TFM_ERROR_INVALID_ARGUMENT &&
            strstr(tfm_last_error(), "token type 2 (text 0) is outside the 2"),
        "a token type outside the table");
  int32_t empty = 0;
  CHECK(tfm_encode(context, shortText, NULL, &empty, 1, TFM_POOLING_MEAN, 1,
                   embedded) == TFM_ERROR_INVALID_ARGUMENT &&
            strstr(tfm_last_error(), "text 0 is empty"),
        "an empty text");
  int32_t positions = tfm_model_max_context(model);
  int32_t *tooLong = calloc((size_t)positions + 1, sizeof(int32_t));
  int32_t tooMany = positions + 1;
  CHECK(tfm_encode(context, tooLong, NULL, &tooMany, 1, TFM_POOLING_MEAN, 1,
                   embedded) == TFM_ERROR_CONTEXT_FULL,
        "a text longer than the positions");
  CHECK(tfm_encode(context, shortText, NULL, &one, 1, (tfm_pooling)9, 1,
                   embedded) == TFM_ERROR_INVALID_ARGUMENT,
        "an unknown pooling");
  CHECK(tfm_encode(context, shortText, NULL, &one, 0, TFM_POOLING_MEAN, 1,
                   embedded) == TFM_ERROR_INVALID_ARGUMENT,
        "no texts");

  free(tooLong);
  free(cls);
  free(embedded);
  free(typed);
  free(swapped);
  free(batch);
  free(alone);
  tfm_context_free(single);
  tfm_context_free(context);
  tfm_model_free(model);
  return 0;
}
