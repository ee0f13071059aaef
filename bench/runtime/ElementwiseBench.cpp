// The elementwise chain sigmoid(2a+b)*a-b four ways, on the same sizes:
//   Kernels      one kernels:: call per op, as the interpreter runs it
//                (5 passes over memory, 4 temporaries from the pool)
//   FusedLoop    one hand-written loop with kmath::sigmoid (what a fused
//                JIT kernel computes: the same bits as Kernels)
//   EigenFused   one Eigen array expression with Eigen's own vectorized exp
//   Triad        STREAM triad a = b + s*c: the memory-bandwidth reference
// and random tensor initialization (normal, uniform) against a constant fill.
// Every variant reads two arrays and writes one, so bytes_per_second (12
// bytes per element) compares them directly: Triad is the ceiling.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <omp.h>

#include "runtime/Kernels.h"
#include "runtime/KilnMath.h"

using kiln::ir::ElemType;
using kiln::runtime::Tensor;
namespace kernels = kiln::runtime::kernels;
namespace kmath = kiln::runtime::kmath;

namespace {

Tensor input(int64_t n, uint64_t stream) {
  return kernels::randomUniform(ElemType::F32, {n}, 1, stream, 0);
}

/// One untimed pass so the pool holds the output block (as in a training
/// loop's steady state) before timing starts.
void warmPool(int64_t n) { Tensor::zeros(ElemType::F32, {n}); }

void setBytes(benchmark::State &state, int64_t n) {
  state.SetBytesProcessed(int64_t(state.iterations()) * n * 3 * int64_t(sizeof(float)));
  state.counters["elems"] = double(n);
}

void BM_ChainKernels(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor a = input(n, 1), b = input(n, 2);
  Tensor two = Tensor::scalarF32(2.0f);
  auto step = [&] {
    Tensor t1 = kernels::binary(kernels::BinaryOp::Mul, two, a).value;
    Tensor t2 = kernels::binary(kernels::BinaryOp::Add, t1, b).value;
    Tensor t3 = kernels::unary(kernels::UnaryOp::Sigmoid, t2);
    Tensor t4 = kernels::binary(kernels::BinaryOp::Mul, t3, a).value;
    Tensor out = kernels::binary(kernels::BinaryOp::Sub, t4, b).value;
    benchmark::DoNotOptimize(out.raw());
  };
  step(); // warm the buffer pool: steady-state steps, not first touch
  for (auto _ : state)
    step();
  setBytes(state, n);
}

/// The fused loop over [begin, end), in host-ISA clones like the
/// interpreter's loops (runtime/KernelsInternal.h): kmath's exp/sigmoid use
/// fma, which baseline x86-64 code can only call in libm (measured 10x
/// slower). flatten inlines kmath so each clone's fma is a vfmadd.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
__attribute__((flatten)) void fusedChain(const float *__restrict pa, const float *__restrict pb,
                                         float *__restrict po, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i)
    po[i] = kmath::sigmoid(2.0f * pa[i] + pb[i]) * pa[i] - pb[i];
}

void BM_ChainFusedLoop(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor a = input(n, 1), b = input(n, 2);
  warmPool(n);
  for (auto _ : state) {
    Tensor out = Tensor::empty(ElemType::F32, {n});
    const float *pa = a.data<float>();
    const float *pb = b.data<float>();
    float *po = out.data<float>();
    // Static split as `omp parallel for` would (the body outlined by
    // OpenMP would not be cloned, so it calls the clone per thread).
#pragma omp parallel if (n >= kernels::kParallelThreshold)
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      fusedChain(pa, pb, po, n * t / nt, n * (t + 1) / nt);
    }
    benchmark::DoNotOptimize(out.raw());
  }
  setBytes(state, n);
}

void BM_ChainEigenFused(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor a = input(n, 1), b = input(n, 2);
  Eigen::Map<const Eigen::ArrayXf> A(a.data<float>(), n), B(b.data<float>(), n);
  warmPool(n);
  for (auto _ : state) {
    Tensor out = Tensor::empty(ElemType::F32, {n});
    Eigen::Map<Eigen::ArrayXf> O(out.data<float>(), n);
    O = (1.0f / (1.0f + (-(2.0f * A + B)).exp())) * A - B;
    benchmark::DoNotOptimize(out.raw());
  }
  setBytes(state, n);
}

void BM_Triad(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor b = input(n, 1), c = input(n, 2);
  const float s = 3.0f;
  warmPool(n);
  for (auto _ : state) {
    Tensor out = Tensor::empty(ElemType::F32, {n});
    const float *__restrict pb = b.data<float>();
    const float *__restrict pc = c.data<float>();
    float *__restrict po = out.data<float>();
#pragma omp parallel for schedule(static) if (n >= kernels::kParallelThreshold)
    for (int64_t i = 0; i < n; ++i)
      po[i] = pb[i] + s * pc[i];
    benchmark::DoNotOptimize(out.raw());
  }
  setBytes(state, n);
}

// Tensor initialization: n f32 draws into a fresh (pooled) tensor, against
// the write bandwidth of filling the same tensor with a constant (4 bytes
// per element written; compare bytes_per_second, reference BM_FillWrite).
void setWriteBytes(benchmark::State &state, int64_t n) {
  state.SetBytesProcessed(int64_t(state.iterations()) * n * int64_t(sizeof(float)));
}
template <Tensor (*Draw)(ElemType, std::vector<int64_t>, uint64_t, uint64_t, uint64_t)>
void randomInit(benchmark::State &state) {
  const int64_t n = state.range(0);
  warmPool(n);
  for (auto _ : state) {
    Tensor t = Draw(ElemType::F32, {n}, 7, 1, 0);
    benchmark::DoNotOptimize(t.raw());
  }
  setWriteBytes(state, n);
}
void BM_RandomNormalInit(benchmark::State &state) { randomInit<kernels::randomNormal>(state); }
void BM_RandomUniformInit(benchmark::State &state) { randomInit<kernels::randomUniform>(state); }
void BM_FillWrite(benchmark::State &state) {
  const int64_t n = state.range(0);
  warmPool(n);
  for (auto _ : state) {
    Tensor t = Tensor::empty(ElemType::F32, {n});
    float *p = t.data<float>();
#pragma omp parallel for schedule(static) if (n >= kernels::kParallelThreshold)
    for (int64_t i = 0; i < n; ++i)
      p[i] = 1.5f;
    benchmark::DoNotOptimize(t.raw());
  }
  setWriteBytes(state, n);
}

// 64K (L2-resident), 1M (L3-ish) and 8M floats (32 MiB per array: DRAM).
#define SIZES ->Arg(1 << 16)->Arg(1 << 20)->Arg(1 << 23)->MinTime(0.3)->UseRealTime()
BENCHMARK(BM_ChainKernels) SIZES;
BENCHMARK(BM_ChainFusedLoop) SIZES;
BENCHMARK(BM_ChainEigenFused) SIZES;
BENCHMARK(BM_Triad) SIZES;
// 1M and 16M floats (64 MiB: DRAM), the sizes of issue #11's randn target.
#define INIT_SIZES ->Arg(1 << 20)->Arg(1 << 24)->MinTime(0.3)->UseRealTime()
BENCHMARK(BM_RandomNormalInit) INIT_SIZES;
BENCHMARK(BM_RandomUniformInit) INIT_SIZES;
BENCHMARK(BM_FillWrite) INIT_SIZES;

} // namespace

BENCHMARK_MAIN();
