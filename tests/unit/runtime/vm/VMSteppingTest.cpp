// Stepping tests: every control-flow op's program steps, instructions and
// values, buffer stacking, weave turns (program steps, weighted bulk steps)
// and n_required, calls, fused ops, errors, clone().
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "tests/unit/runtime/vm/VMTestUtil.h"

namespace kiln::runtime::vmtest {
namespace {

class VMStepping : public ::testing::Test {
protected:
  Registry reg = testRegistry();
};

TEST_F(VMStepping, RepeatRunsBodyCountTimesOneStepPerCall) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    repeat 3 {
      call @rec.tick()
      yield
    }
  }
})", reg);
  ASSERT_TRUE(vm);
  // Steps: the three ticks, each with the control flow up to the next one.
  // Instructions: repeat_init, 3 x tick (a superinstruction with the
  // repeat_next after it), return.
  EXPECT_EQ(vm->stepInstruction(), VM::Status::Running); // repeat_init
  EXPECT_EQ(vm->stepCount(), 0);
  EXPECT_EQ(vm->step(), VM::Status::Running); // the first tick, repeat_next
  EXPECT_EQ(rec(*vm).count_, 1);
  EXPECT_EQ(vm->stepCount(), 1);
  EXPECT_EQ(vm->instructionCount(), 2);
  EXPECT_TRUE(vm->atStepBoundary());
  EXPECT_EQ(vm->step(), VM::Status::Running);
  EXPECT_EQ(rec(*vm).count_, 2);
  EXPECT_EQ(vm->run(100), 1); // the last step ends with the return
  EXPECT_TRUE(vm->done());
  EXPECT_EQ(vm->stepCount(), 3);
  EXPECT_EQ(vm->instructionCount(), 5);
  EXPECT_EQ(rec(*vm).count_, 3);
  EXPECT_EQ(vm->step(), VM::Status::Done);
  EXPECT_EQ(vm->stepCount(), 3);
}

TEST_F(VMStepping, BufferRepeatStacksYieldedRows) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    %0 = buffer_repeat 4 : f32[4, 1] {
      %1 = call @rec.next() : f32[1]
      yield %1
    }
    call @rec.take(%0)
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(1000);
  ASSERT_TRUE(vm->done());
  // 4 next + take; buffer_init, 4 x (next, buffer_next), take, return.
  EXPECT_EQ(vm->stepCount(), 5);
  EXPECT_EQ(vm->instructionCount(), 11);
  const Tensor &last = rec(*vm).last_;
  ASSERT_TRUE(last.defined());
  EXPECT_EQ(last.shape(), (std::vector<int64_t>{4, 1}));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(last.at(i), double(i));
}

TEST_F(VMStepping, WhileEvaluatesConditionBeforeEachIteration) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    while {
      %c = call @rec.below() {n = 5} : i1
      yield %c
    } {
      call @rec.tick()
      yield
    }
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(1000);
  ASSERT_TRUE(vm->done());
  EXPECT_EQ(rec(*vm).count_, 5);
  // 6 below + 5 tick; 6 x (below, while_cond) + 5 x tick (a superinstruction
  // with the jump after it) + return.
  EXPECT_EQ(vm->stepCount(), 6 + 5);
  EXPECT_EQ(vm->instructionCount(), 6 * 2 + 5 + 1);
}

TEST_F(VMStepping, SwitchPicksCaseOrDefault) {
  for (auto [sel, want] : {std::pair{0, 10.0}, {1, 11.0}, {7, 12.0}}) {
    auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    %s = constant )" + std::to_string(sel) + R"( : i64
    %r = switch %s {cases = [0, 1]} : f32 {
      %a = constant 10.0 : f32
      yield %a
    } {
      %b = constant 11.0 : f32
      yield %b
    } {
      %c = constant 12.0 : f32
      yield %c
    }
    call @rec.record(%r)
  }
})", reg);
    ASSERT_TRUE(vm);
    vm->run(100);
    ASSERT_TRUE(vm->done());
    ASSERT_EQ(rec(*vm).trace_.size(), 1u);
    EXPECT_EQ(rec(*vm).trace_[0], want);
    // One step (record); constant, switch, constant, move, record, return.
    EXPECT_EQ(vm->stepCount(), 1);
    EXPECT_EQ(vm->instructionCount(), 6);
  }
}

