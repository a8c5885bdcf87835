//===- tfm-lab.cpp - attention cost against the sequence length ----------===//
//
//   tfm-lab [MODEL_OR_DIR] [--shape llama-110m] [--attention mha,gqa4,mqa]
//           [--kv-type f16,f32,q8] [--flash on,off] [--min-length 128]
//           [--max-length 16384] [--decode-tokens 8] [-t T] [-o DIR]
//
// The course's lab: how prefill time, its attention share, decode time per
// token, KV-cache bytes and peak memory grow with the sequence length N.
// Each configuration (attention variant x KV type x flash attention) is
// compiled once for the longest N, then every N runs in a process of its
// own (so peak RSS is that point's): prefill of N tokens, then a few decode
// steps at position N. Attention time comes from the kernels' counters
// (tfm_model_count_attention). The tool fits power laws by least squares on
// log-log data, checks the KV-cache law exactly, and writes DIR/lab.csv,
// DIR/lab.gp and, with gnuplot installed, its figures (PNG and SVG).
//
// Without a model it makes one per attention variant with tfm-make-model
// (--shape, a long context): mha keeps the shape's KV heads = heads, gqaG
// has G KV heads, mqa one.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/Compiler.h"
#include "tfm/Driver/BenchmarkTokens.h"
#include "tfm/Runtime/tfm.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <optional>

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-lab options");
cl::opt<std::string> modelPath(
    cl::Positional,
    cl::desc("[model file or compiled directory] (default: made from --shape)"),
    cl::cat(category));
cl::opt<std::string> shape("shape",
                           cl::desc("Shape of the models made when none is "
                                    "given (tfm-make-model --shape)"),
                           cl::init("llama-110m"), cl::cat(category));
cl::list<std::string> attentionVariants(
    "attention",
    cl::desc("Attention variants of made models: mha, gqa<G> (G KV heads), "
             "mqa (default mha,gqa4,mqa)"),
    cl::CommaSeparated, cl::cat(category));
cl::list<std::string> kvTypes("kv-type",
                              cl::desc("KV-cache types: f32, f16, bf16, q8 "
                                       "(default f16)"),
                              cl::CommaSeparated, cl::cat(category));
cl::list<std::string> flashModes("flash",
                                 cl::desc("Flash attention on, off or both "
                                          "(default on)"),
                                 cl::CommaSeparated, cl::cat(category));
cl::opt<int64_t> convertToGqa(
    "convert-to-gqa",
    cl::desc("Compile every configuration with its key/value heads "
             "mean-pooled into this many (tfm-convert-to-gqa)"),
    cl::init(0), cl::cat(category));
cl::opt<int64_t> minLength("min-length", cl::desc("Shortest N"), cl::init(128),
                           cl::cat(category));
cl::opt<int64_t> maxLength("max-length",
                           cl::desc("Longest N (lengths are the powers of two "
                                    "between; points the memory cannot hold "
                                    "are skipped)"),
                           cl::init(16384), cl::cat(category));
cl::opt<int> decodeTokens("decode-tokens",
                          cl::desc("Decode steps measured at position N"),
                          cl::init(8), cl::cat(category));
cl::opt<int> threads("t", cl::desc("Threads (0: one per CPU)"), cl::init(0),
                     cl::cat(category));
cl::opt<std::string> outputDirectory("o", cl::desc("Output directory"),
                                     cl::init("lab"), cl::cat(category));
cl::opt<bool> noPlots("no-plots", cl::desc("Write the CSV only"),
                      cl::cat(category));
// One point, in a process of its own (the parent runs these).
cl::opt<std::string> pointDirectory("point-dir", cl::Hidden, cl::cat(category));
cl::opt<int64_t> pointLength("point-length", cl::Hidden, cl::cat(category));

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-lab: " << message << "\n";
  std::exit(1);
}

