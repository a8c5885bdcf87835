//===- Integrity.cpp - checks of a compiled directory before loading ------===//
//
// JSON through nlohmann/json and XXH3 through xxHash (both Debian's,
// header-only here: the runtime links nothing more for them).
//
//===----------------------------------------------------------------------===//

#include "Integrity.h"

#include "Status.h"

#include "tfm/Tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

namespace tfm::runtime {
namespace {

std::string join(const std::string &directory, const std::string &file) {
  return directory + "/" + file;
}

bool readFile(const std::string &path, std::string &bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  bytes.assign(std::istreambuf_iterator<char>(in), {});
  return !in.bad();
}

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", (unsigned long long)value);
  return text;
}

/// The recorded size (and for the library, hash) of one file.
tfm_status checkFile(const std::string &directory, const std::string &name,
                     const nlohmann::json &record, bool hash) {
  std::string path = join(directory, name);
  if (!record.is_object() || !record.contains("bytes") ||
      !record["bytes"].is_number_unsigned() ||
      !record.contains("xxh3") || !record["xxh3"].is_string())
    return fail(TFM_ERROR_FORMAT,
                join(directory, "manifest.json") + ": integrity." + name +
                    " is not {bytes, xxh3}");
  struct stat status;
  if (stat(path.c_str(), &status) != 0)
    return fail(TFM_ERROR_IO, path + ": missing");
  uint64_t bytes = record["bytes"].get<uint64_t>();
  if (uint64_t(status.st_size) != bytes)
    return fail(TFM_ERROR_FORMAT,
                path + ": " + std::to_string(status.st_size) +
                    " bytes, the manifest says " + std::to_string(bytes) +
                    " (cut short or replaced: compile the model again)");
  if (!hash)
    return TFM_OK;
  std::string contents;
  if (!readFile(path, contents))
    return fail(TFM_ERROR_IO, path + ": unreadable");
  std::string actual = hex64(XXH3_64bits(contents.data(), contents.size()));
  if (actual != record["xxh3"].get<std::string>())
    return fail(TFM_ERROR_FORMAT,
                path + ": its XXH3 " + actual + " is not the manifest's " +
                    record["xxh3"].get<std::string>() +
                    " (damaged or replaced: compile the model again)");
  return TFM_OK;
}

/// The architecture this runtime was built for, as the triple's first
/// component.
const char *runtimeArchitecture() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return nullptr;
#endif
}

/// A library compiled for another architecture (tfm-compile
/// --target-triple) would only fail in dlopen, whose message says the file
/// is missing.
tfm_status checkArchitecture(const std::string &manifestPath,
                             const nlohmann::json &manifest) {
  const char *architecture = runtimeArchitecture();
  if (!architecture || !manifest.contains("compile_options") ||
      !manifest["compile_options"].is_object() ||
      !manifest["compile_options"].contains("triple") ||
      !manifest["compile_options"]["triple"].is_string())
    return TFM_OK;
  std::string triple = manifest["compile_options"]["triple"];
  if (triple.substr(0, triple.find('-')) == architecture)
    return TFM_OK;
  return fail(TFM_ERROR_FORMAT,
              manifestPath + ": the model was compiled for " + triple +
                  ", this runtime runs " + architecture +
                  " code (compile it for this machine, or run it on one of "
                  "that architecture)");
}

} // namespace

tfm_status checkCompiledDirectory(const std::string &directory,
                                  ManifestFacts &facts) {
  std::string manifestPath = join(directory, "manifest.json");
  std::string text;
  if (!readFile(manifestPath, text))
    return fail(TFM_ERROR_IO, manifestPath + ": missing or unreadable");
  nlohmann::json manifest =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.is_object())
    return fail(TFM_ERROR_FORMAT,
                manifestPath + ": not a JSON object (damaged or replaced: "
                               "compile the model again)");
  if (tfm_status status = checkArchitecture(manifestPath, manifest))
    return status;
  // Directories of tfm before 0.5 have no integrity record.
  if (manifest.contains("integrity")) {
    const nlohmann::json &integrity = manifest["integrity"];
    for (const char *name :
         {"libtfm_model.so", "weights.bin",
          mlir::tfm::kCompiledVocabularyFileName}) {
      if (!integrity.is_object() || !integrity.contains(name))
        return fail(TFM_ERROR_FORMAT, manifestPath + ": integrity has no '" +
                                          name + "'");
      if (tfm_status status = checkFile(directory, name, integrity[name],
                                        /*hash=*/name[0] == 'l'))
        return status;
    }
  }
  facts.hyperparameters.clear();
  auto number = [&](const char *section, const char *key) {
    if (manifest.contains(section) && manifest[section].is_object() &&
        manifest[section].contains(key) &&
        manifest[section][key].is_number_integer())
      facts.hyperparameters.push_back(
          {key, manifest[section][key].get<int64_t>()});
    else
      facts.hyperparameters.push_back({key, -1});
  };
  for (const char *key : {"vocab_size", "dim", "layers", "kv_heads", "head_dim"})
    number("hyperparameters", key);
  number("compile_options", "context_length");
  return TFM_OK;
}

tfm_status checkManifestAgainstLibrary(
    const std::string &directory, const ManifestFacts &facts,
    const std::vector<std::pair<std::string, int64_t>> &reported) {
  for (const auto &[name, value] : reported)
    for (const auto &[key, recorded] : facts.hyperparameters)
      if (key == name && recorded != value)
        return fail(TFM_ERROR_FORMAT,
                    join(directory, "manifest.json") + ": " + name + " is " +
                        std::to_string(recorded) +
                        " but the library was compiled for " +
                        std::to_string(value) +
                        " (edited or from another model: compile it again)");
  return TFM_OK;
}

} // namespace tfm::runtime
