//===- OpenAIProtocol.cpp - OpenAI's completion API as tfm-server speaks it -===//

#include "tfm/Server/OpenAIProtocol.h"

#include "llvm/Support/Base64.h"
#include "llvm/Support/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir::tfm;
using namespace mlir::tfm::server;
namespace json = llvm::json;

namespace {

/// Reads the fields of one request object; the first problem found is kept
/// and ends the reading.
class FieldReader {
public:
  explicit FieldReader(const json::Object &object) : object(object) {}

  bool failed() const { return error.has_value(); }
  ApiError takeError() { return *error; }

  void fail(const std::string &field, const std::string &message) {
    if (!error)
      error = ApiError{400, message, "invalid_request_error", field};
  }

  /// A field that is present and not null.
  const json::Value *present(const char *field) {
    const json::Value *value = object.get(field);
    return value && value->kind() != json::Value::Null ? value : nullptr;
  }

  void readBool(const char *field, bool &out) {
    if (const json::Value *value = present(field)) {
      if (std::optional<bool> flag = value->getAsBoolean())
        out = *flag;
      else
        fail(field, std::string("'") + field + "' must be a boolean");
    }
  }

  /// A number in [low, high]; `exclusiveLow` excludes `low`.
  std::optional<double> readNumber(const char *field, double low, double high,
                                   bool exclusiveLow = false) {
    const json::Value *value = present(field);
    if (!value)
      return std::nullopt;
    std::optional<double> number = value->getAsNumber();
    if (!number) {
      fail(field, std::string("'") + field + "' must be a number");
      return std::nullopt;
    }
    bool tooLow = exclusiveLow ? !(*number > low) : !(*number >= low);
    if (tooLow || !(*number <= high)) {
      fail(field, std::string("'") + field + "' must be in " +
                      (exclusiveLow ? "(" : "[") + formatBound(low) + ", " +
                      formatBound(high) + "], got " + formatBound(*number));
      return std::nullopt;
    }
    return number;
  }

  std::optional<int64_t> readInteger(const char *field, int64_t low,
                                     int64_t high) {
    const json::Value *value = present(field);
    if (!value)
      return std::nullopt;
    std::optional<int64_t> number = value->getAsInteger();
    if (!number) {
      fail(field, std::string("'") + field + "' must be an integer");
      return std::nullopt;
    }
    if (*number < low || *number > high) {
      fail(field, std::string("'") + field + "' must be in [" +
                      std::to_string(low) + ", " + std::to_string(high) +
                      "], got " + std::to_string(*number));
      return std::nullopt;
    }
    return number;
  }

  std::optional<std::string> readString(const char *field) {
    const json::Value *value = present(field);
    if (!value)
      return std::nullopt;
    if (std::optional<llvm::StringRef> text = value->getAsString())
      return text->str();
    fail(field, std::string("'") + field + "' must be a string");
    return std::nullopt;
  }

  /// A string, or an array holding exactly one (OpenAI's batch form).
  std::optional<std::string> readSingleText(const char *field) {
    const json::Value *value = present(field);
    if (!value)
      return std::nullopt;
    if (const json::Array *array = value->getAsArray()) {
      if (array->size() != 1 || !(*array)[0].getAsString()) {
        fail(field, std::string("'") + field +
                        "' must be a string or an array of one string "
                        "(one prompt a request)");
        return std::nullopt;
      }
      return (*array)[0].getAsString()->str();
    }
    return readString(field);
  }

  /// A string or an array of up to `most` strings.
  std::vector<std::string> readStrings(const char *field, size_t most) {
    const json::Value *value = present(field);
    if (!value)
      return {};
    if (std::optional<llvm::StringRef> text = value->getAsString())
      return {text->str()};
    const json::Array *array = value->getAsArray();
    std::vector<std::string> strings;
    if (array && array->size() <= most) {
      for (const json::Value &element : *array)
        if (std::optional<llvm::StringRef> text = element.getAsString())
          strings.push_back(text->str());
      if (strings.size() == array->size())
        return strings;
    }
    fail(field, std::string("'") + field +
                    "' must be a string or an array of at most " +
                    std::to_string(most) + " strings");
    return {};
  }