const char *kWeave = R"(module @m {
  component @rec : Recorder {}
  func @main() {
    weave %N {
      call @rec.record() {v = 1}
      call @rec.record() {v = 1}
      call @rec.record() {v = 1}
      yield
    } {
      call @rec.record() {v = 2}
      yield
    } {
      call @rec.record() {v = 3}
      call @rec.record() {v = 3}
      yield
    }
    call @rec.record() {v = 9}
  }
})";

std::string weaveProgram(int n) {
  std::string s = kWeave;
  s.replace(s.find("%N"), 2, std::to_string(n));
  return s;
}

TEST_F(VMStepping, WeaveInterleavesChildrenOneStepEach) {
  auto vm = makeVM(weaveProgram(3), reg);
  ASSERT_TRUE(vm);
  vm->run(1000);
  ASSERT_TRUE(vm->done());
  // One program step per turn; child 1 ends after one record, so the turns
  // continue 1, 3, 1, 3, ...
  EXPECT_EQ(rec(*vm).trace_, (std::vector<double>{1, 2, 3, 1, 3, 1, 9}));
  EXPECT_EQ(vm->stepCount(), 7);
  // weave, 6 records + 3 ends, record, return.
  EXPECT_EQ(vm->instructionCount(), 1 + 9 + 2);
}

TEST_F(VMStepping, WeaveStopsWhenNRequiredChildrenFinish) {
  auto vm = makeVM(weaveProgram(1), reg);
  ASSERT_TRUE(vm);
  vm->run(1000);
  ASSERT_TRUE(vm->done());
  // Child 1 (one record) finishes with its first step, before child 2's
  // first: the weave ends there.
  EXPECT_EQ(rec(*vm).trace_, (std::vector<double>{1, 2, 9}));
  auto vm0 = makeVM(weaveProgram(0), reg);
  ASSERT_TRUE(vm0);
  vm0->run(1000);
  EXPECT_EQ(rec(*vm0).trace_, (std::vector<double>{9}));
}

TEST_F(VMStepping, NestedWeaveInsideCalledFunction) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @inner(%x: f32) {
    weave 2 {
      call @rec.record(%x)
      yield
    } {
      call @rec.record() {v = 5}
      yield
    }
    return
  }
  func @main() {
    weave 2 {
      %a = constant 1.0 : f32
      call @inner(%a)
      yield
    } {
      call @rec.record() {v = 7}
      call @rec.record() {v = 7}
      yield
    }
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(1000);
  ASSERT_TRUE(vm->done()) << vm->error().message;
  auto t = rec(*vm).trace_;
  std::sort(t.begin(), t.end());
  EXPECT_EQ(t, (std::vector<double>{1, 5, 7, 7}));
}

TEST_F(VMStepping, LoopRunsUntilTheCallerStops) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    loop {
      call @rec.tick()
      yield
    }
  }
})", reg);
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->run(1001), 1001);
  EXPECT_FALSE(vm->done());
  EXPECT_EQ(rec(*vm).count_, 1001);
  // Each tick runs the loop's jump with it (Instr::thenNext): one
  // instruction a step. An instruction budget stops inside a step.
  EXPECT_EQ(vm->instructionCount(), 1001);
  EXPECT_EQ(vm->run(5, 1), 1); // one instruction: the 1002nd tick begins a step
  EXPECT_EQ(vm->instructionCount(), 1002);
  EXPECT_FALSE(vm->atStepBoundary());
  EXPECT_EQ(vm->run(0), 0); // ends the step it is in (no instruction left in it)
  EXPECT_TRUE(vm->atStepBoundary());
  EXPECT_EQ(vm->instructionCount(), 1002);
}

