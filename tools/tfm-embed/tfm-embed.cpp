//===- tfm-embed.cpp - embeddings of texts with a compiled model ----------===//
//
//   tfm-embed MODEL_OR_DIR -p TEXT [-p TEXT ...] [-f FILE] [-t THREADS]
//             [--pooling mean|cls|last|none] [--normalize] [--truncate]
//             [--json] [--similarity]
//
// Prints one embedding per text, as llama.cpp's llama-embedding does. An
// encoder (BERT) encodes every text in one call (tfm_encode: each text
// attends to its own tokens); a decoder is compiled with its `embed` entry
// point and runs one text at a time (tfm_embed). The pooling is the model
// file's unless --pooling overrides it. --similarity adds the matrix of
// cosine similarities between the texts. Speed and memory go to stderr as
// tfm-run reports them.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/CompileFlags.h"
#include "tfm/Runtime/tfm.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <vector>

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-embed options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file or compiled directory>"),
                               cl::cat(category));
cl::list<std::string> prompts("p", cl::desc("A text to embed (repeatable)"),
                              cl::cat(category));
cl::alias promptsLong("prompt", cl::aliasopt(prompts));
cl::opt<std::string> textFile("f", cl::desc("Embed each line of this file"),
                              cl::value_desc("file"), cl::cat(category));
cl::alias textFileLong("file", cl::aliasopt(textFile));
cl::opt<int> threads("t", cl::desc("Threads (0: one per CPU)"), cl::init(0),
                     cl::cat(category));
cl::opt<std::string> pooling(
    "pooling",
    cl::desc("mean | cls | last | none (default: the model file's; last for "
             "a decoder)"),
    cl::cat(category));
cl::opt<bool> normalize("normalize",
                        cl::desc("Scale every embedding to unit length"),
                        cl::cat(category));
cl::opt<bool> truncate(
    "truncate",
    cl::desc("Cut a text longer than the model's positions to fit (noted on "
             "stderr) instead of failing"),
    cl::cat(category));
cl::opt<bool> json("json", cl::desc("Print OpenAI-style JSON"),
                   cl::cat(category));
cl::opt<bool> similarity(
    "similarity",
    cl::desc("Also print the cosine similarity of every pair of texts"),
    cl::cat(category));
CompileFlags compileFlags(category);

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-embed: " << message << "\n";
  std::exit(1);
}

void check(tfm_status status, llvm::StringRef what) {
  if (status != TFM_OK)
    fail(what + ": " + tfm_last_error());
}

/// The texts of -p, then the lines of -f.
std::vector<std::string> readTexts() {
  std::vector<std::string> texts(prompts.begin(), prompts.end());
  if (!textFile.empty()) {
    auto file = llvm::MemoryBuffer::getFile(textFile, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
    if (!file)
      fail(textFile + ": " + file.getError().message());
    llvm::SmallVector<llvm::StringRef> lines;
    (*file)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef line : lines)
      texts.push_back(line.rtrim('\r').str());
  }
  if (texts.empty())
    fail("no text: give -p TEXT (repeatable) or -f FILE");
  for (auto [i, text] : llvm::enumerate(texts))
    if (text.empty())
      fail(llvm::formatv("text {0} is empty", i));
  return texts;
}

tfm_pooling resolvePooling(tfm_model *model) {
  if (pooling.empty())
    return tfm_model_pooling(model);
  bool encoder = tfm_model_is_encoder(model);
  if (pooling == "mean")
    return TFM_POOLING_MEAN;
  if (pooling == "last")
    return TFM_POOLING_LAST;
  if (pooling == "cls" && encoder)
    return TFM_POOLING_CLS;
  if (pooling == "none" && encoder)
    return TFM_POOLING_NONE;
  fail("unknown --pooling '" + pooling + "' (" +
       (encoder ? "mean, cls, last or none" : "a decoder pools mean or last") +
       ")");
}

/// The token ids of every text, each within `limit` tokens (cut with a
/// note under --truncate).
std::vector<std::vector<int32_t>> tokenize(const Tokenizer &tokenizer,
                                           const std::vector<std::string> &texts,
                                           int32_t limit) {
  std::vector<std::vector<int32_t>> tokens;
  for (auto [i, text] : llvm::enumerate(texts)) {
    std::vector<int32_t> ids = tokenizer.encode(text, /*addSpecial=*/true);
    if (int64_t(ids.size()) > limit) {
      if (!truncate)
        fail(llvm::formatv("text {0} is {1} tokens, more than the model's {2} "
                           "positions (--truncate cuts it)",
                           i, ids.size(), limit));
      llvm::errs() << llvm::formatv(
          "tfm-embed: note: text {0} cut from {1} to {2} tokens\n", i,
          ids.size(), limit);
      ids.resize(size_t(limit));
    }
    tokens.push_back(std::move(ids));
  }
  return tokens;
}

