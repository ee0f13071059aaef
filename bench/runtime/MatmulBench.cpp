// f32 matrix products: kiln's GEMM (runtime/Gemm.h, the kernels' ISA picked
// at run time) against two references measured in the same run:
//   EigenHost  Eigen 3.4 compiled with -march=native, one thread
//   OpenBLAS   Debian's libopenblas (its DYNAMIC_ARCH kernels for the host),
//              as many threads as OpenMP gives kiln (omp_get_max_threads)
// on the shapes of an RBM layer on an MNIST batch (v0[100,784] @ W[784,256],
// 256 rows, the weight update v0.T @ h: transA, and the backward product
// h @ W.T: transB), a large square and a
// tiny one. Counter: GFLOP/s (2mnk per product, real time). Run it with
// OMP_NUM_THREADS=1 / 2 and feed --benchmark_format=json to
// bench/runtime/gemm_table.py for the kiln/reference ratios.
//
// Also kiln through kernels::matmul (tensor in, tensor out: what the VM
// calls), kiln forced to the scalar level (the std::fma fallback), and
// BM_Paired: the three back to back in each iteration, with the ratios as
// counters (the steadiest comparison on a machine shared with others).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <omp.h>
#include <string>
#include <vector>

#include "MatmulRefs.h"
#include "runtime/Gemm.h"
#include "runtime/JobPool.h"
#include "runtime/Kernels.h"

#ifdef KILN_BENCH_OPENBLAS
#include <cblas.h>
#endif

using kiln::ir::ElemType;
using kiln::runtime::Tensor;
namespace gemm = kiln::runtime::gemm;
namespace kernels = kiln::runtime::kernels;

namespace {

struct Operands {
  int64_t m, n, k;
  bool ta, tb;
  Tensor a, b, c;
  explicit Operands(const benchmark::State &state)
      : m(state.range(0)), n(state.range(1)), k(state.range(2)), ta(state.range(3) != 0),
        tb(state.range(4) != 0),
        a(kernels::randomUniform(ElemType::F32, ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}, 1, 1, 0)),
        b(kernels::randomUniform(ElemType::F32, tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, 1, 2, 0)),
        c(Tensor::zeros(ElemType::F32, {m, n})) {}
  int64_t lda() const { return ta ? m : k; }
  int64_t ldb() const { return tb ? k : n; }
};

void setFlops(benchmark::State &state, const Operands &op) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2e-9 * double(op.m) * double(op.n) * double(op.k) * double(state.iterations()),
      benchmark::Counter::kIsRate);
}

void BM_Kiln(benchmark::State &state) {
  Operands op(state);
  const auto before = kiln::runtime::poolStats();
  for (auto _ : state) {
    gemm::sgemm(op.m, op.n, op.k, op.a.data<float>(), op.lda(), op.ta, op.b.data<float>(), op.ldb(),
                op.tb, op.c.data<float>(), op.n);
    benchmark::DoNotOptimize(op.c.raw());
    benchmark::ClobberMemory();
  }
  setFlops(state, op);
  // Job-pool batches per product that waited for a descheduled helper and
  // that ran on the caller alone because of such waits (JobPool.h).
  const auto after = kiln::runtime::poolStats();
  const double iters = double(state.iterations());
  state.counters["late"] = double(after.lateBatches - before.lateBatches) / iters;
  state.counters["solo"] = double(after.soloBatches - before.soloBatches) / iters;
}

void BM_KilnScalar(benchmark::State &state) {
  const gemm::Isa saved = gemm::activeIsa();
  gemm::setIsaForTesting(gemm::Isa::Scalar);
  BM_Kiln(state);
  gemm::setIsaForTesting(saved);
}

void BM_KilnMatmul(benchmark::State &state) {
  Operands op(state);
  kernels::matmul(op.a, op.b, op.ta, false); // warm the pool
  for (auto _ : state) {
    Tensor c = kernels::matmul(op.a, op.b, op.ta, false).value;
    benchmark::DoNotOptimize(c.raw());
  }
  setFlops(state, op);
}

void BM_EigenHost(benchmark::State &state) {
  Operands op(state);
  for (auto _ : state) {
    kiln::bench::eigenHostSgemm(op.m, op.n, op.k, op.a.data<float>(), op.ta, op.b.data<float>(),
                                op.tb, op.c.data<float>());
    benchmark::DoNotOptimize(op.c.raw());
    benchmark::ClobberMemory();
  }
  setFlops(state, op);
}

#ifdef KILN_BENCH_OPENBLAS
void BM_OpenBLAS(benchmark::State &state) {
  Operands op(state);
  openblas_set_num_threads(omp_get_max_threads());
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, op.ta ? CblasTrans : CblasNoTrans, op.tb ? CblasTrans : CblasNoTrans,
                int(op.m), int(op.n), int(op.k), 1.0f, op.a.data<float>(), int(op.lda()),
                op.b.data<float>(), int(op.ldb()), 0.0f, op.c.data<float>(), int(op.n));
    benchmark::DoNotOptimize(op.c.raw());
    benchmark::ClobberMemory();
  }
  setFlops(state, op);
}

