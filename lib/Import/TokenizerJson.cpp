//===- TokenizerJson.cpp - Hugging Face tokenizer.json --------------------===//
//
// JSON goes through llvm::json. Every refusal is one line naming the file
// and the field (a JSON document has no byte offsets worth giving).
//
//===----------------------------------------------------------------------===//

#include "tfm/Import/TokenizerJson.h"

#include "tfm/Import/TokenizerFile.h"
#include "tfm/Model/ImportError.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir::tfm;

namespace {

/// Tokens larger than this many are refused before anything is allocated.
constexpr uint64_t kMaxTokens = 1 << 22;

class JsonReader {
public:
  explicit JsonReader(llvm::StringRef path) : path(path) {}

  llvm::Error error(const llvm::Twine &message) const {
    return importError(path, message);
  }

  /// `object[key]` as an object, or an error naming `where`.
  llvm::Expected<const llvm::json::Object *>
  object(const llvm::json::Object &parent, llvm::StringRef key,
         llvm::StringRef where) const {
    const llvm::json::Object *value = parent.getObject(key);
    if (!value)
      return error(where + " has no object '" + key + "'");
    return value;
  }

  llvm::StringRef path;
};

/// A special token's text: a string, or an object with "content"
/// (tokenizer_config.json writes both).
std::optional<llvm::StringRef> tokenText(const llvm::json::Value *value) {
  if (!value)
    return std::nullopt;
  if (std::optional<llvm::StringRef> text = value->getAsString())
    return text;
  if (const llvm::json::Object *object = value->getAsObject())
    return object->getString("content");
  return std::nullopt;
}

/// Whether the pre-tokenizer (or one of a Sequence) has `type`, and the
/// Regex pattern of its Split, if any.
void scanPreTokenizer(const llvm::json::Object *pre, bool &byteLevel,
                      std::optional<std::string> &pattern, bool &useRegex) {
  if (!pre)
    return;
  std::optional<llvm::StringRef> type = pre->getString("type");
  if (type == "Sequence") {
    if (const llvm::json::Array *items = pre->getArray("pretokenizers"))
      for (const llvm::json::Value &item : *items)
        scanPreTokenizer(item.getAsObject(), byteLevel, pattern, useRegex);
    return;
  }
  if (type == "ByteLevel") {
    byteLevel = true;
    useRegex = pre->getBoolean("use_regex").value_or(true);
  }
  if (type == "Split")
    if (const llvm::json::Object *p = pre->getObject("pattern"))
      if (std::optional<llvm::StringRef> regex = p->getString("Regex"))
        pattern = regex->str();
}

/// Places `piece` at `id`, which must be new and below the token count.
llvm::Error place(const JsonReader &json, Vocabulary &vocab, int64_t id,
                  llvm::StringRef piece, TokenKind kind, float score = 0.0f) {
  if (id < 0 || uint64_t(id) >= vocab.size())
    return json.error("token '" + piece + "' has id " + llvm::Twine(id) +
                      ", outside 0.." + llvm::Twine(vocab.size() - 1));
  if (!vocab.pieces[id].empty() && vocab.pieces[id] != piece)
    return json.error("id " + llvm::Twine(id) + " is both '" +
                      vocab.pieces[id] + "' and '" + piece + "'");
  vocab.pieces[id] = piece.str();
  vocab.kinds[id] = kind;
  vocab.scores[id] = score;
  return llvm::Error::success();
}

/// The token count: the largest id of the model's vocabulary and the
/// added tokens, plus one.
llvm::Expected<uint64_t> tokenCount(const JsonReader &json,
                                    const llvm::json::Object &model,
                                    const llvm::json::Array *added) {
  int64_t largest = -1;
  if (const llvm::json::Object *vocab = model.getObject("vocab"))
    for (const auto &entry : *vocab)
      largest = std::max(largest, entry.second.getAsInteger().value_or(-1));
  else if (const llvm::json::Array *vocab = model.getArray("vocab"))
    largest = int64_t(vocab->size()) - 1;
  else
    return json.error("model has no 'vocab'");
  if (added)
    for (const llvm::json::Value &token : *added)
      if (const llvm::json::Object *object = token.getAsObject())
        largest = std::max(largest, object->getInteger("id").value_or(-1));
  if (largest < 0 || uint64_t(largest) >= kMaxTokens)
    return json.error("vocabulary of " + llvm::Twine(largest + 1) +
                      " tokens (expected 1.." + llvm::Twine(kMaxTokens) + ")");
  return uint64_t(largest + 1);
}

/// model.vocab of BPE and WordPiece: {"piece": id}. WordPiece pieces
/// become GGUF's: a continuation loses its prefix, a word start gains
/// U+2581.
llvm::Error readVocabMap(const JsonReader &json, const llvm::json::Object &model,
                         Vocabulary &vocab) {
  const llvm::json::Object *map = model.getObject("vocab");
  if (!map)
    return json.error("model.vocab must be an object of piece -> id");
  std::string prefix =
      model.getString("continuing_subword_prefix").value_or("##").str();
  for (const auto &[key, value] : *map) {
    std::optional<int64_t> id = value.getAsInteger();
    if (!id)
      return json.error("model.vocab['" + llvm::StringRef(key) +
                        "'] is not an integer id");
    std::string piece = key.str();
    if (vocab.model == TokenizerModel::WordPiece)
      piece = llvm::StringRef(piece).starts_with(prefix)
                  ? piece.substr(prefix.size())
                  : "\xE2\x96\x81" + piece;
    if (llvm::Error error = place(json, vocab, *id, piece, TokenKind::Normal))
      return error;
  }
  return llvm::Error::success();
}

/// model.vocab of Unigram: [["piece", score], ...].
llvm::Error readUnigramVocab(const JsonReader &json,
                             const llvm::json::Object &model,
                             Vocabulary &vocab) {
  const llvm::json::Array *list = model.getArray("vocab");
  if (!list)
    return json.error("model.vocab must be an array of [piece, score]");
  for (size_t id = 0; id < list->size(); ++id) {
    const llvm::json::Array *entry = (*list)[id].getAsArray();
    std::optional<llvm::StringRef> piece =
        entry && entry->size() == 2 ? (*entry)[0].getAsString() : std::nullopt;
    std::optional<double> score =
        entry && entry->size() == 2 ? (*entry)[1].getAsNumber() : std::nullopt;
    if (!piece || !score)
      return json.error("model.vocab[" + llvm::Twine(id) +
                        "] is not [piece, score]");
    if (llvm::Error error =
            place(json, vocab, int64_t(id), *piece, TokenKind::Normal, *score))
      return error;
  }
  if (std::optional<int64_t> unknown = model.getInteger("unk_id"))
    vocab.unknownId = int32_t(*unknown);
  return llvm::Error::success();
}

/// model.merges: ["a b", ...] or [["a", "b"], ...].
llvm::Error readMerges(const JsonReader &json, const llvm::json::Object &model,
                       Vocabulary &vocab) {
  const llvm::json::Array *merges = model.getArray("merges");
  if (!merges)
    return json.error("model has no 'merges'");
  for (size_t i = 0; i < merges->size(); ++i) {
    const llvm::json::Value &merge = (*merges)[i];
    if (std::optional<llvm::StringRef> text = merge.getAsString()) {
      vocab.merges.push_back(text->str());
      continue;
    }
    const llvm::json::Array *pair = merge.getAsArray();
    if (!pair || pair->size() != 2 || !(*pair)[0].getAsString() ||
        !(*pair)[1].getAsString())
      return json.error("model.merges[" + llvm::Twine(i) +
                        "] is neither \"a b\" nor [\"a\", \"b\"]");
    vocab.merges.push_back((*(*pair)[0].getAsString() + " " +
                            *(*pair)[1].getAsString())
                               .str());
  }
  if (std::optional<TokenizerError> error = checkMerges(vocab))
    return json.error("model." + error->message);
  return llvm::Error::success();
}

/// Whether `piece` is `<0xNN>`.
bool isBytePiece(llvm::StringRef piece) {
  return piece.size() == 6 && piece.starts_with("<0x") &&
         piece.ends_with(">") && llvm::isHexDigit(piece[3]) &&
         llvm::isHexDigit(piece[4]);
}

/// SentencePiece BPE from its Hugging Face form: a piece's score is minus
/// the rank of the first merge that makes it (Hugging Face's converter
/// orders the merges by the pieces' scores and lists every split of a
/// piece into two pieces, so the best-scoring pair merges first either
/// way); spaces become ' ' as in tfm's SentencePiece pieces; `<0xNN>` are
/// byte tokens.
llvm::Error sentencePieceFromMerges(const JsonReader &json,
                                    const llvm::json::Object &model,
                                    Vocabulary &vocab) {
  if (llvm::Error error = readMerges(json, model, vocab))
    return error;
  llvm::StringMap<int32_t> ids;
  for (size_t id = 0; id < vocab.size(); ++id)
    ids.try_emplace(vocab.pieces[id], int32_t(id));
  constexpr float kNeverMerged = -1e9f;
  for (size_t id = 0; id < vocab.size(); ++id)
    if (vocab.kinds[id] == TokenKind::Normal)
      vocab.scores[id] = kNeverMerged;
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    auto [left, right] = llvm::StringRef(vocab.merges[rank]).split(' ');
    auto it = ids.find((left + right).str());
    if (it != ids.end() && vocab.scores[it->second] == kNeverMerged)
      vocab.scores[it->second] = -float(rank);
  }
  vocab.merges.clear();
  for (size_t id = 0; id < vocab.size(); ++id) {
    if (vocab.kinds[id] != TokenKind::Normal)
      continue;
    if (isBytePiece(vocab.pieces[id]))
      vocab.kinds[id] = TokenKind::Byte;
    else
      vocab.pieces[id] = llvm::join(
          llvm::split(llvm::StringRef(vocab.pieces[id]), "\xE2\x96\x81"), " ");
  }
  return llvm::Error::success();
}

