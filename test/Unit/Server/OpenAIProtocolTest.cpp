//===- OpenAIProtocolTest.cpp - request bodies read, answers written ------===//

#include "tfm/Server/OpenAIProtocol.h"

#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

using namespace mlir::tfm;
using namespace mlir::tfm::server;

namespace {

std::variant<GenerationRequest, ApiError> parse(std::string_view body,
                                                Endpoint endpoint =
                                                    Endpoint::Completions) {
  return parseGenerationRequest(body, endpoint, SamplerOptions());
}

ApiError errorOf(std::string_view body,
                 Endpoint endpoint = Endpoint::Completions) {
  auto parsed = parse(body, endpoint);
  EXPECT_TRUE(std::holds_alternative<ApiError>(parsed)) << body;
  return std::holds_alternative<ApiError>(parsed) ? std::get<ApiError>(parsed)
                                                  : ApiError();
}

TEST(OpenAIProtocol, ReadsEveryFieldOfACompletion) {
  auto parsed = parse(R"({"model": "m", "prompt": ["Once"], "max_tokens": 5,
      "temperature": 0.5, "top_p": 0.9, "top_k": 7, "seed": 3,
      "repeat_penalty": 1.1, "stop": ["a", "b"], "stream": true,
      "stream_options": {"include_usage": true}, "n": 1, "user": "x"})");
  ASSERT_TRUE(std::holds_alternative<GenerationRequest>(parsed));
  const GenerationRequest &request = std::get<GenerationRequest>(parsed);
  EXPECT_EQ(request.prompt, "Once");
  EXPECT_EQ(request.maxTokens, std::optional<int64_t>(5));
  EXPECT_FLOAT_EQ(request.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(request.sampling.topP, 0.9f);
  EXPECT_EQ(request.sampling.topK, 7);
  EXPECT_EQ(request.seed, std::optional<uint64_t>(3));
  EXPECT_FLOAT_EQ(request.sampling.repeatPenalty, 1.1f);
  EXPECT_EQ(request.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.streamUsage);
}

TEST(OpenAIProtocol, DefaultsAndNulls) {
  auto parsed = parse(R"({"prompt": "x", "temperature": null, "stop": null})");
  ASSERT_TRUE(std::holds_alternative<GenerationRequest>(parsed));
  const GenerationRequest &request = std::get<GenerationRequest>(parsed);
  EXPECT_FLOAT_EQ(request.sampling.temperature, SamplerOptions().temperature);
  EXPECT_FALSE(request.maxTokens.has_value());
  EXPECT_TRUE(request.stop.empty());
  EXPECT_FALSE(request.seed.has_value());
}

TEST(OpenAIProtocol, ChatMessagesWithTextParts) {
  auto parsed = parse(R"({"messages": [{"role": "system", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                   {"type": "text", "text": "there"}]}],
      "max_completion_tokens": 9})",
                      Endpoint::ChatCompletions);
  ASSERT_TRUE(std::holds_alternative<GenerationRequest>(parsed));
  const GenerationRequest &request = std::get<GenerationRequest>(parsed);
  ASSERT_EQ(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[1].content, "Hi there");
  EXPECT_EQ(request.maxTokens, std::optional<int64_t>(9));
}

TEST(OpenAIProtocol, ErrorsNameTheField) {
  EXPECT_EQ(errorOf(R"({"prompt": "x", "top_k": 1.5})").param, "top_k");
  EXPECT_EQ(errorOf(R"({"prompt": ["a", "b"]})").param, "prompt");
  EXPECT_EQ(errorOf(R"({"prompt": "x", "stream": "yes"})").param, "stream");
  EXPECT_EQ(errorOf(R"({"prompt": "x", "stream_options": {"include_usage": 1}})")
                .param,
            "stream_options.include_usage");
  EXPECT_EQ(errorOf(R"({"prompt": "x", "logprobs": true})").param, "logprobs");
  EXPECT_EQ(errorOf(R"({"prompt": "x", "seed": -1})").param, "seed");
  EXPECT_EQ(errorOf(R"({"messages": [{"role": "user", "content": [{"type":
      "image_url"}]}]})",
                    Endpoint::ChatCompletions)
                .param,
            "messages[0]");
  ApiError error = errorOf("{\"prompt\": ");
  EXPECT_EQ(error.status, 400);
  EXPECT_NE(error.message.find("not valid JSON"), std::string::npos);
}

TEST(OpenAIProtocol, EmbeddingInputsOfEveryShape) {
  auto texts = parseEmbeddingRequest(R"({"input": ["a", "b"]})", 8);
  ASSERT_TRUE(std::holds_alternative<EmbeddingRequest>(texts));
  EXPECT_EQ(std::get<EmbeddingRequest>(texts).texts.size(), 2u);
  auto ids = parseEmbeddingRequest(R"({"input": [[1, 2], [3]],
      "encoding_format": "base64"})", 8);
  ASSERT_TRUE(std::holds_alternative<EmbeddingRequest>(ids));
  EXPECT_EQ(std::get<EmbeddingRequest>(ids).tokens,
            (std::vector<std::vector<int32_t>>{{1, 2}, {3}}));
  EXPECT_TRUE(std::get<EmbeddingRequest>(ids).base64);
  auto one = parseEmbeddingRequest(R"({"input": [5, 6]})", 8);
  ASSERT_TRUE(std::holds_alternative<EmbeddingRequest>(one));
  EXPECT_EQ(std::get<EmbeddingRequest>(one).tokens.size(), 1u);
  auto many = parseEmbeddingRequest(R"({"input": ["a", "b", "c"]})", 2);
  ASSERT_TRUE(std::holds_alternative<ApiError>(many));
  EXPECT_EQ(std::get<ApiError>(many).param, "input");
  auto empty = parseEmbeddingRequest(R"({"input": [""]})", 8);
  ASSERT_TRUE(std::holds_alternative<ApiError>(empty));
}

TEST(OpenAIProtocol, BodiesFollowOpenAI) {
  ResponseHeader header{"cmpl-1", 100, "m"};
  std::string whole = llvm::formatv(
      "{0}", completionBody(Endpoint::ChatCompletions, header, "hi", "stop",
                            Usage{3, 2}))
                          .str();
  EXPECT_NE(whole.find(R"("message":{"content":"hi","role":"assistant"})"),
            std::string::npos);
  EXPECT_NE(whole.find(R"("total_tokens":5)"), std::string::npos);
  EXPECT_NE(whole.find(R"("object":"chat.completion")"), std::string::npos);
  std::string chunk = llvm::formatv(
      "{0}", chunkBody(Endpoint::Completions, header, "a", true, "")).str();
  EXPECT_NE(chunk.find(R"("finish_reason":null)"), std::string::npos);
  EXPECT_NE(chunk.find(R"("text":"a")"), std::string::npos);
  std::string error =
      llvm::formatv("{0}", errorBody(ApiError{400, "bad", "invalid_request_error",
                                               "top_p"}))
          .str();
  EXPECT_EQ(error, R"({"error":{"code":null,"message":"bad","param":"top_p",)"
                   R"("type":"invalid_request_error"}})");
}

} // namespace
