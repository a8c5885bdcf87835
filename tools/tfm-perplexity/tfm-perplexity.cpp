//===- tfm-perplexity.cpp - fidelity of one compiled variant vs another ---===//
//
//   tfm-perplexity MODEL -f TEXT [--quant F] [--quant-override GLOB=F]
//                  [--kv-type T] [--calibrate TEXT [--calibrate-tokens N]]
//                  [--reference-quant F] [--reference-kv-type T] [-t N]
//                  [--min-top1 PERCENT] [--max-kl NATS] [--json]
//                  [--variant-context N [--kv-sinks S]]
//
// Compiles MODEL twice (through the compile cache tfm-run uses): the variant
// (--quant, --kv-type) and the reference (default: f32 weights, f32 cache).
// Both read the tokens of TEXT one at a time (windows of the context length,
// each starting with BOS); at every position it compares the next-token
// distributions: perplexity of the text under each, the mean KL divergence
// KL(reference || variant) and how often their most likely tokens agree
// (llama.cpp's `llama-perplexity --kl-divergence` reports the same).
// With --variant-context N the variant reads the same windows through a KV
// cache of only N tokens, shifting it when full as tfm-run does (the first
// S tokens stay, half of the rest goes): what a sliding window with
// attention sinks costs against the full cache.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/CompileFlags.h"
#include "tfm/Compiler/Compiler.h"
#include "tfm/Runtime/tfm.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-perplexity options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file>"), cl::cat(category));
cl::opt<std::string> textPath("f", cl::Required, cl::desc("Text to score"),
                              cl::value_desc("file"), cl::cat(category));
/// The variant's compile options; the reference shares all but the weights
/// (--reference-quant, no overrides, no calibration) and the KV cache.
CompileFlags compileFlags(category, /*kvTypeDefault=*/"f32");
cl::opt<std::string> referenceQuant("reference-quant", cl::init("f32"),
                                    cl::desc("Weight format of the reference"),
                                    cl::cat(category));
cl::opt<std::string>
    referenceKvType("reference-kv-type", cl::init("f32"),
                    cl::desc("KV-cache type of the reference"), cl::cat(category));
cl::opt<int> threads("t", cl::init(0), cl::desc("Threads (0: all cores)"),
                     cl::cat(category));
cl::opt<double> minTop1("min-top1", cl::init(0.0),
                        cl::desc("Fail below this top-1 agreement (percent)"),
                        cl::cat(category));
cl::opt<double> maxKl("max-kl", cl::init(-1.0),
                      cl::desc("Fail above this mean KL divergence (nats)"),
                      cl::cat(category));
cl::opt<bool> json("json", cl::desc("Print one JSON object"), cl::cat(category));
cl::opt<int> variantContext(
    "variant-context",
    cl::desc("KV cache of the variant, shifted when full (0: the compiled "
             "context, as the reference's)"),
    cl::init(0), cl::cat(category));
cl::opt<int> kvSinks("kv-sinks",
                     cl::desc("With --variant-context: tokens at the start "
                              "that the shifts keep"),
                     cl::init(1), cl::cat(category));

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-perplexity: " << message << "\n";
  std::exit(1);
}

/// A compiled variant and one context.
struct Variant {
  explicit Variant(CompileOptions options) : options(std::move(options)) {}

  CompileOptions options;
  tfm_model *model = nullptr;
  tfm_context *context = nullptr;
  std::vector<double> logProbabilities; // of the current position
  double negativeLogLikelihood = 0.0;

  ~Variant() {
    tfm_context_free(context);
    tfm_model_free(model);
  }

  std::string name() const {
    std::string text = "weights " + options.weightFormat;
    for (const std::string &entry : options.weightOverrides)
      text += " " + entry;
    if (!options.calibrationText.empty())
      text += " (GPTQ on " + options.calibrationText + ")";
    if (options.gqaKvHeads > 0)
      text += ", converted to " + std::to_string(options.gqaKvHeads) +
              " KV heads";
    return text + ", kv " + options.kvType;
  }
};