void check(tfm_status status, const char *what) {
  if (status != TFM_OK)
    fail(llvm::Twine(what) + ": " + tfm_last_error());
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// This process's peak resident memory: VmHWM, the high-water mark of its
/// own address space (getrusage's ru_maxrss survives execve, so a child
/// would report its parent's compile-time peak).
int64_t peakResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (llvm::StringRef(line).consume_front("VmHWM:")) {
      int64_t kib = 0;
      llvm::StringRef(line).substr(6).trim().split(' ').first.getAsInteger(10,
                                                                           kib);
      return kib * 1024;
    }
  return 0;
}

/// What one process measures at one N.
struct Point {
  int64_t length = 0;
  double prefillSeconds = 0, prefillAttentionSeconds = 0;
  double decodeSeconds = 0, decodeAttentionSeconds = 0; // per token
  int64_t kvBytes = 0, peakRssBytes = 0;
  int threads = 0;
};

/// The child: prefill N tokens (the best of up to 3 runs within ~2 s), then
/// decode steps at position N; prints one JSON object.
int runPoint() {
  tfm_model *model = nullptr;
  check(tfm_model_load(pointDirectory.c_str(), &model), pointDirectory.c_str());
  int64_t n = pointLength;
  tfm_context *sized = nullptr;
  check(tfm_context_create(model, int32_t(n), 1, &sized), "context of N");
  Point point;
  point.length = n;
  point.kvBytes = int64_t(tfm_context_kv_bytes(sized));
  tfm_context_free(sized);

  tfm_context *context = nullptr;
  check(tfm_context_create(model, int32_t(n + decodeTokens), threads, &context),
        "context");
  point.threads = tfm_context_threads(context);
  std::vector<int32_t> tokens =
      benchmarkTokens(n + decodeTokens, tfm_model_vocab_size(model), 2024);
  const float *logits = nullptr;
  point.prefillSeconds = INFINITY;
  Clock::time_point runsStart = Clock::now();
  for (int run = 0; run < 3 && (run == 0 || secondsSince(runsStart) < 2.0);
       ++run) {
    tfm_context_reset(context);
    check(tfm_model_count_attention(model, 1), "counters");
    Clock::time_point start = Clock::now();
    check(tfm_prefill(context, tokens.data(), int32_t(n), &logits), "prefill");
    double seconds = secondsSince(start);
    if (seconds < point.prefillSeconds) {
      point.prefillSeconds = seconds;
      point.prefillAttentionSeconds = tfm_model_attention_seconds(model);
    }
  }
  check(tfm_model_count_attention(model, 1), "counters");
  Clock::time_point start = Clock::now();
  for (int i = 0; i < decodeTokens; ++i)
    check(tfm_decode(context, tokens[n + i], &logits), "decode");
  point.decodeSeconds = secondsSince(start) / decodeTokens;
  point.decodeAttentionSeconds =
      tfm_model_attention_seconds(model) / decodeTokens;
  tfm_model_count_attention(model, 0);
  point.peakRssBytes = peakResidentBytes();
  tfm_context_free(context);
  tfm_model_free(model);
  llvm::outs()
      << llvm::json::Value(llvm::json::Object{
             {"length", point.length},
             {"prefill_seconds", point.prefillSeconds},
             {"prefill_attention_seconds", point.prefillAttentionSeconds},
             {"decode_seconds", point.decodeSeconds},
             {"decode_attention_seconds", point.decodeAttentionSeconds},
             {"kv_bytes", point.kvBytes},
             {"peak_rss_bytes", point.peakRssBytes},
             {"threads", point.threads}})
      << "\n";
  return 0;
}

/// One compiled configuration of the sweep.
struct Configuration {
  std::string variant, kvType;
  bool flash = true;
  std::string directory;
  int64_t layers = 0, kvHeads = 0, headDim = 0, heads = 0;
  std::vector<Point> points;

