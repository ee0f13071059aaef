// Matrix products through Eigen's GEMM on row-major maps, split into fixed
// row blocks so the result does not depend on the number of threads.
//
// Why fixed blocks: Eigen's own OpenMP GEMM splits the output by thread
// count, and its micro-kernels take different code paths (different
// accumulation orders) for rows at different positions in a split, so the
// bits would change with OMP_NUM_THREADS. We switch Eigen's threading off
// and parallelize over blocks of kMatmulRowBlock output rows ourselves.
#include <Eigen/Core>
#include <cstring>
#include <mutex>

#include "runtime/KernelsInternal.h"

namespace kiln::runtime::kernels {

namespace {

void disableEigenThreads() {
  // Process-wide Eigen setting, set once: every kiln GEMM parallelizes itself.
  static std::once_flag once;
  std::call_once(once, [] { Eigen::setNbThreads(1); });
}

template <class T>
void gemmTyped(const T *a, const T *b, T *c, int64_t m, int64_t n, int64_t k, bool ta,
               bool tb) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    std::memset(c, 0, sizeof(T) * static_cast<size_t>(m * n));
    return;
  }
  disableEigenThreads();
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using CMap = Eigen::Map<const Mat>;
  using MMap = Eigen::Map<Mat>;
  const CMap A(a, ta ? k : m, ta ? m : k);
  const CMap B(b, tb ? n : k, tb ? k : n);
  const int64_t blocks = (m + kMatmulRowBlock - 1) / kMatmulRowBlock;
  auto block = [&](int64_t bi) {
    const int64_t r0 = bi * kMatmulRowBlock;
    const int64_t rows = std::min(kMatmulRowBlock, m - r0);
    MMap C(c + r0 * n, rows, n);
    if (!ta && !tb)
      C.noalias() = A.middleRows(r0, rows) * B;
    else if (!ta && tb)
      C.noalias() = A.middleRows(r0, rows) * B.transpose();
    else if (ta && !tb)
      C.noalias() = A.middleCols(r0, rows).transpose() * B;
    else
      C.noalias() = A.middleCols(r0, rows).transpose() * B.transpose();
  };
  // Worth the fork only for a few MFLOP.
  if (blocks > 1 && m * n * k >= (int64_t(1) << 18)) {
#pragma omp parallel for schedule(static)
    for (int64_t bi = 0; bi < blocks; ++bi)
      block(bi);
  } else {
    for (int64_t bi = 0; bi < blocks; ++bi)
      block(bi);
  }
}

} // namespace

void gemm(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k,
          bool transposeA, bool transposeB) {
  gemmTyped(a, b, c, m, n, k, transposeA, transposeB);
}

void gemm(const double *a, const double *b, double *c, int64_t m, int64_t n, int64_t k,
          bool transposeA, bool transposeB) {
  gemmTyped(a, b, c, m, n, k, transposeA, transposeB);
}

KernelResult matmul(const Tensor &a, const Tensor &b, bool ta, bool tb) {
  if (a.rank() != 2 || b.rank() != 2)
    return KernelResult::failure("matmul needs rank-2 operands, got shapes " +
                                 detail::shapeStr(a.shape()) + " and " +
                                 detail::shapeStr(b.shape()));
  KILN_ASSERT(a.dtype() == b.dtype() && ir::isFloat(a.dtype()),
              "matmul: operands must share a float element type (the verifier rules it out)");
  const int64_t m = ta ? a.dim(1) : a.dim(0), ka = ta ? a.dim(0) : a.dim(1);
  const int64_t kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
  if (ka != kb)
    return KernelResult::failure("matmul: inner dimensions differ: " + std::to_string(ka) +
                                 " and " + std::to_string(kb) + " (shapes " +
                                 detail::shapeStr(a.shape()) + (ta ? ".T" : "") + " @ " +
                                 detail::shapeStr(b.shape()) + (tb ? ".T" : "") + ")");
  Tensor out = Tensor::empty(a.dtype(), {m, n});
  if (a.dtype() == ir::ElemType::F32)
    gemmTyped(a.data<float>(), b.data<float>(), out.data<float>(), m, n, ka, ta, tb);
  else
    gemmTyped(a.data<double>(), b.data<double>(), out.data<double>(), m, n, ka, ta, tb);
  return KernelResult::success(std::move(out));
}

} // namespace kiln::runtime::kernels

extern "C" {
void kiln_rt_gemm_f32(const float *a, const float *b, float *c, int64_t m, int64_t n,
                      int64_t k, int32_t transposeA, int32_t transposeB) {
  kiln::runtime::kernels::gemm(a, b, c, m, n, k, transposeA != 0, transposeB != 0);
}
void kiln_rt_gemm_f64(const double *a, const double *b, double *c, int64_t m, int64_t n,
                      int64_t k, int32_t transposeA, int32_t transposeB) {
  kiln::runtime::kernels::gemm(a, b, c, m, n, k, transposeA != 0, transposeB != 0);
}
}
