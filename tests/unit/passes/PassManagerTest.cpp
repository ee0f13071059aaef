// Unit tests of the pass manager: registry, pipeline parsing and its errors,
// default pipelines, fixed points, instrumentation, statistics, and the
// shared command-line options.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/Builder.h"
#include "passes/PassManager.h"
#include "passes/PipelineOptions.h"

namespace kiln::passes {
namespace {

using ::testing::HasSubstr;

TEST(PassRegistry, EveryPassIsRegisteredUnderItsOwnName) {
  std::vector<std::string> names;
  for (const PassInfo &info : registeredPasses()) {
    auto pass = info.create();
    EXPECT_EQ(pass->name(), info.name);
    EXPECT_FALSE(pass->summary().empty());
    names.emplace_back(info.name);
  }
  EXPECT_THAT(names, ::testing::ElementsAre("bulk-read", "canonicalize", "cse", "dce", "fuse",
                                            "inline-kernels", "licm", "refine-types"));
  EXPECT_EQ(lookupPass("nope"), nullptr);
}

TEST(PipelineParse, AcceptsListsWhitespaceAndFixpoints) {
  std::string err;
  auto p = parsePipeline(" bulk-read, inline-kernels ,fixpoint(cse,dce),fuse", &err);
  ASSERT_TRUE(p) << err;
  ASSERT_EQ(p->elements.size(), 4u);
  EXPECT_TRUE(p->elements[2].isGroup());
  EXPECT_EQ(p->elements[2].fixpoint.size(), 2u);
  EXPECT_EQ(p->str(), "bulk-read,inline-kernels,fixpoint(cse,dce),fuse");
  auto empty = parsePipeline("", &err);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(PipelineParse, UnknownPassListsTheKnownOnes) {
  std::string err;
  EXPECT_FALSE(parsePipeline("cse,fusion", &err));
  EXPECT_THAT(err, HasSubstr("unknown pass 'fusion'"));
  EXPECT_THAT(err, HasSubstr("column 5"));
  EXPECT_THAT(err, HasSubstr("bulk-read, canonicalize, cse, dce, fuse, inline-kernels, licm"));
}

TEST(PipelineParse, MalformedPipelinesAreErrors) {
  for (const char *bad : {"cse,", ",cse", "cse,,dce", "fixpoint(cse", "fixpoint()", "cse)",
                          "cse dce", "cse;dce", "fixpoint(cse,)"}) {
    std::string err;
    EXPECT_FALSE(parsePipeline(bad, &err)) << bad;
    EXPECT_THAT(err, HasSubstr("invalid pipeline")) << bad;
  }
  std::string err;
  parsePipeline("cse,", &err);
  EXPECT_THAT(err, HasSubstr("empty pipeline element"));
}

TEST(PipelineParse, DefaultPipelines) {
  EXPECT_TRUE(defaultPipeline(0).empty());
  EXPECT_EQ(defaultPipeline(1).str(), "inline-kernels,canonicalize,cse,dce");
  EXPECT_EQ(defaultPipeline(2).str(),
            "bulk-read,inline-kernels,refine-types,fixpoint(canonicalize,cse,licm,dce),fuse,dce");
}

// A module whose main computes x*1 + 0 twice; the copies and identities need
// several rounds of canonicalize/cse/dce.
std::unique_ptr<ir::Module> makeRedundantModule() {
  auto m = std::make_unique<ir::Module>("t");
  ir::Builder b(m->body());
  ir::Type t = ir::Type::tensor(ir::ElemType::F32, {4});
  ir::Operation *f = b.func("main", {{"x", t}}, {t});
  b.setInsertionPointToEnd(f->region(0));
  ir::Value *x = f->region(0).argument(0);
  ir::Value *one = b.constant(1.0, ir::Type::f32());
  ir::Value *a = b.binary(ir::OpKind::Mul, x, one);
  ir::Value *c = b.binary(ir::OpKind::Mul, x, one);
  ir::Value *s = b.binary(ir::OpKind::Add, a, c);
  b.ret({s});
  return m;
}

TEST(PassManager, RunsPipelineCollectsStatisticsAndCallsInstrumentation) {
  auto m = makeRedundantModule();
  std::string err;
  auto p = parsePipeline("fixpoint(cse,canonicalize,dce)", &err);
  ASSERT_TRUE(p);
  std::vector<std::string> ran;
  RunOptions opts;
  opts.afterPass = [&](const Pass &pass, const ir::Module &) { ran.emplace_back(pass.name()); };
  PassManager pm(std::move(*p), opts);
  ir::DiagnosticEngine diag;
  ASSERT_TRUE(pm.run(*m, nullptr, diag)) << diag.str();
  // Round 1 changes, round 2 finds nothing.
  EXPECT_THAT(ran, ::testing::ElementsAre("cse", "canonicalize", "dce", "cse", "canonicalize",
                                          "dce"));
  std::string stats = pm.statisticsText();
  EXPECT_THAT(stats, HasSubstr("cse: 1 op merged\n"));
  EXPECT_THAT(stats, HasSubstr("canonicalize: 0 constants folded, 1 identity applied\n"));
  EXPECT_THAT(stats, HasSubstr("dce: 1 op removed\n")); // the constant 1
  // What is left: add x, x.
  ir::Region &body = m->lookupFunc("main")->region(0);
  ASSERT_EQ(body.size(), 2u);
  EXPECT_TRUE(body.front()->is(ir::OpKind::Add));
  EXPECT_EQ(body.front()->operand(0), body.argument(0));
  EXPECT_EQ(body.front()->operand(1), body.argument(0));
}

TEST(PassStatistics, SingularPluralAndNotes) {
  PassStatistics s;
  EXPECT_EQ(s.str(), "nothing to report");
  s.add("group", "groups", 3);
  s.add("op fused", "ops fused", 1);
  s.add("group", "groups", 0);
  EXPECT_EQ(s.str(), "3 groups, 1 op fused");
  s.note("no catalog");
  s.note("no catalog");
  EXPECT_EQ(s.str(), "3 groups, 1 op fused; no catalog");
  EXPECT_EQ(s.get("groups"), 3);
}

ArgResult parseOne(PipelineOptions &o, std::vector<std::string> args, std::string *err,
                   size_t *consumedTo = nullptr) {
  size_t i = 0;
  ArgResult r = o.parseArgument(args, i, err);
  if (consumedTo)
    *consumedTo = i;
  return r;
}

TEST(PipelineOptions, ParsesTheSharedFlags) {
  PipelineOptions o;
  std::string err;
  EXPECT_EQ(parseOne(o, {"-O2"}, &err), ArgResult::Consumed);
  EXPECT_EQ(o.optLevel, 2);
  EXPECT_EQ(parseOne(o, {"--stats"}, &err), ArgResult::Consumed);
  EXPECT_EQ(parseOne(o, {"--print-ir-after-all"}, &err), ArgResult::Consumed);
  EXPECT_EQ(parseOne(o, {"--print-ir-after=fuse"}, &err), ArgResult::Consumed);
  size_t i;
  EXPECT_EQ(parseOne(o, {"--print-ir-after", "dce"}, &err, &i), ArgResult::Consumed);
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(parseOne(o, {"--no-verify-each"}, &err), ArgResult::Consumed);
  EXPECT_TRUE(o.stats);
  EXPECT_TRUE(o.printAfterAll);
  EXPECT_THAT(o.printAfter, ::testing::ElementsAre("fuse", "dce"));
  EXPECT_FALSE(o.verifyEach);
  EXPECT_EQ(parseOne(o, {"--steps"}, &err), ArgResult::NotMine);
  EXPECT_EQ(parseOne(o, {"file.kir"}, &err), ArgResult::NotMine);
  auto p = o.pipeline(0, &err);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->str(), defaultPipeline(2).str());
}

TEST(PipelineOptions, ReportsBadFlags) {
  std::string err;
  {
    PipelineOptions o;
    EXPECT_EQ(parseOne(o, {"-O3"}, &err), ArgResult::Error);
    EXPECT_THAT(err, HasSubstr("-O3"));
  }
  {
    PipelineOptions o;
    EXPECT_EQ(parseOne(o, {"--passes=cse,bogus"}, &err), ArgResult::Error);
    EXPECT_THAT(err, HasSubstr("unknown pass 'bogus'"));
  }
  {
    PipelineOptions o;
    EXPECT_EQ(parseOne(o, {"--passes"}, &err), ArgResult::Error);
  }
  {
    PipelineOptions o;
    EXPECT_EQ(parseOne(o, {"-O1"}, &err), ArgResult::Consumed);
    EXPECT_EQ(parseOne(o, {"--passes=cse"}, &err), ArgResult::Error);
    EXPECT_THAT(err, HasSubstr("not both"));
  }
  {
    PipelineOptions o;
    EXPECT_EQ(parseOne(o, {"--print-ir-after=fusion"}, &err), ArgResult::Error);
    EXPECT_THAT(err, HasSubstr("unknown pass 'fusion'"));
  }
}

TEST(PipelineOptions, DefaultLevelAppliesWithoutFlags) {
  PipelineOptions o;
  std::string err;
  EXPECT_EQ(o.pipeline(1, &err)->str(), defaultPipeline(1).str());
  o.passes = "dce";
  EXPECT_EQ(o.pipeline(2, &err)->str(), "dce");
}

} // namespace
} // namespace kiln::passes
