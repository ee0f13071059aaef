// matmul [256, 784] x [784, 256] (an RBM layer on an MNIST batch) through
// kernels::matmul (fixed 64-row blocks, Eigen single-threaded per block) and
// through raw Eigen with its own threading, in the same process; plus the
// transposed variants the RBM update uses. Counter: FLOP/s.
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include "runtime/Kernels.h"

using kiln::ir::ElemType;
using kiln::runtime::Tensor;
namespace kernels = kiln::runtime::kernels;

namespace {

constexpr int64_t M = 256, K = 784, N = 256;

void setFlops(benchmark::State &state) {
  state.counters["FLOP/s"] = benchmark::Counter(double(2 * M * N * K) * double(state.iterations()),
                                                benchmark::Counter::kIsRate);
}

void BM_MatmulKernels(benchmark::State &state) {
  bool ta = state.range(0) & 1, tb = state.range(0) & 2;
  Tensor a = kernels::randomUniform(ElemType::F32, ta ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K}, 1, 1, 0);
  Tensor b = kernels::randomUniform(ElemType::F32, tb ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N}, 1, 2, 0);
  kernels::matmul(a, b, ta, tb); // warm the pool
  for (auto _ : state) {
    Tensor c = kernels::matmul(a, b, ta, tb).value;
    benchmark::DoNotOptimize(c.raw());
  }
  setFlops(state);
}

void BM_MatmulEigen(benchmark::State &state) {
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Tensor a = kernels::randomUniform(ElemType::F32, {M, K}, 1, 1, 0);
  Tensor b = kernels::randomUniform(ElemType::F32, {K, N}, 1, 2, 0);
  Eigen::Map<const Mat> A(a.data<float>(), M, K), B(b.data<float>(), K, N);
  // Eigen's own OpenMP threading, as a library user would get it (kiln's
  // kernels switch it off for determinism; re-enable it for this baseline).
  Eigen::setNbThreads(int(state.range(0)));
  Tensor::zeros(ElemType::F32, {M, N}); // warm the pool
  for (auto _ : state) {
    Tensor c = Tensor::empty(ElemType::F32, {M, N});
    Eigen::Map<Mat> C(c.data<float>(), M, N);
    C.noalias() = A * B;
    benchmark::DoNotOptimize(c.raw());
  }
  Eigen::setNbThreads(1);
  setFlops(state);
}

BENCHMARK(BM_MatmulKernels)->ArgName("flags")->DenseRange(0, 3)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_MatmulEigen)->ArgName("threads")->Arg(1)->Arg(2)->MinTime(0.3)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
