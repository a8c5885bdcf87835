//===- matmul_panels_halide.cpp - tfm_matmul_panels on Halide kernels -----===//
//
// The Halide variants of tfm_matmul_panels: the functions
// matmul_panels_generator.cpp generates (one per ISA x panel width x
// register tile, built by this directory's CMakeLists.txt) cover a call's
// rows and panels in boxes of whole tiles. Each box is described to Halide
// as buffers over the caller's memory. On AVX-512 the whole groups of 8
// token rows are first rearranged for the 8 x 3 tiles (each group's rows
// interleaved feature by feature) into a buffer of the calling thread,
// which the thread keeps, sized for the largest call, and reuses for the
// next call with the same pack key (the other steps of one product).
// matmulPanelsAvx512, the variant a model dispatches to, runs those 8 x 3
// tiles by hand instead (matmul_panels_x86_64_avx512.cpp: the same sums,
// with the next panels prefetched); matmulPanelsHalideAvx512 keeps
// Halide's, for tfm-kernel-bench and the tests to compare.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "HalideRuntime.h"

#include "tfm_matmul_panels_x86_64_avx2_p16_1x1.h"
#include "tfm_matmul_panels_x86_64_avx2_p16_1x4.h"
#include "tfm_matmul_panels_x86_64_avx2_p16_4x2.h"
#include "tfm_matmul_panels_x86_64_avx2_p8_1x1.h"
#include "tfm_matmul_panels_x86_64_avx2_p8_1x4.h"
#include "tfm_matmul_panels_x86_64_avx2_p8_4x2.h"
#include "tfm_matmul_panels_x86_64_avx512_p16_1x1.h"
#include "tfm_matmul_panels_x86_64_avx512_p16_1x4.h"
#include "tfm_matmul_panels_x86_64_avx512_p16_8x1.h"
#include "tfm_matmul_panels_x86_64_avx512_p16_8x3.h"
#include "tfm_matmul_panels_x86_64_avx512_p16_8x1_packed.h"
#include "tfm_matmul_panels_x86_64_avx512_p16_8x3_packed.h"

#include <immintrin.h>

#include <cstdio>
#include <cstdlib>
#include <pthread.h>

