//===- WeightsFile.cpp - weights in the layout the generated code reads ---===//
//
// The code reads every weight as f32 from one mapped file at the byte
// offsets tfm-lower-entry-points assigned. Linear layers are stored as
// panels `[ceil(out / P), in, P]`: panel `b`, input feature `k` holds
// outputs `b*P .. b*P+P-1` contiguously, zero past the last output.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"

#include "tfm/Import/Dequantize.h"
#include "tfm/Model/ImportError.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FileOutputBuffer.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `rows x columns` row-major -> panels of `panel` rows, transposed.
void packPanels(llvm::ArrayRef<float> matrix, int64_t rows, int64_t columns,
                int64_t panel, float *out) {
  int64_t panels = llvm::divideCeil(rows, panel);
  for (int64_t b = 0; b < panels; ++b)
    for (int64_t k = 0; k < columns; ++k)
      for (int64_t p = 0; p < panel; ++p) {
        int64_t row = b * panel + p;
        *out++ = row < rows ? matrix[row * columns + k] : 0.0f;
      }
}

} // namespace

llvm::Error mlir::tfm::writeWeightsFile(ModuleOp module, const ModelFile &model,
                                        llvm::StringRef path) {
  auto entries = module->getAttrOfType<ArrayAttr>("tfm.weights");
  auto size = module->getAttrOfType<IntegerAttr>("tfm.weights_size");
  if (!entries || !size)
    return llvm::createStringError("module has no weights layout");
  auto buffer = llvm::FileOutputBuffer::create(path, size.getInt());
  if (!buffer)
    return llvm::createStringError("cannot write " + path + ": " +
                                   llvm::toString(buffer.takeError()));
  uint8_t *base = (*buffer)->getBufferStart();
  std::memset(base, 0, size.getInt());

  std::vector<float> values;
  for (Attribute attr : entries) {
    auto entry = cast<DictionaryAttr>(attr);
    StringRef name = cast<StringAttr>(entry.get("name")).getValue();
    int64_t offset = cast<IntegerAttr>(entry.get("offset")).getInt();
    int64_t panel = cast<IntegerAttr>(entry.get("panel")).getInt();
    const TensorView *view = model.lookup(name);
    if (!view)
      return importError(model.path, model.tensorIndexOffset,
                         "model has no tensor '" + name + "'");
    values.assign(view->numElements(), 0.0f);
    if (!dequantize(view->type, view->data, values))
      return importError(view->file, view->fileOffset,
                         "tensor '" + name + "' cannot be decoded");
    auto *out = reinterpret_cast<float *>(base + offset);
    if (panel > 0)
      packPanels(values, view->shape[0], view->numElements() / view->shape[0],
                 panel, out);
    else
      std::memcpy(out, values.data(), values.size() * sizeof(float));
  }
  if (llvm::Error error = (*buffer)->commit())
    return llvm::createStringError("cannot write " + path + ": " +
                                   llvm::toString(std::move(error)));
  return llvm::Error::success();
}
