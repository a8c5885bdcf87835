//===- ChatFormat.h - which chat format a tool uses -------------*- C++ -*-===//
//
// The chat format of a model for the tools: the one a --chat-template flag
// names, else the one its Jinja template (GGUF tokenizer.chat_template,
// tokenizer_config.json's chat_template) is recognized as.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_CHATFORMAT_H
#define TFM_IMPORT_CHATFORMAT_H

#include "tfm/Tokenizer/ChatTemplate.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir::tfm {

/// `flag` (a --chat-template value; empty: none), else `jinja` recognized;
/// the errors name the flag and the formats, or `model` and why.
llvm::Expected<ChatFormat> resolveChatFormat(llvm::StringRef flag,
                                             llvm::StringRef jinja,
                                             llvm::StringRef model);

} // namespace mlir::tfm

#endif // TFM_IMPORT_CHATFORMAT_H
