//===- Runtime.cpp - load and run models compiled by tfm-compile ----------===//
//
// The generated library exports `tfm_model_info` (what it was compiled for)
// and one C-interface function per entry point, taking MLIR memref
// descriptors (tfm-lower-entry-points fixes the argument order). This file
// owns everything else: mapping the weights, the KV cache, bounds checks
// and the thread count; the model's tokenizer (vocabulary.bin) for
// tfm_tokenize. POSIX only; no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#include "ContextShift.h"
#include "Integrity.h"
#include "MemRefDescriptor.h"
#include "Status.h"
#include "tfm/Runtime/tfm.h"
#include "tfm/Runtime/tfm_kernels.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {
thread_local std::string lastError;
} // namespace

tfm_status tfm::runtime::fail(tfm_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

using tfm::runtime::fail;

namespace {

/// CPUs this process may run on: its affinity mask, which taskset and
/// container CPU sets narrow (hardware_concurrency counts every CPU online).
int availableCpus() {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 0)
    return CPU_COUNT(&cpus);
  unsigned online = std::thread::hardware_concurrency();
  return online > 0 ? int(online) : 1;
}

using tfm::runtime::MemRef;

template <typename T> MemRef<T, 1> vectorRef(T *data, int64_t size) {
  return {data, data, 0, {size}, {1}};
}

/// Indices into `tfm_model_info` (written by lib/Compiler).
enum ModelInfo {
  kAbiVersion,
  kVocabSize,
  kDim,
  kLayers,
  kKVHeads,
  kHeadDim,
  kMaxContext,
  kWeightsBytes,
  /// Bytes of one KV-cache element (4 f32, 2 f16, 1 q8).
  kKVElementBytes,
  /// Elements of one cached row (one head of one token): head_dim, plus the
  /// 4 bytes of the row's scale for q8.
  kKVRow,
  kInfoSize
};
constexpr int64_t kSupportedAbi = 2;

using EntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                            int64_t, MemRef<float, 5> *, MemRef<float, 2> *);
/// The same in a library whose sliding layers keep a ring
/// (`tfm_sliding_info`): the ring's descriptor follows the cache's.
using RingEntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                                int64_t, MemRef<float, 5> *,
                                MemRef<float, 5> *, MemRef<float, 2> *);
using RingBatchEntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                                     MemRef<int32_t, 1> *, MemRef<int32_t, 1> *,
                                     MemRef<float, 5> *, MemRef<float, 5> *,
                                     MemRef<float, 2> *);
/// `decode_batch(weights, tokens, positions, slots, pool, logits)`.
using BatchEntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                                 MemRef<int32_t, 1> *, MemRef<int32_t, 1> *,
                                 MemRef<float, 5> *, MemRef<float, 2> *);
/// `encode(weights, tokens, token_types, positions, text_starts, hidden)`.
using EncodeEntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                                  MemRef<int32_t, 1> *, MemRef<int32_t, 1> *,
                                  MemRef<int32_t, 1> *, MemRef<float, 2> *);
/// Indices into `tfm_encoder_info` (lib/Compiler's addEncoderInfo).
enum EncoderInfo { kPooling, kTokenTypes, kEncoderInfoSize };
/// An encoder-decoder's `prefill`/`decode(weights, tokens, start,
/// source_tokens, cache, logits)`.
using Seq2SeqEntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                                   int64_t, int64_t, MemRef<float, 5> *,
                                   MemRef<float, 2> *);
/// An encoder-decoder's `encode(weights, tokens, cache)`: the source's
/// cross-attention keys and values into the cache's cross layers.
using SourceEntryPoint = void (*)(MemRef<int8_t, 1> *, MemRef<int32_t, 1> *,
                                  MemRef<float, 5> *);
/// Indices into `tfm_seq2seq_info` (lib/Compiler's addSeq2SeqInfo).
enum Seq2SeqInfo {
  kDecoderStart,
  kDecoderLayers,
  /// Weight bytes a decode step reads (the decoder's, not the encoder's).
  kDecodeBytes,
  kSeq2SeqInfoSize
};
using SetThreads = void (*)(int);

/// An entry point of a library with a ring (`tfm_sliding_info`) as the
/// type it has: the symbol was looked up as the type without the ring.
template <typename RingType, typename Entry> RingType asRingEntryPoint(Entry entry) {
  return reinterpret_cast<RingType>(reinterpret_cast<void *>(entry));
}

/// Where a library's layers keep their keys and values (`tfm_sliding_info`,
/// lib/Compiler's addSlidingInfo): without one, every layer in the cache of
/// the whole context; with one, the sliding-window layers in a ring of
/// `ringRows` positions after it.
struct SlidingLayout {
  int64_t ringRows = 0;
  int64_t window = 0;
  int64_t fullLayers = 0;
  int64_t ringLayers = 0;
  /// Per model layer: its cache is the ring.
  std::vector<bool> inRing;

  bool hasRing() const { return ringRows > 0; }
  /// The model layer of each layer of the full cache (ring: of the ring).
  std::vector<int64_t> modelLayers(bool ring) const {
    std::vector<int64_t> layers;
    for (size_t layer = 0; layer < inRing.size(); ++layer)
      if (inRing[layer] == ring)
        layers.push_back(int64_t(layer));
    return layers;
  }
};

} // namespace

struct tfm_model {
  void *library = nullptr;
  void *weights = nullptr;
  size_t weightsBytes = 0;
  /// Bytes of the weights' mapping (whole huge pages when read into memory).
  size_t mappedBytes = 0;
  int64_t info[kInfoSize] = {};
  SlidingLayout sliding;
  /// With a ring (sliding.hasRing()) these are RingEntryPoints and
  /// decodeBatch a RingBatchEntryPoint.
  EntryPoint prefill = nullptr;
  EntryPoint decode = nullptr;
  /// One decode step of contexts of a group; null in libraries compiled
  /// before it existed and for models without it (learned positions).
  BatchEntryPoint decodeBatch = nullptr;
  /// `embed`: the final hidden states of a prompt; null unless compiled
  /// with --embeddings.
  EntryPoint embed = nullptr;
  /// An encoder's (BERT) only entry point; null in decoder libraries,
  /// whose prefill and decode it has instead.
  EncodeEntryPoint encode = nullptr;
  int64_t encoderInfo[kEncoderInfoSize] = {};
  /// An encoder-decoder's (T5) encoder; its prefill and decode are then
  /// Seq2SeqEntryPoints.
  SourceEntryPoint encodeSource = nullptr;
  Seq2SeqEntryPoint seq2seqPrefill = nullptr;
  Seq2SeqEntryPoint seq2seqDecode = nullptr;
  int64_t seq2seqInfo[kSeq2SeqInfoSize] = {};
  SetThreads setThreads = nullptr;
  /// How the cached keys were rotated (`tfm_rope_info`), for
  /// tfm_context_shift; null in libraries compiled before it existed.
  const double *ropeInfo = nullptr;
  /// The cache's bfloat16 rows (`tfm_kv_element` is TFM_KV_BF16); libraries
  /// without the symbol have f16 rows where elements are 2 bytes.
  bool kvBFloat16 = false;
  /// The kernels' time counters (`tfm_kernel_counters`: on, attention ns).
  int64_t *kernelCounters = nullptr;
  /// The tokenizer of vocabulary.bin, or why there is none (tfm_tokenize
  /// reports it; the model runs without one).
  std::unique_ptr<mlir::tfm::Tokenizer> tokenizer;
  tfm_status tokenizerStatus = TFM_OK;
  std::string tokenizerError;