namespace tfm::kernels {
namespace {

using HalideFunction = int (*)(halide_buffer_t *input, halide_buffer_t *weights,
                               halide_buffer_t *init, halide_buffer_t *output);

/// Panels of a decode tile (CMakeLists.txt's tfm_add_matmul_panels calls).
constexpr int64_t kDecodePanels = 4;

/// The functions of one ISA and panel width: prefill tiles of
/// `prefillRows` x `prefillPanels`, the prefill rows' panels left over in
/// `panelEdge` tiles of `panelEdgeRows` x 1, decode tiles (1 x 4) and edges
/// (1 x 1).
struct Tiles {
  HalideFunction prefill;
  int64_t prefillRows, prefillPanels;
  HalideFunction panelEdge;
  int64_t panelEdgeRows;
  HalideFunction decode, edge;
};

constexpr Tiles kAvx2Panel8{tfm_matmul_panels_x86_64_avx2_p8_4x2, 4, 2,
                            tfm_matmul_panels_x86_64_avx2_p8_1x1, 1,
                            tfm_matmul_panels_x86_64_avx2_p8_1x4,
                            tfm_matmul_panels_x86_64_avx2_p8_1x1};
constexpr Tiles kAvx2Panel16{tfm_matmul_panels_x86_64_avx2_p16_4x2, 4, 2,
                             tfm_matmul_panels_x86_64_avx2_p16_1x1, 1,
                             tfm_matmul_panels_x86_64_avx2_p16_1x4,
                             tfm_matmul_panels_x86_64_avx2_p16_1x1};
// 8 x 3 against 4 x 2 on 128 x 768 x 2304 and 128 x 2048 x 768:
// 74.4 against 56.4 GMAC/s (tfm-kernel-bench matmul_panels).
constexpr Tiles kAvx512Panel16{tfm_matmul_panels_x86_64_avx512_p16_8x3, 8, 3,
                               tfm_matmul_panels_x86_64_avx512_p16_8x1, 8,
                               tfm_matmul_panels_x86_64_avx512_p16_1x4,
                               tfm_matmul_panels_x86_64_avx512_p16_1x1};

/// Without Halide's large_buffers feature a buffer spans less than 2^31
/// bytes (its index arithmetic is 32-bit): boxes keep each under 2^30.
constexpr int64_t kMaxBoxBytes = int64_t(1) << 30;

halide_buffer_t floatBuffer(const float *host, halide_dimension_t *dims,
                            int32_t dimensions) {
  halide_buffer_t buffer{};
  buffer.host = reinterpret_cast<uint8_t *>(const_cast<float *>(host));
  buffer.type = halide_type_t(halide_type_float, 32, 1);
  buffer.dimensions = dimensions;
  buffer.dim = dims;
  return buffer;
}

/// Runs `function` on `input` (as the kernel reads its rows) against
/// output rows [row0, row0 + rows) and panels [panel0, panel0 + panels),
/// whole tiles of them.
void runKernel(HalideFunction function, halide_buffer_t &input,
               const MatmulPanelsArgs &args, int64_t row0, int64_t rows,
               int64_t panel0, int64_t panels) {
  const int32_t inFeatures = int32_t(args.inFeatures);
  const int32_t panel = int32_t(args.panel);
  halide_dimension_t weightDims[3] = {{0, panel, 1},
                                      {0, inFeatures, panel},
                                      {0, int32_t(panels), inFeatures * panel}};
  halide_dimension_t outDims[3] = {{0, panel, 1},
                                   {0, int32_t(panels), panel},
                                   {0, int32_t(rows), int32_t(args.outStride)}};
  float *out = args.out + row0 * args.outStride + panel0 * args.panel;
  halide_buffer_t weights = floatBuffer(
      args.panels + panel0 * args.inFeatures * args.panel, weightDims, 3);
  halide_buffer_t init = floatBuffer(out, outDims, 3);
  halide_buffer_t output = floatBuffer(out, outDims, 3);
  if (int status = function(&input, &weights, &init, &output)) {
    std::fprintf(stderr,
                 "tfm_matmul_panels: Halide kernel failed (status %d) on %lld "
                 "rows x %lld panels of %lld x %d\n",
                 status, static_cast<long long>(rows),
                 static_cast<long long>(panels),
                 static_cast<long long>(args.inFeatures), panel);
    std::abort();
  }
}

/// runKernel on the caller's rows [row0, row0 + rows), read in place.
void runBox(HalideFunction function, const MatmulPanelsArgs &args,
            int64_t row0, int64_t rows, int64_t panel0, int64_t panels) {
  halide_dimension_t inputDims[2] = {
      {0, int32_t(args.inFeatures), 1},
      {0, int32_t(rows), int32_t(args.inputStride)}};
  halide_buffer_t input =
      floatBuffer(args.input + row0 * args.inputStride, inputDims, 2);
  runKernel(function, input, args, row0, rows, panel0, panels);
}

/// runBox over a region of `rows` x `panels` (multiples of the tile's
/// `rowTile` x `panelTile`), split into boxes whose buffers stay under
/// kMaxBoxBytes.
void runRegion(HalideFunction function, const MatmulPanelsArgs &args,
               int64_t row0, int64_t rows, int64_t rowTile, int64_t panel0,
               int64_t panels, int64_t panelTile) {
  if (rows <= 0 || panels <= 0)
    return;
  auto fitting = [](int64_t bytesPerItem, int64_t tile) {
    int64_t items = kMaxBoxBytes / bytesPerItem / tile * tile;
    return items < tile ? tile : items;
  };
  int64_t rowStride =
      args.inputStride > args.outStride ? args.inputStride : args.outStride;
  int64_t boxRows = fitting(rowStride * 4, rowTile);
  int64_t boxPanels = fitting(args.inFeatures * args.panel * 4, panelTile);
  for (int64_t r = 0; r < rows; r += boxRows)
    for (int64_t b = 0; b < panels; b += boxPanels)
      runBox(function, args, row0 + r, rows - r < boxRows ? rows - r : boxRows,
             panel0 + b, panels - b < boxPanels ? panels - b : boxPanels);
}

/// The call in whole tiles: the rows that fill prefill tiles over the
/// panels that fill them, the rest of those rows' panels in panel-edge
/// tiles; the remaining rows (all of a decode step) in decode tiles, then
/// edges.
void matmulPanelsHalide(const Tiles &tiles, const MatmulPanelsArgs &args) {
  int64_t prefillRows = args.tokens / tiles.prefillRows * tiles.prefillRows;
  int64_t pairedPanels =
      args.panelCount / tiles.prefillPanels * tiles.prefillPanels;
  runRegion(tiles.prefill, args, 0, prefillRows, tiles.prefillRows, 0,
            pairedPanels, tiles.prefillPanels);
  runRegion(tiles.panelEdge, args, 0, prefillRows, tiles.panelEdgeRows,
            pairedPanels, args.panelCount - pairedPanels, 1);
  int64_t restRows = args.tokens - prefillRows;
  int64_t quadPanels = args.panelCount / kDecodePanels * kDecodePanels;
  runRegion(tiles.decode, args, prefillRows, restRows, 1, 0, quadPanels,
            kDecodePanels);
  runRegion(tiles.edge, args, prefillRows, restRows, 1, quadPanels,
            args.panelCount - quadPanels, 1);
}

/// The AVX-512 prefill tiles on rows the caller packed (8 rows interleaved
/// feature by feature), and the 8 x 1 tiles of their left-over panels.
constexpr int64_t kPackedRows = 8;
constexpr int64_t kPackedPanels = 3;

/// A thread's packed rows and what they were packed from. Plain data: the
/// model library links no C++ runtime (a std::vector in a thread_local
/// needs operator new and __cxa_thread_atexit, which a model loaded into a
/// C process, e.g. Python's ctypes, does not find), so the buffer is
/// malloc'd, found through a pthread key, and freed when its thread exits
/// or the model library is unloaded (a server that loads and frees models
/// would otherwise lose every thread's buffer each time).
struct PackedRows {
  uint64_t key;
  const float *input;
  int64_t rows, inFeatures, inputStride;
  float *data;
  size_t capacity;
  /// Every live thread's cache, to free them all at unload.
  PackedRows *previous, *next;

