//===- GGUF.cpp - the GGUF container format -------------------------------===//

#include "tfm/Import/GGUF.h"

#include "tfm/Quantization/WeightFormat.h"
#include "tfm/Model/ByteReader.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir::tfm;
using llvm::Twine;

namespace {

constexpr uint32_t kMagic = 0x46554747; // "GGUF" read as little-endian u32
constexpr uint64_t kMaxKeyBytes = 1 << 16;
constexpr uint64_t kMaxStringBytes = 1 << 24;
constexpr uint64_t kMaxArrayElements = 1 << 24;
constexpr uint64_t kMaxMetadataEntries = 1 << 16;
constexpr uint64_t kMaxTensors = 1 << 20;
constexpr uint64_t kMaxDims = 4;
constexpr uint64_t kMaxAlignment = 1 << 20;

/// Bytes of one element of a fixed-size type; 0 for strings and arrays.
uint64_t scalarBytes(GGUFValueType type) {
  switch (type) {
  case GGUFValueType::UInt8:
  case GGUFValueType::Int8:
  case GGUFValueType::Bool:
    return 1;
  case GGUFValueType::UInt16:
  case GGUFValueType::Int16:
    return 2;
  case GGUFValueType::UInt32:
  case GGUFValueType::Int32:
  case GGUFValueType::Float32:
    return 4;
  case GGUFValueType::UInt64:
  case GGUFValueType::Int64:
  case GGUFValueType::Float64:
    return 8;
  case GGUFValueType::String:
  case GGUFValueType::Array:
    return 0;
  }
  return 0;
}

bool isKnownType(uint32_t raw) { return raw <= 12; }

class GGUFParser {
public:
  GGUFParser(llvm::StringRef fileName, llvm::ArrayRef<uint8_t> bytes)
      : reader(fileName, bytes) {}

  llvm::Expected<GGUFFile> parse();

private:
  llvm::Expected<llvm::StringRef> readString(const Twine &what,
                                             uint64_t maxBytes);
  llvm::Expected<GGUFValueType> readType(const Twine &what);
  llvm::Error readScalar(GGUFValueType type, GGUFValue &value);
  llvm::Error readArray(GGUFValue &value, llvm::StringRef key);
  llvm::Error readValue(GGUFValueType type, GGUFValue &value,
                        llvm::StringRef key);
  llvm::Error readMetadata(uint64_t count);
  llvm::Error readTensorInfos(uint64_t count);
  llvm::Error readTensorInfo(GGUFTensorInfo &info);
  llvm::Error applyAlignment();
  llvm::Error checkTensorData();

