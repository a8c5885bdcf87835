/*===- tfm-c-api-text-test.c - the C API's tokenizer and sampler ---------===*
 *
 *   tfm-c-api-text-test DIR TEXT
 *
 * Prints the ids of TEXT from tfm_tokenize (with BOS), the text the pieces
 * of those ids give back, and one line per check of the sizing contract,
 * the bad-token error and the sampler (greedy is the argmax; a seed
 * repeats its draws; the penalty sees accepted tokens; bad parameters are
 * named). Exit code 1 on the first failure.
 *
 *===--------------------------------------------------------------------===*/

#include "tfm/Runtime/tfm.h"

#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The same, silent when it holds (checks inside loops). */
#define REQUIRE(cond, what)                                                    \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "FAIL: %s (%s)\n", what, tfm_last_error());             \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static void checkTokenizer(tfm_model *model, const char *text) {
  int32_t needed = 0;
  CHECK(tfm_tokenize(model, text, strlen(text), 1, NULL, 0, &needed) ==
                TFM_ERROR_INVALID_ARGUMENT &&
            needed > 1,
        "capacity 0 gives the count needed");
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)needed);
  int32_t count = 0;
  CHECK(tfm_tokenize(model, text, strlen(text), 1, ids, needed, &count) ==
                TFM_OK &&
            count == needed &&
            (ids[0] == tfm_model_bos(model)) == tfm_model_add_bos(model),
        "tokenize with the special tokens (BOS when the vocabulary adds it)");
  printf("ids:");
  for (int32_t i = 0; i < count; ++i)
    printf(" %d", ids[i]);
  printf("\n");

  char piece[4];
  char decoded[4096] = "";
  size_t used = 0;
  int32_t previous = -1;
  for (int32_t i = 0; i < count; ++i) {
    size_t length = 0;
    /* A 4-byte buffer: longer pieces are fetched again with room. */
    REQUIRE(tfm_token_to_piece(model, previous, ids[i], piece, sizeof(piece),
                               &length) == TFM_OK,
            "piece");
    char *whole = malloc(length + 1);
    REQUIRE(tfm_token_to_piece(model, previous, ids[i], whole, length,
                               &length) == TFM_OK,
            "piece with room");
    if (used + length < sizeof(decoded)) {
      memcpy(decoded + used, whole, length);
      used += length;
    }
    free(whole);
    previous = ids[i];
  }
  decoded[used] = '\0';
  printf("text: %s\n", decoded);
  free(ids);

  size_t length = 0;
  CHECK(tfm_token_to_piece(model, -1, tfm_model_vocab_size(model), piece,
                           sizeof(piece), &length) ==
            TFM_ERROR_INVALID_ARGUMENT,
        "a token outside the vocabulary is refused");
  printf("message: %s\n", tfm_last_error());
}

static void checkSampler(tfm_model *model) {
  tfm_context *context = NULL;
  const float *logits = NULL;
  int32_t vocab = tfm_model_vocab_size(model);
  int32_t prompt[3];
  int32_t count = 0;
  CHECK(tfm_context_create(model, 0, 1, &context) == TFM_OK, "context");
  CHECK(tfm_tokenize(model, "a b", 3, 1, prompt, 3, &count) == TFM_OK,
        "tokenize the prompt");
  CHECK(tfm_prefill(context, prompt, count, &logits) == TFM_OK, "prefill");

  tfm_sampler_params params = tfm_sampler_default_params();
  CHECK(params.top_k == 40 && params.temperature > 0.79f &&
            params.seed == TFM_SAMPLER_RANDOM_SEED,
        "llama.cpp's defaults");
  params.temperature = 0.0f;
  tfm_sampler *greedy = NULL;
  int32_t token = -1;
  CHECK(tfm_sampler_create(&params, &greedy) == TFM_OK &&
            tfm_sampler_sample(greedy, logits, vocab, &token) == TFM_OK &&
            token == argmax(logits, vocab),
        "temperature 0 is the argmax");

  /* A penalty on the argmax (accepted as if in the prompt) demotes it. */
  params.repeat_penalty = 1e9f;
  tfm_sampler *penalized = NULL;
  int32_t other = -1;
  CHECK(tfm_sampler_create(&params, &penalized) == TFM_OK &&
            tfm_sampler_accept(penalized, token) == TFM_OK &&
            tfm_sampler_sample(penalized, logits, vocab, &other) == TFM_OK &&
            other != token,
        "the penalty sees accepted tokens");
  tfm_sampler_reset(penalized);
  CHECK(tfm_sampler_sample(penalized, logits, vocab, &other) == TFM_OK &&
            other == token,
        "reset forgets them");

  params = tfm_sampler_default_params();
  params.seed = 42;
  params.top_k = 0;
  params.temperature = 5.0f;
  tfm_sampler *first = NULL, *second = NULL;
  CHECK(tfm_sampler_create(&params, &first) == TFM_OK &&
            tfm_sampler_create(&params, &second) == TFM_OK,
        "two samplers of one seed");
  int same = 1, distinct = 0;
  int32_t firstDraw = -1;
  for (int i = 0; i < 32; ++i) {
    int32_t a = -1, b = -1;
    tfm_sampler_sample(first, logits, vocab, &a);
    tfm_sampler_sample(second, logits, vocab, &b);
    same &= a == b;
    if (i == 0)
      firstDraw = a;
    distinct |= a != firstDraw;
  }
  CHECK(same && distinct, "a seed repeats its draws, which vary");

  params.top_p = 0.0f;
  tfm_sampler *bad = NULL;
  CHECK(tfm_sampler_create(&params, &bad) == TFM_ERROR_INVALID_ARGUMENT,
        "bad parameters are refused");
  printf("message: %s\n", tfm_last_error());

  tfm_sampler_free(greedy);
  tfm_sampler_free(penalized);
  tfm_sampler_free(first);
  tfm_sampler_free(second);
  tfm_context_free(context);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tfm-c-api-text-test DIR TEXT\n");
    return 2;
  }
  tfm_model *model = NULL;
  CHECK(tfm_model_load(argv[1], &model) == TFM_OK, "load");
  int32_t count = 0;
  if (tfm_tokenize(model, "x", 1, 0, NULL, 0, &count) != TFM_OK &&
      count == 0) {
    /* No tokenizer: the error names the file. */
    printf("no tokenizer: %s\n", tfm_last_error());
    tfm_model_free(model);
    return 0;
  }
  checkTokenizer(model, argv[2]);
  checkSampler(model);
  tfm_model_free(model);
  return 0;
}
