//===- CpuTarget.cpp - resolve the CPU code is generated for --------------===//

#include "tfm/Codegen/CpuTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace mlir::tfm;

namespace {

/// `+name` for each feature the host has, `-name` for each it lacks.
std::string hostFeatures() {
  std::string features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ",";
    features += (feature.second ? "+" : "-") + feature.first().str();
  }
  return features;
}

/// Size of the host's data cache of `level` from sysfs, if Linux says.
std::optional<int64_t> hostCacheBytes(unsigned level) {
  for (unsigned index = 0; index < 8; ++index) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    auto levelFile = llvm::MemoryBuffer::getFile(dir + "/level");
    auto typeFile = llvm::MemoryBuffer::getFile(dir + "/type");
    auto sizeFile = llvm::MemoryBuffer::getFile(dir + "/size");
    if (!levelFile || !typeFile || !sizeFile)
      break;
    unsigned cacheLevel = 0;
    if ((*levelFile)->getBuffer().trim().getAsInteger(10, cacheLevel) ||
        cacheLevel != level ||
        (*typeFile)->getBuffer().trim() == "Instruction")
      continue;
    llvm::StringRef size = (*sizeFile)->getBuffer().trim();
    int64_t multiplier = size.consume_back("K") ? 1024
                         : size.consume_back("M") ? 1024 * 1024
                                                  : 1;
    int64_t value = 0;
    if (!size.getAsInteger(10, value))
      return value * multiplier;
  }
  return std::nullopt;
}

} // namespace

llvm::Expected<CpuTarget> mlir::tfm::resolveCpuTarget(llvm::StringRef name) {
  llvm::InitializeNativeTarget();
  CpuTarget target;
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  target.triple = triple.str();
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return llvm::createStringError(error);

  bool isHost = name == "host";
  target.cpu = isHost ? llvm::sys::getHostCPUName().str() : name.str();
  if (isHost)
    target.features = hostFeatures();
  // Ask a generic subtarget whether the name is valid: creating one for an
  // unknown CPU prints LLVM's own warning.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      llvmTarget->createMCSubtargetInfo(triple, "generic", ""));
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget;
  if (generic && generic->isCPUStringValid(target.cpu))
    subtarget.reset(
        llvmTarget->createMCSubtargetInfo(triple, target.cpu, target.features));
  if (!subtarget)
    return llvm::createStringError(
        "unknown target CPU '" + name.str() + "' for " + target.triple +
        " (use 'host' or a CPU from `llc -mcpu=help`, e.g. znver4, haswell)");

  if (subtarget->checkFeatures("+avx512f"))
    target.vectorBits = 512;
  else if (subtarget->checkFeatures("+avx2"))
    target.vectorBits = 256;
  if (isHost) {
    target.l1DataBytes = hostCacheBytes(1).value_or(target.l1DataBytes);
    target.l2Bytes = hostCacheBytes(2).value_or(target.l2Bytes);
  }
  return target;
}

mlir::tfm::QuantizedDecode
mlir::tfm::resolveQuantizedDecode(QuantizedDecode decode,
                                  const CpuTarget &target) {
  if (decode != QuantizedDecode::Auto)
    return decode;
  return target.hasFeature("avx512vnni") ? QuantizedDecode::Generated
                                         : QuantizedDecode::Kernel;
}

bool mlir::tfm::CpuTarget::hasFeature(llvm::StringRef feature) const {
  llvm::SmallVector<llvm::StringRef> enabled;
  llvm::StringRef(features).split(enabled, ',');
  return llvm::is_contained(enabled, ("+" + feature).str());
}

MatmulCodegen
mlir::tfm::resolveMatmulCodegen(MatmulCodegen codegen,
                                const CpuTarget &target) {
  if (codegen != MatmulCodegen::Auto)
    return codegen;
  return target.floatLanes() == 16 ? MatmulCodegen::Halide
                                   : MatmulCodegen::Mlir;
}
