//===- tfm-bench.cpp - prefill and decode speed of a compiled model -------===//
//
//   tfm-bench MODEL_OR_DIR [-p 128] [-n 128] [-t 1,2] [-r 5] [--json]
//   tfm-bench ENCODER [-p 128] [--batch 1,32] [-t 1,2] [-r 5] [--json]
//
// Measures like llama-bench: prefill of -p tokens in one batched call, then
// -n decoded tokens after that prefill, -r times per thread count. Decoding
// at batch size 1 streams every weight once per token, so the tool also
// reports the bytes streamed per token, the bandwidth that implies, and its
// share of what a STREAM-like triad achieves on this machine with the same
// number of threads (the ceiling for decode). Prefill is weighed against
// the compute probe the same way (PeakRates.h): the multiply-accumulates
// the compiler counted (manifest.json's prefill_work) at the core's peak
// f32 FMA and 8-bit dot-product rates, as a share of the measured time.
// An encoder (BERT) has no
// decode: it is measured as batches of texts of -p tokens, each batch one
// tfm_encode call (texts/s and tokens/s, as llama-bench -embd 1's pp test
// is for one text).
//
//===----------------------------------------------------------------------===//

#include "PeakRates.h"

#include "tfm/Compiler/CompileFlags.h"
#include "tfm/Compiler/Compiler.h"
#include "tfm/Driver/BenchmarkTokens.h"
#include "tfm/Runtime/tfm.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-bench options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file or compiled directory>"),
                               cl::cat(category));
cl::opt<int> promptTokens("p", cl::desc("Prefill tokens (one batched call)"),
                          cl::init(128), cl::cat(category));
cl::opt<int> decodeTokens("n", cl::desc("Decoded tokens after the prefill"),
                          cl::init(128), cl::cat(category));
/// Where the measured decode steps start.
enum class DecodeStart { AfterPrompt, EmptyContext };
cl::opt<DecodeStart> decodeStart(
    "decode-after",
    cl::desc("Where the decoded tokens start: after the prefill's prompt, or "
             "in an empty context as llama-bench's tg test does"),
    cl::init(DecodeStart::AfterPrompt),
    cl::values(clEnumValN(DecodeStart::AfterPrompt, "prompt",
                          "at position -p, attending to the prompt"),
               clEnumValN(DecodeStart::EmptyContext, "empty",
                          "at position 0 (the context is reset first)")),
    cl::cat(category));
cl::list<int> threadCounts("t", cl::desc("Thread counts (comma separated)"),
                           cl::CommaSeparated, cl::cat(category));
cl::list<int> batchSizes(
    "batch",
    cl::desc("An encoder's batches: texts of -p tokens per tfm_encode call "
             "(comma separated; default 1,32)"),
    cl::CommaSeparated, cl::cat(category));
cl::opt<int> repetitions("r", cl::desc("Repetitions per measurement"),
                         cl::init(5), cl::cat(category));
cl::opt<bool> json("json", cl::desc("Print one JSON object"),
                   cl::cat(category));
CompileFlags compileFlags(category);

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-bench: " << message << "\n";
  std::exit(1);
}

void check(tfm_status status, const char *what) {
  if (status != TFM_OK)
    fail(llvm::Twine(what) + ": " + tfm_last_error());
}

/// Median and spread (max - min) of repeated rates.
struct Rate {
  double median = 0, spread = 0;
};

Rate summarize(std::vector<double> samples) {
  llvm::sort(samples);
  size_t n = samples.size();
  double median = n % 2 ? samples[n / 2]
                        : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return {median, samples.back() - samples.front()};
}

/// STREAM triad `a = b + s * c` over arrays far larger than the caches, on
/// `threads` threads, each touching its own slice first; best of 5 in GB/s
/// (3 arrays' bytes per pass, as STREAM counts).
double streamTriad(int threads) {
  constexpr size_t elements = size_t(64) << 20; // 256 MiB per array
  std::unique_ptr<float[]> a(new float[elements]), b(new float[elements]),
      c(new float[elements]);
  auto onThreads = [&](auto body) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        size_t begin = elements * t / threads;
        size_t end = elements * (t + 1) / threads;
        body(begin, end);
      });
    for (std::thread &worker : workers)
      worker.join();
  };
  onThreads([&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      a[i] = 0.0f;
      b[i] = 1.0f;
      c[i] = 2.0f;
    }
  });
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    Clock::time_point start = Clock::now();
    onThreads([&](size_t begin, size_t end) {
      float *__restrict x = a.get();
      const float *__restrict y = b.get();
      const float *__restrict z = c.get();
      for (size_t i = begin; i < end; ++i)
        x[i] = y[i] + 3.0f * z[i];
    });
    double seconds = secondsSince(start);
    best = std::max(best, 3.0 * elements * sizeof(float) / seconds / 1e9);
  }
  return best;
}

