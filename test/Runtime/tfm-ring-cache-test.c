/*===- tfm-ring-cache-test.c - the sliding layers' ring cache, from C -----===*
 *
 *   tfm-ring-cache-test RING_DIR FULL_DIR WINDOW UBATCH
 *
 * RING_DIR and FULL_DIR are one model (its layers all sliding, window
 * WINDOW) compiled with --ubatch UBATCH and --ubatch 0: the first keeps
 * WINDOW + UBATCH - 1 positions a layer, the second the whole context.
 * Checks that the ring is that much smaller and that it reads as the full
 * cache: a prompt longer than UBATCH (cut into calls) and decode steps
 * well past the ring's rows, tfm_context_truncate back within UBATCH
 * positions, its refusal further back (the ring lost what the window
 * needs), and tfm_decode_batch over a group of two contexts. One line per
 * check; exit 1 on a failure.
 *
 *===--------------------------------------------------------------------===*/

#include "tfm/Runtime/tfm.h"

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { kContext = 64, kPrompt = 23, kSteps = 30 };

/* Same logits within rounding (the two libraries run the same kernels on
 * the same rows, in another order only where the calls are cut). */
static const float kTolerance = 1e-4f;

/* Decodes STEPS greedy tokens from LOGITS on both contexts (the ring's
 * choosing), returning the largest difference of their logits (INFINITY
 * when a call fails). */
static float decodeBoth(tfm_context *ring, tfm_context *full,
                        const float *ringLogits, const float *fullLogits,
                        int32_t vocab, int steps) {
  float worst = difference(ringLogits, fullLogits, vocab);
  for (int step = 0; step < steps; ++step) {
    int32_t token = argmax(ringLogits, vocab);
    if (tfm_decode(ring, token, &ringLogits) != TFM_OK ||
        tfm_decode(full, token, &fullLogits) != TFM_OK)
      return INFINITY;
    float d = difference(ringLogits, fullLogits, vocab);
    worst = d > worst ? d : worst;
  }
  return worst;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr,
            "usage: tfm-ring-cache-test RING_DIR FULL_DIR WINDOW UBATCH\n");
    return 2;
  }
  int32_t window = atoi(argv[3]), ubatch = atoi(argv[4]);
  int32_t rows = window + ubatch - 1;
  tfm_model *ringModel = NULL, *fullModel = NULL;
  CHECK(tfm_model_load(argv[1], &ringModel) == TFM_OK &&
            tfm_model_load(argv[2], &fullModel) == TFM_OK,
        "load both libraries");
  int32_t vocab = tfm_model_vocab_size(ringModel);
  tfm_context *ring = NULL, *full = NULL;
  CHECK(tfm_context_create(ringModel, kContext, 1, &ring) == TFM_OK &&
            tfm_context_create(fullModel, kContext, 1, &full) == TFM_OK,
        "a context of 64 of each");
  size_t ringBytes = tfm_context_kv_bytes(ring);
  size_t fullBytes = tfm_context_kv_bytes(full);
  printf("kv bytes: ring %zu, full %zu\n", ringBytes, fullBytes);
  CHECK(ringBytes * kContext == fullBytes * (size_t)rows,
        "the ring holds window + ubatch - 1 of the 64 positions");

  int32_t prompt[kPrompt];
  for (int i = 0; i < kPrompt; ++i)
    prompt[i] = (int32_t)((i * 37 + 11) % vocab);
  const float *ringLogits = NULL, *fullLogits = NULL;
  CHECK(tfm_prefill(ring, prompt, kPrompt, &ringLogits) == TFM_OK &&
            tfm_prefill(full, prompt, kPrompt, &fullLogits) == TFM_OK,
        "prefill 23 tokens (calls of ubatch on the ring)");
  float worst = decodeBoth(ring, full, ringLogits, fullLogits, vocab, kSteps);
  printf("largest difference over the prompt and %d steps: %g\n", kSteps,
         worst);
  CHECK(worst <= kTolerance, "the ring reads as the whole context");

  /* Back within ubatch positions: the ring still holds the window. */
  int32_t position = tfm_context_position(ring);
  int32_t back = position - ubatch;
  CHECK(tfm_context_truncate(ring, back) == TFM_OK &&
            tfm_context_truncate(full, back) == TFM_OK,
        "truncate back by ubatch positions");
  CHECK(tfm_decode(ring, prompt[1], &ringLogits) == TFM_OK &&
            tfm_decode(full, prompt[1], &fullLogits) == TFM_OK &&
            difference(ringLogits, fullLogits, vocab) <= kTolerance,
        "a decode after it reads as the whole context's");
  position = tfm_context_position(ring);
  CHECK(tfm_context_truncate(ring, position - rows) ==
                TFM_ERROR_INVALID_ARGUMENT &&
            tfm_context_position(ring) == position,
        "truncating back past the ring's rows is refused");
  printf("message: %s\n", tfm_last_error());
  CHECK(tfm_context_truncate(ring, 0) == TFM_OK &&
            tfm_prefill(ring, prompt, 3, &ringLogits) == TFM_OK,
        "truncate to 0 and prefill again");

  /* A group's batched step reads both kinds of pool. */
  tfm_context *group[2] = {NULL, NULL}, *single[2] = {NULL, NULL};
  CHECK(tfm_context_create_group(ringModel, 2, kContext, 1, group) ==
                TFM_OK &&
            tfm_context_create(ringModel, kContext, 1, &single[0]) ==
                TFM_OK &&
            tfm_context_create(ringModel, kContext, 1, &single[1]) == TFM_OK,
        "a group of two and two single contexts");
  const float *groupLogits[2] = {NULL, NULL};
  for (int c = 0; c < 2; ++c)
    CHECK(tfm_prefill(group[c], prompt + c, kPrompt - 5 * c,
                      &groupLogits[c]) == TFM_OK &&
              tfm_prefill(single[c], prompt + c, kPrompt - 5 * c,
                          &ringLogits) == TFM_OK,
          "prefill each");
  worst = 0.0f;
  for (int step = 0; step < kSteps && worst < INFINITY; ++step) {
    int32_t tokens[2] = {(int32_t)((step * 7 + 1) % vocab),
                         (int32_t)((step * 5 + 2) % vocab)};
    if (tfm_decode_batch(group, tokens, 2, groupLogits) != TFM_OK)
      worst = INFINITY;
    for (int c = 0; c < 2 && worst < INFINITY; ++c) {
      if (tfm_decode(single[c], tokens[c], &ringLogits) != TFM_OK) {
        worst = INFINITY;
        break;
      }
      float d = difference(groupLogits[c], ringLogits, vocab);
      worst = d > worst ? d : worst;
    }
  }
  printf("largest batched difference: %g\n", worst);
  CHECK(worst <= kTolerance, "the batched steps read each context's ring");

  for (int c = 0; c < 2; ++c) {
    tfm_context_free(group[c]);
    tfm_context_free(single[c]);
  }
  tfm_context_free(ring);
  tfm_context_free(full);
  tfm_model_free(ringModel);
  tfm_model_free(fullModel);
  return 0;
}
