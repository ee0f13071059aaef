// grad: reverse-mode differentiation in kernels, checked against central
// finite differences on the interpreter (f64 throughout).
//
//   - GradRandom: a seeded generator of random differentiable expressions
//     over small f64 tensors of several broadcasting shapes (a [2,3], b [3],
//     d [2,1], s scalar, c [3,3] for matmul), a few hundred of them;
//   - GradOps: each op's adjoint on its own;
//   - GradErrors: the messages of grad, softmax and keepdims misuse.
//
// One random case in twenty also runs at -O2 with the JIT: the gradients must
// be bitwise those of the interpreter at -O0.
//
// Each program has kernel `loss` and one kernel per gradient; main CALLs
// each and FILTs the value to the test's native `sink`. The finite
// differences perturb the Tensor components of a clone of the VM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "codegen/JitExecutor.h"
#include "frontend/Driver.h"
#include "ir/Diagnostics.h"
#include "runtime/Registry.h"
#include "passes/PassManager.h"
#include "runtime/VM.h"

namespace kiln::frontend {
namespace {

using ::testing::HasSubstr;
using runtime::Tensor;

struct Input {
  std::string name;
  std::vector<int64_t> shape;
};

const std::vector<Input> &inputs() {
  static const std::vector<Input> in = {
      {"a", {2, 3}}, {"b", {3}}, {"d", {2, 1}}, {"s", {}}, {"c", {3, 3}}};
  return in;
}

std::string shapeText(const std::vector<int64_t> &s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

/// Compiles and runs `loss_expr` and its gradients; compares with central
/// differences. Returns a description of the first mismatch, or "".
class GradChecker {
public:
  GradChecker() : registry_(runtime::Registry::withBuiltins()) {
    ir::FunctionSchema sink;
    sink.name = "sink";
    sink.variadic = true;
    registry_.registerFunction(sink, [this](std::span<const Tensor> args,
                                            const std::vector<ir::NamedAttribute> &,
                                            runtime::CallContext &, std::vector<Tensor> &,
                                            runtime::NativeError &) {
      for (const Tensor &t : args)
        seen_.push_back(t.copy());
      return true;
    });
  }

  /// The compile error of a program (empty when it compiles).
  std::string compileError(const std::string &kernels, const std::string &main) {
    ir::SourceManager sources;
    ir::DiagnosticEngine diag(&sources);
    auto m = compileProgram(decls(1) + kernels + "main = " + main + "\n", "g.kiln", {}, "",
                            registry_, sources, diag);
    return m ? "" : diag.str();
  }

  /// The values the sink sees when the program runs at -O2 with compiled
  /// kernels (empty with a test failure on error).
  std::vector<Tensor> runOptimized(const std::string &text) {
    ir::SourceManager sources;
    ir::DiagnosticEngine diag(&sources);
    std::unique_ptr<ir::Module> m =
        compileProgram(text, "g.kiln", {}, "", registry_, sources, diag);
    passes::PassManager pm(passes::defaultPipeline(2));
    if (!m || !pm.run(*m, &registry_, diag)) {
      ADD_FAILURE() << diag.str();
      return {};
    }
    auto vm = runtime::VM::create(std::shared_ptr<const ir::Module>(std::move(m)), registry_, diag);
    codegen::KernelCompiler::Options co;
    co.diskCache = false;
    auto jit = codegen::JitExecutor::create(co);
    if (!vm || !jit) {
      ADD_FAILURE() << "no VM or no JIT: " << diag.str();
      if (!jit)
        llvm::consumeError(jit.takeError());
      return {};
    }
    vm->setKernelExecutor(jit->get());
    seen_.clear();
    vm->run(1 << 20);
    EXPECT_TRUE(vm->done()) << vm->error().message;
    return seen_;
  }

  bool alsoOptimized = false; // compare with -O2 + JIT in check()

  /// A variable of grad: how the kernel names it, and the component whose
  /// `value` the finite differences perturb.
  struct Target {
    std::string wrt, component;
  };

  /// Runs `main` over `kernels`; the values the sink saw.
  std::vector<Tensor> run(const std::string &kernels, const std::string &main) {
    ir::SourceManager sources;
    ir::DiagnosticEngine diag(&sources);
    std::shared_ptr<const ir::Module> m = compileProgram(
        decls(1) + kernels + "main = " + main + "\n", "g.kiln", {}, "", registry_, sources, diag);
    EXPECT_TRUE(m) << diag.str();
    auto vm = m ? runtime::VM::create(m, registry_, diag) : nullptr;
    seen_.clear();
    if (vm)
      vm->run(1 << 20);
    EXPECT_TRUE(vm && vm->done()) << (vm ? vm->error().message : diag.str());
    return seen_;
  }

  /// Checks the gradient of `loss` with respect to every input it reads.
  std::string check(const std::string &loss, uint32_t seed,
                    std::vector<Tensor> *gradsOut = nullptr) {
    std::vector<Target> wrt;
    for (const Input &in : inputs())
      if (loss.find(in.name + ".value") != std::string::npos)
        wrt.push_back({in.name + ".value", in.name});
    return checkWith(loss, seed, "", "", wrt, gradsOut);
  }

  /// The same for kernels taking component parameters `params` (one func
  /// for every Tensor: their fields have `?` shapes), called with `args`.
  std::string checkWith(const std::string &loss, uint32_t seed, const std::string &params,
                        const std::string &args, const std::vector<Target> &wrt,
                        std::vector<Tensor> *gradsOut = nullptr) {
    if (wrt.empty())
      return "the expression reads no input";
    std::string list;
    for (size_t i = 0; i < wrt.size(); ++i)
      list += (i ? ", " : "") + wrt[i].wrt;
    std::string callArgs = args.empty() ? "" : ", " + args;
    std::string kernels = "kernel loss(" + params + ") {\n    return " + loss + "\n}\n";
    std::string main = "SEQ([CALL(loss" + callArgs + "), FILT(sink)";
    for (size_t i = 0; i < wrt.size(); ++i) {
      std::string names;
      for (size_t j = 0; j < wrt.size(); ++j)
        names += (j ? ", g" : "g") + std::to_string(j);
      kernels += "kernel grad" + std::to_string(i) + "(" + params + ") {\n    l = " + loss +
                 "\n    " + names + " = grad(l, [" + list + "])\n    return g" +
                 std::to_string(i) + "\n}\n";
      main += ", CALL(grad" + std::to_string(i) + callArgs + "), FILT(sink)";
    }
    main += "])";
    ir::SourceManager sources;
    ir::DiagnosticEngine diag(&sources);
    std::string text = decls(seed) + kernels + "main = " + main + "\n";
    std::shared_ptr<const ir::Module> m =
        compileProgram(text, "g.kiln", {}, "", registry_, sources, diag);
    if (!m)
      return "compile error: " + diag.str() + "\n" + kernels;
    auto vm = runtime::VM::create(m, registry_, diag);
    if (!vm)
      return "VM error: " + diag.str();
    auto base = vm->clone();
    seen_.clear();
    vm->run(1 << 20);
    if (!vm->done())
      return "run error: " + vm->error().message;
    if (seen_.size() != 1 + wrt.size())
      return "sink saw " + std::to_string(seen_.size()) + " values";
    std::vector<Tensor> grads(seen_.begin() + 1, seen_.end());
    if (gradsOut)
      *gradsOut = grads;
    if (alsoOptimized) {
      std::vector<Tensor> ref = seen_, opt = runOptimized(text);
      if (opt.size() != ref.size())
        return "-O2: the sink saw " + std::to_string(opt.size()) + " values";
      for (size_t i = 0; i < ref.size(); ++i)
        if (!opt[i].bitwiseEqual(ref[i]))
          return "-O2 with the JIT differs from -O0 in value " + std::to_string(i) + ": " +
                 opt[i].str() + " vs " + ref[i].str() + "\n" + kernels;
      ++optimizedCases;
    }
    for (size_t i = 0; i < wrt.size(); ++i) {
      runtime::Component *c = base->component(wrt[i].component);
      int f = c->fieldIndex("value");
      Tensor x0 = c->field(f).copy();
      if (grads[i].numel() != x0.numel())
        return wrt[i].wrt + ": gradient has " + std::to_string(grads[i].numel()) +
               " elements, the input " + std::to_string(x0.numel());
      for (int64_t k = 0; k < x0.numel(); ++k) {
        double an = grads[i].at(k);
        double fd = central(*base, wrt[i].component, x0, k, 1e-5);
        double tol = 1e-6 * std::max({1.0, std::abs(an), std::abs(fd)});
        if (std::abs(an - fd) <= tol)
          continue;
        // A kink (relu, abs, max, min, where) within h of the point: the
        // differences at h and h/8 disagree. Counted, not compared.
        double fd2 = central(*base, wrt[i].component, x0, k, 1e-5 / 8);
        if (std::abs(fd - fd2) > tol) {
          ++kinks;
          continue;
        }
        return wrt[i].wrt + "[" + std::to_string(k) + "]: grad " + std::to_string(an) +
               ", finite differences " + std::to_string(fd) + "\n" + kernels;
      }
      ++checkedInputs;
    }
    return "";
  }

  int kinks = 0;
  int optimizedCases = 0;
  int checkedInputs = 0;

private:
  static std::string decls(uint32_t seed) {
    std::string d;
    uint32_t k = 0;
    for (const Input &in : inputs())
      d += in.name + " = Tensor(shape=" + shapeText(in.shape) +
           ", dtype=\"f64\", init=\"randn\", seed=" + std::to_string(seed * 16 + k++) + ")\n";
    d += "r = Tensor(shape=[2, 3], dtype=\"f64\", init=\"randn\", seed=" +
         std::to_string(seed * 16 + 15) + ")\n";
    return d;
  }

  double lossAt(const runtime::VM &base, const std::string &name, const Tensor &x) {
    auto vm = base.clone();
    runtime::Component *c = vm->component(name);
    c->setField(c->fieldIndex("value"), x.copy());
    seen_.clear();
    vm->run(1 << 20);
    EXPECT_FALSE(seen_.empty());
    return seen_.empty() ? NAN : seen_[0].item();
  }

  double central(const runtime::VM &base, const std::string &name, const Tensor &x0, int64_t k,
                 double h) {
    Tensor up = x0.copy(), down = x0.copy();
    up.data<double>()[k] += h;
    down.data<double>()[k] -= h;
    return (lossAt(base, name, up) - lossAt(base, name, down)) / (2 * h);
  }

  runtime::Registry registry_;
  std::vector<Tensor> seen_;
};

/// Random differentiable expressions of shape [2, 3] over the inputs.
class ExprGen {
public:
  explicit ExprGen(uint32_t seed) : rng_(seed) {}

  std::string full(int depth) {
    if (depth <= 0)
      return pick({"a.value", "a.value", "(a.value + b.value)", "(a.value * d.value)",
                   "(a.value - s.value)"});
    int d = depth - 1;
    switch (below(24)) {
    case 0: return "(" + full(d) + " + " + operand(d) + ")";
    case 1: return "(" + operand(d) + " - " + full(d) + ")";
    case 2: return "(" + full(d) + " * " + operand(d) + ")";
    case 3: return "(" + full(d) + " / (1.5 + tanh(" + operand(d, false) + ")))";
    case 4: return "-" + full(d);
    case 5: return "exp(tanh(" + full(d) + "))";
    case 6: {
      std::string x = full(d);
      return "log(0.5 + " + x + " * " + x + ")";
    }
    case 7: {
      std::string x = full(d);
      return "sqrt(0.5 + " + x + " * " + x + ")";
    }
    case 8: return "sigmoid(" + full(d) + ")";
    case 9: return "tanh(" + full(d) + ")";
    case 10: return "abs(" + full(d) + ")";
    case 11: return "relu(" + full(d) + ")";
    case 12: return "max(" + full(d) + ", " + operand(d) + ")";
    case 13: return "min(" + operand(d) + ", " + full(d) + ")";
    case 14: return "pow(1.25 + sigmoid(" + full(d) + "), " + operand(d) + ")";
    case 15: return "where(" + full(d) + " > " + operand(d) + ", " + full(d) + ", " + operand(d) + ")";
    case 16: return "(" + full(d) + " @ c.value)";
    case 17: return "(" + full(d) + " @ c.value.T)";
    case 18: return "transpose(c.value.T @ " + full(d) + ".T)";
    case 19: return "transpose(c.value @ transpose(" + full(d) + "))";
    case 20: return pick({"softmax(", "log_softmax("}) + full(d) + pick({")", ", axis=0)", ", axis=1)"});
    case 21:
      return "(" + full(d) + " - " + pick({"sum(", "mean(", "max(", "min("}) + full(d) +
             pick({", axis=1, keepdims=true)", ", axis=0, keepdims=true)", ", axis=0)", ")"}) + ")";
    case 22: return "(" + full(d) + " * mean(" + full(d) + " * " + full(d) + ", axis=0))";
    default: return "(" + full(d) + " * " + full(d) + ")";
    }
  }

  /// A value that broadcasts against [2, 3]; a bare number only where the
  /// notation gives it the element type of what it meets (not as a function
  /// argument, where it would be f32).
  std::string operand(int depth, bool number = true) {
    switch (below(number ? 6 : 5)) {
    case 0: return "b.value";
    case 1: return "d.value";
    case 2: return "s.value";
    case 3: return full(depth);
    case 5: return "0.7";
    default: return full(depth);
    }
  }

  std::string loss() {
    std::string e = full(static_cast<int>(below(3)) + 1);
    switch (below(3)) {
    case 0: return "sum(" + e + " * r.value)";
    case 1: return "mean(" + e + ")";
    default: return "sum(sum(" + e + ", axis=0) * b.value)";
    }
  }

private:
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  std::string pick(std::initializer_list<const char *> xs) {
    return *(xs.begin() + below(static_cast<uint32_t>(xs.size())));
  }
  std::mt19937 rng_;
};

TEST(GradRandom, AgreesWithFiniteDifferences) {
  GradChecker gc;
  ExprGen gen(20261203);
  const int kCases = 300;
  for (int i = 0; i < kCases; ++i) {
    std::string loss = gen.loss();
    gc.alsoOptimized = i % 20 == 0;
    std::string r = gc.check(loss, static_cast<uint32_t>(i + 1));
    ASSERT_EQ(r, "") << "case " << i << ": " << loss;
  }
  // Every case compared at least one input; kinks are rare.
  EXPECT_GE(gc.checkedInputs, kCases);
  EXPECT_LT(gc.kinks, 20);
  EXPECT_EQ(gc.optimizedCases, kCases / 20);
  std::printf("%d inputs compared, %d kinks skipped, %d cases also at -O2 + JIT\n",
              gc.checkedInputs, gc.kinks, gc.optimizedCases);
}

TEST(GradOps, EachAdjoint) {
  GradChecker gc;
  for (const char *loss : {
           "sum(-a.value * r.value)", "sum(exp(a.value) * r.value)",
           "sum(log(2 + a.value) * r.value)", "sum(sqrt(3 + a.value) * r.value)",
           "sum(abs(a.value) * r.value)", "sum(sigmoid(a.value) * r.value)",
           "sum(tanh(a.value) * r.value)", "sum(relu(a.value) * r.value)",
           "sum((a.value + b.value) * r.value)", "sum((d.value - a.value) * r.value)",
           "sum(a.value * s.value * r.value)", "sum(a.value / (3 + d.value) * r.value)",
           "sum(s.value / (3 + a.value))", "sum(max(a.value, b.value) * r.value)",
           "sum(min(d.value, a.value) * r.value)", "sum(pow(2 + a.value, s.value) * r.value)",
           "sum(pow(2 + s.value, a.value) * r.value)",
           "sum(where(a.value > 0, a.value * a.value, b.value) * r.value)",
           "sum(sum(a.value, axis=0) * b.value)", "sum(mean(a.value, axis=1) * d.value.T)",
           "max(a.value)", "min(a.value * b.value)", "sum(max(a.value, axis=0) * b.value)",
           "sum(min(a.value, axis=1, keepdims=true) * d.value)", "mean(a.value)",
           "sum(sum(a.value, axis=1, keepdims=true) * a.value)", "sum(a.value @ c.value)",
           "sum(a.value @ c.value.T * r.value)", "sum(c.value.T @ a.value.T)",
           "sum(c.value @ a.value.T * a.value.T)", "sum(a.value.T @ a.value)",
           "sum(transpose(a.value) * transpose(r.value))",
           "sum(softmax(a.value) * r.value)", "sum(log_softmax(a.value, axis=0) * r.value)",
           "sum(f64(a.value) * r.value)", "sum(f64(i64(a.value)) + a.value)",
           "sum(f64(a.value > 0) * a.value)", "sum(a.value * f64(argmax(c.value, axis=1)))",
           // Second order: grad of an expression holding a grad.
           "sum(grad(sum(tanh(a.value @ c.value) * r.value), a.value) * r.value)",
           "sum(grad(sum(sigmoid(a.value * b.value)), b.value) * b.value)"})
    EXPECT_EQ(gc.check(loss, 7), "") << loss;
}

TEST(GradOps, NonDifferentiableOpsGiveZero) {
  GradChecker gc;
  // The loss reads a only through a comparison: its gradient is zero.
  EXPECT_EQ(gc.check("sum(f64(a.value > 0.5) * r.value) + s.value", 3), "");
  std::vector<Tensor> g;
  EXPECT_EQ(gc.check("sum(f64(i64(a.value * 3))) + sum(relu(-10 - abs(a.value)))", 3, &g), "");
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(g[0].numel(), 6);
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(g[0].at(i), 0.0);
}

TEST(GradOps, SingleTargetFormAndFieldReadTwice) {
  GradChecker gc;
  // grad(l, x) without a list, inside an expression; a.value read twice
  // (two state_loads) sums both contributions.
  EXPECT_EQ(gc.compileError("kernel k() {\n    l = sum(a.value * a.value)\n"
                            "    return grad(l, a.value) * 2\n}\n",
                            "SEQ([CALL(k), FILT(sink)])"),
            "");
  EXPECT_EQ(gc.check("sum(a.value * r.value) + sum(a.value * a.value)", 5), "");
}

// Through component parameters: each kernel instance is typed with the
// static shapes of the components bound to it (docs/notation.md), x=a and
// y=c here. (Dynamic shapes reach grad through tensor parameters such as
// `x: f32[?, 4]`; tests/lit/frontend/ir-grad.kiln shows their adjoints: dim
// for mean's count, select to spread over a dynamic shape.)
TEST(GradOps, ThroughComponentParameters) {
  GradChecker gc;
  const std::string params = "x: Tensor, y: Tensor";
  const std::string args = "x=a, y=c";
  std::vector<GradChecker::Target> both = {{"x.value", "a"}, {"y.value", "c"}};
  std::vector<GradChecker::Target> x = {{"x.value", "a"}};
  for (const char *loss : {"sum((x.value @ y.value) * r.value)",
                           "sum(tanh(x.value @ y.value.T + b.value) * r.value)",
                           "mean(x.value @ y.value)"})
    EXPECT_EQ(gc.checkWith(loss, 11, params, args, both), "") << loss;
  for (const char *loss : {"mean(x.value * d.value)", "sum(softmax(x.value, axis=1) * r.value)",
                           "sum(max(x.value, axis=0) * b.value)",
                           "sum(sum(x.value, axis=1, keepdims=true) * x.value * r.value)",
                           "sum(log_softmax(x.value, axis=0) * r.value)"})
    EXPECT_EQ(gc.checkWith(loss, 12, params, args, x), "") << loss;
  // The bias's gradient, summed over the batch axis, against d's [2, 1].
  std::vector<GradChecker::Target> d = {{"d.value", "d"}};
  EXPECT_EQ(gc.checkWith("mean(x.value * d.value)", 13, params, args, d), "");
}

// A local and a tensor parameter as variables: the gradient with respect to
// that value, not to what it was computed from.
TEST(GradOps, LocalsAndParameters) {
  GradChecker gc;
  std::vector<Tensor> seen = gc.run(
      "kernel av() {\n    return a.value\n}\n"
      "kernel k(x: f64[2, 3]) {\n    h = x * b.value\n    l = sum(h * h) + sum(x)\n"
      "    g_h, g_x = grad(l, [h, x])\n"
      "    return abs(g_h - 2 * h) + abs(g_x - (2 * h * b.value + 1))\n}\n"
      "kernel k2() {\n    h = exp(a.value)\n    return abs(grad(sum(h * h), h) - 2 * h)\n}\n",
      "SEQ([CALL(av), FILT(k), FILT(sink), CALL(k2), FILT(sink)])");
  ASSERT_EQ(seen.size(), 2u);
  for (const Tensor &t : seen) {
    ASSERT_EQ(t.numel(), 6);
    for (int64_t i = 0; i < 6; ++i)
      EXPECT_LT(t.at(i), 1e-12) << i;
  }
}

TEST(GradErrors, Messages) {
  GradChecker gc;
  auto compile = [&](const std::string &body) {
    return gc.compileError("kernel k() {\n" + body + "\n}\n", "SEQ([CALL(k), FILT(sink)])");
  };
  EXPECT_THAT(compile("    return grad(a.value, a.value)"),
              HasSubstr("g.kiln:8:19: error: grad: the loss must be a float scalar, got f64[2, 3]"));
  EXPECT_THAT(compile("    return grad(sum(b.value), a.value)"),
              HasSubstr("g.kiln:8:33: error: grad: the loss does not depend on 'a.value'"));
  EXPECT_THAT(compile("    return grad(sum(a.value), q.value)"),
              HasSubstr("unknown name 'q' in kernel k"));
  EXPECT_THAT(compile("    return grad(sum(a.value), a.nope)"),
              HasSubstr("Tensor has no state field 'nope'"));
  EXPECT_THAT(compile("    return grad(sum(a.value), a)"),
              HasSubstr("grad: 'a' is a component; name one of its fields, e.g. a.<field>"));
  EXPECT_THAT(compile("    return grad(sum(a.value), a.value * 2)"),
              HasSubstr("grad differentiates with respect to names of values or component fields"));
  EXPECT_THAT(compile("    return grad(sum(a.value), [a.value, b.value])"),
              HasSubstr("grad of 2 variables gives 2 values: assign them with 'g1, g2, ... = grad(...)'"));
  EXPECT_THAT(compile("    g, h = grad(sum(a.value), [a.value])\n    return g"),
              HasSubstr("grad of 1 variable gives as many values, assigned here to 2 names"));
  EXPECT_THAT(compile("    g, h = exp(a.value)\n    return g"),
              HasSubstr("only grad(...) gives several values; assign one name"));
  EXPECT_THAT(compile("    return grad(3, a.value)"), HasSubstr("grad: the loss is a constant number"));
  EXPECT_THAT(compile("    return grad(sum(a.value))"), HasSubstr("grad takes 2 arguments"));
  EXPECT_THAT(compile("    return grad(sum(a.value), [])"),
              HasSubstr("grad needs at least one variable to differentiate with respect to"));
  EXPECT_THAT(compile("    return grad(sum(a.value), a.value, k=1)"),
              HasSubstr("unknown keyword argument 'k' for grad"));
  EXPECT_THAT(compile("    n = i64(a.value)\n    return grad(sum(f64(n)), n)"),
              HasSubstr("grad: 'n' is i64[2, 3]; only float values have gradients"));
  EXPECT_THAT(compile("    return sum(a.value, axis=0, keepdims=1)"),
              HasSubstr("keepdims must be true or false"));
  EXPECT_THAT(compile("    return softmax(a.value, keepdims=true)"),
              HasSubstr("unknown keyword argument 'keepdims' for softmax"));
}

} // namespace
} // namespace kiln::frontend