struct Result {
  int threads = 0;
  Rate prefill, decode;
  double streamGBs = 0;
  tfm::bench::PeakRates peaks;
};

/// manifest.json's prefill_work (see lib/Compiler/Stages.h): a decoder's
/// prefill MACs by kind.
struct PrefillWork {
  double layerFloat = 0, layerInt8 = 0, logitsFloat = 0, logitsInt8 = 0,
         attentionPerPair = 0;

  /// f32 and 8-bit MACs of a prefill of `tokens` tokens from position 0
  /// (every query sees itself and the keys before it; a sliding window
  /// would see fewer, so long prompts on sliding layers are over-counted).
  std::pair<double, double> macs(int tokens) const {
    double pairs = double(tokens) * (tokens + 1) / 2;
    return {tokens * layerFloat + logitsFloat + pairs * attentionPerPair,
            tokens * layerInt8 + logitsInt8};
  }
};

/// What manifest.json says that the measurement needs.
struct ManifestFacts {
  /// The generator of the f32 linear layers (compile_options.f32_matmul;
  /// directories compiled before the option existed used MLIR's loops).
  std::string f32Matmul = "mlir";
  /// A decoder's prefill MACs (absent for encoders and seq2seq).
  std::optional<PrefillWork> prefillWork;
};

/// Prefill's share of the probe's peaks: the seconds its MACs take at the
/// peak rates over the seconds it took, and the MAC rate achieved.
struct PrefillShare {
  double gmacs = 0, percent = 0;
};

PrefillShare prefillShare(const PrefillWork &work, const Result &r) {
  auto [floatMacs, int8Macs] = work.macs(promptTokens);
  double seconds = promptTokens / r.prefill.median;
  double atPeak = 0;
  if (r.peaks.floatMacs > 0)
    atPeak += floatMacs / r.peaks.floatMacs;
  if (r.peaks.int8Macs > 0)
    atPeak += int8Macs / r.peaks.int8Macs;
  return {(floatMacs + int8Macs) / seconds / 1e9, 100 * atPeak / seconds};
}

/// Positions a measurement needs: the prompt, then the decoded tokens after
/// it or on their own.
int contextNeeded() {
  if (decodeStart == DecodeStart::EmptyContext)
    return std::max(promptTokens.getValue(), decodeTokens.getValue()) + 1;
  return promptTokens + decodeTokens + 1;
}

Result measure(tfm_model *model, int threads) {
  tfm_context *context = nullptr;
  check(tfm_context_create(model, contextNeeded(), threads, &context),
        "context");
  if (threads > tfm_context_threads(context)) {
    llvm::errs() << llvm::formatv("tfm-bench: note: -t {0} exceeds the CPUs "
                                  "this process may run on ({1}); measuring "
                                  "{1}\n",
                                  threads, tfm_context_threads(context));
    threads = tfm_context_threads(context);
  }
  std::vector<int32_t> tokens =
      benchmarkTokens(promptTokens + decodeTokens, tfm_model_vocab_size(model));
  const float *logits = nullptr;
  std::vector<double> prefillRates, decodeRates;
  bool seq2seq = tfm_model_is_encoder_decoder(model);
  // One warm-up run faults the weights in and starts the threads.
  for (int run = 0; run <= repetitions; ++run) {
    tfm_context_reset(context);
    Clock::time_point start = Clock::now();
    if (seq2seq) {
      // An encoder-decoder's prompt is its source: encoded, then the
      // decoder's start token; the decoded tokens follow it.
      int32_t first = tfm_model_decoder_start_token(model);
      check(tfm_encode_source(context, tokens.data(), promptTokens),
            "encode");
      check(tfm_prefill(context, &first, 1, &logits), "prefill");
    } else {
      check(tfm_prefill(context, tokens.data(), promptTokens, &logits),
            "prefill");
    }
    double prefillSeconds = secondsSince(start);
    if (decodeStart == DecodeStart::EmptyContext && !seq2seq)
      tfm_context_reset(context);
    start = Clock::now();
    for (int i = 0; i < decodeTokens; ++i)
      check(tfm_decode(context, tokens[promptTokens + i], &logits), "decode");
    double decodeSeconds = secondsSince(start);
    if (run == 0)
      continue;
    prefillRates.push_back(promptTokens / prefillSeconds);
    decodeRates.push_back(decodeTokens / decodeSeconds);
  }
  tfm_context_free(context);
  Result result;
  result.threads = threads;
  result.prefill = summarize(prefillRates);
  result.decode = summarize(decodeRates);
  result.streamGBs = streamTriad(threads);
  result.peaks = tfm::bench::measurePeakRates(threads);
  return result;
}

