/*===- tfm-c-api-test.c - the C API contract, from C --------------------===*
 *
 *   tfm-c-api-test DIR
 *
 * Written in C so the header is proven to be C. Checks the KV-cache size
 * formula, overflow and bad-token errors, reset, truncation (a reused
 * prefix), that a batched decode step of several contexts gives each the
 * logits it gets alone, and that eight contexts on one model used from
 * eight threads at once give the same logits as one context alone. Prints one line per check; exit code 1 on the first failure.
 *
 *===--------------------------------------------------------------------===*/

#include "tfm/Runtime/tfm.h"

#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kPromptLength = 7, kSteps = 24 };

typedef struct {
  tfm_model *model;
  float checksum;
  int status;
} Run;

/* Prefill a fixed prompt, decode greedily; sum of the last logits. */
static void *generate(void *argument) {
  Run *run = (Run *)argument;
  tfm_context *context = NULL;
  const int32_t prompt[kPromptLength] = {1, 5, 9, 13, 17, 21, 25};
  const float *logits = NULL;
  int32_t vocab = tfm_model_vocab_size(run->model);
  run->status = tfm_context_create(run->model, 64, 1, &context);
  if (run->status == TFM_OK)
    run->status = tfm_prefill(context, prompt, kPromptLength, &logits);
  for (int step = 0; run->status == TFM_OK && step < kSteps; ++step) {
    int32_t best = 0;
    for (int32_t i = 1; i < vocab; ++i)
      if (logits[i] > logits[best])
        best = i;
    run->status = tfm_decode(context, best, &logits);
  }
  run->checksum = 0.0f;
  for (int32_t i = 0; run->status == TFM_OK && i < vocab; ++i)
    run->checksum += logits[i];
  tfm_context_free(context);
  return NULL;
}

/* The largest difference between two rows of VOCAB logits. */
static float maxDifference(const float *a, const float *b, int32_t vocab) {
  float most = 0.0f;
  for (int32_t i = 0; i < vocab; ++i) {
    float difference = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
    if (difference > most)
      most = difference;
  }
  return most;
}

/* The logits of PROMPT followed by TOKEN in a fresh context (one decode
 * call), into OUT. */
static void referenceLogits(tfm_model *model, const int32_t *prompt, int32_t n,
                            int32_t token, float *out) {
  tfm_context *context = NULL;
  const float *logits = NULL;
  CHECK(tfm_context_create(model, 32, 1, &context) == TFM_OK &&
            tfm_prefill(context, prompt, n, &logits) == TFM_OK &&
            tfm_decode(context, token, &logits) == TFM_OK,
        "reference run");
  memcpy(out, logits, sizeof(float) * (size_t)tfm_model_vocab_size(model));
  tfm_context_free(context);
}

