//===- WeightsFile.cpp - weights in the layout the generated code reads ---===//
//
// The code reads every weight from one mapped file at the byte offsets
// tfm-lower-entry-points assigned. Float linear layers are stored as f32
// panels `[ceil(out / P), in, P]`: panel `b`, input feature `k` holds
// outputs `b*P .. b*P+P-1` contiguously, zero past the last output.
// Quantized ones are rows of blocks (tfm_kernels.h): copied byte for byte
// when the model file has them in that format, quantized from f32
// otherwise.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"

#include "tfm/Import/Dequantize.h"
#include "tfm/Import/Quantize.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"
#include "tfm/Model/ImportError.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/Parallel.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `rows x columns` row-major -> panels of `panel` rows, transposed.
void packPanels(const float *matrix, int64_t rows, int64_t columns,
                int64_t panel, float *out) {
  int64_t panels = llvm::divideCeil(rows, panel);
  for (int64_t b = 0; b < panels; ++b)
    for (int64_t k = 0; k < columns; ++k)
      for (int64_t p = 0; p < panel; ++p) {
        int64_t row = b * panel + p;
        *out++ = row < rows ? matrix[row * columns + k] : 0.0f;
      }
}

/// One tensor of the weights file and where its bytes come from.
struct WeightsEntry {
  const TensorView *view = nullptr;
  int64_t offset = 0;
  int64_t panel = 0;
  int64_t bytes = 0;
  /// Block format of a quantized weight.
  std::optional<QuantScheme> quant;
};

QuantScheme quantSchemeOf(QuantType type) {
  return {static_cast<tfm_quant_format>(type.getFormat()), type.getGroup()};
}

llvm::Expected<std::vector<WeightsEntry>> resolveEntries(ArrayAttr layout,
                                                          const ModelFile &model) {
  std::vector<WeightsEntry> entries;
  for (Attribute attr : layout) {
    auto fields = cast<DictionaryAttr>(attr);
    StringRef name = cast<StringAttr>(fields.get("name")).getValue();
    WeightsEntry entry;
    entry.view = model.lookup(name);
    if (!entry.view)
      return importError(model.path, model.tensorIndexOffset,
                         "model has no tensor '" + name + "'");
    entry.offset = cast<IntegerAttr>(fields.get("offset")).getInt();
    entry.panel = cast<IntegerAttr>(fields.get("panel")).getInt();
    int64_t rows = entry.view->shape[0];
    int64_t elements = entry.view->numElements();
    if (auto format = fields.getAs<TypeAttr>("format")) {
      entry.quant = quantSchemeOf(cast<QuantType>(format.getValue()));
      int64_t rowBytes = quantRowBytes(*entry.quant, elements / rows);
      if (entry.view->shape.size() != 2 || rowBytes < 0)
        return importError(model.path, entry.view->fileOffset,
                           "tensor '" + name + "' cannot be stored as " +
                               quantSchemeName(*entry.quant));
      entry.bytes = rows * rowBytes;
      entries.push_back(entry);
      continue;
    }
    if (entry.panel > 0)
      elements = llvm::alignTo(rows, entry.panel) * (elements / rows);
    entry.bytes = elements * sizeof(float);
    entries.push_back(entry);
  }
  llvm::sort(entries, [](const WeightsEntry &a, const WeightsEntry &b) {
    return a.offset < b.offset;
  });
  return entries;
}

/// True if the entry's bytes are the model file's blocks as they are.
bool copiesBlocks(const WeightsEntry &entry) {
  std::optional<WeightFormat> sameBytes =
      entry.quant ? ggmlFormatOf(*entry.quant) : std::nullopt;
  return sameBytes && *sameBytes == entry.view->type;
}