  ~tfm_model() {
    if (weights)
      munmap(weights, mappedBytes);
    if (library)
      dlclose(library);
  }
};

/// The KV caches of the contexts of tfm_context_create_group, one after
/// the other in one mapping: a batched decode step hands them to the model
/// as one pool.
struct ContextGroup {
  void *caches = nullptr;
  /// The first context's ring, where the rings' pool starts (null without
  /// rings).
  float *rings = nullptr;
  size_t mappedBytes = 0;
  int32_t size = 0;
  /// The rows of logits of the last batched step.
  std::vector<float> logits;

  ~ContextGroup() {
    if (caches)
      munmap(caches, mappedBytes);
  }
};

struct tfm_context {
  tfm_model *model = nullptr;
  /// The group whose mapping holds this context's cache (cache number
  /// `slot`), or null when the context owns its cache.
  std::shared_ptr<ContextGroup> group;
  int32_t slot = 0;
  int64_t length = 0;
  int threads = 1;
  int64_t position = 0;
  float *cache = nullptr;
  /// The sliding layers' ring (null without one), after the cache in the
  /// same mapping: `ringRows` rows a layer (the model's, or the context's
  /// length if shorter).
  float *ring = nullptr;
  int64_t ringRows = 0;
  /// Bytes of both.
  size_t cacheBytes = 0;
  /// Bytes of the cache's mapping (whole huge pages).
  size_t cacheMappedBytes = 0;
  std::vector<float> logits;
  /// tfm_encode's packed batch (positions, text starts, types) and hidden
  /// states, kept across calls: fresh pages for each call's states cost a
  /// page fault per 4 KiB.
  std::vector<int32_t> encodePositions, encodeStarts, encodeTypes;
  std::vector<float> encodeStates;
  /// An encoder-decoder's: tokens of the source tfm_encode_source wrote
  /// into the cross layers (0: none yet).
  int64_t sourceTokens = 0;

  ~tfm_context() {
    if (cache && !group)
      munmap(cache, cacheMappedBytes);
  }
};