TEST_F(VMStepping, FuncCallPassesArgumentsAndResults) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @twice(%x: f32[1]) -> (f32[1]) {
    %y = add %x, %x : f32[1]
    return %y
  }
  func @main() {
    %a = call @rec.next() : f32[1]
    %b = call @rec.next() : f32[1]
    %c = call @twice(%b) : f32[1]
    call @rec.record(%c)
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(100);
  ASSERT_TRUE(vm->done()) << vm->error().message;
  EXPECT_EQ(rec(*vm).trace_, (std::vector<double>{2}));
  // Calling a plain func is not a step (its own calls are): next, next,
  // record; instructions next, next, call, add, return, record, return.
  EXPECT_EQ(vm->stepCount(), 3);
  EXPECT_EQ(vm->instructionCount(), 7);
}

TEST_F(VMStepping, StateLoadAndStoreThroughComponentHandles) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    %h = component_ref @rec : !Recorder
    %w = state_load %h {field = "w"} : f32[2]
    %one = constant 1.5 : f32[2]
    %w2 = add %w, %one : f32[2]
    state_store %h, %w2 {field = "w"}
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(100);
  ASSERT_TRUE(vm->done()) << vm->error().message;
  EXPECT_EQ(rec(*vm).w_.at(0), 1.5);
  EXPECT_EQ(rec(*vm).w_.at(1), 1.5);
}

TEST_F(VMStepping, FusedRegionIsOneInstruction) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    %a = call @rec.next() : f32[1]
    %b = call @rec.next() : f32[1]
    %r = fused @k0(%a, %b) : f32[1] {
    ^bb0(%x: f32[1], %y: f32[1]):
      %s = add %x, %y : f32[1]
      %t = mul %s, %y : f32[1]
      yield %t
    }
    call @rec.record(%r)
  }
})", reg);
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->run(2), 2); // next, next and the fused op after it
  EXPECT_EQ(vm->instructionCount(), 3); // the whole fused region is one instruction
  EXPECT_TRUE(rec(*vm).trace_.empty());
  vm->run(100);
  ASSERT_TRUE(vm->done()) << vm->error().message;
  EXPECT_EQ(rec(*vm).trace_, (std::vector<double>{1})); // (0 + 1) * 1
}

TEST_F(VMStepping, NativeErrorStopsWithTheCallLocation) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    call @rec.tick()
    call @rec.fail()
    call @rec.tick()
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(100);
  EXPECT_EQ(vm->status(), VM::Status::Error);
  EXPECT_EQ(vm->stepCount(), 1);
  EXPECT_EQ(vm->error().message, "recorder failed on purpose");
  EXPECT_EQ(vm->error().loc.line, 5u);
  EXPECT_EQ(rec(*vm).count_, 1);
  std::string err;
  EXPECT_FALSE(vm->save("/nonexistent/x", err));
}

TEST_F(VMStepping, DynamicShapeMismatchIsARuntimeError) {
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    %a = buffer_repeat 3 : f32[3, 1] {
      %x = call @rec.next() : f32[1]
      yield %x
    }
    %r = reshape %a : f32[?, 1]
    %b = constant 1.0 : f32[2, 1]
    %c = add %r, %b : f32[?, 1]
    call @rec.take(%c)
  }
})", reg);
  ASSERT_TRUE(vm);
  vm->run(100);
  EXPECT_EQ(vm->status(), VM::Status::Error);
  EXPECT_EQ(vm->error().loc.line, 10u);
}

TEST_F(VMStepping, UnknownMethodIsALoweringError) {
  auto m = parseIR(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    call @rec.nope()
  }
})");
  ASSERT_TRUE(m);
  ir::DiagnosticEngine diag;
  EXPECT_FALSE(VM::create(m, reg, diag));
  EXPECT_NE(diag.str().find("no native method 'nope'"), std::string::npos) << diag.str();
}

/// A direct native (Registry::registerDirectFunction): y = x + count,
/// written into y's slot in place when only the slot holds it; fails on
/// x > 100. `self` counts calls and in-place writes.
struct AddCount {
  int calls = 0, inPlace = 0;
  static bool fn(void *self, const DirectCall &call, NativeError &error) {
    auto &s = *static_cast<AddCount *>(self);
    const Tensor &x = call.arg(0);
    if (x.at(0) > 100) {
      error.message = "addcount: x is above 100";
      return false;
    }
    Tensor &y = call.result(0);
    if (y.isUnique() && y.dtype() == ElemType::F32 && y.shape() == std::vector<int64_t>{1})
      ++s.inPlace;
    else
      y = Tensor::empty(ElemType::F32, {1});
    y.data<float>()[0] = float(x.at(0) + s.calls++);
    return true;
  }
};

