//===- Tokenizer.h - SentencePiece-style BPE tokenizer ----------*- C++ -*-===//
//
// One tokenizer for Llama-family vocabularies, loaded from a llama2.c
// tokenizer file or from GGUF `tokenizer.ggml.*` metadata:
// * pieces carry scores; encoding merges the adjacent pair whose
//   concatenation is a piece with the highest score (leftmost on ties) until
//   no pair merges, as SentencePiece BPE and llama.cpp do;
// * text is prefixed with a space (the "leading-space rule") and spaces are
//   ordinary characters of pieces (GGUF's U+2581 is mapped to ' ' on load);
// * what no piece covers falls back to byte tokens `<0xNN>`, or to the
//   unknown token when the vocabulary has none.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOKENIZER_TOKENIZER_H
#define TFM_TOKENIZER_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm {

/// GGUF's `tokenizer.ggml.token_type` values.
enum class TokenKind : int32_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct Vocabulary {
  /// Piece texts with spaces as ' ' (never U+2581).
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<TokenKind> kinds;
  int32_t unknownId = 0;
  int32_t bosId = 1;
  int32_t eosId = 2;
  bool addBos = true;
  bool addSpacePrefix = true;

  size_t size() const { return pieces.size(); }
};

/// Parses a llama2.c tokenizer file: `int32 max_token_length`, then per token
/// `float score, int32 length, length bytes`. With `expectedSize` the file
/// must hold exactly that many tokens; otherwise tokens are read to the end.
/// Tokens 0, 1, 2 are unknown, BOS and EOS, as llama2.c assumes.
llvm::Expected<Vocabulary>
parseLlama2cTokenizer(llvm::StringRef fileName, llvm::ArrayRef<uint8_t> bytes,
                      std::optional<int64_t> expectedSize = std::nullopt);

/// The bytes of a llama2.c tokenizer file holding `pieces` and `scores`
/// (the inverse of parseLlama2cTokenizer).
std::vector<uint8_t>
serializeLlama2cTokenizer(llvm::ArrayRef<std::string> pieces,
                          llvm::ArrayRef<float> scores);

/// Reads and parses a llama2.c tokenizer file.
llvm::Expected<Vocabulary>
loadLlama2cTokenizer(llvm::StringRef path,
                     std::optional<int64_t> expectedSize = std::nullopt);

/// Checks ids, sizes and scores of a vocabulary built from any source.
llvm::Error validateVocabulary(const Vocabulary &vocabulary,
                               llvm::StringRef source);

class Tokenizer {
public:
  explicit Tokenizer(Vocabulary vocabulary);

  /// Token ids of `text`, with BOS first when `addBos`.
  std::vector<int32_t> encode(llvm::StringRef text, bool addBos) const;

  /// The bytes token `token` stands for when it follows `previous`: byte
  /// tokens give their byte, control tokens nothing, and the space the
  /// leading-space rule added is dropped after BOS.
  std::string decode(int32_t previous, int32_t token) const;

  /// Bytes of a whole sequence (each token decoded after its predecessor).
  std::string decode(llvm::ArrayRef<int32_t> tokens) const;

  const Vocabulary &vocabulary() const { return vocab; }
  int32_t bos() const { return vocab.bosId; }
  int32_t eos() const { return vocab.eosId; }

private:
  std::optional<int32_t> lookup(llvm::StringRef piece) const;
  void appendFallback(llvm::StringRef text, std::vector<int32_t> &ids) const;

  Vocabulary vocab;
  /// Pieces that merging may produce (not control or unused tokens).
  llvm::StringMap<int32_t> pieceIds;
  /// Token of each byte value, or -1.
  std::array<int32_t, 256> byteIds;
};

} // namespace mlir::tfm

#endif // TFM_TOKENIZER_TOKENIZER_H
