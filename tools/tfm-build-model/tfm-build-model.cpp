//===- tfm-build-model.cpp - print a synthetic model as tfm IR ------------===//
//
// Builds a whole model of one architecture with the C++ builder API and prints
// it. Starts from the architecture's tiny test shape; every flag given
// overrides one hyperparameter:
//
//   tfm-build-model --arch=llama --dim=128 --heads=8 --kv-heads=2 -o m.mlir
//
//===----------------------------------------------------------------------===//

#include "tfm/Builder/ModelBuilder.h"
#include "tfm/Model/Architectures.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tfm-build-model options");

cl::opt<std::string> archName("arch", cl::desc("An architecture of docs/models.md (llama, qwen2, gpt2, bert, t5, ...)"),
                              cl::init("llama"), cl::cat(category));
cl::opt<std::string> outputFilename("o", cl::desc("Output file (default: -)"),
                                    cl::value_desc("filename"), cl::init("-"),
                                    cl::cat(category));
cl::opt<int64_t> vocabSize("vocab", cl::desc("Vocabulary size"),
                           cl::cat(category));
cl::opt<int64_t> dim("dim", cl::desc("Model (embedding) dimension"),
                     cl::cat(category));
cl::opt<int64_t> hiddenDim("hidden-dim", cl::desc("Feed-forward dimension"),
                           cl::cat(category));
cl::opt<int64_t> numLayers("layers",
                           cl::desc("Layers (encoder layers for t5)"),
                           cl::cat(category));
cl::opt<int64_t> numDecoderLayers("decoder-layers",
                                  cl::desc("Decoder layers (t5)"),
                                  cl::cat(category));
cl::opt<int64_t> numHeads("heads", cl::desc("Attention heads"),
                          cl::cat(category));
cl::opt<int64_t> numKvHeads("kv-heads",
                            cl::desc("Key/value heads (GQA < heads, MQA = 1)"),
                            cl::cat(category));
cl::opt<int64_t> contextLength("context", cl::desc("Context length"),
                               cl::cat(category));
cl::opt<int64_t> rotaryDim("rotary-dim",
                           cl::desc("Rotary dimensions per head (llama)"),
                           cl::cat(category));
cl::opt<double> ropeTheta("rope-theta", cl::desc("RoPE base (llama)"),
                          cl::cat(category));
cl::opt<bool> halfSplit("rope-half-split",
                        cl::desc("Hugging Face (half-split) RoPE pairing"),
                        cl::cat(category));
cl::opt<double> normEps("norm-eps", cl::desc("Normalization epsilon"),
                        cl::cat(category));
cl::opt<bool> tied("tied", cl::desc("Tie the output matrix to the embedding"),
                   cl::cat(category));
cl::opt<std::string> weightType("weight-type",
                                cl::desc("Weight storage: f32 | f16 | bf16"),
                                cl::cat(category));
cl::opt<std::string> kvType("kv-type",
                            cl::desc("KV-cache storage: f32 | f16 | bf16"),
                            cl::cat(category));

template <typename T>
void overrideIfGiven(const cl::opt<T> &option, T &field) {
  if (option.getNumOccurrences())
    field = option;
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "tfm-build-model") << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Build a synthetic transformer in tfm IR\n");

  if (!lookupArchitecture(archName))
    return fail("unknown --arch '" + archName + "' (expected one of " +
                listArchitectures() + ")");
  ModelConfig config = ModelConfig::tiny(archName);
  overrideIfGiven(vocabSize, config.vocabSize);
  overrideIfGiven(dim, config.dim);
  overrideIfGiven(hiddenDim, config.hiddenDim);
  overrideIfGiven(numLayers, config.numLayers);
  overrideIfGiven(numDecoderLayers, config.numDecoderLayers);
  overrideIfGiven(numHeads, config.numHeads);
  overrideIfGiven(numKvHeads, config.numKvHeads);
  overrideIfGiven(contextLength, config.contextLength);
  overrideIfGiven(rotaryDim, config.rotaryDim);
  overrideIfGiven(ropeTheta, config.ropeTheta);
  overrideIfGiven(normEps, config.normEps);
  overrideIfGiven(tied, config.tiedEmbeddings);
  if (halfSplit)
    config.layer.ropeInterleaved = false;
  for (auto [option, field] :
       {std::pair{&weightType, &config.weightType},
        std::pair{&kvType, &config.kvCacheType}}) {
    if (!option->getNumOccurrences())
      continue;
    std::optional<StorageType> type = parseStorageType(*option);
    if (!type)
      return fail("unknown --" + option->ArgStr + " '" + *option +
                  "' (expected f32, f16 or bf16)");
    *field = *type;
  }

  MLIRContext context;
  llvm::Expected<OwningOpRef<ModuleOp>> module = buildModel(context, config);
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