TEST_F(VMStepping, DirectNativesReadArgumentSlotsAndWriteResultSlots) {
  // The VM passes a direct native its frame's slots (DirectCall): the same
  // values and steps on the fast path (run) and the general one, the
  // results written in place once the program dropped them, and a failure
  // stops the VM at the call like any native's.
  const char *text = R"(module @m {
  component @rec : Recorder {}
  func @addcount(%x: f32[1]) -> (f32[1]) attributes {native = true}
  func @main() {
    %a = constant 3.0 : f32[1]
    %r = repeat 4 : f32[1] {
      %y = call @addcount(%a) : f32[1]
      call @rec.record(%y)
      yield %y
    }
    %b = constant 200.0 : f32[1]
    %z = call @addcount(%b) : f32[1]
  }
})";
  for (bool fast : {true, false}) {
    AddCount self;
    Registry r = testRegistry();
    ir::FunctionSchema schema{"addcount", {{"x", ir::Type::tensor(ElemType::F32, {1})}}, false,
                              {ir::Type::tensor(ElemType::F32, {1})}};
    ASSERT_TRUE(r.registerDirectFunction(schema, &AddCount::fn, &self));
    auto vm = makeVM(text, r);
    ASSERT_TRUE(vm);
    vm->setFastPath(fast);
    vm->run(100);
    EXPECT_EQ(vm->status(), VM::Status::Error) << fast;
    EXPECT_EQ(vm->error().message, "addcount: x is above 100");
    EXPECT_EQ(vm->error().loc.line, 12u);
    EXPECT_EQ(rec(*vm).trace_, (std::vector<double>{3, 4, 5, 6})) << fast;
    EXPECT_EQ(vm->stepCount(), 8) << fast; // the failed call began no step
    EXPECT_EQ(self.calls, 4);
    // record() copied nothing, so from the second call on y's slot held
    // the only reference to the last row.
    EXPECT_EQ(self.inPlace, 3) << fast;
  }
}

TEST(Registry, DirectFunctionsAreCallableThroughTheGenericEntry) {
  // registerDirectFunction also gives the NativeFn form (for callers
  // outside the VM): the same results, appended; errors as they were.
  AddCount self;
  Registry r;
  ir::FunctionSchema schema{"addcount", {{"x", ir::Type::tensor(ElemType::F32, {1})}}, false,
                            {ir::Type::tensor(ElemType::F32, {1})}};
  ASSERT_TRUE(r.registerDirectFunction(schema, &AddCount::fn, &self));
  std::string error;
  EXPECT_FALSE(r.registerDirectFunction(schema, &AddCount::fn, &self, &error));
  EXPECT_EQ(error, "native function 'addcount' is already registered");
  EXPECT_FALSE(r.registerDirectFunction({"none", {}, false, {}}, nullptr, nullptr, &error));
  const NativeFunction *f = r.lookupNative("addcount");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->direct, &AddCount::fn);
  CallContext ctx;
  NativeError nerr;
  std::vector<Tensor> results = {Tensor::scalarI64(9)};
  Tensor x = Tensor::full(ElemType::F32, {1}, 5.0);
  ASSERT_TRUE(f->fn(std::span<const Tensor>(&x, 1), {}, ctx, results, nerr));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].at(0), 5.0);
  x = Tensor::full(ElemType::F32, {1}, 500.0);
  EXPECT_FALSE(f->fn(std::span<const Tensor>(&x, 1), {}, ctx, results, nerr));
  EXPECT_EQ(nerr.message, "addcount: x is above 100");
  EXPECT_EQ(results.size(), 2u);
}