namespace {

std::string join(const char *dir, const char *file) {
  return std::string(dir) + "/" + file;
}

/// Transparent huge pages: the unit of the weights' anonymous mapping.
constexpr size_t kHugePage = size_t(2) << 20;

size_t roundUp(size_t bytes, size_t unit) { return (bytes + unit - 1) / unit * unit; }

/// `bytes` of the file `fd` read into `data`; false on a read error or a
/// short file (errno set).
bool readAll(int fd, uint8_t *data, size_t bytes) {
  size_t done = 0;
  while (done < bytes) {
    ssize_t got = pread(fd, data + done, std::min(bytes - done, kHugePage * 32),
                        off_t(done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      if (got == 0)
        errno = EIO;
      return false;
    }
    done += size_t(got);
  }
  return true;
}

/// At least `bytes` of zeroed anonymous memory starting at a 2 MiB
/// boundary, advised for transparent huge pages; the mapping's length
/// (whole huge pages) in `mappedBytes`. MAP_FAILED with errno set on
/// failure. Without transparent huge pages the advice does nothing.
void *mapHugePages(size_t bytes, size_t &mappedBytes) {
  size_t rounded = roundUp(bytes, kHugePage);
  // One huge page more, so that a 2 MiB-aligned start fits.
  size_t reserved = rounded + kHugePage;
  void *region = mmap(nullptr, reserved, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED)
    return MAP_FAILED;
  auto *regionBytes = static_cast<uint8_t *>(region);
  auto *start = reinterpret_cast<uint8_t *>(
      roundUp(reinterpret_cast<uintptr_t>(region), kHugePage));
  if (start > regionBytes)
    munmap(region, size_t(start - regionBytes));
  if (size_t tail = reserved - size_t(start - regionBytes) - rounded)
    munmap(start + rounded, tail);
  madvise(start, rounded, MADV_HUGEPAGE);
  mappedBytes = rounded;
  return start;
}

/// The weights read from the file into huge-page memory, then made
/// read-only. A decode step streams every weight once; with the 4 KiB pages
/// of a file mapping, llama-110m's q4_0 matrices streamed 20-30% slower (a
/// TLB miss and a hardware-prefetch restart at every page;
/// docs/performance.md). TFM_WEIGHTS=mmap keeps the file mapping (loaded
/// lazily, shared with the page cache). Returns MAP_FAILED with errno set
/// on failure.
void *readWeights(int fd, size_t bytes, size_t &mappedBytes) {
  auto *start = static_cast<uint8_t *>(mapHugePages(bytes, mappedBytes));
  if (static_cast<void *>(start) == MAP_FAILED)
    return MAP_FAILED;
  if (!readAll(fd, start, bytes)) {
    int error = errno;
    munmap(start, mappedBytes);
    errno = error;
    return MAP_FAILED;
  }
  mprotect(start, mappedBytes, PROT_READ);
  return start;
}

tfm_status mapWeights(tfm_model &model, const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return fail(TFM_ERROR_IO, path + ": " + std::strerror(errno));
  struct stat status;
  if (fstat(fd, &status) != 0 ||
      status.st_size != static_cast<off_t>(model.info[kWeightsBytes])) {
    close(fd);
    return fail(TFM_ERROR_FORMAT,
                path + ": size does not match the library (" +
                    std::to_string(model.info[kWeightsBytes]) + " bytes)");
  }
  model.weightsBytes = status.st_size;
  const char *mode = std::getenv("TFM_WEIGHTS");
  bool fileMapping = mode && std::strcmp(mode, "mmap") == 0;
  if (mode && !fileMapping && *mode) {
    close(fd);
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                std::string("TFM_WEIGHTS must be 'mmap' or unset, got '") +
                    mode + "'");
  }
  void *data;
  if (fileMapping) {
    data = mmap(nullptr, model.weightsBytes, PROT_READ, MAP_PRIVATE, fd, 0);
    model.mappedBytes = model.weightsBytes;
  } else {
    data = readWeights(fd, model.weightsBytes, model.mappedBytes);
  }
  int error = errno;
  close(fd);
  if (data == MAP_FAILED)
    return fail(TFM_ERROR_IO, path + ": " +
                                  (fileMapping ? "mmap: " : "reading: ") +
                                  std::strerror(error));
  model.weights = data;
  return TFM_OK;
}

/// The library's `tfm_sliding_info`, checked against its cache layers.
tfm_status loadSlidingLayout(tfm_model &model, const std::string &path) {
  const auto *info = static_cast<const int64_t *>(
      dlsym(model.library, "tfm_sliding_info"));
  if (!info)
    return TFM_OK;
  SlidingLayout &layout = model.sliding;
  layout.ringRows = info[0];
  layout.window = info[1];
  layout.fullLayers = info[2];
  layout.ringLayers = info[3];
  int64_t layers = model.info[kLayers];
  bool valid = model.decode && !model.encodeSource && layout.window > 0 &&
               layout.ringRows >= layout.window && layout.fullLayers >= 0 &&
               layout.ringLayers > 0 &&
               layout.fullLayers + layout.ringLayers == layers;
  for (int64_t layer = 0; valid && layer < layers; ++layer)
    layout.inRing.push_back(info[4 + layer] != 0);
  if (!valid || int64_t(std::count(layout.inRing.begin(), layout.inRing.end(),
                                   true)) != layout.ringLayers)
    return fail(TFM_ERROR_FORMAT,
                path + ": tfm_sliding_info does not fit the model (ring rows, "
                       "window, layers): recompile it");
  return TFM_OK;
}

tfm_status loadLibrary(tfm_model &model, const std::string &path) {
  model.library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model.library)
    return fail(TFM_ERROR_IO, dlerror());
  auto *info =
      static_cast<const int64_t *>(dlsym(model.library, "tfm_model_info"));
  model.prefill = reinterpret_cast<EntryPoint>(
      dlsym(model.library, "_mlir_ciface_prefill"));
  model.decode = reinterpret_cast<EntryPoint>(
      dlsym(model.library, "_mlir_ciface_decode"));
  model.decodeBatch = reinterpret_cast<BatchEntryPoint>(
      dlsym(model.library, "_mlir_ciface_decode_batch"));
  model.embed =
      reinterpret_cast<EntryPoint>(dlsym(model.library, "_mlir_ciface_embed"));
  model.encode = reinterpret_cast<EncodeEntryPoint>(
      dlsym(model.library, "_mlir_ciface_encode"));
  auto *encoderInfo = static_cast<const int64_t *>(
      dlsym(model.library, "tfm_encoder_info"));
  auto *seq2seqInfo = static_cast<const int64_t *>(
      dlsym(model.library, "tfm_seq2seq_info"));
  bool decoder = model.prefill && model.decode;
  // An encoder-decoder's `encode` has its own signature.
  if (decoder && model.encode && seq2seqInfo) {
    model.encodeSource = reinterpret_cast<SourceEntryPoint>(
        dlsym(model.library, "_mlir_ciface_encode"));
    model.seq2seqPrefill = reinterpret_cast<Seq2SeqEntryPoint>(
        dlsym(model.library, "_mlir_ciface_prefill"));
    model.seq2seqDecode = reinterpret_cast<Seq2SeqEntryPoint>(
        dlsym(model.library, "_mlir_ciface_decode"));
    model.encode = nullptr;
    std::memcpy(model.seq2seqInfo, seq2seqInfo, sizeof(model.seq2seqInfo));
  }
  bool encoder = model.encode && encoderInfo;
  if (!info || decoder == encoder)
    return fail(TFM_ERROR_FORMAT, path + ": not a tfm model library");
  if (encoder)
    std::memcpy(model.encoderInfo, encoderInfo, sizeof(model.encoderInfo));
  if (info[kAbiVersion] != kSupportedAbi)
    return fail(TFM_ERROR_FORMAT,
                path + ": ABI version " + std::to_string(info[kAbiVersion]) +
                    ", this runtime reads " + std::to_string(kSupportedAbi));
  std::memcpy(model.info, info, sizeof(model.info));
  // An encoder-decoder's description must agree with the cache and the
  // weights it describes.
  if (model.encodeSource &&
      (model.seq2seqInfo[kDecoderStart] < 0 ||
       model.seq2seqInfo[kDecoderStart] >= info[kVocabSize] ||
       2 * model.seq2seqInfo[kDecoderLayers] != info[kLayers] ||
       model.seq2seqInfo[kDecodeBytes] <= 0 ||
       model.seq2seqInfo[kDecodeBytes] > info[kWeightsBytes]))
    return fail(TFM_ERROR_FORMAT,
                path + ": tfm_seq2seq_info does not fit the model (start "
                       "token, decoder layers, decode bytes): recompile it");
  // MLIR's async runtime (`--thread-runtime async`) releases a caller once
  // the last task of a parallel loop has emplaced its token; that task then
  // still finishes its coroutine in this library's code, on a worker
  // thread. Unmapping the library in tfm_model_free could pull the code
  // out from under it (a crash seen at exit), so such a library stays
  // mapped until the process ends.
  if (dlsym(model.library, "mlirAsyncRuntimeExecute"))
    if (void *pinned = dlopen(path.c_str(),
                              RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD | RTLD_NODELETE))
      dlclose(pinned);
  model.ropeInfo =
      static_cast<const double *>(dlsym(model.library, "tfm_rope_info"));
  model.kernelCounters =
      static_cast<int64_t *>(dlsym(model.library, "tfm_kernel_counters"));
  if (const auto *element = static_cast<const int64_t *>(
          dlsym(model.library, "tfm_kv_element")))
    model.kvBFloat16 = *element == TFM_KV_BF16;
  if (model.ropeInfo) {
    double rotaryDim = model.ropeInfo[0];
    if (!(rotaryDim >= 0 && rotaryDim <= double(info[kHeadDim]) &&
          int64_t(rotaryDim) % 2 == 0))
      return fail(TFM_ERROR_FORMAT, path + ": tfm_rope_info has " +
                                        std::to_string(rotaryDim) +
                                        " rotary dims for heads of " +
                                        std::to_string(info[kHeadDim]));
  }
  if (tfm_status status = loadSlidingLayout(model, path))
    return status;
  // Present when the library was compiled with threads (it links libomp).
  model.setThreads =
      reinterpret_cast<SetThreads>(dlsym(model.library, "omp_set_num_threads"));
  return TFM_OK;
}

/// Whether the `n` token ids are in the model's vocabulary.
tfm_status checkVocabulary(const tfm_model &model, const int32_t *tokens,
                           int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= model.info[kVocabSize])
      return fail(TFM_ERROR_INVALID_ARGUMENT,
                  "token id " + std::to_string(tokens[i]) +
                      " is outside the vocabulary of " +
                      std::to_string(model.info[kVocabSize]));
  return TFM_OK;
}

/// Whether the `n` tokens are in the vocabulary and fit the rest of the
/// context.
tfm_status checkTokens(const tfm_context &context, const int32_t *tokens,
                       int32_t n) {
  if (tfm_status status = checkVocabulary(*context.model, tokens, n))
    return status;
  if (context.position + n > context.length)
    return fail(TFM_ERROR_CONTEXT_FULL,
                std::to_string(n) + " tokens at position " +
                    std::to_string(context.position) +
                    " do not fit the context of " +
                    std::to_string(context.length) + " tokens");
  return TFM_OK;
}

/// The descriptor of `context`'s whole cache (it does not depend on the
/// element type).
/// A cache descriptor of `layers` layers of `rows` rows at `data`.
MemRef<float, 5> cacheDescriptor(const tfm_model &model, float *data,
                                 int64_t layers, int64_t rows) {
  int64_t kvHeads = model.info[kKVHeads], row = model.info[kKVRow];
  return {data,
          data,
          0,
          {layers, 2, kvHeads, rows, row},
          {2 * kvHeads * rows * row, kvHeads * rows * row, rows * row, row, 1}};
}

