//===- Compiler.cpp - a model file to a native library --------------------===//
//
// import -> tfm-cpu-pipeline -> LLVM IR -> O3 -> object (in-process
// TargetMachine) -> shared library (system linker), plus the weights file,
// the tokenizer and the manifest. Each stage prints one progress line.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"

#include "tfm/Codegen/Passes.h"
#include "tfm/Compiler/Calibration.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"
#include "tfm/Builder/ImportToIR.h"
#include "tfm/Model/Architectures.h"
#include "tfm/Quantization/Quantize.h"
#include "tfm/Quantization/WeightFormat.h"
#include "tfm/Runtime/tfm_kernels.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Timer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <chrono>

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Prints `[n/N] stage ... (t s)` lines.
/// One line per stage, or on a terminal one progress bar redrawn in place.
class Progress {
public:
  Progress(llvm::raw_ostream *os, int stages)
      : os(os), stages(stages), bar(os && os->is_displayed()) {}
  /// A stage that failed ends its line, so the error gets one of its own.
  ~Progress() {
    if (os && inStage)
      *os << "\n";
  }

  void begin(llvm::StringRef stage) {
    start = std::chrono::steady_clock::now();
    ++current;
    inStage = true;
    if (!os)
      return;
    if (bar)
      *os << "\r\x1b[K" << drawBar(current - 1) << " " << stage;
    else
      *os << llvm::formatv("[{0}/{1}] {2}", current, stages, stage);
    os->flush();
  }
  void end() {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    total += seconds;
    inStage = false;
    if (!os)
      return;
    if (!bar)
      *os << llvm::formatv(" ({0:F2} s)\n", seconds);
    else if (current == stages)
      *os << "\r\x1b[K" << drawBar(current)
          << llvm::formatv(" compiled in {0:F1} s\n", total);
    os->flush();
  }

private:
  std::string drawBar(int done) const {
    constexpr int width = 24;
    int filled = done * width / stages;
    return "[" + std::string(filled, '#') + std::string(width - filled, '.') +
           "] " + std::to_string(done) + "/" + std::to_string(stages);
  }

  llvm::raw_ostream *os;
  int stages;
  bool bar;
  int current = 0;
  bool inStage = false;
  double total = 0;
  std::chrono::steady_clock::time_point start;
};

std::string pathIn(llvm::StringRef directory, llvm::StringRef file) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, file);
  return std::string(path);
}

/// The CPU lowering computes in f32 and executes quantized blocks natively:
/// widens every other param to f32 and returns the formats that were not f32
/// in the file (for the notice).
llvm::StringSet<> widenParamsToF32(ModuleOp module, const ModelFile &model) {
  llvm::StringSet<> widened;
  module.walk([&](ParamOp param) {
    auto type = param.getType();
    if (isa<QuantType>(type.getElementType()))
      return;
    if (const TensorView *view = model.lookup(param.getName()))
      if (view->type != WeightFormat::F32)
        widened.insert(getWeightFormatInfo(view->type).name);
    param.getResult().setType(
        RankedTensorType::get(type.getShape(), Float32Type::get(module.getContext())));
    param->removeAttr("tfm.storage");
  });
  return widened;
}

/// `values` as a constant array the runtime finds with dlsym (`name`).
template <typename T>
void exportConstantArray(llvm::Module &module, llvm::StringRef name,
                         const std::vector<T> &values) {
  llvm::Constant *data =
      llvm::ConstantDataArray::get(module.getContext(), values);
  auto *global = new llvm::GlobalVariable(
      module, data->getType(), /*isConstant=*/true,
      llvm::GlobalValue::ExternalLinkage, data, name);
  global->setVisibility(llvm::GlobalValue::DefaultVisibility);
}

