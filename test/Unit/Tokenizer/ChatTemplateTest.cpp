//===- ChatTemplateTest.cpp - the chat formats ----------------------------===//

#include "tfm/Tokenizer/ChatTemplate.h"

#include <gtest/gtest.h>

using namespace mlir::tfm;

namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"},
    {"user", "Bye"}};

TEST(ChatTemplateTest, EachFormat) {
  EXPECT_EQ(formatChat(ChatFormat::ChatML, kConversation, true),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n"
            "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(formatChat(ChatFormat::Llama3, kConversation, true),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(formatChat(ChatFormat::Phi3, kConversation, true),
            "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n"
            "<|assistant|>\nHello!<|end|>\n<|user|>\nBye<|end|>\n"
            "<|assistant|>\n");
  EXPECT_EQ(formatChat(ChatFormat::Gemma, kConversation, true),
            "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
            "<start_of_turn>model\nHello!<end_of_turn>\n"
            "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(formatChat(ChatFormat::Llama2, kConversation, true),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello!</s>"
            "[INST] Bye [/INST]");
  EXPECT_EQ(formatChat(ChatFormat::Mistral, kConversation, true),
            "[INST] Be brief.\n\nHi[/INST]Hello!</s>[INST] Bye[/INST]");
}

TEST(ChatTemplateTest, DetectsFormatsFromTheirTemplates) {
  EXPECT_EQ(detectChatFormat("{{'<|im_start|>' + message['role']}}"),
            ChatFormat::ChatML);
  EXPECT_EQ(detectChatFormat("<|start_header_id|>' + role + '<|end_header_id|>"),
            ChatFormat::Llama3);
  EXPECT_EQ(detectChatFormat("<start_of_turn>model"), ChatFormat::Gemma);
  EXPECT_EQ(detectChatFormat("{{'<|user|>' + '\n'}}<|end|><|assistant|>"),
            ChatFormat::Phi3);
  EXPECT_EQ(detectChatFormat("[INST] <<SYS>>"), ChatFormat::Llama2);
  EXPECT_EQ(detectChatFormat("{{ '[INST] ' + content + '[/INST]' }}"),
            ChatFormat::Mistral);
  EXPECT_FALSE(detectChatFormat("{{ messages }}"));
  EXPECT_EQ(parseChatFormat("chatml"), ChatFormat::ChatML);
  EXPECT_FALSE(parseChatFormat("vicuna"));
  EXPECT_EQ(listChatFormats(), "llama2, llama3, chatml, gemma, phi3, mistral");
}

TEST(ChatTemplateTest, HistoryGivesWhatEachTurnAdds) {
  for (ChatFormat format :
       {ChatFormat::ChatML, ChatFormat::Llama3, ChatFormat::Gemma,
        ChatFormat::Phi3, ChatFormat::Llama2, ChatFormat::Mistral}) {
    ChatHistory chat(format);
    std::string all = chat.add({"system", "Be brief."});
    all += chat.add({"user", "Hi"});
    all += "Hello!"; // what the model wrote
    all += chat.answer("Hello!");
    all += chat.add({"user", "Bye"});
    EXPECT_EQ(all, formatChat(format, kConversation, true))
        << chatFormatName(format);
  }
}

} // namespace