  ByteReader reader;
  GGUFFile file;
};

llvm::Expected<llvm::StringRef> GGUFParser::readString(const Twine &what,
                                                       uint64_t maxBytes) {
  uint64_t at = reader.offset();
  llvm::Expected<uint64_t> length = reader.read<uint64_t>(what + " length");
  if (!length)
    return length.takeError();
  if (*length > maxBytes)
    return reader.errorAt(at, what + " length " + Twine(*length) +
                                  " exceeds the limit of " + Twine(maxBytes));
  return reader.takeString(*length, what);
}

llvm::Expected<GGUFValueType> GGUFParser::readType(const Twine &what) {
  uint64_t at = reader.offset();
  llvm::Expected<uint32_t> raw = reader.read<uint32_t>(what);
  if (!raw)
    return raw.takeError();
  if (!isKnownType(*raw))
    return reader.errorAt(at, "unknown " + what + " " + Twine(*raw));
  return static_cast<GGUFValueType>(*raw);
}

llvm::Error GGUFParser::readScalar(GGUFValueType type, GGUFValue &value) {
  auto widen = [&](auto parsed) -> llvm::Error {
    if (!parsed)
      return parsed.takeError();
    using T = std::decay_t<decltype(*parsed)>;
    if constexpr (std::is_floating_point_v<T>) {
      value.floatValue = double(*parsed);
    } else if constexpr (std::is_signed_v<T>) {
      value.signedValue = int64_t(*parsed);
      value.unsignedValue = uint64_t(*parsed);
    } else {
      value.unsignedValue = uint64_t(*parsed);
      value.signedValue = int64_t(*parsed);
    }
    return llvm::Error::success();
  };
  switch (type) {
  case GGUFValueType::UInt8:
    return widen(reader.read<uint8_t>("u8 value"));
  case GGUFValueType::Int8:
    return widen(reader.read<int8_t>("i8 value"));
  case GGUFValueType::UInt16:
    return widen(reader.read<uint16_t>("u16 value"));
  case GGUFValueType::Int16:
    return widen(reader.read<int16_t>("i16 value"));
  case GGUFValueType::UInt32:
    return widen(reader.read<uint32_t>("u32 value"));
  case GGUFValueType::Int32:
    return widen(reader.read<int32_t>("i32 value"));
  case GGUFValueType::UInt64:
    return widen(reader.read<uint64_t>("u64 value"));
  case GGUFValueType::Int64:
    return widen(reader.read<int64_t>("i64 value"));
  case GGUFValueType::Float32:
    return widen(reader.read<float>("f32 value"));
  case GGUFValueType::Float64:
    return widen(reader.read<double>("f64 value"));
  case GGUFValueType::Bool: {
    uint64_t at = reader.offset();
    llvm::Expected<uint8_t> flag = reader.read<uint8_t>("bool value");
    if (!flag)
      return flag.takeError();
    if (*flag > 1)
      return reader.errorAt(at, "bool value " + Twine(unsigned(*flag)) +
                                    " is neither 0 nor 1");
    value.unsignedValue = *flag;
    value.signedValue = *flag;
    return llvm::Error::success();
  }
  case GGUFValueType::String:
  case GGUFValueType::Array:
    break;
  }
  llvm_unreachable("not a scalar type");
}

llvm::Error GGUFParser::readArray(GGUFValue &value, llvm::StringRef key) {
  llvm::Expected<GGUFValueType> elementType =
      readType("array element type of '" + key + "'");
  if (!elementType)
    return elementType.takeError();
  if (*elementType == GGUFValueType::Array)
    return reader.error("array '" + key + "' holds arrays, which tfm does "
                        "not read");
  value.elementType = *elementType;
  uint64_t at = reader.offset();
  llvm::Expected<uint64_t> count = reader.read<uint64_t>("array count");
  if (!count)
    return count.takeError();
  // Every element takes at least one byte (a string at least eight), so a
  // count the rest of the file cannot hold is rejected before any vector is
  // sized by it.
  uint64_t minElementBytes =
      *elementType == GGUFValueType::String ? 8 : scalarBytes(*elementType);
  if (*count > kMaxArrayElements ||
      *count > reader.remaining() / minElementBytes)
    return reader.errorAt(at, "array '" + key + "' count " + Twine(*count) +
                                  " exceeds the limit of " +
                                  Twine(kMaxArrayElements) +
                                  " or the bytes left in the file");
  value.count = *count;
  if (*elementType != GGUFValueType::String) {
    llvm::Expected<llvm::ArrayRef<uint8_t>> raw =
        reader.take(*count * scalarBytes(*elementType), "array elements");
    if (!raw)
      return raw.takeError();
    value.rawElements = *raw;
    return llvm::Error::success();
  }
  value.strings.reserve(*count);
  for (uint64_t i = 0; i < *count; ++i) {
    llvm::Expected<llvm::StringRef> element =
        readString("element " + Twine(i) + " of '" + key + "'",
                   kMaxStringBytes);
    if (!element)
      return element.takeError();
    value.strings.push_back(*element);
  }
  return llvm::Error::success();
}

llvm::Error GGUFParser::readValue(GGUFValueType type, GGUFValue &value,
                                  llvm::StringRef key) {
  value.type = type;
  value.offset = reader.offset();
  if (type == GGUFValueType::Array)
    return readArray(value, key);
  if (type == GGUFValueType::String) {
    llvm::Expected<llvm::StringRef> text =
        readString("value of '" + key + "'", kMaxStringBytes);
    if (!text)
      return text.takeError();
    value.stringValue = *text;
    return llvm::Error::success();
  }
  return readScalar(type, value);
}

llvm::Error GGUFParser::readMetadata(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t keyOffset = reader.offset();
    llvm::Expected<llvm::StringRef> key =
        readString("metadata key " + Twine(i), kMaxKeyBytes);
    if (!key)
      return key.takeError();
    if (key->empty())
      return reader.errorAt(keyOffset, "metadata key " + Twine(i) +
                                           " is empty");
    llvm::Expected<GGUFValueType> type =
        readType("value type of '" + *key + "'");
    if (!type)
      return type.takeError();
    GGUFValue value;
    if (llvm::Error error = readValue(*type, value, *key))
      return error;
    if (!file.metadata.insert({*key, std::move(value)}).second)
      return reader.errorAt(keyOffset, "duplicate metadata key '" + *key +
                                           "'");
  }
  return llvm::Error::success();
}

