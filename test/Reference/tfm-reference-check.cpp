//===- tfm-reference-check.cpp - compiled model vs the reference ----------===//
//
//   tfm-reference-check MODEL DIR [--prompt TEXT] [--steps N] [--feed TEXT]
//                       [--tolerance T | --min-cosine C] [--greedy N]
//                       [--run-threads N] [--check-sequence]
//
// Loads DIR (compiled from MODEL by tfm-compile) through the C API and runs
// the same tokens through ReferenceModel: the prompt as one batched
// prefill, then N decode steps (feeding the reference's greedy tokens to
// both, after those of --feed). Per step it prints the max relative error
// of the logit vector, max_i |compiled_i - reference_i| / max_i
// |reference_i|, and fails above the tolerance. With --min-cosine (for
// quantized models, whose activations are quantized on the fly) it checks
// the cosine similarity of the logit vectors instead. With --greedy it
// also decodes greedily with each and fails unless the token sequences
// are identical. With --check-sequence it first checks the reference
// against itself: the prompt as one ReferenceModel::forwardSequence call
// must give the same logits and the same observed layer inputs, bit for
// bit, as one forward() call per token. An encoder (BERT) is checked by checkEncoder instead: a
// batch of texts in one tfm_encode call against the reference's encoder.
// An encoder-decoder (T5) encodes the prompt as its source with both
// (tfm_encode_source, ReferenceModel::encodeSource); the decoder's prefill
// is then its start token.
//
//===----------------------------------------------------------------------===//

#include "tfm/Reference/ReferenceModel.h"

#include "tfm/Runtime/tfm.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file>"));
cl::opt<std::string> compiledDir(cl::Positional, cl::Required,
                                 cl::desc("<compiled directory>"));
cl::opt<std::string> prompt("prompt", cl::init("Once upon a time"));
cl::opt<int> steps("steps", cl::init(64), cl::desc("Decode steps to compare"));
cl::opt<double> tolerance("tolerance", cl::init(1e-4));
cl::opt<int> greedy("greedy", cl::init(0),
                    cl::desc("Greedy tokens that must be identical"));
cl::opt<int> threads("run-threads", cl::init(0),
                    cl::desc("Threads of the compiled model (0: all)"));
cl::opt<double> minCosine(
    "min-cosine", cl::init(0.0),
    cl::desc("Check cosine similarity >= this instead of the tolerance"));
cl::opt<bool> verbose("verbose", cl::desc("Print every step's error"));
cl::opt<std::string> feed(
    "feed",
    cl::desc("Decode steps take this text's tokens one at a time, then the "
             "reference's greedy ones: a random-weight model's greedy text "
             "soon repeats one token, whose keys and values in the first "
             "layer are then all alike"));
cl::opt<bool> checkSequence(
    "check-sequence",
    cl::desc("Check the reference's forwardSequence against its forward"));

cl::opt<bool> checkEmbedding(
    "embedding",
    cl::desc("Check tfm_embed (a library compiled with --embeddings) on the "
             "prompt: the reference's final normed hidden states, the input "
             "of its output layer, pooled (last token and mean) and scaled "
             "to unit length"));

int fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-reference-check: " << message << "\n";
  return 1;
}

double relativeError(const float *compiled, const std::vector<float> &ref) {
  double scale = 0.0, error = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    scale = std::max(scale, std::fabs(double(ref[i])));
    error = std::max(error, std::fabs(double(compiled[i]) - ref[i]));
  }
  return scale > 0.0 ? error / scale : error;
}

double cosineSimilarity(const float *compiled, const std::vector<float> &ref) {
  double dot = 0.0, compiledNorm = 0.0, refNorm = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    dot += double(compiled[i]) * ref[i];
    compiledNorm += double(compiled[i]) * compiled[i];
    refNorm += double(ref[i]) * ref[i];
  }
  return dot / std::sqrt(compiledNorm * refNorm);
}

template <typename T> int32_t argmax(const T *values, size_t size) {
  return int32_t(std::max_element(values, values + size) - values);
}

