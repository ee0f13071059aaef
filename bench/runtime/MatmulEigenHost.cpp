// The Eigen reference for bench_matmul, compiled for the host CPU
// (-march=native, bench/CMakeLists.txt) so that it uses the same vector
// width as kiln's run-time-dispatched GEMM kernels: a fair baseline.
// Single-threaded (EIGEN_DONT_PARALLELIZE): Eigen's OpenMP split is not
// deterministic, and the comparison kiln must win is per core.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include "MatmulRefs.h"

namespace kiln::bench {

void eigenHostSgemm(int64_t m, int64_t n, int64_t k, const float *a, bool ta, const float *b,
                    bool tb, float *c) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Mat> A(a, ta ? k : m, ta ? m : k), B(b, tb ? n : k, tb ? k : n);
  Eigen::Map<Mat> C(c, m, n);
  if (!ta && !tb)
    C.noalias() = A * B;
  else if (ta && !tb)
    C.noalias() = A.transpose() * B;
  else if (!ta && tb)
    C.noalias() = A * B.transpose();
  else
    C.noalias() = A.transpose() * B.transpose();
}

const char *eigenHostSimd() { return Eigen::SimdInstructionSetsInUse(); }

} // namespace kiln::bench
