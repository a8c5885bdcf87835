//===- GGUFTest.cpp - GGUF parsing of files written by GGUFWriter ---------===//

#include "tfm/Import/GGUF.h"
#include "tfm/Writers/GGUFWriter.h"

#include <gtest/gtest.h>

using namespace mlir::tfm;

namespace {

std::string parseError(const std::vector<uint8_t> &bytes) {
  llvm::Expected<GGUFFile> file = parseGGUF("t.gguf", bytes);
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

TEST(GGUFTest, RoundTripsMetadataAndTensors) {
  GGUFWriter writer;
  writer.addString("general.architecture", "llama");
  writer.addUInt32("llama.block_count", 3);
  writer.addFloat32("llama.rope.freq_base", 500000.0f);
  writer.addBool("tokenizer.ggml.add_bos_token", false);
  writer.addStringArray("tokenizer.ggml.tokens", {"a", "bc"});
  writer.addFloat32Array("tokenizer.ggml.scores", {-1.5f, 2.0f});
  std::vector<uint8_t> data(2 * 32 * 4, 7);
  writer.addTensor("w", {2, 32}, WeightFormat::F32, data);
  writer.addTensor("q", {64}, WeightFormat::Q8_0, std::vector<uint8_t>(68, 1));
  std::vector<uint8_t> bytes = writer.serialize();

  llvm::Expected<GGUFFile> file = parseGGUF("t.gguf", bytes);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->version, 3u);
  EXPECT_EQ(file->lookup("general.architecture")->stringValue, "llama");
  EXPECT_EQ(file->lookup("llama.block_count")->unsignedValue, 3u);
  EXPECT_EQ(file->lookup("llama.rope.freq_base")->floatValue, 500000.0);
  EXPECT_EQ(file->lookup("tokenizer.ggml.add_bos_token")->unsignedValue, 0u);
  const GGUFValue *tokens = file->lookup("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens->strings.size(), 2u);
  EXPECT_EQ(tokens->strings[1], "bc");
  EXPECT_EQ(file->lookup("tokenizer.ggml.scores")->floatElement(0), -1.5);
  ASSERT_EQ(file->tensors.size(), 2u);
  EXPECT_EQ(file->tensors[0].dims, (llvm::SmallVector<uint64_t, 4>{32, 2}));
  EXPECT_EQ(file->tensors[0].byteSize, 256u);
  EXPECT_EQ(file->tensors[1].offset % 32, 0u);
  EXPECT_EQ(file->tensors[1].byteSize, 68u);
  EXPECT_EQ(bytes[file->dataOffset], 7);
}

TEST(GGUFTest, AlignmentMustBeASmallPowerOfTwo) {
  GGUFWriter odd;
  odd.addUInt32("general.alignment", 48);
  EXPECT_EQ(parseError(odd.serialize()),
            "t.gguf: offset 53: general.alignment 48 is not a power of two "
            "up to 1048576");
  GGUFWriter huge;
  huge.addUInt32("general.alignment", 1u << 21);
  EXPECT_NE(parseError(huge.serialize()).find("is not a power of two"),
            std::string::npos);
}

TEST(GGUFTest, DuplicatesAreRejected) {
  GGUFWriter keys;
  keys.addUInt32("k", 1);
  keys.addUInt32("k", 2);
  EXPECT_EQ(parseError(keys.serialize()),
            "t.gguf: offset 41: duplicate metadata key 'k'");
  GGUFWriter tensors;
  tensors.addTensor("t", {4}, WeightFormat::F32, std::vector<uint8_t>(16));
  tensors.addTensor("t", {4}, WeightFormat::F32, std::vector<uint8_t>(16));
  EXPECT_NE(parseError(tensors.serialize()).find("duplicate tensor name 't'"),
            std::string::npos);
}

TEST(GGUFTest, RowsMustBeWholeBlocks) {
  GGUFWriter writer;
  writer.addTensor("q", {2, 16}, WeightFormat::Q4_0,
                   std::vector<uint8_t>(18, 0));
  EXPECT_NE(parseError(writer.serialize())
                .find("rows of 16 elements are not whole q4_0 blocks of 32"),
            std::string::npos);
}

TEST(GGUFTest, EveryTruncationFailsCleanly) {
  GGUFWriter writer;
  writer.addString("general.architecture", "llama");
  writer.addStringArray("tokenizer.ggml.tokens", {"a", "b", "c"});
  writer.addTensor("w", {8}, WeightFormat::F16, std::vector<uint8_t>(16, 1));
  std::vector<uint8_t> bytes = writer.serialize();
  llvm::Expected<GGUFFile> whole = parseGGUF("t.gguf", bytes);
  ASSERT_TRUE(bool(whole)) << llvm::toString(whole.takeError());
  // Only the alignment padding after the last tensor may be cut.
  size_t end = whole->dataOffset + whole->tensors.back().offset +
               whole->tensors.back().byteSize;
  for (size_t length = 0; length < end; ++length) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
    std::string error = parseError(prefix);
    EXPECT_NE(error, "") << "prefix of " << length << " of " << bytes.size()
                         << " bytes parsed";
    EXPECT_EQ(error.find('\n'), std::string::npos);
  }
}

} // namespace
