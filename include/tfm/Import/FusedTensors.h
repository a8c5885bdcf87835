//===- FusedTensors.h - tensors stored as one, read as parts -----*- C++ -*-===//
//
// Some files store several of tfm's tensors as one: llama.cpp's converter
// writes GPT-2's and Phi-3's Q, K and V as `attn_qkv` and Phi-3's gate and
// up projections as `ffn_up`; Hugging Face's Phi-3 (`qkv_proj`,
// `gate_up_proj`) and GPT-2 (`c_attn`) do the same. A reader sets such a
// tensor aside under its fused name and, once the hyperparameters are
// known, adds its parts as views of its rows: nothing is copied and every
// byte is counted once.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_IMPORT_FUSEDTENSORS_H
#define TFM_IMPORT_FUSEDTENSORS_H

#include "tfm/Import/ModelFile.h"
#include "tfm/Model/Architectures.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::tfm {

class FusedTensors {
public:
  /// The fused layouts of `info` with the sizes of `config`. With
  /// `partsMayBeSeparate`, a layer without the fused Q/K/V tensor is not an
  /// error (some Phi-3 converters write the parts).
  FusedTensors(const ArchitectureInfo &info, const ModelConfig &config,
               bool partsMayBeSeparate);

  /// Whether `name` (`blk.N.X.weight|bias`) is a fused tensor.
  bool isFused(llvm::StringRef name) const;
  /// Sets a fused tensor aside; fails on a duplicate.
  llvm::Error add(TensorView view);
  /// Checks every fused tensor's shape and adds its parts to `model`.
  llvm::Error splitInto(ModelFile &model) const;

private:
  struct Layout {
    const char *fused;
    const char *description;
    llvm::SmallVector<std::pair<const char *, int64_t>, 3> parts;
    bool withBias;
    bool optional;
  };
  llvm::SmallVector<Layout, 2> layouts;
  llvm::StringMap<TensorView> tensors;
};

} // namespace mlir::tfm

#endif // TFM_IMPORT_FUSEDTENSORS_H
