//===- GeneratedAttention.cpp - decode attention as vector code -----------===//
//
// A decode step's attention: one query row per head against the cached
// keys and values of its KV head, cut by flash-decoding into key ranges
// (tasks) whose partial results are merged once all are done. This builds
// the tasks and the merge as vector code in the model, the arithmetic of
// the hand-written kernels (lib/Runtime/Kernels/AttentionKernel.h,
// tfm_attention_combine):
//
//  * a query head is `head_dim / 16` vectors of 16 lanes, RMS-normalized
//    with its weight when the op has a query norm (Qwen 3, Gemma 3), then
//    rotated by the rope when it has one (half-split pairs: the first half's
//    chunks with the second's; interleaved pairs: each chunk with its
//    lanes swapped pairwise by a `vector.shuffle`);
//  * keys go in blocks of 64: a loop over the block's keys makes each
//    key's partial dot products, one chain of `vector.fma` over the head's
//    chunks (f16 rows widened by `arith.extf`), stored to a stack buffer;
//    each 16 keys' partial vectors then reduce into one vector of 16
//    scores by a tree of `vector.shuffle` + `arith.addf` (four levels, 15
//    adds), where a reduction a key would take four levels each;
//  * the online softmax, once a block: the scaled (and with a soft cap,
//    capped: cap x tanh(score x scale / cap); with T5's position bias,
//    plus the bias gathered at each key's clamped distance) scores past
//    the range masked to -inf (`vector.create_mask`), the block maximum
//    raising the running one, the sum and accumulators rescaled by
//    exp(old - new), the weights exp(score - max) (`math.exp`: a
//    polynomial after tfm-approximate-math) stored to a second stack
//    buffer;
//  * a second loop over the block's keys adds each value row, times its
//    key's broadcast weight, to the accumulator chunks (`vector.fma`).
//
// Two query heads of a KV head (GQA) go through the keys together, every
// key and value row loaded once for both, as the kernel's pairs do. The
// loops over a block's keys stop at the range's end; the scores of the
// block's lanes past it are masked.
//
//===----------------------------------------------------------------------===//

#include "GeneratedAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Lanes of a chunk of a head (and keys of a vector of scores), and keys
/// of a block: the softmax's rescaling and reductions once per 64 keys, as
/// the kernel's blocks (with 16, they cost 0.7-0.8x the kernel's time on
/// llama-110m's heads in tfm-kernel-bench).
constexpr int64_t kLanes = 16;
constexpr int64_t kBlockKeys = 64;
constexpr int64_t kScoreVectors = kBlockKeys / kLanes;
/// The widest head the generated code takes (Gemma's): two heads' queries
/// and accumulators are then 64 vectors of 16 lanes, more than any
/// register file; wider heads keep the kernel.
constexpr int64_t kMaxHeadDim = 256;

/// The softmax state of one query head: its running maximum and
/// denominator, and its accumulator's chunks.
struct HeadState {
  Value max, sum;
  SmallVector<Value> acc;
};

class AttentionBuilder {
public:
  AttentionBuilder(OpBuilder &b, Location loc, FlashAttentionOp op)
      : b(b), loc(loc), op(op), headDim(op.getHeadDim()),
        chunks(headDim / kLanes),
        group(op.getNumHeads() / op.getKeys().getType().getDimSize(0)),
        element(op.getKeys().getType().getElementType()) {}