  std::string label() const {
    return variant + " " + kvType + (flash ? " flash" : " unfused");
  }
  /// Bytes of one cached row (one token, one head) of this KV type.
  int64_t rowBytes() const {
    return kvType == "f32"   ? headDim * 4
           : kvType == "f16" ? headDim * 2
                             : headDim + 4;
  }
};

std::string executableDirectory(const char *argv0) {
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&executableDirectory));
  return llvm::sys::path::parent_path(self).str();
}

/// Runs `program args` and fails with its name when it does not exit 0;
/// its stdout goes to `output` when given.
/// Runs `program args`; the failure message (empty on success, exit 0).
/// Its stdout goes to `output` when given.
std::string tryProgram(const std::string &program,
                       std::vector<std::string> args,
                       std::optional<llvm::StringRef> output = std::nullopt) {
  args.insert(args.begin(), program);
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, output,
                                                std::nullopt};
  std::string error;
  int status = llvm::sys::ExecuteAndWait(program, refs, std::nullopt, redirects,
                                         0, 0, &error);
  if (status == 0)
    return "";
  return llvm::formatv("{0} failed ({1}){2}", llvm::join(args, " "), status,
                       error.empty() ? "" : ": " + error);
}

void runProgram(const std::string &program, std::vector<std::string> args,
                std::optional<llvm::StringRef> output = std::nullopt) {
  std::string failure = tryProgram(program, std::move(args), output);
  if (!failure.empty())
    fail(failure);
}

/// KV heads of an attention variant of a shape of `heads` heads.
int64_t kvHeadsOf(llvm::StringRef variant, int64_t heads) {
  int64_t groups = 0;
  if (variant == "mha")
    return heads;
  if (variant == "mqa")
    return 1;
  llvm::StringRef count = variant;
  if (count.consume_front("gqa") && !count.getAsInteger(10, groups) &&
      groups > 0 && groups <= heads && heads % groups == 0)
    return groups;
  fail("unknown --attention '" + variant +
       "' (mha, mqa, or gqa<G> with G dividing the heads)");
}

/// The integer field `key` of manifest.json's hyperparameters.
int64_t hyperparameter(const llvm::json::Object &manifest,
                       llvm::StringRef key) {
  const llvm::json::Object *hyper = manifest.getObject("hyperparameters");
  std::optional<int64_t> value = hyper ? hyper->getInteger(key) : std::nullopt;
  if (!value)
    fail("manifest.json has no hyperparameters." + key);
  return *value;
}

/// The JSON object in the file at `path`; none if it cannot be read or
/// is not one.
std::optional<llvm::json::Object> readJsonObject(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse((*buffer)->getBuffer());
  if (!value) {
    llvm::consumeError(value.takeError());
    return std::nullopt;
  }
  if (!value->getAsObject())
    return std::nullopt;
  return std::move(*value->getAsObject());
}

llvm::json::Object readManifest(const std::string &directory) {
  std::string path = directory + "/" + kManifestFileName;
  std::optional<llvm::json::Object> manifest = readJsonObject(path);
  if (!manifest)
    fail(path + ": missing, unreadable or not a JSON object");
  return std::move(*manifest);
}

/// Bytes of memory the kernel says are available (MemAvailable).
int64_t availableMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:")
      return kib * 1024;
  return INT64_MAX;
}

/// What a point needs beyond the weights: the KV cache and, without flash
/// attention, the score matrices (N x N floats a head; the lowering keeps
/// several at once: 20 GiB of peak RSS at N = 8192 on llama-110m's 12
/// heads, ~6 matrices a head).
int64_t pointBytes(const Configuration &config, int64_t n) {
  int64_t kv = config.layers * 2 * config.kvHeads * n * config.rowBytes();
  int64_t scores = config.flash ? 0 : 6 * config.heads * n * n * 4;
  return kv + scores;
}

/// Least squares of log y against log x: y ~ c x^slope.
struct PowerLaw {
  double slope = 0, intercept = 0, residual = 0;
  size_t points = 0;
};

