// Parser: what it builds (locations, operand types from definitions,
// implicit terminators, scoping) and its diagnostics.
#include <gtest/gtest.h>

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "tests/unit/ir/IRTestUtil.h"

namespace kiln::ir {
namespace {

using test::parse;

/// Parses `text`, expects failure with exactly one diagnostic, returns it
/// rendered (with the quoted line and caret).
std::string parseError(std::string_view text) {
  auto p = parse(text, "t.kir");
  EXPECT_FALSE(p.module);
  EXPECT_EQ(p.diag->numErrors(), 1u) << p.errors();
  return p.errors();
}

TEST(ParserTest, BuildsStructure) {
  auto p = parse(test::kAllOpsText);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(p.module->name(), "all");
  EXPECT_EQ(p.module->funcs().size(), 5u);
  EXPECT_EQ(p.module->components().size(), 2u);
  Operation *math = p.module->lookupFunc("math");
  Region &body = math->region(0);
  EXPECT_EQ(body.numArguments(), 3u);
  Operation *neg = body.front();
  EXPECT_TRUE(neg->is(OpKind::Neg));
  EXPECT_EQ(neg->operand(0), body.argument(0));
  EXPECT_EQ(neg->operand(0)->type().str(), "f32[4, 3]");
  Operation *call = p.module->lookupFunc("control")->region(0).front()->region(0).front();
  EXPECT_EQ(call->symbolAttr("callee"), "dataset.next");
  EXPECT_EQ(call->numOperands(), 0u);
}

TEST(ParserTest, LocationIsTheFirstToken) {
  constexpr std::string_view text = "module @m {\n  func @f() {\n    %0, %1 = call @g() : f32, f32\n"
                                    "    call @h(%1)\n  }\n}\n";
  auto p = parse(text, "x.kir");
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(p.module->op().loc().str(), "x.kir:1:1");
  Operation *f = p.module->lookupFunc("f");
  EXPECT_EQ(f->loc().str(), "x.kir:2:3");
  auto it = f->region(0).ops().begin();
  EXPECT_EQ((*it)->loc().str(), "x.kir:3:5");
  EXPECT_EQ((*it)->numResults(), 2u);
  ++it;
  EXPECT_EQ((*it)->loc().str(), "x.kir:4:5");
  ++it;
  // The implicit return sits at the closing brace.
  EXPECT_TRUE((*it)->is(OpKind::Return));
  EXPECT_EQ((*it)->loc().str(), "x.kir:5:3");
}

TEST(ParserTest, CommentsAndWhitespaceAreIgnored) {
  constexpr std::string_view text =
      "// RUN: something\nmodule @m { // trailing\n\tfunc @f(){ loop{} }   \r\n}";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), "module @m {\n  func @f() {\n    loop {\n    }\n  }\n}\n");
}

TEST(ParserTest, OperandListDoesNotSwallowTheNextLine) {
  // An operand-less yield in the middle of a region (invalid, but
  // printable) must not take the next op's result as an operand.
  constexpr std::string_view text = R"(module @m {
  func @f() {
    loop {
      yield
      %0 = constant 1.0 : f32
    }
  }
}
)";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  Operation *loop = p.module->lookupFunc("f")->region(0).front();
  EXPECT_EQ(loop->region(0).front()->numOperands(), 0u);
  EXPECT_EQ(printModule(*p.module), text);
}

TEST(ParserTest, OuterValuesVisibleInsideRegionsEvenIsolated) {
  // Isolation is the verifier's rule; the parser resolves the name.
  constexpr std::string_view text = R"(module @m {
  func @f(%x: f32) {
    %0 = fused @k(%x) : f32 {
    ^bb0(%a: f32):
      %1 = add %a, %x : f32
      yield %1
    }
  }
}
)";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), text);
}

TEST(ParserTest, AttributeDictionaryAndRegionAreTold) {
  // `{name =` starts a dictionary; `{` then an op starts a region.
  constexpr std::string_view text = R"(module @m {
  func @f() {
    loop {tag = "x"} {
      %0 = constant 1 : i64
    }
  }
}
)";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  Operation *loop = p.module->lookupFunc("f")->region(0).front();
  EXPECT_EQ(loop->stringAttr("tag"), "x");
  EXPECT_EQ(printModule(*p.module), text);
}

TEST(ParserTest, ErrorUnknownOperation) {
  EXPECT_EQ(parseError("module @m {\n  func @f() {\n    %0 = fooo : f32\n  }\n}\n"),
            "t.kir:3:10: error: unknown operation 'fooo'\n    %0 = fooo : f32\n         ^\n");
}

TEST(ParserTest, ErrorUndefinedValue) {
  EXPECT_EQ(parseError("module @m {\n  func @f() {\n    %0 = neg %x : f32\n  }\n}\n"),
            "t.kir:3:14: error: use of undefined value '%x'\n    %0 = neg %x : f32\n"
            "             ^\n");
}

