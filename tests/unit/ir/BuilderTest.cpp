// Builder: the module of docs/ir.md's first example, built through the C++
// API, prints exactly as the textual format says.
#include <gtest/gtest.h>

#include "ir/Builder.h"
#include "ir/Printer.h"
#include "tests/unit/ir/IRTestUtil.h"

namespace kiln::ir {
namespace {

constexpr std::string_view kExpected = R"(module @train_pca {
  component @dataset : Dataset.randn {rows = 13, cols = 1, seed = 123}
  component @pca : PCA {dims = 1}
  func @print() attributes {native = true}
  func @main() {
    %0 = buffer_repeat 1000 : f32[1000, 1] {
      %1 = call @dataset.next() : f32[1]
      yield %1
    }
    call @pca.analyze(%0)
  }
  func @step(%x: f32[?, 784], %lr: f32) -> (f32[784]) attributes {kernel = true} {
    %0 = reduce_mean %x {axis = 0} : f32[784]
    %1 = fused @k0(%0, %lr) : f32[784] {
    ^bb0(%a: f32[784], %b: f32):
      %2 = mul %a, %b : f32[784]
      yield %2
    }
    return %1
  }
}
)";

std::unique_ptr<Module> buildTrainPca() {
  auto m = std::make_unique<Module>("train_pca");
  Builder b(m->body());
  Operation *dataset = b.component("dataset", "Dataset",
                                   {{"rows", Attribute::integer(13)},
                                    {"cols", Attribute::integer(1)},
                                    {"seed", Attribute::integer(123)}});
  // Added last on purpose: header attributes are found by name.
  dataset->setAttr("constructor", Attribute::string("randn"));
  b.component("pca", "PCA", {{"dims", Attribute::integer(1)}});
  b.func("print", {}, {})->setAttr("native", Attribute::boolean(true));

  Operation *mainFn = b.func("main", {}, {});
  b.setInsertionPointToEnd(mainFn->region(0));
  Operation *buffer = b.bufferRepeat(1000, Type::tensor(ElemType::F32, {1}));
  b.call("pca.analyze", {buffer->result()}, {});
  b.ret();
  b.setInsertionPointToEnd(buffer->region(0));
  Value *row = b.call("dataset.next", {}, {Type::tensor(ElemType::F32, {1})})->result();
  b.yield({row});

  Type vec = Type::tensor(ElemType::F32, {784});
  b.setInsertionPointToEnd(m->body());
  Operation *step =
      b.func("step", {{"x", Type::tensor(ElemType::F32, {kDynamic, 784})}, {"lr", Type::f32()}},
             {vec});
  step->setAttr("kernel", Attribute::boolean(true));
  Region &body = step->region(0);
  b.setInsertionPointToEnd(body);
  Value *mean = b.reduce(OpKind::ReduceMean, body.argument(0), 0);
  Operation *fused = b.create(OpKind::Fused, {mean, body.argument(1)}, {vec},
                              {{"name", Attribute::symbol("k0")}}, 1);
  b.ret({fused->result()});
  Region &kernel = fused->region(0);
  Value *a = kernel.addArgument(vec, "a");
  Value *bb = kernel.addArgument(Type::f32(), "b");
  b.setInsertionPointToEnd(kernel);
  b.yield({b.binary(OpKind::Mul, a, bb)});
  return m;
}

TEST(BuilderTest, TrainPcaPrintsAsSpecified) {
  auto m = buildTrainPca();
  EXPECT_EQ(printModule(*m), kExpected);
}

TEST(BuilderTest, TrainPcaParsesBackToTheSameText) {
  auto m = buildTrainPca();
  auto p = test::parse(printModule(*m));
  ASSERT_TRUE(p.module) << p.errors();
  EXPECT_EQ(printModule(*p.module), kExpected);
  // The parsed module has the builder's structure, not only its text.
  Operation *main = p.module->lookupFunc("main");
  ASSERT_TRUE(main);
  ASSERT_EQ(main->region(0).size(), 3u); // buffer_repeat, call, return
  EXPECT_TRUE(main->region(0).back()->is(OpKind::Return));
  Operation *buffer = main->region(0).front();
  EXPECT_EQ(buffer->result()->type(), Type::tensor(ElemType::F32, {1000, 1}));
  EXPECT_EQ(p.module->lookupComponent("dataset")->stringAttr("constructor"), "randn");
}

TEST(BuilderTest, CloneModulePrintsTheSame) {
  auto m = buildTrainPca();
  EXPECT_EQ(printModule(*m->clone()), kExpected);
}

} // namespace
} // namespace kiln::ir