double cosine(const float *a, const float *b, int64_t dim) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t j = 0; j < dim; ++j) {
    dot += double(a[j]) * b[j];
    na += double(a[j]) * a[j];
    nb += double(b[j]) * b[j];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

void printEmbeddings(const std::vector<float> &rows, int64_t dim,
                     size_t texts) {
  size_t count = rows.size() / size_t(dim);
  if (json) {
    llvm::json::Array data;
    for (size_t r = 0; r < count; ++r) {
      llvm::json::Array values;
      for (int64_t j = 0; j < dim; ++j)
        values.push_back(double(rows[r * size_t(dim) + size_t(j)]));
      data.push_back(llvm::json::Object{{"object", "embedding"},
                                        {"index", int64_t(r)},
                                        {"embedding", std::move(values)}});
    }
    llvm::json::Object object{{"object", "list"}, {"data", std::move(data)}};
    if (similarity && count == texts) {
      llvm::json::Array matrix;
      for (size_t a = 0; a < count; ++a) {
        llvm::json::Array row;
        for (size_t b = 0; b < count; ++b)
          row.push_back(cosine(&rows[a * size_t(dim)], &rows[b * size_t(dim)],
                               dim));
        matrix.push_back(std::move(row));
      }
      object["cosine_similarity"] = std::move(matrix);
    }
    llvm::outs() << llvm::json::Value(std::move(object)) << "\n";
    return;
  }
  for (size_t r = 0; r < count; ++r) {
    llvm::outs() << "embedding " << r << ":";
    for (int64_t j = 0; j < dim; ++j)
      llvm::outs() << llvm::formatv(" {0:F6}", rows[r * size_t(dim) + size_t(j)]);
    llvm::outs() << "\n";
  }
  if (!similarity || count != texts)
    return;
  llvm::outs() << "cosine similarity matrix:\n";
  for (size_t a = 0; a < count; ++a) {
    for (size_t b = 0; b < count; ++b)
      llvm::outs() << llvm::formatv("{0,7:F4}", cosine(&rows[a * size_t(dim)],
                                                       &rows[b * size_t(dim)],
                                                       dim));
    llvm::outs() << "\n";
  }
}

int64_t peakResidentBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024; // Linux reports KiB
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "Embed texts with a model\n");
  if (threads < 0)
    fail("-t must not be negative, got " + llvm::Twine(threads));
  if (!pooling.empty() && pooling != "mean" && pooling != "cls" &&
      pooling != "last" && pooling != "none")
    fail("unknown --pooling '" + pooling + "' (mean, cls, last or none)");
  std::vector<std::string> texts = readTexts();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // A decoder embeds through its `embed` entry point.
  compileFlags.embeddings.setValue(true);
  llvm::Expected<ToolModel> compiled = compileForTool(modelPath, compileFlags);
  if (!compiled)
    fail(llvm::toString(compiled.takeError()));

  tfm_model *model = nullptr;
  check(tfm_model_load(compiled->directory.c_str(), &model),
        compiled->directory);
  if (tfm_model_is_encoder_decoder(model))
    fail(modelPath + " is an encoder-decoder model (T5): it generates text; "
                     "use tfm-run");
  tfm_context *context = nullptr;
  check(tfm_context_create(model, 0, threads, &context), "context");
  tfm_pooling pool = resolvePooling(model);
  Tokenizer tokenizer(std::move(compiled->vocabulary));
  std::vector<std::vector<int32_t>> tokens =
      tokenize(tokenizer, texts, tfm_context_length(context));

  int64_t dim = tfm_model_embedding_size(model);
  std::vector<int32_t> packed, lengths;
  for (const std::vector<int32_t> &ids : tokens) {
    packed.insert(packed.end(), ids.begin(), ids.end());
    lengths.push_back(int32_t(ids.size()));
  }
  size_t rows = pool == TFM_POOLING_NONE ? packed.size() : texts.size();
  std::vector<float> embeddings(rows * size_t(dim));
  auto start = std::chrono::steady_clock::now();
  if (tfm_model_is_encoder(model)) {
    check(tfm_encode(context, packed.data(), nullptr, lengths.data(),
                     int32_t(lengths.size()), pool, normalize ? 1 : 0,
                     embeddings.data()),
          "encode");
  } else {
    // tfm_embed gives unit-length embeddings; a decoder has no other.
    for (size_t t = 0; t < tokens.size(); ++t)
      check(tfm_embed(context, tokens[t].data(), int32_t(tokens[t].size()),
                      pool, &embeddings[t * size_t(dim)]),
            "embed");
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  printEmbeddings(embeddings, dim, texts.size());

  auto mib = [](int64_t bytes) { return bytes / double(1 << 20); };
  llvm::errs() << llvm::formatv(
      "tfm-embed: {0} texts, {1} tokens in {2:F2} ms: {3:F1} texts/s, {4:F1} "
      "tok/s, weights {5:F2} MiB, peak RSS {6:F1} MiB\n",
      texts.size(), packed.size(), seconds * 1e3, texts.size() / seconds,
      packed.size() / seconds, mib(int64_t(tfm_model_weights_bytes(model))),
      mib(peakResidentBytes()));
  tfm_context_free(context);
  tfm_model_free(model);
  return 0;
}