  /// A field whose only supported value is `neutral` (OpenAI options this
  /// server does not implement: answering as if it did would be wrong).
  void rejectUnlessNumber(const char *field, double neutral) {
    if (std::optional<double> number = readNumber(field, -1e300, 1e300))
      if (*number != neutral)
        fail(field, std::string("'") + field + "' is not supported (only " +
                        formatBound(neutral) + ")");
  }

private:
  static std::string formatBound(double value) {
    if (value == std::floor(value) && std::fabs(value) < 1e15)
      return std::to_string(int64_t(value));
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    return text;
  }

  const json::Object &object;
  std::optional<ApiError> error;
};

/// Parses `body` into `value`, which must be an object; why not otherwise.
std::optional<ApiError> parseObject(std::string_view body, json::Value &value) {
  llvm::Expected<json::Value> parsed = json::parse(body);
  if (!parsed)
    return ApiError{400,
                    "the body is not valid JSON: " +
                        llvm::toString(parsed.takeError()),
                    "invalid_request_error", ""};
  if (!parsed->getAsObject())
    return ApiError{400, "the body must be a JSON object",
                    "invalid_request_error", ""};
  value = std::move(*parsed);
  return std::nullopt;
}

/// A chat message's content: a string or an array of text parts.
std::optional<std::string> messageContent(const json::Value &content) {
  if (std::optional<llvm::StringRef> text = content.getAsString())
    return text->str();
  const json::Array *parts = content.getAsArray();
  if (!parts)
    return std::nullopt;
  std::string joined;
  for (const json::Value &part : *parts) {
    const json::Object *object = part.getAsObject();
    if (!object || object->getString("type") != llvm::StringRef("text"))
      return std::nullopt;
    std::optional<llvm::StringRef> text = object->getString("text");
    if (!text)
      return std::nullopt;
    joined += text->str();
  }
  return joined;
}

void readMessages(FieldReader &reader, const json::Object &object,
                  std::vector<ChatMessage> &messages) {
  const json::Array *array = object.getArray("messages");
  if (!array || array->empty()) {
    reader.fail("messages", "'messages' must be a non-empty array");
    return;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    std::string where = "messages[" + std::to_string(i) + "]";
    const json::Object *message = (*array)[i].getAsObject();
    std::optional<llvm::StringRef> role =
        message ? message->getString("role") : std::nullopt;
    const json::Value *content = message ? message->get("content") : nullptr;
    std::optional<std::string> text =
        content ? messageContent(*content) : std::nullopt;
    if (!role || !text) {
      reader.fail(where, "'" + where +
                             "' must be an object with a string 'role' and a "
                             "string (or text parts) 'content'");
      return;
    }
    if (*role != "system" && *role != "user" && *role != "assistant") {
      reader.fail(where + ".role",
                  "'" + where + ".role' must be system, user or assistant, "
                  "got '" + role->str() + "'");
      return;
    }
    messages.push_back({role->str(), *text});
  }
}

void readSampling(FieldReader &reader, const SamplerOptions &defaults,
                  GenerationRequest &request) {
  SamplerOptions &sampling = request.sampling;
  sampling.temperature = float(
      reader.readNumber("temperature", 0, 100).value_or(defaults.temperature));
  sampling.topP =
      float(reader.readNumber("top_p", 0, 1, /*exclusiveLow=*/true)
                .value_or(defaults.topP));
  sampling.topK =
      int32_t(reader.readInteger("top_k", 0, INT32_MAX).value_or(defaults.topK));
  sampling.repeatPenalty =
      float(reader.readNumber("repeat_penalty", 0, 100, /*exclusiveLow=*/true)
                .value_or(defaults.repeatPenalty));
  sampling.repeatLastN = int32_t(reader.readInteger("repeat_last_n", -1, INT32_MAX)
                                     .value_or(defaults.repeatLastN));
  if (std::optional<int64_t> seed = reader.readInteger("seed", 0, INT64_MAX))
    request.seed = uint64_t(*seed);
}

} // namespace

