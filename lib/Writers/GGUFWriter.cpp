//===- GGUFWriter.cpp - write GGUF files ----------------------------------===//

#include "tfm/Writers/GGUFWriter.h"
#include "tfm/Writers/FloatTensor.h"

#include "tfm/Import/GGUF.h"
#include "tfm/Model/ImportError.h"

#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir::tfm;

namespace {

void appendString(std::vector<uint8_t> &out, llvm::StringRef text) {
  appendLittleEndian<uint64_t>(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

std::vector<uint8_t> header(llvm::StringRef key, GGUFValueType type) {
  std::vector<uint8_t> entry;
  appendString(entry, key);
  appendLittleEndian<uint32_t>(entry, static_cast<uint32_t>(type));
  return entry;
}

} // namespace

void GGUFWriter::addUInt32(llvm::StringRef key, uint32_t value) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::UInt32);
  appendLittleEndian(entry, value);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addFloat32(llvm::StringRef key, float value) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::Float32);
  appendLittleEndian(entry, value);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addBool(llvm::StringRef key, bool value) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::Bool);
  appendLittleEndian<uint8_t>(entry, value ? 1 : 0);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addString(llvm::StringRef key, llvm::StringRef value) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::String);
  appendString(entry, value);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addStringArray(llvm::StringRef key,
                                llvm::ArrayRef<std::string> values) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::Array);
  appendLittleEndian<uint32_t>(entry,
                               static_cast<uint32_t>(GGUFValueType::String));
  appendLittleEndian<uint64_t>(entry, values.size());
  for (const std::string &value : values)
    appendString(entry, value);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addFloat32Array(llvm::StringRef key,
                                 llvm::ArrayRef<float> values) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::Array);
  appendLittleEndian<uint32_t>(entry,
                               static_cast<uint32_t>(GGUFValueType::Float32));
  appendLittleEndian<uint64_t>(entry, values.size());
  for (float value : values)
    appendLittleEndian(entry, value);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addInt32Array(llvm::StringRef key,
                               llvm::ArrayRef<int32_t> values) {
  std::vector<uint8_t> entry = header(key, GGUFValueType::Array);
  appendLittleEndian<uint32_t>(entry,
                               static_cast<uint32_t>(GGUFValueType::Int32));
  appendLittleEndian<uint64_t>(entry, values.size());
  for (int32_t value : values)
    appendLittleEndian(entry, value);
  metadata.push_back(std::move(entry));
}

void GGUFWriter::addTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                           WeightFormat format, std::vector<uint8_t> data) {
  uint64_t byteSize = data.size();
  tensors.push_back({name.str(),
                     std::vector<int64_t>(shape.begin(), shape.end()), format,
                     byteSize, std::move(data), nullptr});
}

void GGUFWriter::addTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                           WeightFormat format, uint64_t byteSize,
                           TensorProducer produce) {
  tensors.push_back({name.str(),
                     std::vector<int64_t>(shape.begin(), shape.end()), format,
                     byteSize, {}, std::move(produce)});
}

std::vector<uint8_t> GGUFWriter::fileHeader(uint32_t alignment,
                                            std::vector<uint64_t> &offsets) const {
  std::vector<uint8_t> out;
  appendLittleEndian<uint32_t>(out, 0x46554747);
  appendLittleEndian<uint32_t>(out, 3);
  appendLittleEndian<uint64_t>(out, tensors.size());
  appendLittleEndian<uint64_t>(out, metadata.size());
  for (const std::vector<uint8_t> &entry : metadata)
    out.insert(out.end(), entry.begin(), entry.end());
  uint64_t offset = 0;
  offsets.clear();
  for (const Tensor &tensor : tensors) {
    appendString(out, tensor.name);
    appendLittleEndian<uint32_t>(out, uint32_t(tensor.shape.size()));
    for (auto it = tensor.shape.rbegin(); it != tensor.shape.rend(); ++it)
      appendLittleEndian<uint64_t>(out, uint64_t(*it));
    appendLittleEndian<uint32_t>(out, static_cast<uint32_t>(tensor.format));
    appendLittleEndian<uint64_t>(out, offset);
    offsets.push_back(offset);
    offset = llvm::alignTo(offset + tensor.byteSize, alignment);
  }
  return out;
}

void GGUFWriter::Tensor::write(llvm::raw_ostream &out) const {
  if (produce)
    return produce(out);
  out.write(reinterpret_cast<const char *>(data.data()), data.size());
}

std::vector<uint8_t> GGUFWriter::serialize(uint32_t alignment) const {
  std::vector<uint64_t> offsets;
  std::vector<uint8_t> out = fileHeader(alignment, offsets);
  uint64_t dataStart = llvm::alignTo(out.size(), alignment);
  uint64_t dataSize =
      tensors.empty()
          ? 0
          : llvm::alignTo(offsets.back() + tensors.back().byteSize, alignment);
  out.resize(dataStart + dataSize, 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    llvm::SmallVector<char, 0> bytes;
    llvm::raw_svector_ostream stream(bytes);
    tensors[i].write(stream);
    std::memcpy(out.data() + dataStart + offsets[i], bytes.data(),
                std::min<uint64_t>(bytes.size(), tensors[i].byteSize));
  }
  return out;
}

llvm::Error GGUFWriter::writeFile(llvm::StringRef path,
                                  uint32_t alignment) const {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return importError(path, "cannot write: " + ec.message());
  std::vector<uint64_t> offsets;
  std::vector<uint8_t> head = fileHeader(alignment, offsets);
  auto writeBytes = [&](llvm::ArrayRef<uint8_t> bytes) {
    out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  };
  auto padTo = [&](uint64_t position) {
    static const char zeros[64] = {};
    while (out.tell() < position)
      out.write(zeros,
                std::min<uint64_t>(sizeof(zeros), position - out.tell()));
  };
  writeBytes(head);
  uint64_t dataStart = llvm::alignTo(head.size(), alignment);
  for (size_t i = 0; i < tensors.size(); ++i) {
    padTo(dataStart + offsets[i]);
    uint64_t begin = out.tell();
    tensors[i].write(out);
    uint64_t written = out.tell() - begin;
    if (written != tensors[i].byteSize)
      return importError(path, "tensor '" + tensors[i].name + "' has " +
                                   llvm::Twine(written) +
                                   " bytes, its header says " +
                                   llvm::Twine(tensors[i].byteSize));
  }
  padTo(llvm::alignTo(out.tell(), alignment));
  out.close();
  if (out.has_error())
    return importError(path, "cannot write: " + out.error().message());
  return llvm::Error::success();
}