PowerLaw fitPowerLaw(const std::vector<double> &x,
                     const std::vector<double> &y) {
  PowerLaw law;
  std::vector<double> lx, ly;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] > 0 && y[i] > 0) {
      lx.push_back(std::log(x[i]));
      ly.push_back(std::log(y[i]));
    }
  law.points = lx.size();
  if (lx.size() < 2)
    return law;
  double n = double(lx.size()), mx = 0, my = 0;
  for (size_t i = 0; i < lx.size(); ++i) {
    mx += lx[i] / n;
    my += ly[i] / n;
  }
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < lx.size(); ++i) {
    sxx += (lx[i] - mx) * (lx[i] - mx);
    sxy += (lx[i] - mx) * (ly[i] - my);
  }
  law.slope = sxx > 0 ? sxy / sxx : 0;
  law.intercept = my - law.slope * mx;
  double squares = 0;
  for (size_t i = 0; i < lx.size(); ++i) {
    double error = ly[i] - (law.intercept + law.slope * lx[i]);
    squares += error * error;
  }
  // RMS of the natural-log residuals: 0.1 is a ~10% scatter about the law.
  law.residual = std::sqrt(squares / n);
  return law;
}

std::vector<std::string> orDefault(const cl::list<std::string> &given,
                                   std::vector<std::string> fallback) {
  if (given.empty())
    return fallback;
  return std::vector<std::string>(given.begin(), given.end());
}

/// The model file or directory of each attention variant.
std::vector<std::pair<std::string, std::string>>
variantModels(const std::string &tools) {
  if (!modelPath.empty()) {
    if (!attentionVariants.empty())
      fail("--attention makes models of --shape: give it without a model");
    return {{"model", modelPath}};
  }
  std::string makeModel = tools + "/tfm-make-model";
  std::string models = outputDirectory + "/models";
  if (std::error_code error = llvm::sys::fs::create_directories(models))
    fail(models + ": " + error.message());
  std::vector<std::pair<std::string, std::string>> result;
  // The shape's heads come from a throwaway model of it (the tool knows
  // the shapes; this one does not).
  for (const std::string &variant :
       orDefault(attentionVariants, {"mha", "gqa4", "mqa"})) {
    std::string path = models + "/" + shape + "-" + variant + ".gguf";
    std::string context = std::to_string(maxLength + decodeTokens);
    if (!llvm::sys::fs::exists(path)) {
      std::string probe = models + "/" + shape + "-probe.json";
      runProgram(makeModel, {"--shape", shape, "--print-shape"}, probe);
      std::optional<llvm::json::Object> object = readJsonObject(probe);
      std::optional<int64_t> heads =
          object ? object->getInteger("heads") : std::nullopt;
      if (!heads)
        fail(probe + ": tfm-make-model --print-shape gave no heads");
      int64_t kvHeads = kvHeadsOf(variant, *heads);
      llvm::errs() << "tfm-lab: making " << path << "\n";
      runProgram(makeModel, {"--shape", shape, "--kv-heads",
                             std::to_string(kvHeads), "--context", context,
                             "--format", "gguf", "--type", "f16", "-o", path});
    }
    result.push_back({variant, path});
  }
  return result;
}

std::string csvRow(const Configuration &config, const Point &p) {
  return llvm::formatv("{0},{1},{2},{3},{4:e6},{5:e6},{6:e6},{7:e6},{8},{9}",
                       config.variant, config.kvType,
                       config.flash ? "flash" : "unfused", p.length,
                       p.prefillSeconds, p.prefillAttentionSeconds,
                       p.decodeSeconds, p.decodeAttentionSeconds, p.kvBytes,
                       p.peakRssBytes)
      .str();
}

