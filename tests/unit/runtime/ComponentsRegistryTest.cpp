// Registry: lookups, configuration errors, user-registered types and
// functions, copies, and the print/log natives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "runtime/Registry.h"
#include "runtime/components/Config.h"
#include "tests/unit/runtime/ComponentsTestUtil.h"

namespace kiln::runtime {
namespace {

using namespace kiln::runtime::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string resolveError(const Registry &r, const std::string &type, const std::string &ctor,
                         const std::vector<ir::NamedAttribute> &config) {
  std::string error;
  EXPECT_FALSE(r.resolveComponent(type, ctor, config, &error));
  std::string createError;
  EXPECT_FALSE(r.createComponent(type, ctor, config, createError));
  EXPECT_EQ(error, createError) << "resolve and create must validate alike";
  return error;
}

TEST(Registry, BuiltinsAreRegistered) {
  Registry r = Registry::withBuiltins();
  EXPECT_THAT(r.componentTypeNames(),
              ElementsAre("Dataset", "KMeans", "LogisticRegression", "PCA", "RBM", "Tensor"));
  EXPECT_THAT(r.functionNames(), ElementsAre("checkpoint", "log", "print", "save_npy"));
  EXPECT_TRUE(r.hasComponentType("RBM"));
  EXPECT_FALSE(r.hasComponentType("rbm"));
  ASSERT_NE(r.lookupFunction("print"), nullptr);
  EXPECT_TRUE(r.lookupFunction("print")->variadic);
  EXPECT_EQ(r.lookupFunction("nope"), nullptr);
  EXPECT_EQ(r.lookupNative("nope"), nullptr);
  EXPECT_TRUE(Registry().componentTypeNames().empty());
}

TEST(Registry, UnknownNamesGiveTheCheckpointMessage) {
  Registry r = Registry::withBuiltins();
  EXPECT_EQ(resolveError(r, "Foo", "", {}),
            "unknown component type 'Foo' (not registered in this process)");
  EXPECT_EQ(Registry::unknownFunctionMessage("hook"),
            "unknown native function 'hook' (not registered in this process)");
}

TEST(Registry, ConfigErrorsNameTheKey) {
  Registry r = Registry::withBuiltins();
  EXPECT_EQ(resolveError(r, "RBM", "", {kv("visible", 4)}), "RBM: missing required key 'hidden'");
  EXPECT_EQ(resolveError(r, "RBM", "", {kv("visible", 4), kv("hidden", "8")}),
            "RBM: key 'hidden' must be an integer, got \"8\"");
  EXPECT_EQ(resolveError(r, "RBM", "", {kv("visible", 4), kv("hidden", 8), kv("hiden", 8)}),
            "RBM: unknown key 'hiden' (valid keys: visible, hidden, seed, lr, init_scale)");
  EXPECT_EQ(resolveError(r, "RBM", "", {kv("visible", 4), kv("hidden", 0)}),
            "RBM: key 'hidden' must be >= 1, got 0");
  EXPECT_EQ(resolveError(r, "RBM", "", {kv("visible", 4), kv("hidden", 8), kv("visible", 5)}),
            "RBM: key 'visible' given twice");
  EXPECT_EQ(resolveError(r, "RBM", "", {kv("visible", 4), kv("hidden", 8), kv("lr", "fast")}),
            "RBM: key 'lr' must be a number, got \"fast\"");
  EXPECT_EQ(resolveError(r, "RBM", "big", {kv("visible", 4), kv("hidden", 8)}),
            "RBM has no constructor 'big' (write RBM(...))");
  EXPECT_THAT(resolveError(r, "Dataset", "", {}), HasSubstr("Dataset needs a constructor"));
  EXPECT_THAT(resolveError(r, "Dataset", "parquet", {}),
              HasSubstr("Dataset has no constructor 'parquet'"));
  EXPECT_EQ(resolveError(r, "Dataset", "bernoulli", {kv("rows", 2), kv("cols", 2), kv("p", 1.5)}),
            "Dataset.bernoulli: key 'p' must be in [0, 1], got 1.5");
  EXPECT_EQ(resolveError(r, "Dataset", "csv", {kv("path", "x.csv"), kv("classes", 3)}),
            "Dataset.csv: key 'classes' only applies with label_col");
  EXPECT_EQ(resolveError(r, "Tensor", "", {kv("shape", "3")}),
            "Tensor: key 'shape' must be an array of integers, got \"3\"");
  EXPECT_EQ(resolveError(r, "Tensor", "",
                         {{"shape", ir::Attribute::intArray({2})}, kv("init", "gaussian")}),
            "Tensor: key 'init' must be \"zeros\", \"ones\", \"randn\" or \"uniform\", got "
            "\"gaussian\"");
  EXPECT_EQ(resolveError(r, "PCA", "", {kv("dims", 3), kv("inputs", 2)}),
            "PCA: dims (3) must not exceed inputs (2)");
  EXPECT_EQ(resolveError(r, "LogisticRegression", "", {kv("inputs", 3), kv("classes", 1)}),
            "LogisticRegression: key 'classes' must be >= 2, got 1");
  EXPECT_THAT(resolveError(r, "Dataset", "csv", {kv("path", "/nonexistent/kiln.csv")}),
              HasSubstr("cannot open '/nonexistent/kiln.csv'"));
}

// A user's own component type: a counter with one field and one native method.
class Counter : public Component {
public:
  explicit Counter(int64_t start) : value_(Tensor::scalarI64(start)) {}
  std::string_view typeName() const override { return "Counter"; }
  int fieldIndex(std::string_view name) const override { return name == "value" ? 0 : -1; }
  const Tensor &field(int) const override { return value_; }
  void setField(int, Tensor v) override { value_ = std::move(v); }
  int methodIndex(std::string_view name) const override { return name == "bump" ? 0 : -1; }
  bool invoke(int, std::span<const Tensor>, const std::vector<ir::NamedAttribute> &,
              CallContext &, std::vector<Tensor> &results, NativeError &) override {
    value_ = Tensor::scalarI64(static_cast<int64_t>(value_.item()) + 1);
    results.push_back(value_);
    return true;
  }
  std::unique_ptr<Component> clone() const override { return std::make_unique<Counter>(*this); }
  std::vector<NamedTensor> saveState() const override { return {{"value", value_}}; }
  bool loadState(const std::vector<NamedTensor> &s, std::string &) override {
    value_ = s.at(0).value;
    return true;
  }

private:
  Tensor value_;
};

class CounterType : public ComponentType {
public:
  std::string_view name() const override { return "Counter"; }
  std::optional<ir::ComponentSchema> resolve(std::string_view ctor,
                                             const std::vector<ir::NamedAttribute> &config,
                                             std::string &error) const override {
    ConfigReader r("Counter", config);
    r.integer("start", 0);
    if (!r.finish(error))
      return std::nullopt;
    ir::ComponentSchema s;
    s.typeName = "Counter";
    s.fields = {{"value", ir::Type::i64()}};
    s.methods = {{"bump", {}, {ir::Type::i64()}, false, false, ""}};
    return s;
  }
  std::unique_ptr<Component> create(std::string_view ctor,
                                    const std::vector<ir::NamedAttribute> &config,
                                    std::string &error) const override {
    ConfigReader r("Counter", config);
    int64_t start = r.integer("start", 0);
    if (!r.finish(error))
      return nullptr;
    return std::make_unique<Counter>(start);
  }
};

TEST(Registry, UserComponentTypes) {
  Registry r = Registry::withBuiltins();
  Registry before = r; // copies are independent
  ASSERT_TRUE(r.registerComponentType(std::make_unique<CounterType>()));
  std::string error;
  EXPECT_FALSE(r.registerComponentType(std::make_unique<CounterType>(), &error));
  EXPECT_EQ(error, "component type 'Counter' is already registered");
  EXPECT_FALSE(r.registerComponentType(nullptr, &error));
  EXPECT_FALSE(before.hasComponentType("Counter"));

  std::optional<ir::ComponentSchema> s = r.resolveComponent("Counter", "", {kv("start", 5)}, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->field("value")->type, ir::Type::i64());
  std::unique_ptr<Component> c = create(r, "Counter", "", {kv("start", 5)});
  ASSERT_TRUE(c);
  EXPECT_EQ(call(*c, "bump").at(0).item(), 6);

  Registry moved = std::move(r);
  EXPECT_TRUE(moved.hasComponentType("Counter"));
  EXPECT_EQ(resolveError(moved, "Counter", "", {kv("stop", 1)}),
            "Counter: unknown key 'stop' (valid keys: start)");
}

// A careless user type that fails without saying why.
class SilentType : public ComponentType {
public:
  std::string_view name() const override { return "Silent"; }
  std::optional<ir::ComponentSchema> resolve(std::string_view, const std::vector<ir::NamedAttribute> &,
                                             std::string &) const override {
    return std::nullopt;
  }
  std::unique_ptr<Component> create(std::string_view, const std::vector<ir::NamedAttribute> &,
                                    std::string &) const override {
    return nullptr;
  }
};

TEST(Registry, SilentFailuresStillGetAMessage) {
  Registry r;
  ASSERT_TRUE(r.registerComponentType(std::make_unique<SilentType>()));
  std::string error;
  EXPECT_FALSE(r.resolveComponent("Silent", "", {}, &error));
  EXPECT_EQ(error, "component type 'Silent' rejected its configuration");
  EXPECT_FALSE(r.createComponent("Silent", "", {}, error));
  EXPECT_EQ(error, "component type 'Silent' could not create an instance");
}

struct Accumulator {
  double total = 0;
  bool add(std::span<const Tensor> args, std::vector<Tensor> &results) {
    for (const Tensor &t : args)
      total += t.item();
    results.push_back(Tensor::scalar(ElemType::F64, total));
    return true;
  }
};

TEST(Registry, UserFunctions) {
  Registry r;
  ir::FunctionSchema twice{"twice", {{"x", ir::Type::f32()}}, false, {ir::Type::f32()}};
  ASSERT_TRUE(r.registerFunction(twice, [](std::span<const Tensor> args,
                                           const std::vector<ir::NamedAttribute> &, CallContext &,
                                           std::vector<Tensor> &results, NativeError &error) {
    if (args.size() != 1) {
      error.message = "twice takes one argument";
      return false;
    }
    results.push_back(Tensor::scalarF32(static_cast<float>(2 * args[0].item())));
    return true;
  }));
  Accumulator acc;
  ir::FunctionSchema add{"acc.add", {}, true, {ir::Type::f64()}};
  ASSERT_TRUE(r.registerFunction(add, [&acc](std::span<const Tensor> args,
                                             const std::vector<ir::NamedAttribute> &,
                                             CallContext &, std::vector<Tensor> &results,
                                             NativeError &) { return acc.add(args, results); }));
  std::string error;
  EXPECT_FALSE(r.registerFunction(twice, [](auto, auto &, auto &, auto &, auto &) { return true; },
                                  &error));
  EXPECT_EQ(error, "native function 'twice' is already registered");
  EXPECT_FALSE(r.registerFunction({"empty", {}, false, {}}, NativeFn(), &error));

  const NativeFunction *f = r.lookupNative("twice");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(r.lookupFunction("twice"), &f->schema);
  CallContext ctx;
  NativeError nerr;
  std::vector<Tensor> results;
  Tensor three = Tensor::scalarF32(3);
  ASSERT_TRUE(f->fn(std::span<const Tensor>(&three, 1), {}, ctx, results, nerr));
  EXPECT_EQ(results.at(0).item(), 6);
  results.clear();
  EXPECT_FALSE(f->fn({}, {}, ctx, results, nerr));
  EXPECT_EQ(nerr.message, "twice takes one argument");

  std::vector<Tensor> args = {Tensor::scalarF32(1), Tensor::scalarF32(2)};
  ASSERT_TRUE(r.lookupNative("acc.add")->fn(args, {}, ctx, results, nerr));
  EXPECT_EQ(acc.total, 3);
}

TEST(Registry, PrintAndLog) {
  Registry r = Registry::withBuiltins();
  std::ostringstream out;
  CallContext ctx;
  ctx.out = &out;
  ctx.step = 42;
  std::vector<Tensor> results;
  NativeError error;
  std::vector<Tensor> args = {Tensor::scalarF32(0.25f), Tensor::scalarI64(7),
                              Tensor::fromDoubles(ElemType::F32, {2}, std::vector<double>{1, 2})};
  ASSERT_TRUE(r.lookupNative("print")->fn(args, {kv("note", "loss")}, ctx, results, error));
  ASSERT_TRUE(r.lookupNative("log")->fn(std::span<const Tensor>(args.data(), 1), {}, ctx, results,
                                        error));
  EXPECT_TRUE(results.empty());
  std::string text = out.str();
  EXPECT_THAT(text, ::testing::StartsWith("0.25 7 " + args[2].str(16) + " note=\"loss\"\n"));
  EXPECT_THAT(text, ::testing::EndsWith("[step 42] 0.25\n"));
}

} // namespace
} // namespace kiln::runtime
