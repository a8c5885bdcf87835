//===- FusedTensors.cpp - tensors stored as one, read as parts ------------===//

#include "tfm/Import/FusedTensors.h"

#include "tfm/Model/ImportError.h"

using namespace mlir::tfm;
using llvm::Twine;

namespace {

/// Rows [first, first + count) of `fused` (a matrix, or a vector of biases
/// when 1-D) as the tensor `name`: the rows of whole blocks are contiguous.
TensorView rowSlice(const TensorView &fused, std::string name, int64_t first,
                    int64_t count) {
  TensorView view = fused;
  view.name = std::move(name);
  uint64_t rowBytes = fused.data.size() / uint64_t(fused.shape[0]);
  view.shape[0] = count;
  view.data = fused.data.slice(first * rowBytes, count * rowBytes);
  view.fileOffset += first * rowBytes;
  return view;
}

} // namespace

FusedTensors::FusedTensors(const ArchitectureInfo &info,
                           const ModelConfig &config, bool partsMayBeSeparate) {
  if (info.ggufFusedQKV)
    layouts.push_back({"attn_qkv",
                       "Q, K and V",
                       {{"attn_q", config.queryFeatures()},
                        {"attn_k", config.kvFeatures()},
                        {"attn_v", config.kvFeatures()}},
                       config.layer.qkvBias,
                       partsMayBeSeparate});
  if (info.ggufFusedGateUp)
    layouts.push_back({"ffn_up",
                       "gate and up",
                       {{"ffn_gate", config.hiddenDim},
                        {"ffn_up", config.hiddenDim}},
                       config.layer.feedForwardBias,
                       /*optional=*/false});
}

bool FusedTensors::isFused(llvm::StringRef name) const {
  for (const Layout &layout : layouts)
    if (name.contains((Twine(".") + layout.fused + ".").str()))
      return true;
  return false;
}

llvm::Error FusedTensors::add(TensorView view) {
  std::string name = view.name;
  std::string file = view.file;
  uint64_t offset = view.fileOffset;
  if (!tensors.try_emplace(name, std::move(view)).second)
    return importError(file, offset, "duplicate tensor '" + name + "'");
  return llvm::Error::success();
}

llvm::Error FusedTensors::splitInto(ModelFile &model) const {
  int64_t dim = model.config.dim;
  for (int64_t layer = 0; layer < model.config.numLayers; ++layer) {
    std::string prefix = "blk." + std::to_string(layer) + ".";
    for (const Layout &layout : layouts) {
      if (layout.optional && !tensors.count(prefix + layout.fused + ".weight"))
        continue;
      for (const char *part : {"weight", "bias"}) {
        bool matrix = llvm::StringRef(part) == "weight";
        if (!matrix && !layout.withBias)
          continue;
        std::string name = prefix + layout.fused + "." + part;
        auto found = tensors.find(name);
        if (found == tensors.end())
          return importError(model.path, model.tensorIndexOffset,
                             "model has no tensor '" + name + "'");
        const TensorView &fused = found->second;
        int64_t rows = 0;
        std::string sizes;
        for (auto [partName, partRows] : layout.parts) {
          rows += partRows;
          sizes += (sizes.empty() ? "" : " + ") + std::to_string(partRows);
        }
        llvm::SmallVector<int64_t, 2> expected = {rows};
        if (matrix)
          expected.push_back(dim);
        if (llvm::ArrayRef<int64_t>(fused.shape) != llvm::ArrayRef(expected))
          return importError(
              fused.file, fused.fileOffset,
              "tensor '" + name + "' must have " + Twine(rows) +
                  (matrix ? " rows of " + Twine(dim) : Twine(" elements")) +
                  " (" + layout.description + ": " + sizes + ")");
        int64_t first = 0;
        for (auto [partName, partRows] : layout.parts) {
          if (llvm::Error error = model.addTensor(rowSlice(
                  fused, prefix + partName + "." + part, first, partRows)))
            return error;
          first += partRows;
        }
      }
    }
  }
  return llvm::Error::success();
}