/// Self-description the runtime reads with dlsym (layout in
/// include/tfm/Runtime/tfm.h: TFM_INFO_*).
void addModelInfo(llvm::Module &module, const ModelConfig &config,
                  int64_t contextLength, int64_t weightsBytes,
                  llvm::StringRef kvType) {
  // q8 rows carry their f32 scale in 4 extra bytes.
  uint64_t kvElementBytes = kvType == "q8"                       ? 1
                            : kvType == "f16" || kvType == "bf16" ? 2
                                                                  : 4;
  uint64_t kvRow = uint64_t(config.headDim()) + (kvType == "q8" ? 4 : 0);
  std::vector<uint64_t> info = {
      uint64_t(kModelAbiVersion),   uint64_t(config.vocabSize),
      uint64_t(config.dim),         uint64_t(config.cacheLayers()),
      uint64_t(config.numKvHeads),  uint64_t(config.headDim()),
      uint64_t(contextLength),      uint64_t(weightsBytes),
      kvElementBytes,               kvRow};
  exportConstantArray(module, "tfm_model_info", info);
  // Which 2-byte element (f16 or bf16) the cache holds: the runtime's
  // context shift converts rows itself. A separate symbol, so libraries
  // compiled before it (f16 only) still load.
  uint64_t kvElement = kvType == "q8"     ? TFM_KV_Q8
                       : kvType == "f16"  ? TFM_KV_F16
                       : kvType == "bf16" ? TFM_KV_BF16
                                          : TFM_KV_F32;
  exportConstantArray(module, "tfm_kv_element",
                      std::vector<uint64_t>{kvElement});
}

/// What tfm_encode needs of an encoder (`tfm_encoder_info`, int64): the
/// file's pooling (PoolingKind) and the rows of its token-type table.
void addEncoderInfo(llvm::Module &module, const ModelConfig &config) {
  std::vector<uint64_t> info = {uint64_t(config.pooling),
                                uint64_t(config.tokenTypes)};
  exportConstantArray(module, "tfm_encoder_info", info);
}

/// What an encoder-decoder's runtime needs (`tfm_seq2seq_info`, int64):
/// the token its decoder starts from, its decoder layers (the cache's
/// first half; `encode` writes the second) and the weight bytes a decode
/// step reads (tfm_model_bytes_per_token: not the encoder's).
void addSeq2SeqInfo(llvm::Module &module, const ModelConfig &config,
                    int64_t decodeBytes) {
  std::vector<uint64_t> info = {uint64_t(config.decoderStartToken),
                                uint64_t(config.decoderLayers()),
                                uint64_t(decodeBytes)};
  exportConstantArray(module, "tfm_seq2seq_info", info);
}

/// The bytes of the weights `function` reads in their stored types (after
/// tfm-quantize-weights), a table that only tfm.embedding reads counting
/// one row: what one call of a decode step streams.
int64_t weightBytesReadBy(ModuleOp module, llvm::StringRef function) {
  auto func = module.lookupSymbol<func::FuncOp>(function);
  if (!func)
    return 0;
  llvm::StringSet<> seen;
  int64_t bytes = 0;
  func.walk([&](ParamOp param) {
    auto type = cast<RankedTensorType>(param.getType());
    std::string key;
    llvm::raw_string_ostream(key) << param.getName() << " " << type;
    if (!seen.insert(key).second)
      return;
    // Block-quantized rows have their own byte size.
    int64_t size =
        isa<QuantType>(type.getElementType())
            ? type.getDimSize(0) * cast<QuantType>(type.getElementType())
                                       .getRowBytes(type.getDimSize(1))
            : type.getNumElements() * type.getElementTypeBitWidth() / 8;
    bool lookupOnly = llvm::all_of(param->getUsers(), [](Operation *user) {
      return isa<EmbeddingOp>(user);
    });
    if (lookupOnly && type.getRank() == 2 && type.getDimSize(0) > 0)
      size /= type.getDimSize(0);
    bytes += size;
  });
  return bytes;
}

/// Rows x columns of a weight (a quantized type's shape counts elements).
int64_t productsOf(Value weight) {
  return cast<RankedTensorType>(weight.getType()).getNumElements();
}

/// Weights in an 8-bit block format (multiplied on integer dot products);
/// f16 and bf16 weights are multiplied as floats.
bool isBlockQuantized(Value weight) {
  auto quant = dyn_cast<QuantType>(
      cast<RankedTensorType>(weight.getType()).getElementType());
  return quant && !tfm_quant_is_float(quant.getKernelFormat());
}

} // namespace

PrefillWork mlir::tfm::prefillWorkOf(ModuleOp module) {
  PrefillWork work;
  auto func = module.lookupSymbol<func::FuncOp>("prefill");
  if (!func)
    return work;
  func.walk([&](Operation *op) {
    if (auto linear = dyn_cast<LinearOp>(op)) {
      Value weight = linear.getWeight();
      (isBlockQuantized(weight) ? work.layerInt8Macs : work.layerFloatMacs) +=
          productsOf(weight);
    } else if (auto logits = dyn_cast<LogitsOp>(op)) {
      Value weight = logits.getWeight();
      (isBlockQuantized(weight) ? work.logitsInt8Macs
                                : work.logitsFloatMacs) += productsOf(weight);
    } else if (auto attention = dyn_cast<KVCacheAttentionOp>(op)) {
      // Scores (q . k) and the weighted sum of values, per head.
      work.attentionMacsPerPair += 2 * int64_t(attention.getNumHeads()) *
                                   attention.getCache().getType().getHeadDim();
    }
  });
  return work;
}

