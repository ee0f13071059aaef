// Unit tests of each pass on IR made with ir::Builder: where it applies and
// where it must not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::Builder;
using ir::ElemType;
using ir::OpKind;
using ir::Operation;
using ir::Type;
using ir::Value;

Type f32(std::vector<int64_t> dims) { return Type::tensor(ElemType::F32, std::move(dims)); }

// Runs one pass by name; returns its statistics line.
std::string runPass(ir::Module &m, std::string_view name,
                    const ir::ComponentCatalog *catalog = nullptr) {
  std::string err;
  auto p = parsePipeline(name, &err);
  EXPECT_TRUE(p) << err;
  PassManager pm(std::move(*p));
  ir::DiagnosticEngine diag;
  EXPECT_TRUE(ir::verifyModule(m, diag)) << "the test's input is invalid: " << diag.str();
  EXPECT_TRUE(pm.run(m, catalog, diag)) << diag.str();
  return pm.statistics().empty() ? "" : pm.statistics()[0].second.str();
}

std::vector<OpKind> kinds(const ir::Region &r) {
  std::vector<OpKind> out;
  for (const auto &op : r.ops())
    out.push_back(op->kind());
  return out;
}

struct ModuleWithMain {
  std::unique_ptr<ir::Module> m = std::make_unique<ir::Module>("t");
  Builder b{m->body()};
  Operation *main = nullptr;
  ir::Region &body() { return main->region(0); }
  // The module has what the tests call: components @w (Tensor) and @pca
  // (PCA), and the native function @print.
  explicit ModuleWithMain(std::vector<std::pair<std::string, Type>> params = {}) {
    b.component("w", "Tensor");
    b.component("pca", "PCA");
    b.func("print", {}, {})->setAttr("native", ir::Attribute::boolean(true));
    main = b.func("main", params, {});
    b.setInsertionPointToEnd(main->region(0));
  }
  Value *arg(unsigned i) { return main->region(0).argument(i); }
};

// ---- dce --------------------------------------------------------------------

TEST(DCE, RemovesDeadPureChainsKeepsEffects) {
  ModuleWithMain t({{"x", f32({4})}});
  Value *e = t.b.unary(OpKind::Exp, t.arg(0));
  t.b.unary(OpKind::Neg, e);                                          // dead chain
  t.b.random(OpKind::RandomUniform, f32({4}), 1, 1);                  // unused draw: kept
  Value *h = t.b.componentRef("w", "Tensor");
  t.b.stateLoad(h, "value", f32({4}));                                // dead read
  t.b.stateStore(h, "value", t.arg(0));                               // write: kept
  t.b.call("print", {t.arg(0)}, {});                                  // call: kept
  Operation *rep = t.b.repeat(3);                                     // pure body: dead
  {
    Builder in(rep->region(0));
    in.unary(OpKind::Exp, t.arg(0));
    in.yield();
  }
  Operation *loop = t.b.loop();                                       // kept (never ends)
  Builder(loop->region(0)).yield();
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "dce"), "6 ops removed");
  EXPECT_THAT(kinds(t.body()),
              ::testing::ElementsAre(OpKind::RandomUniform, OpKind::ComponentRef,
                                     OpKind::StateStore, OpKind::Call, OpKind::Loop,
                                     OpKind::Return));
}

// ---- cse --------------------------------------------------------------------

TEST(CSE, MergesPureOpsCommutativeOperandsAndOuterScopes) {
  ModuleWithMain t({{"x", f32({4})}, {"y", f32({4})}});
  Value *a = t.b.binary(OpKind::Add, t.arg(0), t.arg(1));
  Value *b2 = t.b.binary(OpKind::Add, t.arg(1), t.arg(0)); // same (commutative)
  Value *s1 = t.b.binary(OpKind::Sub, t.arg(0), t.arg(1));
  Value *s2 = t.b.binary(OpKind::Sub, t.arg(1), t.arg(0)); // different
  Operation *rep = t.b.repeat(2);
  Builder in(rep->region(0));
  Value *inner = in.binary(OpKind::Add, t.arg(0), t.arg(1)); // sees the outer one
  in.call("print", {inner}, {});
  in.yield();
  t.b.call("print", {a, b2, s1, s2}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "cse"), "2 ops merged");
  Operation *print = &*std::prev(t.body().ops().end(), 2)->get();
  EXPECT_EQ(print->operand(0), print->operand(1));
  EXPECT_NE(print->operand(2), print->operand(3));
  EXPECT_EQ(rep->region(0).front()->operand(0), a);
}