/// added_tokens: special ones are control tokens, the others user-defined.
llvm::Error readAddedTokens(const JsonReader &json,
                            const llvm::json::Array *added, Vocabulary &vocab) {
  if (!added)
    return llvm::Error::success();
  for (size_t i = 0; i < added->size(); ++i) {
    const llvm::json::Object *token = (*added)[i].getAsObject();
    std::optional<int64_t> id = token ? token->getInteger("id") : std::nullopt;
    std::optional<llvm::StringRef> content =
        token ? token->getString("content") : std::nullopt;
    if (!id || !content)
      return json.error("added_tokens[" + llvm::Twine(i) +
                        "] needs an integer 'id' and a string 'content'");
    TokenKind kind = token->getBoolean("special").value_or(false)
                         ? TokenKind::Control
                         : TokenKind::UserDefined;
    // WordPiece's own specials ([CLS]) got a word-start mark above: the
    // added token's text replaces the model's.
    if (*id >= 0 && uint64_t(*id) < vocab.size())
      vocab.pieces[*id].clear();
    if (llvm::Error error = place(json, vocab, *id, *content, kind))
      return error;
  }
  return llvm::Error::success();
}

int32_t idOfPiece(const Vocabulary &vocab, llvm::StringRef piece) {
  for (size_t id = 0; id < vocab.size(); ++id)
    if (vocab.pieces[id] == piece)
      return int32_t(id);
  return kNoToken;
}

