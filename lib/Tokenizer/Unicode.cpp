//===- Unicode.cpp - code points, categories, case, decomposition ---------===//

#include "Unicode.h"

#include <algorithm>
#include <iterator>

namespace mlir::tfm::unicode {
namespace {

struct FlagRun {
  uint32_t first;
  uint8_t flags;
};

struct CodePointPair {
  uint32_t from;
  uint32_t to;
};

#include "UnicodeTables.inc"

uint32_t lookupPair(const CodePointPair *begin, const CodePointPair *end,
                    uint32_t codePoint) {
  const CodePointPair *it = std::lower_bound(
      begin, end, codePoint,
      [](const CodePointPair &pair, uint32_t value) { return pair.from < value; });
  return it != end && it->from == codePoint ? it->to : codePoint;
}

bool isContinuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

} // namespace

uint8_t flagsOf(uint32_t codePoint) {
  if (codePoint > 0x10FFFF)
    return 0;
  const FlagRun *it = std::upper_bound(
      std::begin(kFlagRuns), std::end(kFlagRuns), codePoint,
      [](uint32_t value, const FlagRun &run) { return value < run.first; });
  return std::prev(it)->flags;
}

uint32_t toLower(uint32_t codePoint) {
  return lookupPair(std::begin(kLowercase), std::end(kLowercase), codePoint);
}

uint32_t decompositionBase(uint32_t codePoint) {
  // Hangul syllables decompose algorithmically: the leading consonant.
  constexpr uint32_t kSyllableBase = 0xAC00, kSyllableCount = 11172;
  constexpr uint32_t kLeadingBase = 0x1100, kPerLeading = 21 * 28;
  if (codePoint >= kSyllableBase && codePoint < kSyllableBase + kSyllableCount)
    return kLeadingBase + (codePoint - kSyllableBase) / kPerLeading;
  return lookupPair(std::begin(kDecompositionBase),
                    std::end(kDecompositionBase), codePoint);
}

const char *tableVersion() { return kUnicodeVersion; }

size_t sequenceLength(uint8_t lead) {
  if (lead < 0x80)
    return 1;
  if ((lead & 0xE0) == 0xC0)
    return 2;
  if ((lead & 0xF0) == 0xE0)
    return 3;
  if ((lead & 0xF8) == 0xF0)
    return 4;
  return 1;
}

uint32_t decodeOne(std::string_view text, size_t &offset) {
  uint8_t lead = uint8_t(text[offset]);
  size_t length = sequenceLength(lead);
  if (length == 1) {
    ++offset;
    return lead < 0x80 ? lead : kReplacementCharacter;
  }
  if (offset + length > text.size()) {
    ++offset;
    return kReplacementCharacter;
  }
  uint32_t codePoint = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    uint8_t byte = uint8_t(text[offset + i]);
    if (!isContinuation(byte)) {
      ++offset;
      return kReplacementCharacter;
    }
    codePoint = (codePoint << 6) | (byte & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8
  // (and PCRE2, told the text is valid, must never see them).
  static constexpr uint32_t kSmallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (codePoint < kSmallest[length] || codePoint > 0x10FFFF ||
      (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
    ++offset;
    return kReplacementCharacter;
  }
  offset += length;
  return codePoint;
}

std::vector<uint32_t> decode(std::string_view text) {
  std::vector<uint32_t> codePoints;
  codePoints.reserve(text.size());
  for (size_t offset = 0; offset < text.size();)
    codePoints.push_back(decodeOne(text, offset));
  return codePoints;
}

void appendUtf8(uint32_t codePoint, std::string &out) {
  if (codePoint < 0x80) {
    out += char(codePoint);
  } else if (codePoint < 0x800) {
    out += char(0xC0 | (codePoint >> 6));
    out += char(0x80 | (codePoint & 0x3F));
  } else if (codePoint < 0x10000) {
    out += char(0xE0 | (codePoint >> 12));
    out += char(0x80 | ((codePoint >> 6) & 0x3F));
    out += char(0x80 | (codePoint & 0x3F));
  } else {
    out += char(0xF0 | (codePoint >> 18));
    out += char(0x80 | ((codePoint >> 12) & 0x3F));
    out += char(0x80 | ((codePoint >> 6) & 0x3F));
    out += char(0x80 | (codePoint & 0x3F));
  }
}

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    size_t start = offset;
    uint32_t codePoint = decodeOne(text, offset);
    if (codePoint == kReplacementCharacter && offset - start == 1)
      appendUtf8(codePoint, out);
    else
      out.append(text.substr(start, offset - start));
  }
  return out;
}

} // namespace mlir::tfm::unicode
