// Lowering to IR with a fake catalog: the seed's example, every element,
// user and built-in kernels, a user-registered component type exporting a
// kernel, and the lowering diagnostics. Every module produced must verify.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "FakeCatalog.h"
#include "frontend/Api.h"
#include "frontend/Lowering.h"
#include "frontend/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

namespace kiln::frontend {
namespace {

using ::testing::HasSubstr;

struct Lowered {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag{&sources};
  std::unique_ptr<ir::Module> module;
  std::string text;
};

std::unique_ptr<Lowered> lower(std::string_view src, std::string entry = "") {
  static const test::FakeCatalog catalog;
  auto l = std::make_unique<Lowered>();
  auto prog = parseProgram(src, "t.kiln", l->sources, l->diag);
  if (!prog)
    return l;
  LowerOptions opts;
  opts.entry = entry;
  opts.sources = &l->sources;
  l->module = lowerProgram(*prog, catalog, l->diag, opts);
  if (l->module) {
    EXPECT_TRUE(ir::verifyModule(*l->module, l->diag)) << l->diag.str() << ir::printModule(*l->module);
    l->text = ir::printModule(*l->module);
  }
  return l;
}

TEST(Lowering, SeedPcaExample) {
  auto l = lower(R"(dataset = Dataset.randn(rows=13, cols=1, seed=123)
pca = PCA(dims=1)

train_pca = SEQ([
    BUFFER_REPEAT(1000, CALL(dataset.next)),
    FILT(pca.analyze)])

main = train_pca
)");
  ASSERT_TRUE(l->module) << l->diag.str();
  EXPECT_EQ(l->module->name(), "train_pca");
  ir::Operation *main = l->module->lookupFunc("main");
  ASSERT_TRUE(main);
  auto &ops = main->region(0).ops();
  ASSERT_EQ(ops.size(), 3u); // buffer_repeat, call, return
  ir::Operation *br = ops.front().get();
  EXPECT_EQ(br->kind(), ir::OpKind::BufferRepeat);
  EXPECT_EQ(br->result()->type().str(), "f32[1000, 1]");
  EXPECT_EQ(br->loc().line, 5u);
  EXPECT_EQ(br->loc().col, 5u);
  ir::Operation *call = std::next(ops.begin())->get();
  EXPECT_EQ(call->symbolAttr("callee"), "pca.analyze");
  EXPECT_EQ(call->operand(0), br->result());
  ir::Operation *next = br->region(0).front();
  EXPECT_EQ(next->symbolAttr("callee"), "dataset.next");
  EXPECT_EQ(next->result()->type().str(), "f32[1]");
  EXPECT_EQ(l->module->lookupComponent("dataset")->stringAttr("constructor"), "randn");
}

TEST(Lowering, EveryElementVerifies) {
  auto l = lower(R"(d = Dataset.randn(rows=5, cols=3, seed=1)
pca = PCA(dims=2)
batch = 4
sub = SEQ([CALL(d.next), CALL(print)])
main = SEQ([
    sub,
    FILT(pca.project),
    FILT(print, tag="p"),
    REPEAT(2, CALL(d.next)),
    BUFFER_REPEAT(batch, sub),
    FILT(pca.analyze),
    WHILE(CALL(more), CALL(d.next)),
    CALL(pick),
    SWITCH(CALL(d.next), CALL(print)),
    CHOOSE(CASE(3, CALL(pick)), CASE(5, CALL(pick)), DEFAULT(CALL(pick))),
    FILT(print),
    WEAVE(1, [REPEAT(3, CALL(d.next)), LOOP(CALL(print))])])
)");
  ASSERT_TRUE(l->module) << l->diag.str();
  const std::string &t = l->text;
  EXPECT_THAT(t, HasSubstr("seq {name = \"sub\"}"));
  EXPECT_THAT(t, HasSubstr("call @pca.project("));
  EXPECT_THAT(t, HasSubstr("{tag = \"p\"}"));
  EXPECT_THAT(t, HasSubstr("repeat 2"));
  EXPECT_THAT(t, HasSubstr("buffer_repeat 4 : f32[4, 3]"));
  EXPECT_THAT(t, HasSubstr("while"));
  EXPECT_THAT(t, HasSubstr("cases = [0, 1]"));
  EXPECT_THAT(t, HasSubstr("cases = [3, 5]"));
  EXPECT_THAT(t, HasSubstr("weave 1"));
  EXPECT_THAT(t, HasSubstr("loop"));
  EXPECT_THAT(t, HasSubstr("func @print() attributes {native = true}"));
  // The explicit-case switch has a value (every branch and the default make
  // an i64), which the FILT after it receives.
  ir::Operation *main = l->module->lookupFunc("main");
  ir::Operation *sw = nullptr, *printAfter = nullptr;
  for (auto &op : main->region(0).ops()) {
    if (op->kind() == ir::OpKind::Switch)
      sw = op.get();
    else if (sw && op->kind() == ir::OpKind::Call && !printAfter)
      printAfter = op.get();
  }
  ASSERT_TRUE(sw && printAfter);
  ASSERT_EQ(sw->numResults(), 1u);
  EXPECT_EQ(printAfter->operand(0), sw->result());
}

const char *kRbm = R"(data = Dataset.randn(rows=100, cols=4, seed=3)
layer1 = RBM(visible=4, hidden=2, seed=7)

kernel cd1_update(layer: RBM, v0: f32[?, 4], lr: f32) {
    h0 = sigmoid(v0 @ layer.W + layer.hb)
    hs = bernoulli(h0)
    v1 = sigmoid(hs @ layer.W.T + layer.vb)
    h1 = sigmoid(v1 @ layer.W + layer.hb)
    layer.W += lr * (v0.T @ h0 - v1.T @ h1) / rows(v0)
    layer.hb += lr * mean(h0 - h1, axis=0)
    layer.vb += lr * mean(v0 - v1, axis=0)
}

main = REPEAT(10, SEQ([
    BUFFER_REPEAT(8, CALL(data.next)),
    FILT(cd1_update, layer=layer1, lr=0.1),
    FILT(layer1.cd1_update, lr=0.05)]))
)";

TEST(Lowering, UserAndBuiltinKernelsLowerToTensorOps) {
  auto l = lower(kRbm);
  ASSERT_TRUE(l->module) << l->diag.str();
  const std::string &t = l->text;
  ir::Operation *k = l->module->lookupFunc("cd1_update");
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->boolAttr("kernel"));
  EXPECT_EQ(k->region(0).argument(0)->type().str(), "!RBM");
  EXPECT_EQ(k->region(0).argument(1)->type().str(), "f32[?, 4]");
  std::map<ir::OpKind, int> counts;
  k->walkNested([&](ir::Operation &op) { counts[op.kind()]++; });
  EXPECT_EQ(counts[ir::OpKind::Matmul], 5);
  EXPECT_EQ(counts[ir::OpKind::StateStore], 3);
  EXPECT_EQ(counts[ir::OpKind::RandomBernoulli], 1);
  EXPECT_EQ(counts[ir::OpKind::Dim], 1);
  EXPECT_EQ(counts[ir::OpKind::Cast], 1);
  EXPECT_EQ(counts[ir::OpKind::ReduceMean], 2);
  EXPECT_THAT(t, HasSubstr("{transpose_b = true}"));
  EXPECT_THAT(t, HasSubstr("{transpose_a = true}"));
  EXPECT_THAT(t, HasSubstr("{seed = 7, stream = 0}"));
  EXPECT_THAT(t, HasSubstr("state_store"));
  // The built-in method, instantiated for layer1 without self.
  ir::Operation *bk = l->module->lookupFunc("layer1.cd1_update");
  ASSERT_TRUE(bk);
  EXPECT_EQ(bk->region(0).numArguments(), 2u);
  EXPECT_EQ(bk->region(0).front()->kind(), ir::OpKind::ComponentRef);
  EXPECT_THAT(t, HasSubstr("{seed = 7, stream = 1}"));
  // Calls: the user kernel gets the handle and a constant; the built-in one no handle.
  EXPECT_THAT(t, HasSubstr("component_ref @layer1 : !RBM"));
  EXPECT_THAT(t, HasSubstr("call @cd1_update("));
  EXPECT_THAT(t, HasSubstr("call @layer1.cd1_update("));
  EXPECT_THAT(t, HasSubstr("constant 0.1 : f32"));
}