/// An encoder's speed: texts of -p tokens, `batch` of them per call.
struct EncodeResult {
  int threads = 0;
  int batch = 0;
  Rate texts, tokens;
};

EncodeResult measureEncode(tfm_model *model, int threads, int batch) {
  tfm_context *context = nullptr;
  check(tfm_context_create(model, 0, threads, &context), "context");
  threads = tfm_context_threads(context);
  // Each text its own tokens, [CLS]-free: the ids do not change the work.
  std::vector<int32_t> tokens = benchmarkTokens(
      int64_t(promptTokens) * batch, tfm_model_vocab_size(model));
  std::vector<int32_t> lengths(size_t(batch), promptTokens);
  std::vector<float> embeddings(size_t(batch) *
                                size_t(tfm_model_embedding_size(model)));
  std::vector<double> textRates, tokenRates;
  for (int run = 0; run <= repetitions; ++run) {
    Clock::time_point start = Clock::now();
    check(tfm_encode(context, tokens.data(), nullptr, lengths.data(), batch,
                     TFM_POOLING_MEAN, 1, embeddings.data()),
          "encode");
    double seconds = secondsSince(start);
    if (run == 0)
      continue; // the warm-up faults the weights and buffers in
    textRates.push_back(batch / seconds);
    tokenRates.push_back(double(batch) * promptTokens / seconds);
  }
  tfm_context_free(context);
  return {threads, batch, summarize(textRates), summarize(tokenRates)};
}

void printEncodeResults(llvm::StringRef name, tfm_model *model,
                        const std::vector<EncodeResult> &results,
                        llvm::StringRef f32Matmul) {
  if (json) {
    llvm::json::OStream out(llvm::outs(), 2);
    out.object([&] {
      out.attribute("model", name);
      out.attribute("encoder", true);
      out.attribute("weights_bytes", int64_t(tfm_model_weights_bytes(model)));
      out.attribute("text_tokens", promptTokens.getValue());
      out.attribute("repetitions", repetitions.getValue());
      out.attribute("f32_matmul", f32Matmul);
      out.attributeArray("results", [&] {
        for (const EncodeResult &r : results)
          out.object([&] {
            out.attribute("threads", r.threads);
            out.attribute("batch", r.batch);
            out.attribute("texts_per_second", r.texts.median);
            out.attribute("tokens_per_second", r.tokens.median);
            out.attribute("tokens_spread", r.tokens.spread);
          });
      });
    });
    llvm::outs() << "\n";
    return;
  }
  double weightsGiB = tfm_model_weights_bytes(model) / double(1 << 30);
  llvm::outs() << "| model | weights | threads | test | texts/s | t/s | "
                  "spread |\n| --- | ---: | ---: | --- | ---: | ---: | ---: "
                  "|\n";
  for (const EncodeResult &r : results)
    llvm::outs() << llvm::formatv(
        "| {0} | {1:F2} GiB | {2} | enc{3}x{4} | {5:F2} | {6:F1} | {7:F1} |\n",
        name, weightsGiB, r.threads, promptTokens.getValue(), r.batch,
        r.texts.median, r.tokens.median, r.tokens.spread);
  llvm::outs() << llvm::formatv(
      "\nencoder: each test one tfm_encode call of B texts of {0} tokens "
      "(mean pooling, normalized); {1} repetitions; f32 linear layers by "
      "{2}.\n",
      promptTokens.getValue(), repetitions.getValue(), f32Matmul);
}

std::string modelName(llvm::StringRef path) {
  llvm::StringRef name = llvm::sys::path::filename(path.rtrim('/'));
  return name.str();
}

