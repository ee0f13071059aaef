// Compiled vs interpreted fused groups, bitwise: thousands of random groups
// (FusedGroupGen.h) under fixed seeds. Each program runs to the end in two
// VMs, one interpreting every fused op and one with the JIT executor, and
// every component tensor and random counter must be bitwise equal. The
// test also checks that codegen did compile what it claims to handle (so a
// planner that declines everything cannot pass).
//
// KILN_DIFFTEST_CASES=N runs N cases per shard instead of the default.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <memory>
#include <string>

#include "codegen/JitExecutor.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "runtime/Registry.h"
#include <omp.h>

#include "runtime/VM.h"
#include "tests/unit/codegen/FusedGroupGen.h"

namespace kiln::codegen {
namespace {

int64_t casesPerShard() {
  if (const char *n = std::getenv("KILN_DIFFTEST_CASES"))
    return std::max<int64_t>(1, std::atoll(n));
  return 250;
}

struct Outcome {
  bool ok = false;
  std::string error;
};

/// Runs `module` to the end; with `ex` compiled, else interpreted.
std::unique_ptr<runtime::VM> runToEnd(std::shared_ptr<const ir::Module> module,
                                      const runtime::Registry &reg,
                                      runtime::KernelExecutor *ex, std::string &error) {
  ir::DiagnosticEngine diag;
  auto vm = runtime::VM::create(module, reg, diag);
  if (!vm) {
    error = "VM::create failed";
    return nullptr;
  }
  if (ex)
    vm->setKernelExecutor(ex);
  vm->run(1000000);
  if (vm->status() == runtime::VM::Status::Error)
    error = "run-time error: " + vm->error().message;
  else if (!vm->done())
    error = "did not finish";
  return vm;
}

/// Runs one generated case interpreted on `interpThreads` threads and
/// compiled on `jitThreads`, and compares everything bitwise. Returns the
/// executor's report of the case's fused op.
JitExecutor::KernelReport checkCase(uint64_t seed, const testing::GeneratedCase &gc,
                                    JitExecutor &jit, const runtime::Registry &reg,
                                    int interpThreads, int jitThreads) {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  std::shared_ptr<const ir::Module> module = ir::parseModule(gc.text, "case.kir", sources, diag);
  if (!module || !ir::verifyModule(*module, diag)) {
    std::ostringstream os;
    diag.print(os);
    ADD_FAILURE() << "seed " << seed << ": generated IR is invalid:\n" << os.str() << gc.text;
    return {};
  }
  size_t before = jit.reports().size();
  std::string errA, errB;
  omp_set_num_threads(interpThreads);
  auto a = runToEnd(module, reg, nullptr, errA);
  omp_set_num_threads(jitThreads);
  auto b = runToEnd(module, reg, &jit, errB);
  omp_set_num_threads(1);
  if (!a || !b) {
    ADD_FAILURE() << "seed " << seed;
    return {};
  }
  EXPECT_EQ(errA, errB) << "seed " << seed << "\n" << gc.text;
  JitExecutor::KernelReport rep = jit.reports()[before];
  if (gc.expectCompiled) {
    EXPECT_NE(rep.how, "interpreted") << "seed " << seed << ": " << rep.reason << "\n" << gc.text;
  }
  if (rep.how != "interpreted" && !gc.expectDecline && errA.empty()) {
    EXPECT_EQ(rep.declined, 0) << "seed " << seed << ": the kernel declined\n" << gc.text;
  }
  for (size_t i = 0; i < a->numComponents(); ++i) {
    const runtime::Tensor &x = a->component(i).field(0), &y = b->component(i).field(0);
    EXPECT_TRUE(x.bitwiseEqual(y)) << "seed " << seed << ": @" << a->componentName(i)
                                   << " differs\ninterpreted: " << x.str(16)
                                   << "\ncompiled:    " << y.str(16) << "\n" << gc.text;
  }
  EXPECT_EQ(a->rngCounters(), b->rngCounters()) << "seed " << seed << "\n" << gc.text;
  return rep;
}

std::unique_ptr<JitExecutor> makeJit() {
  KernelCompiler::Options opts;
  opts.diskCache = false;
  auto jit = JitExecutor::create(opts);
  EXPECT_TRUE(bool(jit)) << llvm::toString(jit.takeError());
  return jit ? std::move(*jit) : nullptr;
}

class FusedDifferential : public ::testing::TestWithParam<int> {};

TEST_P(FusedDifferential, CompiledEqualsInterpreted) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  runtime::Registry reg = runtime::Registry::withBuiltins();
  const int shard = GetParam();
  const int64_t n = casesPerShard();
  int64_t compiled = 0, declined = 0, interpreted = 0;
  for (int64_t c = 0; c < n; ++c) {
    uint64_t seed = uint64_t(shard) * 1000003 + uint64_t(c);
    // Every fourth shard is all matrix products; the others mix.
    testing::GeneratedCase gc = testing::generateFusedCase(seed, shard % 4 == 3 ? 1 : -1);
    JitExecutor::KernelReport rep = checkCase(seed, gc, *jit, reg, 1, 1);
    if (::testing::Test::HasFailure())
      return;
    if (rep.how == "interpreted") {
      ++interpreted;
    } else {
      ++compiled;
      declined += rep.declined > 0;
    }
  }
  std::printf("shard %d: %lld cases, %lld compiled (%lld declined at run time), %lld interpreted\n",
              shard, (long long)n, (long long)compiled, (long long)declined,
              (long long)interpreted);
  EXPECT_GT(compiled, n / 2);
}

INSTANTIATE_TEST_SUITE_P(Shards, FusedDifferential, ::testing::Range(0, 8));

// Spaces and products large enough to be split between threads: compiled on
// 2 threads, interpreted on 1, still bitwise equal.
TEST(FusedDifferentialBig, TwoThreadsEqualOneThread) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  runtime::Registry reg = runtime::Registry::withBuiltins();
  const int64_t n = std::max<int64_t>(8, casesPerShard() / 12);
  for (int64_t c = 0; c < n; ++c) {
    uint64_t seed = 9000001 + uint64_t(c);
    testing::GeneratedCase gc = testing::generateFusedCase(seed, c % 2 ? 1 : 0, /*big=*/true);
    checkCase(seed, gc, *jit, reg, 1, 2);
    if (::testing::Test::HasFailure())
      return;
  }
}