void open(Variant &variant, int32_t contextLength = 0) {
  variant.options.progress = &llvm::errs();
  llvm::Expected<std::string> directory =
      compiledModelDirectory(modelPath, OpenOptions(), variant.options);
  if (!directory)
    fail(llvm::toString(directory.takeError()));
  if (tfm_model_load(directory->c_str(), &variant.model) != TFM_OK ||
      tfm_context_create(variant.model, contextLength, threads,
                         &variant.context) != TFM_OK)
    fail(tfm_last_error());
  if (tfm_model_is_encoder(variant.model))
    fail(modelPath + " is an encoder model (BERT): it has no next-token "
                     "logits to score; tfm-embed embeds texts with it");
  if (tfm_model_is_encoder_decoder(variant.model))
    fail(modelPath + " is an encoder-decoder model (T5): it generates text; "
                     "use tfm-run");
}

/// log softmax of `logits` into `out`.
void logSoftmax(const float *logits, size_t size, std::vector<double> &out) {
  double max = *std::max_element(logits, logits + size);
  double sum = 0.0;
  for (size_t i = 0; i < size; ++i)
    sum += std::exp(logits[i] - max);
  double logSum = max + std::log(sum);
  out.resize(size);
  for (size_t i = 0; i < size; ++i)
    out[i] = logits[i] - logSum;
}

size_t argmax(const std::vector<double> &values) {
  return std::max_element(values.begin(), values.end()) - values.begin();
}

/// Running comparison of the two variants' next-token distributions.
struct Comparison {
  int64_t positions = 0, agreements = 0;
  double klSum = 0.0;

  void add(const Variant &reference, const Variant &variant) {
    const std::vector<double> &p = reference.logProbabilities;
    const std::vector<double> &q = variant.logProbabilities;
    double kl = 0.0;
    for (size_t i = 0; i < p.size(); ++i)
      kl += std::exp(p[i]) * (p[i] - q[i]);
    klSum += kl;
    agreements += argmax(p) == argmax(q);
    ++positions;
  }
  double meanKl() const { return positions ? klSum / positions : 0.0; }
  double top1() const { return positions ? 100.0 * agreements / positions : 0.0; }
};