TEST(CSE, KeepsRandomDrawsAndStateReadsAcrossWrites) {
  ModuleWithMain t({{"x", f32({4})}});
  Value *r1 = t.b.random(OpKind::RandomUniform, f32({4}), 1, 1);
  Value *r2 = t.b.random(OpKind::RandomUniform, f32({4}), 1, 1);
  Value *h = t.b.componentRef("w", "Tensor");
  Value *l1 = t.b.stateLoad(h, "value", f32({4}));
  Value *l2 = t.b.stateLoad(h, "value", f32({4})); // same read: merged
  t.b.stateStore(h, "value", t.arg(0));
  Value *l3 = t.b.stateLoad(h, "value", f32({4})); // after a write: kept
  t.b.call("print", {r1, r2, l1, l2, l3}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "cse"), "1 op merged");
  Operation *print = &*std::prev(t.body().ops().end(), 2)->get();
  EXPECT_NE(print->operand(0), print->operand(1));
  EXPECT_EQ(print->operand(2), print->operand(3));
  EXPECT_NE(print->operand(2), print->operand(4));
}

// ---- canonicalize --------------------------------------------------------------

TEST(Canonicalize, FoldsExactArithmeticOnly) {
  ModuleWithMain t;
  Value *two = t.b.constant(2.0, Type::f32());
  Value *three = t.b.constant(3.0, Type::f32());
  Value *p = t.b.binary(OpKind::Mul, two, three);
  Value *tenth = t.b.constant(0.1, Type::f32());
  Value *q = t.b.binary(OpKind::Add, tenth, tenth);  // f32 rounding
  Value *e = t.b.unary(OpKind::Exp, two);             // runtime's own exp: not folded
  t.b.call("print", {p, q, e}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "canonicalize"), "2 constants folded, 0 identities applied");
  Operation *print = &*std::prev(t.body().ops().end(), 2)->get();
  Operation *c0 = print->operand(0)->definingOp();
  ASSERT_TRUE(c0->is(OpKind::Constant));
  EXPECT_EQ(c0->attr("value")->getNumber(), 6.0);
  Operation *c1 = print->operand(1)->definingOp();
  ASSERT_TRUE(c1->is(OpKind::Constant));
  EXPECT_EQ(c1->attr("value")->getNumber(), double(0.1f + 0.1f));
  EXPECT_TRUE(print->operand(2)->definingOp()->is(OpKind::Exp));
}

TEST(Canonicalize, IdentitiesKeepSignedZerosAndShapes) {
  ModuleWithMain t({{"x", f32({4})}, {"m", f32({3, 4})}});
  Value *x = t.arg(0);
  Value *one = t.b.constant(1.0, Type::f32());
  Value *zero = t.b.constant(0.0, Type::f32());
  Value *negZero = t.b.constant(-0.0, Type::f32());
  Value *a = t.b.binary(OpKind::Mul, x, one);         // -> x
  Value *b = t.b.binary(OpKind::Add, x, zero);        // kept: -0 + 0 = +0
  Value *c = t.b.binary(OpKind::Add, negZero, x);     // -> x
  Value *d = t.b.binary(OpKind::Sub, x, zero);        // -> x
  Value *ones = t.b.constant(1.0, f32({3, 4}));
  Value *e = t.b.binary(OpKind::Mul, x, ones);        // kept: broadcasts to [3, 4]
  Value *tt = t.b.transpose(t.b.transpose(t.arg(1))); // -> m
  t.b.call("print", {a, b, c, d, e, tt}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "canonicalize"), "0 constants folded, 4 identities applied");
  Operation *print = &*std::prev(t.body().ops().end(), 2)->get();
  EXPECT_EQ(print->operand(0), x);
  EXPECT_TRUE(print->operand(1)->definingOp()->is(OpKind::Add));
  EXPECT_EQ(print->operand(2), x);
  EXPECT_EQ(print->operand(3), x);
  EXPECT_TRUE(print->operand(4)->definingOp()->is(OpKind::Mul));
  EXPECT_EQ(print->operand(5), t.arg(1));
}