/// BOS/EOS, what is added and the chat template from
/// tokenizer_config.json; the unknown token from the model.
llvm::Error readConfig(const JsonReader &json, const llvm::json::Object &model,
                       const llvm::json::Object *config, Vocabulary &vocab) {
  if (std::optional<llvm::StringRef> unknown = model.getString("unk_token"))
    vocab.unknownId = idOfPiece(vocab, *unknown);
  if (!config)
    return llvm::Error::success();
  for (auto [key, field] : {std::pair{"bos_token", &vocab.bosId},
                            std::pair{"eos_token", &vocab.eosId},
                            std::pair{"unk_token", &vocab.unknownId},
                            std::pair{"pad_token", &vocab.padId},
                            std::pair{"sep_token", &vocab.sepId},
                            std::pair{"cls_token", &vocab.clsId},
                            std::pair{"mask_token", &vocab.maskId}})
    if (std::optional<llvm::StringRef> text = tokenText(config->get(key))) {
      int32_t id = idOfPiece(vocab, *text);
      if (id == kNoToken)
        return json.error("tokenizer_config.json: " + llvm::Twine(key) + " '" +
                          *text + "' is not a token of the vocabulary");
      *field = id;
    }
  if (vocab.model == TokenizerModel::WordPiece && vocab.clsId != kNoToken)
    vocab.bosId = vocab.clsId;
  // SentencePiece's unknown piece is its own kind (it decodes to its text).
  if (vocab.model == TokenizerModel::SentencePieceBpe &&
      vocab.unknownId != kNoToken)
    vocab.kinds[vocab.unknownId] = TokenKind::Unknown;
  if (std::optional<bool> add = config->getBoolean("add_bos_token"))
    vocab.addBos = *add;
  if (std::optional<bool> add = config->getBoolean("add_eos_token"))
    vocab.addEos = *add;
  if (std::optional<llvm::StringRef> chat = config->getString("chat_template"))
    vocab.chatTemplate = chat->str();
  return llvm::Error::success();
}

