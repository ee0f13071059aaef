// Lexer and parser: the seed's example, every element, errors with
// locations, and robustness against garbage and deep nesting.
#include <gtest/gtest.h>

#include <random>

#include "frontend/Lexer.h"
#include "frontend/Parser.h"

namespace kiln::frontend {
namespace {

const char *kPca = R"(dataset = Dataset.randn(rows=13, cols=1, seed=123)
pca = PCA(dims=1)

train_pca = SEQ([
    BUFFER_REPEAT(1000, CALL(dataset.next)),
    FILT(pca.analyze)])

main = train_pca
)";

struct Parsed {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag{&sources};
  std::optional<Program> prog;
};

std::unique_ptr<Parsed> parse(std::string_view text) {
  auto p = std::make_unique<Parsed>();
  p->prog = parseProgram(text, "t.kiln", p->sources, p->diag);
  return p;
}

TEST(Lexer, TokensAndNewlinesInsideBrackets) {
  auto toks = lex("a = f(x=1,\n  y=2.5e-1) # comment\nb += -3 // c\n");
  std::vector<Tok> kinds;
  for (const Token &t : toks)
    kinds.push_back(t.kind);
  std::vector<Tok> want = {Tok::Ident, Tok::Assign, Tok::Ident, Tok::LParen, Tok::Ident,
                           Tok::Assign, Tok::Int, Tok::Comma, Tok::Ident, Tok::Assign,
                           Tok::Float, Tok::RParen, Tok::Newline, Tok::Ident, Tok::PlusAssign,
                           Tok::Minus, Tok::Int, Tok::Newline, Tok::Eof};
  EXPECT_EQ(kinds, want);
  EXPECT_EQ(toks[10].floatValue, 0.25);
  EXPECT_EQ(toks[13].line, 3u);
  EXPECT_EQ(toks[13].col, 1u);
}

TEST(Lexer, BadInputBecomesErrorTokens) {
  auto toks = lex("a = \"unterminated\n$ 99999999999999999999999");
  int errors = 0;
  for (const Token &t : toks)
    errors += t.kind == Tok::Error;
  EXPECT_EQ(errors, 3);
}

TEST(Parser, SeedPcaExample) {
  auto p = parse(kPca);
  ASSERT_TRUE(p->prog) << p->diag.str();
  const auto &d = p->prog->decls();
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].kind, Decl::Kind::Component);
  EXPECT_EQ(d[0].typeName, "Dataset");
  EXPECT_EQ(d[0].constructor, "randn");
  ASSERT_EQ(d[0].config.size(), 3u);
  EXPECT_EQ(d[0].config[2].name, "seed");
  EXPECT_EQ(d[0].config[2].value.i, 123);
  EXPECT_EQ(d[2].kind, Decl::Kind::Program);
  const Element &seq = d[2].body;
  ASSERT_EQ(seq.kind, ElementKind::Seq);
  ASSERT_EQ(seq.children.size(), 2u);
  EXPECT_EQ(seq.children[0].kind, ElementKind::BufferRepeat);
  EXPECT_EQ(seq.children[0].count.i, 1000);
  EXPECT_EQ(seq.children[0].children[0].callee, "dataset.next");
  EXPECT_EQ(seq.children[1].kind, ElementKind::Filt);
  EXPECT_EQ(seq.children[1].loc.line, 6u);
  EXPECT_EQ(seq.children[1].loc.col, 5u);
  EXPECT_EQ(d[3].body.kind, ElementKind::Ref);
  EXPECT_EQ(d[3].body.callee, "train_pca");
}

TEST(Parser, EveryElement) {
  auto p = parse(R"(n = 3
a = SEQ([CALL(f, k=1, s="x", l=[1, 2.5], b=true), FILT(g.h)])
b = REPEAT(n, a)
c = LOOP(WHILE(CALL(more), CALL(f)))
d = SWITCH(CALL(f), CALL(g))
e = CHOOSE(CASE(1, CALL(f)), CASE(-2, a), DEFAULT(CALL(g)))
f2 = WEAVE(1, [REPEAT(2, CALL(f)), BUFFER_REPEAT(4, CALL(g))])
)");
  ASSERT_TRUE(p->prog) << p->diag.str();
  const Program &prog = *p->prog;
  EXPECT_EQ(prog.lookup("n")->kind, Decl::Kind::Constant);
  EXPECT_EQ(prog.lookup("a")->body.children[0].kwargs.size(), 4u);
  EXPECT_EQ(prog.lookup("a")->body.children[0].kwargs[2].value.list[1].f, 2.5);
  EXPECT_EQ(prog.lookup("b")->body.count.kind, Literal::Kind::Name);
  EXPECT_EQ(prog.lookup("c")->body.children[0].kind, ElementKind::While);
  EXPECT_EQ(prog.lookup("d")->body.kind, ElementKind::Switch);
  const Element &e = prog.lookup("e")->body;
  EXPECT_EQ(e.kind, ElementKind::Switch); // CHOOSE is SWITCH
  EXPECT_EQ(e.children[1].count.i, -2);
  EXPECT_EQ(e.children[2].kind, ElementKind::Default);
  EXPECT_EQ(prog.lookup("f2")->body.children.size(), 2u);
}