/// The gnuplot script of the four figures, read from lab.csv.
std::string gnuplotScript(const std::vector<Configuration> &configs) {
  std::string script;
  llvm::raw_string_ostream os(script);
  os << "# Written by tfm-lab: gnuplot lab.gp (in this directory)\n"
        "set datafile separator ','\n"
        "set logscale xy 2\nset key left top\nset grid\n"
        "set xlabel 'sequence length N (tokens)'\n";
  struct Figure {
    const char *name, *ylabel, *column, *title;
  };
  const Figure figures[] = {
      {"prefill-attention",
       "thread-seconds inside attention kernels (prefill of N)",
       "($6)", "Prefill attention time against N"},
      {"prefill", "prefill seconds (N tokens)", "($5)",
       "Prefill time against N"},
      {"decode", "milliseconds per decoded token at position N", "($7*1000)",
       "Decode time per token against N"},
      {"kv-bytes", "KV-cache bytes", "($9)", "KV-cache bytes against N"},
      {"peak-rss", "peak RSS (MiB)", "($10/1048576)",
       "Peak resident memory against N"}};
  for (const char *terminal : {"pngcairo size 900,600", "svg size 900,600"}) {
    std::string extension =
        llvm::StringRef(terminal).starts_with("png") ? "png" : "svg";
    for (const Figure &figure : figures) {
      os << "set terminal " << terminal << "\n";
      os << "set output '" << figure.name << "." << extension << "'\n";
      os << "set title '" << figure.title << "'\nset ylabel '" << figure.ylabel
         << "'\n";
      os << "plot ";
      for (size_t i = 0; i < configs.size(); ++i) {
        const Configuration &c = configs[i];
        if (llvm::StringRef(figure.name) == "prefill-attention" && !c.flash)
          continue; // not counted: generated loops
        os << (i ? ", " : "") << "'lab.csv' using "
           << "(strcol(1) eq '" << c.variant << "' && strcol(2) eq '"
           << c.kvType << "' && strcol(3) eq '"
           << (c.flash ? "flash" : "unfused")
           << "' ? $4 : NaN):" << figure.column << " with linespoints title '"
           << c.label() << "'";
      }
      os << "\n";
    }
  }
  return script;
}

void printFit(llvm::StringRef what, const PowerLaw &law, double expected) {
  llvm::outs() << llvm::formatv(
      "  {0,-40} exponent {1:F2} (law {2:F0}), residual {3:F3}, {4} points\n",
      what, law.slope, expected, law.residual, law.points);
}

