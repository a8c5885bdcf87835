/*===- check.h - the checks of the C API test programs --------------------===*
 *
 * CHECK(cond, what) prints "ok: what", or "FAIL: what (the last error)" and
 * exits 1: one line per check, the first failure ends the program.
 * difference(a, b, n) is the largest |a[i] - b[i]|, argmax(logits, n) the
 * greedy token.
 *
 *===--------------------------------------------------------------------===*/

#ifndef TFM_TEST_RUNTIME_CHECK_H
#define TFM_TEST_RUNTIME_CHECK_H

#include "tfm/Runtime/tfm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, what)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "FAIL: %s (%s)\n", what, tfm_last_error());             \
      exit(1);                                                                 \
    }                                                                          \
    printf("ok: %s\n", what);                                                  \
  } while (0)

/* Max |a - b| over N floats. */
static inline float difference(const float *a, const float *b, int32_t n) {
  float worst = 0.0f;
  for (int32_t i = 0; i < n; ++i)
    worst = fmaxf(worst, fabsf(a[i] - b[i]));
  return worst;
}

/* The index of the largest of N logits (the first of equal ones). */
static inline int32_t argmax(const float *logits, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

#endif /* TFM_TEST_RUNTIME_CHECK_H */