// A user kernel is instantiated per distinct tuple of the field types of the
// components bound to its component parameters: @k for the first, @k.i1, ...
// in order of first call; calls with the same field types share a func.
TEST(Lowering, UserKernelInstancesPerFieldTypes) {
  auto l = lower(R"(a = RBM(visible=4, hidden=2, seed=1)
b = RBM(visible=4, hidden=3, seed=2)
c = RBM(visible=4, hidden=2, seed=3)

kernel decay(layer: RBM, f: f32) {
    layer.W *= f
    layer.hb *= f
}

kernel pair(x: RBM, y: RBM) {
    x.vb += y.vb
    y.hb *= bernoulli(y.hb)
}

main = SEQ([
    CALL(decay, layer=a, f=0.5),
    CALL(decay, layer=b, f=0.5),
    CALL(decay, layer=c, f=0.5),
    CALL(decay, layer=b, f=0.25),
    CALL(pair, x=a, y=b),
    CALL(pair, x=b, y=a),
    CALL(pair, x=c, y=b)])
)");
  ASSERT_TRUE(l->module) << l->diag.str();
  auto loadType = [&](const char *func, const char *field) {
    ir::Operation *f = l->module->lookupFunc(func);
    std::string out = f ? "" : "no func";
    if (f)
      f->walkNested([&](ir::Operation &op) {
        if (op.is(ir::OpKind::StateLoad) && op.stringAttr("field") == field && out.empty())
          out = op.result()->type().str();
      });
    return out;
  };
  EXPECT_EQ(loadType("decay", "W"), "f32[4, 2]");
  EXPECT_EQ(loadType("decay", "hb"), "f32[2]");
  EXPECT_EQ(loadType("decay.i1", "W"), "f32[4, 3]");
  EXPECT_EQ(loadType("decay.i1", "hb"), "f32[3]");
  EXPECT_FALSE(l->module->lookupFunc("decay.i2"));
  // pair(a, b) and pair(c, b) share @pair; pair(b, a) is @pair.i1.
  EXPECT_EQ(loadType("pair", "hb"), "f32[3]");
  EXPECT_EQ(loadType("pair.i1", "hb"), "f32[2]");
  EXPECT_FALSE(l->module->lookupFunc("pair.i2"));
  // The instances draw from the same stream, as one func did.
  auto streamOf = [&](const char *func) {
    int64_t stream = -1;
    l->module->lookupFunc(func)->walkNested([&](ir::Operation &op) {
      if (op.is(ir::OpKind::RandomBernoulli))
        stream = op.intAttr("stream");
    });
    return stream;
  };
  EXPECT_GE(streamOf("pair"), 0);
  EXPECT_EQ(streamOf("pair"), streamOf("pair.i1"));
  std::vector<std::string> callees;
  l->module->lookupFunc("main")->walkNested([&](ir::Operation &op) {
    if (op.is(ir::OpKind::Call))
      callees.emplace_back(op.symbolAttr("callee"));
  });
  EXPECT_EQ(callees, (std::vector<std::string>{"decay", "decay.i1", "decay", "decay.i1", "pair",
                                               "pair.i1", "pair"}));
  // A wrong argument is still reported by the call, not as a missing field.
  auto bad = lower(R"(a = RBM(visible=4, hidden=2, seed=1)
d = Dataset.randn(rows=3, cols=4, seed=1)
kernel decay(layer: RBM, f: f32) {
    layer.W *= f
}
main = CALL(decay, layer=d, f=0.5)
)");
  EXPECT_FALSE(bad->module);
  EXPECT_THAT(bad->diag.str(),
              HasSubstr("argument 'layer' of kernel decay must be a component of type RBM, got d"));
}

