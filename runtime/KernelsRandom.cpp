// Random kernels: Philox draws at element offsets (runtime/Philox.h gives the
// exact mapping), parallel over Philox blocks; each element depends only on
// (seed, stream, counter + i), so threads cannot change the result.
#include <algorithm>
#include <type_traits>

#include "runtime/KernelsInternal.h"
#include "runtime/Parallel.h"
#include "runtime/Philox.h"
#include "runtime/PhiloxBlocks.h"

namespace kiln::runtime::kernels {

namespace {

// Draws are written block by block: the whole blocks in the middle of
// [counter, counter + n) go through the `...Blocks` loops below, in chunks
// of kChunkBlocks on the job pool; the one or two partial blocks at the ends
// are written element by element. A `...Blocks` loop takes the Philox words
// of kTileBlocks blocks at a time from philox::blockWords (PhiloxBlocks.h:
// hand-vectorized, AVX-512 or AVX2 picked at run time, the same words as
// philox::block) into a buffer that stays in L1, then maps them to draws
// with a host-ISA clone (KILN_HOST_CLONES: the conversions, log and sincos
// vectorize across draws; each draw is the same IEEE sequence in every
// clone). Left to GCC, the Philox rounds of the cloned loop were built from
// 64-bit products (vpmullq) and held uniform f32 draws to ~0.2x of a fill.

constexpr int64_t kChunkBlocks = 2048;
constexpr int64_t kTileBlocks = 256; // 4 KiB of words

/// Calls draw(words, blocks, b0) for the tiles of blocks [first, first +
/// blocks): words holds the 4 * len words of blocks first + b0 ...
template <class Draw> void forWordTiles(uint64_t seed, uint64_t stream, uint64_t first,
                                         int64_t blocks, Draw draw) {
  alignas(64) uint32_t words[4 * kTileBlocks];
  for (int64_t b0 = 0; b0 < blocks; b0 += kTileBlocks) {
    const int64_t len = std::min(kTileBlocks, blocks - b0);
    philox::blockWords(seed, stream, first + uint64_t(b0), len, words);
    draw(words, len, b0);
  }
}

// Uniform f32 draws are converted in registers by PhiloxBlocks itself (no
// tile: the words never reach memory).
void uniformF32Blocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t blocks, float *y) {
  philox::uniformF32Blocks(seed, stream, first, blocks, y);
}

/// y[k] from words 2k (low) and 2k+1 (high): two draws a block.
KILN_HOST_CLONES void uniformF64FromWords(const uint32_t *w, int64_t n, double *y) {
  for (int64_t k = 0; k < n; ++k)
    y[k] = philox::toUnitF64(w[2 * k], w[2 * k + 1]);
}

void uniformF64Blocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t blocks, double *y) {
  forWordTiles(seed, stream, first, blocks, [&](const uint32_t *w, int64_t len, int64_t b0) {
    uniformF64FromWords(w, 2 * len, y + 2 * b0);
  });
}

// f32 normals: four a block, the f32 Box-Muller pair of words (2p, 2p+1)
// gives draws 2p and 2p+1, each pair computed once, times `scale` (x * 1.0f
// == x, so unscaled draws are scale 1), written straight into the output.
// flatten: GCC does not inline normal_pair_f32 by itself, and a call in the
// body keeps the loop scalar.
KILN_HOST_CLONES __attribute__((flatten)) void normalF32FromWords(const uint32_t *w,
                                                                int64_t pairs, float scale,
                                                                float *y) {
  mathgen::ScalarEval b;
  for (int64_t p = 0; p < pairs; ++p) {
    std::array<float, 2> z = mathgen::normal_pair_f32(b, int32_t(w[2 * p]), int32_t(w[2 * p + 1]));
    y[2 * p] = z[0] * scale;
    y[2 * p + 1] = z[1] * scale;
  }
}

void normalF32Blocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t blocks, float scale,
                     float *y) {
  forWordTiles(seed, stream, first, blocks, [&](const uint32_t *w, int64_t len, int64_t b0) {
    normalF32FromWords(w, 2 * len, scale, y + 4 * b0);
  });
}

/// f64 normals: the Box-Muller pair of block i's four words (philox::normalPair).
KILN_HOST_CLONES __attribute__((flatten)) void normalF64FromWords(const uint32_t *w,
                                                                int64_t blocks, double *y) {
  mathgen::ScalarEval b;
  for (int64_t i = 0; i < blocks; ++i) {
    std::array<double, 2> z = mathgen::normal_pair_f64(b, int32_t(w[4 * i]), int32_t(w[4 * i + 1]),
                                                       int32_t(w[4 * i + 2]), int32_t(w[4 * i + 3]));
    y[2 * i] = z[0];
    y[2 * i + 1] = z[1];
  }
}

void normalF64Blocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t blocks, double *y) {
  forWordTiles(seed, stream, first, blocks, [&](const uint32_t *w, int64_t len, int64_t b0) {
    normalF64FromWords(w, len, y + 2 * b0);
  });
}

