// The parser never crashes: garbage, NUL bytes, every truncation of a valid
// text, random byte mutations and deep nesting all end in a clean result:
// either a module and no diagnostics, or no module and exactly one error.
#include <gtest/gtest.h>

#include <random>

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "tests/unit/ir/IRTestUtil.h"

namespace kiln::ir {
namespace {

using test::parse;

/// Checks the clean-result contract; for accepted input, also that its
/// printed form is a fixed point of parse+print.
void expectClean(std::string_view text) {
  auto p = parse(text);
  if (p.module) {
    EXPECT_EQ(p.diag->numErrors(), 0u);
    std::string printed = printModule(*p.module);
    auto again = parse(printed);
    ASSERT_TRUE(again.module) << "printed form does not parse:\n"
                              << printed << again.errors();
    EXPECT_EQ(printModule(*again.module), printed);
  } else {
    ASSERT_EQ(p.diag->numErrors(), 1u) << p.errors();
    EXPECT_TRUE(p.diag->diagnostics()[0].loc.known());
    // Rendering quotes the line safely whatever it contains.
    EXPECT_FALSE(p.errors().empty());
  }
}

TEST(ParserRobustnessTest, EmptyAndGarbage) {
  for (std::string_view text :
       {std::string_view(""), std::string_view(" \n\t "), std::string_view("// only a comment"),
        std::string_view("\0\0\0", 3), std::string_view("module"), std::string_view("module @"),
        std::string_view("}}}}"), std::string_view("\xff\xfe\x80"),
        std::string_view("module @m {\0}", 13), std::string_view("module @m { func @f( }"),
        std::string_view("module @m { %0 = %1 }"), std::string_view("module @m { ^bb0: }")}) {
    auto p = parse(text);
    EXPECT_FALSE(p.module) << text;
    EXPECT_EQ(p.diag->numErrors(), 1u) << text;
  }
}

TEST(ParserRobustnessTest, EveryTruncationFailsCleanly) {
  std::string_view text = test::kAllOpsText;
  size_t lastBrace = text.rfind('}');
  for (size_t n = 0; n < text.size(); ++n) {
    auto p = parse(text.substr(0, n));
    if (n <= lastBrace) {
      EXPECT_FALSE(p.module) << "prefix of " << n << " bytes parsed";
      ASSERT_EQ(p.diag->numErrors(), 1u) << n;
    } else {
      EXPECT_TRUE(p.module) << p.errors();
    }
  }
}

TEST(ParserRobustnessTest, RandomMutations) {
  std::mt19937 rng(12345);
  std::string_view base = test::kAllOpsText;
  const char interesting[] = "{}[]()%@^!:=,->?\"\\0123456789.e \n\0\xff";
  for (int iter = 0; iter < 300; ++iter) {
    std::string text(base);
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % text.size();
      char c = (rng() % 2) ? interesting[rng() % (sizeof interesting - 1)]
                           : static_cast<char>(rng() % 256);
      switch (rng() % 3) {
      case 0: text[pos] = c; break;
      case 1: text.insert(text.begin() + static_cast<long>(pos), c); break;
      default: text.erase(pos, 1 + rng() % 8); break;
      }
    }
    SCOPED_TRACE(text);
    expectClean(text);
  }
}

TEST(ParserRobustnessTest, RandomBytes) {
  std::mt19937 rng(777);
  for (int iter = 0; iter < 200; ++iter) {
    std::string text(1 + rng() % 200, '\0');
    for (char &c : text)
      c = static_cast<char>(rng() % 256);
    if (iter % 2)
      text = "module @m {\n  func @f() {\n" + text;
    expectClean(text);
  }
}

TEST(ParserRobustnessTest, DeepNestingIsAnErrorNotACrash) {
  const size_t tenMB = 10u << 20;
  for (std::string prefix : {std::string(""), std::string("module @m { component @c : T {a = "),
                             std::string("module @m { func @f() { ")}) {
    for (char open : {'{', '['}) {
      std::string text = prefix + std::string(tenMB, open);
      auto p = parse(text);
      EXPECT_FALSE(p.module);
      EXPECT_EQ(p.diag->numErrors(), 1u) << p.errors();
    }
  }
  // Nested regions: the cap, not the stack, stops it.
  std::string loops = "module @m {\n  func @f() {\n";
  for (unsigned i = 0; i < 100000; ++i)
    loops += "loop {\n";
  auto p = parse(loops);
  EXPECT_FALSE(p.module);
  ASSERT_EQ(p.diag->numErrors(), 1u);
  EXPECT_NE(p.errors().find("nesting too deep"), std::string::npos) << p.errors();
}

TEST(ParserRobustnessTest, NestingBelowTheCapIsFine) {
  std::string text = "module @m {\n  component @c : T {a = ";
  const unsigned depth = kMaxParseNesting - 1;
  text += std::string(depth, '[') + std::string(depth, ']') + "}\n}\n";
  auto p = parse(text);
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), text);
}

} // namespace
} // namespace kiln::ir
