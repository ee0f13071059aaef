// Hand-vectorized Philox4x32-10 over consecutive blocks (PhiloxBlocks.h).
//
// Layout: a vector holds whole blocks, each block's four counter words in
// four consecutive 32-bit lanes. In memory (and in philox::block) a block is
// (c0 c1 c2 c3); the block number is the 64-bit lane holding (c0, c1) and
// the stream the one holding (c2, c3), so consecutive blocks are a 64-bit add
// (wrapping modulo 2^64 like the scalar uint64_t arithmetic). During the
// rounds the lanes hold (c0 c3 c2 c1), where one round is
//   p = vpmuludq(c, {M0, _, M1, _})   -> {lo0, hi0, lo1, hi1} (the two
//                                        32x32->64 products c0*M0, c2*M1)
//   q = p ^ {0, c3 ^ k1, 0, c1 ^ k0}  -> {lo0, hi0^c3^k1, lo1, hi1^c1^k0}
//   c = shuffle(q, 3, 0, 1, 2)        =  (c0' c3' c2' c1')
// with c0' = hi1^c1^k0, c1' = lo1, c2' = hi0^c3^k1, c3' = lo0: mathgen::
// philox4x32_10's round word for word. The last round shuffles q straight
// back to (c0' c1' c2' c3') for the store: no transposes. Three ops a round
// for four blocks with AVX-512 (a masked ternary-logic xor), five for two
// blocks with AVX2: keeping (c1 c3) swapped makes the xor with c lane-wise,
// so the one shuffle a round is q's (the natural layout needs a second one,
// c >> 32 in each 64-bit half, on the same ports). Several independent
// vectors a loop iteration hide vpmuludq's latency. The tail (fewer blocks than one iteration) is philox::block per
// block.
#include "runtime/PhiloxBlocks.h"

#include <atomic>

#include "ir/Support.h"
#include "runtime/Philox.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln::runtime::philox {

namespace {

constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u; // multipliers
constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u; // Weyl key increments

template <bool kUniform, class Out>
void scalarBlocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, Out *out) {
  for (int64_t i = 0; i < count; ++i) {
    Counter w = block(seed, stream, first + uint64_t(i));
    for (unsigned j = 0; j < 4; ++j)
      if constexpr (kUniform)
        out[4 * i + j] = toUnitF32(w[j]);
      else
        out[4 * i + j] = w[j];
  }
}

#if defined(__x86_64__)

// 8 vectors (32 blocks) an iteration: each round depends on the previous
// one, so independent chains hide vpmuludq's latency. Measured on the
// project's AMD EPYC (TSC cycles a block, 256 blocks in L1): 4 vectors 3.45,
// 8 vectors 3.15, 16 vectors 5.0 (out of zmm registers: 8 states, 10 round
// keys, the multiplier, temporaries).
constexpr int kVec512 = 8;

// GCC 12's avx512fintrin.h builds unmasked shuffles and shifts on a self-initialized
// _mm512_undefined_epi32(), which -Wmaybe-uninitialized reports once inlined.
// (Clang, the fuzz build's compiler, has no such warning group and would
// reject the pragma under -Werror.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

