//===- tfm-compile.cpp - compile a model into a native library ------------===//
//
//   tfm-compile MODEL -o DIR [--context N] [--target-cpu CPU] [--no-threads]
//               [--quant F] [--quant-override GLOB=F] [--calibrate TEXT]
//
// MODEL is a GGUF file, a llama2.c checkpoint or a Hugging Face directory.
// DIR receives libtfm_model.so, weights.bin, tokenizer.bin and
// manifest.json; include/tfm/Runtime/tfm.h loads it. Progress goes to
// stderr, one line per stage; errors are one line and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/CalibrationFlags.h"
#include "tfm/Compiler/CodegenFlags.h"
#include "tfm/Compiler/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-compile options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file or directory>"),
                               cl::cat(category));
cl::opt<std::string> outputDirectory("o", cl::Required,
                                     cl::desc("Output directory"),
                                     cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string>
    tokenizerPath("tokenizer",
                  cl::desc("llama2.c tokenizer file (default: tok<vocab>.bin "
                           "or tokenizer.bin beside the checkpoint)"),
                  cl::value_desc("file"), cl::cat(category));
cl::opt<int64_t> contextLength(
    "context", cl::desc("Longest context (KV-cache length) the library serves "
                        "(default: the model's)"),
    cl::init(0), cl::cat(category));
cl::opt<std::string> targetCpu(
    "target-cpu", cl::desc("CPU to generate code for (default: host)"),
    cl::init("host"), cl::cat(category));
cl::opt<bool> noThreads("no-threads",
                        cl::desc("Generate single-threaded code"),
                        cl::cat(category));
cl::opt<ThreadRuntime> threadRuntime(
    "thread-runtime", cl::desc("What runs the parallel loops"),
    cl::init(ThreadRuntime::OpenMP),
    cl::values(clEnumValN(ThreadRuntime::OpenMP, "openmp",
                          "OpenMP (libomp; the default)"),
               clEnumValN(ThreadRuntime::Async, "async",
                          "MLIR's async runtime thread pool")),
    cl::cat(category));

cl::list<std::string> disabledOptimizations(
    "disable",
    cl::desc("Leave out optimizations of tfm-cpu-pipeline (comma "
             "separated): fuse-sibling-linears, fuse-residual-adds, fuse-norm, "
             "fuse-gated-activations, fuse-linear-activations, fuse-rope, "
             "interleave-weights, "
             "fuse-matmul-epilogues, hoist-accumulators, approximate-math, "
             "guided-schedule, "
             "flash-attention, "
             "plan-static-arena, or all"),
    cl::CommaSeparated, cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> kvType(
    "kv-type",
    cl::desc("KV-cache element type: f32, f16 or q8 (int8 with an f32 scale "
             "per token and head; default f16)"),
    cl::init(kDefaultKVType), cl::value_desc("type"), cl::cat(category));
cl::opt<std::string> quant(
    "quant",
    cl::desc("Storage format of linear-layer weights: keep (as in the file), "
             "f32, q8_0, q4_0, q4_1, q4_k, q6_k, int8, int4, int4g<N>"),
    cl::init("keep"), cl::value_desc("format"), cl::cat(category));
cl::list<std::string> quantOverrides(
    "quant-override",
    cl::desc("name-glob=format for some weights (repeatable; first match "
             "wins), e.g. output.weight=q8_0"),
    cl::value_desc("glob=format"), cl::cat(category));
CalibrationFlags calibration(category);
CodegenFlags codegen(category);

int fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-compile: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Compile a model into a native library\n");
  if (contextLength < 0)
    return fail("--context must not be negative");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  OpenOptions openOptions;
  openOptions.tokenizerPath = tokenizerPath;
  llvm::Expected<std::unique_ptr<ModelFile>> model =
      openModel(modelPath, openOptions);
  if (!model)
    return fail(llvm::toString(model.takeError()));

  CompileOptions options;
  options.outputDirectory = outputDirectory;
  options.contextLength = contextLength;
  options.targetCpu = targetCpu;
  options.threads = !noThreads;
  options.threadRuntime = threadRuntime;
  options.weightFormat = quant;
  options.kvType = kvType;
  options.disabledOptimizations.assign(disabledOptimizations.begin(), disabledOptimizations.end());
  options.weightOverrides.assign(quantOverrides.begin(), quantOverrides.end());
  calibration.apply(options);
  codegen.apply(options);
  options.progress = &llvm::errs();
  if (llvm::Error error = compileModel(**model, options))
    return fail(llvm::toString(std::move(error)));
  llvm::errs() << "tfm-compile: wrote " << outputDirectory << "\n";
  return 0;
}