  bool holds(const MatmulPanelsArgs &args, int64_t rowCount) const {
    return args.packKey != 0 && key == args.packKey &&
           input == args.input && rows == rowCount &&
           inFeatures == args.inFeatures && inputStride == args.inputStride;
  }
};

/// Transposes 8 rows x 8 features at `rows[r] + k` into 64 floats, feature
/// by feature.
__attribute__((target("avx2"))) void
transpose8x8(const float *const rows[8], int64_t k, float *packed) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i)
    r[i] = _mm256_loadu_ps(rows[i] + k);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  // r[j] holds features j and j + 4 of rows 0-3 (its low and high 128
  // bits), r[4 + j] the same of rows 4-7.
  for (int j = 0; j < 4; ++j) {
    _mm256_storeu_ps(packed + 8 * j,
                     _mm256_permute2f128_ps(r[j], r[4 + j], 0x20));
    _mm256_storeu_ps(packed + 8 * (j + 4),
                     _mm256_permute2f128_ps(r[j], r[4 + j], 0x31));
  }
}

/// packed[(g * K + k) * 8 + r] = input row g * 8 + r, feature k.
void packRows(const MatmulPanelsArgs &args, int64_t rowCount, float *packed) {
  const int64_t features = args.inFeatures;
  for (int64_t g = 0; g < rowCount / kPackedRows; ++g) {
    const float *rows[kPackedRows];
    for (int64_t r = 0; r < kPackedRows; ++r)
      rows[r] = args.input + (g * kPackedRows + r) * args.inputStride;
    float *group = packed + g * features * kPackedRows;
    int64_t k = 0;
    for (; k + 8 <= features; k += 8)
      transpose8x8(rows, k, group + k * kPackedRows);
    for (; k < features; ++k)
      for (int64_t r = 0; r < kPackedRows; ++r)
        group[k * kPackedRows + r] = rows[r][k];
  }
}