/// (2a+b)*a-b, or sigmoid(2a+b)*a-b when `math`, and a*b over `space`
/// (written with `?` in dimension 0 when `dynamic`), inputs spread over
/// [-100, 100] so that sigmoid saturates and produces denormals.
std::string largeChain(const std::vector<int64_t> &space, bool dynamic, bool math) {
  std::string st = "f32[", sf = "[";
  for (size_t d = 0; d < space.size(); ++d) {
    st += (d ? ", " : "") + std::to_string(space[d]);
    sf += (d ? ", " : "") + std::to_string(space[d]);
  }
  st += "]";
  sf += "]";
  std::string t = st;
  if (dynamic)
    t = "f32[?" + st.substr(st.find_first_of(",]"));
  std::string in = "    %ga = random_normal {seed = 3, stream = 1} : " + st + "\n" +
                   "    %gb = random_uniform {seed = 3, stream = 2} : " + st + "\n" +
                   "    %k = constant 50.0 : f32\n" +
                   "    %a0 = mul %ga, %k : " + st + "\n" +
                   "    %b0 = mul %gb, %k : " + st + "\n";
  if (dynamic)
    in += "    %a = reshape %a0 : " + t + "\n    %b = reshape %b0 : " + t + "\n";
  else
    in += "    %a = add %a0, %a0 : " + t + "\n    %b = add %b0, %b0 : " + t + "\n";
  return "module @t {\n"
         "  component @o0 : Tensor {shape = " + sf + ", dtype = \"f32\"}\n"
         "  component @o1 : Tensor {shape = " + sf + ", dtype = \"f32\"}\n"
         "  func @main() {\n" + in +
         "    %r, %q = fused @k0(%a, %b) : " + t + ", " + t + " {\n"
         "    ^bb0(%x: " + t + ", %y: " + t + "):\n"
         "      %two = constant 2.0 : f32\n"
         "      %t = mul %two, %x : " + t + "\n"
         "      %u = add %t, %y : " + t + "\n"
         "      %s = " + (math ? "sigmoid" : "neg") + " %u : " + t + "\n"
         "      %v = mul %s, %x : " + t + "\n"
         "      %w = sub %v, %y : " + t + "\n"
         "      %p = mul %x, %y : " + t + "\n"
         "      yield %w, %p\n"
         "    }\n"
         "    %h0 = component_ref @o0 : !Tensor\n"
         "    state_store %h0, %r {field = \"value\"}\n"
         "    %h1 = component_ref @o1 : !Tensor\n"
         "    state_store %h1, %q {field = \"value\"}\n"
         "  }\n}\n";
}