namespace {

/// What tfm_context_shift needs to move cached keys to new positions
/// (`tfm_rope_info`, doubles): the rotary dims R (0 without RoPE), the
/// pairing (0 interleaved, 1 half-split), then per layer the R / 2 pair
/// frequencies its keys were rotated with at the compiled context.
void addRopeInfo(llvm::Module &module, ModelConfig config,
                 int64_t contextLength) {
  // LongRoPE picks its frequencies by the compiled context.
  config.contextLength = contextLength;
  std::vector<double> info = {0.0, 0.0};
  if (config.layer.positions == PositionKind::Rope) {
    int64_t pairs = config.rotaryDims() / 2;
    info = {double(config.rotaryDims()), config.layer.ropeInterleaved ? 0.0 : 1.0};
    for (int64_t layer = 0; layer < config.numLayers; ++layer)
      for (int64_t pair = 0; pair < pairs; ++pair)
        info.push_back(config.ropeFrequencyOfLayer(layer, pair));
  }
  exportConstantArray(module, "tfm_rope_info", info);
}

/// Where the sliding layers keep their keys and values
/// (`tfm_sliding_info`, int64; only in libraries with such a ring): the
/// ring's rows, the window, the layers of the full cache and of the ring,
/// then per model layer 1 if its cache is the ring. The entry points then
/// take the ring's descriptor after the cache's.
void addSlidingInfo(llvm::Module &module, ModelConfig config,
                    int64_t contextLength, int64_t ubatch) {
  config.contextLength = contextLength;
  int64_t ringRows = config.slidingRingRows(ubatch);
  if (ringRows == 0)
    return;
  std::vector<uint64_t> inRing;
  for (int64_t layer = 0; layer < config.numLayers; ++layer)
    inRing.push_back(config.isSlidingLayer(layer) ? 1 : 0);
  uint64_t ringLayers = std::count(inRing.begin(), inRing.end(), 1);
  std::vector<uint64_t> info = {uint64_t(ringRows),
                                uint64_t(config.slidingWindow),
                                uint64_t(config.numLayers) - ringLayers,
                                ringLayers};
  info.insert(info.end(), inRing.begin(), inRing.end());
  exportConstantArray(module, "tfm_sliding_info", info);
}

/// The kernels' time counters (lib/Runtime/Kernels/Profile.h): a
/// writable global of the library, so the kernels linked in and the
/// runtime (through dlsym) share it.
void addKernelCounters(llvm::Module &module) {
  auto *type = llvm::ArrayType::get(llvm::Type::getInt64Ty(module.getContext()), 2);
  auto *global = new llvm::GlobalVariable(
      module, type, /*isConstant=*/false, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantAggregateZero::get(type), "tfm_kernel_counters");
  global->setVisibility(llvm::GlobalValue::DefaultVisibility);
  global->setAlignment(llvm::Align(64));
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CpuTarget &target) {
  // resolveCpuTarget registered every target; object files need their
  // assembly printers too (a cross-compile's is not the native one).
  llvm::InitializeAllAsmPrinters();
  std::string error;
  llvm::Triple triple(target.triple);
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return llvm::createStringError(error);
  llvm::TargetOptions options;
  // A product added to a sum becomes one fused multiply-add (clang's
  // -ffp-contract=fast): the matmul and attention tiles are chains of
  // them, and separate multiplies and adds take twice the instructions.
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for " +
                                   target.cpu);
  return machine;
}

llvm::Error emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                       llvm::StringRef path) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, out.os(), nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  passes.run(module);
  out.keep();
  return llvm::Error::success();
}