/// The tokens of --feed (no BOS), set in main.
std::vector<int32_t> fedTokens;

/// The token of decode step `step`: --feed's, then the reference's greedy
/// choice after `expected`.
int32_t stepToken(int step, const std::vector<float> &expected) {
  if (size_t(step) < fedTokens.size())
    return fedTokens[step];
  return argmax(expected.data(), expected.size());
}

/// The compiled model and one context, freed on exit.
struct Compiled {
  tfm_model *model = nullptr;
  tfm_context *context = nullptr;
  ~Compiled() {
    tfm_context_free(context);
    tfm_model_free(model);
  }
};

/// Per-step cosine similarity of the logits, from the prefill's result on.
int checkCosine(Compiled &compiled, ReferenceModel &reference,
                const std::vector<int32_t> &tokens, const float *logits,
                const std::vector<float> &prefillExpected) {
  double worst = cosineSimilarity(logits, prefillExpected);
  llvm::outs() << llvm::formatv("prefill of {0} tokens: cosine {1:f5}\n",
                                tokens.size(), worst);
  const std::vector<float> *expected = &prefillExpected;
  double worstDecode = 1.0;
  for (int step = 0; step < steps; ++step) {
    int32_t next = stepToken(step, *expected);
    if (tfm_decode(compiled.context, next, &logits) != TFM_OK)
      return fail(tfm_last_error());
    expected = &reference.forward(next);
    double cosine = cosineSimilarity(logits, *expected);
    if (verbose)
      llvm::outs() << llvm::formatv("step {0}: cosine {1:f5}\n", step, cosine);
    worstDecode = std::min(worstDecode, cosine);
  }
  llvm::outs() << llvm::formatv("{0} decode steps: min cosine {1:f5}\n", steps,
                                worstDecode);
  worst = std::min(worst, worstDecode);
  if (!(worst >= minCosine))
    return fail(llvm::formatv("cosine {0:f5} is below {1:f5}", worst,
                              minCosine.getValue()));
  return 0;
}

/// Every input a ReferenceModel's observer saw: the first weight's name
/// and the vector, in order.
using Observations = std::vector<std::pair<std::string, std::vector<float>>>;

/// Runs `tokens` through a fresh reference one token at a time and through
/// another as one sequence; fails unless the logits and the observed
/// inputs are the same bits.
int checkSequenceMatchesSteps(const ModelFile &model, int64_t context,
                              const std::vector<int32_t> &tokens) {
  auto stepwise = ReferenceModel::create(model, context);
  auto sequence = ReferenceModel::create(model, context);
  if (!stepwise)
    return fail(llvm::toString(stepwise.takeError()));
  if (!sequence)
    return fail(llvm::toString(sequence.takeError()));
  Observations seen[2];
  ReferenceModel *references[2] = {&*stepwise, &*sequence};
  for (int i = 0; i < 2; ++i)
    references[i]->observeInputs(
        [&seen, i](llvm::ArrayRef<std::string> weights,
                   llvm::ArrayRef<float> input) {
          seen[i].emplace_back(weights.front(), input.vec());
        });
  const std::vector<float> *stepLogits = nullptr;
  for (int32_t token : tokens)
    stepLogits = &stepwise->forward(token);
  const std::vector<float> &sequenceLogits = sequence->forwardSequence(tokens);
  if (*stepLogits != sequenceLogits)
    return fail("forwardSequence's logits differ from forward()'s");
  // One layer at a time for all positions: the same inputs per weight, in
  // the order of positions.
  auto byWeight = [](const Observations &observations) {
    std::map<std::string, std::vector<std::vector<float>>> inputs;
    for (const auto &[weight, input] : observations)
      inputs[weight].push_back(input);
    return inputs;
  };
  if (byWeight(seen[0]) != byWeight(seen[1]))
    return fail("forwardSequence's observed inputs differ from forward()'s");
  llvm::outs() << llvm::formatv("sequence of {0} tokens: the same logits and "
                                "{1} observed inputs as one token at a time\n",
                                tokens.size(), seen[1].size());
  return 0;
}

