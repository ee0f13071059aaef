// Canonical printing: the seed's example prints as written, and
// print(parse(print(p))) == print(p) for every element and kernel syntax.
#include <gtest/gtest.h>

#include "frontend/Parser.h"
#include "frontend/ProgramPrinter.h"

namespace kiln::frontend {
namespace {

std::string roundTrip(const std::string &text) {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto p = parseProgram(text, "t.kiln", sources, diag);
  EXPECT_TRUE(p) << diag.str();
  return p ? printProgram(*p) : std::string();
}

TEST(Printer, SeedExamplePrintsAsWritten) {
  std::string pca = R"(dataset = Dataset.randn(rows=13, cols=1, seed=123)
pca = PCA(dims=1)

train_pca = SEQ([
    BUFFER_REPEAT(1000, CALL(dataset.next)),
    FILT(pca.analyze)])

main = train_pca
)";
  EXPECT_EQ(roundTrip(pca), pca);
}

TEST(Printer, CanonicalFormIsAFixedPoint) {
  std::string messy = R"(# comments vanish
n=3   // this too
lr = 0.1
layer1 = RBM(visible=4, hidden=2, seed=7)
kernel cd1(layer: RBM, v0: f32[?, 4], lr: f32) {
  h0 = sigmoid(v0 @ layer.W + layer.hb); hs = bernoulli(h0)
  layer.W += lr * (v0.T @ h0 - (hs.T @ h0)) / rows(v0)
  x = -(a - b) - (c - d) * -e
  y = max(x, 0.5) <= 2 ; z = mean(h0 - h0, axis=0)
  g_w ,g_b=grad(sum(log_softmax(h0, axis=1)), [layer.W, layer.hb])
  k = sum(z, axis=0, keepdims=true)
  return x, y
}
a = SEQ([CALL(f, k=1, s="q\"\n", l=[1, -2.5, 1e-300], b=True), FILT(g.h)])
main = SEQ([ a, REPEAT(n, SEQ([CALL(x), CALL(y)])), LOOP(WHILE(CALL(more), CALL(f))),
  SWITCH(CALL(f), CALL(g)), CHOOSE(CASE(1, CALL(f)), DEFAULT(SEQ([]))),
  WEAVE(1, [REPEAT(2, CALL(f)), BUFFER_REPEAT(4, CALL(g))]) ])
)";
  std::string once = roundTrip(messy);
  EXPECT_EQ(roundTrip(once), once);
  EXPECT_NE(once.find("    WEAVE(1, [\n        REPEAT(2, CALL(f)),\n"), std::string::npos) << once;
  EXPECT_NE(once.find("x = -(a - b) - (c - d) * -e"), std::string::npos) << once;
  EXPECT_NE(once.find("g_w, g_b = grad(sum(log_softmax(h0, axis=1)), [layer.W, layer.hb])"),
            std::string::npos)
      << once;
  EXPECT_NE(once.find("k = sum(z, axis=0, keepdims=true)"), std::string::npos) << once;
  EXPECT_NE(once.find("s=\"q\\\"\\n\""), std::string::npos) << once;
  EXPECT_NE(once.find("l=[1, -2.5, 1e-300], b=true"), std::string::npos) << once;
  EXPECT_NE(once.find("SWITCH(\n        CASE(1, CALL(f)),\n        DEFAULT(SEQ([])))"),
            std::string::npos)
      << once;
}

TEST(Printer, FloatsParseBackExactly) {
  for (double v : {0.1, 1.0 / 3.0, 1e-7, 6.02214076e23, 123456789.125}) {
    std::string text = "x = " + printLiteral(Literal(v)) + "\n";
    ir::SourceManager sources;
    ir::DiagnosticEngine diag(&sources);
    auto p = parseProgram(text, "t.kiln", sources, diag);
    ASSERT_TRUE(p) << text;
    EXPECT_EQ(p->lookup("x")->value.f, v) << text;
  }
}

} // namespace
} // namespace kiln::frontend
