//===- Manifest.cpp - manifest.json of a compiled model -------------------===//
//
// A human- and tool-readable record of what was compiled and how. The
// runtime does not need it (the library describes itself through
// `tfm_model_info`); tfm-run uses the hash to validate its cache.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"

#include "tfm/Quantization/WeightFormat.h"
#include "tfm/Model/ModelConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using namespace mlir::tfm;


namespace {

/// A file of the compiled directory: its size and XXH3-64 (hex).
struct FileRecord {
  std::string name;
  uint64_t bytes;
  std::string xxh3;
};

llvm::Expected<std::vector<FileRecord>>
recordFiles(llvm::StringRef directory, llvm::ArrayRef<const char *> names) {
  std::vector<FileRecord> records;
  for (const char *name : names) {
    llvm::SmallString<256> path(directory);
    llvm::sys::path::append(path, name);
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!file)
      return llvm::createStringError(file.getError(),
                                     "cannot read " + path + ": " +
                                         file.getError().message());
    llvm::StringRef bytes = (*file)->getBuffer();
    records.push_back({name, bytes.size(),
                       llvm::utohexstr(llvm::xxh3_64bits(
                                           llvm::arrayRefFromStringRef(bytes)),
                                       /*LowerCase=*/true, /*Width=*/16)});
  }
  return records;
}

} // namespace

