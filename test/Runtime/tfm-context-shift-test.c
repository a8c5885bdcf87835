/*===- tfm-context-shift-test.c - tfm_context_shift, from C -------------===*
 *
 *   tfm-context-shift-test DIR [TOLERANCE]
 *
 * Prefills 20 tokens, shifts out 8 after the first 3 and decodes one more;
 * prints the largest difference of its logits from those of a fresh
 * context that prefilled only the 12 kept tokens. With one layer the keys
 * and values of a token depend on the token and its position only, so the
 * two agree up to rounding when the shift rotated the keys right; with
 * TOLERANCE the difference must be below it. Then checks the argument
 * errors and generates 10 contexts' worth of tokens in a 16-token context,
 * shifting whenever it is full. One line per check; exit 1 on a failure.
 *
 *===--------------------------------------------------------------------===*/

#include "tfm/Runtime/tfm.h"

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kPrompt = 20, kKeep = 3, kDiscard = 8, kNext = 7 };

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: tfm-context-shift-test DIR [TOLERANCE]\n");
    return 2;
  }
  tfm_model *model = NULL;
  CHECK(tfm_model_load(argv[1], &model) == TFM_OK, "load");
  int32_t vocab = tfm_model_vocab_size(model);
  int32_t prompt[kPrompt];
  for (int i = 0; i < kPrompt; ++i)
    prompt[i] = (int32_t)((i * 37 + 11) % vocab);

  tfm_context *shifted = NULL, *fresh = NULL;
  const float *logits = NULL;
  CHECK(tfm_context_create(model, 32, 1, &shifted) == TFM_OK &&
            tfm_context_create(model, 32, 1, &fresh) == TFM_OK,
        "two contexts of 32");
  CHECK(tfm_prefill(shifted, prompt, kPrompt, &logits) == TFM_OK,
        "prefill 20");
  CHECK(tfm_context_shift(shifted, kKeep, kDiscard) == TFM_OK &&
            tfm_context_position(shifted) == kPrompt - kDiscard,
        "shift out 8 after 3: position 12");
  CHECK(tfm_decode(shifted, kNext, &logits) == TFM_OK, "decode after it");
  float *after = malloc(sizeof(float) * (size_t)vocab);
  memcpy(after, logits, sizeof(float) * (size_t)vocab);

  int32_t kept[kPrompt - kDiscard];
  memcpy(kept, prompt, sizeof(int32_t) * kKeep);
  memcpy(kept + kKeep, prompt + kKeep + kDiscard,
         sizeof(int32_t) * (kPrompt - kKeep - kDiscard));
  CHECK(tfm_prefill(fresh, kept, kPrompt - kDiscard, &logits) == TFM_OK &&
            tfm_decode(fresh, kNext, &logits) == TFM_OK,
        "fresh prefill of the kept tokens");
  float largest = 0.0f, difference = 0.0f;
  for (int32_t i = 0; i < vocab; ++i) {
    largest = fmaxf(largest, fabsf(logits[i]));
    difference = fmaxf(difference, fabsf(logits[i] - after[i]));
  }
  printf("largest logit %g, largest difference %g\n", largest, difference);
  if (argc == 3)
    CHECK(difference <= strtof(argv[2], NULL),
          "the shifted cache reads as the kept tokens prefilled afresh");
  free(after);

  CHECK(tfm_context_shift(shifted, 6, 8) == TFM_ERROR_INVALID_ARGUMENT,
        "keep + discard beyond the position is rejected");
  printf("message: %s\n", tfm_last_error());
  CHECK(tfm_context_shift(shifted, 0, 0) == TFM_ERROR_INVALID_ARGUMENT &&
            tfm_context_shift(shifted, -1, 2) == TFM_ERROR_INVALID_ARGUMENT,
        "discard 0 or a negative keep is rejected");
  CHECK(tfm_context_shift(NULL, 0, 1) == TFM_ERROR_INVALID_ARGUMENT,
        "a null context is rejected");

  tfm_context *small = NULL;
  CHECK(tfm_context_create(model, 16, 1, &small) == TFM_OK, "context of 16");
  int32_t token = prompt[0];
  tfm_status status = tfm_prefill(small, &token, 1, &logits);
  int shifts = 0;
  for (int step = 0; status == TFM_OK && step < 160; ++step) {
    if (tfm_context_position(small) == tfm_context_length(small)) {
      status = tfm_context_shift(small, 1, 7);
      ++shifts;
    }
    token = argmax(logits, vocab);
    if (status == TFM_OK)
      status = tfm_decode(small, token, &logits);
  }
  printf("shifts: %d\n", shifts);
  CHECK(status == TFM_OK && tfm_context_position(small) <= 16,
        "160 tokens through a context of 16");
  tfm_context_free(small);
  tfm_context_free(shifted);
  tfm_context_free(fresh);
  tfm_model_free(model);
  return 0;
}
