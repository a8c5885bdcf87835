//===- CompileFlags.cpp - the compile options of every tool ---------------===//

#include "tfm/Compiler/CompileFlags.h"

#include "tfm/Compiler/CompiledVocabulary.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

// cl::desc keeps a StringRef: the texts built from the tables live as long
// as the program (or, for --kv-type's, as the CompileFlags).

const std::string &disableDescription() {
  static const std::string text =
      "Leave out optimizations of tfm-cpu-pipeline (comma separated): " +
      llvm::join(llvm::ArrayRef(kOptimizationNames), ", ") + ", or all";
  return text;
}

const std::string &quantDescription() {
  static const std::string text =
      "Storage format of linear-layer weights (keep: as in the file): " +
      listWeightFormatNames();
  return text;
}

std::string kvTypeDescription(llvm::StringRef kvTypeDefault) {
  return "KV-cache element type: " +
         llvm::join(llvm::ArrayRef(kKVTypeNames), ", ") +
         " (q8: int8 with an f32 scale per token and head; default " +
         kvTypeDefault.str() + ")";
}

/// The values of --quantized-decode and --quantized-prefill; `autoMeans`
/// (a literal) says where auto generates.
cl::ValuesClass quantizedCodegenValues(const char *autoMeans) {
  return cl::values(
      clEnumValN(QuantizedCodegen::Generated, "generated",
                 "vector code the compiler generates (targets with "
                 "AVX512-VNNI, or AArch64 dotprod or i8mm)"),
      clEnumValN(QuantizedCodegen::Kernel, "kernel",
                 "the hand-written kernels"),
      clEnumValN(QuantizedCodegen::Auto, "auto", autoMeans));
}

} // namespace

