//===- qmatmul_x86_64_amx_int8.cpp - quantized prefill on AMX tiles -------===//
//
// AMX-INT8's tdpbsud multiplies a tile of signed bytes by a tile of unsigned
// bytes into int32 sums: 16 tokens x 32 activations (one block of each
// token's row) by 8 rows of 64 bytes, where row c holds elements 4c..4c+3 of
// 16 weight rows. That second tile is exactly a Q8_0_X16 block's code
// chunks (tfm_kernels.h), which load as they are stored; a Q4_0_X16 block's
// nibbles are spread into such chunks first. One instruction does 8192
// multiply-adds, where vpdpbusd does 64.
//
// Every block has its own scales, so each block's 16 x 16 sums leave the
// tile and AVX-512 scales them into one float accumulator per token (a
// weight row per lane), as the VNNI kernel does: the zero point comes off
// as an integer and the float steps are the same, so the results are the
// same bits as quantizedMatmulAvx512Vnni's. Two blocks are in flight, so
// the tile unit works on one while the vector unit scales the other.
//
// Few tokens (decode) and the other formats go to the VNNI kernel, which
// is faster there: loading a tile configuration and storing every block's
// sums only pays off across many tokens.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "QuantBlocks.h"
#include "SpreadPrefetch.h"

#include <cpuid.h>
#include <cstdint>
#include <immintrin.h>
#include <utility>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace {

using namespace tfm::kernels;

/// Tokens of one tile (the most rows a tile has). Only whole tiles run on
/// AMX; fewer tokens (decode, and what is left over) go to the VNNI kernel.
constexpr int kTileTokens = 16;
/// Element chunks of a 32-element block (4 elements each): the rows of a
/// weight tile.
constexpr int kChunks = kBlock / 4;

/// LDTILECFG's operand (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
};

// Tile registers: the sums of two blocks, their activations and their
// weight codes.
constexpr int kSums0 = 0, kSums1 = 1, kActivations0 = 2, kActivations1 = 3,
              kCodes0 = 4, kCodes1 = 5;

/// Tiles of a whole token tile times one block.
void configureTiles() {
  const int tokens = kTileTokens;
  TileConfig config;
  auto shape = [&](int tile, int rows, int bytesPerRow) {
    config.rows[tile] = uint8_t(rows);
    config.bytesPerRow[tile] = uint16_t(bytesPerRow);
  };
  shape(kSums0, tokens, kInterleave * sizeof(int32_t));
  shape(kSums1, tokens, kInterleave * sizeof(int32_t));
  shape(kActivations0, tokens, kBlock);
  shape(kActivations1, tokens, kBlock);
  shape(kCodes0, kChunks, kChunkBytes);
  shape(kCodes1, kChunks, kChunkBytes);
  _tile_loadconfig(&config);
}

/// Bytes of Q4_0_X16 codes spread into bytes, per group (the stack of the
/// calling thread): rows of up to 12288 inputs. With the token tables a
/// q4_0 call takes 256 KiB of stack, well within OpenMP's worker stacks
/// (8 MiB by default here, KMP_SETTINGS=1) and the async runtime's
/// threads; wider rows go to the VNNI kernel.
constexpr int64_t kSpreadBytes = 192 * 1024;

/// How a Q8_0_X16 or Q4_0_X16 block's codes become a weight tile, and the
/// zero point they are stored with.
template <int Format> struct ScaledBlock {
  static constexpr bool kQ8 = Format == TFM_QUANT_Q8_0_X16;
  static constexpr int32_t kZeroPoint = kQ8 ? 128 : 8;
  static constexpr int64_t kBytes =
      kInterleave * (kQ8 ? kQ8_0Bytes : kQ4_0Bytes);

  /// Bytes of a block's weight tile: 8 chunks of kChunkBytes.
  static constexpr int64_t kTileBytes = kChunks * kChunkBytes;
  /// Widest rows (inputs) whose spread codes fit kSpreadBytes.
  static constexpr int64_t kMaxInputs =
      kQ8 ? INT64_MAX : kSpreadBytes / kTileBytes * kBlock;

  /// The weight tiles of a group's `blocks` blocks, block b's at
  /// result.first + b * result.second: Q8_0_X16 codes in place; Q4_0_X16's
  /// chunk m holds elements 4m.. in its low nibbles and 16 + 4m.. in its
  /// high ones, spread into `scratch` (once per group: every token tile
  /// reads them, and a tile load of just-stored bytes would wait for them).
  static std::pair<const uint8_t *, int64_t>
  codes(const uint8_t *group, int64_t blocks, uint8_t *scratch) {
    if constexpr (kQ8) {
      (void)blocks, (void)scratch;
      return {group + 2 * kInterleave, kBytes};
    } else {
      const __m512i nibble = _mm512_set1_epi8(0x0F);
      for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t *chunks = group + b * kBytes + 2 * kInterleave;
        uint8_t *tile = scratch + b * kTileBytes;
        for (int m = 0; m < kChunks / 2; ++m) {
          __m512i bytes = _mm512_loadu_si512(chunks + m * kChunkBytes);
          _mm512_store_si512(tile + m * kChunkBytes,
                             _mm512_and_si512(bytes, nibble));
          _mm512_store_si512(
              tile + (m + kChunks / 2) * kChunkBytes,
              _mm512_and_si512(_mm512_srli_epi16(bytes, 4), nibble));
        }
      }
      return {scratch, kTileBytes};
    }
  }
};