// Results of 16 MiB and more are written with streaming stores
// (KernelEmitter.cpp, kStreamBytes) when every row is whole vectors and the
// body has no MathGen function; the values must not change, on 1 or 2
// threads, static or dynamic shapes, and rows that are not whole vectors
// take the ordinary stores.
TEST(FusedDifferentialBig, StreamingStoresEqualInterpreted) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  runtime::Registry reg = runtime::Registry::withBuiltins();
  struct Case {
    std::vector<int64_t> space;
    bool dynamic, math;
  };
  // Two f32 results: 2M points (16 MiB) stream, so do 1024 x 2048; 1021 x
  // 2053 is above the threshold but its rows are not whole vectors; 1M
  // points are below it; the sigmoid chain does not stream.
  const Case cases[] = {{{1 << 21}, false, false}, {{1024, 2048}, true, false},
                        {{1021, 2053}, false, false}, {{1 << 20}, false, false},
                        {{1 << 21}, false, true}};
  uint64_t seed = 0;
  for (const Case &c : cases) {
    testing::GeneratedCase gc{largeChain(c.space, c.dynamic, c.math), true, false};
    for (int threads : {1, 2}) {
      checkCase(++seed, gc, *jit, reg, 1, threads);
      if (::testing::Test::HasFailure())
        return;
    }
  }
}

/// Every kind of draw (uniform, normal, bernoulli; f32 and f64) over
/// [rows, cols], repeated so that the draws' counters advance by rows*cols
/// a run: with rows*cols odd the runs start at every offset mod 4, so the
/// compiled lanes take both the whole-block form and the per-lane one
/// (KernelEmitter.cpp, ifBlockAligned), and rows that are no whole number
/// of blocks start mid-block within one run. `product` draws the bernoulli
/// samples in a matmul epilogue instead (the CD-1 hidden sample).
std::string drawProgram(int64_t rows, int64_t cols, bool product) {
  const std::string sh = std::to_string(rows) + ", " + std::to_string(cols);
  const std::string t = "f32[" + sh + "]", t64 = "f64[" + sh + "]";
  std::string comps;
  for (int k = 0; k < 6; ++k)
    comps += "  component @o" + std::to_string(k) + " : Tensor {shape = [" + sh +
             "], dtype = \"" + (k < 3 ? "f32" : "f64") + "\"}\n";
  std::string pre, region, args, params;
  if (product) {
    const std::string ta = "f32[" + std::to_string(rows) + ", 24]",
                      tb = "f32[24, " + std::to_string(cols) + "]";
    args = "%a, %b, %y";
    params = "%x: " + ta + ", %w: " + tb + ", %q: " + t64;
    pre = "    %a = random_normal {seed = 2, stream = 1} : " + ta + "\n"
          "    %b = random_normal {seed = 2, stream = 3} : " + tb + "\n";
    region = "        %m = matmul %x, %w : " + t + "\n"
             "        %p = sigmoid %m : " + t + "\n";
  } else {
    args = "%a, %y";
    params = "%x: " + t + ", %q: " + t64;
    pre = "    %a = random_uniform {seed = 2, stream = 1} : " + t + "\n";
    region = "        %p = add %x, %x : " + t + "\n";
  }
  region += "        %u = random_uniform {seed = 9, stream = 1} : " + t + "\n"
            "        %n = random_normal {seed = 9, stream = 2} : " + t + "\n"
            "        %s = random_bernoulli %p {seed = 9, stream = 3} : " + t + "\n"
            "        %u2 = random_uniform {seed = 9, stream = 4} : " + t64 + "\n"
            "        %n2 = random_normal {seed = 9, stream = 5} : " + t64 + "\n"
            "        %s2 = random_bernoulli %q {seed = 9, stream = 6} : " + t64 + "\n"
            "        %su = add %u, %p : " + t + "\n";
  std::string stores;
  const char *res[6] = {"%r0", "%r1", "%r2", "%r3", "%r4", "%r5"};
  for (int k = 0; k < 6; ++k)
    stores += "      %h" + std::to_string(k) + " = component_ref @o" + std::to_string(k) +
              " : !Tensor\n      state_store %h" + std::to_string(k) + ", " + res[k] +
              " {field = \"value\"}\n";
  return "module @t {\n" + comps + "  func @main() {\n" + pre +
         "    %y = random_uniform {seed = 2, stream = 2} : " + t64 + "\n"
         "    repeat 5 {\n"
         "      %r0, %r1, %r2, %r3, %r4, %r5 = fused @k0(" + args + ") : " + t + ", " + t +
         ", " + t + ", " + t64 + ", " + t64 + ", " + t64 + " {\n"
         "      ^bb0(" + params + "):\n" + region +
         "        yield %su, %n, %s, %u2, %n2, %s2\n"
         "      }\n" + stores + "    }\n  }\n}\n";
}

