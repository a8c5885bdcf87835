//===- ChatTemplate.cpp - the chat formats of the models people run -------===//
//
// Each format as its model card (and llama.cpp's llama-chat.cpp) writes it.
// A system message goes where the format has a place for one, otherwise in
// front of the first user message.
//
//===----------------------------------------------------------------------===//

#include "tfm/Tokenizer/ChatTemplate.h"

namespace mlir::tfm {
namespace {

constexpr std::pair<const char *, ChatFormat> kNames[] = {
    {"llama2", ChatFormat::Llama2}, {"llama3", ChatFormat::Llama3},
    {"chatml", ChatFormat::ChatML}, {"gemma", ChatFormat::Gemma},
    {"phi3", ChatFormat::Phi3},     {"mistral", ChatFormat::Mistral}};

bool contains(std::string_view text, std::string_view marker) {
  return text.find(marker) != std::string_view::npos;
}

/// The messages with a leading system message folded into the first user
/// message, for the formats without a system role.
std::vector<ChatMessage> foldSystem(const std::vector<ChatMessage> &messages) {
  std::vector<ChatMessage> folded;
  std::string system;
  for (const ChatMessage &message : messages) {
    if (message.role == "system") {
      system += (system.empty() ? "" : "\n\n") + message.content;
      continue;
    }
    ChatMessage copy = message;
    if (copy.role == "user" && !system.empty()) {
      copy.content = system + "\n\n" + copy.content;
      system.clear();
    }
    folded.push_back(std::move(copy));
  }
  return folded;
}

std::string chatML(const std::vector<ChatMessage> &messages, bool open) {
  std::string out;
  for (const ChatMessage &m : messages)
    out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  return open ? out + "<|im_start|>assistant\n" : out;
}

std::string llama3(const std::vector<ChatMessage> &messages, bool open) {
  std::string out;
  for (const ChatMessage &m : messages)
    out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" +
           m.content + "<|eot_id|>";
  return open ? out + "<|start_header_id|>assistant<|end_header_id|>\n\n"
              : out;
}

std::string phi3(const std::vector<ChatMessage> &messages, bool open) {
  std::string out;
  for (const ChatMessage &m : messages)
    out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
  return open ? out + "<|assistant|>\n" : out;
}

std::string gemma(const std::vector<ChatMessage> &messages, bool open) {
  std::string out;
  for (const ChatMessage &m : foldSystem(messages))
    out += "<start_of_turn>" +
           std::string(m.role == "assistant" ? "model" : m.role) + "\n" +
           m.content + "<end_of_turn>\n";
  return open ? out + "<start_of_turn>model\n" : out;
}

/// [INST] user [/INST] answer</s> ...; Llama 2 wraps the system message
/// in <<SYS>>, Mistral folds it into the first user message.
std::string instruct(const std::vector<ChatMessage> &messages, bool llama2) {
  std::string out;
  bool insideTurn = false;
  for (const ChatMessage &m : llama2 ? messages : foldSystem(messages)) {
    if (!insideTurn) {
      out += "[INST] ";
      insideTurn = true;
    }
    if (m.role == "system") {
      out += "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n";
    } else if (m.role == "user") {
      out += m.content + (llama2 ? " [/INST]" : "[/INST]");
    } else {
      // The answer as the model writes it (Mistral's begins with its own
      // space, which the template writes as ' ' + content.strip()).
      out += m.content + "</s>";
      insideTurn = false;
    }
  }
  return out;
}

} // namespace

std::optional<ChatFormat> parseChatFormat(std::string_view name) {
  for (auto [known, format] : kNames)
    if (name == known)
      return format;
  return std::nullopt;
}

const char *chatFormatName(ChatFormat format) {
  for (auto [name, known] : kNames)
    if (format == known)
      return name;
  return "?";
}

std::string listChatFormats() {
  std::string names;
  for (auto [name, format] : kNames)
    names += std::string(names.empty() ? "" : ", ") + name;
  return names;
}

std::optional<ChatFormat> detectChatFormat(std::string_view jinja) {
  if (contains(jinja, "<|im_start|>"))
    return ChatFormat::ChatML;
  if (contains(jinja, "<|start_header_id|>") &&
      contains(jinja, "<|end_header_id|>"))
    return ChatFormat::Llama3;
  if (contains(jinja, "<start_of_turn>"))
    return ChatFormat::Gemma;
  if (contains(jinja, "<|assistant|>") && contains(jinja, "<|end|>"))
    return ChatFormat::Phi3;
  if (contains(jinja, "[INST]"))
    return contains(jinja, "<<SYS>>") ? ChatFormat::Llama2
                                      : ChatFormat::Mistral;
  return std::nullopt;
}

std::string formatChat(ChatFormat format,
                       const std::vector<ChatMessage> &messages,
                       bool openAssistant) {
  switch (format) {
  case ChatFormat::ChatML:
    return chatML(messages, openAssistant);
  case ChatFormat::Llama3:
    return llama3(messages, openAssistant);
  case ChatFormat::Phi3:
    return phi3(messages, openAssistant);
  case ChatFormat::Gemma:
    return gemma(messages, openAssistant);
  case ChatFormat::Llama2:
    return instruct(messages, /*llama2=*/true);
  case ChatFormat::Mistral:
    return instruct(messages, /*llama2=*/false);
  }
  return "";
}

std::string ChatHistory::delta(bool openAssistant) {
  std::string full = formatChat(format, messages, openAssistant);
  // The formats only ever append; the common prefix is the text so far.
  size_t common = 0;
  while (common < full.size() && common < formatted.size() &&
         full[common] == formatted[common])
    ++common;
  std::string added = full.substr(common);
  formatted = std::move(full);
  return added;
}

std::string ChatHistory::add(const ChatMessage &message) {
  messages.push_back(message);
  // The assistant answers users; a system message waits for one.
  return delta(/*openAssistant=*/message.role == "user");
}

std::string ChatHistory::answer(const std::string &content) {
  messages.push_back({"assistant", content});
  std::string added = delta(/*openAssistant=*/false);
  // The model wrote the answer itself (it is in its KV cache): only what
  // closes the turn after it is new.
  size_t at = added.find(content);
  return at == std::string::npos ? added : added.substr(at + content.size());
}

} // namespace mlir::tfm