TEST(Lowering, UserRegisteredComponentTypeExportsAKernel) {
  // Scaler stands for a component type a user registered from C++ with a
  // kernel-exporting method; the frontend sees it only through the catalog.
  Program prog;
  auto d = prog.component("d", "Dataset.randn", {{"rows", 10}, {"cols", 3}});
  auto s = prog.component("s", "Scaler", {{"n", 3}});
  prog.setMain(SEQ({BUFFER_REPEAT(5, CALL(d, "next")), FILT(s, "apply"), FILT("print")}));
  test::FakeCatalog catalog;
  ir::DiagnosticEngine diag;
  auto m = lowerProgram(prog, catalog, diag);
  ASSERT_TRUE(m) << diag.str();
  ASSERT_TRUE(ir::verifyModule(*m, diag)) << diag.str();
  ir::Operation *f = m->lookupFunc("s.apply");
  ASSERT_TRUE(f);
  EXPECT_EQ(ir::funcResultTypes(*f).at(0).str(), "f32[?, 3]");
  std::string t = ir::printModule(*m);
  EXPECT_THAT(t, HasSubstr("state_load"));
  EXPECT_THAT(t, HasSubstr("mul"));
  EXPECT_THAT(t, HasSubstr("call @s.apply("));
}

struct BadCase {
  const char *text;
  const char *message; // the first line of the rendered diagnostic
};

