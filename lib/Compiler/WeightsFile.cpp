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

#include "tfm/Compiler/Calibration.h"
#include "tfm/Quantization/Dequantize.h"
#include "tfm/Quantization/Gptq.h"
#include "tfm/Quantization/Quantize.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"
#include "tfm/Model/ImportError.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/Parallel.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// GPTQ's damping, a fraction of the mean diagonal of H, as the paper's
/// reference code (1%): enough to keep H positive definite.
constexpr double kGptqDamping = 0.01;

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

/// One tensor of the weights file and where its bytes come from: one
/// tensor of the model file, or several stacked along their rows (a
/// `tfm.param` with `parts`).
struct WeightsEntry {
  std::string name;
  SmallVector<const TensorView *> parts;
  /// The vector each column is multiplied by (`tfm.param ... column_scale`:
  /// a norm's scale folded into a float weight), if any.
  const TensorView *columnScale = nullptr;
  /// Heads averaged into one (`tfm.param ... pool_heads [group, head_dim]`:
  /// the key/value projections of an MHA model pooled into GQA's); 1 for
  /// none.
  int64_t poolGroup = 1;
  int64_t poolHeadDim = 0;
  int64_t rows = 0;
  int64_t columns = 0;
  int64_t offset = 0;
  int64_t panel = 0;
  int64_t bytes = 0;
  /// Block format of a quantized weight (of its rows, before interleaving).
  std::optional<QuantScheme> quant;
  /// tfm_quant_format of the stored layout: an _X16 format when groups of
  /// rows are interleaved for the kernel.
  int32_t kernelFormat = 0;

  const TensorView &front() const { return *parts.front(); }
};

QuantScheme quantSchemeOf(QuantType type) {
  return {static_cast<tfm_quant_format>(type.getFormat()), type.getGroup()};
}

