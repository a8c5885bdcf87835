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
// The C++ standard library only: the runtime (libtfm_runtime, which has no
// LLVM) links it to give the C API a tokenizer. The readers that report
// errors the LLVM way wrap these functions (tfm/Import/TokenizerFile.h).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOKENIZER_TOKENIZER_H
#define TFM_TOKENIZER_TOKENIZER_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

/// What is wrong with a tokenizer file or a vocabulary, and where in the
/// file when that is known.
struct TokenizerError {
  std::optional<uint64_t> offset;
  std::string message;
};

/// Checks ids, sizes and scores of a vocabulary built from any source.
std::optional<TokenizerError> checkVocabulary(const Vocabulary &vocabulary);

/// Parses a llama2.c tokenizer file: `int32 max_token_length`, then per token
/// `float score, int32 length, length bytes`, into `vocabulary`. With
/// `expectedSize` the file must hold exactly that many tokens; otherwise
/// tokens are read to the end. Tokens 0, 1, 2 are unknown, BOS and EOS, as
/// llama2.c assumes.
std::optional<TokenizerError>
parseLlama2cTokenizerBytes(const uint8_t *bytes, size_t size,
                           std::optional<int64_t> expectedSize,
                           Vocabulary &vocabulary);

/// The bytes of a llama2.c tokenizer file holding `pieces` and `scores`
/// (the inverse of parseLlama2cTokenizerBytes).
std::vector<uint8_t>
serializeLlama2cTokenizer(const std::vector<std::string> &pieces,
                          const std::vector<float> &scores);

class Tokenizer {
public:
  explicit Tokenizer(Vocabulary vocabulary);
  /// The piece index holds views of the vocabulary's strings: a copy
  /// indexes its own (a move keeps the strings where they are).
  Tokenizer(const Tokenizer &other) : Tokenizer(other.vocab) {}
  Tokenizer &operator=(const Tokenizer &other) {
    if (this != &other)
      *this = Tokenizer(other.vocab);
    return *this;
  }
  Tokenizer(Tokenizer &&) = default;
  Tokenizer &operator=(Tokenizer &&) = default;

  /// Token ids of `text`, with BOS first when `addBos`.
  std::vector<int32_t> encode(std::string_view text, bool addBos) const;

  /// The bytes token `token` stands for when it follows `previous`: byte
  /// tokens give their byte, control tokens nothing, and the space the
  /// leading-space rule added is dropped after BOS.
  std::string decode(int32_t previous, int32_t token) const;

  /// Bytes of a whole sequence (each token decoded after its predecessor).
  std::string decode(const std::vector<int32_t> &tokens) const;

  const Vocabulary &vocabulary() const { return vocab; }
  int32_t bos() const { return vocab.bosId; }
  int32_t eos() const { return vocab.eosId; }

private:
  std::optional<int32_t> lookup(std::string_view piece) const;
  void appendFallback(std::string_view text, std::vector<int32_t> &ids) const;

  Vocabulary vocab;
  /// Pieces that merging may produce (not control or unused tokens).
  std::unordered_map<std::string_view, int32_t> pieceIds;
  /// Token of each byte value, or -1.
  std::array<int32_t, 256> byteIds;
};

} // namespace mlir::tfm

#endif // TFM_TOKENIZER_TOKENIZER_H
