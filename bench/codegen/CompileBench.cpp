// Cold compile time of fused kernels (issue #9: <= 20 ms per kernel): each
// iteration compiles one kernel with a fresh KernelCompiler (so neither its
// memory cache nor, with the disk cache off, the disk cache can answer) and
// times getOrCompile, i.e. IR emission, LLVM's pipeline, codegen and
// loading into the JIT. The kernels:
//   CD1_kN   the distinct fused groups of the CD-1 program of CD1Bench.cpp
//            (RBM 784x256, batch 100, -O2): sampling, the GEMM epilogues,
//            the two-product weight update, the bias reductions
//   Chain    sigmoid(2a+b)*a-b over 16M f32 (FusedBench.cpp)
//   Trivial  one add of two f32[1024]: the fixed cost of a kernel, and the
//            reference the ratios are taken against on a shared machine
// Counters: ms = CPU ms per kernel (the thread's CPU time: the compile runs
// on the calling thread, so this is its wall time on an idle machine), and
// where it went by KernelCompiler::Phases (wall ms: IR, opt, codegen, load).
//   scripts/bench-ratios.py build/bench/codegen/bench_compile --ref BM_CompileTrivial
//       --metric items_per_second
// (items = kernels compiled; the 2-thread columns are the same single-
// threaded compile beside the other core's load).
#include <benchmark/benchmark.h>

#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "codegen/KernelCompiler.h"
#include "frontend/Driver.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "passes/PipelineOptions.h"
#include "runtime/Registry.h"

namespace {

using kiln::codegen::KernelCompiler;
using kiln::codegen::KernelPlan;

/// A module and the plans of its distinct fused groups.
struct Kernels {
  kiln::ir::SourceManager sources;
  kiln::ir::DiagnosticEngine diag{&sources};
  std::unique_ptr<kiln::ir::Module> module;
  std::vector<KernelPlan> plans;

  void collect() {
    if (!module) {
      diag.print(std::cerr);
      return;
    }
    std::set<std::string> seen;
    module->op().walk([&](kiln::ir::Operation &op) {
      if (!op.is(kiln::ir::OpKind::Fused))
        return;
      std::string why;
      auto plan = kiln::codegen::planKernel(op, why);
      if (plan && seen.insert(plan->key).second)
        plans.push_back(std::move(*plan));
    });
  }
};

Kernels &cd1Kernels() {
  static Kernels k = [] {
    Kernels r;
    const std::string text = "data = Dataset.bernoulli(rows=1000, cols=784, p=0.3, seed=1)\n"
                             "rbm = RBM(visible=784, hidden=256, seed=7)\n"
                             "train = SEQ([BUFFER_REPEAT(100, CALL(data.next)), FILT(rbm.cd1)])\n"
                             "main = REPEAT(10, train)\n";
    kiln::runtime::Registry registry = kiln::runtime::Registry::withBuiltins();
    r.module = kiln::frontend::compileProgram(text, "cd1.kiln", {}, "main", registry, r.sources,
                                              r.diag);
    kiln::passes::PipelineOptions pipeline;
    if (r.module && (!kiln::ir::verifyModule(*r.module, r.diag) ||
                     !kiln::passes::runPipeline(*r.module, pipeline, /*defaultLevel=*/2,
                                                &registry, r.diag, std::cerr)))
      r.module.reset();
    r.collect();
    return r;
  }();
  return k;
}

Kernels parsed(const std::string &text) {
  Kernels r;
  r.module = kiln::ir::parseModule(text, "bench.kir", r.sources, r.diag);
  r.collect();
  return r;
}

Kernels &chainKernel() {
  static Kernels k = parsed("module @m {\n  func @main() {\n"
                            "    %a = random_uniform {seed = 1, stream = 1} : f32[16777216]\n"
                            "    %b = random_uniform {seed = 1, stream = 2} : f32[16777216]\n"
                            "    %r = fused @k0(%a, %b) : f32[16777216] {\n"
                            "    ^bb0(%x: f32[16777216], %y: f32[16777216]):\n"
                            "      %two = constant 2.0 : f32\n"
                            "      %t = mul %two, %x : f32[16777216]\n"
                            "      %u = add %t, %y : f32[16777216]\n"
                            "      %s = sigmoid %u : f32[16777216]\n"
                            "      %v = mul %s, %x : f32[16777216]\n"
                            "      %w = sub %v, %y : f32[16777216]\n"
                            "      yield %w\n    }\n  }\n}\n");
  return k;
}

Kernels &trivialKernel() {
  static Kernels k = parsed("module @m {\n  func @main() {\n"
                            "    %a = random_uniform {seed = 1, stream = 1} : f32[1024]\n"
                            "    %r = fused @k0(%a, %a) : f32[1024] {\n"
                            "    ^bb0(%x: f32[1024], %y: f32[1024]):\n"
                            "      %s = add %x, %y : f32[1024]\n"
                            "      yield %s\n    }\n  }\n}\n");
  return k;
}

void compileCold(benchmark::State &state, const KernelPlan *plan) {
  if (!plan) {
    state.SkipWithError("no such kernel");
    return;
  }
  KernelCompiler::Options opts;
  opts.diskCache = false;
  KernelCompiler::Phases sum;
  for (auto _ : state) {
    state.PauseTiming();
    auto compiler = KernelCompiler::create(opts);
    if (!compiler) {
      state.SkipWithError(llvm::toString(compiler.takeError()).c_str());
      return;
    }
    state.ResumeTiming();
    KernelCompiler::Source source;
    KernelCompiler::Phases ph;
    auto fn = (*compiler)->getOrCompile(*plan, source, &ph);
    state.PauseTiming();
    if (!fn || source != KernelCompiler::Source::Compiled) {
      state.SkipWithError(fn ? "not compiled cold" : llvm::toString(fn.takeError()).c_str());
      return;
    }
    benchmark::DoNotOptimize(*fn);
    sum.build += ph.build;
    sum.optimize += ph.optimize;
    sum.codegen += ph.codegen;
    sum.load += ph.load;
    compiler->reset(); // the JIT's teardown is not compile time
    state.ResumeTiming();
  }
  const double n = double(state.iterations());
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["ir_ms"] = sum.build / n;
  state.counters["opt_ms"] = sum.optimize / n;
  state.counters["codegen_ms"] = sum.codegen / n;
  state.counters["load_ms"] = sum.load / n;
}

const KernelPlan *planOf(Kernels &k, size_t i) { return i < k.plans.size() ? &k.plans[i] : nullptr; }

} // namespace

// Registered in main, not by static initializers: the CD-1 kernels come from
// running the pass pipeline, whose passes register themselves statically.
int main(int argc, char **argv) {
  benchmark::RegisterBenchmark("BM_CompileTrivial", [](benchmark::State &s) {
    compileCold(s, planOf(trivialKernel(), 0));
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_CompileChain", [](benchmark::State &s) {
    compileCold(s, planOf(chainKernel(), 0));
  })->Unit(benchmark::kMillisecond);
  // One benchmark per distinct CD-1 kernel, by index in program order.
  for (size_t i = 0; i < cd1Kernels().plans.size(); ++i)
    benchmark::RegisterBenchmark(("BM_CompileCD1_k" + std::to_string(i)).c_str(),
                                 [i](benchmark::State &s) { compileCold(s, planOf(cd1Kernels(), i)); })
        ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
