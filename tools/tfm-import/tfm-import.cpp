//===- tfm-import.cpp - print a model file as tfm IR ----------------------===//
//
//   tfm-import MODEL [-o OUT.mlir] [--tokenizer FILE] [--context N]
//
// MODEL is a GGUF file, a llama2.c checkpoint or a Hugging Face directory.
// Weights are referenced by name; their values are never printed. Errors
// are one line, `tfm-import: FILE: offset N: what is wrong`, exit code 1.
//
//===----------------------------------------------------------------------===//

#include "tfm/Builder/ImportToIR.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-import options");
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model file or directory>"),
                               cl::cat(category));
cl::opt<std::string> outputFilename("o", cl::desc("Output file (default: -)"),
                                    cl::value_desc("filename"), cl::init("-"),
                                    cl::cat(category));
cl::opt<std::string>
    tokenizerPath("tokenizer",
                  cl::desc("llama2.c tokenizer file (default: tok<vocab>.bin "
                           "or tokenizer.bin beside the checkpoint)"),
                  cl::value_desc("file"), cl::cat(category));
cl::opt<int64_t> contextLength(
    "context", cl::desc("KV-cache length (default: the model's context)"),
    cl::init(0), cl::cat(category));
cl::opt<int64_t> ubatch(
    "ubatch",
    cl::desc("Most tokens of one call: sliding-window layers keep a ring of "
             "window + ubatch - 1 positions when the context is longer (0: "
             "the whole context)"),
    cl::init(512), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "tfm-import: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "Import a model file as tfm IR\n");
  if (contextLength < 0 || ubatch < 0)
    return fail("--context and --ubatch must not be negative");

  OpenOptions openOptions;
  openOptions.tokenizerPath = tokenizerPath;
  llvm::Expected<std::unique_ptr<ModelFile>> model =
      openModel(modelPath, openOptions);
  if (!model)
    return fail(llvm::toString(model.takeError()));

  MLIRContext context;
  ImportOptions importOptions;
  importOptions.contextLength = contextLength;
  importOptions.ubatch = ubatch;
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      importModel(context, **model, importOptions);
  if (!module)
    return fail(llvm::toString(module.takeError()));

  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &error);
  if (!output)
    return fail(error);
  (*module)->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
