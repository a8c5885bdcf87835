//===- Utf8Stream.cpp - whole characters from a stream of bytes -----------===//

#include "tfm/Driver/Utf8Stream.h"

using namespace mlir::tfm;

namespace {

constexpr const char *kReplacement = "\xEF\xBF\xBD"; // U+FFFD

/// Length of the character a byte starts, or 0 if it cannot start one.
size_t sequenceLength(unsigned char lead) {
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return 2;
  if (lead >= 0xE0 && lead <= 0xEF)
    return 3;
  if (lead >= 0xF0 && lead <= 0xF4)
    return 4;
  return 0;
}

/// Whether `byte` may follow `lead` at `position` (1..3) of a character:
/// a continuation byte, restricted after some leads so that overlong forms,
/// surrogates and code points past U+10FFFF are rejected.
bool continues(unsigned char lead, unsigned char byte, size_t position) {
  if ((byte & 0xC0) != 0x80)
    return false;
  if (position != 1)
    return true;
  switch (lead) {
  case 0xE0:
    return byte >= 0xA0;
  case 0xED:
    return byte <= 0x9F;
  case 0xF0:
    return byte >= 0x90;
  case 0xF4:
    return byte <= 0x8F;
  default:
    return true;
  }
}

} // namespace

std::string Utf8Stream::push(std::string_view bytes) {
  pending.append(bytes.begin(), bytes.end());
  std::string ready;
  size_t i = 0;
  while (i < pending.size()) {
    size_t length = sequenceLength(pending[i]);
    if (length == 0) {
      ready += kReplacement;
      ++i;
      continue;
    }
    size_t available = 1;
    while (available < length && i + available < pending.size() &&
           continues(pending[i], pending[i + available], available))
      ++available;
    if (available == length) {
      ready.append(pending, i, length);
      i += length;
    } else if (i + available == pending.size()) {
      break; // the rest of the character has not arrived yet
    } else {
      ready += kReplacement; // a character cut short by another
      i += available;
    }
  }
  pending.erase(0, i);
  return ready;
}

std::string Utf8Stream::finish() {
  std::string rest = pending.empty() ? "" : kReplacement;
  pending.clear();
  return rest;
}