/// Bytes of one position of one layer's cache: its keys and values.
size_t kvPositionBytes(const tfm_model &model) {
  return size_t(2 * model.info[kKVHeads]) * size_t(model.info[kKVRow]) *
         size_t(model.info[kKVElementBytes]);
}

/// Layers of the cache of the whole context.
int64_t fullCacheLayers(const tfm_model &model) {
  return model.sliding.hasRing() ? model.sliding.fullLayers
                                 : model.info[kLayers];
}

MemRef<float, 5> cacheRef(const tfm_context &context) {
  return cacheDescriptor(*context.model, context.cache,
                         fullCacheLayers(*context.model), context.length);
}

/// The ring's descriptor (the sliding layers' cache).
MemRef<float, 5> ringRef(const tfm_context &context) {
  return cacheDescriptor(*context.model, context.ring,
                         context.model->sliding.ringLayers, context.ringRows);
}

/// Most tokens one call may run: a ring shorter than the context holds
/// the window of the call's first token and the call's own tokens.
int64_t tokensPerCall(const tfm_context &context) {
  const SlidingLayout &sliding = context.model->sliding;
  if (!sliding.hasRing() || context.ringRows >= context.length)
    return context.length;
  return context.ringRows - sliding.window + 1;
}

/// Runs `n` tokens through `entry` at the context's position; its output
/// (`rows` x `columns`, default one row of logits) goes to `output` (default
/// the context's logits).
tfm_status run(tfm_context *context, EntryPoint entry, const int32_t *tokens,
               int32_t n, const float **logits, float *output = nullptr,
               int64_t rows = 1, int64_t columns = 0) {
  if (!context || !tokens || !logits || n <= 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "null argument or no tokens to run");
  if (!entry)
    return fail(TFM_ERROR_FORMAT, "an encoder model (BERT) runs through "
                                  "tfm_encode or tfm_embed, not a decoder's "
                                  "calls");
  if (tfm_status status = checkTokens(*context, tokens, n))
    return status;
  tfm_model &model = *context->model;
  if (model.encodeSource && context->sourceTokens == 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "an encoder-decoder model (T5) decodes after "
                "tfm_encode_source: no source text is encoded");

  int64_t vocab = model.info[kVocabSize];
  auto weights = vectorRef(static_cast<int8_t *>(model.weights),
                           int64_t(model.weightsBytes));
  auto tokenRef = vectorRef(const_cast<int32_t *>(tokens), int64_t(n));
  MemRef<float, 5> cache = cacheRef(*context);
  if (!output) {
    output = context->logits.data();
    columns = vocab;
  }
  if (model.setThreads)
    model.setThreads(context->threads);
  if (model.encodeSource) {
    // The same functions with the source's token count.
    MemRef<float, 2> out = {output, output, 0, {rows, columns}, {columns, 1}};
    Seq2SeqEntryPoint seq2seq = entry == model.prefill ? model.seq2seqPrefill
                                                       : model.seq2seqDecode;
    seq2seq(&weights, &tokenRef, context->position, context->sourceTokens,
            &cache, &out);
    context->position += n;
    *logits = output;
    return TFM_OK;
  }
  // A ring takes the tokens in calls of at most tokensPerCall; an output
  // with a row per token advances with them.
  bool rowPerToken = rows == n;
  int64_t step = tokensPerCall(*context);
  for (int64_t done = 0; done < n; done += step) {
    int64_t count = std::min<int64_t>(step, n - done);
    tokenRef = vectorRef(const_cast<int32_t *>(tokens) + done, count);
    float *rowsOut = rowPerToken ? output + done * columns : output;
    MemRef<float, 2> out = {rowsOut, rowsOut, 0,
                            {rowPerToken ? count : rows, columns},
                            {columns, 1}};
    if (model.sliding.hasRing()) {
      MemRef<float, 5> ring = ringRef(*context);
      asRingEntryPoint<RingEntryPoint>(entry)(
          &weights, &tokenRef, context->position, &cache, &ring, &out);
    } else {
      entry(&weights, &tokenRef, context->position, &cache, &out);
    }
    context->position += count;
  }
  *logits = output;
  return TFM_OK;
}

/// A context of `model` without its cache (checked arguments, length,
/// threads, cache size, logits).
tfm_status newContext(tfm_model *model, int32_t contextLength, int32_t threads,
                      void *out, std::unique_ptr<tfm_context> &created) {
  if (!model || !out || contextLength < 0 || threads < 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "null argument or negative context length or thread count");
  int64_t maxContext = model->info[kMaxContext];
  if (contextLength > maxContext)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "context length " + std::to_string(contextLength) +
                    " exceeds the compiled maximum of " +
                    std::to_string(maxContext) +
                    " (recompile with a larger --context)");
  created.reset(new (std::nothrow) tfm_context);
  if (!created)
    return fail(TFM_ERROR_OUT_OF_MEMORY, "out of memory");
  created->model = model;
  created->length = contextLength > 0 ? contextLength : maxContext;
  // Capped at the CPUs: with OpenMP's barrier at the end of every loop,
  // llama-110m q4_0 decoded ~200 tok/s with 2 threads on 2 CPUs and 2.9
  // with 3.
  int cpus = availableCpus();
  created->threads = threads > 0 ? std::min(int(threads), cpus) : cpus;
  // An encoder keeps no KV cache.
  if (!model->encode) {
    created->ringRows =
        std::min<int64_t>(model->sliding.ringRows, created->length);
    created->cacheBytes =
        kvPositionBytes(*model) *
        (size_t(fullCacheLayers(*model)) * created->length +
         size_t(model->sliding.ringLayers) * created->ringRows);
  }
  created->logits.resize(model->info[kVocabSize]);
  return TFM_OK;
}

/// Whether the `n` contexts are distinct caches of one group that the
/// model's batched entry point can run in one call.
bool sharesCompiledBatch(tfm_context *const *contexts, int32_t n) {
  const tfm_context &first = *contexts[0];
  if (!first.model->decodeBatch || !first.group)
    return false;
  for (int32_t i = 1; i < n; ++i)
    if (contexts[i]->group != first.group)
      return false;
  return true;
}

