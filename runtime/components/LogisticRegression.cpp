// LogisticRegression: multinomial logistic regression (softmax classifier)
// trained by minibatch SGD on the cross-entropy loss.
//
//   clf = LogisticRegression(inputs=784, classes=10, seed=1, init_scale=0.01)
//
// Fields: W f32[I, C], b f32[C]. W starts at zero without `seed`, and at
// init_scale * N(0, 1) (Philox stream (seed, 0)) with one; b starts at zero.
//
// Labels are one-hot rows y: f32[?, C] (what Dataset.next_label_batch
// returns): the gradient of the mean cross-entropy is then simply
// x.T @ (softmax(z) - y) / rows, with no gather, so every method is a kernel.
//   sgd_step(x: f32[?, I], y: f32[?, C], lr: f32)
//   loss(x, y) -> f32          mean cross-entropy
//   error_rate(x, y) -> f32    fraction of rows whose argmax differs from y's
//   predict(x) -> i64[?]       argmax class (first on ties)
//
// sgd_step's softmax is the notation's softmax(z, axis=1) (a max-shifted
// exp over keepdims reductions: no transposes, fewer ops a step than the
// transposed form below); loss works on the transposed logits, zt = z.T -
// max(z, axis=1) ([C, ?] minus [?] broadcasts along the trailing axis),
// the same shift.
#include "ir/Types.h"
#include "runtime/components/Builtins.h"
#include "runtime/components/Config.h"
#include "runtime/components/ConfiguredType.h"
#include "runtime/components/FieldComponent.h"

namespace kiln::runtime {
namespace {

struct LogRegConfig {
  int64_t inputs = 0, classes = 0;
  std::optional<uint64_t> seed;
  double initScale = 0.01;
};

std::optional<LogRegConfig> parseConfig(std::string_view constructor,
                                        const std::vector<ir::NamedAttribute> &config,
                                        std::string &error) {
  if (!rejectConstructor("LogisticRegression", constructor, error))
    return std::nullopt;
  LogRegConfig c;
  ConfigReader r("LogisticRegression", config);
  c.inputs = r.integerAtLeast("inputs", 1);
  c.classes = r.integerAtLeast("classes", 2);
  if (r.has("seed"))
    c.seed = static_cast<uint64_t>(r.integer("seed"));
  c.initScale = r.number("init_scale", 0.01);
  int64_t total;
  if (r.ok() && (__builtin_mul_overflow(c.inputs, c.classes, &total) || total > ir::kMaxTensorElements))
    r.fail("inputs * classes is too large");
  if (!r.finish(error))
    return std::nullopt;
  return c;
}

ir::ComponentSchema schemaFor(const LogRegConfig &c) {
  const int64_t I = c.inputs, C = c.classes, dyn = ir::kDynamic;
  auto f32 = [](std::vector<int64_t> dims) { return ir::Type::tensor(ElemType::F32, std::move(dims)); };
  ir::ComponentSchema s;
  s.typeName = "LogisticRegression";
  s.fields = {{"W", f32({I, C})}, {"b", f32({C})}};
  ir::ParamSchema x{"x", f32({dyn, I})}, y{"y", f32({dyn, C})};
  ir::MethodSchema step{"sgd_step", {x, y, {"lr", ir::Type::f32()}}, {}, true, false, ""};
  ir::MethodSchema loss{"loss", {x, y}, {ir::Type::f32()}, true, true, ""};
  ir::MethodSchema errorRate{"error_rate", {x, y}, {ir::Type::f32()}, true, true, ""};
  ir::MethodSchema predict{"predict", {x}, {ir::Type::tensor(ElemType::I64, {dyn})}, true, true,
                           ""};
  const std::string softmax = "    p = softmax(x @ self.W + self.b, axis=1)\n";
  s.kernelSource =
      kernelText(s.typeName, step,
                 softmax + "    self.W += lr * (x.T @ (y - p)) / rows(x)\n"
                           "    self.b += lr * mean(y - p, axis=0)\n") +
      kernelText(s.typeName, loss,
                 "    z = x @ self.W + self.b\n"
                 "    zt = z.T - max(z, axis=1)\n"
                 "    lse = log(sum(exp(zt), axis=0))\n"
                 "    return mean(lse - sum(y.T * zt, axis=0))\n") +
      kernelText(s.typeName, errorRate,
                 "    z = x @ self.W + self.b\n"
                 "    return mean(f32(argmax(z, axis=1) != argmax(y, axis=1)))\n") +
      kernelText(s.typeName, predict, "    return argmax(x @ self.W + self.b, axis=1)\n");
  s.methods = {std::move(step), std::move(loss), std::move(errorRate), std::move(predict)};
  return s;
}

class LogRegComponent : public FieldComponent {
public:
  explicit LogRegComponent(const LogRegConfig &c) : FieldComponent("LogisticRegression", {}) {
    addState("W",
             c.seed ? randomNormal(ElemType::F32, {c.inputs, c.classes}, *c.seed, 0, c.initScale)
                    : Tensor::zeros(ElemType::F32, {c.inputs, c.classes}),
             true);
    addState("b", Tensor::zeros(ElemType::F32, {c.classes}), true);
  }
  std::unique_ptr<Component> clone() const override {
    return std::make_unique<LogRegComponent>(*this);
  }
  std::string describe() const override {
    return "LogisticRegression " + std::to_string(state(0).dim(0)) + " -> " +
           std::to_string(state(0).dim(1)) + ": b = " + state(1).str(16);
  }
};

} // namespace

std::unique_ptr<ComponentType> makeLogisticRegressionType() {
  return std::make_unique<ConfiguredType<LogRegConfig, LogRegComponent>>("LogisticRegression", parseConfig, schemaFor);
}

} // namespace kiln::runtime
