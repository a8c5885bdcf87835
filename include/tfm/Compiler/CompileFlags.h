//===- CompileFlags.h - the compile options of every tool -------*- C++ -*-===//
//
// The command-line flags that set CompileOptions, declared once for every
// tool that compiles a model (tfm-compile; tfm-run, tfm-bench,
// tfm-perplexity and tfm-server, which compile model files into the
// cache): a new option or weight format appears in all of them at once,
// spelled and described the same way. The lists in the descriptions come from the tables the
// compiler checks against (kOptimizationNames, kKVTypeNames,
// listWeightFormatNames).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_COMPILEFLAGS_H
#define TFM_COMPILER_COMPILEFLAGS_H

#include "tfm/Compiler/Compiler.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"

namespace mlir::tfm {

/// `--target-cpu`, `--no-threads`, `--thread-runtime`, `--disable`,
/// `--f32-matmul`, `--quant`, `--quant-override`, `--kv-type`,
/// `--calibrate` and `--calibrate-tokens`, registered in `category` when
/// constructed (before cl::ParseCommandLineOptions).
struct CompileFlags {
  /// `kvTypeDefault`: the KV cache of a tool that measures against f32
  /// (tfm-perplexity) defaults to f32, the others to kDefaultKVType.
  explicit CompileFlags(llvm::cl::OptionCategory &category,
                        llvm::StringRef kvTypeDefault = kDefaultKVType);

  /// Copies every flag into `options`.
  void apply(CompileOptions &options) const;

private:
  /// --kv-type's description names this tool's default; cl::desc keeps a
  /// reference, so the text lives here, before the options.
  std::string kvTypeHelp;

public:
  llvm::cl::opt<std::string> targetCpu;
  llvm::cl::opt<std::string> targetTriple;
  llvm::cl::opt<bool> noThreads;
  llvm::cl::opt<ThreadRuntime> threadRuntime;
  llvm::cl::list<std::string> disabledOptimizations;
  llvm::cl::opt<MatmulCodegen> f32Matmul;
  llvm::cl::opt<QuantizedCodegen> quantizedDecode;
  llvm::cl::opt<QuantizedCodegen> quantizedPrefill;
  llvm::cl::opt<DecodeAttention> decodeAttention;
  llvm::cl::opt<std::string> quant;
  llvm::cl::list<std::string> quantOverrides;
  llvm::cl::opt<std::string> kvType;
  llvm::cl::opt<int64_t> convertToGqa;
  llvm::cl::opt<bool> embeddings;
  llvm::cl::opt<int64_t> ubatch;
  llvm::cl::opt<std::string> calibrationText;
  llvm::cl::opt<int64_t> calibrationTokens;
};

} // namespace mlir::tfm

namespace mlir::tfm {

/// What a text-generating tool (tfm-run, tfm-server) runs: the compiled
/// directory of a model file or directory, compiled through the cache with
/// the tool's compile flags (progress on stderr), and its vocabulary.
struct ToolModel {
  std::string directory;
  Vocabulary vocabulary;
};
llvm::Expected<ToolModel> compileForTool(llvm::StringRef modelPath,
                                         const CompileFlags &flags);

} // namespace mlir::tfm

#endif // TFM_COMPILER_COMPILEFLAGS_H
