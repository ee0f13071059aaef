#include "bench/codegen/HostReference.h"

#include <Eigen/Core>

namespace kiln::bench {

namespace {
// Both references split the work like kiln's kernels: fixed chunks, a static
// OpenMP schedule, serial below 64K elements.
constexpr int64_t kChunk = 64 * 1024;
} // namespace

void eigenChain(const float *a, const float *b, float *o, int64_t n) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t begin = c * kChunk, len = std::min(kChunk, n - begin);
    Eigen::Map<const Eigen::ArrayXf> A(a + begin, len), B(b + begin, len);
    Eigen::Map<Eigen::ArrayXf> O(o + begin, len);
    O = (1.0f / (1.0f + (-(2.0f * A + B)).exp())) * A - B;
  }
}

void triad(const float *a, const float *b, float *o, int64_t n) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t begin = c * kChunk, end = std::min(n, begin + kChunk);
    for (int64_t i = begin; i < end; ++i)
      o[i] = a[i] + 3.0f * b[i];
  }
}

const char *hostReferenceIsa() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__)
  return "avx2";
#elif defined(__AVX__)
  return "avx";
#else
  return "sse2";
#endif
}

} // namespace kiln::bench