/// The kernels archive every model links: `lib/tfm/libtfm_kernels.a` beside
/// the running tool's `bin/` (`lib/tfm/<arch>/` for another architecture's
/// target), the same in the build tree and in an installed prefix, so
/// tfm-compile works from any folder and without the source tree.
llvm::Expected<std::string> kernelsLibraryPath(const CpuTarget &target) {
  static int anchor;
  std::string executable = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  llvm::SmallString<256> path(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(executable)));
  llvm::sys::path::append(path, "lib", "tfm");
  if (target.cross)
    llvm::sys::path::append(path, llvm::Triple(target.triple).getArchName());
  llvm::sys::path::append(path, "libtfm_kernels.a");
  if (llvm::sys::fs::exists(path))
    return std::string(path);
  if (target.cross)
    return llvm::createStringError(
        "no kernels archive for " + target.triple + " (" + path +
        "): build tfm where that architecture's cross libraries are "
        "installed (scripts/setup.sh; CMake's TFM_AARCH64_RUNTIME)");
  return llvm::createStringError("the kernels archive " + path +
                                 " is missing (tfm's installation is "
                                 "incomplete: install or build it again)");
}

/// The compiler driver that links the model library, and its arguments
/// before the files: the system's `cc` for the host; for another
/// architecture LLVM's clang (or the target's GCC, `<triple>-gcc`), which
/// find that architecture's C library where Debian's cross packages put it.
llvm::Expected<std::vector<std::string>>
linkerDriver(const CpuTarget &target) {
  if (!target.cross) {
    llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
    if (!cc)
      return llvm::createStringError(
          "no system linker driver 'cc' on PATH (install gcc or clang)");
    return std::vector<std::string>{*cc};
  }
  llvm::Triple triple(target.triple);
  std::string gnuTriple =
      (triple.getArchName() + "-" + triple.getOSName() + "-" +
       triple.getEnvironmentName())
          .str();
  if (llvm::ErrorOr<std::string> clang =
          llvm::sys::findProgramByName("clang", {TFM_LLVM_TOOLS_DIR}))
    return std::vector<std::string>{*clang, "--target=" + gnuTriple};
  if (llvm::ErrorOr<std::string> gcc =
          llvm::sys::findProgramByName(gnuTriple + "-gcc"))
    return std::vector<std::string>{*gcc};
  return llvm::createStringError("no linker driver for " + gnuTriple +
                                 ": neither clang in " TFM_LLVM_TOOLS_DIR
                                 " nor " + gnuTriple + "-gcc on PATH");
}

/// Links `object` into a shared library with the system compiler driver.
llvm::Error linkSharedLibrary(llvm::StringRef object, llvm::StringRef library,
                              const CompileOptions &options,
                              const CpuTarget &target) {
  llvm::Expected<std::vector<std::string>> args = linkerDriver(target);
  if (!args)
    return args.takeError();
  llvm::Expected<std::string> kernels = kernelsLibraryPath(target);
  if (!kernels)
    return kernels.takeError();
  // The microkernels (tfm_kernels.h) go into every model: the library
  // needs nothing of tfm at run time.
  // The kernels archive's symbols (the Halide runtime's among them) stay
  // inside the library: two models in one process never share them.
  args->insert(args->end(), {"-shared", "-o", library.str(), object.str(),
                             *kernels, "-Wl,--exclude-libs,ALL"});
  if (options.threads) {
    args->push_back("-L" TFM_LLVM_LIBRARY_DIR);
    args->push_back("-Wl,-rpath," TFM_LLVM_LIBRARY_DIR);
    args->push_back(options.threadRuntime == ThreadRuntime::Async
                        ? "-lmlir_async_runtime"
                        : "-lomp");
  }
  args->push_back("-lm");
  std::vector<llvm::StringRef> argRefs(args->begin(), args->end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(args->front(), argRefs, std::nullopt,
                                         {}, 0, 0, &message);
  if (status != 0)
    return llvm::createStringError("linking " + library + " failed" +
                                   (message.empty() ? "" : ": " + message));
  return llvm::Error::success();
}

llvm::Error writeTokenizer(const ModelFile &model, llvm::StringRef path) {
  if (!model.vocabulary)
    return llvm::createStringError(model.path + ": model has no tokenizer");
  std::vector<uint8_t> bytes = serializeVocabulary(*model.vocabulary);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path);
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return llvm::Error::success();
}

void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<TfmDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

} // namespace

std::string mlir::tfm::listWeightFormatNames() {
  return "keep, f32, " + listQuantSchemeNames();
}