/// What each token of a tile multiplies its sums by, block by block: the
/// activation scale and the zero point times the block's code sum, token i
/// at [b][i], so that a block's 16 values are one base address away.
struct TileTables {
  float scale[kTileTokens];
  int32_t zeroPointSum[kTileTokens];
};

/// The tables of the 16 tokens from t0, for every block.
template <typename Block>
void fillTables(const QuantizedMatmulArgs &args, int64_t t0,
                TileTables *tables) {
  const int64_t blocks = args.inFeatures / kBlock;
  for (int i = 0; i < kTileTokens; ++i) {
    ActivationRow row = activationRow(args.activations, t0 + i, args.inFeatures,
                                      args.activationRowBytes);
    for (int64_t b = 0; b < blocks; ++b) {
      tables[b].scale[i] = row.scale[b];
      tables[b].zeroPointSum[i] = Block::kZeroPoint * row.sum[b];
    }
  }
}

/// Block `b`'s sums (token i in row i) scaled into the accumulators (token
/// i's 16 rows in acc[i]), as the VNNI kernel scales its dot products.
template <typename Block>
__attribute__((always_inline)) inline void
scaleSums(const uint8_t *block, const int32_t (&sums)[kTileTokens][kInterleave],
          const TileTables &table, __m512 (&acc)[kTileTokens]) {
  __m512 rowScales = _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block)));
  for (int i = 0; i < kTileTokens; ++i) {
    __m512i dot = _mm512_sub_epi32(_mm512_load_si512(sums[i]),
                                   _mm512_set1_epi32(table.zeroPointSum[i]));
    __m512 scale = _mm512_mul_ps(rowScales, _mm512_set1_ps(table.scale[i]));
    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[i]);
  }
}

/// Sums of one token tile times two blocks of weights, token i in row i.
using PairSums = int32_t[2][kTileTokens][kInterleave];

/// A group's weight tiles: block b's at base + b * stride.
struct GroupCodes {
  const uint8_t *base;
  int64_t stride;
};

/// Blocks b and b + 1 (b alone when it is the last) of the token tile at
/// `activations` times the group's weight tiles, into `sums`.
inline void multiplyPair(const int8_t *activations, int64_t stride,
                         GroupCodes codes, int64_t b, int64_t blocks,
                         PairSums &sums) {
  const uint8_t *tile0 = codes.base + b * codes.stride;
  _tile_zero(kSums0);
  _tile_loadd(kActivations0, activations + b * kBlock, stride);
  _tile_loadd(kCodes0, tile0, kChunkBytes);
  _tile_dpbsud(kSums0, kActivations0, kCodes0);
  _tile_stored(kSums0, sums[0], sizeof(sums[0][0]));
  if (b + 1 == blocks)
    return;
  _tile_zero(kSums1);
  _tile_loadd(kActivations1, activations + (b + 1) * kBlock, stride);
  _tile_loadd(kCodes1, tile0 + codes.stride, kChunkBytes);
  _tile_dpbsud(kSums1, kActivations1, kCodes1);
  _tile_stored(kSums1, sums[1], sizeof(sums[1][0]));
}

/// The 16 tokens from t0 times the 16 rows of `group`, written to `out`
/// (the group's first output column). Software-pipelined: the tile
/// instructions of a pair of blocks come before the scaling of the previous
/// pair's sums, so that the tile unit's latency (a multiply and a store
/// before the sums can be read) overlaps the vector work. `next` brings in
/// this tile's share of the next group, two lines per pair of blocks.
template <typename Block>
void groupTimesTokenTile(const QuantizedMatmulArgs &args, const uint8_t *group,
                         GroupCodes codes, int64_t t0, const TileTables *tables,
                         float *out, SpreadPrefetch next) {
  __m512 acc[kTileTokens];
  for (__m512 &sum : acc)
    sum = _mm512_setzero_ps();
  const int8_t *activations = static_cast<const int8_t *>(args.activations) +
                              t0 * args.activationRowBytes;
  const int64_t stride = args.activationRowBytes;
  alignas(64) PairSums sums[2];
  const int64_t blocks = args.inFeatures / kBlock;
  // Inlined, so that the accumulators stay in registers.
  auto scalePair = [&](int64_t b, const PairSums &pair)
      __attribute__((always_inline)) {
    const uint8_t *block = group + b * Block::kBytes;
    scaleSums<Block>(block, pair[0], tables[b], acc);
    if (b + 1 < blocks)
      scaleSums<Block>(block + Block::kBytes, pair[1], tables[b + 1], acc);
  };
  const int64_t pairs = (blocks + 1) / 2;
  multiplyPair(activations, stride, codes, 0, blocks, sums[0]);
  for (int64_t p = 1; p < pairs; ++p) {
    next.next();
    next.next();
    multiplyPair(activations, stride, codes, 2 * p, blocks, sums[p % 2]);
    scalePair(2 * (p - 1), sums[(p - 1) % 2]);
  }
  scalePair(2 * (pairs - 1), sums[(pairs - 1) % 2]);
  for (int i = 0; i < kTileTokens; ++i) {
    float *o = out + (t0 + i) * args.outStride;
    __m512 result = acc[i];
    if (args.accumulate)
      result = _mm512_add_ps(result, _mm512_loadu_ps(o));
    _mm512_storeu_ps(o, result);
  }
}

