// reduce_sum over everything (fixed-order blocked sum) and along each axis
// of a [1024, 1024] matrix, against Eigen's sum(), which does not promise a
// thread-independent order. Counter: bytes read per second.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <optional>

#include "runtime/Kernels.h"

using kiln::ir::ElemType;
using kiln::runtime::Tensor;
namespace kernels = kiln::runtime::kernels;

namespace {

void BM_ReduceSumAllKernels(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor x = kernels::randomUniform(ElemType::F32, {n}, 1, 1, 0);
  for (auto _ : state) {
    Tensor s = kernels::reduce(kernels::ReduceOp::Sum, x, std::nullopt).value;
    benchmark::DoNotOptimize(s.raw());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * n * 4);
}

void BM_ReduceSumAllEigen(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor x = kernels::randomUniform(ElemType::F32, {n}, 1, 1, 0);
  Eigen::Map<const Eigen::ArrayXf> X(x.data<float>(), n);
  for (auto _ : state) {
    float s = X.sum();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * n * 4);
}

void BM_ReduceSumAxisKernels(benchmark::State &state) {
  const int64_t axis = state.range(0);
  Tensor x = kernels::randomUniform(ElemType::F32, {1024, 1024}, 1, 1, 0);
  for (auto _ : state) {
    Tensor s = kernels::reduce(kernels::ReduceOp::Sum, x, axis).value;
    benchmark::DoNotOptimize(s.raw());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * 1024 * 1024 * 4);
}

void BM_ReduceSumAxisEigen(benchmark::State &state) {
  using Mat = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int64_t axis = state.range(0);
  Tensor x = kernels::randomUniform(ElemType::F32, {1024, 1024}, 1, 1, 0);
  Eigen::Map<const Mat> X(x.data<float>(), 1024, 1024);
  for (auto _ : state) {
    Tensor s = Tensor::empty(ElemType::F32, {1024});
    if (axis == 0)
      Eigen::Map<Eigen::Array<float, 1, Eigen::Dynamic>>(s.data<float>(), 1024) = X.colwise().sum();
    else
      Eigen::Map<Eigen::ArrayXf>(s.data<float>(), 1024) = X.rowwise().sum();
    benchmark::DoNotOptimize(s.raw());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * 1024 * 1024 * 4);
}

BENCHMARK(BM_ReduceSumAllKernels)->Arg(1 << 16)->Arg(1 << 22)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_ReduceSumAllEigen)->Arg(1 << 16)->Arg(1 << 22)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_ReduceSumAxisKernels)->ArgName("axis")->Arg(0)->Arg(1)->MinTime(0.3)->UseRealTime();
BENCHMARK(BM_ReduceSumAxisEigen)->ArgName("axis")->Arg(0)->Arg(1)->MinTime(0.3)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