namespace {

/// Checks the storage options before any work: one clear line per mistake.
llvm::Error checkStorageOptions(const CompileOptions &options) {
  MLIRContext context;
  context.loadDialect<TfmDialect>();
  auto isFormat = [&](llvm::StringRef name) {
    return name == "keep" || name == "f32" ||
           parseQuantTypeName(&context, name);
  };
  std::string formats = listWeightFormatNames();
  if (!isFormat(options.weightFormat))
    return llvm::createStringError("unknown weight format '" +
                                   options.weightFormat + "' (" + formats +
                                   ")");
  for (const std::string &entry : options.weightOverrides) {
    auto [glob, format] = llvm::StringRef(entry).split('=');
    if (glob.empty() || !isFormat(format))
      return llvm::createStringError("bad weight override '" + entry +
                                     "' (expected name-glob=format, format "
                                     "one of " + formats + ")");
  }
  if (!llvm::is_contained(kKVTypeNames, options.kvType))
    return llvm::createStringError(
        "unknown KV-cache type '" + options.kvType + "' (" +
        llvm::join(ArrayRef(kKVTypeNames), ", ") + ")");
  if (!options.calibrationText.empty()) {
    bool quantizes = options.weightFormat != "keep" &&
                     options.weightFormat != "f32";
    for (const std::string &entry : options.weightOverrides) {
      llvm::StringRef format = llvm::StringRef(entry).split('=').second;
      quantizes |= format != "keep" && format != "f32";
    }
    if (!quantizes)
      return llvm::createStringError(
          "--calibrate needs weights to quantize (--quant or "
          "--quant-override with a block format)");
    if (options.calibrationTokens < 1)
      return llvm::createStringError(
          "--calibrate-tokens must be at least 1, not " +
          std::to_string(options.calibrationTokens));
  }
  for (const std::string &name : options.disabledOptimizations)
    if (name != "all" && !llvm::is_contained(kOptimizationNames, name))
      return llvm::createStringError(
          "unknown optimization '" + name + "' (all, " +
          llvm::join(ArrayRef(kOptimizationNames), ", ") + ")");
  return llvm::Error::success();
}

} // namespace

ModelConfig mlir::tfm::compiledConfig(const ModelConfig &config,
                                      const CompileOptions &options) {
  ModelConfig compiled = config;
  if (options.gqaKvHeads > 0)
    compiled.numKvHeads = options.gqaKvHeads;
  return compiled;
}