/// The facts of the compiled directory's manifest.json tfm-bench reports.
ManifestFacts manifestFacts(llvm::StringRef directory) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, "manifest.json");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
      llvm::MemoryBuffer::getFile(path);
  if (!text)
    fail(path + ": " + text.getError().message());
  llvm::Expected<llvm::json::Value> manifest =
      llvm::json::parse((*text)->getBuffer());
  if (!manifest)
    fail(path + ": " + llvm::toString(manifest.takeError()));
  ManifestFacts facts;
  const llvm::json::Object *root = manifest->getAsObject();
  if (!root)
    fail(path + ": not a JSON object");
  if (const llvm::json::Object *options = root->getObject("compile_options"))
    if (std::optional<llvm::StringRef> generator =
            options->getString("f32_matmul"))
      facts.f32Matmul = generator->str();
  if (const llvm::json::Object *work = root->getObject("prefill_work")) {
    auto count = [&](llvm::StringRef key) {
      std::optional<int64_t> value = work->getInteger(key);
      if (!value || *value < 0)
        fail(path + ": prefill_work." + key +
             " must be a non-negative integer");
      return double(*value);
    };
    facts.prefillWork = PrefillWork{
        count("layer_float_macs_per_token"), count("layer_int8_macs_per_token"),
        count("logits_float_macs"), count("logits_int8_macs"),
        count("attention_macs_per_pair")};
  }
  return facts;
}

void printTable(llvm::StringRef name, tfm_model *model,
                const std::vector<Result> &results,
                const ManifestFacts &facts) {
  double weightsGiB = tfm_model_weights_bytes(model) / double(1 << 30);
  double streamedGB = tfm_model_bytes_per_token(model) / 1e9;
  llvm::outs() << llvm::formatv(
      "| model | weights | threads | test | t/s | spread | GB/s, GMAC/s | "
      "% of STREAM, of peak |\n| --- | ---: | ---: | --- | ---: | ---: | "
      "---: | ---: |\n");
  for (const Result &r : results) {
    std::string compute = "| | |";
    if (facts.prefillWork) {
      PrefillShare share = prefillShare(*facts.prefillWork, r);
      compute = llvm::formatv("| {0:F1} | {1:F0}% |", share.gmacs,
                              share.percent);
    }
    llvm::outs() << llvm::formatv(
        "| {0} | {1:F2} GiB | {2} | pp{3} | {4:F1} | {5:F1} {6}\n", name,
        weightsGiB, r.threads, promptTokens.getValue(), r.prefill.median,
        r.prefill.spread, compute);
    double achieved = r.decode.median * streamedGB;
    llvm::outs() << llvm::formatv(
        "| {0} | {1:F2} GiB | {2} | tg{3} | {4:F1} | {5:F1} | {6:F1} | "
        "{7:F0}% of {8:F1} |\n",
        name, weightsGiB, r.threads, decodeTokens.getValue(), r.decode.median,
        r.decode.spread, achieved, 100 * achieved / r.streamGBs, r.streamGBs);
  }
  llvm::outs() << llvm::formatv(
      "\n{0:F3} GB of weights streamed per decoded token; {1}; {2} "
      "repetitions; f32 linear layers by {3}.\n",
      streamedGB,
      decodeStart == DecodeStart::EmptyContext
          ? std::string("decoded from an empty context")
          : llvm::formatv("decoded after the {0}-token prompt",
                          promptTokens.getValue())
                .str(),
      repetitions.getValue(), facts.f32Matmul);
  if (!facts.prefillWork)
    return;
  auto [floatMacs, int8Macs] = facts.prefillWork->macs(promptTokens);
  llvm::outs() << llvm::formatv(
      "pp{0}: {1:F3} G f32 and {2:F3} G 8-bit multiply-accumulates; % of "
      "peak = their time at the peak rates / the measured time. Peaks "
      "(G MAC/s):",
      promptTokens.getValue(), floatMacs / 1e9, int8Macs / 1e9);
  for (const Result &r : results)
    llvm::outs() << llvm::formatv(" {0} thread(s): f32 {1:F1} ({2}), int8 "
                                  "{3:F1} ({4});",
                                  r.threads, r.peaks.floatMacs / 1e9,
                                  r.peaks.floatIsa, r.peaks.int8Macs / 1e9,
                                  r.peaks.int8Isa);
  llvm::outs() << "\n";
}