TEST(Canonicalize, MatmulReadsTransposedOperandsInPlace) {
  ModuleWithMain t({{"a", f32({8, 3})}, {"w", f32({5, 3})}});
  Value *mm = t.b.matmul(t.arg(0), t.b.transpose(t.arg(1)));
  t.b.call("print", {mm}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "canonicalize"), "0 constants folded, 1 identity applied");
  Operation *op = mm->definingOp();
  EXPECT_EQ(op->operand(1), t.arg(1));
  EXPECT_TRUE(op->boolAttr("transpose_b"));
}

// ---- licm --------------------------------------------------------------------

TEST(LICM, HoistsInvariantPureOpsNotDrawsNorReadsOfWrittenState) {
  ModuleWithMain t({{"x", f32({4})}});
  Value *h = t.b.componentRef("w", "Tensor");
  Operation *loop = t.b.repeat(10);
  Builder in(loop->region(0));
  Value *e = in.unary(OpKind::Exp, t.arg(0));         // invariant
  Value *n = in.unary(OpKind::Neg, e);                // invariant chain
  Value *r = in.random(OpKind::RandomUniform, f32({4}), 1, 1); // draws: stays
  Value *s = in.binary(OpKind::Add, n, r);            // depends on the draw: stays
  Value *l = in.stateLoad(h, "value", f32({4}));      // the loop writes: stays
  in.stateStore(h, "value", in.binary(OpKind::Add, s, l));
  in.yield();
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "licm"), "2 ops hoisted, 1 loop");
  EXPECT_THAT(kinds(t.body()), ::testing::ElementsAre(OpKind::ComponentRef, OpKind::Exp,
                                                      OpKind::Neg, OpKind::Repeat,
                                                      OpKind::Return));
}

TEST(LICM, HoistsStateReadsOutOfLoopsThatDoNotWrite) {
  ModuleWithMain t;
  Value *h = t.b.componentRef("w", "Tensor");
  Operation *outer = t.b.loop();
  Builder ob(outer->region(0));
  Operation *inner = ob.repeat(3);
  Builder ib(inner->region(0));
  Value *l = ib.stateLoad(h, "value", f32({4}));
  ib.binary(OpKind::Mul, l, l);
  ib.yield();
  ob.yield();
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "licm"), "4 ops hoisted, 2 loops");
  EXPECT_THAT(kinds(t.body()), ::testing::ElementsAre(OpKind::ComponentRef, OpKind::StateLoad,
                                                      OpKind::Mul, OpKind::Loop,
                                                      OpKind::Return));
}

// ---- bulk-read -----------------------------------------------------------------