TEST_F(VMStepping, NativeFunctionWritesToTheVMOutput) {
  auto vm = makeVM(R"(module @m {
  func @echo() attributes {native = true}
  func @main() {
    %a = constant 2.5 : f32
    call @echo(%a)
  }
})", reg);
  ASSERT_TRUE(vm);
  std::ostringstream os;
  vm->setOutput(&os);
  vm->run(10);
  ASSERT_TRUE(vm->done()) << vm->error().message;
  EXPECT_NE(os.str().find("2.5"), std::string::npos) << os.str();
}

TEST_F(VMStepping, CloneContinuesIndependentlyAndIdentically) {
  const char *prog = R"(module @m {
  component @rec : Recorder {}
  func @main() {
    repeat 5 {
      %0 = buffer_repeat 3 : f32[3, 1] {
        %1 = call @rec.next() : f32[1]
        yield %1
      }
      %n = random_normal {seed = 7, stream = 1} : f32[3, 1]
      %s = add %0, %n : f32[3, 1]
      %t = reduce_sum %s : f32
      call @rec.record(%t)
      yield
    }
  }
})";
  auto vm = makeVM(prog, reg);
  ASSERT_TRUE(vm);
  for (int cut : {0, 3, 4, 9, 17}) {
    auto a = makeVM(prog, reg);
    a->run(cut);
    auto b = a->clone();
    a->run(1000);
    EXPECT_NE(rec(*b).trace_.size(), rec(*a).trace_.size());
    b->run(1000);
    std::string why;
    EXPECT_TRUE(sameState(*a, *b, &why)) << "cut " << cut << ": " << why;
    EXPECT_TRUE(a->done() && b->done());
  }
}

/// n step() calls (the programs below count every step as 1): what run(n)
/// is defined to do. Returns the steps begun.
int64_t stepByStep(VM &vm, int64_t n) {
  int64_t start = vm.stepCount();
  for (int64_t i = 0; i < n && vm.status() == VM::Status::Running; ++i)
    vm.step();
  return vm.stepCount() - start;
}

const char *kNestedWeave = R"(module @m {
  component @rec : Recorder {}
  func @inner(%x: f32) {
    weave 2 {
      call @rec.record(%x)
      yield
    } {
      call @rec.record() {v = 5}
      yield
    }
    return
  }
  func @main() {
    repeat 2 {
      weave 2 {
        %a = constant 1.0 : f32
        call @inner(%a)
        yield
      } {
        call @rec.record() {v = 7}
        call @rec.record() {v = 7}
        yield
      }
      call @rec.record() {v = 8}
      yield
    }
    call @rec.record() {v = 9}
  }
})";

const char *kFailAfterWeave = R"(module @m {
  component @rec : Recorder {}
  func @main() {
    weave 1 {
      call @rec.record() {v = 1}
      yield
    } {
      call @rec.record() {v = 2}
      call @rec.fail()
      yield
    }
    call @rec.tick()
    call @rec.fail()
    call @rec.tick()
  }
})";

const char *kFailInWeave = R"(module @m {
  component @rec : Recorder {}
  func @main() {
    weave 2 {
      call @rec.record() {v = 1}
      call @rec.record() {v = 1}
      yield
    } {
      call @rec.record() {v = 2}
      call @rec.fail()
      yield
    }
    call @rec.tick()
  }
})";