TEST(Parser, Kernel) {
  auto p = parse(R"(kernel k(layer: RBM, v0: f32[?, 784], lr: f32) {
    h0 = sigmoid(v0 @ layer.W + layer.hb)
    layer.W += lr * (v0.T @ h0) / rows(v0)
    return mean(h0, axis=0)
})");
  ASSERT_TRUE(p->prog) << p->diag.str();
  const KernelDef &k = p->prog->lookup("k")->kernel;
  ASSERT_EQ(k.params.size(), 3u);
  EXPECT_TRUE(k.params[0].type.isComponent);
  EXPECT_EQ(k.params[1].type.type.str(), "f32[?, 784]");
  ASSERT_EQ(k.body.size(), 3u);
  EXPECT_EQ(k.body[1].kind, Stmt::Kind::Update);
  EXPECT_EQ(k.body[1].op, "+=");
  EXPECT_EQ(k.body[2].kind, Stmt::Kind::Return);
  const Expr &h0 = k.body[0].values[0];
  EXPECT_EQ(h0.kind, Expr::Kind::Call);
  EXPECT_EQ(h0.args[0].op, "+"); // @ binds tighter than +
  EXPECT_EQ(h0.args[0].args[0].op, "@");
}

struct ErrorCase {
  const char *text;
  const char *message;
};

TEST(Parser, ErrorsHaveLocationsAndCarets) {
  const ErrorCase cases[] = {
      {"main = SEQ([CALL(f)]", "t.kiln:1:21: error: expected ')' to close SEQ, got end of file"},
      {"main = REPEAT(10)", "t.kiln:1:8: error: wrong number of arguments to REPEAT: expected REPEAT(n, body)"},
      {"main = SEQ([FOO(x)])", "t.kiln:1:13: error: unknown element 'FOO'"},
      {"main = CALL(f, 3)", "t.kiln:1:16: error: expected a keyword argument (name=value) in CALL, got integer"},
      {"main = CALL(f, a=1, a=2)", "t.kiln:1:21: error: keyword argument 'a' given twice"},
      {"main = CALL(*)", "t.kiln:1:13: error: expected a function or method name, got '*'"},
      {"main = SEQ([CASE(1, CALL(f))])", "t.kiln:1:13: error: CASE is only allowed directly inside SWITCH"},
      {"a = CALL(f)\na = CALL(g)", "t.kiln:2:1: error: redefinition of 'a'"},
      {"main = CALL(f) CALL(g)", "t.kiln:1:16: error: expected end of line after the declaration, got 'CALL'"},
  };
  for (const ErrorCase &c : cases) {
    auto p = parse(c.text);
    EXPECT_FALSE(p->prog) << c.text;
    ASSERT_FALSE(p->diag.diagnostics().empty()) << c.text;
    std::string first = p->diag.render(p->diag.diagnostics()[0]);
    EXPECT_EQ(first.substr(0, first.find('\n')), c.message) << c.text;
    EXPECT_NE(first.find('^'), std::string::npos) << c.text;
  }
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string text = "main = ";
  for (int i = 0; i < 5000; ++i)
    text += "LOOP(";
  text += "CALL(f)";
  for (int i = 0; i < 5000; ++i)
    text += ")";
  auto p = parse(text);
  EXPECT_FALSE(p->prog);
  EXPECT_NE(p->diag.str().find("nesting is too deep"), std::string::npos);

  std::string expr = "kernel k(x: f32) {\n    y = ";
  for (int i = 0; i < 5000; ++i)
    expr += "(-";
  expr += "x\n}";
  auto q = parse(expr);
  EXPECT_FALSE(q->prog);
}

TEST(Parser, GarbageNeverCrashes) {
  std::mt19937 rng(1234);
  const std::string alphabet = "SEQ([CALL(FILT.x=1,\"])kernel{}@.T+-*/#\n \t?:;=<>!\x01\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    size_t n = rng() % 80;
    for (size_t j = 0; j < n; ++j)
      s += alphabet[rng() % alphabet.size()];
    auto p = parse(s);
    EXPECT_TRUE(p->prog || p->diag.hasErrors()) << s;
  }
  // Every prefix of a valid program (truncation).
  std::string full = kPca;
  for (size_t i = 0; i < full.size(); ++i) {
    auto p = parse(full.substr(0, i));
    EXPECT_TRUE(p->prog || p->diag.hasErrors());
  }
}

} // namespace
} // namespace kiln::frontend
