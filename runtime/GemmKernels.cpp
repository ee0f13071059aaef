// The GEMM micro-kernels of every ISA level and their cache blocking, in one
// binary built for baseline x86-64: the AVX2 and AVX-512 kernels carry
// target attributes and Gemm.cpp calls them only on CPUs that have them.
//
// Blocking (MR x NR register tile, MC x KC block of packed A kept in L2, a
// KC x NR micro-panel of packed B kept in L1), chosen on the project's
// first machine (AMD EPYC Zen 3: L1d 32 KiB, L2 512 KiB per core, no
// AVX-512; the Zen 4 machines since run the AVX-512 level with its
// untuned blocking), measured in bench/runtime/MatmulBench.cpp and
// explained in docs/runtime-core.md:
//   AVX2 f32: 6 x 16 (12 ymm accumulators), MC 144, KC 256
//   AVX2 f64: 6 x 8, MC 72, KC 256
//   AVX-512 f32: 12 x 32 (24 zmm accumulators), MC 144, KC 128
//   AVX-512 f64: 12 x 16, MC 72, KC 128 (AVX-512 blocking not tuned yet)
//   scalar: 4 x 4, MC 64, KC 256
#include <algorithm>
#include <cmath>
#include <immintrin.h>

#include "runtime/GemmInternal.h"

namespace kiln::runtime::gemm::detail {

// ---- scalar: std::fma, the portable definition of the chain -------------------

namespace scalar {

template <class T, int MR, int NR>
void microKernel(int64_t kc, const T *pa, const T *pb, T *c, int64_t ldc, bool accumulate) {
  T acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      acc[i][j] = accumulate ? c[i * ldc + j] : T(0);
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j)
        acc[i][j] = std::fma(pa[i], pb[j], acc[i][j]);
    pa += MR;
    pb += NR;
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      c[i * ldc + j] = acc[i][j];
}

template <class T>
void smallKernel(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa, int64_t csa, const T *b,
                 int64_t ldb, T *c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T acc = T(0);
      for (int64_t p = 0; p < k; ++p)
        acc = std::fma(a[i * rsa + p * csa], b[p * ldb + j], acc);
      c[i * ldc + j] = acc;
    }
}

} // namespace scalar

// ---- AVX2 + FMA3 ----------------------------------------------------------------

