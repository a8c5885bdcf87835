//===- ModelCache.cpp - compile a model file once, reuse it after ---------===//
//
// tfm-run and tfm-bench accept a model file where a compiled directory is
// expected. The compiled directory is kept in the user's cache under a key
// made of the model's bytes (and its tokenizer's) and every option that
// changes the output, so a changed file or flag compiles anew and an
// unchanged one starts at once.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/Compiler.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace mlir::tfm;

llvm::Expected<std::string> mlir::tfm::hashModelSource(llvm::StringRef path) {
  std::vector<std::string> files;
  if (llvm::sys::fs::is_directory(path)) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end;
         it != end && !ec; it.increment(ec)) {
      llvm::StringRef name = llvm::sys::path::filename(it->path());
      if (name == "config.json" || name == "tokenizer_config.json" ||
          name.ends_with(".safetensors"))
        files.push_back(it->path());
    }
    // sentence-transformers' pooling of an encoder.
    llvm::SmallString<256> pooling(path);
    llvm::sys::path::append(pooling, "1_Pooling", "config.json");
    if (llvm::sys::fs::exists(pooling))
      files.push_back(std::string(pooling));
    llvm::sort(files);
  } else {
    files.push_back(path.str());
  }
  uint64_t hash = 0;
  for (const std::string &file : files) {
    auto buffer = mapFile(file);
    if (!buffer)
      return buffer.takeError();
    llvm::ArrayRef<uint8_t> bytes(
        reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
        (*buffer)->getBufferSize());
    hash = llvm::xxh3_64bits(bytes) ^ (hash * 0x9E3779B97F4A7C15ull);
  }
  return "xxh3:" + llvm::utohexstr(hash, /*LowerCase=*/true, /*Width=*/16);
}