llvm::Error GGUFParser::readTensorInfo(GGUFTensorInfo &info) {
  info.infoOffset = reader.offset();
  llvm::Expected<llvm::StringRef> name =
      readString("tensor name", kMaxKeyBytes);
  if (!name)
    return name.takeError();
  if (name->empty())
    return reader.errorAt(info.infoOffset, "tensor name is empty");
  info.name = *name;
  uint64_t dimsOffset = reader.offset();
  llvm::Expected<uint32_t> numDims =
      reader.read<uint32_t>("n_dims of '" + *name + "'");
  if (!numDims)
    return numDims.takeError();
  if (*numDims == 0 || *numDims > kMaxDims)
    return reader.errorAt(dimsOffset, "tensor '" + *name + "' has " +
                                          Twine(*numDims) +
                                          " dimensions (1 to 4 allowed)");
  uint64_t elements = 1;
  for (uint32_t d = 0; d < *numDims; ++d) {
    uint64_t at = reader.offset();
    llvm::Expected<uint64_t> dim = reader.read<uint64_t>("dimension");
    if (!dim)
      return dim.takeError();
    std::optional<uint64_t> product =
        llvm::checkedMulUnsigned<uint64_t>(elements, *dim);
    if (*dim == 0 || !product || *product > uint64_t(INT64_MAX))
      return reader.errorAt(at, "tensor '" + *name + "' dimension " +
                                    Twine(d) + " (" + Twine(*dim) +
                                    ") is zero or overflows the element "
                                    "count");
    elements = *product;
    info.dims.push_back(*dim);
  }
  uint64_t typeOffset = reader.offset();
  llvm::Expected<uint32_t> type = reader.read<uint32_t>("tensor type");
  if (!type)
    return type.takeError();
  info.ggmlType = *type;
  std::optional<WeightFormat> known = weightFormatFromGGML(*type);
  if (!known) {
    llvm::StringRef typeName = ggmlTypeName(*type);
    return reader.errorAt(typeOffset,
                          "tensor '" + *name + "' has type " +
                              (typeName.empty() ? Twine(*type)
                                                : Twine(typeName)) +
                              ", which tfm does not read");
  }
  const WeightFormatInfo &typeInfo = getWeightFormatInfo(*known);
  if (info.dims[0] % uint64_t(typeInfo.blockElements) != 0)
    return reader.errorAt(dimsOffset,
                          "tensor '" + *name + "' rows of " +
                              Twine(info.dims[0]) +
                              " elements are not whole " + typeInfo.name +
                              " blocks of " + Twine(typeInfo.blockElements));
  info.byteSize = *tensorByteSize(*known, elements);
  llvm::Expected<uint64_t> offset = reader.read<uint64_t>("tensor offset");
  if (!offset)
    return offset.takeError();
  info.offset = *offset;
  return llvm::Error::success();
}