// A catalog with one type, Dataset: `next` has the bulk form `next_batch`
// unless configured with shuffle = true.
class FakeCatalog : public ir::ComponentCatalog {
public:
  bool hasComponentType(std::string_view t) const override { return t == "Dataset"; }
  std::optional<ir::ComponentSchema>
  resolveComponent(std::string_view t, std::string_view, const std::vector<ir::NamedAttribute> &config,
                   std::string *) const override {
    if (t != "Dataset")
      return std::nullopt;
    bool shuffle = false;
    for (const auto &a : config)
      if (a.name == "shuffle" && a.value.isBool())
        shuffle = a.value.getBool();
    ir::ComponentSchema s;
    s.typeName = "Dataset";
    ir::MethodSchema next{"next", {}, {f32({1})}, false, true, shuffle ? "" : "next_batch"};
    ir::MethodSchema batch{"next_batch", {{"n", Type::i64()}}, {f32({kDyn, 1})}, false, true, ""};
    ir::MethodSchema reset{"reset", {}, {}, false, false, ""};
    // Two results: `pair` stacks into `pair_batch`; `odd` names a bulk form
    // with one result only, which cannot stack both.
    ir::MethodSchema pair{"pair", {}, {f32({1}), f32({2})}, false, true, "pair_batch"};
    ir::MethodSchema pairBatch{"pair_batch", {{"n", Type::i64()}},
                               {f32({kDyn, 1}), f32({kDyn, 2})}, false, true, ""};
    ir::MethodSchema odd{"odd", {}, {f32({1}), f32({2})}, false, true, "next_batch"};
    s.methods = {next, batch, reset, pair, pairBatch, odd};
    return s;
  }
  const ir::FunctionSchema *lookupFunction(std::string_view) const override { return nullptr; }
  static constexpr int64_t kDyn = ir::kDynamic;
};

// main: %0 = buffer_repeat 1000 { call @<comp>.<method>() ; [extra] yield }
ModuleWithMain makeBufferedRead(const std::string &type, bool shuffle, bool extraOp,
                                const std::string &method = "next") {
  ModuleWithMain t;
  Builder mb(t.m->body());
  mb.setInsertionPointToStart(t.m->body());
  std::vector<ir::NamedAttribute> cfg{{"rows", ir::Attribute::integer(13)}};
  if (shuffle)
    cfg.push_back({"shuffle", ir::Attribute::boolean(true)});
  mb.component("dataset", type, cfg);
  Operation *br = t.b.bufferRepeat(1000, f32({1}));
  Builder in(br->region(0));
  Value *x = in.call("dataset." + method, {}, {f32({1})})->result();
  if (extraOp)
    in.call("print", {x}, {});
  in.yield({x});
  t.b.call("pca.analyze", {br->result()}, {});
  t.b.ret();
  return t;
}

TEST(BulkRead, ReplacesTheLoopByOneBulkCall) {
  ModuleWithMain t = makeBufferedRead("Dataset", false, false);
  FakeCatalog cat;
  EXPECT_EQ(runPass(*t.m, "bulk-read", &cat), "1 loop rewritten");
  ASSERT_THAT(kinds(t.body()), ::testing::ElementsAre(OpKind::Constant, OpKind::Call,
                                                      OpKind::Call, OpKind::Return));
  Operation *call = &**std::next(t.body().ops().begin());
  EXPECT_EQ(call->symbolAttr("callee"), "dataset.next_batch");
  EXPECT_EQ(call->result()->type(), f32({1000, 1}));
  EXPECT_EQ(call->operand(0)->definingOp()->attr("value")->getInt(), 1000);
  Operation *use = &**std::next(t.body().ops().begin(), 2);
  EXPECT_EQ(use->operand(0), call->result());
}

// main: %0, %1 = buffer_repeat 1000 { %a, %b = call @dataset.<method>() ; yield %a, %b }
//       call @pca.analyze(%0, %1)
ModuleWithMain makeBufferedPair(const std::string &method) {
  ModuleWithMain t;
  Builder mb(t.m->body());
  mb.setInsertionPointToStart(t.m->body());
  mb.component("dataset", "Dataset", {{"rows", ir::Attribute::integer(13)}});
  Operation *br = t.b.create(OpKind::BufferRepeat, {}, {f32({1000, 1}), f32({1000, 2})},
                             {{"count", ir::Attribute::integer(1000)}}, 1);
  Builder in(br->region(0));
  Operation *read = in.call("dataset." + method, {}, {f32({1}), f32({2})});
  in.yield(read->results());
  t.b.call("pca.analyze", {br->result(0), br->result(1)}, {});
  t.b.ret();
  return t;
}

