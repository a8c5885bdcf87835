//===- Sampling.cpp - the C API's sampler ---------------------------------===//
//
// tfm_sampler wraps tfm-run's sampler (tfm/Driver/Sampler.h: llama.cpp's
// chain of repetition penalty, top-k, top-p, temperature and a seeded draw)
// and keeps the history the penalty looks at.
//
//===----------------------------------------------------------------------===//

#include "Status.h"
#include "tfm/Driver/Sampler.h"
#include "tfm/Runtime/tfm.h"

#include <new>
#include <random>
#include <string>
#include <vector>

using tfm::runtime::fail;

struct tfm_sampler {
  explicit tfm_sampler(const mlir::tfm::SamplerOptions &options)
      : sampler(options) {}

  mlir::tfm::Sampler sampler;
  std::vector<int32_t> history;
};

namespace {

/// The first parameter out of range, or "" (tfm-run refuses the same).
std::string checkParams(const tfm_sampler_params &params) {
  if (!(params.temperature >= 0))
    return "temperature must not be negative";
  if (params.top_k < 0)
    return "top_k must not be negative";
  if (!(params.top_p > 0 && params.top_p <= 1))
    return "top_p must be in (0, 1]";
  if (!(params.repeat_penalty > 0))
    return "repeat_penalty must be positive";
  if (params.repeat_last_n < -1)
    return "repeat_last_n must be -1 or more";
  return "";
}

} // namespace

extern "C" {

tfm_sampler_params tfm_sampler_default_params(void) {
  mlir::tfm::SamplerOptions defaults;
  return {defaults.temperature,   defaults.topK,
          defaults.topP,          defaults.repeatPenalty,
          defaults.repeatLastN,   TFM_SAMPLER_RANDOM_SEED};
}

tfm_status tfm_sampler_create(const tfm_sampler_params *params,
                              tfm_sampler **sampler) {
  if (!params || !sampler)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_sampler_create: null argument");
  std::string problem = checkParams(*params);
  if (!problem.empty())
    return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_sampler_create: " + problem);
  mlir::tfm::SamplerOptions options;
  options.temperature = params->temperature;
  options.topK = params->top_k;
  options.topP = params->top_p;
  options.repeatPenalty = params->repeat_penalty;
  options.repeatLastN = params->repeat_last_n;
  options.seed = params->seed == TFM_SAMPLER_RANDOM_SEED
                     ? (uint64_t(std::random_device()()) << 32) ^
                           std::random_device()()
                     : params->seed;
  *sampler = new (std::nothrow) tfm_sampler(options);
  if (!*sampler)
    return fail(TFM_ERROR_OUT_OF_MEMORY, "out of memory");
  return TFM_OK;
}

void tfm_sampler_free(tfm_sampler *sampler) { delete sampler; }

tfm_status tfm_sampler_accept(tfm_sampler *sampler, int32_t token) {
  if (!sampler)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_sampler_accept: null sampler");
  sampler->history.push_back(token);
  return TFM_OK;
}

tfm_status tfm_sampler_sample(tfm_sampler *sampler, const float *logits,
                              int32_t vocab, int32_t *token) {
  if (!sampler || !logits || !token)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_sampler_sample: null argument");
  if (vocab <= 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_sampler_sample: vocabulary of " + std::to_string(vocab) +
                    " tokens");
  *token = sampler->sampler.sample(logits, size_t(vocab), sampler->history);
  sampler->history.push_back(*token);
  return TFM_OK;
}

void tfm_sampler_reset(tfm_sampler *sampler) {
  if (sampler)
    sampler->history.clear();
}

} // extern "C"
