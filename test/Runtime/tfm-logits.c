/* tfm-logits - a compiled model's logits along a greedy continuation, for
 * comparing two builds of one model (test/Cross: the AArch64 library under
 * qemu-aarch64 against the x86-64 one).
 *
 *   tfm-logits DIR PROMPT STEPS OUT [FOLLOW]
 *
 * Tokenizes PROMPT with the model's tokenizer, prefills it and decodes
 * STEPS tokens, writing the logits of every step (STEPS + 1 rows of f32,
 * the prefill's first) to OUT. Each step feeds the argmax (greedy), or with
 * FOLLOW the ids of that file (another run's output, teacher forcing, so
 * that one near-tie does not send the two runs down different texts);
 * stdout gets the ids fed, comma-separated. Plain C on tfm.h only: it
 * cross-builds with the runtime (TFM_RUNTIME_ONLY).
 */

#include <tfm/Runtime/tfm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *what) {
  fprintf(stderr, "tfm-logits: %s: %s\n", what, tfm_last_error());
  return 1;
}

/* The ids of a comma-separated list in `path`; returns the count, or -1
 * when the file cannot be read or holds something else. */
static int readIds(const char *path, int32_t *ids, int capacity) {
  FILE *file = fopen(path, "r");
  if (!file)
    return -1;
  int count = 0;
  long id;
  while (count < capacity && fscanf(file, "%ld", &id) == 1) {
    ids[count++] = (int32_t)id;
    if (fgetc(file) != ',')
      break;
  }
  fclose(file);
  return count;
}

static int32_t argmax(const float *values, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i)
    if (values[i] > values[best])
      best = i;
  return best;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: tfm-logits DIR PROMPT STEPS OUT [FOLLOW]\n");
    return 2;
  }
  int steps = atoi(argv[3]);
  if (steps < 0) {
    fprintf(stderr, "tfm-logits: bad step count '%s'\n", argv[3]);
    return 2;
  }
  int32_t *follow = malloc(sizeof(int32_t) * (size_t)(steps + 1));
  int followed = argc == 6 ? readIds(argv[5], follow, steps) : 0;
  if (argc == 6 && followed != steps) {
    fprintf(stderr, "tfm-logits: %s: expected %d comma-separated ids\n",
            argv[5], steps);
    return 2;
  }

  tfm_model *model = NULL;
  tfm_context *context = NULL;
  if (tfm_model_load(argv[1], &model) != TFM_OK)
    return failed(argv[1]);
  if (tfm_context_create(model, 0, 0, &context) != TFM_OK)
    return failed("context");
  int32_t capacity = tfm_context_length(context);
  int32_t *prompt = malloc(sizeof(int32_t) * (size_t)capacity);
  int32_t count = 0;
  if (tfm_tokenize(model, argv[2], strlen(argv[2]), 1, prompt, capacity,
                   &count) != TFM_OK)
    return failed("tokenize");
  if (count + steps > capacity) {
    fprintf(stderr, "tfm-logits: %d prompt tokens and %d steps exceed the "
                    "context of %d\n", count, steps, capacity);
    return 2;
  }
  FILE *out = fopen(argv[4], "wb");
  if (!out) {
    fprintf(stderr, "tfm-logits: cannot write %s\n", argv[4]);
    return 1;
  }

  int32_t vocab = tfm_model_vocab_size(model);
  const float *logits = NULL;
  if (tfm_prefill(context, prompt, count, &logits) != TFM_OK)
    return failed("prefill");
  for (int step = 0;; ++step) {
    if (fwrite(logits, sizeof(float), (size_t)vocab, out) != (size_t)vocab) {
      fprintf(stderr, "tfm-logits: writing %s failed\n", argv[4]);
      return 1;
    }
    if (step == steps)
      break;
    int32_t next = followed ? follow[step] : argmax(logits, vocab);
    printf(step ? ",%d" : "%d", next);
    if (tfm_decode(context, next, &logits) != TFM_OK)
      return failed("decode");
  }
  printf("\n");
  fclose(out);
  free(prompt);
  free(follow);
  tfm_context_free(context);
  tfm_model_free(model);
  return 0;
}
