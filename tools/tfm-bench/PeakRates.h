//===- PeakRates.h - the core's peak multiply-accumulate rates --*- C++ -*-===//
//
// tfm-bench's compute probe: what prefill's matrix products could reach on
// this machine, measured as its read probe (STREAM) measures bandwidth.
// Each thread runs independent accumulator chains of one multiply-add
// instruction (enough chains to cover the instruction's latency on every
// port), so the rate is the units' throughput, not a latency.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOOLS_TFM_BENCH_PEAKRATES_H
#define TFM_TOOLS_TFM_BENCH_PEAKRATES_H

#include <cstdint>
#include <string>

namespace tfm::bench {

/// Multiply-accumulates per second (all threads together) of the f32 FMA
/// units and of the 8-bit integer dot products, and the instructions
/// measured.
struct PeakRates {
  double floatMacs = 0;
  double int8Macs = 0;
  std::string floatIsa;
  std::string int8Isa;
};

/// Best of a few runs of each loop on `threads` threads. The f32 loop uses
/// the widest FMA the CPU has (the compiled code's f32 matmuls are built
/// for the host); the int8 loop the instruction the quantized kernels run
/// (tfm_kernel_isa: AMX tiles, AVX-512 VNNI, AVX2 or the generic code).
PeakRates measurePeakRates(int threads);

/// One thread's loops: `iterations` rounds of each variant's chains; each
/// returns the multiply-accumulates it did (the caller times it).
int64_t floatMacsGeneric(int64_t iterations);
int64_t int8MacsGeneric(int64_t iterations);
int64_t floatMacsAvx2(int64_t iterations);
int64_t int8MacsAvx2(int64_t iterations);
int64_t floatMacsAvx512(int64_t iterations);
int64_t int8MacsAvx512Vnni(int64_t iterations);
int64_t int8MacsAmx(int64_t iterations);

} // namespace tfm::bench

#endif // TFM_TOOLS_TFM_BENCH_PEAKRATES_H