llvm::Error GGUFParser::readTensorInfos(uint64_t count) {
  llvm::StringSet<> names;
  file.tensors.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    GGUFTensorInfo info;
    if (llvm::Error error = readTensorInfo(info))
      return error;
    if (!names.insert(info.name).second)
      return reader.errorAt(info.infoOffset,
                            "duplicate tensor name '" + info.name + "'");
    file.tensors.push_back(std::move(info));
  }
  return llvm::Error::success();
}

llvm::Error GGUFParser::applyAlignment() {
  if (const GGUFValue *alignment = file.lookup("general.alignment")) {
    if (alignment->type != GGUFValueType::UInt32)
      return reader.errorAt(alignment->offset,
                            "general.alignment must be a u32, got " +
                                stringifyGGUFValueType(alignment->type));
    uint64_t value = alignment->unsignedValue;
    if (!llvm::isPowerOf2_64(value) || value > kMaxAlignment)
      return reader.errorAt(alignment->offset,
                            "general.alignment " + Twine(value) +
                                " is not a power of two up to " +
                                Twine(kMaxAlignment));
    file.alignment = value;
  }
  file.dataOffset = llvm::alignTo(reader.offset(), file.alignment);
  if (file.dataOffset > reader.size() && !file.tensors.empty())
    return reader.error("data section at offset " + Twine(file.dataOffset) +
                        " starts past the end of the file");
  return llvm::Error::success();
}

llvm::Error GGUFParser::checkTensorData() {
  uint64_t dataBytes =
      reader.size() > file.dataOffset ? reader.size() - file.dataOffset : 0;
  std::vector<const GGUFTensorInfo *> byOffset;
  for (const GGUFTensorInfo &info : file.tensors) {
    if (info.offset % file.alignment != 0)
      return reader.errorAt(info.infoOffset,
                            "tensor '" + info.name + "' data offset " +
                                Twine(info.offset) + " is not aligned to " +
                                Twine(file.alignment));
    if (info.offset > dataBytes || info.byteSize > dataBytes - info.offset)
      return reader.errorAt(
          info.infoOffset,
          "tensor '" + info.name + "' data (" + Twine(info.byteSize) +
              " bytes at data offset " + Twine(info.offset) +
              ") lies outside the file's " + Twine(dataBytes) +
              " data bytes");
    byOffset.push_back(&info);
  }
  llvm::sort(byOffset, [](const GGUFTensorInfo *a, const GGUFTensorInfo *b) {
    return a->offset < b->offset;
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const GGUFTensorInfo *prev = byOffset[i - 1];
    if (prev->offset + prev->byteSize > byOffset[i]->offset)
      return reader.errorAt(byOffset[i]->infoOffset,
                            "tensor '" + byOffset[i]->name +
                                "' data overlaps tensor '" + prev->name +
                                "'");
  }
  return llvm::Error::success();
}

llvm::Expected<GGUFFile> GGUFParser::parse() {
  llvm::Expected<uint32_t> magic = reader.read<uint32_t>("magic");
  if (!magic)
    return magic.takeError();
  if (*magic != kMagic)
    return reader.errorAt(0, "not a GGUF file (bad magic)");
  uint64_t versionOffset = reader.offset();
  llvm::Expected<uint32_t> version = reader.read<uint32_t>("version");
  if (!version)
    return version.takeError();
  if (*version != 2 && *version != 3)
    return reader.errorAt(versionOffset, "GGUF version " + Twine(*version) +
                                             " is not supported (2 and 3 "
                                             "are)");
  file.version = *version;
  uint64_t countsOffset = reader.offset();
  llvm::Expected<uint64_t> tensorCount = reader.read<uint64_t>("tensor count");
  if (!tensorCount)
    return tensorCount.takeError();
  llvm::Expected<uint64_t> kvCount = reader.read<uint64_t>("metadata count");
  if (!kvCount)
    return kvCount.takeError();
  if (*tensorCount > kMaxTensors)
    return reader.errorAt(countsOffset, "tensor count " + Twine(*tensorCount) +
                                            " exceeds the limit of " +
                                            Twine(kMaxTensors));
  if (*kvCount > kMaxMetadataEntries)
    return reader.errorAt(countsOffset + 8,
                          "metadata count " + Twine(*kvCount) +
                              " exceeds the limit of " +
                              Twine(kMaxMetadataEntries));
  if (llvm::Error error = readMetadata(*kvCount))
    return std::move(error);
  // A tensor info takes at least 8 (name) + 4 + 8 + 4 + 8 bytes.
  if (*tensorCount > reader.remaining() / 32)
    return reader.errorAt(countsOffset, "tensor count " + Twine(*tensorCount) +
                                            " cannot fit in the " +
                                            Twine(reader.remaining()) +
                                            " bytes left");
  if (llvm::Error error = readTensorInfos(*tensorCount))
    return std::move(error);
  if (llvm::Error error = applyAlignment())
    return std::move(error);
  if (llvm::Error error = checkTensorData())
    return std::move(error);
  return std::move(file);
}

} // namespace

