// The elementwise chain sigmoid(2a+b)*a-b over n floats, four ways, in one
// run so the ratios are meaningful on a shared machine:
//   Jit          the fused group compiled by kiln (codegen/JitExecutor)
//   Interpreted  the same group op by op through the reference kernels,
//                as `kiln run --no-jit` runs it (5 passes, 4 temporaries)
//   EigenHost    one Eigen array expression built with -march=native
//   TriadHost    STREAM triad built with -march=native: the bandwidth ceiling
// Every variant reads two arrays and writes one: bytes_per_second (12 bytes
// per element) compares them directly. Run with OMP_NUM_THREADS=1 and 2
// (bench/run_codegen_bench.sh also runs 2 threads beside a busy process).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench/codegen/HostReference.h"
#include "codegen/JitExecutor.h"
#include "ir/Parser.h"
#include "runtime/Kernels.h"

using kiln::ir::ElemType;
using kiln::runtime::Tensor;
namespace kernels = kiln::runtime::kernels;

namespace {

Tensor input(int64_t n, uint64_t stream) {
  return kernels::randomUniform(ElemType::F32, {n}, 1, stream, 0);
}

void setBytes(benchmark::State &state, int64_t n) {
  state.SetBytesProcessed(int64_t(state.iterations()) * n * 3 * int64_t(sizeof(float)));
}

/// The chain as a fused op over f32[n], compiled once per size.
struct CompiledChain {
  std::unique_ptr<kiln::ir::Module> module;
  std::unique_ptr<kiln::codegen::JitExecutor> jit;
  int32_t id = -1;

  explicit CompiledChain(int64_t n) {
    std::string t = "f32[" + std::to_string(n) + "]";
    std::string text = "module @m {\n  func @main() {\n"
                       "    %a = random_uniform {seed = 1, stream = 1} : " + t + "\n"
                       "    %b = random_uniform {seed = 1, stream = 2} : " + t + "\n"
                       "    %r = fused @k0(%a, %b) : " + t + " {\n"
                       "    ^bb0(%x: " + t + ", %y: " + t + "):\n"
                       "      %two = constant 2.0 : f32\n"
                       "      %t = mul %two, %x : " + t + "\n"
                       "      %u = add %t, %y : " + t + "\n"
                       "      %s = sigmoid %u : " + t + "\n"
                       "      %v = mul %s, %x : " + t + "\n"
                       "      %w = sub %v, %y : " + t + "\n"
                       "      yield %w\n    }\n  }\n}\n";
    kiln::ir::SourceManager sm;
    kiln::ir::DiagnosticEngine diag(&sm);
    module = kiln::ir::parseModule(text, "chain.kir", sm, diag);
    kiln::codegen::KernelCompiler::Options opts;
    opts.diskCache = false;
    jit = std::move(*kiln::codegen::JitExecutor::create(opts));
    module->op().walk([&](kiln::ir::Operation &op) {
      if (op.is(kiln::ir::OpKind::Fused))
        id = jit->prepare(op);
    });
  }
};

void BM_ChainJit(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor in[2] = {input(n, 1), input(n, 2)};
  CompiledChain chain(n);
  if (chain.id < 0) {
    state.SkipWithError("the chain was not compiled");
    return;
  }
  std::vector<Tensor> out;
  chain.jit->run(chain.id, in, out, {}); // warm the pool
  for (auto _ : state) {
    out.clear();
    chain.jit->run(chain.id, in, out, {});
    benchmark::DoNotOptimize(out[0].raw());
  }
  setBytes(state, n);
}

void BM_ChainInterpreted(benchmark::State &state) {
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
  step();
  for (auto _ : state)
    step();
  setBytes(state, n);
}

void BM_ChainEigenHost(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor a = input(n, 1), b = input(n, 2);
  Tensor::zeros(ElemType::F32, {n});
  for (auto _ : state) {
    Tensor out = Tensor::empty(ElemType::F32, {n});
    kiln::bench::eigenChain(a.data<float>(), b.data<float>(), out.data<float>(), n);
    benchmark::DoNotOptimize(out.raw());
  }
  setBytes(state, n);
  state.SetLabel(kiln::bench::hostReferenceIsa());
}

void BM_TriadHost(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor a = input(n, 1), b = input(n, 2);
  Tensor::zeros(ElemType::F32, {n});
  for (auto _ : state) {
    Tensor out = Tensor::empty(ElemType::F32, {n});
    kiln::bench::triad(a.data<float>(), b.data<float>(), out.data<float>(), n);
    benchmark::DoNotOptimize(out.raw());
  }
  setBytes(state, n);
  state.SetLabel(kiln::bench::hostReferenceIsa());
}

// f32 normals inside a fused kernel, z + a: the compiled Box-Muller
// (codegen's normalF32Lanes, one pair evaluation per two lanes) against the
// interpreter's random kernel plus an add, same draws (docs/performance.md,
// "Random tensor initialization").
void BM_NormalJit(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor in[1] = {input(n, 1)};
  std::string t = "f32[" + std::to_string(n) + "]";
  std::string text = "module @m {\n  func @main() {\n"
                     "    %a = random_uniform {seed = 1, stream = 1} : " + t + "\n"
                     "    %r = fused @k0(%a) : " + t + " {\n"
                     "    ^bb0(%x: " + t + "):\n"
                     "      %z = random_normal {seed = 1, stream = 3} : " + t + "\n"
                     "      %w = add %z, %x : " + t + "\n"
                     "      yield %w\n    }\n  }\n}\n";
  kiln::ir::SourceManager sm;
  kiln::ir::DiagnosticEngine diag(&sm);
  auto module = kiln::ir::parseModule(text, "normal.kir", sm, diag);
  kiln::codegen::KernelCompiler::Options opts;
  opts.diskCache = false;
  auto jit = std::move(*kiln::codegen::JitExecutor::create(opts));
  int32_t id = -1;
  module->op().walk([&](kiln::ir::Operation &op) {
    if (op.is(kiln::ir::OpKind::Fused))
      id = jit->prepare(op);
  });
  std::vector<Tensor> out;
  std::vector<uint64_t> rng(1, 0);
  if (id < 0 || !jit->run(id, in, out, rng)) {
    state.SkipWithError("the normal kernel was not compiled");
    return;
  }
  for (auto _ : state) {
    out.clear();
    rng[0] = 0;
    jit->run(id, in, out, rng);
    benchmark::DoNotOptimize(out[0].raw());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * n * int64_t(sizeof(float)));
}

void BM_NormalInterpreted(benchmark::State &state) {
  const int64_t n = state.range(0);
  Tensor a = input(n, 1);
  for (auto _ : state) {
    Tensor z = kernels::randomNormal(ElemType::F32, {n}, 1, 3, 0);
    Tensor out = kernels::binary(kernels::BinaryOp::Add, z, a).value;
    benchmark::DoNotOptimize(out.raw());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * n * int64_t(sizeof(float)));
}

#define SIZES Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20)->Unit(benchmark::kMicrosecond)->UseRealTime()
BENCHMARK(BM_ChainJit)->SIZES;
BENCHMARK(BM_ChainInterpreted)->SIZES;
BENCHMARK(BM_ChainEigenHost)->SIZES;
BENCHMARK(BM_TriadHost)->SIZES;
BENCHMARK(BM_NormalJit)->SIZES;
BENCHMARK(BM_NormalInterpreted)->SIZES;

} // namespace

BENCHMARK_MAIN();