/// Writes the rows of blocks of a quantized tensor: the model's bytes when
/// they already are in that format, else the decoded values quantized.
bool writeQuantizedEntry(const WeightsEntry &entry, uint8_t *out) {
  const TensorView &view = *entry.view;
  if (copiesBlocks(entry)) {
    if (view.data.size() != static_cast<size_t>(entry.bytes))
      return false;
    std::memcpy(out, view.data.data(), entry.bytes);
    return true;
  }
  std::vector<float> decoded(view.numElements());
  if (!dequantize(view.type, view.data, decoded))
    return false;
  int64_t rows = view.shape[0], columns = view.numElements() / rows;
  int64_t rowBytes = entry.bytes / rows;
  for (int64_t r = 0; r < rows; ++r)
    quantizeRow(*entry.quant, decoded.data() + r * columns, columns,
                out + r * rowBytes);
  return true;
}

/// Decodes and lays out one tensor at `out`; false if its bytes do not
/// decode. f32 sources are packed straight from the mapped model file.
bool writeEntry(const WeightsEntry &entry, uint8_t *out) {
  if (entry.quant)
    return writeQuantizedEntry(entry, out);
  const TensorView &view = *entry.view;
  std::vector<float> decoded;
  const float *values = reinterpret_cast<const float *>(view.data.data());
  bool direct = view.type == WeightFormat::F32 &&
                view.data.size() ==
                    static_cast<size_t>(view.numElements()) * sizeof(float) &&
                reinterpret_cast<uintptr_t>(values) % alignof(float) == 0;
  if (!direct) {
    decoded.resize(view.numElements());
    if (!dequantize(view.type, view.data, decoded))
      return false;
    values = decoded.data();
  }
  auto *floats = reinterpret_cast<float *>(out);
  if (entry.panel > 0)
    packPanels(values, view.shape[0], view.numElements() / view.shape[0],
               entry.panel, floats);
  else
    std::memcpy(floats, values, view.numElements() * sizeof(float));
  return true;
}

} // namespace

llvm::Expected<WeightsSummary>
mlir::tfm::writeWeightsFile(ModuleOp module, const ModelFile &model,
                            llvm::StringRef path) {
  auto layout = module->getAttrOfType<ArrayAttr>("tfm.weights");
  auto size = module->getAttrOfType<IntegerAttr>("tfm.weights_size");
  if (!layout || !size)
    return llvm::createStringError("module has no weights layout");
  llvm::Expected<std::vector<WeightsEntry>> entries =
      resolveEntries(layout, model);
  if (!entries)
    return entries.takeError();
  auto buffer = llvm::FileOutputBuffer::create(path, size.getInt());
  if (!buffer)
    return llvm::createStringError("cannot write " + path + ": " +
                                   llvm::toString(buffer.takeError()));
  uint8_t *base = (*buffer)->getBufferStart();

  // Tensors are independent: decode and pack them on all cores. Only the
  // alignment gaps between them need zeroing.
  std::vector<char> decoded(entries->size(), 1);
  if (!entries->empty())
    std::memset(base, 0, entries->front().offset);
  llvm::parallelFor(0, entries->size(), [&](size_t i) {
    const WeightsEntry &entry = (*entries)[i];
    int64_t end = i + 1 < entries->size() ? (*entries)[i + 1].offset
                                          : size.getInt();
    std::memset(base + entry.offset + entry.bytes, 0,
                end - entry.offset - entry.bytes);
    decoded[i] = writeEntry(entry, base + entry.offset);
  });
  for (auto [entry, ok] : llvm::zip(*entries, decoded))
    if (!ok)
      return importError(entry.view->file, entry.view->fileOffset,
                         "tensor '" + entry.view->name +
                             "' cannot be decoded");
  if (llvm::Error error = (*buffer)->commit())
    return llvm::createStringError("cannot write " + path + ": " +
                                   llvm::toString(std::move(error)));
  WeightsSummary summary;
  for (const WeightsEntry &entry : *entries)
    ++(copiesBlocks(entry) ? summary.copied
       : entry.quant       ? summary.quantized
                           : summary.floats);
  return summary;
}