/// Fills y[0, n) with the draws at offsets counter + i: blocks(first,
/// count, out) writes whole blocks of perBlock draws, one(o) gives the draw
/// at offset o (for the partial blocks at the ends).
template <class T, class Blocks, class One>
void fillDraws(T *y, int64_t n, uint64_t counter, unsigned perBlock, Blocks blocks, One one) {
  if (n <= 0)
    return;
  const uint64_t end = counter + uint64_t(n);
  const uint64_t firstFull = (counter + perBlock - 1) / perBlock, endFull = end / perBlock;
  if (firstFull >= endFull) { // no whole block
    for (int64_t i = 0; i < n; ++i)
      y[i] = one(counter + uint64_t(i));
    return;
  }
  for (uint64_t o = counter; o < firstFull * perBlock; ++o)
    y[o - counter] = one(o);
  for (uint64_t o = endFull * perBlock; o < end; ++o)
    y[o - counter] = one(o);
  T *mid = y + (firstFull * perBlock - counter);
  const int64_t full = int64_t(endFull - firstFull);
  if (n < kParallelThreshold / 4) { // too little work to share (as before the job pool)
    blocks(firstFull, full, mid);
    return;
  }
  auto chunk = [&](int64_t c) {
    int64_t b0 = c * kChunkBlocks, len = std::min(kChunkBlocks, full - b0);
    blocks(firstFull + uint64_t(b0), len, mid + b0 * int64_t(perBlock));
  };
  // On the job pool (runtime/Parallel.h): beside a busy process an OpenMP
  // team's barrier would wait for a descheduled thread.
  parallelFor((full + kChunkBlocks - 1) / kChunkBlocks,
              [](void *ctx, int64_t begin, int64_t end) {
                for (int64_t c = begin; c < end; ++c)
                  (*static_cast<decltype(chunk) *>(ctx))(c);
              },
              &chunk);
}

template <class T> void fillUniform(T *y, int64_t n, uint64_t seed, uint64_t stream,
                                     uint64_t counter) {
  if constexpr (std::is_same_v<T, float>)
    fillDraws(
        y, n, counter, 4,
        [&](uint64_t first, int64_t count, float *dst) {
          uniformF32Blocks(seed, stream, first, count, dst);
        },
        [&](uint64_t o) { return philox::uniformF32(seed, stream, o); });
  else
    fillDraws(
        y, n, counter, 2,
        [&](uint64_t first, int64_t count, double *dst) {
          uniformF64Blocks(seed, stream, first, count, dst);
        },
        [&](uint64_t o) { return philox::uniformF64(seed, stream, o); });
}

void fillNormalF32Scaled(float *y, int64_t n, uint64_t seed, uint64_t stream, uint64_t counter,
                         float scale) {
  fillDraws(
      y, n, counter, 4,
      [&](uint64_t first, int64_t count, float *dst) {
        normalF32Blocks(seed, stream, first, count, scale, dst);
      },
      [&](uint64_t o) { return philox::normalF32(seed, stream, o) * scale; });
}

template <class T> void fillNormal(T *y, int64_t n, uint64_t seed, uint64_t stream,
                                    uint64_t counter) {
  if constexpr (std::is_same_v<T, float>)
    fillNormalF32Scaled(y, n, seed, stream, counter, 1.0f);
  else
    fillDraws(
        y, n, counter, 2,
        [&](uint64_t first, int64_t count, double *dst) {
          normalF64Blocks(seed, stream, first, count, dst);
        },
        [&](uint64_t o) { return philox::normalF64(seed, stream, o); });
}

} // namespace

Tensor randomUniform(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                     uint64_t stream, uint64_t counter) {
  KILN_ASSERT(ir::isFloat(dtype), "random_uniform: f32 or f64 only");
  Tensor out = Tensor::empty(dtype, std::move(shape));
  if (dtype == ir::ElemType::F32)
    fillUniform(out.data<float>(), out.numel(), seed, stream, counter);
  else
    fillUniform(out.data<double>(), out.numel(), seed, stream, counter);
  return out;
}

Tensor randomNormal(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                    uint64_t stream, uint64_t counter) {
  KILN_ASSERT(ir::isFloat(dtype), "random_normal: f32 or f64 only");
  Tensor out = Tensor::empty(dtype, std::move(shape));
  if (dtype == ir::ElemType::F32)
    fillNormal(out.data<float>(), out.numel(), seed, stream, counter);
  else
    fillNormal(out.data<double>(), out.numel(), seed, stream, counter);
  return out;
}

void fillNormalF32(float *out, int64_t n, uint64_t seed, uint64_t stream, uint64_t counter,
                   float scale) {
  fillNormalF32Scaled(out, n, seed, stream, counter, scale);
}

Tensor randomBernoulli(const Tensor &p, uint64_t seed, uint64_t stream, uint64_t counter) {
  KILN_ASSERT(ir::isFloat(p.dtype()), "random_bernoulli: f32 or f64 probabilities only");
  Tensor u = randomUniform(p.dtype(), p.shape(), seed, stream, counter);
  const int64_t n = p.numel();
  if (p.dtype() == ir::ElemType::F32) {
    const float *pp = p.data<float>();
    float *y = u.data<float>();
    for (int64_t i = 0; i < n; ++i)
      y[i] = y[i] < pp[i] ? 1.0f : 0.0f;
  } else {
    const double *pp = p.data<double>();
    double *y = u.data<double>();
    for (int64_t i = 0; i < n; ++i)
      y[i] = y[i] < pp[i] ? 1.0 : 0.0;
  }
  return u;
}

// The C entry points fill the caller's buffer with the same loops (extern
// "C" names are global whatever namespace they are defined in).
extern "C" {
void kiln_rt_random_uniform_f32(float *out, int64_t n, uint64_t seed, uint64_t stream,
                                uint64_t counter) {
  fillUniform(out, n, seed, stream, counter);
}
void kiln_rt_random_uniform_f64(double *out, int64_t n, uint64_t seed, uint64_t stream,
                                uint64_t counter) {
  fillUniform(out, n, seed, stream, counter);
}
void kiln_rt_random_normal_f32(float *out, int64_t n, uint64_t seed, uint64_t stream,
                               uint64_t counter) {
  fillNormal(out, n, seed, stream, counter);
}
void kiln_rt_random_normal_f64(double *out, int64_t n, uint64_t seed, uint64_t stream,
                               uint64_t counter) {
  fillNormal(out, n, seed, stream, counter);
}
}

} // namespace kiln::runtime::kernels
