// RBM: a binary restricted Boltzmann machine trained by contrastive
// divergence (CD-1), the seed design note's running example.
//
//   layer = RBM(visible=784, hidden=256, seed=1, lr=0.1, init_scale=0.01)
//
// Fields: W f32[V, H] (init_scale * N(0, 1) from Philox stream (seed, 0)),
// hb f32[H] and vb f32[V] (zeros). Every method is a kernel (see the
// kernel source below): the compiler inlines and fuses them.
//   cd1_update(v0: f32[?, V], lr: f32)   one CD-1 step, as in DESIGN.md
//   cd1(v0: f32[?, V])                    the same with the configured lr
//   hidden(v: f32[?, V]) -> f32[?, H]     P(h = 1 | v)
//   reconstruction_error(v0) -> f32       mean squared error of the
//                                         mean-field reconstruction
#include <cmath>
#include <cstdio>

#include "ir/Attributes.h"
#include "ir/Types.h"
#include "runtime/components/Builtins.h"
#include "runtime/components/Config.h"
#include "runtime/components/ConfiguredType.h"
#include "runtime/components/FieldComponent.h"

namespace kiln::runtime {
namespace {

struct RBMConfig {
  int64_t visible = 0, hidden = 0;
  uint64_t seed = 0;
  double lr = 0.1, initScale = 0.01;
};

std::optional<RBMConfig> parseConfig(std::string_view constructor,
                                     const std::vector<ir::NamedAttribute> &config,
                                     std::string &error) {
  if (!rejectConstructor("RBM", constructor, error))
    return std::nullopt;
  RBMConfig c;
  ConfigReader r("RBM", config);
  c.visible = r.integerAtLeast("visible", 1);
  c.hidden = r.integerAtLeast("hidden", 1);
  c.seed = static_cast<uint64_t>(r.integer("seed", 0));
  c.lr = r.number("lr", 0.1);
  c.initScale = r.number("init_scale", 0.01);
  int64_t total;
  if (r.ok() && (__builtin_mul_overflow(c.visible, c.hidden, &total) || total > ir::kMaxTensorElements))
    r.fail("visible * hidden is too large");
  if (!r.finish(error))
    return std::nullopt;
  return c;
}

ir::ComponentSchema schemaFor(const RBMConfig &c) {
  const int64_t V = c.visible, H = c.hidden, dyn = ir::kDynamic;
  auto f32 = [](std::vector<int64_t> dims) { return ir::Type::tensor(ElemType::F32, std::move(dims)); };
  ir::ComponentSchema s;
  s.typeName = "RBM";
  s.fields = {{"W", f32({V, H})}, {"hb", f32({H})}, {"vb", f32({V})}};

  ir::MethodSchema update{"cd1_update", {{"v0", f32({dyn, V})}, {"lr", ir::Type::f32()}}, {},
                          true, false, ""};
  ir::MethodSchema cd1{"cd1", {{"v0", f32({dyn, V})}}, {}, true, false, ""};
  ir::MethodSchema hidden{"hidden", {{"v", f32({dyn, V})}}, {f32({dyn, H})}, true, true, ""};
  ir::MethodSchema error{"reconstruction_error", {{"v0", f32({dyn, V})}}, {ir::Type::f32()},
                         true, true, ""};

  // CD-1 exactly as in DESIGN.md: sample the hidden units once, use mean-field
  // values for the reconstruction and the negative phase.
  auto cd1Body = [](const std::string &lr) {
    return "    h0 = sigmoid(v0 @ self.W + self.hb)\n"
           "    hs = bernoulli(h0)\n"
           "    v1 = sigmoid(hs @ self.W.T + self.vb)\n"
           "    h1 = sigmoid(v1 @ self.W + self.hb)\n"
           "    self.W += " + lr + " * (v0.T @ h0 - v1.T @ h1) / rows(v0)\n"
           "    self.hb += " + lr + " * mean(h0 - h1, axis=0)\n"
           "    self.vb += " + lr + " * mean(v0 - v1, axis=0)\n";
  };
  s.kernelSource = kernelText("RBM", update, cd1Body("lr")) +
                   kernelText("RBM", cd1, cd1Body(ir::formatDouble(c.lr))) +
                   kernelText("RBM", hidden, "    return sigmoid(v @ self.W + self.hb)\n") +
                   kernelText("RBM", error,
                              "    h0 = sigmoid(v0 @ self.W + self.hb)\n"
                              "    v1 = sigmoid(h0 @ self.W.T + self.vb)\n"
                              "    d = v0 - v1\n"
                              "    return mean(d * d)\n");
  s.methods = {std::move(update), std::move(cd1), std::move(hidden), std::move(error)};
  return s;
}

class RBMComponent : public FieldComponent {
public:
  explicit RBMComponent(const RBMConfig &c) : FieldComponent("RBM", {}) {
    addState("W", randomNormal(ElemType::F32, {c.visible, c.hidden}, c.seed, 0, c.initScale),
             true);
    addState("hb", Tensor::zeros(ElemType::F32, {c.hidden}), true);
    addState("vb", Tensor::zeros(ElemType::F32, {c.visible}), true);
  }

  std::unique_ptr<Component> clone() const override {
    return std::make_unique<RBMComponent>(*this);
  }

  std::string describe() const override {
    const Tensor &W = state(0);
    double sq = 0;
    for (int64_t i = 0; i < W.numel(); ++i)
      sq += W.data<float>()[i] * double(W.data<float>()[i]);
    char buf[96];
    std::snprintf(buf, sizeof buf, "RBM %lldx%lld: |W| = %.6g", (long long)W.dim(0),
                  (long long)W.dim(1), std::sqrt(sq));
    return buf;
  }
};

} // namespace

std::unique_ptr<ComponentType> makeRBMType() {
  return std::make_unique<ConfiguredType<RBMConfig, RBMComponent>>("RBM", parseConfig, schemaFor);
}

} // namespace kiln::runtime
