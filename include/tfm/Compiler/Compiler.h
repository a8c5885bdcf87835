//===- Compiler.h - a model file to a native library ------------*- C++ -*-===//
//
// What tfm-compile does, as a library (tfm-run compiles into its cache with
// the same code).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_COMPILER_H
#define TFM_COMPILER_COMPILER_H

#include "tfm/Codegen/CpuTarget.h"
#include "tfm/Import/ModelFile.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir::tfm {

/// Names of the files in a compiled model directory.
inline constexpr const char *kLibraryFileName = "libtfm_model.so";
inline constexpr const char *kWeightsFileName = "weights.bin";
inline constexpr const char *kTokenizerFileName = kCompiledVocabularyFileName;
inline constexpr const char *kManifestFileName = "manifest.json";

/// The optimizations `CompileOptions::disabledOptimizations` can name: the
/// boolean options of `tfm-cpu-pipeline` of the same names.
inline constexpr const char *kOptimizationNames[] = {
    "fuse-sibling-linears", "fuse-residual-adds", "fuse-norm",
    "fuse-gated-activations", "fuse-linear-activations", "fuse-rope",
    "fuse-head-norm", "interleave-weights",
    "flash-attention", "fuse-matmul-epilogues", "hoist-accumulators",
    "approximate-math", "guided-schedule", "plan-static-arena"};

/// The KV-cache element types `CompileOptions::kvType` can name.
inline constexpr const char *kKVTypeNames[] = {"f32", "f16", "bf16", "q8"};

/// What `CompileOptions::weightFormat` can name: keep (as in the file), f32,
/// or a block format (tfm/Quantization/Quantize.h), comma separated.
std::string listWeightFormatNames();

/// The KV-cache element type when none is asked for: f16, as llama.cpp's
/// default cache (`-ctk f16 -ctv f16`): half the bytes of f32 that a decode
/// step reads at every position, at a mean KL divergence of ~1e-6 from it
/// (docs/fidelity.md).
inline constexpr const char *kDefaultKVType = "f16";

/// Tokens of a calibration text used when none is asked for: llama.cpp's
/// importance matrices are computed over a few hundred to thousands.
inline constexpr int64_t kDefaultCalibrationTokens = 512;

struct CompileOptions {
  std::string outputDirectory;
  /// KV-cache length the model is compiled for (the runtime may use less);
  /// 0 keeps the model's own context length.
  int64_t contextLength = 0;
  std::string targetCpu = "host";
  /// The target's triple (empty: the host's). Another architecture's
  /// (aarch64-linux-gnu) cross-compiles: the library links that
  /// architecture's kernels archive (lib/tfm/<arch>/) with clang.
  std::string targetTriple;
  /// Hot loops on threads, run by `threadRuntime`.
  bool threads = true;
  ThreadRuntime threadRuntime = ThreadRuntime::OpenMP;
  /// Storage format of linear-layer weights (tfm-quantize-weights' `format`:
  /// keep, f32, q8_0, q4_0, q4_1, q4_k, q6_k, int8, int4, int4g<N>) and
  /// per-tensor `name-glob=format` overrides.
  std::string weightFormat = "keep";
  std::vector<std::string> weightOverrides;
  /// A text to calibrate the quantized weights on: when set, the weights
  /// quantized here (not blocks copied from the model file) are rounded
  /// with GPTQ against their inputs over the text's first
  /// `calibrationTokens` tokens (tfm/Compiler/Calibration.h,
  /// tfm/Quantization/Gptq.h).
  std::string calibrationText;
  int64_t calibrationTokens = kDefaultCalibrationTokens;
  /// Element type of the KV cache: f32, f16, bf16 or q8 (int8 with an f32
  /// scale per token and head).
  std::string kvType = kDefaultKVType;
  /// Fusions of tfm-cpu-pipeline to leave out (names in kOptimizationNames, or
  /// "all"), to measure what each brings.
  std::vector<std::string> disabledOptimizations;
  /// KV heads after tfm-convert-to-gqa mean-pools the key and value
  /// projections of an MHA model into GQA's; 0 keeps the model's.
  int64_t gqaKvHeads = 0;
  /// Also compile the `embed` entry point (decoders; tfm_embed).
  bool embeddings = false;
  /// The most tokens one call of a decoder with sliding-window layers runs:
  /// those layers then keep a ring of window + ubatch - 1 positions instead
  /// of the whole context (the runtime cuts longer prompts into calls of
  /// ubatch tokens). 0 keeps the whole context (llama.cpp's --swa-full).
  int64_t ubatch = 512;
  /// Code generator of the f32 linear layers (tfm-cpu-pipeline's
  /// f32-matmul).
  MatmulCodegen f32Matmul = MatmulCodegen::Auto;
  /// What multiplies one-token q8_0, q4_0, q4_k and q6_k products:
  /// generated vector code or the hand-written kernel (Auto: generated on
  /// targets with an int8 dot product: AVX512-VNNI, AArch64 dotprod or
  /// i8mm).
  QuantizedCodegen quantizedDecode = QuantizedCodegen::Auto;
  /// What multiplies the tiles of a prefill's tokens and q8_0, q4_0, q4_k
  /// or q6_k weights (Auto: generated on targets with an int8 dot product and no
  /// AMX, whose tiles the kernel uses).
  QuantizedCodegen quantizedPrefill = QuantizedCodegen::Auto;
  /// What computes a decode step's attention (position biases and query
  /// norms always call the kernel).
  DecodeAttention decodeAttention = DecodeAttention::Generated;
  /// Where progress lines go (one per stage); null for none.
  llvm::raw_ostream *progress = nullptr;
};

/// The configuration of `model` as compiled with `options`: the KV heads
/// tfm-convert-to-gqa leaves, when asked for.
ModelConfig compiledConfig(const ModelConfig &config,
                           const CompileOptions &options);

/// Compiles `model` into `options.outputDirectory`: the shared library, the
/// weights file in the layout the code reads, the tokenizer and
/// manifest.json (see docs/c-api.md).
llvm::Error compileModel(const ModelFile &model, const CompileOptions &options);

/// `xxh3:<16 hex digits>` of the model's bytes: the file, or for a Hugging
/// Face directory its config.json and safetensors files in name order.
llvm::Expected<std::string> hashModelSource(llvm::StringRef path);

/// The compiled model directory for `path`, as tfm-run and tfm-bench take
/// it: `path` itself when it is one (holds manifest.json); otherwise the
/// entry for the model's bytes and `options` in the cache
/// (`$XDG_CACHE_HOME/tfm/<key>`, else `~/.cache/tfm/<key>`), compiled there
/// on first use. `options.outputDirectory` is ignored.
llvm::Expected<std::string> compiledModelDirectory(llvm::StringRef path,
                                                   const OpenOptions &open,
                                                   CompileOptions options);

} // namespace mlir::tfm

#endif // TFM_COMPILER_COMPILER_H