pthread_key_t packedRowsKey;
pthread_once_t packedRowsOnce = PTHREAD_ONCE_INIT;
pthread_mutex_t packedRowsLock = PTHREAD_MUTEX_INITIALIZER;
PackedRows *packedRowsList = nullptr;

void releasePackedRows(PackedRows *cache) {
  std::free(cache->data);
  std::free(cache);
}

/// At thread exit: the thread's cache leaves the list and is freed.
void releaseThreadPackedRows(void *value) {
  auto *cache = static_cast<PackedRows *>(value);
  pthread_mutex_lock(&packedRowsLock);
  if (cache->previous)
    cache->previous->next = cache->next;
  else
    packedRowsList = cache->next;
  if (cache->next)
    cache->next->previous = cache->previous;
  pthread_mutex_unlock(&packedRowsLock);
  releasePackedRows(cache);
}

bool packedRowsKeyCreated = false;

void createPackedRowsKey() {
  if (pthread_key_create(&packedRowsKey, releaseThreadPackedRows) != 0) {
    std::fprintf(stderr, "tfm: no thread-specific key for packed rows\n");
    std::abort();
  }
  packedRowsKeyCreated = true;
}

/// At unload (dlclose or exit): no thread may call this library's exit
/// handler any more (the key goes), and every cache still held is freed.
__attribute__((destructor)) void releaseAllPackedRows() {
  pthread_mutex_lock(&packedRowsLock);
  if (packedRowsKeyCreated)
    pthread_key_delete(packedRowsKey);
  packedRowsKeyCreated = false;
  PackedRows *cache = packedRowsList;
  packedRowsList = nullptr;
  pthread_mutex_unlock(&packedRowsLock);
  while (cache) {
    PackedRows *next = cache->next;
    releasePackedRows(cache);
    cache = next;
  }
}

PackedRows &threadPackedRows() {
  pthread_once(&packedRowsOnce, createPackedRowsKey);
  if (void *found = pthread_getspecific(packedRowsKey))
    return *static_cast<PackedRows *>(found);
  auto *cache = static_cast<PackedRows *>(std::calloc(1, sizeof(PackedRows)));
  if (!cache || pthread_setspecific(packedRowsKey, cache) != 0) {
    std::fprintf(stderr, "tfm: out of memory for packed rows\n");
    std::abort();
  }
  pthread_mutex_lock(&packedRowsLock);
  cache->next = packedRowsList;
  if (packedRowsList)
    packedRowsList->previous = cache;
  packedRowsList = cache;
  pthread_mutex_unlock(&packedRowsLock);
  return *cache;
}

const float *packedRowsFor(const MatmulPanelsArgs &args, int64_t rowCount) {
  PackedRows &cache = threadPackedRows();
  if (!cache.holds(args, rowCount)) {
    size_t floats = size_t(rowCount * args.inFeatures);
    if (floats > cache.capacity) {
      float *grown =
          static_cast<float *>(std::realloc(cache.data, floats * sizeof(float)));
      if (!grown) {
        std::fprintf(stderr, "tfm: out of memory packing %zu floats\n",
                     floats);
        std::abort();
      }
      cache.data = grown;
      cache.capacity = floats;
    }
    packRows(args, rowCount, cache.data);
    cache.key = args.packKey;
    cache.input = args.input;
    cache.rows = rowCount;
    cache.inFeatures = args.inFeatures;
    cache.inputStride = args.inputStride;
  }
  return cache.data;
}

