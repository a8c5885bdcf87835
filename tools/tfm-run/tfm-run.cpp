//===- tfm-run.cpp - generate text with a compiled model ------------------===//
//
//   tfm-run MODEL_OR_DIR -p PROMPT | -f FILE [-n N] [-t THREADS] [-c CONTEXT]
//           [--temp T] [--top-k K] [--top-p P] [--repeat-penalty R]
//           [--repeat-last-n N] [--seed S] [-i] [--json]
//           [--kv-sinks S] [--kv-window W] [--no-context-shift]
//
// Flags mean what they mean in llama.cpp's llama-cli, with its defaults. A
// model file is compiled into the cache on first use (see
// compiledModelDirectory). The prompt is prefilled in one batched call,
// then tokens are sampled, printed as they come and decoded one by one
// until EOS or -n tokens. When the KV cache fills, llama.cpp's context
// shift makes room: the first S tokens (the attention sinks) and the last
// W stay, the ones between go (tfm_context_shift re-rotates the kept keys).
// With -i, further prompts are read from stdin, one per line, on the same
// KV cache.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/CompileFlags.h"
#include "tfm/Compiler/CompiledVocabulary.h"
#include "tfm/Compiler/Compiler.h"
#include "tfm/Driver/Sampler.h"
#include "tfm/Import/ChatFormat.h"
#include "tfm/Driver/Utf8Stream.h"
#include "tfm/Runtime/tfm.h"
#include "tfm/Import/TokenizerFile.h"

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
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <sys/resource.h>

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-run options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file or compiled directory>"),
                               cl::cat(category));
cl::opt<std::string> prompt("p", cl::desc("Prompt"), cl::cat(category));
cl::alias promptLong("prompt", cl::aliasopt(prompt));
cl::opt<std::string> promptFile(
    "f", cl::desc("Read the prompt from this file (one trailing newline "
                  "dropped, as llama.cpp does)"),
    cl::value_desc("file"), cl::cat(category));
cl::alias promptFileLong("file", cl::aliasopt(promptFile));
cl::opt<int> predict("n",
                     cl::desc("Tokens to generate (-1: until EOS, or with "
                              "--no-context-shift the end of the context)"),
                     cl::init(-1), cl::cat(category));
cl::alias predictLong("n-predict", cl::aliasopt(predict));
cl::opt<int> threads("t", cl::desc("Threads (0: one per CPU; at most the CPUs this process may run on)"), cl::init(0),
                     cl::cat(category));
cl::opt<int> contextSize("c",
                         cl::desc("Context length (0: the compiled model's)"),
                         cl::init(0), cl::cat(category));
cl::alias contextLong("ctx-size", cl::aliasopt(contextSize));
cl::opt<float> temperature("temp", cl::desc("Temperature (0: greedy)"),
                           cl::init(0.8f), cl::cat(category));
cl::opt<int> topK("top-k", cl::desc("Top-k sampling (0: off)"), cl::init(40),
                  cl::cat(category));
cl::opt<float> topP("top-p", cl::desc("Top-p sampling (1: off)"),
                    cl::init(0.95f), cl::cat(category));
cl::opt<float> repeatPenalty("repeat-penalty",
                             cl::desc("Repetition penalty (1: off)"),
                             cl::init(1.0f), cl::cat(category));
cl::opt<int> repeatLastN("repeat-last-n",
                         cl::desc("Tokens the penalty looks back over (0: "
                                  "off, -1: the context's length)"),
                         cl::init(64), cl::cat(category));
cl::opt<int64_t> seed("seed", cl::desc("Random seed (-1: a random one)"),
                      cl::init(-1), cl::cat(category));
cl::opt<bool> interactive("i",
                          cl::desc("Interactive: read more prompts from "
                                   "stdin, one per line"),
                          cl::cat(category));
cl::alias interactiveLong("interactive", cl::aliasopt(interactive));
cl::opt<bool> chat("chat",
                   cl::desc("Conversation: each line of stdin is a user "
                            "message in the model's chat template; the KV "
                            "cache is kept across turns"),
                   cl::cat(category));