void printJson(llvm::StringRef name, tfm_model *model,
               const std::vector<Result> &results,
               const ManifestFacts &facts) {
  llvm::json::OStream out(llvm::outs(), 2);
  double streamedBytes = tfm_model_bytes_per_token(model);
  out.object([&] {
    out.attribute("model", name);
    out.attribute("weights_bytes", int64_t(tfm_model_weights_bytes(model)));
    out.attribute("bytes_per_token", int64_t(streamedBytes));
    out.attribute("prompt_tokens", promptTokens.getValue());
    out.attribute("decode_tokens", decodeTokens.getValue());
    out.attribute("decode_start",
                  decodeStart == DecodeStart::EmptyContext ? "empty"
                                                           : "prompt");
    out.attribute("repetitions", repetitions.getValue());
    out.attribute("f32_matmul", facts.f32Matmul);
    if (facts.prefillWork) {
      auto [floatMacs, int8Macs] = facts.prefillWork->macs(promptTokens);
      out.attribute("prefill_float_macs", floatMacs);
      out.attribute("prefill_int8_macs", int8Macs);
    }
    out.attributeArray("results", [&] {
      for (const Result &r : results)
        out.object([&] {
          double achieved = r.decode.median * streamedBytes / 1e9;
          out.attribute("threads", r.threads);
          out.attribute("prefill_tps", r.prefill.median);
          out.attribute("prefill_spread", r.prefill.spread);
          out.attribute("decode_tps", r.decode.median);
          out.attribute("decode_spread", r.decode.spread);
          out.attribute("decode_gbs", achieved);
          out.attribute("stream_gbs", r.streamGBs);
          out.attribute("bandwidth_percent", 100 * achieved / r.streamGBs);
          out.attribute("float_peak_gmacs", r.peaks.floatMacs / 1e9);
          out.attribute("float_peak_isa", r.peaks.floatIsa);
          out.attribute("int8_peak_gmacs", r.peaks.int8Macs / 1e9);
          out.attribute("int8_peak_isa", r.peaks.int8Isa);
          if (facts.prefillWork) {
            PrefillShare share = prefillShare(*facts.prefillWork, r);
            out.attribute("prefill_gmacs", share.gmacs);
            out.attribute("prefill_peak_percent", share.percent);
          }
        });
    });
  });
  llvm::outs() << "\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Prefill and decode speed of a model\n");
  if (promptTokens < 1 || decodeTokens < 1 || repetitions < 1)
    fail("-p, -n and -r must be at least 1");
  std::vector<int> threads(threadCounts.begin(), threadCounts.end());
  if (threads.empty())
    threads = {1, int(std::max(1u, std::thread::hardware_concurrency()))};
  threads.erase(std::unique(threads.begin(), threads.end()), threads.end());
  for (int count : threads)
    if (count < 1)
      fail("-t: thread counts must be at least 1, got " + llvm::Twine(count));

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  CompileOptions options;
  compileFlags.apply(options);
  options.progress = &llvm::errs();
  llvm::Expected<std::string> directory =
      compiledModelDirectory(modelPath, OpenOptions(), options);
  if (!directory)
    fail(llvm::toString(directory.takeError()));

  tfm_model *model = nullptr;
  check(tfm_model_load(directory->c_str(), &model), "load");
  std::string name = modelName(modelPath);
  if (tfm_model_is_encoder(model)) {
    if (promptTokens > tfm_model_max_context(model))
      fail(llvm::formatv("-p {0} exceeds the encoder's {1} positions",
                         promptTokens.getValue(),
                         tfm_model_max_context(model)));
    std::vector<int> batches(batchSizes.begin(), batchSizes.end());
    if (batches.empty())
      batches = {1, 32};
    std::vector<EncodeResult> results;
    for (int count : threads)
      for (int batch : batches) {
        if (batch < 1)
          fail("--batch: sizes must be at least 1, got " + llvm::Twine(batch));
        results.push_back(measureEncode(model, count, batch));
      }
    printEncodeResults(name, model, results,
                       manifestFacts(*directory).f32Matmul);
    tfm_model_free(model);
    return 0;
  }
  if (batchSizes.getNumOccurrences() > 0)
    fail("--batch measures encoders; " + modelPath + " is a decoder");
  if (contextNeeded() > tfm_model_max_context(model))
    // After the prompt both must fit together; from an empty context each.
    fail(llvm::formatv("-p {0} {1} -n {2} tokens do not fit the context of {3}",
                       promptTokens.getValue(),
                       decodeStart == DecodeStart::EmptyContext ? "or" : "+",
                       decodeTokens.getValue(), tfm_model_max_context(model)));
  std::vector<Result> results;
  for (int count : threads)
    results.push_back(measure(model, count));
  ManifestFacts facts = manifestFacts(*directory);
  if (json)
    printJson(name, model, results, facts);
  else
    printTable(name, model, results, facts);
  tfm_model_free(model);
  return 0;
}