/// Token tables on the stack at a time (tiles x blocks of them): 64 KiB,
/// one tile's for rows of up to 16384 inputs.
constexpr int64_t kTableCount = 64 * 1024 / sizeof(TileTables);

/// Whole tiles of 16 tokens on AMX, as many tiles at a time as their
/// tables fit in kTableCount; within those, each group of rows times every
/// tile in turn (the group's codes stay in cache for the tiles, the
/// tiles' activations in L2), the passes prefetching the next group into L2
/// between them: the first tile's pass over a group read from memory would
/// otherwise wait on it (q8_0, 128 tokens, weights from memory: 230-243 ->
/// 251-271 GMAC/s, tfm-kernel-bench prefill_from_memory). The tokens left
/// over go to the VNNI kernel.
template <typename Block>
void interleavedMatmul(const QuantizedMatmulArgs &args) {
  const int64_t blocks = args.inFeatures / kBlock;
  const int64_t whole = args.tokens / kTileTokens * kTileTokens;
  const int64_t tilesAtATime = kTableCount / blocks;
  TileTables tables[kTableCount];
  alignas(64) uint8_t spread[Block::kQ8 ? 64 : kSpreadBytes];
  configureTiles();
  for (int64_t first = 0; first < whole; first += tilesAtATime * kTileTokens) {
    int64_t last = first + tilesAtATime * kTileTokens;
    if (last > whole)
      last = whole;
    for (int64_t t = first; t < last; t += kTileTokens)
      fillTables<Block>(args, t, tables + (t - first) / kTileTokens * blocks);
    const int64_t groups = args.rows / kInterleave;
    const int64_t groupBytes = kInterleave * args.rowBytes;
    const int64_t tiles = (last - first) / kTileTokens;
    for (int64_t g = 0; g < groups; ++g) {
      const uint8_t *group = args.weights + g * groupBytes;
      auto [base, step] = Block::codes(group, blocks, spread);
      const uint8_t *nextGroup = g + 1 < groups ? group + groupBytes : nullptr;
      for (int64_t i = 0; i < tiles; ++i)
        groupTimesTokenTile<Block>(
            args, group, {base, step}, first + i * kTileTokens,
            tables + i * blocks, args.out + g * kInterleave,
            SpreadPrefetch(nextGroup, groupBytes, i, tiles));
    }
  }
  // Leaves the tile state, so that the OS does not save it on every switch.
  _tile_release();
  if (whole == args.tokens)
    return;
  QuantizedMatmulArgs rest = args;
  rest.activations = static_cast<const uint8_t *>(args.activations) +
                     whole * args.activationRowBytes;
  rest.tokens = args.tokens - whole;
  rest.out = args.out + whole * args.outStride;
  quantizedMatmulAvx512Vnni(rest);
}

} // namespace

bool tfm::kernels::amxInt8Usable() {
#if defined(__linux__) && defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid_max(0, nullptr) < 7)
    return false;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  bool tileAndInt8 = ((edx >> 24) & 1) && ((edx >> 25) & 1);
  if (!tileAndInt8)
    return false;
  // Linux enables the 8 KiB tile data per process, on request
  // (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); until then tile
  // instructions fault.
  constexpr long kRequestPermission = 0x1023, kTileData = 18;
  return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
#else
  return false;
#endif
}

void tfm::kernels::quantizedMatmulAmxInt8(const QuantizedMatmulArgs &args) {
  using Q8 = ScaledBlock<TFM_QUANT_Q8_0_X16>;
  using Q4 = ScaledBlock<TFM_QUANT_Q4_0_X16>;
  if (args.tokens >= kTileTokens && args.inFeatures / kBlock <= kTableCount) {
    if (args.format == TFM_QUANT_Q8_0_X16)
      return interleavedMatmul<Q8>(args);
    if (args.format == TFM_QUANT_Q4_0_X16 && args.inFeatures <= Q4::kMaxInputs)
      return interleavedMatmul<Q4>(args);
  }
  quantizedMatmulAvx512Vnni(args);
}