cl::alias chatShort("cnv", cl::aliasopt(chat));
cl::opt<std::string> chatTemplate(
    "chat-template",
    cl::desc("With --chat: the chat format instead of the model's template "
             "(llama2, llama3, chatml, gemma, phi3, mistral)"),
    cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> systemPrompt("system-prompt",
                                  cl::desc("With --chat: a system message"),
                                  cl::value_desc("text"), cl::cat(category));
cl::alias systemPromptShort("sys", cl::aliasopt(systemPrompt));
cl::opt<bool> json("json", cl::desc("Print the statistics as JSON"),
                   cl::cat(category));
CompileFlags compileFlags(category);
cl::opt<int> kvSinks(
    "kv-sinks",
    cl::desc("Context shift: tokens at the start of the cache that always "
             "stay, the attention sinks (-1: BOS when the model adds one, as "
             "llama.cpp keeps it)"),
    cl::init(-1), cl::cat(category));
cl::opt<int> kvWindow(
    "kv-window",
    cl::desc("Context shift: the most recent tokens that stay when the cache "
             "is full (-1: half of the rest, as llama.cpp discards half)"),
    cl::init(-1), cl::cat(category));
cl::opt<bool> noContextShift(
    "no-context-shift",
    cl::desc("Stop at the end of the context instead of shifting it"),
    cl::cat(category));
cl::opt<bool> ignoreEos(
    "ignore-eos",
    cl::desc("Go on past the end-of-text token (as llama.cpp's --ignore-eos: "
             "for long runs and soak tests)"),
    cl::cat(category));
cl::opt<int> statsEvery(
    "stats-every",
    cl::desc("Every N generated tokens, print one line to stderr: tokens so "
             "far, decode tok/s over the last N, peak RSS, context shifts "
             "(a soak test watches them stay flat)"),
    cl::init(0), cl::value_desc("N"), cl::cat(category));
cl::opt<bool> noDisplayPrompt("no-display-prompt",
                              cl::desc("Print only the generated text"),
                              cl::cat(category));

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-run: " << message << "\n";
  std::exit(1);
}

void check(tfm_status status, llvm::StringRef what) {
  if (status != TFM_OK)
    fail(what + ": " + tfm_last_error());
}

void validateFlags() {
  if (predict < -1)
    fail("-n must be -1 or more, got " + llvm::Twine(predict));
  if (threads < 0)
    fail("-t must not be negative, got " + llvm::Twine(threads));
  if (contextSize < 0)
    fail("-c must not be negative, got " + llvm::Twine(contextSize));
  if (temperature < 0)
    fail("--temp must not be negative");
  if (topK < 0)
    fail("--top-k must not be negative");
  if (!(topP > 0 && topP <= 1))
    fail("--top-p must be in (0, 1]");
  if (!(repeatPenalty > 0))
    fail("--repeat-penalty must be positive");
  if (repeatLastN < -1)
    fail("--repeat-last-n must be -1 or more");
  if (statsEvery < 0)
    fail("--stats-every must not be negative, got " + llvm::Twine(statsEvery));
  if (kvSinks < -1)
    fail("--kv-sinks must be -1 or more, got " + llvm::Twine(kvSinks));
  if (kvWindow < -1)
    fail("--kv-window must be -1 or more, got " + llvm::Twine(kvWindow));
  if (prompt.getNumOccurrences() > 0 && promptFile.getNumOccurrences() > 0)
    fail("give the prompt with -p or -f, not both");
  if (!interactive && !chat && prompt.getNumOccurrences() == 0 &&
      promptFile.getNumOccurrences() == 0)
    fail("no prompt: give -p PROMPT or -f FILE (or -i to read prompts from "
         "stdin)");
}

/// The first prompt: -p's text, or -f's file without one trailing newline;
/// none when neither was given (-i alone).
std::optional<std::string> firstPrompt() {
  if (prompt.getNumOccurrences() > 0)
    return prompt.getValue();
  if (promptFile.getNumOccurrences() == 0)
    return std::nullopt;
  auto text = llvm::MemoryBuffer::getFile(promptFile, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!text)
    fail(promptFile + ": " + text.getError().message());
  llvm::StringRef contents = (*text)->getBuffer();
  contents.consume_back("\n");
  return contents.str();
}