/// One call of `decode_batch` for checked contexts of one group.
void runBatch(tfm_context *const *contexts, const int32_t *tokens, int32_t n,
              const float **logits) {
  tfm_context &first = *contexts[0];
  tfm_model &model = *first.model;
  ContextGroup &group = *first.group;
  int64_t vocab = model.info[kVocabSize];
  std::vector<int32_t> positions(static_cast<size_t>(n));
  std::vector<int32_t> slots(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    positions[size_t(i)] = int32_t(contexts[i]->position);
    slots[size_t(i)] = contexts[i]->slot;
  }
  auto weights = vectorRef(static_cast<int8_t *>(model.weights),
                           int64_t(model.weightsBytes));
  auto tokenRef = vectorRef(const_cast<int32_t *>(tokens), int64_t(n));
  auto positionRef = vectorRef(positions.data(), int64_t(n));
  auto slotRef = vectorRef(slots.data(), int64_t(n));
  // The group's caches as pools: its full caches, then its rings
  // (placeCaches), each context's being slot `slot` of each.
  MemRef<float, 5> pool =
      cacheDescriptor(model, static_cast<float *>(group.caches),
                      int64_t(group.size) * fullCacheLayers(model),
                      first.length);
  group.logits.resize(size_t(n) * size_t(vocab));
  MemRef<float, 2> out = {group.logits.data(), group.logits.data(), 0,
                          {n, vocab}, {vocab, 1}};
  if (model.setThreads)
    model.setThreads(first.threads);
  if (model.sliding.hasRing()) {
    MemRef<float, 5> rings = cacheDescriptor(
        model, group.rings, int64_t(group.size) * model.sliding.ringLayers,
        first.ringRows);
    asRingEntryPoint<RingBatchEntryPoint>(model.decodeBatch)(
        &weights, &tokenRef, &positionRef, &slotRef, &pool, &rings, &out);
  } else {
    model.decodeBatch(&weights, &tokenRef, &positionRef, &slotRef, &pool,
                      &out);
  }
  for (int32_t i = 0; i < n; ++i) {
    tfm_context &context = *contexts[i];
    std::copy_n(group.logits.data() + size_t(i) * size_t(vocab), vocab,
                context.logits.data());
    context.position += 1;
    logits[i] = context.logits.data();
  }
}

/// Reads DIR/vocabulary.bin (the vocabulary of the model,
/// serializeVocabulary's format); a missing or malformed file is
/// remembered, not fatal.
void loadTokenizer(tfm_model &model, const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat status;
  if (fd < 0 || fstat(fd, &status) != 0) {
    model.tokenizerStatus = TFM_ERROR_IO;
    model.tokenizerError = path + ": " + std::strerror(errno);
    if (fd >= 0)
      close(fd);
    return;
  }
  std::vector<uint8_t> bytes(size_t(status.st_size));
  bool read = readAll(fd, bytes.data(), bytes.size());
  close(fd);
  if (!read) {
    model.tokenizerStatus = TFM_ERROR_IO;
    model.tokenizerError = path + ": " + std::strerror(errno);
    return;
  }
  mlir::tfm::Vocabulary vocabulary;
  if (std::optional<mlir::tfm::TokenizerError> error =
          mlir::tfm::parseVocabularyBytes(
              bytes.data(), bytes.size(), model.info[kVocabSize], vocabulary)) {
    model.tokenizerStatus = TFM_ERROR_FORMAT;
    model.tokenizerError =
        path + ": " +
        (error->offset ? "offset " + std::to_string(*error->offset) + ": "
                       : std::string()) +
        error->message;
    return;
  }
  model.tokenizer = std::make_unique<mlir::tfm::Tokenizer>(std::move(vocabulary));
}

/// The status tokenizerOf recorded for `model`.
tfm_status lastErrorStatus(const tfm_model *model) {
  return model ? model->tokenizerStatus : TFM_ERROR_INVALID_ARGUMENT;
}

/// The tokenizer of `model`, or null with the error recorded.
const mlir::tfm::Tokenizer *tokenizerOf(const tfm_model *model) {
  if (!model) {
    fail(TFM_ERROR_INVALID_ARGUMENT, "null model");
    return nullptr;
  }
  if (!model->tokenizer)
    fail(model->tokenizerStatus, model->tokenizerError);
  return model->tokenizer.get();
}

} // namespace

extern "C" {

const char *tfm_last_error(void) { return lastError.c_str(); }

tfm_status tfm_model_load(const char *dir, tfm_model **model) {
  if (!dir || !model)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "null argument");
  auto loaded = std::unique_ptr<tfm_model>(new (std::nothrow) tfm_model);
  if (!loaded)
    return fail(TFM_ERROR_OUT_OF_MEMORY, "out of memory");
  // Sizes and the library's hash first: a cut library must not reach the
  // dynamic loader (it dies of SIGBUS there).
  tfm::runtime::ManifestFacts facts;
  if (tfm_status status = tfm::runtime::checkCompiledDirectory(dir, facts))
    return status;
  if (tfm_status status = loadLibrary(*loaded, join(dir, "libtfm_model.so")))
    return status;
  const int64_t *info = loaded->info;
  if (tfm_status status = tfm::runtime::checkManifestAgainstLibrary(
          dir, facts,
          {{"vocab_size", info[kVocabSize]},
           {"dim", info[kDim]},
           {"layers", info[kLayers]},
           {"kv_heads", info[kKVHeads]},
           {"head_dim", info[kHeadDim]},
           {"context_length", info[kMaxContext]}}))
    return status;
  if (tfm_status status = mapWeights(*loaded, join(dir, "weights.bin")))
    return status;
  loadTokenizer(*loaded,
                join(dir, mlir::tfm::kCompiledVocabularyFileName));
  *model = loaded.release();
  return TFM_OK;
}

void tfm_model_free(tfm_model *model) { delete model; }

int32_t tfm_model_vocab_size(const tfm_model *model) {
  return int32_t(model->info[kVocabSize]);
}

int32_t tfm_model_max_context(const tfm_model *model) {
  return int32_t(model->info[kMaxContext]);
}

size_t tfm_model_weights_bytes(const tfm_model *model) {
  return model->weightsBytes;
}

size_t tfm_model_bytes_per_token(const tfm_model *model) {
  if (model->encodeSource)
    return size_t(model->seq2seqInfo[kDecodeBytes]);
  size_t row = model->info[kDim] * sizeof(float);
  size_t table = model->info[kVocabSize] * row;
  return model->weightsBytes - table + row;
}

/// Points `context`'s cache (and ring) at context `slot` of `count`
/// contexts' caches at `block`: their full caches one after the other,
/// then their rings (so that each kind is one pool for decode_batch).
void placeCaches(tfm_context &context, uint8_t *block, int32_t count,
                 int32_t slot) {
  const tfm_model &model = *context.model;
  size_t fullBytes = kvPositionBytes(model) * size_t(fullCacheLayers(model)) *
                     size_t(context.length);
  size_t ringBytes = context.cacheBytes - fullBytes;
  context.cache = reinterpret_cast<float *>(block + fullBytes * size_t(slot));
  if (model.sliding.hasRing())
    context.ring = reinterpret_cast<float *>(
        block + fullBytes * size_t(count) + ringBytes * size_t(slot));
}

tfm_status tfm_context_create(tfm_model *model, int32_t contextLength,
                              int32_t threads, tfm_context **context) {
  std::unique_ptr<tfm_context> created;
  if (tfm_status status =
          newContext(model, contextLength, threads, context, created))
    return status;
  // Huge pages as for the weights: a decode step reads the cache of every
  // layer. The mapping is zeroed and committed as positions are written.
  if (created->cacheBytes > 0) {
    void *cache =
        mapHugePages(created->cacheBytes, created->cacheMappedBytes);
    if (cache == MAP_FAILED)
      return fail(TFM_ERROR_OUT_OF_MEMORY,
                  "cannot allocate a KV cache of " +
                      std::to_string(created->cacheBytes) + " bytes");
    placeCaches(*created, static_cast<uint8_t *>(cache), 1, 0);
  }
  *context = created.release();
  return TFM_OK;
}

