/* generate.c - load a model compiled by tfm-compile and continue a prompt.
 *
 *   generate DIR PROMPT [TOKENS] [TEMPERATURE] [SEED]
 *   generate DIR --ids ID,ID,... [TOKENS]
 *
 * Tokenizes PROMPT with the model's tokenizer (or takes the ids given),
 * prefills it in one call, then samples and decodes up to TOKENS tokens
 * (default 64; temperature 0 is greedy), printing the text as it comes;
 * a full context is shifted (tfm_context_shift), so TOKENS may exceed it.
 * Everything is a call of tfm.h: no tokenizer or sampler of its own.
 * Build it with CMake (find_package(tfm)) or make (pkg-config tfm).
 */

#include <tfm/Runtime/tfm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *what) {
  fprintf(stderr, "generate: %s: %s\n", what, tfm_last_error());
  return 1;
}

/* "1,403,407" -> ids; returns the count, or -1 when malformed. */
static int32_t parseIds(const char *text, int32_t *ids, int32_t capacity) {
  int32_t count = 0;
  while (*text) {
    char *end;
    long id = strtol(text, &end, 10);
    if (end == text || count == capacity)
      return -1;
    ids[count++] = (int32_t)id;
    text = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != '\0')
      return -1;
  }
  return count;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: generate DIR PROMPT [TOKENS] [TEMPERATURE] [SEED]\n"
                    "       generate DIR --ids ID,ID,... [TOKENS]\n");
    return 2;
  }
  int byIds = strcmp(argv[2], "--ids") == 0;
  int first = byIds ? 4 : 3;
  if (byIds && argc < 4) {
    fprintf(stderr, "generate: --ids needs a list of token ids\n");
    return 2;
  }
  int tokens = argc > first ? atoi(argv[first]) : 64;
  tfm_sampler_params params = tfm_sampler_default_params();
  if (argc > first + 1)
    params.temperature = (float)atof(argv[first + 1]);
  if (argc > first + 2)
    params.seed = strtoull(argv[first + 2], NULL, 10);

  tfm_model *model = NULL;
  tfm_context *context = NULL;
  tfm_sampler *sampler = NULL;
  if (tfm_model_load(argv[1], &model) != TFM_OK)
    return failed(argv[1]);
  if (tfm_context_create(model, 0, 0, &context) != TFM_OK)
    return failed("context");
  if (tfm_sampler_create(&params, &sampler) != TFM_OK)
    return failed("sampler");

  int32_t capacity = tfm_context_length(context);
  int32_t *prompt = malloc(sizeof(int32_t) * (size_t)capacity);
  int32_t count = 0;
  if (byIds) {
    count = parseIds(argv[3], prompt, capacity);
    if (count <= 0) {
      fprintf(stderr, "generate: bad id list '%s'\n", argv[3]);
      return 2;
    }
  } else if (tfm_tokenize(model, argv[2], strlen(argv[2]), 1, prompt,
                          capacity, &count) != TFM_OK) {
    return failed("tokenize");
  }

  const float *logits = NULL;
  if (tfm_prefill(context, prompt, count, &logits) != TFM_OK)
    return failed("prefill");
  for (int32_t i = 0; i < count; ++i)
    tfm_sampler_accept(sampler, prompt[i]);

  int32_t vocab = tfm_model_vocab_size(model);
  int32_t eos = tfm_model_eos(model);
  int32_t previous = prompt[count - 1];
  char piece[256];
  for (int i = 0; i < tokens; ++i) {
    int32_t next;
    if (tfm_sampler_sample(sampler, logits, vocab, &next) != TFM_OK)
      return failed("sample");
    if (next == eos)
      break;
    size_t length = 0;
    if (tfm_token_to_piece(model, previous, next, piece, sizeof piece,
                           &length) == TFM_OK)
      fwrite(piece, 1, length < sizeof piece ? length : sizeof piece, stdout);
    fflush(stdout);
    if (tfm_context_position(context) == tfm_context_length(context)) {
      /* The context is full: shift it as tfm-run and llama.cpp do,
       * keeping BOS (if the model adds one) and the later half of the
       * rest. */
      int32_t keep = tfm_model_add_bos(model) ? 1 : 0;
      int32_t window = (tfm_context_length(context) - keep) / 2;
      int32_t discard = tfm_context_position(context) - keep - window;
      if (tfm_context_shift(context, keep, discard) != TFM_OK)
        return failed("context shift");
    }
    if (tfm_decode(context, next, &logits) != TFM_OK)
      return failed("decode");
    previous = next;
  }
  printf("\n");

  free(prompt);
  tfm_sampler_free(sampler);
  tfm_context_free(context);
  tfm_model_free(model);
  return 0;
}