/// runKernel on the first `rowCount` rows (whole groups of 8), read from
/// `packed`.
void runPackedBox(HalideFunction function, const MatmulPanelsArgs &args,
                  const float *packed, int64_t rowCount, int64_t panel0,
                  int64_t panels) {
  const int32_t groupFloats = int32_t(args.inFeatures * kPackedRows);
  halide_dimension_t inputDims[2] = {
      {0, groupFloats, 1}, {0, int32_t(rowCount / kPackedRows), groupFloats}};
  halide_buffer_t input = floatBuffer(packed, inputDims, 2);
  runKernel(function, input, args, 0, rowCount, panel0, panels);
}

/// The 8 x 3 tiles of matmulPanelsAvx512Packed by matmulPanelTilesAvx512.
void runPanelTiles(const MatmulPanelsArgs &args, const float *packed,
                   int64_t rowCount, int64_t panels) {
  const float *next = args.panels + panels * args.inFeatures * args.panel;
  matmulPanelTilesAvx512({packed, rowCount / kPackedRows, args.inFeatures,
                          args.panels, panels / kPackedPanels, args.out,
                          args.outStride, next});
}

/// The AVX-512 call: whole groups of 8 rows from packed rows (reused across
/// the calls of one product, packKey), their 8 x 3 tiles by Halide or, with
/// `handTiles`, by matmulPanelTilesAvx512; the rest as matmulPanelsHalide
/// does. Buffers past kMaxBoxBytes take the unpacked path.
void matmulPanelsAvx512Packed(const MatmulPanelsArgs &args, bool handTiles) {
  int64_t rowCount = args.tokens / kPackedRows * kPackedRows;
  bool fits = rowCount * args.inFeatures * 4 < kMaxBoxBytes &&
              rowCount * args.outStride * 4 < kMaxBoxBytes &&
              args.panelCount * args.inFeatures * args.panel * 4 < kMaxBoxBytes;
  if (rowCount == 0 || !fits)
    return matmulPanelsHalide(kAvx512Panel16, args);
  const float *packed = packedRowsFor(args, rowCount);
  int64_t tiled = args.panelCount / kPackedPanels * kPackedPanels;
  if (tiled > 0 && handTiles)
    runPanelTiles(args, packed, rowCount, tiled);
  else if (tiled > 0)
    runPackedBox(tfm_matmul_panels_x86_64_avx512_p16_8x3_packed, args, packed,
                 rowCount, 0, tiled);
  if (tiled < args.panelCount)
    runPackedBox(tfm_matmul_panels_x86_64_avx512_p16_8x1_packed, args, packed,
                 rowCount, tiled, args.panelCount - tiled);
  MatmulPanelsArgs rest = args;
  rest.input += rowCount * args.inputStride;
  rest.tokens -= rowCount;
  rest.out += rowCount * args.outStride;
  if (rest.tokens > 0)
    matmulPanelsHalide(kAvx512Panel16, rest);
}

} // namespace

void matmulPanelsHalideAvx2(const MatmulPanelsArgs &args) {
  if (args.panel == 8)
    return matmulPanelsHalide(kAvx2Panel8, args);
  if (args.panel == 16)
    return matmulPanelsHalide(kAvx2Panel16, args);
  matmulPanelsGeneric(args);
}

void matmulPanelsHalideAvx512(const MatmulPanelsArgs &args) {
  if (args.panel == 16)
    return matmulPanelsAvx512Packed(args, /*handTiles=*/false);
  matmulPanelsHalideAvx2(args);
}

void matmulPanelsAvx512(const MatmulPanelsArgs &args) {
  if (args.panel == 16)
    return matmulPanelsAvx512Packed(args, /*handTiles=*/true);
  matmulPanelsHalideAvx2(args);
}

} // namespace tfm::kernels