/// The words, or (kUniform) their uniform f32 draws (w >> 8) * 2^-24 (exact:
/// a 24-bit integer converts exactly and the scale is a power of two), of
/// `count` blocks from `first` into out[4 * count].
template <bool kUniform, class Out>
__attribute__((target("avx512f"))) void avx512Blocks(uint64_t seed, uint64_t stream,
                                                       uint64_t first, int64_t count, Out *out) {
  const Key k = keyFor(seed);
  const __m512i mult = _mm512_set4_epi32(0, int(kM1), 0, int(kM0));
  __m512i keys[10];
  for (uint32_t r = 0; r < 10; ++r)
    keys[r] = _mm512_set4_epi32(int(k[0] + r * kW0), 0, int(k[1] + r * kW1), 0);
  // Blocks first+0..3 in the four 128-bit lanes, the stream beside each.
  __m512i ctr = _mm512_add_epi64(
      _mm512_set_epi64(int64_t(stream), 3, int64_t(stream), 2, int64_t(stream), 1,
                       int64_t(stream), 0),
      _mm512_set_epi64(0, int64_t(first), 0, int64_t(first), 0, int64_t(first), 0,
                       int64_t(first)));
  const __m512i step = _mm512_set_epi64(0, 4, 0, 4, 0, 4, 0, 4);
  constexpr int64_t kBlocks = 4 * kVec512;
  int64_t i = 0;
  for (; i + kBlocks <= count; i += kBlocks) {
    __m512i c[kVec512];
    for (int v = 0; v < kVec512; ++v) {
      c[v] = _mm512_shuffle_epi32(ctr, _MM_PERM_ENUM(0x6C)); // (c0 c3 c2 c1)
      ctr = _mm512_add_epi64(ctr, step);
    }
#pragma GCC unroll 10
    for (int r = 0; r < 10; ++r) {
#pragma GCC unroll 8
      for (int v = 0; v < kVec512; ++v) {
        __m512i p = _mm512_mul_epu32(c[v], mult);
        // Odd lanes p ^ c ^ key, even lanes p.
        __m512i q = _mm512_mask_ternarylogic_epi32(p, __mmask16(0xAAAA), c[v], keys[r], 0x96);
        c[v] = r < 9 ? _mm512_shuffle_epi32(q, _MM_PERM_ENUM(0x93))
                     : _mm512_shuffle_epi32(q, _MM_PERM_ENUM(0x1B));
      }
    }
    for (int v = 0; v < kVec512; ++v) {
      if constexpr (kUniform)
        _mm512_storeu_ps(out + 4 * i + 16 * v,
                         _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(c[v], 8)),
                                       _mm512_set1_ps(0x1p-24f)));
      else
        _mm512_storeu_si512(out + 4 * i + 16 * v, c[v]);
    }
  }
  scalarBlocks<kUniform>(seed, stream, first + uint64_t(i), count - i, out + 4 * i);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// 4 vectors (8 blocks) an iteration: 16 ymm registers.
constexpr int kVec256 = 4;

template <bool kUniform, class Out>
__attribute__((target("avx2"))) void avx2Blocks(uint64_t seed, uint64_t stream, uint64_t first,
                                                  int64_t count, Out *out) {
  const Key k = keyFor(seed);
  const __m256i mult = _mm256_setr_epi32(int(kM0), 0, int(kM1), 0, int(kM0), 0, int(kM1), 0);
  __m256i keys[10];
  for (uint32_t r = 0; r < 10; ++r) {
    const int k0 = int(k[0] + r * kW0), k1 = int(k[1] + r * kW1);
    keys[r] = _mm256_setr_epi32(0, k1, 0, k0, 0, k1, 0, k0);
  }
  const __m256i odd = _mm256_setr_epi32(0, -1, 0, -1, 0, -1, 0, -1);
  __m256i ctr = _mm256_add_epi64(_mm256_set_epi64x(int64_t(stream), 1, int64_t(stream), 0),
                                 _mm256_set_epi64x(0, int64_t(first), 0, int64_t(first)));
  const __m256i step = _mm256_set_epi64x(0, 2, 0, 2);
  constexpr int64_t kBlocks = 2 * kVec256;
  int64_t i = 0;
  for (; i + kBlocks <= count; i += kBlocks) {
    __m256i c[kVec256];
    for (int v = 0; v < kVec256; ++v) {
      c[v] = _mm256_shuffle_epi32(ctr, 0x6C); // (c0 c3 c2 c1)
      ctr = _mm256_add_epi64(ctr, step);
    }
#pragma GCC unroll 10
    for (int r = 0; r < 10; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < kVec256; ++v) {
        __m256i p = _mm256_mul_epu32(c[v], mult);
        __m256i q = _mm256_xor_si256(p, _mm256_xor_si256(_mm256_and_si256(c[v], odd), keys[r]));
        c[v] = r < 9 ? _mm256_shuffle_epi32(q, 0x93) : _mm256_shuffle_epi32(q, 0x1B);
      }
    }
    for (int v = 0; v < kVec256; ++v) {
      if constexpr (kUniform)
        _mm256_storeu_ps(out + 4 * i + 8 * v,
                         _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(c[v], 8)),
                                       _mm256_set1_ps(0x1p-24f)));
      else
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + 4 * i + 8 * v), c[v]);
    }
  }
  scalarBlocks<kUniform>(seed, stream, first + uint64_t(i), count - i, out + 4 * i);
}