llvm::Expected<TokenizerModel> modelOf(const JsonReader &json,
                                       const llvm::json::Object &model,
                                       const llvm::json::Object *pre,
                                       std::string &preName) {
  std::optional<llvm::StringRef> type = model.getString("type");
  if (type == "WordPiece")
    return TokenizerModel::WordPiece;
  if (type == "Unigram")
    return TokenizerModel::Unigram;
  if (type != "BPE")
    return json.error("model type '" + type.value_or("(none)") +
                      "' is not supported (tfm reads BPE, WordPiece and "
                      "Unigram)");
  bool byteLevel = false, useRegex = false;
  std::optional<std::string> pattern;
  scanPreTokenizer(pre, byteLevel, pattern, useRegex);
  if (!byteLevel) {
    // SentencePiece's BPE as Hugging Face converts it (Llama 2, Mistral):
    // byte fallback, spaces written as U+2581 by the normalizer.
    if (model.getBoolean("byte_fallback").value_or(false))
      return TokenizerModel::SentencePieceBpe;
    return json.error("a BPE model with neither a ByteLevel pre-tokenizer "
                      "nor byte_fallback (SentencePiece's) is not one tfm "
                      "reads");
  }
  if (pattern) {
    std::optional<std::string> name = preTokenizerOfPattern(*pattern);
    if (!name)
      return json.error("pre-tokenizer pattern '" + *pattern +
                        "' is not one tfm knows (" + listPreTokenizers() +
                        ")");
    preName = *name;
  } else {
    preName = useRegex ? "gpt-2" : "default";
  }
  return TokenizerModel::ByteLevelBpe;
}

} // namespace

llvm::Expected<Vocabulary> mlir::tfm::parseTokenizerJson(llvm::StringRef path,
                                                         llvm::StringRef text,
                                                         llvm::StringRef configText) {
  JsonReader json(path);
  llvm::Expected<llvm::json::Value> root = llvm::json::parse(text);
  if (!root)
    return json.error("not JSON: " + llvm::toString(root.takeError()));
  const llvm::json::Object *top = root->getAsObject();
  if (!top)
    return json.error("the document is not a JSON object");
  llvm::Expected<const llvm::json::Object *> model =
      json.object(*top, "model", "the document");
  if (!model)
    return model.takeError();

  std::optional<llvm::json::Value> configRoot;
  if (!configText.empty()) {
    llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(configText);
    if (!parsed)
      return json.error("tokenizer_config.json is not JSON: " +
                        llvm::toString(parsed.takeError()));
    configRoot = std::move(*parsed);
  }
  const llvm::json::Object *config =
      configRoot ? configRoot->getAsObject() : nullptr;

  Vocabulary vocab;
  std::string preName;
  llvm::Expected<TokenizerModel> kind =
      modelOf(json, **model, top->getObject("pre_tokenizer"), preName);
  if (!kind)
    return kind.takeError();
  vocab.model = *kind;
  // The model's flags (what is added around a text) as llama.cpp assumes
  // them; the ids only from the files.
  setDefaultSpecialTokens(vocab);
  vocab.bosId = vocab.eosId = vocab.unknownId = kNoToken;
  vocab.padId = vocab.sepId = vocab.clsId = vocab.maskId = kNoToken;
  vocab.preTokenizer = preName.empty() ? "default" : preName;
  vocab.ignoreMerges = (*model)->getBoolean("ignore_merges").value_or(false);

  const llvm::json::Array *added = top->getArray("added_tokens");
  llvm::Expected<uint64_t> count = tokenCount(json, **model, added);
  if (!count)
    return count.takeError();
  vocab.pieces.resize(*count);
  vocab.kinds.assign(*count, TokenKind::Unused);
  vocab.scores.assign(*count, 0.0f);
  llvm::Error error = vocab.model == TokenizerModel::Unigram
                          ? readUnigramVocab(json, **model, vocab)
                          : readVocabMap(json, **model, vocab);
  if (error)
    return std::move(error);
  if (vocab.model == TokenizerModel::ByteLevelBpe)
    if (llvm::Error error = readMerges(json, **model, vocab))
      return std::move(error);
  if (vocab.model == TokenizerModel::SentencePieceBpe)
    if (llvm::Error error = sentencePieceFromMerges(json, **model, vocab))
      return std::move(error);
  if (llvm::Error error = readAddedTokens(json, added, vocab))
    return std::move(error);
  for (size_t id = 0; id < vocab.size(); ++id)
    if (vocab.pieces[id].empty())
      return json.error("no token has id " + llvm::Twine(id) +
                        " (ids must run from 0 without gaps)");
  if (llvm::Error error = readConfig(json, **model, config, vocab))
    return std::move(error);
  if (llvm::Error error = validateVocabulary(vocab, path))
    return std::move(error);
  return vocab;
}