llvm::StringRef mlir::tfm::stringifyGGUFValueType(GGUFValueType type) {
  static const char *const names[] = {"u8",  "i8",   "u16",   "i16", "u32",
                                      "i32", "f32",  "bool",  "string",
                                      "array", "u64", "i64", "f64"};
  return names[static_cast<uint32_t>(type)];
}

bool GGUFValue::isInteger() const {
  switch (type) {
  case GGUFValueType::UInt8:
  case GGUFValueType::Int8:
  case GGUFValueType::UInt16:
  case GGUFValueType::Int16:
  case GGUFValueType::UInt32:
  case GGUFValueType::Int32:
  case GGUFValueType::UInt64:
  case GGUFValueType::Int64:
    return true;
  default:
    return false;
  }
}

bool GGUFValue::isFloat() const {
  return type == GGUFValueType::Float32 || type == GGUFValueType::Float64;
}

double GGUFValue::floatElement(uint64_t i) const {
  const uint8_t *p = rawElements.data() + i * scalarBytes(elementType);
  if (elementType == GGUFValueType::Float32) {
    float value;
    std::memcpy(&value, p, sizeof(value));
    return value;
  }
  if (elementType == GGUFValueType::Float64) {
    double value;
    std::memcpy(&value, p, sizeof(value));
    return value;
  }
  return double(integerElement(i));
}

int64_t GGUFValue::integerElement(uint64_t i) const {
  const uint8_t *p = rawElements.data() + i * scalarBytes(elementType);
  namespace endian = llvm::support::endian;
  switch (elementType) {
  case GGUFValueType::UInt8:
  case GGUFValueType::Bool:
    return *p;
  case GGUFValueType::Int8:
    return int8_t(*p);
  case GGUFValueType::UInt16:
    return endian::read16le(p);
  case GGUFValueType::Int16:
    return int16_t(endian::read16le(p));
  case GGUFValueType::UInt32:
    return endian::read32le(p);
  case GGUFValueType::Int32:
    return int32_t(endian::read32le(p));
  case GGUFValueType::UInt64:
  case GGUFValueType::Int64:
    return int64_t(endian::read64le(p));
  default:
    return 0;
  }
}

const GGUFValue *GGUFFile::lookup(llvm::StringRef key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}

llvm::Expected<GGUFFile> mlir::tfm::parseGGUF(llvm::StringRef fileName,
                                              llvm::ArrayRef<uint8_t> bytes) {
  return GGUFParser(fileName, bytes).parse();
}