  void build(Value kvHead, Value keyBegin, Value keyEnd,
             Value partialsOffset) {
    Value begin, end;
    std::tie(begin, end) = visibleKeys(keyBegin, keyEnd);
    Value keys = arith::SubIOp::create(b, loc, end, begin);
    Value blocks = arith::CeilDivUIOp::create(
        b, loc,
        arith::SelectOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, end,
                                  begin),
            keys, index(0)),
        index(kBlockKeys));
    // Two query heads at a time when the group has an even count.
    int64_t headsPerPass = group % 2 == 0 ? 2 : 1;
    scf::ForOp::create(
        b, loc, index(0), index(group), index(headsPerPass), ValueRange{},
        [&](OpBuilder &, Location, Value g, ValueRange) {
          SmallVector<Value> heads;
          for (int64_t h = 0; h < headsPerPass; ++h)
            heads.push_back(arith::AddIOp::create(
                b, loc,
                arith::MulIOp::create(b, loc, kvHead, index(group)),
                arith::AddIOp::create(b, loc, g, index(h))));
          attendHeads(heads, kvHead, begin, end, blocks, partialsOffset);
          scf::YieldOp::create(b, loc);
        });
  }

  /// The key ranges' partial results merged into the output, head by
  /// head: each range's sums weighted by exp(its maximum - the heads'
  /// maximum), over the weighted denominators (ranges without a visible
  /// key, denominator 0, contribute nothing; none at all leaves zeros), as
  /// tfm_attention_combine does.
  void combine(Value splitStride) {
    int64_t splits = op.getKvSplits();
    Value partials = op.getPartials();
    scf::ForOp::create(
        b, loc, index(0), index(op.getNumHeads()), index(1), ValueRange{},
        [&](OpBuilder &, Location, Value head, ValueRange) {
          Value headOffset =
              arith::MulIOp::create(b, loc, head, index(headDim + 2));
          SmallVector<Value> firsts, maxima, sums, visible;
          Value max = f32(-std::numeric_limits<float>::infinity());
          for (int64_t c = 0; c < splits; ++c) {
            Value first = arith::AddIOp::create(
                b, loc, headOffset,
                arith::MulIOp::create(b, loc, index(c), splitStride));
            firsts.push_back(first);
            maxima.push_back(memref::LoadOp::create(
                b, loc, partials,
                ValueRange{arith::AddIOp::create(b, loc, first,
                                                 index(headDim))}));
            sums.push_back(memref::LoadOp::create(
                b, loc, partials,
                ValueRange{arith::AddIOp::create(b, loc, first,
                                                 index(headDim + 1))}));
            visible.push_back(arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OGT, sums.back(), f32(0.0)));
            max = arith::SelectOp::create(
                b, loc, visible.back(),
                arith::MaximumFOp::create(b, loc, max, maxima.back()), max);
          }
          Value total = f32(0.0);
          SmallVector<Value> acc(chunks, splat(0.0));
          for (int64_t c = 0; c < splits; ++c) {
            Value weight = arith::SelectOp::create(
                b, loc, visible[c],
                math::ExpOp::create(
                    b, loc, arith::SubFOp::create(b, loc, maxima[c], max)),
                f32(0.0));
            total = arith::AddFOp::create(
                b, loc, total, arith::MulFOp::create(b, loc, weight, sums[c]));
            Value weights =
                vector::BroadcastOp::create(b, loc, chunkType(), weight);
            for (int64_t k = 0; k < chunks; ++k)
              acc[k] = vector::FMAOp::create(
                  b, loc, weights,
                  vector::LoadOp::create(
                      b, loc, chunkType(), partials,
                      ValueRange{arith::AddIOp::create(b, loc, firsts[c],
                                                       index(k * kLanes))}),
                  acc[k]);
          }
          storeNormalized(head, acc, total);
          scf::YieldOp::create(b, loc);
        });
  }

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value f32(double value) {
    return arith::ConstantOp::create(b, loc,
                                     b.getF32FloatAttr(static_cast<float>(value)));
  }
  VectorType chunkType() { return VectorType::get({kLanes}, b.getF32Type()); }
  Value splat(double value) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(chunkType(),
                               b.getF32FloatAttr(static_cast<float>(value))));
  }

  /// The keys a decode query (at position `start`) sees of [keyBegin,
  /// keyEnd): none past its own position, none before its window.
  std::pair<Value, Value> visibleKeys(Value keyBegin, Value keyEnd) {
    Value reach = arith::AddIOp::create(b, loc, op.getStart(), index(1));
    Value end = arith::MinUIOp::create(b, loc, keyEnd, reach);
    Value begin = keyBegin;
    if (std::optional<uint64_t> window = op.getWindow()) {
      Value size = index(int64_t(*window));
      Value windowStart = arith::SelectOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, reach,
                                size),
          arith::SubIOp::create(b, loc, reach, size), index(0));
      begin = arith::MaxUIOp::create(b, loc, begin, windowStart);
    }
    return {begin, end};
  }

  /// Query head `head`'s chunks, normalized and then rotated when the op
  /// has a query norm and a rope (the kernel's prepareQuery order).
  SmallVector<Value> query(Value head) {
    Value first = arith::MulIOp::create(b, loc, head, index(headDim));
    SmallVector<Value> q;
    for (int64_t c = 0; c < chunks; ++c)
      q.push_back(vector::LoadOp::create(
          b, loc, chunkType(), op.getQuery(),
          ValueRange{index(0), arith::AddIOp::create(b, loc, first,
                                                     index(c * kLanes))}));
    if (op.getQueryNorm())
      normalize(q);
    if (RopeAttr rope = op.getRopeAttr())
      return rope.getPairing() == RopePairing::half_split ? rotateHalves(q)
                                                          : rotatePairs(q);
    return q;
  }

  /// The query head's chunks RMS-normalized (Qwen 3's and Gemma 3's q
  /// norm): each times 1 / sqrt(mean square + eps) and the weight's chunk,
  /// the squares summed in lanes as the kernel's normalizeQuery does.
  void normalize(MutableArrayRef<Value> q) {
    Value squares = arith::MulFOp::create(b, loc, q[0], q[0]);
    for (int64_t c = 1; c < chunks; ++c)
      squares = vector::FMAOp::create(b, loc, q[c], q[c], squares);
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                            squares);
    Value mean = arith::DivFOp::create(b, loc, sum, f32(double(headDim)));
    Value inverse = arith::DivFOp::create(
        b, loc, f32(1.0),
        math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(
                b, loc, mean,
                f32(op.getNormEpsAttr().getValueAsDouble()))));
    Value inverses = vector::BroadcastOp::create(b, loc, chunkType(), inverse);
    for (int64_t c = 0; c < chunks; ++c) {
      Value weight = vector::LoadOp::create(b, loc, chunkType(),
                                            op.getQueryNorm(),
                                            ValueRange{index(c * kLanes)});
      q[c] = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, q[c], inverses), weight);
    }
  }

  /// Angles [first, first + lanes) of the query's rope table `table`.
  Value angles(Value table, int64_t first, int64_t lanes) {
    return vector::LoadOp::create(
        b, loc, VectorType::get({lanes}, b.getF32Type()), table,
        ValueRange{index(0), index(first)});
  }

  /// Half-split pairs (j, j + head_dim / 2): chunk c of the first half and
  /// chunk c of the second rotate together.
  SmallVector<Value> rotateHalves(ArrayRef<Value> q) {
    SmallVector<Value> rotated(q.begin(), q.end());
    int64_t half = chunks / 2;
    for (int64_t c = 0; c < half; ++c) {
      Value cos = angles(op.getRopeCos(), c * kLanes, kLanes);
      Value sin = angles(op.getRopeSin(), c * kLanes, kLanes);
      Value low = q[c], high = q[c + half];
      rotated[c] = arith::SubFOp::create(
          b, loc, arith::MulFOp::create(b, loc, low, cos),
          arith::MulFOp::create(b, loc, high, sin));
      rotated[c + half] = vector::FMAOp::create(
          b, loc, low, sin, arith::MulFOp::create(b, loc, high, cos));
    }
    return rotated;
  }

  /// Interleaved pairs (2j, 2j + 1): a chunk holds 8 pairs; each lane
  /// takes its pair's angle (the 8 angles each repeated) and its partner
  /// (the lanes swapped pairwise), the partner's sine negated for the
  /// pair's first lane.
  SmallVector<Value> rotatePairs(ArrayRef<Value> q) {
    SmallVector<int64_t> repeat, swap;
    for (int64_t l = 0; l < kLanes; ++l) {
      repeat.push_back(l / 2);
      swap.push_back(l ^ 1);
    }
    SmallVector<float> signs;
    for (int64_t l = 0; l < kLanes; ++l)
      signs.push_back(l % 2 == 0 ? -1.0f : 1.0f);
    Value sign = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(chunkType(), ArrayRef<float>(signs)));
    SmallVector<Value> rotated;
    for (int64_t c = 0; c < chunks; ++c) {
      Value cos = angles(op.getRopeCos(), c * kLanes / 2, kLanes / 2);
      Value sin = angles(op.getRopeSin(), c * kLanes / 2, kLanes / 2);
      Value cosLanes = vector::ShuffleOp::create(b, loc, cos, cos, repeat);
      Value sinLanes = arith::MulFOp::create(
          b, loc, vector::ShuffleOp::create(b, loc, sin, sin, repeat), sign);
      Value partner = vector::ShuffleOp::create(b, loc, q[c], q[c], swap);
      rotated.push_back(vector::FMAOp::create(
          b, loc, partner, sinLanes,
          arith::MulFOp::create(b, loc, q[c], cosLanes)));
    }
    return rotated;
  }

  /// Chunk `c` of row `row` of KV head `kvHead` in `cache`, as f32 (a q8
  /// row's codes, not yet times its scale).
  Value rowChunk(Value cache, Value kvHead, Value row, int64_t c) {
    Value chunk = vector::LoadOp::create(
        b, loc, VectorType::get({kLanes}, element), cache,
        ValueRange{kvHead, row, index(c * kLanes)});
    if (element.isF32())
      return chunk;
    if (element.isInteger(8))
      return arith::SIToFPOp::create(b, loc, chunkType(), chunk);
    return arith::ExtFOp::create(b, loc, chunkType(), chunk);
  }

  /// A q8 row's scale (the f32 after its codes); null for the float
  /// caches, whose rows have none.
  Value rowScale(Value cache, Value kvHead, Value row) {
    if (!element.isInteger(8))
      return Value();
    Value bytes = vector::LoadOp::create(
        b, loc, VectorType::get({4}, element), cache,
        ValueRange{kvHead, row, index(headDim)});
    return vector::ExtractOp::create(
        b, loc,
        vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getF32Type()),
                                  bytes),
        ArrayRef<int64_t>{0});
  }

  /// The cache row of the key at `position` (a ring's position p is row
  /// p mod rows).
  Value rowOf(Value position) {
    if (!op.getRingTokens())
      return position;
    Value rows = memref::DimOp::create(b, loc, op.getKeys(), 1);
    return arith::RemUIOp::create(b, loc, position, rows);
  }

  /// The 16 vectors' lane sums as one vector (lane j: vector j's sum): at
  /// each level two vectors of k keys' partial sums become one of 2k keys
  /// with half the lanes each (the low halves of each key's lanes plus the
  /// high halves).
  Value sumLanes(SmallVector<Value> vectors) {
    int64_t lanesPerKey = kLanes;
    while (vectors.size() > 1) {
      int64_t keys = kLanes / lanesPerKey, half = lanesPerKey / 2;
      SmallVector<int64_t> low, high;
      for (int64_t side = 0; side < 2; ++side)
        for (int64_t k = 0; k < keys; ++k)
          for (int64_t l = 0; l < half; ++l) {
            int64_t lane = side * kLanes + k * lanesPerKey + l;
            low.push_back(lane);
            high.push_back(lane + half);
          }
      SmallVector<Value> next;
      for (size_t i = 0; i < vectors.size(); i += 2) {
        Value a = vectors[i], c = vectors[i + 1];
        next.push_back(arith::AddFOp::create(
            b, loc, vector::ShuffleOp::create(b, loc, a, c, low),
            vector::ShuffleOp::create(b, loc, a, c, high)));
      }
      vectors = std::move(next);
      lanesPerKey = half;
    }
    return vectors.front();
  }

  /// Query heads `heads` (of KV head `kvHead`) over the keys [begin, end)
  /// in `blocks` blocks of 16, then their results stored. Per block, the
  /// keys' partial dot products and then the weights go through two small
  /// stack buffers, so that both loops over the block's keys stay loops:
  /// unrolled, the 16 key rows' and 16 value rows' addresses (dynamic row
  /// strides) did not fit the 16 general registers and spilled.
  void attendHeads(ArrayRef<Value> heads, Value kvHead, Value begin, Value end,
                   Value blocks, Value partialsOffset) {
    // The buffers are freed at the end (they are allocated inside the
    // tasks' loops): the stack save and restore a `memref.alloca_scope`
    // lowers to, whose single block could not hold the loops once they
    // are branches.
    Value stack = LLVM::StackSaveOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext()));
    int64_t count = heads.size();
    Value partialSums = memref::AllocaOp::create(
        b, loc,
        MemRefType::get({count, kBlockKeys, kLanes}, b.getF32Type()));
    Value weightsOfKeys = memref::AllocaOp::create(
        b, loc, MemRefType::get({count, kBlockKeys}, b.getF32Type()));
    SmallVector<SmallVector<Value>> queries;
    for (Value head : heads)
      queries.push_back(query(head));
    SmallVector<Value> initial;
    for (int64_t h = 0; h < count; ++h) {
      initial.push_back(f32(-std::numeric_limits<float>::infinity()));
      initial.push_back(f32(0.0));
      for (int64_t c = 0; c < chunks; ++c)
        initial.push_back(splat(0.0));
    }
    auto loop = scf::ForOp::create(
        b, loc, index(0), blocks, index(1), initial,
        [&](OpBuilder &, Location, Value block, ValueRange carried) {
          SmallVector<HeadState> states = unpack(carried, count);
          Value first = arith::AddIOp::create(
              b, loc, begin,
              arith::MulIOp::create(b, loc, block, index(kBlockKeys)));
          Value keys = arith::MinUIOp::create(
              b, loc, index(kBlockKeys),
              arith::SubIOp::create(b, loc, end, first));
          scoreKeys(queries, kvHead, first, keys, partialSums);
          // Lanes of score vector v past the block's keys are masked (a
          // negative count masks every lane).
          SmallVector<Value> inRange;
          for (int64_t v = 0; v < kScoreVectors; ++v)
            inRange.push_back(vector::CreateMaskOp::create(
                b, loc, VectorType::get({kLanes}, b.getI1Type()),
                ValueRange{arith::SubIOp::create(b, loc, keys,
                                                 index(v * kLanes))}));
          for (int64_t h = 0; h < count; ++h) {
            SmallVector<Value> scores;
            for (int64_t v = 0; v < kScoreVectors; ++v) {
              SmallVector<Value> partials;
              for (int64_t j = v * kLanes; j < (v + 1) * kLanes; ++j)
                partials.push_back(vector::LoadOp::create(
                    b, loc, chunkType(), partialSums,
                    ValueRange{index(h), index(j), index(0)}));
              scores.push_back(sumLanes(partials));
            }
            SmallVector<Value> biases;
            if (op.getPositionBias())
              biases = positionBiases(heads[h], first, inRange);
            SmallVector<Value> weights =
                weigh(scores, inRange, biases, states[h]);
            for (auto [v, vector] : llvm::enumerate(weights))
              vector::StoreOp::create(
                  b, loc, vector, weightsOfKeys,
                  ValueRange{index(h), index(int64_t(v) * kLanes)});
          }
          addWeightedValues(kvHead, first, keys, weightsOfKeys, states);
          scf::YieldOp::create(b, loc, pack(states));
        });
    SmallVector<HeadState> results = unpack(loop.getResults(), count);
    for (auto [head, state] : llvm::zip(heads, results))
      store(head, state, partialsOffset);
    LLVM::StackRestoreOp::create(b, loc, stack);
  }

  SmallVector<Value> pack(ArrayRef<HeadState> states) {
    SmallVector<Value> values;
    for (const HeadState &state : states) {
      values.push_back(state.max);
      values.push_back(state.sum);
      values.append(state.acc.begin(), state.acc.end());
    }
    return values;
  }
  SmallVector<HeadState> unpack(ValueRange values, size_t heads) {
    SmallVector<HeadState> states;
    size_t stride = 2 + chunks;
    for (size_t h = 0; h < heads; ++h) {
      ValueRange head = values.slice(h * stride, stride);
      states.push_back(
          {head[0], head[1], SmallVector<Value>(head.drop_front(2))});
    }
    return states;
  }

  /// Keys [first, first + keys) times each query head, each key row's
  /// chunks loaded once: the partial sums of head h and key j (16 lanes)
  /// into `partialSums[h, j]`. The rows of a block past its keys are not
  /// written (their scores are masked).
  void scoreKeys(ArrayRef<SmallVector<Value>> queries, Value kvHead,
                 Value first, Value keys, Value partialSums) {
    scf::ForOp::create(
        b, loc, index(0), keys, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value j, ValueRange) {
          Value row = rowOf(arith::AddIOp::create(b, loc, first, j));
          SmallVector<Value> sums(queries.size());
          for (int64_t c = 0; c < chunks; ++c) {
            Value key = rowChunk(op.getKeys(), kvHead, row, c);
            for (size_t h = 0; h < queries.size(); ++h)
              sums[h] = c == 0 ? Value(arith::MulFOp::create(
                                     b, loc, queries[h][c], key))
                               : Value(vector::FMAOp::create(
                                     b, loc, queries[h][c], key, sums[h]));
          }
          // A q8 key's score is its codes' times its scale.
          if (Value scale = rowScale(op.getKeys(), kvHead, row)) {
            Value scales = vector::BroadcastOp::create(b, loc, chunkType(),
                                                       scale);
            for (Value &sum : sums)
              sum = arith::MulFOp::create(b, loc, sum, scales);
          }
          for (auto [h, sum] : llvm::enumerate(sums))
            vector::StoreOp::create(
                b, loc, sum, partialSums,
                ValueRange{index(int64_t(h)), j, index(0)});
          scf::YieldOp::create(b, loc);
        });
  }

  /// Each head's accumulator plus the value rows of keys [first, first +
  /// keys) weighted by `weightsOfKeys[h, j]`, each value row loaded once.
  void addWeightedValues(Value kvHead, Value first, Value keys,
                         Value weightsOfKeys,
                         MutableArrayRef<HeadState> states) {
    SmallVector<Value> accs;
    for (const HeadState &state : states)
      accs.append(state.acc.begin(), state.acc.end());
    auto loop = scf::ForOp::create(
        b, loc, index(0), keys, index(1), accs,
        [&](OpBuilder &, Location, Value j, ValueRange carried) {
          Value row = rowOf(arith::AddIOp::create(b, loc, first, j));
          SmallVector<Value> next(carried.begin(), carried.end());
          // A q8 value row's codes weigh its weight times its scale.
          Value scale = rowScale(op.getValues(), kvHead, row);
          SmallVector<Value> weights;
          for (size_t h = 0; h < states.size(); ++h) {
            Value weight = memref::LoadOp::create(
                b, loc, weightsOfKeys, ValueRange{index(int64_t(h)), j});
            if (scale)
              weight = arith::MulFOp::create(b, loc, weight, scale);
            weights.push_back(
                vector::BroadcastOp::create(b, loc, chunkType(), weight));
          }
          for (int64_t c = 0; c < chunks; ++c) {
            Value value = rowChunk(op.getValues(), kvHead, row, c);
            for (size_t h = 0; h < states.size(); ++h) {
              Value &acc = next[h * chunks + c];
              acc = vector::FMAOp::create(b, loc, weights[h], value, acc);
            }
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (auto [h, state] : llvm::enumerate(states))
      for (int64_t c = 0; c < chunks; ++c)
        state.acc[c] = loop.getResult(h * chunks + c);
  }

  /// Raw scores times the op's scale, capped with a soft cap (Gemma 2:
  /// cap x tanh(score x scale / cap), the tanh a polynomial after
  /// tfm-approximate-math).
  Value scaleScores(Value scores) {
    double scale = op.getScale().convertToDouble();
    FloatAttr cap = op.getSoftCapAttr();
    if (!cap)
      return arith::MulFOp::create(b, loc, scores, splat(scale));
    double capValue = cap.getValueAsDouble();
    Value tanh = math::TanhOp::create(
        b, loc, arith::MulFOp::create(b, loc, scores, splat(scale / capValue)));
    return arith::MulFOp::create(b, loc, tanh, splat(capValue));
  }

  /// T5's position bias of query head `head` for the keys of the block
  /// at `first`, a vector per 16 keys: row `head` of the table at
  /// max_distance + clamp(key - query position, +-max_distance), gathered
  /// (the lanes out of `inRange` read nothing).
  SmallVector<Value> positionBiases(Value head, Value first,
                                    ArrayRef<Value> inRange) {
    int64_t distance = int64_t(*op.getMaxDistance());
    Type i32 = b.getI32Type();
    auto lanesType = VectorType::get({kLanes}, i32);
    auto constant = [&](ArrayRef<int32_t> lanes) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(lanesType, lanes));
    };
    Value lowest = constant(SmallVector<int32_t>(kLanes, -distance));
    Value highest = constant(SmallVector<int32_t>(kLanes, distance));
    // Key first - query position; negative distances wrap in `index` and
    // come back as they are in i32.
    Value offset = vector::BroadcastOp::create(
        b, loc, lanesType,
        arith::IndexCastOp::create(
            b, loc, i32,
            arith::SubIOp::create(b, loc, first, op.getBiasQueryStart())));
    SmallVector<Value> biases;
    for (int64_t v = 0; v < kScoreVectors; ++v) {
      SmallVector<int32_t> keys;
      for (int64_t l = 0; l < kLanes; ++l)
        keys.push_back(int32_t(v * kLanes + l));
      Value relative =
          arith::AddIOp::create(b, loc, offset, constant(keys));
      Value clamped = arith::MaxSIOp::create(
          b, loc, arith::MinSIOp::create(b, loc, relative, highest), lowest);
      biases.push_back(vector::GatherOp::create(
          b, loc, chunkType(), op.getPositionBias(),
          ValueRange{head, index(0)},
          arith::AddIOp::create(b, loc, clamped, highest), inRange[v],
          splat(0.0)));
    }
    return biases;
  }

  /// The block's softmax weights of its raw scores `scores` (vectors of 16
  /// keys; lanes out of `inRange`: 0) plus `biases` (T5's position bias;
  /// empty: none), `state` moved to the block's maximum and its sum added.
  SmallVector<Value> weigh(ArrayRef<Value> scores, ArrayRef<Value> inRange,
                           ArrayRef<Value> biases, HeadState &state) {
    Value negInf = f32(-std::numeric_limits<float>::infinity());
    SmallVector<Value> scaled;
    Value lanesMax;
    for (auto [v, vector, mask] : llvm::enumerate(scores, inRange)) {
      Value score = scaleScores(vector);
      if (!biases.empty())
        score = arith::AddFOp::create(b, loc, score, biases[v]);
      scaled.push_back(arith::SelectOp::create(
          b, loc, mask, score,
          splat(-std::numeric_limits<double>::infinity())));
      lanesMax = lanesMax ? Value(arith::MaximumFOp::create(b, loc, lanesMax,
                                                            scaled.back()))
                          : scaled.back();
    }
    Value blockMax = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXIMUMF, lanesMax);
    Value max = arith::MaximumFOp::create(b, loc, state.max, blockMax);
    // Nothing summed yet (the maximum still -inf): nothing to rescale.
    Value correction = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, state.max,
                              negInf),
        f32(0.0),
        math::ExpOp::create(b, loc,
                            arith::SubFOp::create(b, loc, state.max, max)));
    Value maxLanes = vector::BroadcastOp::create(b, loc, chunkType(), max);
    SmallVector<Value> weights;
    Value lanesSum;
    for (auto [vector, mask] : llvm::zip(scaled, inRange)) {
      weights.push_back(arith::SelectOp::create(
          b, loc, mask,
          math::ExpOp::create(b, loc,
                              arith::SubFOp::create(b, loc, vector, maxLanes)),
          splat(0.0)));
      lanesSum = lanesSum ? Value(arith::AddFOp::create(b, loc, lanesSum,
                                                        weights.back()))
                          : weights.back();
    }
    // The block's sum in any order (a tree of 4 steps, where the ordered
    // reduction is a chain of 16 dependent adds).
    Value blockSum = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::ADD, lanesSum, Value(),
        arith::FastMathFlags::reassoc);
    state.sum = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, state.sum, correction),
        blockSum);
    Value corrections = vector::BroadcastOp::create(b, loc, chunkType(),
                                                    correction);
    for (Value &chunk : state.acc)
      chunk = arith::MulFOp::create(b, loc, chunk, corrections);
    state.max = max;
    return weights;
  }

  /// Head `head`'s result: with a `partialsOffset` its unnormalized sums,
  /// maximum and denominator into the partials (tfm_attention_combine's
  /// input, head_dim + 2 floats a head), else its sums divided by the
  /// denominator (0 without a visible key) into the output.
  void store(Value head, const HeadState &state, Value partialsOffset) {
    if (partialsOffset) {
      Value partials = op.getPartials();
      Value first = arith::AddIOp::create(
          b, loc, partialsOffset,
          arith::MulIOp::create(b, loc, head, index(headDim + 2)));
      for (int64_t c = 0; c < chunks; ++c)
        vector::StoreOp::create(
            b, loc, state.acc[c], partials,
            ValueRange{arith::AddIOp::create(b, loc, first,
                                             index(c * kLanes))});
      memref::StoreOp::create(
          b, loc, state.max, partials,
          ValueRange{arith::AddIOp::create(b, loc, first, index(headDim))});
      memref::StoreOp::create(
          b, loc, state.sum, partials,
          ValueRange{
              arith::AddIOp::create(b, loc, first, index(headDim + 1))});
      return;
    }
    storeNormalized(head, state.acc, state.sum);
  }

  /// `acc` (a head's sums) divided by `sum` (0 when it is not positive)
  /// into head `head`'s output.
  void storeNormalized(Value head, ArrayRef<Value> acc, Value sum) {
    Value inverse = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum,
                              f32(0.0)),
        arith::DivFOp::create(b, loc, f32(1.0), sum), f32(0.0));
    Value inverses = vector::BroadcastOp::create(b, loc, chunkType(), inverse);
    Value first = arith::MulIOp::create(b, loc, head, index(headDim));
    for (int64_t c = 0; c < chunks; ++c)
      vector::StoreOp::create(
          b, loc, arith::MulFOp::create(b, loc, acc[c], inverses),
          op.getOutput(),
          ValueRange{index(0),
                     arith::AddIOp::create(b, loc, first, index(c * kLanes))});
  }

  OpBuilder &b;
  Location loc;
  FlashAttentionOp op;
  int64_t headDim;
  int64_t chunks;
  int64_t group;
  /// The cache's element: f32, f16, bf16 or int8 (q8 rows: head_dim
  /// codes, then the row's f32 scale).
  Type element;
};

} // namespace