/// Each program `pre + text` fails to lower with `message` first.
template <size_t N> void expectFirstErrors(const std::string &pre, const BadCase (&cases)[N]) {
  for (const BadCase &c : cases) {
    auto l = lower(pre + c.text);
    EXPECT_FALSE(l->module) << c.text;
    ASSERT_FALSE(l->diag.diagnostics().empty()) << c.text;
    std::string first = l->diag.render(l->diag.diagnostics()[0]);
    EXPECT_EQ(first.substr(0, first.find('\n')), c.message) << c.text;
  }
}

TEST(Lowering, Diagnostics) {
  const std::string pre = "d = Dataset.randn(rows=5, cols=3)\nl = RBM(visible=3, hidden=2)\n";
  // Line numbers below count the two lines of `pre`.
  const BadCase cases[] = {
      {"main = FILT(print)", "t.kiln:3:8: error: FILT(print) has no previous value to receive: no CALL or FILT before it produced one"},
      {"main = CALL(nope)", "t.kiln:3:8: error: unknown function 'nope'"},
      {"main = CALL(x.next)", "t.kiln:3:8: error: unknown component 'x'"},
      {"main = CALL(d.prev)", "t.kiln:3:8: error: component 'd' (Dataset) has no method 'prev'"},
      {"main = CALL(d.next, n=3)", "t.kiln:3:21: error: unknown keyword argument 'n' for d.next"},
      {"main = SEQ([CALL(d.next), FILT(d.next)])", "t.kiln:3:27: error: FILT(d.next) passes the last value, but d.next takes no arguments"},
      {"main = nothing", "t.kiln:3:8: error: unknown program 'nothing'"},
      {"a = SEQ([b])\nb = SEQ([CALL(print), a])\nmain = a", "t.kiln:4:23: error: recursive use of sub-program 'a' (main -> a -> b -> a)"},
      {"main = BUFFER_REPEAT(3, CALL(print))", "t.kiln:3:25: error: BUFFER_REPEAT's body produces no value to buffer"},
      {"main = WEAVE(3, [CALL(print)])", "t.kiln:3:8: error: WEAVE requires 3 children to finish but has 1"},
      {"main = WEAVE(1, [])", "t.kiln:3:8: error: WEAVE requires 1 child to finish but has 0"},
      {"main = SEQ([CALL(d.next), SWITCH(CALL(print))])", "t.kiln:3:27: error: SWITCH selects on one scalar, but the last value is f32[3]"},
      {"x = Foo(a=1)\nmain = CALL(print)", "t.kiln:3:1: error: unknown component type 'Foo'"},
      {"x = PCA(dim=1)\nmain = CALL(print)", "t.kiln:3:1: error: invalid component PCA: missing 'dims'"},
      {"main = CALL(l.cd1_update, lr=1)", "t.kiln:3:8: error: missing argument 'v0' for kernel l.cd1_update"},
      {"main = SEQ([BUFFER_REPEAT(2, CALL(d.next)), FILT(l.energy)])", "<RBM kernels>:11:5: error: kernel RBM.energy may not write state: the method is read-only"},
      {"kernel k(x: f32[?, 3]) {\n    y = x @ l.W.T\n}\nmain = SEQ([BUFFER_REPEAT(2, CALL(d.next)), FILT(k)])",
       "t.kiln:4:11: error: shape mismatch in '@': inner dimensions differ: 3 and 2 (f32[?, 3] @ f32[3, 2].T)"},
      {"kernel k(x: f32[?, 3]) {\n    y = x + l.W\n}\nmain = SEQ([BUFFER_REPEAT(2, CALL(d.next)), FILT(k)])",
       "t.kiln:4:11: error: shape mismatch in '+': shapes f32[?, 3] and f32[3, 2] do not broadcast"},
      {"kernel k(x: f32[?, 3]) {\n    l.vb = mean(x, axis=0)\n}\nmain = SEQ([BUFFER_REPEAT(2, CALL(d.next)), FILT(k)])",
       "t.kiln:4:5: error: kernel k may not write l.vb: only components passed as parameters can be written"},
      {"kernel k(r: RBM) {\n    r.Q = 1\n}\nmain = CALL(k, r=l)", "t.kiln:4:5: error: RBM has no state field 'Q'"},
      {"kernel k(r: RBM) {\n    y = foo(r.W)\n}\nmain = CALL(k, r=l)", "t.kiln:4:9: error: unknown function 'foo' in kernel k"},
      {"kernel k(r: RBM) {\n    y = zz\n}\nmain = CALL(k, r=l)", "t.kiln:4:9: error: unknown name 'zz' in kernel k"},
      {"kernel k(r: RBM, lr: f32) {\n}\nmain = CALL(k, r=d, lr=1)", "t.kiln:5:16: error: argument 'r' of kernel k must be a component of type RBM, got d"},
      {"kernel k(r: RBM, lr: f32) {\n}\nmain = CALL(k, r=l)", "t.kiln:5:8: error: missing argument 'lr' for kernel k"},
      {"kernel k(r: RBM, lr: f32) {\n}\nmain = CALL(k, r=l, lr=1, q=2)", "t.kiln:5:27: error: kernel k has no parameter 'q'"},
      {"main2 = CALL(print)", "t.kiln:1:1: error: no entry program 'main' (define main = ..., or choose another with --entry)"},
  };
  expectFirstErrors(pre, cases);
}