llvm::Error mlir::tfm::writeManifest(const ModelFile &model,
                                     const CompileOptions &options,
                                     const CpuTarget &target,
                                     int64_t contextLength,
                                     int64_t weightsBytes,
                                     const PrefillWork &prefill,
                                     llvm::StringRef path) {
  llvm::Expected<std::string> hash = hashModelSource(model.path);
  if (!hash)
    return hash.takeError();
  llvm::Expected<std::vector<FileRecord>> files =
      recordFiles(llvm::sys::path::parent_path(path),
                  {kLibraryFileName, kWeightsFileName, kTokenizerFileName});
  if (!files)
    return files.takeError();
  ModelConfig config = compiledConfig(model.config, options);
  std::set<std::string> formats;
  for (const TensorView &view : model.tensors())
    formats.insert(getWeightFormatInfo(view.type).name.str());

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path);
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("tfm_version", TFM_VERSION);
    json.attribute("abi_version", kModelAbiVersion);
    json.attributeObject("source", [&] {
      json.attribute("path", model.path);
      json.attribute("format", stringifyModelFormat(model.format));
      json.attribute("hash", *hash);
      json.attributeArray("weight_formats", [&] {
        for (const std::string &format : formats)
          json.value(format);
      });
    });
    json.attributeObject("hyperparameters", [&] {
      json.attribute("arch", config.architecture);
      json.attribute("vocab_size", config.vocabSize);
      json.attribute("dim", config.dim);
      json.attribute("hidden_dim", config.hiddenDim);
      // The KV cache's layers, as tfm_model_info has them (an
      // encoder-decoder's: twice its decoder's).
      json.attribute("layers", config.cacheLayers());
      if (config.family == ModelFamily::EncoderDecoder)
        json.attribute("encoder_layers", config.numLayers);
      json.attribute("heads", config.numHeads);
      json.attribute("kv_heads", config.numKvHeads);
      json.attribute("head_dim", config.headDim());
      json.attribute("rope_theta", config.ropeTheta);
      json.attribute("norm_eps", config.normEps);
      json.attribute("tied_embeddings", config.tiedEmbeddings);
    });
    json.attributeObject("compile_options", [&] {
      json.attribute("context_length", contextLength);
      json.attribute("target_cpu", options.targetCpu);
      json.attribute("cpu", target.cpu);
      json.attribute("triple", target.triple);
      json.attribute("vector_bits", int64_t(target.vectorBits));
      json.attribute("threads", !options.threads ? "none"
                                : options.threadRuntime == ThreadRuntime::Async
                                    ? "async"
                                    : "openmp");
      json.attribute("weights_type", options.weightFormat);
      json.attributeArray("weights_overrides", [&] {
        for (const std::string &entry : options.weightOverrides)
          json.value(entry);
      });
      if (!options.calibrationText.empty())
        json.attributeObject("calibration", [&] {
          json.attribute("text", options.calibrationText);
          json.attribute("max_tokens", options.calibrationTokens);
          json.attribute("rounding", "gptq");
        });
      json.attribute("kv_cache_type", options.kvType);
      if (options.embeddings)
        json.attribute("embeddings", true);
      // The sliding layers' ring (tfm_sliding_info), when they keep one.
      ModelConfig compiled = config;
      compiled.contextLength = contextLength;
      if (int64_t rows = compiled.slidingRingRows(options.ubatch)) {
        json.attribute("ubatch", options.ubatch);
        json.attribute("sliding_cache_rows", rows);
      }
      if (options.gqaKvHeads > 0)
        json.attribute("converted_to_gqa_from_kv_heads",
                       model.config.numKvHeads);
      json.attribute("f32_matmul",
                     resolveMatmulCodegen(options.f32Matmul, target) ==
                             MatmulCodegen::Halide
                         ? "halide"
                         : "mlir");
      // The formats the generated decode and prefill multiply
      // (GeneratedQuantizedMatmul.cpp).
      static const char *const kGeneratedFormats[] = {"q8_0", "q4_0", "q4_k",
                                                      "q6_k"};
      bool generatedDecode =
          resolveQuantizedDecode(options.quantizedDecode, target) ==
          QuantizedCodegen::Generated;
      json.attribute("quantized_decode",
                     generatedDecode ? "generated" : "kernel");
      if (generatedDecode) {
        json.attribute("decode_dot_product",
                       dotProductName(*decodeDotProduct(target)));
        json.attributeArray("generated_decode_formats", [&] {
          for (const char *format : kGeneratedFormats)
            json.value(format);
        });
      }
      bool generatedPrefill =
          resolveQuantizedPrefill(options.quantizedPrefill, target) ==
          QuantizedCodegen::Generated;
      json.attribute("quantized_prefill",
                     generatedPrefill ? "generated" : "kernel");
      if (generatedPrefill)
        json.attributeArray("generated_prefill_formats", [&] {
          for (const char *format : kGeneratedFormats)
            json.value(format);
        });
      json.attribute("decode_attention",
                     options.decodeAttention == DecodeAttention::Generated
                         ? "generated"
                         : "kernel");
      json.attributeArray("disabled_optimizations", [&] {
        for (const std::string &fusion : options.disabledOptimizations)
          json.value(fusion);
      });
    });
    // A decoder's prefill MACs by kind (tfm-bench: prefill against the
    // compute probe's peaks).
    if (prefill.layerFloatMacs + prefill.layerInt8Macs > 0)
      json.attributeObject("prefill_work", [&] {
        json.attribute("layer_float_macs_per_token", prefill.layerFloatMacs);
        json.attribute("layer_int8_macs_per_token", prefill.layerInt8Macs);
        json.attribute("logits_float_macs", prefill.logitsFloatMacs);
        json.attribute("logits_int8_macs", prefill.logitsInt8Macs);
        json.attribute("attention_macs_per_pair",
                       prefill.attentionMacsPerPair);
      });
    json.attributeObject("files", [&] {
      json.attribute("library", kLibraryFileName);
      json.attribute("weights", kWeightsFileName);
      json.attribute("weights_bytes", weightsBytes);
      json.attribute("tokenizer", kTokenizerFileName);
    });
    // What the runtime checks before it loads anything (sizes always, the
    // library's hash too): a cut or replaced file is an error naming it,
    // not a crash inside the dynamic loader.
    json.attributeObject("integrity", [&] {
      for (const FileRecord &file : *files)
        json.attributeObject(file.name, [&] {
          json.attribute("bytes", int64_t(file.bytes));
          json.attribute("xxh3", file.xxh3);
        });
    });
    // What the vocabulary file holds, for a reader of the manifest; the
    // runtime and the tools read the file itself.
    if (model.vocabulary)
      json.attributeObject("tokenizer", [&] {
        const Vocabulary &vocab = *model.vocabulary;
        json.attribute("model", tokenizerModelName(vocab.model));
        if (vocab.model == TokenizerModel::ByteLevelBpe)
          json.attribute("pre_tokenizer", vocab.preTokenizer);
        json.attribute("tokens", int64_t(vocab.size()));
        json.attribute("bos_id", vocab.bosId);
        json.attribute("eos_id", vocab.eosId);
        json.attribute("has_chat_template", !vocab.chatTemplate.empty());
      });
  });
  os << "\n";
  return llvm::Error::success();
}
