/*===- check.h - the checks of the C API test programs --------------------===*
 *
 * CHECK(cond, what) prints "ok: what", or "FAIL: what (the last error)" and
 * exits 1: one line per check, the first failure ends the program.
 *
 *===--------------------------------------------------------------------===*/

#ifndef TFM_TEST_RUNTIME_CHECK_H
#define TFM_TEST_RUNTIME_CHECK_H

#include "tfm/Runtime/tfm.h"

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

#endif /* TFM_TEST_RUNTIME_CHECK_H */