/// The ops of func @main, without its return.
std::vector<ir::Operation *> mainOps(const Lowered &l) {
  std::vector<ir::Operation *> ops;
  for (const auto &op : l.module->lookupFunc("main")->region(0).ops())
    if (!op->is(ir::OpKind::Return))
      ops.push_back(op.get());
  return ops;
}

TEST(Lowering, SeveralValuesFlowFromALabeledRead) {
  // next_labeled has two results; BUFFER_REPEAT stacks both; FILT passes
  // both to the first non-component parameters of a kernel (x, y; lr by
  // keyword), and the kernel's two results flow on past a call without
  // results into print, which receives both.
  auto l = lower(R"(d = Dataset.randn(rows=5, cols=3, classes=2)
kernel step(x: f32[?, 3], y: f32[?, 2], lr: f32) {
    return x * lr, y
}
kernel fit(r: RBM, x: f32[?, 3], y: f32[?, 2]) {
    r.vb += mean(x, axis=0)
}
l = RBM(visible=3, hidden=2)
main = SEQ([BUFFER_REPEAT(4, CALL(d.next_labeled)), FILT(step, lr=0.5),
            FILT(fit, r=l), FILT(print)])
)");
  ASSERT_TRUE(l->module) << l->diag.str();
  std::vector<ir::Operation *> ops = mainOps(*l);
  ir::Operation *br = ops.at(0);
  ASSERT_EQ(br->kind(), ir::OpKind::BufferRepeat);
  ASSERT_EQ(br->numResults(), 2u);
  EXPECT_EQ(br->result(0)->type().str(), "f32[4, 3]");
  EXPECT_EQ(br->result(1)->type().str(), "f32[4, 2]");
  ir::Operation *read = br->region(0).front();
  EXPECT_EQ(read->symbolAttr("callee"), "d.next_labeled");
  EXPECT_EQ(br->region(0).back()->operands(), read->results());

  auto callTo = [&](std::string_view callee) -> ir::Operation * {
    for (ir::Operation *op : ops)
      if (op->is(ir::OpKind::Call) && op->symbolAttr("callee") == callee)
        return op;
    return nullptr;
  };
  ir::Operation *step = callTo("step");
  ASSERT_TRUE(step);
  ASSERT_EQ(step->numOperands(), 3u);
  EXPECT_EQ(step->operand(0), br->result(0));
  EXPECT_EQ(step->operand(1), br->result(1));
  EXPECT_EQ(step->operand(2)->definingOp()->kind(), ir::OpKind::Constant);
  ASSERT_EQ(step->numResults(), 2u);
  ir::Operation *fit = callTo("fit");
  ASSERT_TRUE(fit);
  ASSERT_EQ(fit->numOperands(), 3u);
  EXPECT_EQ(fit->operand(0)->definingOp()->kind(), ir::OpKind::ComponentRef);
  EXPECT_EQ(fit->operand(1), step->result(0));
  EXPECT_EQ(fit->operand(2), step->result(1));
  ir::Operation *print = callTo("print");
  ASSERT_TRUE(print);
  EXPECT_EQ(print->operands(), step->results()); // fit has no results
}

