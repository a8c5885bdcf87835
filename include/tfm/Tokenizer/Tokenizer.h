//===- Tokenizer.h - the tokenizers of the models people run ----*- C++ -*-===//
//
// One interface, four algorithms (one file each in lib/Tokenizer), chosen
// by the vocabulary's model as GGUF's `tokenizer.ggml.model` names it:
// * `llama`: SentencePiece BPE: pieces carry scores; the adjacent pair whose
//   concatenation is the best-scoring piece merges first; text starts with
//   a space and spaces are ordinary characters (GGUF's U+2581 becomes ' '
//   on load); what no piece covers falls back to byte tokens `<0xNN>`;
// * `gpt2`: byte-level BPE: the text is split by the pre-tokenizer's
//   regular expressions (`tokenizer.ggml.pre`), every byte of a word is a
//   printable character, and merges apply in rank order;
// * `bert`: WordPiece: lowercased, accents stripped, split at white space,
//   punctuation and CJK characters, then the longest pieces of each word;
// * `t5`: SentencePiece unigram: the segmentation of highest total score
//   (Viterbi).
// Special tokens are split out of the text first: user-defined tokens
// always, control tokens when asked (llama.cpp's `parse_special`).
//
// The C++ standard library and PCRE2 only: the runtime (libtfm_runtime,
// which has no LLVM) links it to give the C API a tokenizer. The readers
// that report errors the LLVM way wrap these functions
// (tfm/Import/TokenizerFile.h). docs/tokenizers.md has the details.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOKENIZER_TOKENIZER_H
#define TFM_TOKENIZER_TOKENIZER_H

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

/// The tokenization algorithm of a vocabulary.
enum class TokenizerModel {
  SentencePieceBpe,
  ByteLevelBpe,
  WordPiece,
  Unigram,
};

/// GGUF's name of each model ("llama", "gpt2", "bert", "t5").
std::optional<TokenizerModel> parseTokenizerModel(std::string_view name);
const char *tokenizerModelName(TokenizerModel model);

/// The pre-tokenizer whose only expression is `pattern` (a Hugging Face
/// tokenizer.json Split pattern), if tfm knows one.
std::optional<std::string> preTokenizerOfPattern(std::string_view pattern);

/// The `tokenizer.ggml.pre` values tfm knows, comma separated.
std::string listPreTokenizers();
bool isKnownPreTokenizer(std::string_view name);

/// A token id that is not there.
constexpr int32_t kNoToken = -1;

struct Vocabulary {
  TokenizerModel model = TokenizerModel::SentencePieceBpe;
  /// The pre-tokenizer of a byte-level BPE vocabulary.
  std::string preTokenizer = "default";
  /// Piece texts as the file has them, except SentencePiece BPE's, whose
  /// spaces are ' ' (never U+2581).
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<TokenKind> kinds;
  /// Byte-level BPE merges, "left right", highest priority first.
  std::vector<std::string> merges;
  int32_t unknownId = 0;
  int32_t bosId = 1;
  int32_t eosId = 2;
  /// End of turn, padding, separator, classification and mask tokens.
  int32_t eotId = kNoToken;
  int32_t padId = kNoToken;
  int32_t sepId = kNoToken;
  int32_t clsId = kNoToken;
  int32_t maskId = kNoToken;
  /// What encoding with special tokens adds: BOS (WordPiece: CLS) first,
  /// EOS last (WordPiece: SEP when addSep).
  bool addBos = true;
  bool addEos = false;
  bool addSep = false;
  bool addSpacePrefix = true;
  /// Byte-level BPE: a word that is a token is not merged (Llama 3).
  bool ignoreMerges = false;
  /// The model's Jinja chat template, if its files have one.
  std::string chatTemplate;

  size_t size() const { return pieces.size(); }
};

/// The special-token ids and flags llama.cpp assumes for `model` when the
/// file does not say.
void setDefaultSpecialTokens(Vocabulary &vocabulary);

/// What is wrong with a tokenizer file or a vocabulary, and where in the
/// file when that is known.
struct TokenizerError {
  std::optional<uint64_t> offset;
  std::string message;
};