tfm_status tfm_context_create_group(tfm_model *model, int32_t n,
                                    int32_t contextLength, int32_t threads,
                                    tfm_context **contexts) {
  if (n <= 0 || !contexts)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_context_create_group: null contexts or n <= 0");
  if (model && model->encodeSource)
    return fail(TFM_ERROR_FORMAT, "tfm_context_create_group: an "
                                  "encoder-decoder model (T5) decodes one "
                                  "context a call");
  if (model && model->encode)
    return fail(TFM_ERROR_FORMAT, "tfm_context_create_group: an encoder "
                                  "model has no KV caches to group");
  std::vector<std::unique_ptr<tfm_context>> created(static_cast<size_t>(n));
  for (std::unique_ptr<tfm_context> &one : created)
    if (tfm_status status =
            newContext(model, contextLength, threads, contexts, one))
      return status;
  auto group = std::make_shared<ContextGroup>();
  size_t bytes = created.front()->cacheBytes;
  group->caches = mapHugePages(bytes * size_t(n), group->mappedBytes);
  if (group->caches == MAP_FAILED) {
    group->caches = nullptr;
    return fail(TFM_ERROR_OUT_OF_MEMORY,
                "cannot allocate " + std::to_string(n) + " KV caches of " +
                    std::to_string(bytes) + " bytes");
  }
  group->size = n;
  for (int32_t i = 0; i < n; ++i) {
    tfm_context &context = *created[size_t(i)];
    context.group = group;
    context.slot = i;
    placeCaches(context, static_cast<uint8_t *>(group->caches), n, i);
    if (i == 0)
      group->rings = context.ring;
    context.cacheMappedBytes = bytes;
    contexts[i] = created[size_t(i)].release();
  }
  return TFM_OK;
}

void tfm_context_free(tfm_context *context) { delete context; }

tfm_status tfm_prefill(tfm_context *context, const int32_t *tokens, int32_t n,
                       const float **logits) {
  if (!context)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "null context");
  return run(context, context->model->prefill, tokens, n, logits);
}

tfm_status tfm_decode(tfm_context *context, int32_t token,
                      const float **logits) {
  if (!context)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "null context");
  return run(context, context->model->decode, &token, 1, logits);
}