TEST_F(VMStepping, RunEqualsThatManySingleSteps) {
  // run(n) has a fast path while the root fiber does not weave: at every
  // chunk size it must end where as many step() calls end (state, trace,
  // step count, status, error), weaving or not, through errors and done.
  const std::string progs[] = {weaveProgram(1), weaveProgram(3), kNestedWeave, kFailAfterWeave,
                               kFailInWeave};
  for (const std::string &prog : progs) {
    for (int64_t chunk : {1, 2, 3, 5, 7, 1000}) {
      auto a = makeVM(prog, reg), b = makeVM(prog, reg), c = makeVM(prog, reg);
      ASSERT_TRUE(a && b && c);
      c->setFastPath(false);
      for (int round = 0; round < 40; ++round) {
        SCOPED_TRACE("chunk " + std::to_string(chunk) + " round " + std::to_string(round));
        int64_t ran = b->run(chunk);
        EXPECT_EQ(ran, stepByStep(*a, chunk));
        EXPECT_EQ(ran, c->run(chunk));
        std::string why;
        ASSERT_TRUE(sameState(*a, *b, &why)) << why;
        ASSERT_TRUE(sameState(*c, *b, &why)) << why;
        EXPECT_EQ(b->instructionCount(), c->instructionCount());
        EXPECT_EQ(b->atStepBoundary(), c->atStepBoundary());
        EXPECT_EQ(rec(*a).trace_, rec(*b).trace_);
        EXPECT_EQ(rec(*a).count_, rec(*b).count_);
        EXPECT_EQ(a->status(), b->status());
        EXPECT_EQ(a->error().message, b->error().message);
        EXPECT_EQ(a->error().loc.line, b->error().loc.line);
      }
      EXPECT_NE(a->status(), VM::Status::Running);
    }
  }
  // The fail programs stop with the recorder's error, the others finish.
  auto f = makeVM(kFailAfterWeave, reg);
  f->run(1000);
  EXPECT_EQ(f->status(), VM::Status::Error);
  EXPECT_EQ(f->error().loc.line, 13u);
  auto g = makeVM(kFailInWeave, reg);
  g->run(1000);
  EXPECT_EQ(g->status(), VM::Status::Error);
  EXPECT_EQ(g->error().loc.line, 10u);
  auto n = makeVM(kNestedWeave, reg);
  int64_t ran = n->run(1000);
  EXPECT_EQ(ran, n->stepCount());
  EXPECT_TRUE(n->done());
  EXPECT_EQ(n->run(10), 0);
}

/// A direct native with no arguments: returns [calls] (f32[1]) and counts
/// the call; fails at call `failAt`; asks for a checkpoint to `path` at
/// call `saveAt` (CallContext::checkpoint).
struct Counter {
  int64_t calls = 0, failAt = -1, saveAt = -1;
  std::string path;
  static bool fn(void *self, const DirectCall &call, NativeError &error) {
    auto &c = *static_cast<Counter *>(self);
    if (c.calls == c.failAt) {
      error.message = "counter: call " + std::to_string(c.calls) + " fails";
      return false;
    }
    if (c.calls == c.saveAt) {
      call.ctx->checkpoint->requested = true;
      call.ctx->checkpoint->path = c.path;
    }
    Tensor &y = call.result(0);
    if (!(y.isUnique() && y.dtype() == ElemType::F32 && y.rank() == 1 && y.dim(0) == 1))
      y = Tensor::empty(ElemType::F32, {1});
    y.data<float>()[0] = float(c.calls++);
    return true;
  }
};

const char *kSelfLoops = R"(module @m {
  component @rec : Recorder {}
  func @counter() -> (f32[1]) attributes {native = true}
  func @main() {
    %r = repeat 7 : f32[1] {
      %y = call @counter() : f32[1]
      yield %y
    }
    call @rec.record(%r)
    %s = repeat 1 : f32[1] {
      %y = call @counter() : f32[1]
      yield %y
    }
    call @rec.record(%s)
    loop {
      %z = call @counter() : f32[1]
      yield
    }
  }
})";