namespace {

bool isCompiledDirectory(llvm::StringRef path) {
  llvm::SmallString<256> manifest(path);
  llvm::sys::path::append(manifest, kManifestFileName);
  return llvm::sys::fs::is_directory(path) &&
         llvm::sys::fs::exists(manifest);
}

/// Why a cache entry cannot be used (its manifest's integrity record does
/// not match its files), or success. The runtime checks the same when it
/// loads a directory; the cache compiles a damaged entry again instead.
llvm::Error checkCacheEntry(llvm::StringRef directory) {
  llvm::SmallString<256> manifestPath(directory);
  llvm::sys::path::append(manifestPath, kManifestFileName);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> manifest =
      llvm::MemoryBuffer::getFile(manifestPath, /*IsText=*/true);
  if (!manifest)
    return llvm::createStringError(manifestPath + ": unreadable");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*manifest)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return llvm::createStringError(manifestPath + ": not JSON");
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *integrity =
      root ? root->getObject("integrity") : nullptr;
  if (!integrity)
    return llvm::createStringError(manifestPath + ": no integrity record");
  for (const char *name : {kLibraryFileName, kWeightsFileName,
                           kTokenizerFileName}) {
    const llvm::json::Object *record = integrity->getObject(name);
    llvm::SmallString<256> path(directory);
    llvm::sys::path::append(path, name);
    uint64_t size = 0;
    if (!record || llvm::sys::fs::file_size(path, size) ||
        std::optional<int64_t>(int64_t(size)) != record->getInteger("bytes"))
      return llvm::createStringError(path + ": missing or of another size "
                                            "than its manifest says");
    if (std::string(name) != kLibraryFileName)
      continue;
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> library =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    std::string hash =
        library ? llvm::utohexstr(llvm::xxh3_64bits(llvm::arrayRefFromStringRef(
                                      (*library)->getBuffer())),
                                  /*LowerCase=*/true, /*Width=*/16)
                : "";
    if (std::optional<llvm::StringRef>(hash) != record->getString("xxh3"))
      return llvm::createStringError(path + ": its hash is not its "
                                            "manifest's");
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> cacheRoot() {
  llvm::SmallString<256> root;
  if (!llvm::sys::path::cache_directory(root))
    return llvm::createStringError(
        "no cache directory: set XDG_CACHE_HOME or HOME");
  llvm::sys::path::append(root, "tfm");
  return std::string(root);
}

/// Everything the compiled files depend on.
llvm::Expected<std::string> cacheKey(const ModelFile &model,
                                     const CompileOptions &options) {
  llvm::Expected<std::string> modelHash = hashModelSource(model.path);
  if (!modelHash)
    return modelHash.takeError();
  std::string tokenizerHash;
  if (!model.vocabularySource.empty() &&
      model.vocabularySource != model.path) {
    llvm::Expected<std::string> hash = hashModelSource(model.vocabularySource);
    if (!hash)
      return hash.takeError();
    tokenizerHash = *hash;
  }
  std::string calibration;
  if (!options.calibrationText.empty()) {
    llvm::Expected<std::string> hash =
        hashModelSource(options.calibrationText);
    if (!hash)
      return hash.takeError();
    calibration = *hash + "/" + std::to_string(options.calibrationTokens);
  }
  std::string description = llvm::formatv(
      "{0} {1} context={2} cpu={3} threads={4} runtime={5} tfm={6} "
      "weights={7} overrides={8} kv={9} disabled={10} calibration={11} "
      "f32-matmul={12} gqa={13} embeddings={14} triple={15} "
      "quantized-decode={16} ubatch={17} decode-attention={18} "
      "quantized-prefill={19}",
      *modelHash, tokenizerHash, options.contextLength, options.targetCpu,
      options.threads, static_cast<int>(options.threadRuntime), TFM_VERSION,
      options.weightFormat, llvm::join(options.weightOverrides, ","),
      options.kvType, llvm::join(options.disabledOptimizations, ","),
      calibration, static_cast<int>(options.f32Matmul), options.gqaKvHeads,
      options.embeddings, options.targetTriple,
      static_cast<int>(options.quantizedDecode), options.ubatch,
      static_cast<int>(options.decodeAttention),
      static_cast<int>(options.quantizedPrefill));
  return llvm::utohexstr(llvm::xxh3_64bits(llvm::arrayRefFromStringRef(
                             description)),
                         /*LowerCase=*/true, /*Width=*/16);
}

} // namespace

llvm::Expected<std::string>
mlir::tfm::compiledModelDirectory(llvm::StringRef path, const OpenOptions &open,
                                  CompileOptions options) {
  if (isCompiledDirectory(path))
    return path.str();
  llvm::Expected<std::unique_ptr<ModelFile>> model = openModel(path, open);
  if (!model)
    return model.takeError();
  llvm::Expected<std::string> root = cacheRoot();
  if (!root)
    return root.takeError();
  llvm::Expected<std::string> key = cacheKey(**model, options);
  if (!key)
    return key.takeError();
  llvm::SmallString<256> directory(*root);
  llvm::sys::path::append(directory, *key);
  if (isCompiledDirectory(directory)) {
    llvm::Error damaged = checkCacheEntry(directory);
    if (!damaged)
      return std::string(directory);
    // A damaged entry (a full disk, a stray edit) is compiled again.
    if (options.progress)
      *options.progress << "note: " << llvm::toString(std::move(damaged))
                        << "; compiling the cache entry again\n";
    else
      llvm::consumeError(std::move(damaged));
    llvm::sys::fs::remove_directories(directory);
  }

  // Compile beside the entry and rename it into place, so an interrupted
  // or concurrent compile never leaves a half-written entry behind.
  std::string staging = llvm::formatv("{0}.tmp-{1}", directory,
                                      llvm::sys::Process::getProcessId());
  options.outputDirectory = staging;
  if (llvm::Error error = compileModel(**model, options)) {
    llvm::sys::fs::remove_directories(staging);
    return std::move(error);
  }
  if (std::error_code ec = llvm::sys::fs::rename(staging, directory)) {
    llvm::sys::fs::remove_directories(staging);
    if (!isCompiledDirectory(directory))
      return llvm::createStringError(ec, "cannot move the compiled model to " +
                                             directory);
  }
  return std::string(directory);
}