TEST(BulkRead, ReplacesALoopOfAReadWithTwoResults) {
  ModuleWithMain t = makeBufferedPair("pair");
  FakeCatalog cat;
  EXPECT_EQ(runPass(*t.m, "bulk-read", &cat), "1 loop rewritten");
  ASSERT_THAT(kinds(t.body()), ::testing::ElementsAre(OpKind::Constant, OpKind::Call,
                                                      OpKind::Call, OpKind::Return));
  Operation *call = &**std::next(t.body().ops().begin());
  EXPECT_EQ(call->symbolAttr("callee"), "dataset.pair_batch");
  ASSERT_EQ(call->numResults(), 2u);
  EXPECT_EQ(call->result(0)->type(), f32({1000, 1}));
  EXPECT_EQ(call->result(1)->type(), f32({1000, 2}));
  Operation *use = &**std::next(t.body().ops().begin(), 2);
  EXPECT_EQ(use->operands(), call->results());

  // A bulk form with fewer results cannot replace the loop.
  ModuleWithMain odd = makeBufferedPair("odd");
  EXPECT_EQ(runPass(*odd.m, "bulk-read", &cat), "0 loops rewritten");
  EXPECT_EQ(odd.body().front()->kind(), OpKind::BufferRepeat);
}

TEST(BulkRead, DoesNotFireWhenTheResultCouldDiffer) {
  FakeCatalog cat;
  struct Case {
    const char *what;
    ModuleWithMain t;
  };
  Case cases[] = {{"body does more", makeBufferedRead("Dataset", false, true)},
                  {"shuffled", makeBufferedRead("Dataset", true, false)},
                  {"no bulk form", makeBufferedRead("Dataset", false, false, "reset")},
                  {"unknown type", makeBufferedRead("Mystery", false, false)}};
  for (Case &c : cases) {
    EXPECT_EQ(runPass(*c.t.m, "bulk-read", &cat), "0 loops rewritten") << c.what;
    EXPECT_EQ(c.t.body().front()->kind(), OpKind::BufferRepeat) << c.what;
  }
  ModuleWithMain noCatalog = makeBufferedRead("Dataset", false, false);
  EXPECT_EQ(runPass(*noCatalog.m, "bulk-read", nullptr),
            "0 loops rewritten; no component catalog, nothing done");
}

// ---- inline-kernels ----------------------------------------------------------------

// kernel @scale(%layer: !Tensor, %x: f32[4]) -> f32[4]:
//   w = state_load %layer "value"; y = x * w; state_store %layer, y; return y
TEST(InlineKernels, InlinesBodiesStampsOriginsRemovesKernels) {
  ir::Module m("t");
  Builder b(m.body());
  b.component("w", "Tensor");
  Operation *k = b.func("scale", {{"layer", Type::component("Tensor")}, {"x", f32({4})}},
                        {f32({4})});
  k->setAttr("kernel", ir::Attribute::boolean(true));
  {
    Builder kb(k->region(0));
    Value *w = kb.stateLoad(k->region(0).argument(0), "value", f32({4}));
    Value *y = kb.binary(OpKind::Mul, k->region(0).argument(1), w);
    kb.stateStore(k->region(0).argument(0), "value", y);
    kb.ret({y});
  }
  Operation *native = b.func("print", {}, {});
  native->setAttr("native", ir::Attribute::boolean(true));
  Operation *main = b.func("main", {{"x", f32({4})}}, {});
  Builder mb(main->region(0));
  Value *h = mb.componentRef("w", "Tensor");
  Value *r = mb.call("scale", {h, main->region(0).argument(0)}, {f32({4})})->result();
  mb.call("print", {r}, {});
  mb.ret();

  EXPECT_EQ(runPass(m, "inline-kernels"), "1 call inlined, 1 kernel removed");
  EXPECT_EQ(m.lookupFunc("scale"), nullptr);
  EXPECT_NE(m.lookupFunc("print"), nullptr);
  ir::Region &body = main->region(0);
  // The call was a program step: its body starts with a `step` mark.
  ASSERT_THAT(kinds(body), ::testing::ElementsAre(OpKind::ComponentRef, OpKind::Step,
                                                  OpKind::StateLoad, OpKind::Mul,
                                                  OpKind::StateStore, OpKind::Call,
                                                  OpKind::Return));
  auto it = body.ops().begin();
  Operation *step = (++it)->get();
  EXPECT_EQ(step->stringAttr("origin"), "scale");
  Operation *load = (++it)->get();
  Operation *mul = (++it)->get();
  Operation *store = (++it)->get();
  Operation *print = (++it)->get();
  EXPECT_EQ(load->operand(0), h);
  EXPECT_EQ(mul->operand(0), body.argument(0));
  EXPECT_EQ(store->operand(1), mul->result());
  EXPECT_EQ(print->operand(0), mul->result());
  EXPECT_EQ(mul->stringAttr("origin"), "scale");
}

