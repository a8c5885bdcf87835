//===- tfm-tokenize.cpp - encode and decode text with a vocabulary --------===//
//
//   tfm-tokenize VOCAB [--no-bos] [--special] [--pieces] [--] TEXT
//   tfm-tokenize VOCAB [...] -f FILE
//   tfm-tokenize VOCAB --chat [--system TEXT] [--chat-template NAME] TEXT
//   tfm-tokenize VOCAB --decode ID...
//   tfm-tokenize VOCAB --write-vocabulary FILE
//
// VOCAB is a GGUF file (its tokenizer.ggml.* metadata), a Hugging Face
// tokenizer.json (or the directory holding it, with tokenizer_config.json),
// a BERT vocab.txt, a compiled model directory (or its vocabulary.bin) or a llama2.c
// tokenizer file. Prints the token ids of TEXT, one line, space separated;
// with --decode prints the text of the ids.
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/ModelFile.h"
#include "tfm/Import/TokenizerFile.h"
#include "tfm/Import/TokenizerJson.h"
#include "tfm/Import/ChatFormat.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-tokenize options");
cl::opt<std::string> vocabPath(cl::Positional, cl::Required,
                               cl::desc("<GGUF file, tokenizer.json or its directory, BERT vocab.txt, compiled model directory, or llama2.c tokenizer file>"),
                               cl::cat(category));
cl::list<std::string> inputs(cl::Positional, cl::desc("<text | ids>"),
                             cl::cat(category));
cl::opt<bool> noBos("no-bos",
                    cl::desc("Add no special tokens (BOS, EOS, CLS/SEP) "
                             "around the text"),
                    cl::cat(category));
cl::opt<bool> parseSpecial(
    "special",
    cl::desc("Control tokens written in the text (<|im_start|>) are their "
             "ids, as llama.cpp's parse_special"),
    cl::cat(category));
cl::opt<bool> decode("decode", cl::desc("Decode ids into text"),
                     cl::cat(category));
cl::opt<std::string> writeVocabulary(
    "write-vocabulary",
    cl::desc("Write VOCAB as a compiled directory's vocabulary.bin to FILE "
             "(every algorithm, special token and the chat template)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<bool> chat("chat",
                   cl::desc("Print the ids of TEXT as a user message in the "
                            "model's chat template (control tokens parsed)"),
                   cl::cat(category));
cl::opt<std::string> systemPrompt("system",
                                  cl::desc("With --chat: a system message first"),
                                  cl::value_desc("text"), cl::cat(category));
cl::opt<std::string> chatTemplate(
    "chat-template",
    cl::desc("With --chat: the chat format instead of the model's template "
             "(llama2, llama3, chatml, gemma, phi3, mistral)"),
    cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> textFile("f", cl::desc("Read the text from this file"),
                              cl::value_desc("file"), cl::cat(category));
cl::opt<bool> showPieces("pieces",
                         cl::desc("Print each id with its piece, one a line"),
                         cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-tokenize: " << message << "\n";
  return 1;
}

llvm::Expected<Vocabulary> loadVocabulary(llvm::StringRef path) {
  llvm::SmallString<256> compiled(path);
  llvm::sys::path::append(compiled, kCompiledVocabularyFileName);
  if (llvm::sys::fs::is_directory(path) && llvm::sys::fs::exists(compiled))
    return loadVocabularyFile(compiled);
  if (llvm::sys::path::filename(path) == "vocab.txt")
    return readWordPieceVocabText(path);
  if (llvm::sys::fs::is_directory(path) || path.ends_with(".json"))
    return readTokenizerJson(path);
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = mapFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.starts_with("GGUF"))
    return readGGUFVocabulary(path);
  if (isVocabularyFile(bytes.bytes_begin(), bytes.size()))
    return loadVocabularyFile(path);
  return loadLlama2cTokenizer(path);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "Tokenize text\n");

  llvm::Expected<Vocabulary> vocabulary = loadVocabulary(vocabPath);
  if (!vocabulary)
    return fail(llvm::toString(vocabulary.takeError()));
  if (!writeVocabulary.empty()) {
    std::vector<uint8_t> bytes = serializeVocabulary(*vocabulary);
    std::error_code ec;
    llvm::raw_fd_ostream os(writeVocabulary, ec);
    if (ec)
      return fail("cannot write " + writeVocabulary + ": " + ec.message());
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    return 0;
  }
  Tokenizer tokenizer(std::move(*vocabulary));

  if (decode) {
    std::vector<int32_t> ids;
    for (const std::string &text : inputs) {
      int32_t id;
      if (llvm::StringRef(text).getAsInteger(10, id) || id < 0 ||
          size_t(id) >= tokenizer.vocabulary().size())
        return fail("'" + text + "' is not a token id below " +
                    llvm::Twine(tokenizer.vocabulary().size()));
      ids.push_back(id);
    }
    llvm::outs() << tokenizer.decode(ids) << "\n";
    return 0;
  }

  std::string text = llvm::join(inputs, " ");
  if (!textFile.empty()) {
    if (!inputs.empty())
      return fail("give the text as arguments or with -f, not both");
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
        llvm::MemoryBuffer::getFile(textFile, /*IsText=*/false);
    if (!file)
      return fail(textFile + ": " + file.getError().message());
    text = (*file)->getBuffer().str();
  }
  bool special = parseSpecial;
  if (chat) {
    llvm::Expected<ChatFormat> format =
        resolveChatFormat(chatTemplate, tokenizer.vocabulary().chatTemplate,
                          vocabPath);
    if (!format)
      return fail(llvm::toString(format.takeError()));
    std::vector<ChatMessage> messages;
    if (!systemPrompt.empty())
      messages.push_back({"system", systemPrompt});
    messages.push_back({"user", text});
    text = formatChat(*format, messages, /*openAssistant=*/true);
    special = true;
  }
  std::vector<int32_t> ids = tokenizer.encode(text, !noBos, special);
  if (showPieces) {
    for (int32_t id : ids)
      llvm::outs() << id << " '" << tokenizer.vocabulary().pieces[id]
                   << "'\n";
    return 0;
  }
  llvm::outs() << llvm::join(llvm::map_range(ids, [](int32_t id) {
                               return std::to_string(id);
                             }),
                             " ")
               << "\n";
  return 0;
}
