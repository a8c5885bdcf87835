//===- PreTokenizer.h - regex splitting before byte-level BPE ---*- C++ -*-===//
//
// A byte-level BPE vocabulary's text is first split into words by the
// regular expressions of its pre-tokenizer (`tokenizer.ggml.pre`), applied
// one after another: each splits every piece so far into its matches and
// the text between them (llama.cpp's semantics). The expressions are the
// models' own (\p{L}, \p{N}, look-ahead), run by PCRE2 with Unicode
// properties and its JIT.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_TOKENIZER_PRETOKENIZER_H
#define TFM_LIB_TOKENIZER_PRETOKENIZER_H

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlir::tfm {

class PreTokenizer {
public:
  /// The pre-tokenizer `name` names; null for an unknown name.
  static std::unique_ptr<PreTokenizer> create(std::string_view name);
  ~PreTokenizer();

  /// The words of `text` (valid UTF-8), in order, covering it.
  void split(std::string_view text, std::vector<std::string_view> &words) const;

private:
  struct Expression;
  PreTokenizer() = default;
  std::vector<std::unique_ptr<Expression>> expressions;
};

} // namespace mlir::tfm

#endif // TFM_LIB_TOKENIZER_PRETOKENIZER_H