/// The compiled draws at every start offset and row length, in map nests
/// and a matmul epilogue, on 1 and 2 threads: bitwise the interpreter's.
void checkDraws(JitExecutor &jit) {
  runtime::Registry reg = runtime::Registry::withBuiltins();
  struct Case {
    int64_t rows, cols;
    bool product;
  };
  // 3 x 37 and 5 x 19: odd sizes (runs start at offsets 0, 3, 2, 1, 0 mod
  // 4) and rows that start mid-block; 8 x 64 and 1 x 1024 whole vectors;
  // 200 x 300 large enough for 2 threads to split it.
  const Case cases[] = {{3, 37, false}, {5, 19, false},  {8, 64, false},   {1, 1024, false},
                        {200, 301, false}, {7, 37, true}, {100, 256, true}, {33, 65, true}};
  uint64_t seed = 0;
  for (const Case &c : cases) {
    testing::GeneratedCase gc{drawProgram(c.rows, c.cols, c.product), true, false};
    for (int threads : {1, 2}) {
      checkCase(++seed, gc, jit, reg, 1, threads);
      if (::testing::Test::HasFailure())
        return;
    }
  }
}

TEST(FusedDifferentialDraws, EveryOffsetKindAndThreadCount) {
  auto jit = makeJit();
  ASSERT_TRUE(jit);
  checkDraws(*jit);
}

// The kernels a narrower machine gets (SSE2's 4 f32 lanes, AVX2's 8; the
// host here has more), run on this one: the draws and a share of the
// random groups, bitwise the interpreter's, as at the host's width. What
// makes "the same bits on every machine" testable on one.
TEST(FusedDifferentialDraws, NarrowerTargetsEqualTheInterpreter) {
  struct Target {
    const char *cpu;
    unsigned bits;
  };
  const Target targets[] = {{"x86-64", 128}, {"haswell", 256}};
  runtime::Registry reg = runtime::Registry::withBuiltins();
  const int64_t n = std::max<int64_t>(8, casesPerShard() / 4);
  for (const Target &t : targets) {
    SCOPED_TRACE(t.cpu);
    KernelCompiler::Options opts;
    opts.diskCache = false;
    opts.cpu = t.cpu;
    auto made = JitExecutor::create(opts);
    if (!made) {
      // JitEngine refuses a CPU whose features the host lacks; every x86-64
      // host runs the baseline.
      std::string why = llvm::toString(made.takeError());
      ASSERT_NE(std::string(t.cpu), "x86-64") << why;
      ASSERT_NE(why.find("cannot run code"), std::string::npos) << why;
      continue;
    }
    auto jit = std::move(*made);
    EXPECT_EQ(jit->compiler().target().cpu, t.cpu);
    EXPECT_EQ(jit->compiler().target().vectorBits, t.bits);
    checkDraws(*jit);
    for (int64_t c = 0; c < n && !::testing::Test::HasFailure(); ++c) {
      uint64_t seed = 7000003 + uint64_t(c);
      checkCase(seed, testing::generateFusedCase(seed, c % 4 == 3 ? 1 : -1), *jit, reg, 1, 1);
    }
  }
  // A name LLVM does not know is an error, not a JIT for the host.
  KernelCompiler::Options opts;
  opts.diskCache = false;
  opts.cpu = "no-such-cpu";
  auto bad = JitExecutor::create(opts);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("no-such-cpu"), std::string::npos);
}

} // namespace
} // namespace kiln::codegen