llvm::Error mlir::tfm::compileModel(const ModelFile &model,
                                    const CompileOptions &options) {
  if (model.config.family != ModelFamily::Decoder &&
      (!options.calibrationText.empty() || options.gqaKvHeads > 0))
    return llvm::createStringError(
        model.path + ": --calibrate and --convert-to-gqa apply to decoders, "
                     "not to an encoder or encoder-decoder (" +
        model.config.architecture + ")");
  if (llvm::Error error = checkStorageOptions(options))
    return error;
  if (options.ubatch < 0)
    return llvm::createStringError(
        llvm::formatv("--ubatch must not be negative, got {0}",
                      options.ubatch)
            .str());
  int64_t kvHeads = model.config.numKvHeads;
  if (options.gqaKvHeads < 0 ||
      (options.gqaKvHeads > 0 && kvHeads % options.gqaKvHeads != 0))
    return llvm::createStringError(
        llvm::formatv("--convert-to-gqa {0} does not divide the {1} KV heads "
                      "of {2}",
                      options.gqaKvHeads, kvHeads, model.path)
            .str());
  llvm::Expected<CpuTarget> target =
      resolveCpuTarget(options.targetCpu, options.targetTriple);
  if (!target)
    return target.takeError();
  // The parallel loops call libomp (or MLIR's async runtime), of which
  // this machine has the build architecture's only.
  if (target->cross && options.threads)
    return llvm::createStringError(
        "--target-triple " + options.targetTriple +
        ": cross-compiled models are single-threaded (add --no-threads): no " +
        "OpenMP runtime of that architecture links here");
  // The generated decode multiplies on int8 dot product instructions.
  for (auto [flag, codegen] :
       {std::pair{"--quantized-decode", options.quantizedDecode},
        std::pair{"--quantized-prefill", options.quantizedPrefill}})
    if (codegen == QuantizedCodegen::Generated && !decodeDotProduct(*target))
      return llvm::createStringError(
          std::string(flag) +
          "=generated needs a target CPU with an int8 dot product (x86-64 "
          "AVX512-VNNI, AArch64 dotprod or i8mm); " +
          target->cpu + " has none");
  if (std::error_code ec =
          llvm::sys::fs::create_directories(options.outputDirectory))
    return llvm::createStringError(ec, "cannot create " +
                                           options.outputDirectory);
  bool calibrating = !options.calibrationText.empty();
  Progress progress(options.progress, calibrating ? 7 : 6);

  // 1. Import.
  progress.begin("import " + llvm::sys::path::filename(model.path).str());
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  ImportOptions importOptions;
  importOptions.contextLength = options.contextLength;
  importOptions.embeddings = options.embeddings;
  importOptions.ubatch = options.ubatch;
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      importModel(context, model, importOptions);
  if (!module)
    return module.takeError();
  llvm::StringSet<> widened = widenParamsToF32(**module, model);
  int64_t contextLength = options.contextLength > 0
                              ? options.contextLength
                              : model.config.contextLength;
  progress.end();
  if (!widened.empty() && options.progress) {
    std::string formats;
    for (const auto &format : widened)
      formats += (formats.empty() ? "" : ", ") + format.getKey().str();
    *options.progress << "note: " << formats
                      << " weights outside linear layers (embedding tables) "
                         "are converted to f32 at compile time\n";
  }

  // 2. MLIR pipeline down to the LLVM dialect.
  progress.begin("tfm-cpu-pipeline for " + target->cpu + " (" +
                 std::to_string(target->vectorBits) + "-bit vectors)");
  PassManager pm(&context);
  TfmQuantizeWeightsOptions quantize;
  quantize.format = options.weightFormat;
  quantize.overrides.assign(options.weightOverrides.begin(),
                            options.weightOverrides.end());
  pm.addPass(createTfmQuantizeWeights(quantize));
  TfmKVCacheTypeOptions kvCache;
  kvCache.type = options.kvType;
  pm.addPass(createTfmKVCacheType(kvCache));
  // Before the fusions: it pools plain params of plain projections.
  if (options.gqaKvHeads > 0) {
    TfmConvertToGQAOptions gqa;
    gqa.kvHeads = options.gqaKvHeads;
    pm.addPass(createTfmConvertToGQA(gqa));
  }
  // The weights in their stored types, before the pipeline binds them: what
  // an encoder-decoder's decode step reads.
  if (failed(pm.run(**module)))
    return llvm::createStringError(model.path +
                                   ": weight storage passes failed "
                                   "(diagnostics above)");
  int64_t decodeBytes =
      model.config.family == ModelFamily::EncoderDecoder
          ? weightBytesReadBy(**module, "decode")
          : 0;
  PrefillWork prefillWork = model.config.family == ModelFamily::Decoder
                                ? prefillWorkOf(**module)
                                : PrefillWork();
  pm.clear();
  CpuPipelineOptions pipelineOptions;
  pipelineOptions.targetCpu = options.targetCpu;
  pipelineOptions.targetTriple = options.targetTriple;
  pipelineOptions.threads = options.threads;
  pipelineOptions.threadRuntime = options.threadRuntime;
  auto enabled = [&](llvm::StringRef name) {
    return !llvm::is_contained(options.disabledOptimizations, name) &&
           !llvm::is_contained(options.disabledOptimizations, "all");
  };
  pipelineOptions.fuseSiblingLinears = enabled("fuse-sibling-linears");
  pipelineOptions.fuseResidualAdds = enabled("fuse-residual-adds");
  pipelineOptions.fuseNorm = enabled("fuse-norm");
  pipelineOptions.fuseGatedActivations = enabled("fuse-gated-activations");
  pipelineOptions.fuseLinearActivations = enabled("fuse-linear-activations");
  pipelineOptions.fuseRope = enabled("fuse-rope");
  pipelineOptions.fuseHeadNorm = enabled("fuse-head-norm");
  pipelineOptions.interleaveWeights = enabled("interleave-weights");
  pipelineOptions.flashAttention = enabled("flash-attention");
  pipelineOptions.hoistAccumulators = enabled("hoist-accumulators");
  pipelineOptions.approximateMath = enabled("approximate-math");
  pipelineOptions.guidedSchedule = enabled("guided-schedule");
  pipelineOptions.fuseMatmulEpilogues = enabled("fuse-matmul-epilogues");
  pipelineOptions.planStaticArena = enabled("plan-static-arena");
  pipelineOptions.f32Matmul = resolveMatmulCodegen(options.f32Matmul, *target);
  pipelineOptions.generatedDecode =
      resolveQuantizedDecode(options.quantizedDecode, *target) ==
      QuantizedCodegen::Generated;
  pipelineOptions.generatedPrefill =
      resolveQuantizedPrefill(options.quantizedPrefill, *target) ==
      QuantizedCodegen::Generated;
  if (std::optional<DotProduct> dot = decodeDotProduct(*target))
    pipelineOptions.dotProduct = *dot;
  pipelineOptions.generatedDecodeAttention =
      options.decodeAttention == DecodeAttention::Generated;
  buildTfmCpuPipeline(pm, pipelineOptions);
  if (failed(pm.run(**module)))
    return llvm::createStringError(model.path +
                                   ": tfm-cpu-pipeline failed (diagnostics "
                                   "above)");
  auto weightsSize = (**module)->getAttrOfType<IntegerAttr>("tfm.weights_size");
  progress.end();

  // 3. Calibration inputs, from the reference forward pass.
  std::optional<CalibrationInputs> calibration;
  if (calibrating) {
    progress.begin("calibrate on " +
                   llvm::sys::path::filename(options.calibrationText).str());
    llvm::Expected<CalibrationInputs> inputs = CalibrationInputs::collect(
        model, options.calibrationText, options.calibrationTokens,
        contextLength);
    if (!inputs)
      return inputs.takeError();
    calibration = std::move(*inputs);
    progress.end();
  }

  // 4. Weights and tokenizer (the manifest comes last, when every file it
  // records the size and hash of is written).
  progress.begin("write weights and tokenizer");
  std::string directory = options.outputDirectory;
  llvm::Expected<WeightsSummary> weights =
      writeWeightsFile(**module, model, pathIn(directory, kWeightsFileName),
                       calibration ? &*calibration : nullptr);
  if (!weights)
    return weights.takeError();
  if (llvm::Error error =
          writeTokenizer(model, pathIn(directory, kTokenizerFileName)))
    return error;
  progress.end();
  if (options.progress) {
    *options.progress << llvm::formatv(
        "note: weights: {0} tensors of blocks copied from the model file, {1} "
        "quantized, {2} f32\n",
        weights->copied, weights->quantized, weights->floats);
    if (calibration && weights->quantized == 0)
      *options.progress << "note: --calibrate had nothing to round: no "
                           "tensor was quantized here (blocks copied from "
                           "the model file keep their rounding)\n";
    else if (calibration)
      *options.progress << llvm::formatv(
          "note: GPTQ rounded {0} of the {1} quantized tensors against their "
          "inputs at {2} positions of {3}\n",
          weights->calibrated, weights->quantized, calibration->positions(),
          options.calibrationText);
  }

  // 5. LLVM IR, optimized for the target.
  progress.begin("LLVM IR and -O3");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(**module, llvmContext, "tfm_model");
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(*target);
  if (!machine)
    return machine.takeError();
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  ModelConfig config = compiledConfig(model.config, options);
  addModelInfo(*llvmModule, config, contextLength, weightsSize.getInt(),
               options.kvType);
  addRopeInfo(*llvmModule, config, contextLength);
  addSlidingInfo(*llvmModule, config, contextLength, options.ubatch);
  if (config.family == ModelFamily::Encoder)
    addEncoderInfo(*llvmModule, config);
  if (config.family == ModelFamily::EncoderDecoder)
    addSeq2SeqInfo(*llvmModule, config, decodeBytes);
  addKernelCounters(*llvmModule);
  auto optimize = makeOptimizingTransformer(3, 0, machine->get());
  if (llvm::Error error = optimize(llvmModule.get()))
    return error;
  progress.end();

  // 6. Object code, in process.
  progress.begin("object code");
  std::string object = pathIn(directory, "model.o");
  if (llvm::Error error = emitObject(*llvmModule, **machine, object))
    return error;
  progress.end();

  // 7. Shared library, then the manifest: a directory is complete when its
  // manifest exists.
  progress.begin("link " + std::string(kLibraryFileName) +
                 " and write the manifest");
  if (llvm::Error error = linkSharedLibrary(
          object, pathIn(directory, kLibraryFileName), options, *target))
    return error;
  llvm::sys::fs::remove(object);
  if (llvm::Error error = writeManifest(
          model, options, *target, contextLength, weightsSize.getInt(),
          prefillWork, pathIn(directory, kManifestFileName)))
    return error;
  progress.end();
  return llvm::Error::success();
}