/// Looks up the tensors of one layout entry and checks that stacked ones
/// agree in their columns.
llvm::Error resolveParts(DictionaryAttr fields, const ModelFile &model,
                         WeightsEntry &entry) {
  entry.name = cast<StringAttr>(fields.get("name")).getValue().str();
  SmallVector<StringRef> names{entry.name};
  if (auto parts = fields.getAs<ArrayAttr>("parts"))
    names = llvm::map_to_vector(parts, [](Attribute part) {
      return cast<StringAttr>(part).getValue();
    });
  for (StringRef name : names) {
    const TensorView *view = model.lookup(name);
    if (!view)
      return importError(model.path, model.tensorIndexOffset,
                         "model has no tensor '" + name + "'");
    int64_t rows = view->shape[0];
    int64_t columns = view->numElements() / rows;
    if (!entry.parts.empty() &&
        (view->shape.size() != entry.front().shape.size() ||
         columns != entry.columns))
      return importError(view->file, view->fileOffset,
                         "tensor '" + name + "' cannot be stacked under '" +
                             entry.front().name + "': its rows differ");
    entry.parts.push_back(view);
    entry.rows += rows;
    entry.columns = columns;
  }
  if (auto pool = fields.getAs<DenseI64ArrayAttr>("pool_heads")) {
    entry.poolGroup = pool[0];
    entry.poolHeadDim = pool[1];
    // A bias vector's elements are its rows (of one column).
    if (entry.rows % (entry.poolGroup * entry.poolHeadDim) != 0)
      return importError(entry.front().file, entry.front().fileOffset,
                         "tensor '" + entry.front().name + "' has " +
                             std::to_string(entry.rows) +
                             " rows, not whole groups of " +
                             std::to_string(entry.poolGroup) + " heads of " +
                             std::to_string(entry.poolHeadDim));
    entry.rows /= entry.poolGroup;
  }
  if (auto scale = fields.getAs<StringAttr>("column_scale")) {
    const TensorView *view = model.lookup(scale.getValue());
    if (!view)
      return importError(model.path, model.tensorIndexOffset,
                         "model has no tensor '" + scale.getValue() + "'");
    if (view->numElements() != entry.columns)
      return importError(view->file, view->fileOffset,
                         "tensor '" + scale.getValue() + "' has " +
                             std::to_string(view->numElements()) +
                             " elements and cannot scale the " +
                             std::to_string(entry.columns) + " columns of '" +
                             entry.front().name + "'");
    entry.columnScale = view;
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<WeightsEntry>> resolveEntries(ArrayAttr layout,
                                                          const ModelFile &model) {
  std::vector<WeightsEntry> entries;
  for (Attribute attr : layout) {
    auto fields = cast<DictionaryAttr>(attr);
    WeightsEntry entry;
    if (llvm::Error error = resolveParts(fields, model, entry))
      return std::move(error);
    entry.offset = cast<IntegerAttr>(fields.get("offset")).getInt();
    entry.panel = cast<IntegerAttr>(fields.get("panel")).getInt();
    if (auto format = fields.getAs<TypeAttr>("format")) {
      auto quantType = cast<QuantType>(format.getValue());
      entry.quant = quantSchemeOf(quantType);
      entry.kernelFormat = quantType.getKernelFormat();
      if (entry.rows % quantType.getRowsPerGroup() != 0)
        return importError(model.path, entry.front().fileOffset,
                           "tensor '" + entry.name + "' has " +
                               std::to_string(entry.rows) +
                               " rows, not whole groups of " +
                               std::to_string(quantType.getRowsPerGroup()));
      int64_t rowBytes = quantRowBytes(*entry.quant, entry.columns);
      if (entry.front().shape.size() != 2 || rowBytes < 0)
        return importError(model.path, entry.front().fileOffset,
                           "tensor '" + entry.name + "' cannot be stored as " +
                               quantSchemeName(*entry.quant));
      entry.bytes = entry.rows * rowBytes;
      entries.push_back(entry);
      continue;
    }
    int64_t rows = entry.panel > 0 ? llvm::alignTo(entry.rows, entry.panel)
                                   : entry.rows;
    entry.bytes = rows * entry.columns * sizeof(float);
    entries.push_back(entry);
  }
  llvm::sort(entries, [](const WeightsEntry &a, const WeightsEntry &b) {
    return a.offset < b.offset;
  });
  return entries;
}

/// Replaces each run of `group` heads of `headDim` rows of the row-major
/// `values` (`rows x columns`) by their mean, in place; the first
/// `rows / group` rows hold the result.
void poolHeads(MutableArrayRef<float> values, int64_t rows, int64_t columns,
               int64_t group, int64_t headDim) {
  int64_t pooledHeads = rows / (group * headDim);
  std::vector<float> mean(size_t(headDim * columns));
  for (int64_t h = 0; h < pooledHeads; ++h) {
    std::fill(mean.begin(), mean.end(), 0.0f);
    for (int64_t g = 0; g < group; ++g) {
      const float *head = values.data() + (h * group + g) * headDim * columns;
      for (int64_t i = 0; i < headDim * columns; ++i)
        mean[i] += head[i] / float(group);
    }
    std::copy(mean.begin(), mean.end(),
              values.data() + h * headDim * columns);
  }
}

/// True if `view`'s bytes are the blocks of `scheme` as they are.
bool copiesBlocks(const TensorView &view, const QuantScheme &scheme) {
  std::optional<WeightFormat> sameBytes = ggmlFormatOf(scheme);
  return sameBytes && *sameBytes == view.type;
}

/// Rewrites rows of blocks at `out` as groups of interleaved rows.
void interleaveRows(const WeightsEntry &entry, uint8_t *out) {
  int64_t groupRows = tfm_quant_interleave_rows(entry.kernelFormat);
  int64_t groupBytes = groupRows * (entry.bytes / entry.rows);
  std::vector<uint8_t> rows(groupBytes);
  for (int64_t g = 0; g < entry.rows / groupRows; ++g) {
    uint8_t *group = out + g * groupBytes;
    std::memcpy(rows.data(), group, groupBytes);
    tfm_quant_interleave(entry.kernelFormat, entry.columns, rows.data(),
                         group);
  }
}

/// GPTQ's factor for `entry`'s rows when they are to be rounded with it:
/// when the calibration saw the entry's input. Stacked parts are siblings
/// (Q, K, V; gate, up): one input.
llvm::Expected<std::optional<std::vector<double>>>
gptqFactorFor(const WeightsEntry &entry, const CalibrationInputs *calibration) {
  if (!calibration || !GridQuantizer::create(*entry.quant, entry.columns))
    return std::nullopt;
  std::optional<std::vector<double>> moments =
      calibration->secondMoments(entry.front().name);
  if (!moments)
    return std::nullopt;
  llvm::Expected<std::vector<double>> factor =
      gptqFactor(*moments, entry.columns, kGptqDamping);
  if (!factor)
    return factor.takeError();
  return std::optional<std::vector<double>>(std::move(*factor));
}

const float *floatValues(const WeightsEntry &entry,
                         std::vector<float> &storage);

/// Quantizes `rows` rows of f32 `values` into blocks at `out` (with GPTQ
/// when `factor` is given).
void quantizeFloatRows(const WeightsEntry &entry,
                       const std::optional<std::vector<double>> &factor,
                       const float *values, int64_t rows, uint8_t *out) {
  int64_t rowBytes = entry.bytes / entry.rows;
  if (factor) {
    gptqQuantizeRows(*entry.quant, values, rows, entry.columns, *factor, out);
    return;
  }
  for (int64_t r = 0; r < rows; ++r)
    quantizeRow(*entry.quant, values + r * entry.columns, entry.columns,
                out + r * rowBytes);
}

/// Writes the rows of blocks of a quantized tensor, part after part: the
/// model's bytes when they already are in that format, else the decoded
/// values quantized (with GPTQ when `factor` is given); pooled heads are
/// new values, always quantized. Then interleaves groups of rows if the
/// kernel reads them so.
bool writeQuantizedEntry(const WeightsEntry &entry,
                         const std::optional<std::vector<double>> &factor,
                         uint8_t *out) {
  uint8_t *begin = out;
  int64_t rowBytes = entry.bytes / entry.rows;
  if (entry.poolGroup > 1) {
    std::vector<float> storage;
    const float *values = floatValues(entry, storage);
    if (!values)
      return false;
    quantizeFloatRows(entry, factor, values, entry.rows, out);
  } else {
    for (const TensorView *view : entry.parts) {
      int64_t rows = view->shape[0];
      if (copiesBlocks(*view, *entry.quant)) {
        if (view->data.size() != static_cast<size_t>(rows * rowBytes))
          return false;
        std::memcpy(out, view->data.data(), rows * rowBytes);
      } else {
        std::vector<float> decoded(view->numElements());
        if (!dequantize(view->type, view->data, decoded))
          return false;
        quantizeFloatRows(entry, factor, decoded.data(), rows, out);
      }
      out += rows * rowBytes;
    }
  }
  if (tfm_quant_interleave_rows(entry.kernelFormat) > 1)
    interleaveRows(entry, begin);
  return true;
}

/// Multiplies each column of the `rows x columns` row-major `values` by
/// the decoded `scale`; false if it does not decode.
bool scaleColumns(const TensorView &scale, int64_t rows, int64_t columns,
                  MutableArrayRef<float> values) {
  std::vector<float> factors(columns);
  if (!dequantize(scale.type, scale.data, factors))
    return false;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      values[r * columns + c] *= factors[c];
  return true;
}

/// The f32 values of the entry's tensors, stacked and column-scaled: the
/// mapped model file itself for one f32 tensor, else decoded into
/// `storage`.
const float *floatValues(const WeightsEntry &entry,
                         std::vector<float> &storage) {
  const TensorView &view = entry.front();
  const float *values = reinterpret_cast<const float *>(view.data.data());
  if (entry.parts.size() == 1 && !entry.columnScale && entry.poolGroup == 1 &&
      view.type == WeightFormat::F32 &&
      view.data.size() ==
          static_cast<size_t>(view.numElements()) * sizeof(float) &&
      reinterpret_cast<uintptr_t>(values) % alignof(float) == 0)
    return values;
  int64_t sourceRows = entry.rows * entry.poolGroup;
  storage.resize(sourceRows * entry.columns);
  MutableArrayRef<float> out(storage);
  for (const TensorView *part : entry.parts) {
    int64_t count = part->numElements();
    if (!dequantize(part->type, part->data, out.take_front(count)))
      return nullptr;
    out = out.drop_front(count);
  }
  if (entry.columnScale &&
      !scaleColumns(*entry.columnScale, sourceRows, entry.columns, storage))
    return nullptr;
  if (entry.poolGroup > 1) {
    poolHeads(storage, sourceRows, entry.columns, entry.poolGroup,
              entry.poolHeadDim);
    storage.resize(entry.rows * entry.columns);
  }
  return storage.data();
}

/// Decodes and lays out one tensor at `out`; false if its bytes do not
/// decode.
bool writeFloatEntry(const WeightsEntry &entry, uint8_t *out) {
  auto *floats = reinterpret_cast<float *>(out);
  // Row-major and unscaled (an embedding table of a quantized model): each
  // part decodes straight into the file. Decoded apart first, Llama 3's
  // 128256 x 4096 table alone took 2.1 GB of memory during the compile.
  if (entry.panel == 0 && !entry.columnScale && entry.poolGroup == 1) {
    MutableArrayRef<float> rest(floats, entry.rows * entry.columns);
    for (const TensorView *part : entry.parts) {
      int64_t count = part->numElements();
      if (count > int64_t(rest.size()) ||
          !dequantize(part->type, part->data, rest.take_front(count)))
        return false;
      rest = rest.drop_front(count);
    }
    return rest.empty();
  }
  std::vector<float> storage;
  const float *values = floatValues(entry, storage);
  if (!values)
    return false;
  if (entry.panel > 0)
    packPanels(values, entry.rows, entry.columns, entry.panel, floats);
  else
    std::memcpy(floats, values, entry.rows * entry.columns * sizeof(float));
  return true;
}

/// How writing one entry went.
struct EntryResult {
  std::string error;
  bool usedGptq = false;
};

EntryResult writeEntry(const WeightsEntry &entry,
                       const CalibrationInputs *calibration, uint8_t *out) {
  EntryResult result;
  if (!entry.quant) {
    if (!writeFloatEntry(entry, out))
      result.error = "tensor '" + entry.name + "' cannot be decoded";
    return result;
  }
  llvm::Expected<std::optional<std::vector<double>>> factor =
      gptqFactorFor(entry, calibration);
  if (!factor) {
    result.error = "tensor '" + entry.name +
                   "': " + llvm::toString(factor.takeError());
    return result;
  }
  if (!writeQuantizedEntry(entry, *factor, out))
    result.error = "tensor '" + entry.name + "' cannot be decoded";
  result.usedGptq = factor->has_value();
  return result;
}

} // namespace

llvm::Expected<WeightsSummary>
mlir::tfm::writeWeightsFile(ModuleOp module, const ModelFile &model,
                            llvm::StringRef path,
                            const CalibrationInputs *calibration) {
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
  std::vector<EntryResult> results(entries->size());
  if (!entries->empty())
    std::memset(base, 0, entries->front().offset);
  llvm::parallelFor(0, entries->size(), [&](size_t i) {
    const WeightsEntry &entry = (*entries)[i];
    int64_t end = i + 1 < entries->size() ? (*entries)[i + 1].offset
                                          : size.getInt();
    std::memset(base + entry.offset + entry.bytes, 0,
                end - entry.offset - entry.bytes);
    results[i] = writeEntry(entry, calibration, base + entry.offset);
  });
  for (auto [entry, result] : llvm::zip(*entries, results))
    if (!result.error.empty())
      return importError(entry.front().file, entry.front().fileOffset,
                         result.error);
  if (llvm::Error error = (*buffer)->commit())
    return llvm::createStringError("cannot write " + path + ": " +
                                   llvm::toString(std::move(error)));
  // Counted in distinct tensors of the model file, stacked or not; a norm
  // scale folded into several weights counts once.
  llvm::StringSet<> copied, quantized, floats, calibrated;
  for (auto [entry, result] : llvm::zip(*entries, results)) {
    for (const TensorView *part : entry.parts) {
      bool copiedPart = entry.quant && copiesBlocks(*part, *entry.quant);
      (!entry.quant ? floats : copiedPart ? copied : quantized)
          .insert(part->name);
      if (result.usedGptq && !copiedPart)
        calibrated.insert(part->name);
    }
    if (entry.columnScale)
      floats.insert(entry.columnScale->name);
  }
  WeightsSummary summary;
  summary.copied = copied.size();
  summary.quantized = quantized.size();
  summary.floats = floats.size();
  summary.calibrated = calibrated.size();
  return summary;
}