int runSweep(const char *argv0) {
  std::string tools = executableDirectory(argv0);
  if (minLength < 1 || maxLength < minLength)
    fail("--min-length must be at least 1 and at most --max-length");
  if (decodeTokens < 1)
    fail("--decode-tokens must be at least 1");
  if (std::error_code error =
          llvm::sys::fs::create_directories(outputDirectory))
    fail(outputDirectory + ": " + error.message());
  std::vector<int64_t> lengths;
  for (int64_t n = int64_t(1)
                   << int64_t(std::ceil(std::log2(double(minLength))));
       n <= maxLength; n *= 2)
    lengths.push_back(n);
  if (lengths.empty())
    fail("no power of two between --min-length and --max-length");

  std::vector<Configuration> configs;
  for (auto &[variant, path] : variantModels(tools))
    for (const std::string &kvType : orDefault(kvTypes, {"f16"}))
      for (const std::string &mode : orDefault(flashModes, {"on"})) {
        if (mode != "on" && mode != "off")
          fail("--flash takes on and off, got '" + mode + "'");
        if (!llvm::is_contained(kKVTypeNames, kvType))
          fail("unknown --kv-type '" + kvType + "' (" +
               llvm::join(llvm::ArrayRef(kKVTypeNames), ", ") + ")");
        CompileOptions options;
        options.contextLength = maxLength + decodeTokens;
        options.kvType = kvType;
        options.gqaKvHeads = convertToGqa;
        if (mode == "off")
          options.disabledOptimizations.push_back("flash-attention");
        options.progress = &llvm::errs();
        Configuration config;
        config.variant =
            convertToGqa > 0
                ? variant + "-to-gqa" + std::to_string(convertToGqa.getValue())
                : variant;
        config.kvType = kvType;
        config.flash = mode == "on";
        llvm::Expected<std::string> directory =
            compiledModelDirectory(path, OpenOptions(), options);
        if (!directory)
          fail(llvm::toString(directory.takeError()));
        config.directory = *directory;
        llvm::json::Object manifest = readManifest(config.directory);
        config.layers = hyperparameter(manifest, "layers");
        config.kvHeads = hyperparameter(manifest, "kv_heads");
        config.heads = hyperparameter(manifest, "heads");
        config.headDim = hyperparameter(manifest, "head_dim");
        configs.push_back(std::move(config));
      }

  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&executableDirectory));
  std::string pointFile = outputDirectory + "/point.json";
  for (Configuration &config : configs) {
    for (int64_t n : lengths) {
      int64_t needed = pointBytes(config, n);
      if (needed > availableMemory() * 3 / 5) {
        llvm::errs() << llvm::formatv(
            "tfm-lab: {0}: skipping N = {1}: it needs ~{2:F1} GiB\n",
            config.label(), n, needed / double(1 << 30));
        break;
      }
      llvm::errs() << llvm::formatv("tfm-lab: {0}: N = {1}\n", config.label(),
                                    n);
      // The redirect does not truncate: a shorter object would keep the
      // tail of the last one.
      llvm::sys::fs::remove(pointFile);
      // A point the machine cannot run (killed for memory, most likely:
      // the estimate above is a lower bound) ends its configuration, not
      // the sweep.
      std::string failure = tryProgram(
          self,
          {"--point-dir", config.directory, "--point-length",
           std::to_string(n), "--decode-tokens", std::to_string(decodeTokens),
           "-t", std::to_string(threads)},
          llvm::StringRef(pointFile));
      if (!failure.empty()) {
        llvm::errs() << "tfm-lab: " << config.label() << ": N = " << n
                     << " did not finish, the configuration stops here: "
                     << failure << "\n";
        break;
      }
      std::optional<llvm::json::Object> point = readJsonObject(pointFile);
      if (!point)
        fail(pointFile + ": not the JSON of a point");
      const llvm::json::Object *o = &*point;
      Point p;
      p.length = n;
      p.prefillSeconds = o->getNumber("prefill_seconds").value_or(0);
      p.prefillAttentionSeconds =
          o->getNumber("prefill_attention_seconds").value_or(0);
      p.decodeSeconds = o->getNumber("decode_seconds").value_or(0);
      p.decodeAttentionSeconds =
          o->getNumber("decode_attention_seconds").value_or(0);
      p.kvBytes = o->getInteger("kv_bytes").value_or(0);
      p.peakRssBytes = o->getInteger("peak_rss_bytes").value_or(0);
      p.threads = int(o->getInteger("threads").value_or(1));
      config.points.push_back(p);
    }
  }
  llvm::sys::fs::remove(pointFile);

  // The CSV, the table and the fits.
  std::string csvPath = outputDirectory + "/lab.csv";
  std::error_code error;
  llvm::raw_fd_ostream csv(csvPath, error);
  if (error)
    fail(csvPath + ": " + error.message());
  csv << "variant,kv_type,attention,n,prefill_s,prefill_attention_s,"
         "decode_s_per_token,decode_attention_s_per_token,kv_bytes,"
         "peak_rss_bytes\n";
  for (const Configuration &config : configs)
    for (const Point &p : config.points)
      csv << csvRow(config, p) << "\n";
  csv.close();

  for (const Configuration &config : configs) {
    llvm::outs() << config.label() << " (" << config.layers << " layers, "
                 << config.heads << " heads, " << config.kvHeads
                 << " KV heads, head_dim " << config.headDim << ")\n";
    llvm::outs() << llvm::formatv(
        "  {0,7} {1,11} {2,10} {3,11} {4,12} {5,10}\n", "N", "prefill s",
        "attn share", "decode ms", "KV MiB", "RSS MiB");
    std::vector<double> n, attention, prefill, decodeUpper, nUpper,
        decodeAttention, kv;
    bool kvExact = true;
    for (size_t i = 0; i < config.points.size(); ++i) {
      const Point &p = config.points[i];
      double share = p.prefillSeconds > 0
                         ? p.prefillAttentionSeconds /
                               (p.prefillSeconds * std::max(p.threads, 1))
                         : 0;
      llvm::outs() << llvm::formatv(
          "  {0,7} {1,11:F4} {2,10} {3,11:F3} {4,12:F2} {5,10:F1}\n", p.length,
          p.prefillSeconds,
          config.flash ? llvm::formatv("{0:P1}", share).str() : "n/a",
          p.decodeSeconds * 1e3, p.kvBytes / double(1 << 20),
          p.peakRssBytes / double(1 << 20));
      n.push_back(double(p.length));
      attention.push_back(p.prefillAttentionSeconds);
      prefill.push_back(p.prefillSeconds);
      decodeAttention.push_back(p.decodeAttentionSeconds);
      kv.push_back(double(p.kvBytes));
      if (2 * i >= config.points.size()) {
        nUpper.push_back(double(p.length));
        decodeUpper.push_back(p.decodeSeconds);
      }
      kvExact &= p.kvBytes == config.layers * 2 * config.kvHeads * p.length *
                                  config.rowBytes();
    }
    if (config.flash)
      printFit("prefill attention time ~ N^a", fitPowerLaw(n, attention), 2);
    printFit("prefill time ~ N^a", fitPowerLaw(n, prefill), 2);
    if (config.flash)
      printFit("decode attention time per token ~ N^a",
               fitPowerLaw(n, decodeAttention), 1);
    printFit("decode time per token ~ N^a (upper half)",
             fitPowerLaw(nUpper, decodeUpper), 1);
    printFit("KV bytes ~ N^a", fitPowerLaw(n, kv), 1);
    llvm::outs() << llvm::formatv(
        "  KV bytes = {0} layers x 2 x {1} KV heads x {2} bytes a row x N: "
        "{3}\n",
        config.layers, config.kvHeads, config.rowBytes(),
        kvExact ? "exact at every N" : "VIOLATED");
    if (!kvExact)
      fail("the KV-cache bytes do not follow the law");
  }

  std::string scriptPath = outputDirectory + "/lab.gp";
  llvm::raw_fd_ostream script(scriptPath, error);
  if (error)
    fail(scriptPath + ": " + error.message());
  script << gnuplotScript(configs);
  script.close();
  if (noPlots)
    return 0;
  llvm::ErrorOr<std::string> gnuplot = llvm::sys::findProgramByName("gnuplot");
  if (!gnuplot) {
    llvm::errs() << "tfm-lab: note: gnuplot not found; the figures are not "
                    "drawn (apt-get install gnuplot-nox, then gnuplot "
                 << scriptPath << ")\n";
    return 0;
  }
  std::vector<llvm::StringRef> args = {*gnuplot, "lab.gp"};
  std::string error2;
  llvm::SmallString<256> current;
  llvm::sys::fs::current_path(current);
  llvm::sys::fs::set_current_path(outputDirectory);
  int status = llvm::sys::ExecuteAndWait(*gnuplot, args, std::nullopt, {}, 0, 0,
                                         &error2);
  llvm::sys::fs::set_current_path(current);
  if (status != 0)
    fail("gnuplot " + scriptPath + " failed" +
         (error2.empty() ? "" : ": " + error2));
  llvm::outs() << "figures: " << outputDirectory
               << "/{prefill-attention,prefill,decode,kv-bytes,peak-rss}"
                  ".{png,svg}\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Attention cost against the sequence length\n");
  if (!pointDirectory.empty())
    return runPoint();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  return runSweep(argv[0]);
}
