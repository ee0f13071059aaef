// Printer: round trips over every op of the table, value naming, terminator
// elision, locations, and printing of invalid IR without crashing.
#include <gtest/gtest.h>

#include <set>

#include "ir/Builder.h"
#include "ir/Printer.h"
#include "tests/unit/ir/IRTestUtil.h"

namespace kiln::ir {
namespace {

using test::kAllOpsText;
using test::parse;

TEST(PrinterTest, AllOpsRoundTrip) {
  auto p = parse(kAllOpsText);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), kAllOpsText);
}

TEST(PrinterTest, AllOpsSampleCoversTheTable) {
  auto p = parse(kAllOpsText);
  ASSERT_TRUE(p.module) << p.errors();
  std::set<OpKind> seen;
  p.module->op().walk([&](Operation &op) { seen.insert(op.kind()); });
  for (const OpInfo &info : allOps())
    EXPECT_TRUE(seen.count(info.kind)) << "no '" << info.mnemonic << "' in the sample";
}

TEST(PrinterTest, NameHintsAreKeptAndMadeUnique) {
  Module m("names");
  Builder b(m.body());
  Operation *f = b.func("f", {{"x", Type::f32()}, {"", Type::f32()}}, {});
  b.setInsertionPointToEnd(f->region(0));
  Value *x = f->region(0).argument(0);
  Value *v1 = b.unary(OpKind::Neg, x);
  v1->setNameHint("x"); // clashes with the parameter
  Value *v2 = b.unary(OpKind::Neg, v1);
  v2->setNameHint("x"); // clashes again
  Value *v3 = b.unary(OpKind::Neg, v2);
  v3->setNameHint("7up"); // not an identifier: numbered
  Value *v4 = b.unary(OpKind::Neg, v3);
  v4->setNameHint("h.w$1");
  b.ret();
  EXPECT_EQ(printModule(m), R"(module @names {
  func @f(%x: f32, %0: f32) {
    %x_1 = neg %x : f32
    %x_2 = neg %x_1 : f32
    %1 = neg %x_2 : f32
    %h.w$1 = neg %1 : f32
  }
}
)");
  // Parsing keeps identifier names as hints and drops numeric ones.
  auto p = parse(printModule(m));
  ASSERT_TRUE(p.module) << p.errors();
  Operation *pf = p.module->lookupFunc("f");
  EXPECT_EQ(pf->region(0).argument(0)->nameHint(), "x");
  EXPECT_EQ(pf->region(0).argument(1)->nameHint(), "");
  EXPECT_EQ(pf->region(0).front()->result()->nameHint(), "x_1");
  EXPECT_EQ(printModule(*p.module), printModule(m));
}

TEST(PrinterTest, NumberingRestartsInEachFunc) {
  constexpr std::string_view text = R"(module @m {
  func @a() {
    %0 = constant 1.0 : f32
    %1 = neg %0 : f32
  }
  func @b() {
    %0 = constant 2.0 : f32
  }
}
)";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), text);
}

TEST(PrinterTest, OnlyTheImplicitTerminatorIsElided) {
  Module m("elide");
  Builder b(m.body());
  Operation *f = b.func("f", {}, {});
  b.setInsertionPointToEnd(f->region(0));
  Operation *loop1 = b.loop();   // ends with `yield`: elided
  Operation *loop2 = b.loop();   // ends with `return`: kept
  Operation *loop3 = b.loop();   // `yield %c, yield`: both kept
  Operation *loop4 = b.loop();   // no terminator at all: prints the same as loop1
  b.ret();
  b.setInsertionPointToEnd(loop1->region(0));
  b.yield();
  b.setInsertionPointToEnd(loop2->region(0));
  b.ret();
  b.setInsertionPointToEnd(loop3->region(0));
  Value *c = b.constant(1.0, Type::f32());
  b.yield({c});
  b.yield();
  (void)loop4;
  const std::string expected = R"(module @elide {
  func @f() {
    loop {
    }
    loop {
      return
    }
    loop {
      %0 = constant 1.0 : f32
      yield %0
      yield
    }
    loop {
    }
  }
}
)";
  EXPECT_EQ(printModule(m), expected);
  auto p = parse(expected);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), expected);
  // The parser added the terminators back where the text ends without one.
  Operation *pf = p.module->lookupFunc("f");
  ASSERT_EQ(pf->region(0).size(), 5u);
  EXPECT_TRUE(pf->region(0).back()->is(OpKind::Return));
  auto it = pf->region(0).ops().begin();
  EXPECT_TRUE((*it)->region(0).back()->is(OpKind::Yield));
  ++it;
  EXPECT_EQ((*it)->region(0).size(), 1u);
  ++it;
  EXPECT_EQ((*it)->region(0).size(), 3u);
}