TEST_F(VMStepping, ADirectCallLoopingOnItselfRunsAsTheGeneralLoopDoes) {
  // run() makes the calls of a direct call that loops on itself (a repeat
  // whose body is the call, LOOP(CALL)) with its checks decided once per
  // run (VM::runSelfLoop): at every chunk size and instruction budget it
  // must end where as many step() calls and the general path end: the
  // repeat's exits and values, counts, step boundaries, the error of a
  // failing call, and a checkpoint the callee asks for in the middle.
  for (int64_t failAt : {int64_t(3), int64_t(7), int64_t(8), int64_t(30)})
    for (int64_t chunk : {1, 2, 3, 5, 7, 1000})
      for (int64_t budget : {int64_t(2), kMaxSavedCount}) {
        SCOPED_TRACE("fail at " + std::to_string(failAt) + ", chunk " + std::to_string(chunk) +
                     ", budget " + std::to_string(budget));
        Counter ca, cb, cc;
        Registry ra = testRegistry(), rb = testRegistry(), rc = testRegistry();
        auto vmWith = [&](Counter &cnt, Registry &r) {
          cnt.failAt = failAt;
          ir::FunctionSchema schema{"counter", {}, false, {ir::Type::tensor(ElemType::F32, {1})}};
          EXPECT_TRUE(r.registerDirectFunction(schema, &Counter::fn, &cnt));
          return makeVM(kSelfLoops, r);
        };
        auto a = vmWith(ca, ra), b = vmWith(cb, rb), c = vmWith(cc, rc);
        ASSERT_TRUE(a && b && c);
        c->setFastPath(false);
        for (int round = 0; round < 60 && b->status() == VM::Status::Running; ++round) {
          int64_t ran = b->run(chunk, budget);
          int64_t ranC = c->run(chunk, budget);
          EXPECT_EQ(ran, ranC);
          std::string why;
          ASSERT_TRUE(sameState(*c, *b, &why)) << why;
          EXPECT_EQ(c->instructionCount(), b->instructionCount());
          EXPECT_EQ(c->atStepBoundary(), b->atStepBoundary());
          EXPECT_EQ(cb.calls, cc.calls);
          if (budget == kMaxSavedCount) { // whole steps: as many step() calls
            EXPECT_EQ(ran, stepByStep(*a, chunk));
            ASSERT_TRUE(sameState(*a, *b, &why)) << why;
            EXPECT_EQ(a->instructionCount(), b->instructionCount());
            EXPECT_EQ(ca.calls, cb.calls);
          }
          EXPECT_EQ(rec(*c).trace_, rec(*b).trace_);
          EXPECT_EQ(c->status(), b->status());
          EXPECT_EQ(c->error().message, b->error().message);
          EXPECT_EQ(c->error().loc.line, b->error().loc.line);
        }
        EXPECT_EQ(b->status(), VM::Status::Error);
        EXPECT_EQ(b->error().message, "counter: call " + std::to_string(failAt) + " fails");
        // Steps: the calls that ran and each record() after a repeat.
        EXPECT_EQ(b->stepCount(), failAt + (failAt >= 7) + (failAt >= 8));
        // The repeats' values: the last call of each.
        std::vector<double> trace;
        if (failAt >= 7)
          trace.push_back(6);
        if (failAt >= 8)
          trace.push_back(7);
        EXPECT_EQ(rec(*b).trace_, trace);
      }

  // A checkpoint the callee asks for inside the loop (at the repeat's last
  // call, where the repeat exits, and in the LOOP) holds the same state on
  // both paths: the same bytes.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("kiln_vm_selfloop_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (int64_t saveAt : {int64_t(2), int64_t(6), int64_t(12)}) {
    std::string files[2];
    for (int fast = 0; fast < 2; ++fast) {
      Counter cnt;
      cnt.failAt = 20;
      cnt.saveAt = saveAt;
      cnt.path = (dir / ("c" + std::to_string(saveAt) + "_" + std::to_string(fast) + ".ckpt")).string();
      Registry r = testRegistry();
      ir::FunctionSchema schema{"counter", {}, false, {ir::Type::tensor(ElemType::F32, {1})}};
      ASSERT_TRUE(r.registerDirectFunction(schema, &Counter::fn, &cnt));
      auto vm = makeVM(kSelfLoops, r);
      ASSERT_TRUE(vm);
      vm->setFastPath(fast == 1);
      vm->run(1000);
      EXPECT_EQ(vm->status(), VM::Status::Error);
      std::ifstream in(cnt.path, std::ios::binary);
      files[fast].assign(std::istreambuf_iterator<char>(in), {});
      EXPECT_FALSE(files[fast].empty()) << saveAt;
    }
    EXPECT_EQ(files[0], files[1]) << "checkpoint at call " << saveAt;
  }
  std::filesystem::remove_all(dir);
}

// ---- program steps under WEAVE (docs/vm.md, "Steps") ------------------------------

