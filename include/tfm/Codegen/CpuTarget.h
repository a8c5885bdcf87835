//===- CpuTarget.h - the CPU code is generated for --------------*- C++ -*-===//

#ifndef TFM_CODEGEN_CPUTARGET_H
#define TFM_CODEGEN_CPUTARGET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm {

/// The library that runs the generated parallel loops on threads.
enum class ThreadRuntime { OpenMP, Async };

/// What generates the f32 product of linear layers (`matmul_panels`):
/// MLIR's tiled and vectorized loops, or the Halide AOT kernel; `Auto` the
/// Halide kernel on AVX-512 targets (16-lane weight panels), MLIR's loops
/// elsewhere (resolveMatmulCodegen).
enum class MatmulCodegen { Mlir, Halide, Auto };

/// What multiplies quantized weights, a decode step's one token (q8_0,
/// q4_0, q4_k and q6_k) or a prefill's tiles of tokens (the same formats):
/// vector code the compiler generates (tfm-lower-quantized-matmul's
/// generated-decode and generated-prefill, on targets with an int8 dot
/// product, DotProduct) or the hand-written kernels.
enum class QuantizedCodegen { Generated, Kernel, Auto };

/// What computes a decode step's attention (any KV cache type):
/// vector code the compiler generates (tfm-lower-flash-attention's
/// generated-decode, any target) or the hand-written kernel.
enum class DecodeAttention { Generated, Kernel };

/// The int8 dot product instruction the generated decode multiplies with:
/// AVX-512 VNNI's vpdpbusd (unsigned x signed bytes, 16 int32 lanes), or
/// AArch64's sdot (signed x signed, the dot-product extension) or usdot
/// (unsigned x signed, the i8mm extension), 4 lanes each.
enum class DotProduct { Avx512Vnni, NeonDotprod, NeonI8mm };

struct CpuTarget;
/// `codegen` with `Auto` resolved for `target`.
MatmulCodegen resolveMatmulCodegen(MatmulCodegen codegen,
                                   const CpuTarget &target);
/// `decode` with `Auto` resolved for `target`: generated where it has a
/// dot product (decodeDotProduct).
QuantizedCodegen resolveQuantizedDecode(QuantizedCodegen decode,
                                       const CpuTarget &target);
/// `prefill` with `Auto` resolved for `target`: generated where it has a
/// dot product but no AMX (whose tiles the hand-written kernel multiplies
/// on, which outruns VNNI's dot products in a prefill).
QuantizedCodegen resolveQuantizedPrefill(QuantizedCodegen prefill,
                                         const CpuTarget &target);
/// The dot product of `target` the generated decode uses: AVX512-VNNI, or
/// on AArch64 i8mm's usdot, else the dot-product extension's sdot; none
/// without any of them.
std::optional<DotProduct> decodeDotProduct(const CpuTarget &target);
/// `dot`'s name as tfm-lower-quantized-matmul's dot-product option has it
/// (`avx512-vnni`, `neon-dotprod`, `neon-i8mm`).
llvm::StringRef dotProductName(DotProduct dot);

/// What code generation needs to know about a CPU.
struct CpuTarget {
  std::string triple;
  /// LLVM CPU name (`znver4`, `x86-64-v3`, ...).
  std::string cpu;
  /// LLVM feature string (`+avx512f,+avx2,...`; the host's, empty for a
  /// named CPU, whose definition says).
  std::string features;
  /// Of the features hasFeature is asked about, those the CPU has.
  std::vector<std::string> enabledFeatures;
  /// The triple's architecture is not the build machine's: the code runs
  /// elsewhere (tfm-compile --target-triple).
  bool cross = false;
  /// Widest float vector register the generated code uses.
  unsigned vectorBits = 128;
  int64_t l1DataBytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;

  unsigned floatLanes() const { return vectorBits / 32; }
  /// Whether the CPU has `feature` (LLVM's name: `avx512vnni`, `amx-int8`,
  /// `dotprod`, `i8mm`; one of those resolveCpuTarget asks about).
  bool hasFeature(llvm::StringRef feature) const;
};

/// Resolves `name` ("host" or an LLVM CPU name such as `znver4`,
/// `skylake-avx512`, `haswell`, `x86-64-v3`; `cortex-a76`, `neoverse-n1`,
/// `apple-m1` for AArch64) for `triple` (empty: the host's). Unknown names,
/// and "host" for another architecture, are an error saying what to use.
llvm::Expected<CpuTarget> resolveCpuTarget(llvm::StringRef name,
                                           llvm::StringRef triple = "");

} // namespace mlir::tfm

#endif // TFM_CODEGEN_CPUTARGET_H
