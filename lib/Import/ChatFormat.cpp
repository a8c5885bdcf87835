//===- ChatFormat.cpp - which chat format a tool uses ---------------------===//

#include "tfm/Import/ChatFormat.h"

#include "llvm/ADT/Twine.h"

using namespace mlir::tfm;

llvm::Expected<ChatFormat> mlir::tfm::resolveChatFormat(llvm::StringRef flag,
                                                        llvm::StringRef jinja,
                                                        llvm::StringRef model) {
  if (!flag.empty()) {
    if (std::optional<ChatFormat> format = parseChatFormat(flag))
      return *format;
    return llvm::createStringError("unknown --chat-template '" + flag + "' (" +
                                   listChatFormats() + ")");
  }
  if (jinja.empty())
    return llvm::createStringError(model + ": no chat template; give "
                                           "--chat-template NAME (" +
                                   listChatFormats() + ")");
  if (std::optional<ChatFormat> format = detectChatFormat(jinja))
    return *format;
  return llvm::createStringError(
      model + ": its chat template is not one of the formats tfm knows; give "
              "--chat-template NAME (" +
      listChatFormats() + ")");
}