/// The trace of `prog` run to the end.
std::vector<double> traceOf(const std::string &prog, const Registry &reg, int64_t *steps = nullptr) {
  auto vm = makeVM(prog, reg);
  EXPECT_TRUE(vm);
  if (!vm)
    return {};
  vm->run(1 << 20);
  EXPECT_TRUE(vm->done()) << vm->error().message;
  if (steps)
    *steps = vm->stepCount();
  return rec(*vm).trace_;
}

TEST_F(VMStepping, ABulkStepTakesThePlaceOfItsSingleSteps) {
  // What bulk-read makes of three single calls: one call with bulk_steps =
  // 3. The sibling's turns, and so every trace, stay the same for every
  // n_required (with 1, child 0 finishes first and child 1 is dropped).
  auto program = [](int n, bool bulk) {
    std::string reads = bulk ? "      call @rec.tick() {bulk_steps = 3}\n"
                             : "      call @rec.tick()\n      call @rec.tick()\n"
                               "      call @rec.tick()\n";
    return std::string(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    weave )") + std::to_string(n) + R"( {
)" + reads + R"(      call @rec.record() {v = 1}
      yield
    } {
      repeat 5 {
        call @rec.record() {v = 2}
        yield
      }
      yield
    }
    call @rec.record() {v = 9}
  }
})";
  };
  for (int n : {0, 1, 2}) {
    SCOPED_TRACE("n_required " + std::to_string(n));
    int64_t singleSteps = 0, bulkSteps = 0;
    auto single = traceOf(program(n, false), reg, &singleSteps);
    auto bulk = traceOf(program(n, true), reg, &bulkSteps);
    EXPECT_EQ(bulk, single);
    EXPECT_EQ(bulkSteps, singleSteps);
  }
  EXPECT_EQ(traceOf(program(2, true), reg), (std::vector<double>{2, 2, 2, 1, 2, 2, 9}));
  EXPECT_EQ(traceOf(program(1, true), reg), (std::vector<double>{2, 2, 2, 1, 9}));
  // A bulk step that ends its child: the finish counts after the sibling's
  // turns up to the bulk's last step, as if the steps had been single.
  auto ending = [](bool bulk) {
    return std::string(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    weave 1 {
)") + (bulk ? "      call @rec.tick() {bulk_steps = 3}\n"
             : "      call @rec.tick()\n      call @rec.tick()\n      call @rec.tick()\n") +
           R"(      yield
    } {
      repeat 5 {
        call @rec.record() {v = 2}
        yield
      }
      yield
    }
  }
})";
  };
  EXPECT_EQ(traceOf(ending(true), reg), traceOf(ending(false), reg));
  EXPECT_EQ(traceOf(ending(true), reg), (std::vector<double>{2, 2}));
}

TEST_F(VMStepping, AnInlinedCallIsOneTurn) {
  // inline-kernels leaves `step` before a call's body: a sibling never runs
  // between the body's load and store.
  auto vm = makeVM(R"(module @m {
  component @rec : Recorder {}
  func @main() {
    %h = component_ref @rec : !Recorder
    weave 2 {
      repeat 3 {
        step {origin = "bump"}
        %w = state_load %h {field = "w"} : f32[2]
        %one = constant 1.0 : f32[2]
        %w2 = add %w, %one : f32[2]
        state_store %h, %w2 {field = "w"}
        yield
      }
      yield
    } {
      repeat 3 {
        step {origin = "double"}
        %v = state_load %h {field = "w"} : f32[2]
        %v2 = add %v, %v : f32[2]
        state_store %h, %v2 {field = "w"}
        yield
      }
      yield
    }
  }
})", reg);
  ASSERT_TRUE(vm);
  // Turn by turn: bump, double, bump, double, ...: ((0+1)*2+1)*2+1)*2 = 14.
  std::vector<double> seen;
  while (vm->status() == VM::Status::Running) {
    vm->step();
    seen.push_back(rec(*vm).w_.at(0));
  }
  ASSERT_TRUE(vm->done()) << vm->error().message;
  EXPECT_EQ(seen, (std::vector<double>{1, 2, 3, 6, 7, 14}));
  EXPECT_EQ(vm->stepCount(), 6);
}

} // namespace
} // namespace kiln::runtime::vmtest
