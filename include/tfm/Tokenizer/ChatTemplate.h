//===- ChatTemplate.h - the chat formats of the models people run -*- C++ -*-===//
//
// A conversation as the prompt text a chat model was trained on. The
// formats in wide use are recognized from the model's Jinja template by
// their tell-tale markers, as llama.cpp recognizes them, and written by
// hand: Llama 2, Llama 3, ChatML (Qwen, SmolLM), Gemma, Phi-3 and Mistral
// (docs/tokenizers.md says why not a Jinja engine). The text holds control
// tokens (`<|im_start|>`): encode it with parseSpecial.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOKENIZER_CHATTEMPLATE_H
#define TFM_TOKENIZER_CHATTEMPLATE_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlir::tfm {

enum class ChatFormat { Llama2, Llama3, ChatML, Gemma, Phi3, Mistral };

struct ChatMessage {
  /// "system", "user" or "assistant".
  std::string role;
  std::string content;
};

/// "llama2", "llama3", "chatml", "gemma", "phi3", "mistral".
std::optional<ChatFormat> parseChatFormat(std::string_view name);
const char *chatFormatName(ChatFormat format);
/// Every name parseChatFormat takes, comma separated.
std::string listChatFormats();

/// The format a Jinja chat template writes, by its markers; none when it
/// is not one of the known formats.
std::optional<ChatFormat> detectChatFormat(std::string_view jinja);

/// The prompt of `messages`; with `openAssistant`, the assistant's turn is
/// opened for the model to write.
std::string formatChat(ChatFormat format,
                       const std::vector<ChatMessage> &messages,
                       bool openAssistant);

/// A conversation that grows turn by turn: each call gives the text to add
/// after what the previous calls gave (the difference of the formatted
/// prompts before and after), as a chat loop that keeps its KV cache needs.
class ChatHistory {
public:
  explicit ChatHistory(ChatFormat format) : format(format) {}

  /// The text of a new message: a user's, with the assistant's turn opened
  /// after it, or a system message.
  std::string add(const ChatMessage &message);
  /// Records the answer the model wrote; returns the text after it that
  /// closes its turn (to feed to the model before the next message).
  std::string answer(const std::string &content);

private:
  std::string delta(bool openAssistant);

  ChatFormat format;
  std::vector<ChatMessage> messages;
  /// The formatted prompt so far.
  std::string formatted;
};

} // namespace mlir::tfm

#endif // TFM_TOKENIZER_CHATTEMPLATE_H
