//===- QuantizeTest.cpp - quantizers against hand-computed blocks ---------===//
//
// Inputs are chosen so every scale is a power of two: the expected bytes are
// worked out by hand. For the super-block formats the block is built byte by
// byte and quantizing its decoded values must give the same bytes back.
//
//===----------------------------------------------------------------------===//

#include "tfm/Quantization/Dequantize.h"
#include "tfm/Quantization/Quantize.h"

#include "gtest/gtest.h"

#include <cstring>
#include <vector>

using namespace mlir::tfm;

namespace {

std::vector<uint8_t> quantize(QuantScheme scheme, const std::vector<float> &x) {
  std::vector<uint8_t> out(quantRowBytes(scheme, x.size()));
  quantizeRow(scheme, x.data(), x.size(), out.data());
  return out;
}

std::vector<float> dequantize(QuantScheme scheme,
                              const std::vector<uint8_t> &bytes,
                              int64_t elements) {
  std::vector<float> out(elements);
  dequantizeRow(scheme, bytes.data(), elements, out.data());
  return out;
}

/// Byte j of 32 nibbles `j % 16` (element j) and `j % 16` (element j + 16).
void expectCountingNibbles(const uint8_t *bytes) {
  for (int j = 0; j < 16; ++j)
    EXPECT_EQ(bytes[j], uint8_t(j | (j << 4))) << "byte " << j;
}

TEST(QuantizeTest, Parse) {
  EXPECT_EQ(parseQuantScheme("Q4_K")->format, TFM_QUANT_Q4_K);
  EXPECT_EQ(parseQuantScheme("int4")->group, 32);
  EXPECT_EQ(parseQuantScheme("int4g128")->group, 128);
  EXPECT_FALSE(parseQuantScheme("int4g48"));
  EXPECT_FALSE(parseQuantScheme("q5_0"));
  EXPECT_EQ(quantSchemeName(*parseQuantScheme("int4g64")), "int4g64");
  EXPECT_EQ(quantRowBytes({TFM_QUANT_Q4_K}, 512), 288);
  EXPECT_EQ(quantRowBytes({TFM_QUANT_Q4_K}, 96), -1);
  EXPECT_EQ(quantRowBytes({TFM_QUANT_INT8}, 64), 68);
  EXPECT_EQ(quantRowBytes({TFM_QUANT_INT4, 64}, 128), 2 * 36);
}

TEST(QuantizeTest, Q8_0) {
  // q = -127, -64, 0, 1, ..., 29 with d = 1/16: absMax 127/16 -> d = 1/16.
  std::vector<int> q{-127, -64};
  for (int l = 0; l < 30; ++l)
    q.push_back(l);
  std::vector<float> x;
  for (int value : q)
    x.push_back(value / 16.0f);
  std::vector<uint8_t> bytes = quantize({TFM_QUANT_Q8_0}, x);
  ASSERT_EQ(bytes.size(), 34u);
  EXPECT_EQ(bytes[0], 0x00); // f16 1/16 = 0x2C00, little-endian
  EXPECT_EQ(bytes[1], 0x2C);
  for (int l = 0; l < 32; ++l)
    EXPECT_EQ(int8_t(bytes[2 + l]), q[l]) << "element " << l;
  EXPECT_EQ(dequantize({TFM_QUANT_Q8_0}, bytes, 32), x);
}

TEST(QuantizeTest, Q4_0) {
  // Element l is (l % 16 - 8) / 2: the largest magnitude, -4, sets d = 0.5
  // and every nibble is l % 16.
  std::vector<float> x;
  for (int l = 0; l < 32; ++l)
    x.push_back((l % 16 - 8) * 0.5f);
  std::vector<uint8_t> bytes = quantize({TFM_QUANT_Q4_0}, x);
  ASSERT_EQ(bytes.size(), 18u);
  EXPECT_EQ(bytes[0], 0x00); // 0.5 = 0x3800
  EXPECT_EQ(bytes[1], 0x38);
  expectCountingNibbles(bytes.data() + 2);
  EXPECT_EQ(dequantize({TFM_QUANT_Q4_0}, bytes, 32), x);
}

TEST(QuantizeTest, Q4_1AndInt4) {
  // -1 + (l % 16) / 2: min -1, max 6.5 -> d = 0.5, m = -1.
  std::vector<float> x;
  for (int l = 0; l < 64; ++l)
    x.push_back(-1.0f + (l % 16) * 0.5f);
  for (QuantScheme scheme : {QuantScheme{TFM_QUANT_Q4_1},
                             QuantScheme{TFM_QUANT_INT4, 32},
                             QuantScheme{TFM_QUANT_INT4, 64}}) {
    std::vector<uint8_t> bytes = quantize(scheme, x);
    int64_t groupBytes = 4 + quantBlockElements(scheme) / 2;
    ASSERT_EQ(int64_t(bytes.size()), 64 / quantBlockElements(scheme) * groupBytes);
    for (size_t g = 0; g < bytes.size(); g += groupBytes) {
      EXPECT_EQ(bytes[g + 0], 0x00); // d = 0.5 = 0x3800
      EXPECT_EQ(bytes[g + 1], 0x38);
      EXPECT_EQ(bytes[g + 2], 0x00); // m = -1 = 0xBC00
      EXPECT_EQ(bytes[g + 3], 0xBC);
      for (int64_t b = 0; b < (groupBytes - 4) / 16; ++b)
        expectCountingNibbles(bytes.data() + g + 4 + 16 * b);
    }
    EXPECT_EQ(dequantize(scheme, bytes, 64), x) << quantSchemeName(scheme);
  }
  // int4 with groups of 32 is q4_1 byte for byte.
  EXPECT_EQ(quantize({TFM_QUANT_INT4, 32}, x), quantize({TFM_QUANT_Q4_1}, x));
}

TEST(QuantizeTest, Int8PerChannel) {
  // absMax 63.5 -> scale 0.5 (f32 0x3F000000), q = 2x: -16 .. 15 and 127.
  std::vector<float> x;
  for (int l = 0; l < 32; ++l)
    x.push_back((l - 16) * 0.5f);
  x[3] = 63.5f;
  std::vector<uint8_t> bytes = quantize({TFM_QUANT_INT8}, x);
  ASSERT_EQ(bytes.size(), 36u);
  EXPECT_EQ(bytes[0], 0x00);
  EXPECT_EQ(bytes[1], 0x00);
  EXPECT_EQ(bytes[2], 0x00);
  EXPECT_EQ(bytes[3], 0x3F);
  EXPECT_EQ(int8_t(bytes[4 + 0]), -16);
  EXPECT_EQ(int8_t(bytes[4 + 3]), 127);
  EXPECT_EQ(int8_t(bytes[4 + 31]), 15);
  EXPECT_EQ(dequantize({TFM_QUANT_INT8}, bytes, 32), x);
}

/// A Q4_K block whose fitted scales are exact: d = 1/4, dmin = 1/8, the
/// largest sub-block scale and min are 63 and every sub-block uses nibbles
/// 0 and 15, so quantizing its values must reproduce it.
TEST(QuantizeTest, Q4_KRoundTrip) {
  uint8_t sc[8] = {63, 5, 17, 1, 40, 2, 33, 9};
  uint8_t m[8] = {0, 63, 7, 20, 1, 50, 0, 12};
  std::vector<uint8_t> block(144, 0);
  block[0] = 0x00; block[1] = 0x34; // d = 0.25
  block[2] = 0x00; block[3] = 0x30; // dmin = 0.125
  for (int j = 0; j < 4; ++j) {
    block[4 + j] = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
    block[8 + j] = uint8_t(m[j] | ((m[j + 4] >> 4) << 6));
    block[12 + j] = uint8_t((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
  }
  for (int group = 0; group < 4; ++group)
    for (int l = 0; l < 32; ++l)
      block[16 + 32 * group + l] = uint8_t((l % 16) | ((15 - l % 16) << 4));
  std::vector<float> x(256);
  ASSERT_TRUE(mlir::tfm::dequantize(WeightFormat::Q4_K, block, x));
  // Hand-checked values: element 1 of sub-block 0 is 0.25 * 63 * 1 - 0;
  // element 32 (sub-block 1, nibble 15) is 0.25 * 5 * 15 - 0.125 * 63.
  EXPECT_EQ(x[1], 15.75f);
  EXPECT_EQ(x[32], 18.75f - 7.875f);
  EXPECT_EQ(quantize({TFM_QUANT_Q4_K}, x), block);
}

/// A Q6_K block with exact fitted scales: d = 1/2, the largest sub-block
/// scale 127, and each sub-block holding +-31.
TEST(QuantizeTest, Q6_KRoundTrip) {
  std::vector<int> values(256);
  for (int i = 0; i < 256; ++i)
    values[i] = (i % 16 == 0) ? ((i / 16) % 2 ? -31 : 31) : (i % 29) - 14;
  int8_t sc[16] = {127, 3, -5, 64, 1, 2, 100, -127, 7, 9, 11, 13, 15, 17, 19, 21};
  std::vector<uint8_t> block(210, 0);
  for (int half = 0; half < 2; ++half)
    for (int l = 0; l < 32; ++l) {
      auto q = [&](int k) { return uint8_t(values[128 * half + l + 32 * k] + 32); };
      block[64 * half + l] = uint8_t((q(0) & 0xF) | ((q(2) & 0xF) << 4));
      block[64 * half + l + 32] = uint8_t((q(1) & 0xF) | ((q(3) & 0xF) << 4));
      block[128 + 32 * half + l] = uint8_t((q(0) >> 4) | ((q(1) >> 4) << 2) |
                                           ((q(2) >> 4) << 4) | ((q(3) >> 4) << 6));
    }
  std::memcpy(block.data() + 192, sc, 16);
  block[208] = 0x00; block[209] = 0x38; // d = 0.5
  std::vector<float> x(256);
  ASSERT_TRUE(mlir::tfm::dequantize(WeightFormat::Q6_K, block, x));
  EXPECT_EQ(x[0], 0.5f * 127 * 31);       // sub-block 0, +31
  EXPECT_EQ(x[16], 0.5f * 3 * -31);       // sub-block 1, -31
  EXPECT_EQ(x[17], 0.5f * 3 * (17 - 14)); // sub-block 1, element 17
  // Sub-blocks whose scale is negative flip sign in the fit; compare values.
  std::vector<uint8_t> again = quantize({TFM_QUANT_Q6_K}, x);
  EXPECT_EQ(dequantize({TFM_QUANT_Q6_K}, again, 256), x);
}

} // namespace
