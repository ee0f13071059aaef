// The C++ builder API and hooks: building the seed's programs in C++,
// find/replace with wildcards, and command-line hook specs.
#include <gtest/gtest.h>

#include "frontend/Api.h"
#include "frontend/Hooks.h"
#include "frontend/Parser.h"
#include "frontend/ProgramPrinter.h"

namespace kiln::frontend {
namespace {

Program seedPca() {
  Program prog;
  auto dataset = prog.component("dataset", "Dataset.randn", {{"rows", 13}, {"cols", 1}, {"seed", 123}});
  auto pca = prog.component("pca", "PCA", {{"dims", 1}});
  prog.define("train_pca", SEQ({BUFFER_REPEAT(1000, CALL(dataset, "next")), FILT(pca, "analyze")}));
  prog.setMain(SUB("train_pca"));
  return prog;
}

TEST(Api, BuildsTheSeedExampleLikeTheNotation) {
  EXPECT_EQ(printProgram(seedPca()), R"(dataset = Dataset.randn(rows=13, cols=1, seed=123)
pca = PCA(dims=1)

train_pca = SEQ([
    BUFFER_REPEAT(1000, CALL(dataset.next)),
    FILT(pca.analyze)])

main = train_pca
)");
}

TEST(Api, ElementsMatchTheirParsedForm) {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto parsed = parseElement("WEAVE(1, [REPEAT(2, CALL(f, k=1.5)), SWITCH(CASE(3, LOOP(CALL(g))), "
                             "DEFAULT(WHILE(CALL(more), FILT(h, s=\"x\"))))])",
                             "e", sources, diag, false);
  ASSERT_TRUE(parsed) << diag.str();
  Element built = WEAVE(1, {REPEAT(2, CALL("f", {{"k", 1.5}})),
                            SWITCH({CASE(3, LOOP(CALL("g"))),
                                    DEFAULT(WHILE(CALL("more"), FILT("h", {{"s", "x"}})))})});
  EXPECT_EQ(*parsed, built);
  EXPECT_EQ(printElement(CHOOSE({CALL("a")})), "SWITCH(\n    CALL(a))");
}

TEST(Api, FieldKeywordMatchesTheNotation) {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto parsed = parseElement("SEQ([CALL(d.next_labeled), FILT(m.sgd_step, lr=0.5), "
                             "CALL(m.error_rate, x=test.value, y=labels.value)])",
                             "e", sources, diag, false);
  ASSERT_TRUE(parsed) << diag.str();
  Program prog;
  auto d = prog.component("d", "Dataset.randn", {{"rows", 4}, {"cols", 2}});
  auto m = prog.component("m", "LogisticRegression", {{"inputs", 2}, {"classes", 2}});
  auto test = prog.component("test", "Tensor", {{"shape", {3, 2}}});
  auto labels = prog.component("labels", "Tensor", {{"shape", {3, 2}}});
  Element built = SEQ({CALL(d, "next_labeled"), FILT(m, "sgd_step", {{"lr", 0.5}}),
                       CALL(m, "error_rate", {{"x", test.field("value")},
                                              {"y", labels.field("value")}})});
  EXPECT_EQ(*parsed, built);
  EXPECT_EQ(printElement(built), "SEQ([\n    CALL(d.next_labeled),\n    FILT(m.sgd_step, lr=0.5),\n"
                                 "    CALL(m.error_rate, x=test.value, y=labels.value)])");
}

TEST(Hooks, SeedFindReplace) {
  // prog.find(CALL(cd1_update, layer=layer1)).replace_with(
  //     SEQ([CALL(cd1_update, layer=layer1), CALL(my_debugfn)]))
  Program prog;
  auto layer1 = prog.component("layer1", "RBM", {{"visible", 4}, {"hidden", 2}});
  prog.setMain(LOOP(SEQ({CALL("data.next"), FILT("cd1_update", {{"layer", layer1}}),
                         CALL("cd1_update", {{"layer", layer1}, {"lr", 0.1}})})));
  MatchSet m = prog.find(CALL("cd1_update", {{"layer", layer1}}));
  ASSERT_EQ(m.size(), 1u); // FILT is another kind; extra keywords are ignored
  ASSERT_TRUE(m.replace_with(SEQ({CALL("cd1_update", {{"layer", layer1}}), CALL("my_debugfn")})));
  EXPECT_EQ(printElement(prog.lookup("main")->body),
            "LOOP(SEQ([\n"
            "    CALL(data.next),\n"
            "    FILT(cd1_update, layer=layer1),\n"
            "    SEQ([\n"
            "        CALL(cd1_update, layer=layer1),\n"
            "        CALL(my_debugfn)])]))");
}

TEST(Hooks, WildcardsAndInsertions) {
  Program prog;
  prog.define("inner", SEQ({CALL("layer1.cd1_update"), CALL("layer2.cd1_update")}));
  prog.setMain(SEQ({SUB("inner"), REPEAT(3, CALL("layer1.sample"))}));

  EXPECT_EQ(prog.find(CALL("*.cd1_update")).size(), 2u);
  EXPECT_EQ(prog.find(CALL("layer1.*")).size(), 2u);
  EXPECT_EQ(prog.find(REPEAT(ANY_VALUE(), ANY())).size(), 1u);
  EXPECT_EQ(prog.find(SUB("inner")).size(), 1u);
  EXPECT_EQ(prog.find(CALL("layer3.*")).size(), 0u);

  // Inside a SEQ the new element becomes a sibling; elsewhere the match is
  // wrapped in a SEQ.
  ASSERT_TRUE(prog.find(CALL("layer1.*")).insert_after(CALL("print")));
  EXPECT_EQ(printElement(prog.lookup("inner")->body),
            "SEQ([\n    CALL(layer1.cd1_update),\n    CALL(print),\n    CALL(layer2.cd1_update)])");
  EXPECT_EQ(printElement(prog.lookup("main")->body.children[1]),
            "REPEAT(3, SEQ([\n    CALL(layer1.sample),\n    CALL(print)]))");
  ASSERT_TRUE(prog.find(CALL("*.cd1_update")).insert_before(CALL("log")));
  EXPECT_EQ(prog.lookup("inner")->body.children.size(), 5u);
  EXPECT_EQ(prog.lookup("inner")->body.children[3].callee, "log");

  MatchSet none = prog.find(CALL("nothing"));
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.replace_with(CALL("x"))); // an error, not a silent no-op
}

TEST(Hooks, CommandLineSpecs) {
  Program prog = seedPca();
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  ASSERT_TRUE(applyHookSpec(prog, "after CALL(dataset.next): CALL(print, msg=\"row\")", sources, diag))
      << diag.str();
  ASSERT_TRUE(applyHookSpec(prog, "replace FILT(pca.*): FILT(pca.analyze, verbose=1)", sources, diag))
      << diag.str();
  ASSERT_TRUE(applyHookSpec(prog, "before BUFFER_REPEAT(*, *): CALL(print)", sources, diag))
      << diag.str();
  EXPECT_EQ(printElement(prog.lookup("train_pca")->body),
            "SEQ([\n"
            "    CALL(print),\n"
            "    BUFFER_REPEAT(1000, SEQ([\n"
            "        CALL(dataset.next),\n"
            "        CALL(print, msg=\"row\")])),\n"
            "    FILT(pca.analyze, verbose=1)])");

  EXPECT_FALSE(applyHookSpec(prog, "after CALL(layer1.cd1_update): CALL(print_stats)", sources, diag));
  EXPECT_EQ(diag.str(), "--hook:1:7: error: hook pattern CALL(layer1.cd1_update) matches nothing "
                        "in the program\n"
                        "after CALL(layer1.cd1_update): CALL(print_stats)\n"
                        "      ^\n");
  diag.clear();
  EXPECT_FALSE(applyHookSpec(prog, "around CALL(x): CALL(y)", sources, diag));
  EXPECT_NE(diag.str().find("expected 'after', 'before' or 'replace'"), std::string::npos);
  diag.clear();
  EXPECT_FALSE(applyHookSpec(prog, "after CALL(x) CALL(y)", diag));
  EXPECT_NE(diag.str().find("--hook:1:15: error: expected ':'"), std::string::npos) << diag.str();
  diag.clear();
  EXPECT_FALSE(applyHookSpec(prog, "after CALL(dataset.next): CALL(*)", diag));
}

} // namespace
} // namespace kiln::frontend