/// Why generation stopped.
enum class Stop { EndOfText, Length, ContextFull };

llvm::StringRef describe(Stop stop) {
  switch (stop) {
  case Stop::EndOfText:
    return "eos";
  case Stop::Length:
    return "length";
  case Stop::ContextFull:
    return "context";
  }
  return "";
}

struct Statistics {
  int64_t promptTokens = 0, generatedTokens = 0, decodeCalls = 0;
  int64_t contextShifts = 0;
  double prefillSeconds = 0, decodeSeconds = 0, shiftSeconds = 0;
};

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t peakResidentBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024; // Linux reports KiB
}

/// What a full KV cache keeps (--kv-sinks, --kv-window, --no-context-shift).
struct ContextShift {
  bool enabled = true;
  int32_t sinks = 0;
  int32_t window = 0;
};

/// The flags resolved against the context: -1 sinks is BOS when the model
/// adds one; -1 window half of the rest (llama.cpp's n_discard = n_left / 2).
ContextShift resolveContextShift(const Tokenizer &tokenizer, int32_t length) {
  ContextShift shift;
  shift.enabled = !noContextShift;
  shift.sinks = kvSinks >= 0 ? kvSinks : tokenizer.vocabulary().addBos ? 1 : 0;
  shift.window = kvWindow >= 0 ? kvWindow : (length - shift.sinks) / 2;
  if (shift.enabled && shift.sinks + shift.window >= length)
    fail(llvm::formatv("--kv-sinks {0} and --kv-window {1} leave no room in "
                       "the context of {2} tokens (their sum must be less)",
                       shift.sinks, shift.window, length));
  return shift;
}

/// One model, one context, one conversation.
class Session {
public:
  Session(tfm_model *model, tfm_context *context, Tokenizer tokenizer,
          Sampler sampler, ContextShift shift)
      : model(model), context(context), tokenizer(std::move(tokenizer)),
        sampler(std::move(sampler)), shift(shift) {}

  /// Prefills `text` (with BOS on the first turn; printed if `echo`), then
  /// generates up to `limit` tokens (-1: no limit), printing them as they
  /// come.
  Stop turn(llvm::StringRef text, int limit, bool echo,
            bool parseSpecial = false) {
    std::vector<int32_t> fresh =
        tokenizer.encode(text, history.empty(), parseSpecial);
    // The last token of a turn cut by -n is in the history but not yet in
    // the KV cache: it goes in first.
    std::vector<int32_t> tokens;
    if (pendingToken >= 0)
      tokens.push_back(pendingToken);
    pendingToken = -1;
    tokens.insert(tokens.end(), fresh.begin(), fresh.end());
    if (tokens.empty())
      return Stop::Length;
    if (!makeRoom(int32_t(tokens.size()))) {
      if (history.empty())
        fail(llvm::formatv("the prompt of {0} tokens does not fit the "
                           "context of {1} tokens (raise -c)",
                           tokens.size(), tfm_context_length(context)));
      return Stop::ContextFull;
    }
    const float *logits = nullptr;
    Clock::time_point start = Clock::now();
    check(tfm_prefill(context, tokens.data(), tokens.size(), &logits),
          "prefill");
    stats.prefillSeconds += secondsSince(start);
    stats.promptTokens += tokens.size();
    for (int32_t token : fresh) {
      // The first token too: without BOS (GPT-2, Qwen) it is text.
      if (echo)
        print(utf8.push(tokenizer.decode(
            history.empty() ? kNoToken : history.back(), token)));
      history.push_back(token);
    }
    return generate(logits, limit);
  }