tfm_status tfm_decode_batch(tfm_context *const *contexts,
                            const int32_t *tokens, int32_t n,
                            const float **logits) {
  if (!contexts || !tokens || !logits || n <= 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_decode_batch: null argument or no contexts");
  // Every check before any work: a batch runs whole or not at all.
  for (int32_t i = 0; i < n; ++i) {
    const tfm_context *context = contexts[i];
    if (!context)
      return fail(TFM_ERROR_INVALID_ARGUMENT,
                  "tfm_decode_batch: context " + std::to_string(i) +
                      " is null");
    if (context->model != contexts[0]->model ||
        context->threads != contexts[0]->threads)
      return fail(TFM_ERROR_INVALID_ARGUMENT,
                  "tfm_decode_batch: context " + std::to_string(i) +
                      " has another model or thread count than context 0");
    for (int32_t j = 0; j < i; ++j)
      if (contexts[j] == context)
        return fail(TFM_ERROR_INVALID_ARGUMENT,
                    "tfm_decode_batch: contexts " + std::to_string(j) +
                        " and " + std::to_string(i) + " are the same");
    if (tfm_status status = checkTokens(*context, &tokens[i], 1))
      return status;
  }
  if (sharesCompiledBatch(contexts, n)) {
    runBatch(contexts, tokens, n, logits);
    return TFM_OK;
  }
  for (int32_t i = 0; i < n; ++i)
    if (tfm_status status = run(contexts[i], contexts[i]->model->decode,
                                &tokens[i], 1, &logits[i]))
      return status;
  return TFM_OK;
}

int32_t tfm_model_embedding_size(const tfm_model *model) {
  return model && (model->embed || model->encode) ? int32_t(model->info[kDim])
                                                  : 0;
}

int tfm_model_is_encoder(const tfm_model *model) {
  return model && model->encode ? 1 : 0;
}

tfm_pooling tfm_model_pooling(const tfm_model *model) {
  if (!model || !model->encode)
    return TFM_POOLING_LAST;
  switch (model->encoderInfo[kPooling]) {
  case 0:
    return TFM_POOLING_NONE;
  case 2:
    return TFM_POOLING_CLS;
  case 3:
    return TFM_POOLING_LAST;
  default:
    return TFM_POOLING_MEAN;
  }
}

int32_t tfm_model_token_types(const tfm_model *model) {
  return model && model->encode ? int32_t(model->encoderInfo[kTokenTypes])
                                : 0;
}

namespace {

bool isPooling(tfm_pooling pooling) {
  return pooling == TFM_POOLING_LAST || pooling == TFM_POOLING_MEAN ||
         pooling == TFM_POOLING_CLS || pooling == TFM_POOLING_NONE;
}

/// `row` (`dim` floats) scaled to unit length (a zero row stays zero).
void normalizeRow(float *row, int64_t dim) {
  double norm = 0.0;
  for (int64_t j = 0; j < dim; ++j)
    norm += double(row[j]) * row[j];
  if (norm > 0.0)
    for (int64_t j = 0; j < dim; ++j)
      row[j] = float(row[j] / std::sqrt(norm));
}

/// One embedding of the `n` hidden states (`dim` floats each) at `hidden`,
/// pooled as `pooling` says (not NONE), into `out`.
void poolRows(const float *hidden, int32_t n, int64_t dim,
              tfm_pooling pooling, float *out) {
  if (pooling == TFM_POOLING_LAST || pooling == TFM_POOLING_CLS) {
    const float *row =
        hidden + size_t(pooling == TFM_POOLING_LAST ? n - 1 : 0) * size_t(dim);
    std::copy(row, row + dim, out);
    return;
  }
  for (int64_t j = 0; j < dim; ++j) {
    double sum = 0.0;
    for (int32_t i = 0; i < n; ++i)
      sum += hidden[size_t(i) * size_t(dim) + size_t(j)];
    out[j] = float(sum / n);
  }
}

/// Whether the texts of a tfm_encode call are ones the model can run: ids
/// in the vocabulary, token types in the model's table, every text
/// non-empty and within the positions.
tfm_status checkTexts(const tfm_context &context, const int32_t *tokens,
                      const int32_t *tokenTypes, const int32_t *lengths,
                      int32_t texts) {
  const tfm_model &model = *context.model;
  int64_t types = std::max<int64_t>(model.encoderInfo[kTokenTypes], 1);
  int64_t row = 0;
  for (int32_t t = 0; t < texts; ++t) {
    if (lengths[t] <= 0)
      return fail(TFM_ERROR_INVALID_ARGUMENT,
                  "tfm_encode: text " + std::to_string(t) + " is empty");
    if (lengths[t] > context.length)
      return fail(TFM_ERROR_CONTEXT_FULL,
                  "tfm_encode: text " + std::to_string(t) + " has " +
                      std::to_string(lengths[t]) +
                      " tokens, more than the model's " +
                      std::to_string(context.length) + " positions");
    if (tfm_status status = checkVocabulary(model, tokens + row, lengths[t]))
      return status;
    for (int32_t i = 0; i < lengths[t]; ++i, ++row) {
      if (tokenTypes && (tokenTypes[row] < 0 || tokenTypes[row] >= types))
        return fail(TFM_ERROR_INVALID_ARGUMENT,
                    "token type " + std::to_string(tokenTypes[row]) +
                        " (text " + std::to_string(t) + ") is outside the " +
                        std::to_string(types) + " token types of the model");
    }
  }
  return TFM_OK;
}

} // namespace

tfm_status tfm_encode(tfm_context *context, const int32_t *tokens,
                      const int32_t *tokenTypes, const int32_t *lengths,
                      int32_t texts, tfm_pooling pooling, int normalize,
                      float *out) {
  if (!context || !tokens || !lengths || !out || texts <= 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_encode: null argument or no texts");
  if (!isPooling(pooling))
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_encode: unknown pooling " + std::to_string(int(pooling)));
  tfm_model &model = *context->model;
  if (!model.encode)
    return fail(TFM_ERROR_FORMAT, "tfm_encode: a decoder model (use "
                                  "tfm_embed, compiled with --embeddings)");
  if (tfm_status status =
          checkTexts(*context, tokens, tokenTypes, lengths, texts))
    return status;
  // The packed batch: every text's tokens one after the other, positions
  // restarting at 0, and where each text starts.
  std::vector<int32_t> &starts = context->encodeStarts;
  std::vector<int32_t> &positions = context->encodePositions;
  std::vector<int32_t> &types = context->encodeTypes;
  starts.assign(size_t(texts) + 1, 0);
  positions.clear();
  for (int32_t t = 0; t < texts; ++t) {
    starts[size_t(t) + 1] = starts[size_t(t)] + lengths[t];
    for (int32_t i = 0; i < lengths[t]; ++i)
      positions.push_back(i);
  }
  int32_t rows = starts.back();
  if (!tokenTypes)
    types.assign(size_t(rows), 0);
  int64_t dim = model.info[kDim];
  bool pooled = pooling != TFM_POOLING_NONE;
  if (pooled && context->encodeStates.size() < size_t(rows) * size_t(dim))
    context->encodeStates.resize(size_t(rows) * size_t(dim));
  float *hidden = pooled ? context->encodeStates.data() : out;
  auto weights = vectorRef(static_cast<int8_t *>(model.weights),
                           int64_t(model.weightsBytes));
  auto tokenRef = vectorRef(const_cast<int32_t *>(tokens), int64_t(rows));
  auto typeRef = vectorRef(
      tokenTypes ? const_cast<int32_t *>(tokenTypes) : types.data(),
      int64_t(rows));
  auto positionRef = vectorRef(positions.data(), int64_t(rows));
  auto startRef = vectorRef(starts.data(), int64_t(starts.size()));
  MemRef<float, 2> states = {hidden, hidden, 0, {rows, dim}, {dim, 1}};
  if (model.setThreads)
    model.setThreads(context->threads);
  model.encode(&weights, &tokenRef, &typeRef, &positionRef, &startRef,
               &states);
  int32_t outputs = pooled ? texts : rows;
  for (int32_t t = 0; pooled && t < texts; ++t)
    poolRows(hidden + size_t(starts[size_t(t)]) * size_t(dim), lengths[t],
             dim, pooling, out + size_t(t) * size_t(dim));
  if (normalize)
    for (int32_t r = 0; r < outputs; ++r)
      normalizeRow(out + size_t(r) * size_t(dim), dim);
  return TFM_OK;
}

int tfm_model_is_encoder_decoder(const tfm_model *model) {
  return model && model->encodeSource ? 1 : 0;
}

int32_t tfm_model_decoder_start_token(const tfm_model *model) {
  return model && model->encodeSource
             ? int32_t(model->seq2seqInfo[kDecoderStart])
             : -1;
}

tfm_status tfm_encode_source(tfm_context *context, const int32_t *tokens,
                             int32_t n) {
  if (!context || !tokens || n <= 0)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_encode_source: null argument or no tokens");
  tfm_model &model = *context->model;
  if (!model.encodeSource)
    return fail(TFM_ERROR_FORMAT, "tfm_encode_source: not an "
                                  "encoder-decoder model (T5)");
  if (tfm_status status = checkVocabulary(model, tokens, n))
    return status;
  if (n > context->length)
    return fail(TFM_ERROR_CONTEXT_FULL,
                "tfm_encode_source: a source of " + std::to_string(n) +
                    " tokens does not fit the context of " +
                    std::to_string(context->length) + " tokens");
  auto weights = vectorRef(static_cast<int8_t *>(model.weights),
                           int64_t(model.weightsBytes));
  auto tokenRef = vectorRef(const_cast<int32_t *>(tokens), int64_t(n));
  MemRef<float, 5> cache = cacheRef(*context);
  if (model.setThreads)
    model.setThreads(context->threads);
  model.encodeSource(&weights, &tokenRef, &cache);
  context->sourceTokens = n;
  context->position = 0;
  return TFM_OK;
}

tfm_status tfm_embed(tfm_context *context, const int32_t *tokens, int32_t n,
                     tfm_pooling pooling, float *out) {
  if (!context || !out)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_embed: null argument");
  if (!isPooling(pooling) || pooling == TFM_POOLING_NONE)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_embed: unknown pooling " + std::to_string(int(pooling)));
  tfm_model &model = *context->model;
  if (model.encode) {
    if (n <= 0)
      return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_embed: no tokens");
    return tfm_encode(context, tokens, nullptr, &n, 1, pooling, 1, out);
  }
  if (!model.embed)
    return fail(TFM_ERROR_FORMAT, "the model library has no embed entry "
                                  "point (compile it with --embeddings)");
  int64_t dim = model.info[kDim];
  std::vector<float> hidden;
  if (n > 0)
    hidden.resize(size_t(n) * size_t(dim));
  context->position = 0;
  const float *states = nullptr;
  tfm_status status = run(context, model.embed, tokens, n, &states,
                          hidden.data(), n, dim);
  context->position = 0;
  if (status != TFM_OK)
    return status;
  poolRows(hidden.data(), n, dim, pooling, out);
  normalizeRow(out, dim);
  return TFM_OK;
}

void tfm_context_reset(tfm_context *context) { context->position = 0; }

namespace {

/// A ring holds the last `ringRows` positions written; a context that goes
/// on at `next` after keeping positions [0, kept) needs the window before
/// `next` of those. Refuses (naming what is gone) when the ring lost any.
tfm_status checkRingHolds(const tfm_context &context, int64_t kept,
                          int64_t next) {
  const SlidingLayout &sliding = context.model->sliding;
  if (!sliding.hasRing())
    return TFM_OK;
  int64_t oldest = std::max<int64_t>(0, context.position - context.ringRows);
  int64_t needed = std::max<int64_t>(0, next - sliding.window + 1);
  if (needed >= std::min(kept, oldest))
    return TFM_OK;
  return fail(TFM_ERROR_INVALID_ARGUMENT,
              "the sliding-window layers keep the last " +
                  std::to_string(context.ringRows) + " positions of " +
                  std::to_string(context.position) + "; continuing at " +
                  std::to_string(next) + " needs positions from " +
                  std::to_string(needed) +
                  " on (reset the context and run the tokens again)");
}

} // namespace

tfm_status tfm_context_truncate(tfm_context *context, int32_t position) {
  if (!context)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "null context");
  if (position < 0 || position > context->position)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_context_truncate: position " + std::to_string(position) +
                    " is outside [0, " + std::to_string(context->position) +
                    "]");
  if (tfm_status status = checkRingHolds(*context, position, position))
    return status;
  context->position = position;
  return TFM_OK;
}

