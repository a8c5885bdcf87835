//===- Unicode.h - code points, categories, case, decomposition -*- C++ -*-===//
//
// What the tokenizers need to know about characters: UTF-8 decoding with
// invalid bytes replaced, the general category class and white space of a
// code point, its lowercase form and the base of its NFD decomposition.
// The tables are generated from Unicode's data (UnicodeTables.inc, by
// scripts/gen-unicode-tables.py; docs/tokenizers.md).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_TOKENIZER_UNICODE_H
#define TFM_LIB_TOKENIZER_UNICODE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlir::tfm::unicode {

/// General category classes (the first letter of the category) and the
/// White_Space property; unassigned code points have no class.
enum Flag : uint8_t {
  Letter = 1,
  Number = 2,
  Mark = 4,
  Punctuation = 8,
  Symbol = 16,
  Separator = 32,
  Control = 64,
  Whitespace = 128,
};

constexpr uint32_t kReplacementCharacter = 0xFFFD;

uint8_t flagsOf(uint32_t codePoint);
inline bool is(uint32_t codePoint, Flag flag) {
  return flagsOf(codePoint) & flag;
}
/// The lowercase form when it is one code point, else `codePoint`.
uint32_t toLower(uint32_t codePoint);
/// The first code point of the NFD decomposition (`é` -> `e`).
uint32_t decompositionBase(uint32_t codePoint);
/// The Unicode version of the tables.
const char *tableVersion();

/// Bytes of the UTF-8 sequence a lead byte starts (1 for a byte that
/// cannot start one).
size_t sequenceLength(uint8_t lead);

/// Decodes the code point at `offset` and advances past it; an invalid or
/// truncated sequence is U+FFFD and advances one byte.
uint32_t decodeOne(std::string_view text, size_t &offset);

/// Every code point of `text` (invalid bytes as U+FFFD).
std::vector<uint32_t> decode(std::string_view text);

void appendUtf8(uint32_t codePoint, std::string &out);

/// `text` with every invalid byte replaced by U+FFFD.
std::string sanitize(std::string_view text);

} // namespace mlir::tfm::unicode

#endif // TFM_LIB_TOKENIZER_UNICODE_H