  /// An encoder-decoder's (T5) turn: `text` is the source, encoded once
  /// (with the end-of-text mark the tokenizer appends); the output is
  /// generated from the decoder's start token, as llama.cpp does.
  Stop translate(llvm::StringRef text, int limit, bool echo) {
    std::vector<int32_t> source =
        tokenizer.encode(text, /*addSpecial=*/true, /*parseSpecial=*/false);
    if (source.empty())
      fail("the prompt is empty: an encoder-decoder model needs a source "
           "text");
    if (int64_t(source.size()) > tfm_context_length(context))
      fail(llvm::formatv("the prompt of {0} tokens does not fit the context "
                         "of {1} tokens (raise -c)",
                         source.size(), tfm_context_length(context)));
    if (echo)
      print(text.str() + "\n");
    const float *logits = nullptr;
    int32_t first = tfm_model_decoder_start_token(model);
    Clock::time_point start = Clock::now();
    check(tfm_encode_source(context, source.data(), int32_t(source.size())),
          "encode");
    check(tfm_prefill(context, &first, 1, &logits), "prefill");
    stats.prefillSeconds += secondsSince(start);
    stats.promptTokens += source.size();
    history.assign({first});
    pendingToken = -1;
    return generate(logits, limit);
  }

  /// Text still held back at the end (an incomplete character).
  void finish() { print(utf8.finish()); }

  /// The text the last turn generated (when recorded: --chat needs it).
  const std::string &lastAnswer() const { return answer; }
  void recordAnswerText() { recordAnswers = true; }

  const Statistics &statistics() const { return stats; }

private:
  Stop generate(const float *logits, int limit) {
    int32_t vocab = tfm_model_vocab_size(model);
    answer.clear();
    for (int generated = 0;; ++generated) {
      if (limit >= 0 && generated == limit)
        return Stop::Length;
      if (ignoreEos) {
        std::array<int32_t, 2> ends = tokenizer.endOfGeneration();
        logits = withoutTokens(logits, size_t(vocab), ends.data(), ends.size(),
                               biased);
      }
      int32_t token = sampler.sample(logits, size_t(vocab), history);
      if (tokenizer.endsGeneration(token))
        return Stop::EndOfText;
      std::string piece = tokenizer.decode(history.back(), token);
      if (recordAnswers)
        answer += piece;
      print(utf8.push(piece));
      history.push_back(token);
      boundHistory();
      ++stats.generatedTokens;
      if (limit >= 0 && generated + 1 == limit) {
        pendingToken = token; // fed to the model with the next prompt
        return Stop::Length;
      }
      if (!makeRoom(1))
        return Stop::ContextFull;
      Clock::time_point start = Clock::now();
      check(tfm_decode(context, token, &logits), "decode");
      stats.decodeSeconds += secondsSince(start);
      ++stats.decodeCalls;
      if (statsEvery > 0 && stats.decodeCalls % statsEvery == 0)
        printProgress();
    }
  }

  /// Shifts the context when fewer than `needed` positions are left: down
  /// to the window, or further when a long prompt needs more room; false
  /// when it cannot be made (no shift, or not even the sinks alone leave
  /// enough).
  bool makeRoom(int32_t needed) {
    int32_t length = tfm_context_length(context);
    int32_t position = tfm_context_position(context);
    if (length - position >= needed)
      return true;
    int32_t discard = std::max(position - shift.sinks - shift.window,
                               needed - (length - position));
    if (!shift.enabled || discard > position - shift.sinks)
      return false;
    Clock::time_point start = Clock::now();
    check(tfm_context_shift(context, shift.sinks, discard), "context shift");
    stats.shiftSeconds += secondsSince(start);
    ++stats.contextShifts;
    return true;
  }

  /// Keeps the history to what the sampler can look at (the repeat
  /// penalty's window; with -1 the context, as llama.cpp's
  /// penalty_last_n = -1 means), so a run of a million tokens holds a
  /// bounded history. Trimmed in halves: amortized constant time.
  void boundHistory() {
    size_t keep = size_t(std::max<int64_t>(
        {int64_t(tfm_context_length(context)), int64_t(repeatLastN), 1}));
    if (history.size() > 2 * keep)
      history.erase(history.begin(), history.end() - keep);
  }

