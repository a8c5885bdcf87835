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

/// CPUs to suggest in the error for an unknown name, per architecture.
llvm::StringRef exampleCpus(const llvm::Triple &triple) {
  return triple.isAArch64() ? "cortex-a76, neoverse-n1, apple-m1"
                            : "znver4, haswell";
}

/// The features code generation asks about (CpuTarget::hasFeature) that
/// `subtarget` has (LLVM aborts on a feature another architecture's).
std::vector<std::string> queriedFeatures(const llvm::Triple &triple,
                                         const llvm::MCSubtargetInfo &subtarget) {
  static const char *const kX86[] = {"avx2", "avx512f", "avx512vnni",
                                     "amx-int8"};
  static const char *const kAArch64[] = {"neon", "dotprod", "i8mm"};
  llvm::ArrayRef<const char *> queried;
  if (triple.isX86())
    queried = kX86;
  else if (triple.isAArch64())
    queried = kAArch64;
  std::vector<std::string> enabled;
  for (const char *feature : queried)
    if (subtarget.checkFeatures(std::string("+") + feature))
      enabled.push_back(feature);
  return enabled;
}

} // namespace

llvm::Expected<CpuTarget> mlir::tfm::resolveCpuTarget(llvm::StringRef name,
                                                      llvm::StringRef triple) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  CpuTarget target;
  llvm::Triple hostTriple(llvm::sys::getDefaultTargetTriple());
  llvm::Triple targetTriple =
      triple.empty() ? hostTriple : llvm::Triple(llvm::Triple::normalize(triple));
  target.triple = targetTriple.str();
  target.cross = targetTriple.getArch() != hostTriple.getArch();
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(targetTriple, error);
  if (!llvmTarget)
    return llvm::createStringError("target triple '" + triple.str() +
                                   "': " + error);

  bool isHost = name == "host";
  if (isHost && target.cross)
    return llvm::createStringError(
        "--target-cpu host names this machine's CPU, which is not " +
        targetTriple.getArchName().str() + ": name the target's (e.g. " +
        exampleCpus(targetTriple).str() + ", or generic)");
  target.cpu = isHost ? llvm::sys::getHostCPUName().str() : name.str();
  if (isHost)
    target.features = hostFeatures();
  // Ask a generic subtarget whether the name is valid: creating one for an
  // unknown CPU prints LLVM's own warning.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      llvmTarget->createMCSubtargetInfo(targetTriple, "generic", ""));
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget;
  if (generic && generic->isCPUStringValid(target.cpu))
    subtarget.reset(llvmTarget->createMCSubtargetInfo(targetTriple, target.cpu,
                                                      target.features));
  if (!subtarget)
    return llvm::createStringError(
        "unknown target CPU '" + name.str() + "' for " + target.triple +
        " (use " + (target.cross ? "" : "'host' or ") +
        "a CPU from `llc -mtriple=" + targetTriple.str() +
        " -mcpu=help`, e.g. " + exampleCpus(targetTriple).str() + ")");

  target.enabledFeatures = queriedFeatures(targetTriple, *subtarget);
  if (target.hasFeature("avx512f"))
    target.vectorBits = 512;
  else if (target.hasFeature("avx2"))
    target.vectorBits = 256;
  if (isHost) {
    target.l1DataBytes = hostCacheBytes(1).value_or(target.l1DataBytes);
    target.l2Bytes = hostCacheBytes(2).value_or(target.l2Bytes);
  }
  return target;
}

mlir::tfm::QuantizedCodegen
mlir::tfm::resolveQuantizedDecode(QuantizedCodegen decode,
                                  const CpuTarget &target) {
  if (decode != QuantizedCodegen::Auto)
    return decode;
  return decodeDotProduct(target) ? QuantizedCodegen::Generated
                                  : QuantizedCodegen::Kernel;
}

mlir::tfm::QuantizedCodegen
mlir::tfm::resolveQuantizedPrefill(QuantizedCodegen prefill,
                                   const CpuTarget &target) {
  if (prefill != QuantizedCodegen::Auto)
    return prefill;
  return decodeDotProduct(target) && !target.hasFeature("amx-int8")
             ? QuantizedCodegen::Generated
             : QuantizedCodegen::Kernel;
}

llvm::StringRef mlir::tfm::dotProductName(DotProduct dot) {
  switch (dot) {
  case DotProduct::Avx512Vnni: return "avx512-vnni";
  case DotProduct::NeonDotprod: return "neon-dotprod";
  case DotProduct::NeonI8mm: return "neon-i8mm";
  }
  llvm_unreachable("unknown dot product");
}

std::optional<mlir::tfm::DotProduct>
mlir::tfm::decodeDotProduct(const CpuTarget &target) {
  if (target.hasFeature("avx512vnni"))
    return DotProduct::Avx512Vnni;
  if (target.hasFeature("i8mm"))
    return DotProduct::NeonI8mm;
  if (target.hasFeature("dotprod"))
    return DotProduct::NeonDotprod;
  return std::nullopt;
}

bool mlir::tfm::CpuTarget::hasFeature(llvm::StringRef feature) const {
  return llvm::is_contained(enabledFeatures, feature);
}

MatmulCodegen
mlir::tfm::resolveMatmulCodegen(MatmulCodegen codegen,
                                const CpuTarget &target) {
  if (codegen != MatmulCodegen::Auto)
    return codegen;
  return target.floatLanes() == 16 ? MatmulCodegen::Halide
                                   : MatmulCodegen::Mlir;
}
