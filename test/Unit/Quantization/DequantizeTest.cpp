//===- DequantizeTest.cpp - block decoders against hand-computed blocks ---===//
//
// Each test builds one block byte by byte, with the expected values worked
// out by hand from the GGML layout (see Dequantize.cpp).
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Dequantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace mlir::tfm;

namespace {

void putHalf(std::vector<uint8_t> &block, size_t at, uint16_t bits) {
  block[at] = uint8_t(bits & 0xFF);
  block[at + 1] = uint8_t(bits >> 8);
}

std::vector<float> decode(WeightFormat format,
                          const std::vector<uint8_t> &block) {
  std::vector<float> out(getWeightFormatInfo(format).blockElements);
  EXPECT_TRUE(dequantize(format, block, out));
  return out;
}

TEST(DequantizeTest, HalfAndBFloat16) {
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x8000), -0.0f);
  EXPECT_TRUE(std::isinf(halfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  EXPECT_EQ(bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(floatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xC000);
}

TEST(DequantizeTest, Q4_0) {
  std::vector<uint8_t> block(18, 0x88); // every nibble 8 -> 0
  putHalf(block, 0, 0x3800);            // d = 0.5
  block[2] = 0x1F;                      // element 0: 15, element 16: 1
  std::vector<float> out = decode(WeightFormat::Q4_0, block);
  EXPECT_EQ(out[0], (15 - 8) * 0.5f);
  EXPECT_EQ(out[16], (1 - 8) * 0.5f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[31], 0.0f);
}

TEST(DequantizeTest, Q4_1) {
  std::vector<uint8_t> block(20, 0);
  putHalf(block, 0, 0x3400); // d = 0.25
  putHalf(block, 2, 0xBC00); // m = -1
  block[4 + 3] = 0x52;       // element 3: 2, element 19: 5
  std::vector<float> out = decode(WeightFormat::Q4_1, block);
  EXPECT_EQ(out[3], 2 * 0.25f - 1.0f);
  EXPECT_EQ(out[19], 5 * 0.25f - 1.0f);
  EXPECT_EQ(out[0], -1.0f);
}

TEST(DequantizeTest, Q8_0) {
  std::vector<uint8_t> block(34, 0);
  putHalf(block, 0, 0x4000); // d = 2
  block[2] = uint8_t(-3);
  block[2 + 31] = 127;
  std::vector<float> out = decode(WeightFormat::Q8_0, block);
  EXPECT_EQ(out[0], -6.0f);
  EXPECT_EQ(out[31], 254.0f);
  EXPECT_EQ(out[1], 0.0f);
}

/// Scales of the K formats: sub-block 0 has scale 2 and min 3, sub-block 1
/// scale 5 and min 1, sub-block 4 (packed in the high bits) scale 17, min 2.
void putKScales(std::vector<uint8_t> &block) {
  uint8_t *scales = block.data() + 4;
  scales[0] = 0x42; // scale0 = 0x42 & 63 = 2; top bits 1 -> scale4 high = 1
  scales[4] = 3;    // min0
  scales[1] = 5;    // scale1
  scales[5] = 1;    // min1
  scales[8] = 0x21; // scale4 low = 1, min4 low = 2
}

TEST(DequantizeTest, Q4_K) {
  std::vector<uint8_t> block(144, 0);
  putHalf(block, 0, 0x3C00); // d = 1
  putHalf(block, 2, 0x3800); // dmin = 0.5
  putKScales(block);
  uint8_t *qs = block.data() + 16;
  qs[0] = 0x73;  // element 0: 3 (sub-block 0), element 32: 7 (sub-block 1)
  qs[64] = 0x09; // element 128: 9 (sub-block 4)
  std::vector<float> out = decode(WeightFormat::Q4_K, block);
  EXPECT_EQ(out[0], 1.0f * 2 * 3 - 0.5f * 3);
  EXPECT_EQ(out[32], 1.0f * 5 * 7 - 0.5f * 1);
  EXPECT_EQ(out[128], 1.0f * 17 * 9 - 0.5f * 2);
  EXPECT_EQ(out[1], -0.5f * 3);
}

TEST(DequantizeTest, Q5_K) {
  std::vector<uint8_t> block(176, 0);
  putHalf(block, 0, 0x3C00); // d = 1
  putHalf(block, 2, 0x3800); // dmin = 0.5
  putKScales(block);
  uint8_t *qh = block.data() + 16;
  uint8_t *qs = block.data() + 48;
  qs[0] = 0x73;
  qh[0] = 0x01;  // fifth bit of element 0 (sub-block 0) only
  qs[64] = 0x09;
  qh[0] |= 0x10; // fifth bit of element 128 (sub-block 4)
  std::vector<float> out = decode(WeightFormat::Q5_K, block);
  EXPECT_EQ(out[0], 1.0f * 2 * (3 + 16) - 0.5f * 3);
  EXPECT_EQ(out[32], 1.0f * 5 * 7 - 0.5f * 1);
  EXPECT_EQ(out[128], 1.0f * 17 * (9 + 16) - 0.5f * 2);
}

TEST(DequantizeTest, Q6_K) {
  std::vector<uint8_t> block(210, 0);
  uint8_t *ql = block.data();
  uint8_t *qh = block.data() + 128;
  int8_t *sc = reinterpret_cast<int8_t *>(block.data() + 192);
  putHalf(block, 208, 0x3800); // d = 0.5
  sc[0] = 4;
  sc[2] = -2;
  sc[4] = 1;
  sc[8] = 3;
  ql[0] = 0x21;  // element 0 low 4 bits 1, element 64 low 4 bits 2
  qh[0] = 0x06;  // element 0 high bits 2, element 32 high bits 1
  ql[64] = 0x0F; // second half: element 128 low bits 15
  qh[32] = 0x03; // element 128 high bits 3
  std::vector<float> out = decode(WeightFormat::Q6_K, block);
  EXPECT_EQ(out[0], 0.5f * 4 * ((1 | 2 << 4) - 32));
  EXPECT_EQ(out[32], 0.5f * -2 * ((0 | 1 << 4) - 32));
  EXPECT_EQ(out[64], 0.5f * 1 * (2 - 32));
  EXPECT_EQ(out[128], 0.5f * 3 * ((15 | 3 << 4) - 32));
}

TEST(DequantizeTest, RejectsPartialBlocks) {
  std::vector<uint8_t> bytes(18, 0);
  std::vector<float> out(16);
  EXPECT_FALSE(dequantize(WeightFormat::Q4_0, bytes, out));
  std::vector<float> exact(32);
  EXPECT_FALSE(dequantize(WeightFormat::Q4_0,
                          llvm::ArrayRef<uint8_t>(bytes).drop_back(), exact));
}

TEST(DequantizeTest, BlockSizes) {
  EXPECT_EQ(tensorByteSize(WeightFormat::Q4_K, 512), 288u);
  EXPECT_EQ(tensorByteSize(WeightFormat::Q6_K, 256), 210u);
  EXPECT_EQ(tensorByteSize(WeightFormat::Q8_0, 33), std::nullopt);
  EXPECT_EQ(tensorByteSize(WeightFormat::F32, UINT64_MAX / 2), std::nullopt);
}

} // namespace