  /// One --stats-every line: the decode rate since the last one.
  void printProgress() {
    double seconds = stats.decodeSeconds - progressSeconds;
    progressSeconds = stats.decodeSeconds;
    double rate = seconds > 0 ? statsEvery / seconds : 0;
    int64_t rss = peakResidentBytes();
    if (json) {
      llvm::errs() << llvm::json::Value(llvm::json::Object{
                          {"decoded_tokens", stats.decodeCalls},
                          {"decode_tokens_per_second", rate},
                          {"peak_rss_bytes", rss},
                          {"context_shifts", stats.contextShifts}})
                   << "\n";
      return;
    }
    llvm::errs() << llvm::formatv(
        "tfm-run: {0} tokens decoded, {1:F1} tok/s over the last {2}, peak "
        "RSS {3:F2} MiB, {4} context shifts\n",
        stats.decodeCalls, rate, statsEvery.getValue(),
        rss / double(1 << 20), stats.contextShifts);
  }

  static void print(const std::string &text) {
    if (text.empty())
      return;
    llvm::outs() << text;
    llvm::outs().flush();
  }

  tfm_model *model;
  tfm_context *context;
  Tokenizer tokenizer;
  Sampler sampler;
  ContextShift shift;
  Utf8Stream utf8;
  std::vector<int32_t> history;
  int32_t pendingToken = -1;
  std::string answer;
  bool recordAnswers = false;
  std::vector<float> biased;
  Statistics stats;
  double progressSeconds = 0;
};

/// --chat: the first prompt (-p, -f) and then each line of stdin as a user
/// message; each turn feeds what the template adds (the last answer's
/// closing, the new message, the assistant's opening) and keeps the KV
/// cache.
Stop converse(Session &session, ChatFormat format,
              std::optional<std::string> first) {
  ChatHistory conversation(format);
  session.recordAnswerText();
  std::string pending;
  if (!systemPrompt.empty())
    pending = conversation.add({"system", systemPrompt});
  Stop stop = Stop::Length;
  bool firstTurn = true;
  std::string line;
  while (stop != Stop::ContextFull) {
    if (firstTurn && first) {
      line = *first;
    } else {
      llvm::errs() << "\n> ";
      if (!std::getline(std::cin, line))
        break;
    }
    firstTurn = false;
    std::string text = pending + conversation.add({"user", line});
    stop = session.turn(text, predict, /*echo=*/false, /*parseSpecial=*/true);
    pending = conversation.answer(session.lastAnswer());
  }
  return stop;
}