BlocksIsa bestIsa() {
  static const BlocksIsa best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
      return BlocksIsa::Avx512;
    if (__builtin_cpu_supports("avx2"))
      return BlocksIsa::Avx2;
    return BlocksIsa::Scalar;
  }();
  return best;
}

#else

BlocksIsa bestIsa() { return BlocksIsa::Scalar; }

#endif

// Process-wide like the CPU it describes; -1 until the first use (or a
// test) decides.
std::atomic<int> gActive{-1};

} // namespace

const char *blocksIsaName(BlocksIsa isa) {
  switch (isa) {
  case BlocksIsa::Scalar: return "scalar";
  case BlocksIsa::Avx2: return "avx2";
  case BlocksIsa::Avx512: return "avx512";
  }
  KILN_UNREACHABLE("bad BlocksIsa");
}

bool blocksIsaSupported(BlocksIsa isa) {
  switch (isa) {
  case BlocksIsa::Scalar: return true;
  case BlocksIsa::Avx2: return bestIsa() != BlocksIsa::Scalar; // AVX-512F implies AVX2
  case BlocksIsa::Avx512: return bestIsa() == BlocksIsa::Avx512;
  }
  KILN_UNREACHABLE("bad BlocksIsa");
}

BlocksIsa activeBlocksIsa() {
  int v = gActive.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(bestIsa());
    int expected = -1;
    if (!gActive.compare_exchange_strong(expected, v))
      v = expected;
  }
  return static_cast<BlocksIsa>(v);
}

bool setBlocksIsaForTesting(BlocksIsa isa) {
  if (!blocksIsaSupported(isa))
    return false;
  gActive.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

namespace {

template <bool kUniform, class Out>
void blocksWith(BlocksIsa isa, uint64_t seed, uint64_t stream, uint64_t first, int64_t count,
                Out *out) {
  KILN_ASSERT(blocksIsaSupported(isa), "philox: this CPU cannot run the requested level");
  if (count <= 0)
    return;
  switch (isa) {
  case BlocksIsa::Scalar: scalarBlocks<kUniform>(seed, stream, first, count, out); return;
#if defined(__x86_64__)
  case BlocksIsa::Avx2: avx2Blocks<kUniform>(seed, stream, first, count, out); return;
  case BlocksIsa::Avx512: avx512Blocks<kUniform>(seed, stream, first, count, out); return;
#else
  default: break;
#endif
  }
  KILN_UNREACHABLE("bad BlocksIsa");
}

} // namespace

void blockWordsWith(BlocksIsa isa, uint64_t seed, uint64_t stream, uint64_t first, int64_t count,
                    uint32_t *out) {
  blocksWith<false>(isa, seed, stream, first, count, out);
}

void blockWords(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, uint32_t *out) {
  blocksWith<false>(activeBlocksIsa(), seed, stream, first, count, out);
}

void uniformF32BlocksWith(BlocksIsa isa, uint64_t seed, uint64_t stream, uint64_t first,
                          int64_t count, float *out) {
  blocksWith<true>(isa, seed, stream, first, count, out);
}

void uniformF32Blocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, float *out) {
  blocksWith<true>(activeBlocksIsa(), seed, stream, first, count, out);
}

} // namespace kiln::runtime::philox
