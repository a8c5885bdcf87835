//===- Integrity.h - checks of a compiled directory before loading -*- C++ -*-===//
//
// A compiled directory's manifest.json records the size and XXH3 hash of
// its library, weights and tokenizer, and what it was compiled for. The
// runtime checks the sizes (always) and the library's hash (a few MiB,
// cheap) before the dynamic loader sees the library, and the manifest
// against what the library reports after: a cut, replaced or edited file
// is one line naming it, never a SIGBUS inside dlopen.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_INTEGRITY_H
#define TFM_LIB_RUNTIME_INTEGRITY_H

#include "tfm/Runtime/tfm.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tfm::runtime {

/// What the manifest says the library was compiled for.
struct ManifestFacts {
  /// {name in the manifest, value}: vocab_size, dim, layers, kv_heads,
  /// head_dim, context_length.
  std::vector<std::pair<std::string, int64_t>> hyperparameters;
};

/// Reads DIR/manifest.json and checks the recorded files (sizes, the
/// library's hash).
tfm_status checkCompiledDirectory(const std::string &directory,
                                  ManifestFacts &facts);

/// Checks `facts` against the library's own: `reported` holds the same
/// names' values from tfm_model_info.
tfm_status checkManifestAgainstLibrary(
    const std::string &directory, const ManifestFacts &facts,
    const std::vector<std::pair<std::string, int64_t>> &reported);

} // namespace tfm::runtime

#endif // TFM_LIB_RUNTIME_INTEGRITY_H