TEST(InlineKernels, LeavesRecursiveKernelsAndNonKernelsAlone) {
  ir::Module m("t");
  Builder b(m.body());
  Operation *k = b.func("loopy", {{"x", f32({4})}}, {});
  k->setAttr("kernel", ir::Attribute::boolean(true));
  {
    Builder kb(k->region(0));
    kb.call("loopy", {k->region(0).argument(0)}, {});
    kb.ret();
  }
  Operation *plain = b.func("helper", {{"x", f32({4})}}, {});
  Builder(plain->region(0)).ret();
  Operation *main = b.func("main", {{"x", f32({4})}}, {});
  Builder mb(main->region(0));
  mb.call("loopy", {main->region(0).argument(0)}, {});
  mb.call("helper", {main->region(0).argument(0)}, {});
  mb.ret();
  EXPECT_EQ(runPass(m, "inline-kernels"), "0 calls inlined, 0 kernels removed");
}

// ---- fuse ---------------------------------------------------------------------------

TEST(Fuse, MatmulWithEpilogueAndReductionGroups) {
  ModuleWithMain t({{"v", f32({ir::kDynamic, 8})}, {"w", f32({8, 4})}, {"b", f32({4})}});
  Value *mm = t.b.matmul(t.arg(0), t.arg(1));
  mm->definingOp()->setAttr("origin", ir::Attribute::string("layer.up"));
  Value *a = t.b.binary(OpKind::Add, mm, t.arg(2));
  Value *s = t.b.unary(OpKind::Sigmoid, a);
  Value *hs = t.b.random(OpKind::RandomBernoulli, s->type(), 7, 3, s);
  Value *mean = t.b.reduce(OpKind::ReduceMean, hs, 0);
  Value *two = t.b.constant(2.0, Type::f32());
  Value *scaled = t.b.binary(OpKind::Mul, mean, two); // consumes the reduction: new group
  Value *biased = t.b.binary(OpKind::Add, scaled, t.arg(2));
  t.b.call("print", {s, biased}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "fuse"), "2 groups, 7 ops fused");
  auto it = t.body().ops().begin();
  Operation *g0 = it->get();
  ASSERT_TRUE(g0->is(OpKind::Fused));
  EXPECT_EQ(g0->symbolAttr("name"), "k0");
  // Results: the sigmoid (printed) and the mean (used by the next group).
  EXPECT_EQ(g0->numResults(), 2u);
  EXPECT_EQ(g0->numOperands(), 3u); // v, w, b
  EXPECT_THAT(kinds(g0->region(0)),
              ::testing::ElementsAre(OpKind::Matmul, OpKind::Add, OpKind::Sigmoid,
                                     OpKind::RandomBernoulli, OpKind::ReduceMean,
                                     OpKind::Yield));
  ASSERT_NE(g0->attr("origins"), nullptr);
  EXPECT_EQ(g0->attr("origins")->str(), "[\"layer.up\"]");
  Operation *g1 = (++it)->get();
  if (g1->is(OpKind::Constant))
    g1 = (++it)->get();
  ASSERT_TRUE(g1->is(OpKind::Fused));
  EXPECT_EQ(g1->numOperands(), 2u); // mean, b; the constant is copied in
  EXPECT_EQ(g1->region(0).front()->kind(), OpKind::Constant);
}