/// `loadSeconds`: from tfm_model_load to a context ready to prefill (the
/// library, the weights mapped, the KV cache allocated), as llama.cpp's
/// "load time" counts the model and its context.
void printStatistics(const Statistics &stats, Stop stop, tfm_model *model,
                     tfm_context *context, double loadSeconds) {
  double prefillRate =
      stats.prefillSeconds > 0 ? stats.promptTokens / stats.prefillSeconds : 0;
  double decodeRate =
      stats.decodeSeconds > 0 ? stats.decodeCalls / stats.decodeSeconds : 0;
  int64_t kvBytes = tfm_context_kv_bytes(context);
  int64_t weightsBytes = tfm_model_weights_bytes(model);
  int64_t rss = peakResidentBytes();
  if (json) {
    llvm::json::Object object{
        {"prompt_tokens", stats.promptTokens},
        {"generated_tokens", stats.generatedTokens},
        {"prefill_tokens_per_second", prefillRate},
        {"decode_tokens_per_second", decodeRate},
        {"kv_cache_bytes", kvBytes},
        {"weights_bytes", weightsBytes},
        {"peak_rss_bytes", rss},
        {"load_seconds", loadSeconds},
        {"context_shifts", stats.contextShifts},
        {"context_shift_seconds", stats.shiftSeconds},
        {"stop", describe(stop)}};
    llvm::errs() << llvm::json::Value(std::move(object)) << "\n";
    return;
  }
  auto mib = [](int64_t bytes) { return bytes / double(1 << 20); };
  llvm::errs() << llvm::formatv(
      "tfm-run: prompt {0} tokens, prefill {1:F1} tok/s, decode {2:F1} tok/s "
      "({3} tokens), KV cache {4:F2} MiB, weights {5:F2} MiB, peak RSS "
      "{6:F1} MiB, load {7:F2} s\n",
      stats.promptTokens, prefillRate, decodeRate, stats.generatedTokens,
      mib(kvBytes), mib(weightsBytes), mib(rss), loadSeconds);
  if (stats.contextShifts > 0)
    llvm::errs() << llvm::formatv(
        "tfm-run: {0} context shifts ({1:F2} ms each)\n", stats.contextShifts,
        stats.shiftSeconds * 1e3 / stats.contextShifts);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Generate text with a transformer model\n");
  validateFlags();
  // Read before any compile, so a missing file is the first thing said.
  std::optional<std::string> text = firstPrompt();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  llvm::Expected<ToolModel> compiled = compileForTool(modelPath, compileFlags);
  if (!compiled)
    fail(llvm::toString(compiled.takeError()));

  tfm_model *model = nullptr;
  Clock::time_point loadStart = Clock::now();
  check(tfm_model_load(compiled->directory.c_str(), &model), compiled->directory);
  if (tfm_model_is_encoder(model))
    fail(modelPath + " is an encoder model (BERT): it embeds texts and "
                     "generates none; use tfm-embed");
  bool seq2seq = tfm_model_is_encoder_decoder(model);
  if (seq2seq && chat)
    fail(modelPath + " is an encoder-decoder model (T5): it has no chat "
                     "format; give the source text with -p or -f");
  std::optional<ChatFormat> format;
  if (chat) {
    llvm::Expected<ChatFormat> resolved =
        resolveChatFormat(chatTemplate, compiled->vocabulary.chatTemplate,
                          modelPath);
    if (!resolved)
      fail(llvm::toString(resolved.takeError()));
    format = *resolved;
  }
  if (contextSize > tfm_model_max_context(model))
    fail(llvm::formatv("-c {0} exceeds the context the model was compiled "
                       "for ({1})",
                       contextSize.getValue(), tfm_model_max_context(model)));
  tfm_context *context = nullptr;
  check(tfm_context_create(model, contextSize, threads, &context), "context");
  double loadSeconds = secondsSince(loadStart);
  if (threads > tfm_context_threads(context))
    llvm::errs() << llvm::formatv("tfm-run: note: -t {0} exceeds the CPUs this "
                                  "process may run on ({1}); using {1}\n",
                                  threads.getValue(),
                                  tfm_context_threads(context));

  SamplerOptions samplerOptions;
  samplerOptions.temperature = temperature;
  samplerOptions.topK = topK;
  samplerOptions.topP = topP;
  samplerOptions.repeatPenalty = repeatPenalty;
  samplerOptions.repeatLastN = repeatLastN;
  samplerOptions.seed = seed >= 0 ? uint64_t(seed) : std::random_device()();
  Tokenizer tokenizer(std::move(compiled->vocabulary));
  ContextShift shift =
      resolveContextShift(tokenizer, tfm_context_length(context));
  // An encoder-decoder's output ends with its context.
  if (seq2seq)
    shift.enabled = false;
  Session session(model, context, std::move(tokenizer),
                  Sampler(samplerOptions), shift);

  Stop stop = Stop::Length;
  if (format)
    stop = converse(session, *format, text);
  else if (text && seq2seq)
    stop = session.translate(*text, predict, !noDisplayPrompt);
  else if (text)
    stop = session.turn(*text, predict, !noDisplayPrompt);
  if (interactive && !format) {
    std::string line;
    // An encoder-decoder takes each line as a new source.
    while (stop != Stop::ContextFull || seq2seq) {
      llvm::errs() << "\n> ";
      if (!std::getline(std::cin, line))
        break;
      stop = seq2seq ? session.translate(line, predict, /*echo=*/false)
                     : session.turn(line, predict, /*echo=*/false);
    }
  }
  session.finish();
  llvm::outs() << "\n";
  llvm::outs().flush();
  if (stop == Stop::ContextFull)
    llvm::errs() << llvm::formatv(
        "tfm-run: stopped at the end of the context ({0} tokens)\n",
        tfm_context_length(context));
  printStatistics(session.statistics(), stop, model, context, loadSeconds);
  tfm_context_free(context);
  tfm_model_free(model);
  return 0;
}