tfm_status tfm_context_shift(tfm_context *context, int32_t keep,
                             int32_t discard) {
  if (!context)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "null context");
  if (keep < 0 || discard <= 0 || int64_t(keep) + discard > context->position)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_context_shift: cannot keep " + std::to_string(keep) +
                    " and discard " + std::to_string(discard) + " of " +
                    std::to_string(context->position) + " cached tokens");
  const tfm_model &model = *context->model;
  if (model.encodeSource)
    return fail(TFM_ERROR_FORMAT, "tfm_context_shift: an encoder-decoder's "
                                  "(T5) output does not shift");
  if (!model.ropeInfo)
    return fail(TFM_ERROR_FORMAT,
                "the model library predates context shifts (no "
                "tfm_rope_info): recompile it");
  int64_t end = context->position;
  if (tfm_status status = checkRingHolds(*context, keep, end - discard))
    return status;
  tfm::runtime::KVCacheLayout layout;
  layout.layers = fullCacheLayers(model);
  layout.kvHeads = model.info[kKVHeads];
  layout.length = context->length;
  layout.headDim = model.info[kHeadDim];
  layout.elementBytes = model.info[kKVElementBytes];
  layout.bfloat16 = model.kvBFloat16;
  tfm::runtime::RopeLayout rope;
  rope.rotaryDim = int64_t(model.ropeInfo[0]);
  rope.interleaved = model.ropeInfo[1] == 0.0;
  rope.frequencies = model.ropeInfo + 2;
  if (model.sliding.hasRing())
    layout.modelLayers = model.sliding.modelLayers(/*ring=*/false);
  tfm::runtime::shiftKVCache(reinterpret_cast<uint8_t *>(context->cache),
                             layout, rope, keep, discard, end);
  if (model.sliding.hasRing()) {
    // A ring no longer than the context is an ordinary cache: it never
    // wrapped.
    layout.layers = model.sliding.ringLayers;
    layout.modelLayers = model.sliding.modelLayers(/*ring=*/true);
    layout.length = context->ringRows;
    layout.ringRows = context->ringRows;
    uint8_t *ring = reinterpret_cast<uint8_t *>(context->ring);
    if (context->ringRows >= context->length)
      tfm::runtime::shiftKVCache(ring, layout, rope, keep, discard, end);
    else
      tfm::runtime::shiftRingKVCache(ring, layout, rope, keep, discard, end);
  }
  context->position -= discard;
  return TFM_OK;
}

int32_t tfm_context_position(const tfm_context *context) {
  return int32_t(context->position);
}

int32_t tfm_context_length(const tfm_context *context) {
  return int32_t(context->length);
}

int32_t tfm_context_threads(const tfm_context *context) {
  return context->threads;
}

size_t tfm_context_kv_bytes(const tfm_context *context) {
  return context->cacheBytes;
}

tfm_status tfm_model_count_attention(tfm_model *model, int enable) {
  if (!model)
    return fail(TFM_ERROR_INVALID_ARGUMENT, "null model");
  if (!model->kernelCounters)
    return fail(TFM_ERROR_FORMAT, "the model library predates kernel "
                                  "counters (no tfm_kernel_counters): "
                                  "recompile it");
  __atomic_store_n(&model->kernelCounters[1], 0, __ATOMIC_RELAXED);
  __atomic_store_n(&model->kernelCounters[0], enable ? 1 : 0,
                   __ATOMIC_RELAXED);
  return TFM_OK;
}

double tfm_model_attention_seconds(const tfm_model *model) {
  if (!model || !model->kernelCounters)
    return 0.0;
  return double(__atomic_load_n(&model->kernelCounters[1], __ATOMIC_RELAXED)) *
         1e-9;
}

tfm_status tfm_tokenize(const tfm_model *model, const char *text,
                        size_t length, int add_special, int32_t *tokens,
                        int32_t capacity, int32_t *count) {
  const mlir::tfm::Tokenizer *tokenizer = tokenizerOf(model);
  if (!tokenizer)
    return lastErrorStatus(model);
  if ((!text && length > 0) || !count || capacity < 0 ||
      (!tokens && capacity > 0))
    return fail(TFM_ERROR_INVALID_ARGUMENT, "tfm_tokenize: null argument");
  std::vector<int32_t> ids =
      tokenizer->encode(std::string_view(text ? text : "", length), add_special);
  *count = int32_t(ids.size());
  if (ids.size() > size_t(capacity))
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_tokenize: " + std::to_string(ids.size()) +
                    " tokens do not fit in room for " +
                    std::to_string(capacity));
  std::copy(ids.begin(), ids.end(), tokens);
  return TFM_OK;
}

tfm_status tfm_token_to_piece(const tfm_model *model, int32_t previous,
                              int32_t token, char *buffer, size_t size,
                              size_t *length) {
  const mlir::tfm::Tokenizer *tokenizer = tokenizerOf(model);
  if (!tokenizer)
    return lastErrorStatus(model);
  if (!length || (!buffer && size > 0))
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "tfm_token_to_piece: null argument");
  int32_t vocab = int32_t(tokenizer->vocabulary().size());
  if (token < 0 || token >= vocab)
    return fail(TFM_ERROR_INVALID_ARGUMENT,
                "token " + std::to_string(token) +
                    " is outside the vocabulary of " + std::to_string(vocab));
  std::string piece = tokenizer->decode(previous, token);
  *length = piece.size();
  std::memcpy(buffer, piece.data(), std::min(size, piece.size()));
  return TFM_OK;
}

int32_t tfm_model_bos(const tfm_model *model) {
  const mlir::tfm::Tokenizer *tokenizer = tokenizerOf(model);
  return tokenizer ? tokenizer->bos() : -1;
}

int32_t tfm_model_eos(const tfm_model *model) {
  const mlir::tfm::Tokenizer *tokenizer = tokenizerOf(model);
  return tokenizer ? tokenizer->eos() : -1;
}

int tfm_model_add_bos(const tfm_model *model) {
  const mlir::tfm::Tokenizer *tokenizer = tokenizerOf(model);
  return tokenizer && tokenizer->vocabulary().addBos ? 1 : 0;
}

} // extern "C"
