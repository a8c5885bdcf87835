//===- tfm-compile.cpp - compile a model into a native library ------------===//
//
//   tfm-compile MODEL -o DIR [--context N] [--tokenizer FILE]
//               [the compile flags of tfm/Compiler/CompileFlags.h: --quant F,
//                --kv-type T, --disable NAMES, --target-cpu CPU, ...]
//
// MODEL is a GGUF file, a llama2.c checkpoint or a Hugging Face directory.
// DIR receives libtfm_model.so, weights.bin, tokenizer.bin and
// manifest.json; include/tfm/Runtime/tfm.h loads it. Progress goes to
// stderr, one line per stage; errors are one line and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/CompileFlags.h"
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
                  cl::desc("llama2.c tokenizer file for a llama2.c checkpoint "
                           "(default: tok<vocab>.bin or tokenizer.bin beside "
                           "it), or for a Hugging Face directory without "
                           "tokenizer.json a llama2.c tokenizer or a GGUF "
                           "file whose vocabulary to use"),
                  cl::value_desc("file"), cl::cat(category));
cl::opt<int64_t> contextLength(
    "context", cl::desc("Longest context (KV-cache length) the library serves "
                        "(default: the model's)"),
    cl::init(0), cl::cat(category));
CompileFlags compileFlags(category);

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
  compileFlags.apply(options);
  options.progress = &llvm::errs();
  if (llvm::Error error = compileModel(**model, options))
    return fail(llvm::toString(std::move(error)));
  llvm::errs() << "tfm-compile: wrote " << outputDirectory << "\n";
  return 0;
}