std::variant<GenerationRequest, ApiError>
server::parseGenerationRequest(std::string_view body, Endpoint endpoint,
                               const SamplerOptions &defaults) {
  json::Value parsed = nullptr;
  if (std::optional<ApiError> error = parseObject(body, parsed))
    return *error;
  const json::Object *object = parsed.getAsObject();

  GenerationRequest request;
  request.endpoint = endpoint;
  FieldReader reader(*object);
  request.model = reader.readString("model").value_or("");
  if (endpoint == Endpoint::Completions) {
    std::optional<std::string> prompt = reader.readSingleText("prompt");
    if (!prompt && !reader.failed())
      reader.fail("prompt", "'prompt' is required");
    request.prompt = prompt.value_or("");
  } else {
    readMessages(reader, *object, request.messages);
  }
  reader.readBool("stream", request.stream);
  reader.readBool("ignore_eos", request.ignoreEos);
  if (const json::Value *options = reader.present("stream_options")) {
    const json::Object *fields = options->getAsObject();
    if (!fields)
      reader.fail("stream_options", "'stream_options' must be an object");
    else {
      FieldReader optionReader(*fields);
      optionReader.readBool("include_usage", request.streamUsage);
      if (optionReader.failed())
        reader.fail("stream_options.include_usage",
                    "'stream_options.include_usage' must be a boolean");
    }
  }
  // max_completion_tokens is the chat API's newer name for max_tokens.
  std::optional<int64_t> maxTokens =
      reader.readInteger("max_tokens", 0, INT32_MAX);
  if (std::optional<int64_t> newer =
          reader.readInteger("max_completion_tokens", 0, INT32_MAX))
    maxTokens = newer;
  request.maxTokens = maxTokens;
  request.stop = reader.readStrings("stop", 16);
  readSampling(reader, defaults, request);
  if (std::optional<int64_t> n = reader.readInteger("n", 1, INT32_MAX);
      n && *n != 1)
    reader.fail("n", "'n' must be 1 (one answer a request)");
  reader.rejectUnlessNumber("frequency_penalty", 0);
  reader.rejectUnlessNumber("presence_penalty", 0);
  bool flag = false;
  reader.readBool("echo", flag);
  if (flag)
    reader.fail("echo", "'echo' is not supported");
  if (const json::Value *logprobs = reader.present("logprobs"))
    if (logprobs->getAsBoolean() != std::optional<bool>(false))
      reader.fail("logprobs", "'logprobs' is not supported");
  if (reader.failed())
    return reader.takeError();
  return request;
}

namespace {

/// Token ids, if `value` is an array of integers (in int32 range).
std::optional<std::vector<int32_t>> tokenIds(const json::Value &value) {
  const json::Array *array = value.getAsArray();
  if (!array || array->empty())
    return std::nullopt;
  std::vector<int32_t> ids;
  for (const json::Value &element : *array) {
    std::optional<int64_t> id = element.getAsInteger();
    if (!id || *id < INT32_MIN || *id > INT32_MAX)
      return std::nullopt;
    ids.push_back(int32_t(*id));
  }
  return ids;
}

} // namespace

std::variant<EmbeddingRequest, ApiError>
server::parseEmbeddingRequest(std::string_view body, size_t maxInputs) {
  json::Value parsed = nullptr;
  if (std::optional<ApiError> error = parseObject(body, parsed))
    return *error;
  const json::Object *object = parsed.getAsObject();
  EmbeddingRequest request;
  FieldReader reader(*object);
  request.model = reader.readString("model").value_or("");
  if (std::optional<std::string> format = reader.readString("encoding_format")) {
    if (*format != "float" && *format != "base64")
      reader.fail("encoding_format",
                  "'encoding_format' must be float or base64, got '" +
                      *format + "'");
    request.base64 = *format == "base64";
  }
  const json::Value *input = reader.present("input");
  const char *shape = "'input' must be a non-empty string, an array of "
                      "strings, an array of token ids or an array of such "
                      "arrays";
  if (!input) {
    reader.fail("input", "'input' is required");
  } else if (std::optional<llvm::StringRef> text = input->getAsString()) {
    request.texts.push_back(text->str());
  } else if (std::optional<std::vector<int32_t>> ids = tokenIds(*input)) {
    request.tokens.push_back(*ids);
  } else if (const json::Array *array = input->getAsArray();
             array && !array->empty()) {
    for (const json::Value &element : *array) {
      if (std::optional<llvm::StringRef> text = element.getAsString())
        request.texts.push_back(text->str());
      else if (std::optional<std::vector<int32_t>> ids = tokenIds(element))
        request.tokens.push_back(*ids);
      else
        reader.fail("input", shape);
    }
    if (!request.texts.empty() && !request.tokens.empty())
      reader.fail("input", "'input' mixes texts and token ids");
  } else {
    reader.fail("input", shape);
  }
  size_t inputs = request.texts.size() + request.tokens.size();
  if (inputs > maxInputs)
    reader.fail("input", "'input' has " + std::to_string(inputs) +
                             " inputs; at most " + std::to_string(maxInputs) +
                             " a request");
  if (std::any_of(request.texts.begin(), request.texts.end(),
                  [](const std::string &text) { return text.empty(); }))
    reader.fail("input", "'input' has an empty text");
  if (reader.failed())
    return reader.takeError();
  return request;
}