/// `vectors` pooled (the last, or the mean) and scaled to unit length.
std::vector<float> pooledUnit(const std::vector<std::vector<float>> &vectors,
                              bool mean) {
  std::vector<double> sum(vectors.back().size(), 0.0);
  for (size_t i = mean ? 0 : vectors.size() - 1; i < vectors.size(); ++i)
    for (size_t j = 0; j < sum.size(); ++j)
      sum[j] += vectors[i][j];
  double norm = 0.0;
  for (double value : sum)
    norm += value * value;
  std::vector<float> unit(sum.size());
  for (size_t j = 0; j < sum.size(); ++j)
    unit[j] = float(sum[j] / std::sqrt(norm));
  return unit;
}

/// tfm_embed of `tokens`, both poolings, against the reference's.
int checkEmbeddings(Compiled &compiled, const ModelFile &model,
                    int64_t context, const std::vector<int32_t> &tokens) {
  auto reference = ReferenceModel::create(model, context);
  if (!reference)
    return fail(llvm::toString(reference.takeError()));
  std::string output =
      model.config.tiedEmbeddings ? "token_embd.weight" : "output.weight";
  std::vector<std::vector<float>> hidden;
  reference->observeInputs(
      [&](llvm::ArrayRef<std::string> weights, llvm::ArrayRef<float> input) {
        if (weights.front() == output)
          hidden.emplace_back(input.begin(), input.end());
      });
  for (int32_t token : tokens)
    reference->forward(token);
  int32_t size = tfm_model_embedding_size(compiled.model);
  if (size != int32_t(model.config.dim) || hidden.size() != tokens.size())
    return fail(llvm::formatv("embedding size {0} (model dim {1}), {2} hidden "
                              "states observed for {3} tokens",
                              size, model.config.dim, hidden.size(),
                              tokens.size()));
  for (auto [pooling, name] : {std::pair{TFM_POOLING_LAST, "last"},
                               std::pair{TFM_POOLING_MEAN, "mean"}}) {
    std::vector<float> embedding(size_t(size), 0.0f);
    if (tfm_embed(compiled.context, tokens.data(), int32_t(tokens.size()),
                  pooling, embedding.data()) != TFM_OK)
      return fail(tfm_last_error());
    std::vector<float> expected =
        pooledUnit(hidden, pooling == TFM_POOLING_MEAN);
    double error = 0.0;
    for (size_t j = 0; j < expected.size(); ++j)
      error = std::max(error, std::fabs(double(embedding[j]) - expected[j]));
    llvm::outs() << llvm::formatv("embedding ({0} pooling) of {1} tokens: max "
                                  "error {2:e2}\n",
                                  name, tokens.size(), error);
    if (error > tolerance)
      return fail(llvm::formatv("embedding error {0:e2} exceeds the "
                                "tolerance {1:e2}",
                                error, tolerance.getValue()));
  }
  return 0;
}