static void checkBatchAndTruncate(tfm_model *model) {
  int32_t vocab = tfm_model_vocab_size(model);
  const int32_t first[3] = {1, 5, 9}, second[5] = {1, 7, 3, 8, 2};
  float *expected = malloc(sizeof(float) * 2 * (size_t)vocab);
  referenceLogits(model, first, 3, 11, expected);
  referenceLogits(model, second, 5, 13, expected + vocab);

  tfm_context *contexts[2] = {NULL, NULL};
  const float *logits[2] = {NULL, NULL};
  CHECK(tfm_context_create(model, 32, 1, &contexts[0]) == TFM_OK &&
            tfm_context_create(model, 6, 1, &contexts[1]) == TFM_OK &&
            tfm_prefill(contexts[0], first, 3, &logits[0]) == TFM_OK &&
            tfm_prefill(contexts[1], second, 5, &logits[1]) == TFM_OK,
        "two contexts at positions 3 and 5");
  const int32_t tokens[2] = {11, 13};
  CHECK(tfm_decode_batch(contexts, tokens, 2, logits) == TFM_OK,
        "a batched decode step of two contexts");
  float difference = maxDifference(logits[0], expected, vocab);
  float other = maxDifference(logits[1], expected + vocab, vocab);
  printf("batched vs alone: max |difference| %g\n",
         difference > other ? difference : other);
  CHECK(difference <= 1e-4f && other <= 1e-4f,
        "each context of the batch has the logits it has alone");
  CHECK(tfm_context_position(contexts[0]) == 4 &&
            tfm_context_position(contexts[1]) == 6,
        "each context moved one position");

  CHECK(tfm_decode_batch(contexts, tokens, 2, logits) ==
                TFM_ERROR_CONTEXT_FULL &&
            tfm_context_position(contexts[0]) == 4,
        "a batch with a full context runs none of its tokens");
  printf("message: %s\n", tfm_last_error());
  tfm_context *twice[2] = {contexts[0], contexts[0]};
  CHECK(tfm_decode_batch(twice, tokens, 2, logits) ==
            TFM_ERROR_INVALID_ARGUMENT,
        "a context twice in a batch is an error");
  printf("message: %s\n", tfm_last_error());
  CHECK(tfm_decode_batch(contexts, tokens, 0, logits) ==
            TFM_ERROR_INVALID_ARGUMENT,
        "an empty batch is an error");

  /* Truncate to the first 3 tokens, run the 4th again: the logits are
   * those of the whole sequence from scratch. */
  CHECK(tfm_context_truncate(contexts[1], 7) == TFM_ERROR_INVALID_ARGUMENT,
        "truncating past the position is an error");
  CHECK(tfm_context_truncate(contexts[1], 4) == TFM_OK &&
            tfm_context_position(contexts[1]) == 4 &&
            tfm_prefill(contexts[1], &second[4], 1, &logits[1]) == TFM_OK &&
            tfm_decode(contexts[1], 13, &logits[1]) == TFM_OK,
        "truncate to 4 and run the rest again");
  CHECK(maxDifference(logits[1], expected + vocab, vocab) <= 1e-4f,
        "a truncated context continues as if it had never run past it");
  tfm_context_free(contexts[0]);
  tfm_context_free(contexts[1]);

  /* A group: one compiled call for the step; a second step with the
   * contexts in the other order. */
  tfm_context *group[2] = {NULL, NULL};
  CHECK(tfm_context_create_group(model, 2, 32, 1, group) == TFM_OK &&
            tfm_prefill(group[0], first, 3, &logits[0]) == TFM_OK &&
            tfm_prefill(group[1], second, 5, &logits[1]) == TFM_OK,
        "a group of two contexts at positions 3 and 5");
  CHECK(tfm_decode_batch(group, tokens, 2, logits) == TFM_OK,
        "a batched decode step of a group");
  difference = maxDifference(logits[0], expected, vocab);
  other = maxDifference(logits[1], expected + vocab, vocab);
  printf("group batched vs alone: max |difference| %g\n",
         difference > other ? difference : other);
  CHECK(difference <= 1e-4f && other <= 1e-4f,
        "each context of the group's step has the logits it has alone");
  const int32_t firstThen[4] = {1, 5, 9, 11}, secondThen[6] = {1, 7, 3, 8, 2, 13};
  referenceLogits(model, firstThen, 4, 3, expected);
  referenceLogits(model, secondThen, 6, 4, expected + vocab);
  tfm_context *reversed[2] = {group[1], group[0]};
  const int32_t reversedTokens[2] = {4, 3};
  CHECK(tfm_decode_batch(reversed, reversedTokens, 2, logits) == TFM_OK,
        "a second step, the contexts in the other order");
  CHECK(maxDifference(logits[1], expected, vocab) <= 1e-4f &&
            maxDifference(logits[0], expected + vocab, vocab) <= 1e-4f &&
            tfm_context_position(group[0]) == 5 &&
            tfm_context_position(group[1]) == 7,
        "each context of the group keeps its own cache and position");
  tfm_context_free(group[0]);
  tfm_context_free(group[1]);
  free(expected);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tfm-c-api-test DIR\n");
    return 2;
  }
  tfm_model *model = NULL;
  CHECK(tfm_model_load("/nonexistent", &model) == TFM_ERROR_IO,
        "a missing directory is an I/O error");
  CHECK(tfm_model_load(argv[1], &model) == TFM_OK, "load");

  tfm_context *context = NULL;
  CHECK(tfm_context_create(model, tfm_model_max_context(model) + 1, 1,
                           &context) == TFM_ERROR_INVALID_ARGUMENT,
        "a context longer than compiled is rejected");
  CHECK(tfm_context_create(model, 16, 2, &context) == TFM_OK, "context of 16");
  printf("kv bytes: %zu\n", tfm_context_kv_bytes(context));
  tfm_context *wide = NULL;
  CHECK(tfm_context_create(model, 16, 4096, &wide) == TFM_OK,
        "context of 4096 threads");
  printf("threads of a context asked for 4096: %d\n",
         (int)tfm_context_threads(wide));
  tfm_context_free(wide);
  printf("weights not streamed per token: %zu\n",
         tfm_model_weights_bytes(model) - tfm_model_bytes_per_token(model));

  const float *logits = NULL;
  int32_t tokens[17];
  for (int i = 0; i < 17; ++i)
    tokens[i] = i + 1;
  CHECK(tfm_prefill(context, tokens, 17, &logits) == TFM_ERROR_CONTEXT_FULL,
        "17 tokens overflow a context of 16");
  printf("message: %s\n", tfm_last_error());
  CHECK(tfm_context_position(context) == 0, "a failed call changes nothing");
  int32_t bad = tfm_model_vocab_size(model);
  CHECK(tfm_decode(context, bad, &logits) == TFM_ERROR_INVALID_ARGUMENT,
        "a token outside the vocabulary is rejected");
  CHECK(tfm_prefill(context, tokens, 16, &logits) == TFM_OK, "fill all 16");
  CHECK(tfm_decode(context, 1, &logits) == TFM_ERROR_CONTEXT_FULL,
        "decode past the end is an error");
  tfm_context_reset(context);
  CHECK(tfm_context_position(context) == 0 &&
            tfm_decode(context, 1, &logits) == TFM_OK,
        "reset starts over");
  tfm_context_free(context);
  checkBatchAndTruncate(model);

  enum { kThreads = 8 };
  Run alone = {model, 0.0f, 0}, runs[kThreads];
  generate(&alone);
  CHECK(alone.status == TFM_OK, "generate alone");
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) {
    runs[i] = alone;
    runs[i].checksum = 0.0f;
    runs[i].status = TFM_ERROR_INVALID_ARGUMENT;
    CHECK(pthread_create(&threads[i], NULL, generate, &runs[i]) == 0,
          "start a thread");
  }
  int same = 1;
  for (int i = 0; i < kThreads; ++i) {
    pthread_join(threads[i], NULL);
    same &= runs[i].status == TFM_OK && runs[i].checksum == alone.checksum;
  }
  CHECK(same, "eight contexts on eight threads match one context alone");
  tfm_model_free(model);
  return 0;
}