/// kiln, OpenBLAS and EigenHost back to back in every iteration, each call
/// timed on its own: the neighbours' load drifts over seconds, so ratios
/// of calls made within a millisecond of each other are far steadier than
/// ratios of separate benchmarks. Counters: median GFLOP/s of each and the
/// median over iterations of the per-iteration ratios. Meant for one
/// thread (with more, each library's idle threads spin into the next
/// one's call).
void BM_Paired(benchmark::State &state) {
  using Clock = std::chrono::steady_clock;
  Operands op(state);
  openblas_set_num_threads(omp_get_max_threads());
  std::vector<double> kiln, blas, eigen, vsBlas, vsEigen;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    gemm::sgemm(op.m, op.n, op.k, op.a.data<float>(), op.lda(), op.ta, op.b.data<float>(), op.ldb(),
                op.tb, op.c.data<float>(), op.n);
    benchmark::ClobberMemory();
    const auto t1 = Clock::now();
    cblas_sgemm(CblasRowMajor, op.ta ? CblasTrans : CblasNoTrans, op.tb ? CblasTrans : CblasNoTrans,
                int(op.m), int(op.n), int(op.k), 1.0f, op.a.data<float>(), int(op.lda()),
                op.b.data<float>(), int(op.ldb()), 0.0f, op.c.data<float>(), int(op.n));
    benchmark::ClobberMemory();
    const auto t2 = Clock::now();
    kiln::bench::eigenHostSgemm(op.m, op.n, op.k, op.a.data<float>(), op.ta, op.b.data<float>(),
                                op.tb, op.c.data<float>());
    benchmark::ClobberMemory();
    const auto t3 = Clock::now();
    const double tk = std::chrono::duration<double>(t1 - t0).count();
    const double tb = std::chrono::duration<double>(t2 - t1).count();
    const double te = std::chrono::duration<double>(t3 - t2).count();
    kiln.push_back(tk);
    blas.push_back(tb);
    eigen.push_back(te);
    vsBlas.push_back(tb / tk);
    vsEigen.push_back(te / tk);
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double gflop = 2e-9 * double(op.m) * double(op.n) * double(op.k);
  state.counters["kiln"] = gflop / median(kiln);
  state.counters["OpenBLAS"] = gflop / median(blas);
  state.counters["EigenHost"] = gflop / median(eigen);
  state.counters["kiln/OpenBLAS"] = median(vsBlas);
  state.counters["kiln/Eigen"] = median(vsEigen);
  // Best call against best call: what each reaches when the core is its own.
  const auto best = [](const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); };
  state.counters["best kiln"] = gflop / best(kiln);
  state.counters["best kiln/OpenBLAS"] = best(blas) / best(kiln);
  state.counters["best kiln/Eigen"] = best(eigen) / best(kiln);
}
#endif

/// {m, n, k, transA, transB}.
void shapes(benchmark::internal::Benchmark *b) {
  b->ArgNames({"m", "n", "k", "ta", "tb"});
  b->Args({100, 256, 784, 0, 0});  // v0 @ W
  b->Args({256, 256, 784, 0, 0});  // a 256-row batch
  b->Args({784, 256, 100, 1, 0});  // v0.T @ h (the RBM weight update)
  b->Args({100, 784, 256, 0, 1});  // h @ W.T (back to the visible units)
  b->Args({1000, 1000, 1000, 0, 0});
  b->Args({32, 8, 16, 0, 0});      // tiny
  b->MinTime(0.1)->UseRealTime();
}

BENCHMARK(BM_Kiln)->Apply(shapes);
BENCHMARK(BM_EigenHost)->Apply(shapes);
#ifdef KILN_BENCH_OPENBLAS
BENCHMARK(BM_OpenBLAS)->Apply(shapes);
#endif
#ifdef KILN_BENCH_OPENBLAS
BENCHMARK(BM_Paired)->Apply(shapes)->MinTime(1.0);
#endif
BENCHMARK(BM_KilnMatmul)->ArgNames({"m", "n", "k", "ta", "tb"})->Args({100, 256, 784, 0, 0})->Args({784, 256, 100, 1, 0})->MinTime(0.1)->UseRealTime();
BENCHMARK(BM_KilnScalar)->ArgNames({"m", "n", "k", "ta", "tb"})->Args({100, 256, 784, 0, 0})->MinTime(0.1)->UseRealTime();

} // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::AddCustomContext("kiln_gemm_isa", gemm::isaName(gemm::activeIsa()));
  benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("eigen_host_simd", kiln::bench::eigenHostSimd());
#ifdef KILN_BENCH_OPENBLAS
  benchmark::AddCustomContext("openblas", "yes");
#else
  benchmark::AddCustomContext("openblas", "not found at configure time (libopenblas-dev)");
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