/// An encoder: the texts (the prompt, then shorter and longer ones; one
/// with type-1 tokens in its second half, BERT's sentence pair) encoded in
/// one tfm_encode call must give every token the reference's final hidden
/// state, and each text the reference's pooled embeddings.
int checkEncoder(Compiled &compiled, const ModelFile &model,
                 const Tokenizer &tokenizer) {
  auto reference = ReferenceModel::create(model, 0);
  if (!reference)
    return fail(llvm::toString(reference.takeError()));
  std::vector<std::string> texts = {
      prompt, "a", prompt + " and then, much later, " + prompt + " again"};
  std::vector<int32_t> tokens, types, lengths;
  std::vector<std::vector<float>> expected;
  std::vector<std::vector<std::vector<float>>> perText;
  for (auto [t, text] : llvm::enumerate(texts)) {
    std::vector<int32_t> ids = tokenizer.encode(text, /*addSpecial=*/true);
    std::vector<int32_t> textTypes(ids.size(), 0);
    if (t == 2 && model.config.tokenTypes > 1)
      std::fill(textTypes.begin() + textTypes.size() / 2, textTypes.end(), 1);
    perText.push_back(reference->encode(ids, textTypes));
    llvm::append_range(expected, perText.back());
    llvm::append_range(tokens, ids);
    llvm::append_range(types, textTypes);
    lengths.push_back(int32_t(ids.size()));
  }
  int64_t dim = model.config.dim;
  std::vector<float> states(tokens.size() * size_t(dim));
  if (tfm_encode(compiled.context, tokens.data(), types.data(), lengths.data(),
                 int32_t(lengths.size()), TFM_POOLING_NONE, 0,
                 states.data()) != TFM_OK)
    return fail(tfm_last_error());
  double worst = 0.0, worstCosine = 1.0;
  for (size_t r = 0; r < expected.size(); ++r) {
    worst = std::max(worst, relativeError(&states[r * size_t(dim)],
                                          expected[r]));
    worstCosine = std::min(
        worstCosine, cosineSimilarity(&states[r * size_t(dim)], expected[r]));
  }
  llvm::outs() << llvm::formatv("encode of {0} texts ({1} tokens) in one "
                                "call: max relative error {2:e2}, min cosine "
                                "{3:f6}\n",
                                texts.size(), tokens.size(), worst,
                                worstCosine);
  // Quantized weights (activations quantized on the fly): the cosine.
  if (minCosine > 0.0) {
    if (!(worstCosine >= minCosine))
      return fail(llvm::formatv("cosine {0:f6} is below {1:f6}", worstCosine,
                                minCosine.getValue()));
    return 0;
  }
  for (auto [pooling, name] : {std::pair{TFM_POOLING_MEAN, "mean"},
                               std::pair{TFM_POOLING_CLS, "cls"}}) {
    std::vector<float> pooled(texts.size() * size_t(dim));
    if (tfm_encode(compiled.context, tokens.data(), types.data(),
                   lengths.data(), int32_t(lengths.size()), pooling, 1,
                   pooled.data()) != TFM_OK)
      return fail(tfm_last_error());
    double error = 0.0;
    for (size_t t = 0; t < texts.size(); ++t) {
      std::vector<std::vector<float>> rows = perText[t];
      if (pooling == TFM_POOLING_CLS)
        rows.resize(1);
      std::vector<float> unit =
          pooledUnit(rows, /*mean=*/pooling == TFM_POOLING_MEAN);
      for (int64_t j = 0; j < dim; ++j)
        error = std::max(error, std::fabs(double(pooled[t * size_t(dim) + j]) -
                                          unit[size_t(j)]));
    }
    llvm::outs() << llvm::formatv("{0} pooling, normalized: max error {1:e2}\n",
                                  name, error);
    worst = std::max(worst, error);
  }
  if (worst > tolerance)
    return fail(llvm::formatv("error {0:e2} exceeds the tolerance {1:e2}",
                              worst, tolerance.getValue()));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Compare a compiled model with "
                                          "the reference forward pass\n");
  auto model = openModel(modelPath);
  if (!model)
    return fail(llvm::toString(model.takeError()));
  Compiled compiled;
  if (tfm_model_load(compiledDir.c_str(), &compiled.model) != TFM_OK ||
      tfm_context_create(compiled.model, 0, threads, &compiled.context) !=
          TFM_OK)
    return fail(tfm_last_error());
  if (tfm_model_is_encoder(compiled.model))
    return checkEncoder(compiled, **model, Tokenizer(*(*model)->vocabulary));
  int64_t context = tfm_context_length(compiled.context);
  auto reference = ReferenceModel::create(**model, context);
  if (!reference)
    return fail(llvm::toString(reference.takeError()));
  Tokenizer tokenizer(*(*model)->vocabulary);
  std::vector<int32_t> tokens = tokenizer.encode(prompt, /*addBos=*/true);
  fedTokens = tokenizer.encode(feed, /*addBos=*/false);
  size_t vocab = (*model)->config.vocabSize;
  // An encoder-decoder (T5): the prompt is the source both encode; the
  // decoder's "prompt" is its start token.
  std::vector<int32_t> source;
  if (tfm_model_is_encoder_decoder(compiled.model)) {
    source = tokens;
    if (tfm_encode_source(compiled.context, source.data(),
                          int32_t(source.size())) != TFM_OK)
      return fail(tfm_last_error());
    reference->encodeSource(source);
    tokens = {tfm_model_decoder_start_token(compiled.model)};
    llvm::outs() << llvm::formatv("source of {0} tokens encoded\n",
                                  source.size());
  }
  // The reference stops at its context like the compiled model; say so
  // before either does. The greedy run starts again after the prompt.
  int64_t needed =
      int64_t(tokens.size()) + std::max(steps.getValue(), greedy.getValue());
  if (needed > context)
    return fail(llvm::formatv("a prompt of {0} tokens and {1} decode steps "
                              "need {2} positions; the context has {3}",
                              tokens.size(),
                              std::max(steps.getValue(), greedy.getValue()),
                              needed, context));
  if (checkSequence)
    if (int status = checkSequenceMatchesSteps(**model, context, tokens))
      return status;
  if (checkEmbedding)
    if (int status = checkEmbeddings(compiled, **model, context, tokens))
      return status;

  // Prefill: one batched call against token-by-token reference steps.
  const float *logits = nullptr;
  if (tfm_prefill(compiled.context, tokens.data(), int32_t(tokens.size()),
                  &logits) != TFM_OK)
    return fail(tfm_last_error());
  const std::vector<float> *expected = nullptr;
  for (int32_t token : tokens)
    expected = &reference->forward(token);
  double worst = relativeError(logits, *expected);
  llvm::outs() << llvm::formatv("prefill of {0} tokens: max relative error "
                                "{1:e2}\n",
                                tokens.size(), worst);

  if (minCosine > 0.0)
    return checkCosine(compiled, *reference, tokens, logits, *expected);

  // Decode steps on the reference's greedy tokens.
  double worstDecode = 0.0;
  for (int step = 0; step < steps; ++step) {
    int32_t next = stepToken(step, *expected);
    if (tfm_decode(compiled.context, next, &logits) != TFM_OK)
      return fail(tfm_last_error());
    expected = &reference->forward(next);
    double error = relativeError(logits, *expected);
    if (verbose)
      llvm::outs() << llvm::formatv("step {0}: {1:e2}\n", step, error);
    worstDecode = std::max(worstDecode, error);
  }
  llvm::outs() << llvm::formatv("{0} decode steps: max relative error {1:e2}\n",
                                steps, worstDecode);
  worst = std::max(worst, worstDecode);
  if (worst > tolerance)
    return fail(llvm::formatv("error {0:e2} exceeds the tolerance {1:e2}",
                              worst, tolerance.getValue()));

  if (greedy > 0) {
    // Each side continues from its own argmax.
    tfm_context_reset(compiled.context);
    auto fresh = ReferenceModel::create(**model, context);
    if (!fresh)
      return fail(llvm::toString(fresh.takeError()));
    if (!source.empty())
      fresh->encodeSource(source);
    if (tfm_prefill(compiled.context, tokens.data(), int32_t(tokens.size()),
                    &logits) != TFM_OK)
      return fail(tfm_last_error());
    for (int32_t token : tokens)
      expected = &fresh->forward(token);
    std::string text;
    int32_t previous = tokens.back();
    for (int i = 0; i < greedy; ++i) {
      int32_t ours = argmax(logits, vocab);
      int32_t theirs = argmax(expected->data(), vocab);
      if (ours != theirs)
        return fail(llvm::formatv("greedy token {0} differs: compiled {1}, "
                                  "reference {2}",
                                  i, ours, theirs));
      text += tokenizer.decode(previous, ours);
      previous = ours;
      if (tfm_decode(compiled.context, ours, &logits) != TFM_OK)
        return fail(tfm_last_error());
      expected = &fresh->forward(ours);
    }
    llvm::outs() << "greedy " << greedy << " tokens identical: " << text
                 << "\n";
  }
  return 0;
}