bool mlir::tfm::hasGeneratedDecodeAttention(FlashAttentionOp op) {
  MemRefType keys = op.getKeys().getType();
  Type element = keys.getElementType();
  int64_t headDim = op.getHeadDim();
  bool halfSplit = op.getRopeAttr() &&
                   op.getRopeAttr().getPairing() == RopePairing::half_split;
  return op.getQuery().getType().getDimSize(0) == 1 &&
         (element.isF32() || element.isF16() || element.isBF16() ||
          element.isInteger(8)) &&
         op.getValues().getType().getElementType() == element &&
         !ShapedType::isDynamic(headDim) &&
         headDim % (halfSplit ? 2 * kLanes : kLanes) == 0 &&
         headDim <= kMaxHeadDim;
}

void mlir::tfm::buildGeneratedAttentionCombine(OpBuilder &b, Location loc,
                                               FlashAttentionOp op,
                                               Value splitStride) {
  AttentionBuilder(b, loc, op).combine(splitStride);
}

void mlir::tfm::buildGeneratedDecodeAttention(OpBuilder &b, Location loc,
                                              FlashAttentionOp op,
                                              Value kvHead, Value keyBegin,
                                              Value keyEnd,
                                              Value partialsOffset) {
  AttentionBuilder(b, loc, op).build(kvHead, keyBegin, keyEnd, partialsOffset);
}
