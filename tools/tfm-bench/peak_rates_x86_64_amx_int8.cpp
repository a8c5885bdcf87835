//===- peak_rates_x86_64_amx_int8.cpp - AMX-INT8 tile products ------------===//
//
// Four independent accumulator tiles, each updated by tdpbsud (signed x
// unsigned bytes, as the AMX quantized kernel's) from two activation and
// two weight tiles held in registers: 16 x 16 x 64 MACs per instruction.
// Run only where tfm_kernel_isa() is avx512_amx (the CPU has the tiles and
// Linux granted them to the process).
//
//===----------------------------------------------------------------------===//

#include "PeakRates.h"

#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tfm::bench {

namespace {

/// LDTILECFG's operand (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
};

constexpr int kRows = 16, kRowBytes = 64;
volatile int32_t sink;

} // namespace

int64_t int8MacsAmx(int64_t iterations) {
  // The tile data state is granted per process; asking again is harmless.
  constexpr long kRequestPermission = 0x1023, kTileData = 18;
  if (syscall(SYS_arch_prctl, kRequestPermission, kTileData) != 0)
    return 0;
  TileConfig config;
  for (int tile = 0; tile < 8; ++tile) {
    config.rows[tile] = kRows;
    config.bytesPerRow[tile] = kRowBytes;
  }
  _tile_loadconfig(&config);
  alignas(64) int8_t operands[kRows * kRowBytes];
  for (int i = 0; i < kRows * kRowBytes; ++i)
    operands[i] = int8_t(i % 7 - 3);
  // Tiles 0-3 accumulate; 4, 5 are activations, 6, 7 weights.
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operands, kRowBytes);
  _tile_loadd(5, operands, kRowBytes);
  _tile_loadd(6, operands, kRowBytes);
  _tile_loadd(7, operands, kRowBytes);
  for (int64_t i = 0; i < iterations; ++i) {
    _tile_dpbsud(0, 4, 6);
    _tile_dpbsud(1, 4, 7);
    _tile_dpbsud(2, 5, 6);
    _tile_dpbsud(3, 5, 7);
  }
  alignas(64) int32_t sums[kRows][kRowBytes / 4];
  _tile_stored(0, sums, kRowBytes);
  _tile_release();
  sink = sums[0][0];
  return iterations * 4 * kRows * (kRowBytes / 4) * kRowBytes;
}

} // namespace tfm::bench