TEST(Lowering, ElementsCarryTuples) {
  // REPEAT and a sub-program yield both values; a SWITCH whose branches all
  // make the same pair of types has both as results.
  auto l = lower(R"(d = Dataset.randn(rows=5, cols=3, classes=2)
read = CALL(d.next_labeled)
main = SEQ([REPEAT(3, read), CALL(pick),
            SWITCH(CASE(0, CALL(d.next_labeled)), DEFAULT(read)),
            FILT(print)])
)");
  ASSERT_TRUE(l->module) << l->diag.str();
  std::vector<ir::Operation *> ops = mainOps(*l);
  ir::Operation *rep = ops.at(0);
  ASSERT_EQ(rep->kind(), ir::OpKind::Repeat);
  EXPECT_EQ(rep->numResults(), 2u);
  ir::Operation *seq = rep->region(0).front();
  ASSERT_EQ(seq->kind(), ir::OpKind::Seq);
  EXPECT_EQ(seq->numResults(), 2u);
  ir::Operation *sw = nullptr;
  for (ir::Operation *op : ops)
    if (op->is(ir::OpKind::Switch))
      sw = op;
  ASSERT_TRUE(sw);
  ASSERT_EQ(sw->numResults(), 2u);
  EXPECT_EQ(ops.back()->operands(), sw->results());
}

TEST(Lowering, KeywordArgumentNamesAComponentField) {
  // x=l.vb reads the field when the call runs (a state_load before it).
  auto l = lower(R"(l = RBM(visible=3, hidden=2)
kernel norm(x: f32[3], lr: f32) {
    return sum(x * x) * lr
}
main = SEQ([CALL(norm, x=l.vb, lr=2), FILT(print)])
)");
  ASSERT_TRUE(l->module) << l->diag.str();
  std::vector<ir::Operation *> ops = mainOps(*l);
  ir::Operation *call = nullptr;
  for (ir::Operation *op : ops)
    if (op->is(ir::OpKind::Call) && op->symbolAttr("callee") == "norm")
      call = op;
  ASSERT_TRUE(call);
  ir::Operation *load = call->operand(0)->definingOp();
  ASSERT_EQ(load->kind(), ir::OpKind::StateLoad);
  EXPECT_EQ(load->stringAttr("field"), "vb");
  EXPECT_EQ(load->operand(0)->definingOp()->symbolAttr("component"), "l");
  EXPECT_EQ(call->operand(1)->definingOp()->kind(), ir::OpKind::Constant);
}