namespace avx2 {

#define KILN_GEMM_TARGET __attribute__((target("avx2,fma")))
#define KILN_GEMM_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

struct F32 {
  using T = float;
  using Reg = __m256;
  static constexpr int kLanes = 8;
  KILN_GEMM_INLINE Reg zero() { return _mm256_setzero_ps(); }
  KILN_GEMM_INLINE Reg load(const T *p) { return _mm256_loadu_ps(p); }
  KILN_GEMM_INLINE void store(T *p, Reg v) { _mm256_storeu_ps(p, v); }
  KILN_GEMM_INLINE Reg broadcast(const T *p) { return _mm256_broadcast_ss(p); }
  KILN_GEMM_INLINE Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  using Mask = __m256i;
  KILN_GEMM_INLINE Mask mask(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  KILN_GEMM_INLINE Reg maskLoad(const T *p, Mask m) { return _mm256_maskload_ps(p, m); }
  KILN_GEMM_INLINE void maskStore(T *p, Reg v, Mask m) { _mm256_maskstore_ps(p, m, v); }
};

struct F64 {
  using T = double;
  using Reg = __m256d;
  static constexpr int kLanes = 4;
  KILN_GEMM_INLINE Reg zero() { return _mm256_setzero_pd(); }
  KILN_GEMM_INLINE Reg load(const T *p) { return _mm256_loadu_pd(p); }
  KILN_GEMM_INLINE void store(T *p, Reg v) { _mm256_storeu_pd(p, v); }
  KILN_GEMM_INLINE Reg broadcast(const T *p) { return _mm256_broadcast_sd(p); }
  KILN_GEMM_INLINE Reg fma(Reg a, Reg b, Reg c) { return _mm256_fmadd_pd(a, b, c); }
  using Mask = __m256i;
  KILN_GEMM_INLINE Mask mask(int64_t count) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  KILN_GEMM_INLINE Reg maskLoad(const T *p, Mask m) { return _mm256_maskload_pd(p, m); }
  KILN_GEMM_INLINE void maskStore(T *p, Reg v, Mask m) { _mm256_maskstore_pd(p, m, v); }
};

#include "runtime/GemmMicroKernel.inc"

#undef KILN_GEMM_INLINE
#undef KILN_GEMM_TARGET

} // namespace avx2

// ---- AVX-512F -------------------------------------------------------------------

namespace avx512 {

#define KILN_GEMM_TARGET __attribute__((target("avx512f")))
#define KILN_GEMM_INLINE __attribute__((target("avx512f"), always_inline)) static inline

struct F32 {
  using T = float;
  using Reg = __m512;
  static constexpr int kLanes = 16;
  KILN_GEMM_INLINE Reg zero() { return _mm512_setzero_ps(); }
  KILN_GEMM_INLINE Reg load(const T *p) { return _mm512_loadu_ps(p); }
  KILN_GEMM_INLINE void store(T *p, Reg v) { _mm512_storeu_ps(p, v); }
  KILN_GEMM_INLINE Reg broadcast(const T *p) { return _mm512_set1_ps(*p); }
  KILN_GEMM_INLINE Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
  using Mask = __mmask16;
  KILN_GEMM_INLINE Mask mask(int64_t count) { return Mask((1u << count) - 1); }
  KILN_GEMM_INLINE Reg maskLoad(const T *p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  KILN_GEMM_INLINE void maskStore(T *p, Reg v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
};

struct F64 {
  using T = double;
  using Reg = __m512d;
  static constexpr int kLanes = 8;
  KILN_GEMM_INLINE Reg zero() { return _mm512_setzero_pd(); }
  KILN_GEMM_INLINE Reg load(const T *p) { return _mm512_loadu_pd(p); }
  KILN_GEMM_INLINE void store(T *p, Reg v) { _mm512_storeu_pd(p, v); }
  KILN_GEMM_INLINE Reg broadcast(const T *p) { return _mm512_set1_pd(*p); }
  KILN_GEMM_INLINE Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_pd(a, b, c); }
  using Mask = __mmask8;
  KILN_GEMM_INLINE Mask mask(int64_t count) { return Mask((1u << count) - 1); }
  KILN_GEMM_INLINE Reg maskLoad(const T *p, Mask m) { return _mm512_maskz_loadu_pd(m, p); }
  KILN_GEMM_INLINE void maskStore(T *p, Reg v, Mask m) { _mm512_mask_storeu_pd(p, m, v); }
};

#include "runtime/GemmMicroKernel.inc"

#undef KILN_GEMM_INLINE
#undef KILN_GEMM_TARGET

/// The small-product kernel for AVX-512: a product whose columns fit one
/// 256-bit vector (n <= 8 f32, <= 4 f64) runs on the AVX2 kernel, when the
/// CPU has AVX2 + FMA (every AVX-512 CPU made so far): a 512-bit fma with
/// half its lanes live costs Zen 4 as much as two 256-bit ones. The AVX2
/// kernel computes the same chains, so the bits do not change.
template <class V, class Narrow>
void smallKernelNarrowAvx2(int64_t m, int64_t n, int64_t k, const typename V::T *a, int64_t rsa,
                           int64_t csa, const typename V::T *b, int64_t ldb, typename V::T *c,
                           int64_t ldc) {
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  if (n <= Narrow::kLanes && avx2)
    avx2::smallKernel<Narrow>(m, n, k, a, rsa, csa, b, ldb, c, ldc);
  else
    smallKernel<V>(m, n, k, a, rsa, csa, b, ldb, c, ldc);
}

} // namespace avx512

// ---- the tables -------------------------------------------------------------------

const KernelSet &scalarKernels() {
  static const KernelSet set{
      {4, 4, 64, 256, scalar::microKernel<float, 4, 4>, scalar::smallKernel<float>},
      {4, 4, 64, 256, scalar::microKernel<double, 4, 4>, scalar::smallKernel<double>}};
  return set;
}

const KernelSet &avx2Kernels() {
  static const KernelSet set{
      {6, 16, 144, 256, avx2::microKernel<avx2::F32, 6, 2>, avx2::smallKernel<avx2::F32>},
      {6, 8, 72, 256, avx2::microKernel<avx2::F64, 6, 2>, avx2::smallKernel<avx2::F64>}};
  return set;
}

const KernelSet &avx512Kernels() {
  static const KernelSet set{
      {12, 32, 144, 128, avx512::microKernel<avx512::F32, 12, 2>,
       avx512::smallKernelNarrowAvx2<avx512::F32, avx2::F32>},
      {12, 16, 72, 128, avx512::microKernel<avx512::F64, 12, 2>,
       avx512::smallKernelNarrowAvx2<avx512::F64, avx2::F64>}};
  return set;
}

static_assert(12 <= kMaxMr && 32 <= kMaxNr, "edge scratch too small for the largest tile");

} // namespace kiln::runtime::gemm::detail
