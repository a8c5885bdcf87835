//===- CompiledVocabulary.cpp - the tokenizer of a compiled directory -----===//

#include "tfm/Compiler/CompiledVocabulary.h"

#include "tfm/Compiler/Compiler.h"
#include "tfm/Import/TokenizerFile.h"
#include "tfm/Model/ImportError.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir::tfm;

namespace {

std::string pathIn(llvm::StringRef directory, llvm::StringRef file) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, file);
  return std::string(path);
}

/// Applies the manifest's "tokenizer" object (older manifests have fewer
/// fields; what is missing keeps tokenizer.bin's defaults).
llvm::Error applyManifest(const llvm::json::Object &tokenizer,
                          llvm::StringRef manifest, Vocabulary &vocab) {
  for (auto [key, field] : {std::pair{"bos_id", &vocab.bosId},
                            std::pair{"eos_id", &vocab.eosId},
                            std::pair{"unknown_id", &vocab.unknownId},
                            std::pair{"eot_id", &vocab.eotId}})
    if (std::optional<int64_t> id = tokenizer.getInteger(key))
      *field = int32_t(*id);
  if (std::optional<bool> add = tokenizer.getBoolean("add_bos"))
    vocab.addBos = *add;
  if (std::optional<bool> add = tokenizer.getBoolean("add_space_prefix"))
    vocab.addSpacePrefix = *add;
  if (const llvm::json::Array *specials = tokenizer.getArray("special_tokens"))
    for (const llvm::json::Value &entry : *specials) {
      const llvm::json::Object *special = entry.getAsObject();
      std::optional<int64_t> id =
          special ? special->getInteger("id") : std::nullopt;
      std::optional<int64_t> kind =
          special ? special->getInteger("kind") : std::nullopt;
      if (!id || !kind || *id < 0 || uint64_t(*id) >= vocab.size() ||
          *kind < 1 || *kind > 6)
        return importError(manifest, "tokenizer.special_tokens has an entry "
                                     "that is not {id, kind} of the "
                                     "vocabulary");
      vocab.kinds[*id] = TokenKind(*kind);
    }
  if (std::optional<llvm::StringRef> chat = tokenizer.getString("chat_template"))
    vocab.chatTemplate = chat->str();
  return validateVocabulary(vocab, manifest);
}

} // namespace

llvm::Expected<Vocabulary>
mlir::tfm::loadCompiledVocabulary(llvm::StringRef directory) {
  llvm::Expected<Vocabulary> vocab =
      loadLlama2cTokenizer(pathIn(directory, kTokenizerFileName));
  if (!vocab)
    return vocab.takeError();
  std::string manifest = pathIn(directory, kManifestFileName);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text =
      llvm::MemoryBuffer::getFile(manifest, /*IsText=*/true);
  if (!text)
    return importError(manifest, "cannot read: " + text.getError().message());
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*text)->getBuffer());
  if (!json)
    return importError(manifest, "not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (const llvm::json::Object *tokenizer =
          root ? root->getObject("tokenizer") : nullptr)
    if (llvm::Error error = applyManifest(*tokenizer, manifest, *vocab))
      return std::move(error);
  return vocab;
}