/// Feeds `token` to `variant`; returns its distribution of the next token.
/// A full cache is shifted: `sinks` tokens stay, half of the rest goes.
void step(Variant &variant, int32_t token, size_t vocab, int32_t sinks = 0) {
  const float *logits = nullptr;
  int32_t position = tfm_context_position(variant.context);
  if (position == tfm_context_length(variant.context) &&
      tfm_context_shift(variant.context, sinks,
                        std::max(1, (position - sinks) / 2)) != TFM_OK)
    fail(tfm_last_error());
  if (tfm_decode(variant.context, token, &logits) != TFM_OK)
    fail(tfm_last_error());
  logSoftmax(logits, vocab, variant.logProbabilities);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv, "Perplexity, KL divergence and top-1 agreement of a "
                  "compiled variant against a reference\n");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto text = llvm::MemoryBuffer::getFile(textPath);
  if (!text)
    fail(textPath + ": " + text.getError().message());

  CompileOptions variantOptions;
  compileFlags.apply(variantOptions);
  CompileOptions referenceOptions = variantOptions;
  referenceOptions.weightFormat = referenceQuant;
  referenceOptions.weightOverrides.clear();
  referenceOptions.calibrationText.clear();
  referenceOptions.kvType = referenceKvType;
  referenceOptions.gqaKvHeads = 0;
  Variant reference(referenceOptions);
  Variant variant(variantOptions);
  if (variantContext < 0 || kvSinks < 0)
    fail("--variant-context and --kv-sinks must not be negative");
  open(reference);
  open(variant, variantContext);
  if (kvSinks >= tfm_context_length(variant.context))
    fail(llvm::formatv("--kv-sinks {0} leaves no room in the variant's "
                       "context of {1}",
                       kvSinks.getValue(), tfm_context_length(variant.context)));
  size_t vocab = size_t(tfm_model_vocab_size(variant.model));
  if (size_t(tfm_model_vocab_size(reference.model)) != vocab)
    fail("the variants have different vocabularies");

  auto model = openModel(modelPath);
  if (!model)
    fail(llvm::toString(model.takeError()));
  if (!(*model)->vocabulary)
    fail(modelPath + ": no tokenizer");
  Tokenizer tokenizer(*(*model)->vocabulary);
  std::vector<int32_t> tokens =
      tokenizer.encode((*text)->getBuffer(), /*addBos=*/false);
  if (tokens.size() < 2)
    fail(textPath + ": fewer than two tokens");

  // Windows of the context: BOS, then tokens; every position predicts the
  // next token of the window.
  int32_t context = variantContext > 0
                        ? tfm_context_length(reference.context)
                        : std::min(tfm_context_length(variant.context),
                                   tfm_context_length(reference.context));
  int32_t bos = tokenizer.bos();
  Comparison comparison;
  int64_t scored = 0, windows = 0;
  for (size_t start = 0; start + 1 < tokens.size(); start += context - 1) {
    ++windows;
    tfm_context_reset(reference.context);
    tfm_context_reset(variant.context);
    int32_t previous = bos;
    size_t end = std::min(tokens.size(), start + size_t(context) - 1);
    for (size_t i = start; i < end; ++i) {
      step(reference, previous, vocab);
      step(variant, previous, vocab, kvSinks);
      comparison.add(reference, variant);
      reference.negativeLogLikelihood -= reference.logProbabilities[tokens[i]];
      variant.negativeLogLikelihood -= variant.logProbabilities[tokens[i]];
      ++scored;
      previous = tokens[i];
    }
  }
  double referencePpl = std::exp(reference.negativeLogLikelihood / scored);
  double variantPpl = std::exp(variant.negativeLogLikelihood / scored);

  if (json) {
    llvm::json::Object result{
        {"tokens", scored},
        {"windows", windows},
        {"reference", reference.name()},
        {"variant", variant.name()},
        {"variant_context", tfm_context_length(variant.context)},
        {"reference_perplexity", referencePpl},
        {"variant_perplexity", variantPpl},
        {"mean_kl", comparison.meanKl()},
        {"top1_agreement", comparison.top1()}};
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(result)))
                 << "\n";
  } else {
    llvm::outs() << llvm::formatv("{0} tokens scored ({1} window(s) of up to "
                                  "{2})\n",
                                  scored, windows, context);
    llvm::outs() << llvm::formatv("reference ({0}): perplexity {1:f4}\n",
                                  reference.name(), referencePpl);
    llvm::outs() << llvm::formatv("variant   ({0}{1}): perplexity {2:f4}\n",
                                  variant.name(),
                                  variantContext > 0
                                      ? llvm::formatv(", a {0}-token cache "
                                                      "shifted, {1} sinks",
                                                      tfm_context_length(
                                                          variant.context),
                                                      kvSinks.getValue())
                                            .str()
                                      : std::string(),
                                  variantPpl);
    llvm::outs() << llvm::formatv("mean KL(reference || variant): {0:e3} nats\n",
                                  comparison.meanKl());
    llvm::outs() << llvm::formatv("top-1 agreement: {0:f2}%\n", comparison.top1());
  }
  if (comparison.top1() < minTop1)
    fail(llvm::formatv("top-1 agreement {0:f2}% is below {1:f2}%",
                       comparison.top1(), minTop1.getValue()));
  if (maxKl >= 0.0 && comparison.meanKl() > maxKl)
    fail(llvm::formatv("mean KL {0:e3} is above {1:e3}", comparison.meanKl(),
                       maxKl.getValue()));
  return 0;
}