namespace {

/// tokenizer_config.json beside `file`, or "" when there is none.
llvm::Expected<std::string> readConfigBeside(llvm::StringRef file) {
  llvm::SmallString<256> configPath = llvm::sys::path::parent_path(file);
  llvm::sys::path::append(configPath, "tokenizer_config.json");
  if (!llvm::sys::fs::exists(configPath))
    return std::string();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> config =
      llvm::MemoryBuffer::getFile(configPath, /*IsText=*/true);
  if (!config)
    return importError(configPath,
                       "cannot read: " + config.getError().message());
  return (*config)->getBuffer().str();
}

} // namespace

llvm::Expected<Vocabulary> mlir::tfm::readTokenizerJson(llvm::StringRef path) {
  llvm::SmallString<256> file(path);
  if (llvm::sys::fs::is_directory(path))
    llvm::sys::path::append(file, "tokenizer.json");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
      llvm::MemoryBuffer::getFile(file, /*IsText=*/true);
  if (!text)
    return importError(file, "cannot read: " + text.getError().message());
  llvm::Expected<std::string> configText = readConfigBeside(file);
  if (!configText)
    return configText.takeError();
  return parseTokenizerJson(file, (*text)->getBuffer(), *configText);
}

llvm::Expected<Vocabulary>
mlir::tfm::readWordPieceVocabText(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!text)
    return importError(path, "cannot read: " + text.getError().message());
  llvm::Expected<std::string> configText = readConfigBeside(path);
  if (!configText)
    return configText.takeError();
  // The special tokens: BERT's, or those tokenizer_config.json names.
  llvm::StringSet<> specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string unknown = "[UNK]";
  // A malformed config is reported by parseTokenizerJson below.
  llvm::Expected<llvm::json::Value> config =
      llvm::json::parse(configText->empty() ? "{}" : *configText);
  if (!config)
    llvm::consumeError(config.takeError());
  else if (const llvm::json::Object *root = config->getAsObject())
    for (const char *key :
         {"unk_token", "cls_token", "sep_token", "pad_token", "mask_token"})
      if (std::optional<llvm::StringRef> token = root->getString(key)) {
        specials.insert(*token);
        if (llvm::StringRef(key) == "unk_token")
          unknown = token->str();
      }
  // The same vocabulary as tokenizer.json would hold it, read the same way.
  llvm::json::Object vocab;
  llvm::json::Array added;
  llvm::SmallVector<llvm::StringRef> lines;
  (*text)->getBuffer().split(lines, '\n');
  if (!lines.empty() && lines.back().empty())
    lines.pop_back();
  for (auto [id, line] : llvm::enumerate(lines)) {
    llvm::StringRef piece = line.rtrim('\r');
    if (piece.empty())
      return importError(path, "line " + llvm::Twine(id + 1) +
                                   " is empty (every line is a piece)");
    if (vocab.find(piece) != vocab.end())
      return importError(path, "line " + llvm::Twine(id + 1) + ": '" + piece +
                                   "' is already a piece");
    vocab[piece] = int64_t(id);
    if (specials.contains(piece))
      added.push_back(llvm::json::Object{
          {"id", int64_t(id)}, {"content", piece}, {"special", true}});
  }
  // Without tokenizer_config.json, BERT's own special tokens.
  std::string configJson = *configText;
  if (configJson.empty()) {
    llvm::json::Object defaults;
    for (auto [key, token] : {std::pair{"unk_token", "[UNK]"},
                              std::pair{"cls_token", "[CLS]"},
                              std::pair{"sep_token", "[SEP]"},
                              std::pair{"pad_token", "[PAD]"},
                              std::pair{"mask_token", "[MASK]"}})
      if (vocab.find(token) != vocab.end())
        defaults[key] = token;
    llvm::raw_string_ostream(configJson)
        << llvm::json::Value(std::move(defaults));
  }
  llvm::json::Object tokenizer{
      {"model", llvm::json::Object{{"type", "WordPiece"},
                                   {"unk_token", unknown},
                                   {"continuing_subword_prefix", "##"},
                                   {"vocab", std::move(vocab)}}},
      {"pre_tokenizer", llvm::json::Object{{"type", "BertPreTokenizer"}}},
      {"added_tokens", std::move(added)}};
  std::string json;
  llvm::raw_string_ostream(json) << llvm::json::Value(std::move(tokenizer));
  return parseTokenizerJson(path, json, configJson);
}