TEST(Lowering, TupleDiagnostics) {
  const std::string pre = "d = Dataset.randn(rows=5, cols=3, classes=2)\n"
                          "l = RBM(visible=3, hidden=2)\np = PCA(dims=1)\n";
  // Line numbers below count the three lines of `pre`.
  const BadCase cases[] = {
      {"main = SEQ([BUFFER_REPEAT(4, CALL(d.next_labeled)), FILT(l.cd1_update)])",
       "t.kiln:4:53: error: FILT(l.cd1_update) passes f32[4, 2] (value 2 of 2 values (f32[4, 3], f32[4, 2])), but 'lr' of kernel l.cd1_update is f32"},
      {"main = SEQ([BUFFER_REPEAT(4, CALL(d.next_labeled)), FILT(l.cd1_update, lr=1)])",
       "t.kiln:4:72: error: 'lr' is given by keyword, but FILT passes the last value to it (value 2 of 2 values (f32[4, 3], f32[4, 2]))"},
      {"kernel k(x: f32[?, 3]) {\n}\nmain = SEQ([BUFFER_REPEAT(4, CALL(d.next_labeled)), FILT(k)])",
       "t.kiln:6:53: error: FILT(k) passes 2 values (f32[4, 3], f32[4, 2]), but kernel k has only 1 non-component parameter left to receive them"},
      {"kernel k(r: RBM) {\n}\nmain = SEQ([CALL(d.next_labeled), FILT(k, r=l)])",
       "t.kiln:6:35: error: FILT(k) passes 2 values (f32[3], f32[2]), but kernel k has no non-component parameters left to receive them"},
      {"main = SEQ([CALL(d.next_labeled), FILT(p.project)])",
       "t.kiln:4:35: error: FILT(p.project) passes 2 values (f32[3], f32[2]), but p.project takes 1 parameter"},
      {"main = SEQ([CALL(d.next_labeled), SWITCH(CALL(print))])",
       "t.kiln:4:35: error: SWITCH selects on one scalar, but the last value is 2 values (f32[3], f32[2])"},
      {"main = WHILE(CALL(d.next_labeled), CALL(print))",
       "t.kiln:4:14: error: WHILE's condition must produce one scalar, got 2 values (f32[3], f32[2])"},
      {"kernel k(x: f32[2]) {\n}\nmain = CALL(k, x=l.W)",
       "t.kiln:6:16: error: argument 'x' of kernel k is f32[2], but l.W is f32[3, 2]"},
      {"kernel k(x: f32[2]) {\n}\nmain = CALL(k, x=l.Q)",
       "t.kiln:6:16: error: component 'l' (RBM) has no field 'Q'"},
      {"kernel k(x: f32[2]) {\n}\nmain = CALL(k, x=q.W)",
       "t.kiln:6:16: error: unknown component 'q' in 'q.W'"},
      {"kernel k(x: f32[2]) {\n}\nmain = CALL(k, x=l)",
       "t.kiln:6:16: error: argument 'x' of kernel k is f32[2], but 'l' is a component (RBM); pass one of its fields (l.W, l.hb, l.vb) or a value with FILT"},
      {"kernel k(x: f32[2]) {\n}\nmain = CALL(k, x=d)",
       "t.kiln:6:16: error: argument 'x' of kernel k is f32[2], but 'd' is a component (Dataset); pass a value with FILT"},
      {"main = CALL(print, x=l.W)",
       "t.kiln:4:22: error: a component field ('l.W') can only be passed to a kernel's parameter, not used as a constant"},
  };
  expectFirstErrors(pre, cases);
}

TEST(Lowering, EntryCanBeChosen) {
  auto l = lower("d = Dataset.randn(rows=5, cols=3)\nother = CALL(d.next)\nmain = CALL(nope)\n", "other");
  ASSERT_TRUE(l->module) << l->diag.str();
  EXPECT_TRUE(l->module->lookupFunc("other"));
}

} // namespace
} // namespace kiln::frontend