TEST(PrinterTest, DeclarationHasNoBodyButEmptyBodyKeepsBraces) {
  constexpr std::string_view text = R"(module @m {
  func @native(%x: f32) -> (f32, i64) attributes {native = true}
  func @empty() {
  }
}
)";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_TRUE(isFuncDeclaration(*p.module->lookupFunc("native")));
  EXPECT_FALSE(isFuncDeclaration(*p.module->lookupFunc("empty")));
  EXPECT_EQ(funcResultTypes(*p.module->lookupFunc("native")).size(), 2u);
  EXPECT_EQ(printModule(*p.module), text);
}

TEST(PrinterTest, LocationsPrintAndRoundTrip) {
  constexpr std::string_view text = R"(module @m {
  func @f() {
    %0 = constant 1.0 : f32
    loop {
      %1 = neg %0 : f32
    }
  }
}
)";
  auto p = parse(text, "dir/in.kir");
  ASSERT_TRUE(p.module) << p.errors();
  PrintOptions withLoc;
  withLoc.printLocations = true;
  std::string printed = printModule(*p.module, withLoc);
  EXPECT_EQ(printed, R"(module @m {
  func @f() {
    %0 = constant 1.0 : f32 loc("dir/in.kir":3:5)
    loop {
      %1 = neg %0 : f32 loc("dir/in.kir":5:7)
    } loc("dir/in.kir":4:5)
  } loc("dir/in.kir":2:3)
} loc("dir/in.kir":1:1)
)");
  // Explicit locations win over positions in the re-parsed text.
  auto again = parse(printed, "other.kir");
  ASSERT_TRUE(again.module) << again.errors();
  EXPECT_EQ(printModule(*again.module, withLoc), printed);
  EXPECT_EQ(printModule(*again.module), text);
  Operation *c = again.module->lookupFunc("f")->region(0).front();
  EXPECT_EQ(c->loc().str(), "dir/in.kir:3:5");
}

TEST(PrinterTest, UnknownLocationsAreNotPrinted) {
  Module m("m");
  Builder b(m.body());
  b.component("c", "T");
  PrintOptions withLoc;
  withLoc.printLocations = true;
  EXPECT_EQ(printModule(m, withLoc), "module @m {\n  component @c : T\n}\n");
}

TEST(PrinterTest, QuotingOfUnusualNames) {
  Module m("odd name");
  Builder b(m.body());
  Operation *c = b.component("my comp", "Data.Set", {{"with space", Attribute::integer(1)}});
  c->setAttr("constructor", Attribute::string("from csv"));
  b.component("d", "Dataset", {{"constructor", Attribute::string("csv")}});
  std::string printed = printModule(m);
  EXPECT_EQ(printed, R"(module @"odd name" {
  component @"my comp" : "Data.Set" {"with space" = 1, constructor = "from csv"}
  component @d : Dataset.csv
}
)");
  auto p = parse(printed);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), printed);
  EXPECT_EQ(p.module->lookupComponent("my comp")->stringAttr("type_name"), "Data.Set");
  EXPECT_EQ(p.module->lookupComponent("d")->stringAttr("constructor"), "csv");
}

TEST(PrinterTest, PrintOpOfAnInnerOp) {
  auto p = parse(kAllOpsText);
  ASSERT_TRUE(p.module) << p.errors();
  Operation *math = p.module->lookupFunc("math");
  // %x is defined outside the printed op.
  EXPECT_EQ(printOp(*math->region(0).front()), "%0 = neg %<unknown> : f32[4, 3]");
  Operation *fused = nullptr;
  math->walk([&](Operation &op) {
    if (op.is(OpKind::Fused))
      fused = &op;
  });
  ASSERT_TRUE(fused);
  EXPECT_EQ(printOp(*fused), R"(%0 = fused @k0(%<unknown>, %<unknown>) : f32[4, 3] {
^bb0(%a: f32[4, 3], %b: f32[4, 3]):
  %1 = mul %a, %b : f32[4, 3]
  yield %1
})");
}

TEST(PrinterTest, InvalidIRPrintsWithoutCrashing) {
  Module m("bad");
  Builder b(m.body());
  Operation *f = b.func("f", {}, {});
  b.setInsertionPointToEnd(f->region(0));
  // A call without callee, a repeat whose count is a string, an op whose
  // operand is null.
  b.create(OpKind::Call, {}, {});
  b.create(OpKind::Repeat, {}, {}, {{"count", Attribute::string("x")}}, 1);
  b.create(OpKind::Neg, {nullptr}, {Type::f32()});
  EXPECT_EQ(printModule(m), R"(module @bad {
  func @f() {
    call <<missing callee>>()
    repeat "x" {
    }
    %0 = neg %<null> : f32
  }
}
)");
}

} // namespace
} // namespace kiln::ir