CompileFlags::CompileFlags(cl::OptionCategory &category,
                           llvm::StringRef kvTypeDefault)
    : kvTypeHelp(kvTypeDescription(kvTypeDefault)),
      targetCpu("target-cpu",
                cl::desc("CPU to generate code for (default: host)"),
                cl::init("host"), cl::value_desc("cpu"), cl::cat(category)),
      targetTriple("target-triple",
                   cl::desc("Generate code for this triple, e.g. "
                            "aarch64-linux-gnu (default: the host's; "
                            "another architecture's cross-compiles, with "
                            "--target-cpu naming its CPU)"),
                   cl::value_desc("triple"), cl::cat(category)),
      noThreads("no-threads", cl::desc("Generate single-threaded code"),
                cl::cat(category)),
      threadRuntime("thread-runtime", cl::desc("What runs the parallel loops"),
                    cl::init(ThreadRuntime::OpenMP),
                    cl::values(clEnumValN(ThreadRuntime::OpenMP, "openmp",
                                          "OpenMP (libomp; the default)"),
                               clEnumValN(ThreadRuntime::Async, "async",
                                          "MLIR's async runtime thread pool")),
                    cl::cat(category)),
      disabledOptimizations("disable", cl::desc(disableDescription()),
                            cl::CommaSeparated, cl::value_desc("name"),
                            cl::cat(category)),
      f32Matmul(
          "f32-matmul",
          cl::desc(
              "Code generator of the f32 linear layers (tfm-cpu-pipeline's "
              "f32-matmul)"),
          cl::init(MatmulCodegen::Auto),
          cl::values(clEnumValN(MatmulCodegen::Mlir, "mlir",
                                "MLIR's tiled, vectorized loops"),
                     clEnumValN(MatmulCodegen::Halide, "halide",
                                "the Halide AOT kernel"),
                     clEnumValN(MatmulCodegen::Auto, "auto",
                                "halide on AVX-512 targets, mlir elsewhere "
                                "(default)")),
          cl::cat(category)),
      quantizedDecode(
          "quantized-decode",
          cl::desc("What multiplies a decode step's q8_0, q4_0, q4_k and "
                   "q6_k weights "
                   "(tfm-lower-quantized-matmul's generated-decode)"),
          cl::init(QuantizedCodegen::Auto),
          quantizedCodegenValues("generated where the target has one of "
                                 "those dot products, kernel elsewhere "
                                 "(default)"),
          cl::cat(category)),
      quantizedPrefill(
          "quantized-prefill",
          cl::desc("What multiplies a prefill's tiles of tokens and q8_0, "
                   "q4_0, q4_k or q6_k weights (tfm-lower-quantized-matmul's "
                   "generated-prefill; other formats take the kernels)"),
          cl::init(QuantizedCodegen::Auto),
          quantizedCodegenValues("generated where the target has one of "
                                 "those dot products and no AMX, kernel "
                                 "elsewhere (default)"),
          cl::cat(category)),
      decodeAttention(
          "decode-attention",
          cl::desc("What computes a decode step's attention "
                   "(tfm-lower-flash-attention's generated-decode; T5's "
                   "position bias and query norms always take the "
                   "kernel)"),
          cl::init(DecodeAttention::Generated),
          cl::values(clEnumValN(DecodeAttention::Generated, "generated",
                                "vector code the compiler generates "
                                "(default)"),
                     clEnumValN(DecodeAttention::Kernel, "kernel",
                                "the hand-written kernel")),
          cl::cat(category)),
      quant("quant", cl::desc(quantDescription()), cl::init("keep"),
            cl::value_desc("format"), cl::cat(category)),
      quantOverrides(
          "quant-override",
          cl::desc("name-glob=format for some weights (repeatable; first "
                   "match wins), e.g. output.weight=q8_0"),
          cl::value_desc("glob=format"), cl::cat(category)),
      kvType("kv-type", cl::desc(kvTypeHelp), cl::init(kvTypeDefault.str()),
             cl::value_desc("type"), cl::cat(category)),
      convertToGqa(
          "convert-to-gqa",
          cl::desc("Mean-pool the key/value heads into this many KV heads "
                   "(tfm-convert-to-gqa; 0: keep the model's)"),
          cl::init(0), cl::value_desc("kv heads"), cl::cat(category)),
      embeddings("embeddings",
                 cl::desc("Also compile the embed entry point: the final "
                          "hidden states of a prompt (tfm_embed, "
                          "tfm-server's /v1/embeddings)"),
                 cl::cat(category)),
      ubatch("ubatch",
             cl::desc("Most tokens one call runs (longer prompts are cut): "
                      "sliding-window layers then keep window + ubatch - 1 "
                      "positions instead of the whole context (0: the whole "
                      "context, llama.cpp's --swa-full)"),
             cl::init(512), cl::value_desc("N"), cl::cat(category)),
      calibrationText(
          "calibrate",
          cl::desc("Round the weights --quant quantizes with GPTQ against "
                   "their inputs over this text"),
          cl::value_desc("text file"), cl::cat(category)),
      calibrationTokens(
          "calibrate-tokens",
          cl::desc("Tokens of the --calibrate text to use (default 512)"),
          cl::init(kDefaultCalibrationTokens), cl::value_desc("N"),
          cl::cat(category)) {}

void CompileFlags::apply(CompileOptions &options) const {
  options.targetCpu = targetCpu;
  options.targetTriple = targetTriple;
  options.threads = !noThreads;
  options.threadRuntime = threadRuntime;
  options.disabledOptimizations.assign(disabledOptimizations.begin(),
                                       disabledOptimizations.end());
  options.f32Matmul = f32Matmul;
  options.quantizedDecode = quantizedDecode;
  options.quantizedPrefill = quantizedPrefill;
  options.decodeAttention = decodeAttention;
  options.weightFormat = quant;
  options.weightOverrides.assign(quantOverrides.begin(), quantOverrides.end());
  options.kvType = kvType;
  options.gqaKvHeads = convertToGqa;
  options.embeddings = embeddings;
  options.ubatch = ubatch;
  options.calibrationText = calibrationText;
  options.calibrationTokens = calibrationTokens;
}

llvm::Expected<ToolModel> mlir::tfm::compileForTool(llvm::StringRef modelPath,
                                                    const CompileFlags &flags) {
  CompileOptions options;
  flags.apply(options);
  options.progress = &llvm::errs();
  llvm::Expected<std::string> directory =
      compiledModelDirectory(modelPath, OpenOptions(), options);
  if (!directory)
    return directory.takeError();
  llvm::Expected<Vocabulary> vocabulary = loadCompiledVocabulary(*directory);
  if (!vocabulary)
    return vocabulary.takeError();
  return ToolModel{std::move(*directory), std::move(*vocabulary)};
}