TEST(Fuse, NeverAcrossCallsOrStateWrites) {
  ModuleWithMain t({{"x", f32({4})}});
  Value *e = t.b.unary(OpKind::Exp, t.arg(0));
  t.b.call("print", {e}, {}); // barrier
  Value *n = t.b.unary(OpKind::Neg, e);
  Value *h = t.b.componentRef("w", "Tensor");
  t.b.stateStore(h, "value", n); // barrier
  Value *a = t.b.unary(OpKind::Abs, n);
  t.b.call("print", {a}, {});
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "fuse"), "0 groups, 0 ops fused");
}

TEST(Fuse, StateLoadsAndIndependentScalarsDoNotBreakARun) {
  ModuleWithMain t({{"x", f32({4})}});
  Value *h = t.b.componentRef("w", "Tensor");
  Value *e = t.b.unary(OpKind::Exp, t.arg(0));
  Value *w = t.b.stateLoad(h, "value", f32({4}));
  Value *d = t.b.cast(t.b.dim(t.arg(0), 0), ElemType::F32);
  Value *m = t.b.binary(OpKind::Mul, e, w);
  Value *q = t.b.binary(OpKind::Div, m, d);
  t.b.stateStore(h, "value", q);
  t.b.ret();
  EXPECT_EQ(runPass(*t.m, "fuse"), "1 group, 3 ops fused");
  EXPECT_THAT(kinds(t.body()),
              ::testing::ElementsAre(OpKind::ComponentRef, OpKind::StateLoad, OpKind::Dim,
                                     OpKind::Cast, OpKind::Fused, OpKind::StateStore,
                                     OpKind::Return));
}

// ---- refine-types -----------------------------------------------------------

// After inline-kernels the kernel's `?` ops see static operands; refine-types
// makes them static in one run (each refined result refines its users, down
// a chain through a seq and a repeat) and changes nothing on a second run.
TEST(RefineTypes, RefinesInlinedKernelMathToAFixedPoint) {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto m = ir::parseModule(R"(module @t {
  func @k(%x: f32[?, 4], %w: f32[4, ?]) -> (f32[?, ?]) attributes {kernel = true} {
    %h = matmul %x, %w : f32[?, ?]
    %s = seq : f32[?, ?] {
      %t = tanh %h : f32[?, ?]
      yield %t
    }
    %r = repeat 2 : f32[?] {
      %u = reduce_sum %s {axis = 1} : f32[?]
      yield %u
    }
    %q = mul %r, %r : f32[?]
    return %s
  }
  func @main(%x: f32[8, 4], %w: f32[4, 3]) {
    %c = call @k(%x, %w) : f32[?, ?]
  }
}
)", "t.kir", sources, diag);
  ASSERT_TRUE(m) << diag.str();
  EXPECT_EQ(runPass(*m, "inline-kernels"), "1 call inlined, 1 kernel removed");
  EXPECT_EQ(runPass(*m, "refine-types"), "6 types refined");
  std::string text = ir::printModule(*m);
  using ::testing::HasSubstr;
  EXPECT_THAT(text, HasSubstr("matmul %x, %w {origin = \"k\"} : f32[8, 3]"));
  EXPECT_THAT(text, HasSubstr("seq {origin = \"k\"} : f32[8, 3]"));
  EXPECT_THAT(text, HasSubstr("tanh %h {origin = \"k\"} : f32[8, 3]"));
  EXPECT_THAT(text, HasSubstr("repeat 2 {origin = \"k\"} : f32[8]"));
  EXPECT_THAT(text, HasSubstr("mul %r, %r {origin = \"k\"} : f32[8]"));
  EXPECT_EQ(text.find('?'), std::string::npos) << text;
  EXPECT_EQ(runPass(*m, "refine-types"), "0 types refined");
}

} // namespace
} // namespace kiln::passes