TEST(ParserTest, ErrorValueOutOfScopeAfterRegion) {
  EXPECT_EQ(parseError("module @m {\n  func @f() {\n    loop {\n      %0 = constant 1.0 : f32\n"
                       "    }\n    %1 = neg %0 : f32\n  }\n}\n"),
            "t.kir:6:14: error: use of undefined value '%0'\n    %1 = neg %0 : f32\n"
            "             ^\n");
}

TEST(ParserTest, ErrorUseOfOwnResultInsideRegion) {
  EXPECT_NE(parseError("module @m {\n  func @f() {\n    %0 = seq : f32 {\n      yield %0\n"
                       "    }\n  }\n}\n")
                .find("t.kir:4:13: error: use of undefined value '%0'"),
            std::string::npos);
}

TEST(ParserTest, ErrorRedefinition) {
  EXPECT_NE(parseError("module @m {\n  func @f(%x: f32) {\n    %x = neg %x : f32\n  }\n}\n")
                .find("t.kir:3:5: error: redefinition of value '%x'"),
            std::string::npos);
  EXPECT_NE(parseError("module @m {\n  func @f(%x: f32, %x: f32)\n}\n")
                .find("t.kir:2:20: error: redefinition of value '%x'"),
            std::string::npos);
}

TEST(ParserTest, ErrorMessages) {
  struct Case {
    std::string_view text, expected;
  } cases[] = {
      {"", "t.kir:1:1: error: expected 'module' at the start of the input"},
      {"module @m {\n  component @c : T {a 1}\n}\n",
       "t.kir:2:23: error: expected '=' after attribute name"},
      {"module @m {\n  component @c : T {a = \"x}\n}\n", "t.kir:2:25: error: unterminated string"},
      {"module @m {\n  component @c : T {a = 99999999999999999999}\n}\n",
       "t.kir:2:25: error: integer literal out of range"},
      {"module @m {\n  component @c : T {a = 1, a = 2}\n}\n",
       "t.kir:2:28: error: duplicate attribute 'a'"},
      {"module @m {\n  func @f() {\n    %0 = constant 1.0\n  }\n}\n",
       "t.kir:4:3: error: expected ':' and the result types of 'constant'"},
      {"module @m {\n  func @f() {\n    %0 = constant 1.0 : f32, f32\n  }\n}\n",
       "t.kir:3:23: error: 'constant' names 1 result(s) but has 2 result type(s)"},
      {"module @m {\n  func @f() {\n    repeat x {\n    }\n  }\n}\n",
       "t.kir:3:12: error: expected an integer for 'count' of 'repeat'"},
      {"module @m {\n  func @f() {\n    call dataset.next()\n  }\n}\n",
       "t.kir:3:10: error: expected a symbol (@name) for 'callee' of 'call'"},
      {"module @m {\n  func @f() {\n    while {\n    }\n  }\n}\n",
       "t.kir:5:3: error: expected '{' to begin a region"},
      {"module @m {\n  func @f() {\n", "t.kir:3:1: error: unexpected end of input: expected '}' to end the region"},
      {"module @m {\n}\nmodule @n {\n}\n", "t.kir:3:1: error: expected end of input after the module"},
      {"module @m {\n  %0 = func @f()\n}\n", "t.kir:2:3: error: 'func' does not produce results"},
      {"module @m {\n  component @c : T {a = f32[]}\n}\n",
       "t.kir:2:29: error: expected a dimension (an integer or '?')"},
      {"module @m {\n  component @c : T {a = 1} loc(\"f\":1)\n}\n",
       "t.kir:2:37: error: expected ':' in loc(...)"},
      {"module @m {\n  component @c : T {a = \"\\q\"}\n}\n",
       "t.kir:2:25: error: unknown escape sequence in string"},
      {"module @m {\n  func @f() {\n    %0 = constant 1.0 : f32 #\n  }\n}\n",
       "t.kir:3:29: error: unexpected character '#'"},
      {"module @m {\n  func @f() {\n    %0a = constant 1.0 : f32\n  }\n}\n",
       "t.kir:3:5: error: invalid value name"},
      {"module @m {\n  func @f(%x f32)\n}\n", "t.kir:2:14: error: expected ':' after argument name"},
  };
  for (const Case &c : cases) {
    std::string err = parseError(c.text);
    EXPECT_EQ(err.substr(0, err.find('\n')), c.expected) << c.text;
  }
}

TEST(ParserTest, ParsesNumbersExactly) {
  auto p = parse("module @m {\n  component @c : T {a = -9223372036854775808, b = 1e-320, "
                 "c = -inf, d = 0.1, e = [f32[?, 3], !RBM, none]}\n}\n");
  ASSERT_TRUE(p.module) << p.errors();
  Operation *c = p.module->lookupComponent("c");
  EXPECT_EQ(c->intAttr("a"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(c->attr("b")->getFloat(), 1e-320);
  EXPECT_EQ(c->attr("d")->getFloat(), 0.1);
  EXPECT_EQ(c->attr("e")->str(), "[f32[?, 3], !RBM, none]");
}

} // namespace
} // namespace kiln::ir