/// Checks sizes, ids, scores, the pre-tokenizer and the merges of a
/// vocabulary built from any source.
std::optional<TokenizerError> checkVocabulary(const Vocabulary &vocabulary);

/// Checks that every merge is two tokens of the vocabulary separated by one
/// space (part of checkVocabulary for byte-level BPE).
std::optional<TokenizerError> checkMerges(const Vocabulary &vocabulary);

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

/// The file of a compiled directory that holds its whole vocabulary.
inline constexpr const char *kCompiledVocabularyFileName = "vocabulary.bin";

/// The bytes of a compiled vocabulary file: every field of `vocabulary`
/// (model, pre-tokenizer, pieces, scores, kinds, merges, special ids and
/// flags, chat template), so any algorithm's vocabulary round-trips. Little
/// endian: "TFMV", u32 version, u32 model, u32 flags, eight i32 ids, then
/// strings (u32 length, bytes) and counted arrays; docs/tokenizers.md.
std::vector<uint8_t> serializeVocabulary(const Vocabulary &vocabulary);

/// Parses the bytes serializeVocabulary wrote and checks the vocabulary
/// (checkVocabulary); with `expectedSize` it must have that many tokens.
std::optional<TokenizerError>
parseVocabularyBytes(const uint8_t *bytes, size_t size,
                     std::optional<int64_t> expectedSize,
                     Vocabulary &vocabulary);

/// Whether `bytes` start as a compiled vocabulary file does.
bool isVocabularyFile(const uint8_t *bytes, size_t size);

/// One algorithm's encoding and decoding (lib/Tokenizer/<Algorithm>.cpp).
class TokenizerAlgorithm {
public:
  virtual ~TokenizerAlgorithm();
  /// Appends the ids of `text`, a stretch between special tokens;
  /// `afterSpecial` when it starts the text or follows a special token.
  virtual void encode(std::string_view text, bool afterSpecial,
                      std::vector<int32_t> &ids) const = 0;
  /// The bytes of a normal token.
  virtual std::string decode(int32_t token) const = 0;
};

class Tokenizer {
public:
  /// `vocabulary` must pass checkVocabulary.
  explicit Tokenizer(Vocabulary vocabulary);

  /// Token ids of `text`. With `addSpecial`, the tokens the vocabulary puts
  /// around a text (BOS, EOS, CLS/SEP) are added; with `parseSpecial`,
  /// control tokens written in the text (`<|im_start|>`) become their ids,
  /// as llama.cpp's parse_special (user-defined tokens always do).
  std::vector<int32_t> encode(std::string_view text, bool addSpecial,
                              bool parseSpecial = false) const;

  /// The bytes token `token` stands for when it follows `previous`: byte
  /// tokens give their byte, control tokens nothing, and the space
  /// SentencePiece puts in front of a text is dropped after BOS.
  std::string decode(int32_t previous, int32_t token) const;

  /// Bytes of a whole sequence (each token decoded after its predecessor).
  std::string decode(const std::vector<int32_t> &tokens) const;

  const Vocabulary &vocabulary() const { return *vocab; }
  int32_t bos() const { return vocab->bosId; }
  int32_t eos() const { return vocab->eosId; }
  /// The tokens that end a generation: EOS and, for chat models, the
  /// end-of-turn token (kNoToken when the vocabulary has none).
  std::array<int32_t, 2> endOfGeneration() const {
    return {vocab->eosId, vocab->eotId};
  }
  bool endsGeneration(int32_t token) const {
    return token == vocab->eosId || token == vocab->eotId;
  }

private:
  struct SpecialToken {
    std::string_view text;
    int32_t id;
    bool control;
  };
  struct Fragment {
    std::string_view text;
    int32_t special;
  };
  std::vector<Fragment> partition(std::string_view text,
                                  bool parseSpecial) const;

  /// Shared by copies: both are immutable, and the algorithm holds views
  /// of the vocabulary's strings.
  std::shared_ptr<const Vocabulary> vocab;
  std::shared_ptr<const TokenizerAlgorithm> algorithm;
  /// Control, unknown and user-defined tokens, longest text first.
  std::vector<SpecialToken> specials;
};

} // namespace mlir::tfm

#endif // TFM_TOKENIZER_TOKENIZER_H
