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

void eigenCd1(const float *v0, const float *u, int64_t n, int64_t V, int64_t H, float lr,
              float *W, float *hb, float *vb) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Row = Eigen::Matrix<float, 1, Eigen::Dynamic>;
  Eigen::Map<const Mat> V0(v0, n, V), U(u, n, H);
  Eigen::Map<Mat> Wm(W, V, H);
  Eigen::Map<Row> HB(hb, H), VB(vb, V);
  auto sigmoid = [](const Mat &x) -> Mat {
    return (1.0f / (1.0f + (-x.array()).exp())).matrix();
  };
  Mat H0 = sigmoid((V0 * Wm).rowwise() + HB);
  Mat HS = (U.array() < H0.array()).cast<float>().matrix();
  Mat V1 = sigmoid((HS * Wm.transpose()).rowwise() + VB);
  Mat H1 = sigmoid((V1 * Wm).rowwise() + HB);
  Wm.noalias() += (lr / float(n)) * (V0.transpose() * H0);
  Wm.noalias() -= (lr / float(n)) * (V1.transpose() * H1);
  HB += lr * (H0 - H1).colwise().mean();
  VB += lr * (V0 - V1).colwise().mean();
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
