// The cost of one VM program step (issue #11; a step is one CALL, docs/vm.md),
// three ways in one run so the ratios hold on a shared machine:
//   VMRepeatNext    `main = REPEAT(1e15, CALL(d.next))` over a 1x1 dataset at
//                   -O0 (no bulk read): each step is one CallMethod that
//                   makes and stores a 4-byte tensor, plus the loop's
//                   repeat_next (2 instructions a step)
//   VMLoopNative    `main = LOOP(CALL(nop))`, a registered native function
//                   (Registry::registerFunction: std::function, argument
//                   and result vectors) that takes nothing and returns
//                   nothing: dispatch, call and the loop's jump without any
//                   tensor (2 instructions)
//   VMLoopDirect    the same with `nop` registered with a direct entry
//                   (Registry::registerDirectFunction, DirectCall), the ABI
//                   Dataset.next uses
//   SwitchLoopFloor a minimal switch-dispatch interpreter over a small array
//                   of opcodes (a counter loop): the floor of a switch
//                   interpreter on this CPU
// Each iteration runs K = 2^16 program steps (or floor instructions); every
// benchmark reports items_per_second = steps per second and ns_per_step
// (the VM ones also instructions_per_step):
//   OMP_NUM_THREADS=1 build/bench/vm/bench_vm --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "api/Session.h"

namespace {

constexpr int64_t kSteps = int64_t(1) << 16;

void report(benchmark::State &state, int64_t steps, int64_t instructions = 0) {
  state.SetItemsProcessed(steps);
  state.counters["ns_per_step"] = benchmark::Counter(
      double(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (instructions)
    state.counters["instructions_per_step"] = double(instructions) / double(steps);
}

void runProgram(benchmark::State &state, kiln::api::Session &session, const std::string &text) {
  kiln::api::CompileOptions opts;
  opts.optLevel = 0;
  opts.jit = false;
  std::string err;
  auto vm = session.loadSource(text, "vmbench.kiln", opts, err);
  if (!vm) {
    state.SkipWithError(err.c_str());
    return;
  }
  vm->run(kSteps); // warm the buffer pool and the frames
  int64_t steps = 0, firstInstruction = vm->instructionCount();
  for (auto _ : state)
    steps += vm->run(kSteps);
  if (vm->status() != kiln::runtime::VM::Status::Running)
    state.SkipWithError("the VM stopped");
  report(state, steps, vm->instructionCount() - firstInstruction);
}

void BM_VMRepeatNext(benchmark::State &state) {
  kiln::api::Session session;
  runProgram(state, session,
             "d = Dataset.randn(rows=1, cols=1)\n"
             "main = REPEAT(1000000000000000, CALL(d.next))\n");
}

void BM_VMLoopNative(benchmark::State &state) {
  kiln::api::Session session;
  kiln::ir::FunctionSchema nop;
  nop.name = "nop";
  session.registry().registerFunction(
      nop, [](std::span<const kiln::runtime::Tensor>, const std::vector<kiln::ir::NamedAttribute> &,
              kiln::runtime::CallContext &, std::vector<kiln::runtime::Tensor> &,
              kiln::runtime::NativeError &) { return true; });
  runProgram(state, session, "main = LOOP(CALL(nop))\n");
}

void BM_VMLoopDirect(benchmark::State &state) {
  kiln::api::Session session;
  kiln::ir::FunctionSchema nop;
  nop.name = "nop";
  session.registry().registerDirectFunction(
      nop, [](void *, const kiln::runtime::DirectCall &, kiln::runtime::NativeError &) {
        return true;
      });
  runProgram(state, session, "main = LOOP(CALL(nop))\n");
}

/// A counter loop in a tiny bytecode: INC r0; ADD r1 += r0; JLT r0 < n -> 0.
/// The opcodes are read from memory and the loop bound is opaque, so the
/// compiler keeps the dispatch.
void BM_SwitchLoopFloor(benchmark::State &state) {
  enum Op : uint8_t { kInc, kAdd, kJlt, kHalt };
  struct Ins {
    Op op;
    uint8_t a, b;
    int32_t target;
  };
  static const Ins code[] = {{kInc, 0, 0, 0}, {kAdd, 1, 0, 0}, {kJlt, 0, 2, 0}, {kHalt, 0, 0, 0}};
  const Ins *prog = code;
  benchmark::DoNotOptimize(prog);
  int64_t steps = 0;
  for (auto _ : state) {
    int64_t reg[3] = {0, 0, kSteps / 3};
    benchmark::DoNotOptimize(reg);
    uint32_t pc = 0;
    int64_t n = 0;
    for (bool running = true; running; ++n) {
      const Ins &I = prog[pc];
      switch (I.op) {
      case kInc: ++reg[I.a]; ++pc; break;
      case kAdd: reg[I.a] += reg[I.b]; ++pc; break;
      case kJlt: pc = reg[I.a] < reg[I.b] ? uint32_t(I.target) : pc + 1; break;
      case kHalt: running = false; break;
      }
    }
    benchmark::DoNotOptimize(reg);
    steps += n;
  }
  report(state, steps);
}

} // namespace

BENCHMARK(BM_VMRepeatNext);
BENCHMARK(BM_VMLoopNative);
BENCHMARK(BM_VMLoopDirect);
BENCHMARK(BM_SwitchLoopFloor);

BENCHMARK_MAIN();
