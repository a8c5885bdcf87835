//===- StopStrings.cpp - cut generated text at the first stop string ------===//

#include "tfm/Server/StopStrings.h"

#include <algorithm>

using namespace mlir::tfm::server;

StopMatcher::StopMatcher(std::vector<std::string> strings) {
  for (std::string &stop : strings)
    if (!stop.empty())
      stops.push_back(std::move(stop));
}

std::string StopMatcher::push(std::string_view text) {
  if (found)
    return {};
  held.append(text);
  // The earliest stop string wins, wherever it ends.
  size_t cut = std::string::npos;
  for (const std::string &stop : stops)
    cut = std::min(cut, held.find(stop));
  if (cut != std::string::npos) {
    found = true;
    std::string shown = held.substr(0, cut);
    held.clear();
    return shown;
  }
  size_t keep = partialMatchLength();
  std::string shown = held.substr(0, held.size() - keep);
  held.erase(0, held.size() - keep);
  return shown;
}

std::string StopMatcher::finish() {
  std::string rest;
  rest.swap(held);
  return found ? std::string() : rest;
}

size_t StopMatcher::partialMatchLength() const {
  size_t longest = 0;
  for (const std::string &stop : stops) {
    size_t most = std::min(stop.size() - 1, held.size());
    for (size_t length = most; length > longest; --length)
      if (std::string_view(held).substr(held.size() - length) ==
          std::string_view(stop).substr(0, length)) {
        longest = length;
        break;
      }
  }
  return longest;
}
