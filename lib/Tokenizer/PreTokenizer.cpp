//===- PreTokenizer.cpp - regex splitting before byte-level BPE -----------===//
//
// The expressions of each `tokenizer.ggml.pre` value are the models' own
// (their tokenizer.json split patterns, as llama.cpp groups them). Where
// llama.cpp rewrote a pattern for std::regex, which lacks \p{Lu} and (?i),
// the original is used: PCRE2 runs it as the Hugging Face tokenizers do.
//
//===----------------------------------------------------------------------===//

#include "PreTokenizer.h"

#include "tfm/Tokenizer/Tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstring>
#include <optional>

namespace mlir::tfm {
namespace {

// GPT-2's split; many pre-tokenizers add expressions around it.
constexpr const char *kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr const char *kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char *kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char *kGpt4o =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// DeepSeek LLM's classes, written as code points: a copy of the
// characters could be normalized on the way (U+212A KELVIN SIGN is 'K'
// after NFC). Its letters are the cased letters of its Unicode version;
// its "CJK" class runs from Samaritan to the CJK ideographs, plus Hangul.
constexpr const char *kDeepSeekLetters = R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
constexpr const char *kDeepSeekCjk =
    R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";

struct Family {
  /// The `tokenizer.ggml.pre` values that mean it.
  std::vector<const char *> names;
  std::vector<const char *> expressions;
};

const std::vector<Family> &families() {
  static const std::vector<Family> table = {
      {{"default"},
       {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}},
      {{"gpt-2", "gpt2", "gpt-neox", "mpt", "olmo", "jais", "phi-2",
        "roberta-bpe", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es",
        "jina-v2-de", "jina-v2-code", "gigachat", "exaone4"},
       {kGpt2}},
      {{"llama-bpe", "llama3", "llama-v3", "falcon3", "dbrx", "smaug-bpe",
        "chatglm-bpe", "glm4"},
       {kLlama3}},
      {{"qwen2", "stablelm2", "deepseek-r1-qwen", "megrez"}, {kQwen2}},
      {{"deepseek-llm"},
       {"[\r\n]", kDeepSeekLetters,
        R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)",
        "\\s+$", kDeepSeekCjk,
        R"(\p{N}+)"}},
      {{"deepseek-coder"},
       {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepSeekCjk, R"(\p{N})"}},
      {{"falcon"},
       {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"}},
      {{"starcoder", "refact", "smollm", "command-r", "codeshell", "exaone",
        "minerva-7b"},
       {R"(\p{N})", kGpt2}},
      {{"gpt-4o", "llama4"}, {kGpt4o}},
  };
  return table;
}

const Family *familyOf(std::string_view name) {
  for (const Family &family : families())
    for (const char *known : family.names)
      if (name == known)
        return &family;
  return nullptr;
}

} // namespace

struct PreTokenizer::Expression {
  explicit Expression(const char *pattern) {
    int error;
    PCRE2_SIZE offset;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern),
                         PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY |
                             PCRE2_NO_UTF_CHECK,
                         &error, &offset, nullptr);
    if (code)
      pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  }
  ~Expression() { pcre2_code_free(code); }

  pcre2_code *code = nullptr;
};

PreTokenizer::~PreTokenizer() = default;

std::unique_ptr<PreTokenizer> PreTokenizer::create(std::string_view name) {
  const Family *family = familyOf(name);
  if (!family)
    return nullptr;
  std::unique_ptr<PreTokenizer> pre(new PreTokenizer);
  for (const char *pattern : family->expressions) {
    auto expression = std::make_unique<Expression>(pattern);
    // The patterns are constants of this file: one that does not compile
    // is a bug, caught by every test that tokenizes with it.
    if (!expression->code)
      return nullptr;
    pre->expressions.push_back(std::move(expression));
  }
  return pre;
}

void PreTokenizer::split(std::string_view text,
                         std::vector<std::string_view> &words) const {
  std::vector<std::string_view> pieces{text}, next;
  // Room for the whole match only: pcre2_match still sets it when a
  // pattern has groups.
  pcre2_match_data *match = pcre2_match_data_create(1, nullptr);
  for (const std::unique_ptr<Expression> &expression : expressions) {
    next.clear();
    for (std::string_view piece : pieces) {
      auto subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
      size_t position = 0, kept = 0;
      while (position < piece.size()) {
        int found = pcre2_match(expression->code, subject, piece.size(),
                                position, PCRE2_NO_UTF_CHECK, match, nullptr);
        if (found < 0)
          break;
        PCRE2_SIZE *range = pcre2_get_ovector_pointer(match);
        if (range[1] == range[0]) {
          // An empty match splits nothing: look again one character on.
          position = range[0] + 1;
          while (position < piece.size() &&
                 (uint8_t(piece[position]) & 0xC0) == 0x80)
            ++position;
          continue;
        }
        if (range[0] > kept)
          next.push_back(piece.substr(kept, range[0] - kept));
        next.push_back(piece.substr(range[0], range[1] - range[0]));
        kept = position = range[1];
      }
      if (kept < piece.size())
        next.push_back(piece.substr(kept));
    }
    pieces.swap(next);
  }
  pcre2_match_data_free(match);
  words.insert(words.end(), pieces.begin(), pieces.end());
}

std::optional<std::string> preTokenizerOfPattern(std::string_view pattern) {
  for (const Family &family : families())
    if (family.expressions.size() == 1 && pattern == family.expressions[0])
      return std::string(family.names[0]);
  return std::nullopt;
}

bool isKnownPreTokenizer(std::string_view name) {
  return familyOf(name) != nullptr;
}

std::string listPreTokenizers() {
  std::string names;
  for (const Family &family : families())
    for (const char *name : family.names)
      names += std::string(names.empty() ? "" : ", ") + name;
  return names;
}

} // namespace mlir::tfm