json::Value server::embeddingBody(const std::vector<std::vector<float>> &vectors,
                                  bool base64, const std::string &model,
                                  int64_t promptTokens) {
  json::Array data;
  for (size_t i = 0; i < vectors.size(); ++i) {
    json::Value embedding = nullptr;
    if (base64) {
      // Little-endian f32 bytes, as OpenAI sends them.
      std::string bytes(vectors[i].size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), vectors[i].data(), bytes.size());
      embedding = llvm::encodeBase64(bytes);
    } else {
      json::Array values;
      for (float value : vectors[i])
        values.push_back(double(value));
      embedding = std::move(values);
    }
    data.push_back(json::Object{{"object", "embedding"},
                                {"index", int64_t(i)},
                                {"embedding", std::move(embedding)}});
  }
  return json::Object{
      {"object", "list"},
      {"data", std::move(data)},
      {"model", model},
      {"usage", json::Object{{"prompt_tokens", promptTokens},
                             {"total_tokens", promptTokens}}}};
}

json::Value server::errorBody(const ApiError &error) {
  return json::Object{
      {"error", json::Object{{"message", error.message},
                             {"type", error.type},
                             {"param", error.param.empty()
                                           ? json::Value(nullptr)
                                           : json::Value(error.param)},
                             {"code", nullptr}}}};
}

json::Value server::usageBody(const Usage &usage) {
  return json::Object{
      {"prompt_tokens", usage.promptTokens},
      {"completion_tokens", usage.completionTokens},
      {"total_tokens", usage.promptTokens + usage.completionTokens}};
}

namespace {

json::Object headerFields(const ResponseHeader &header, const char *object) {
  return json::Object{{"id", header.id},
                      {"object", object},
                      {"created", header.created},
                      {"model", header.model},
                      {"system_fingerprint", "tfm"}};
}

json::Value finishField(const std::string &finishReason) {
  return finishReason.empty() ? json::Value(nullptr)
                              : json::Value(finishReason);
}

} // namespace

json::Value server::completionBody(Endpoint endpoint,
                                   const ResponseHeader &header,
                                   const std::string &text,
                                   const std::string &finishReason,
                                   const Usage &usage) {
  bool chat = endpoint == Endpoint::ChatCompletions;
  json::Object choice{{"index", 0}, {"finish_reason", finishReason}};
  if (chat) {
    choice["message"] =
        json::Object{{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
    choice["logprobs"] = nullptr;
  }
  json::Object body =
      headerFields(header, chat ? "chat.completion" : "text_completion");
  body["choices"] = json::Array{std::move(choice)};
  body["usage"] = usageBody(usage);
  return body;
}

json::Value server::chunkBody(Endpoint endpoint, const ResponseHeader &header,
                              const std::string &text, bool first,
                              const std::string &finishReason) {
  bool chat = endpoint == Endpoint::ChatCompletions;
  json::Object choice{{"index", 0}, {"finish_reason", finishField(finishReason)}};
  if (chat) {
    json::Object delta;
    if (first)
      delta["role"] = "assistant";
    if (!text.empty() || finishReason.empty())
      delta["content"] = text;
    choice["delta"] = std::move(delta);
  } else {
    choice["text"] = text;
    choice["logprobs"] = nullptr;
  }
  json::Object body = headerFields(
      header, chat ? "chat.completion.chunk" : "text_completion");
  body["choices"] = json::Array{std::move(choice)};
  return body;
}

json::Value server::usageChunkBody(Endpoint endpoint,
                                   const ResponseHeader &header,
                                   const Usage &usage) {
  bool chat = endpoint == Endpoint::ChatCompletions;
  json::Object body = headerFields(
      header, chat ? "chat.completion.chunk" : "text_completion");
  body["choices"] = json::Array{};
  body["usage"] = usageBody(usage);
  return body;
}
