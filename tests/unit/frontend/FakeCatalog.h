// A small ComponentCatalog for the frontend's tests: the frontend never
// depends on the runtime, so its tests describe components themselves.
//   Dataset.randn(rows, cols, seed)  next() -> f32[cols], next_batch(n)
//     (with classes=C also next_labeled() -> (f32[cols], f32[C]), next_labeled_batch(n))
//   PCA(dims)                        analyze(data: f32[?, ?]), project(x) -> f32[dims]
//   RBM(visible, hidden, seed)       fields W, hb, vb; kernel cd1_update(v0, lr);
//                                    kernel energy (read-only, but writes: an error)
//   Scaler(n)                        a "user-registered" type: field s f32[n],
//                                    kernel apply(x: f32[?, n]) -> f32[?, n]
//   print (variadic), more() -> i1, pick() -> i64
#pragma once

#include <map>

#include "ir/ComponentSchema.h"

namespace kiln::frontend::test {

class FakeCatalog : public ir::ComponentCatalog {
public:
  FakeCatalog() {
    functions_["print"] = ir::FunctionSchema{"print", {}, true, {}};
    functions_["more"] = ir::FunctionSchema{"more", {}, false, {ir::Type::i1()}};
    functions_["pick"] = ir::FunctionSchema{"pick", {}, false, {ir::Type::i64()}};
  }

  bool hasComponentType(std::string_view t) const override {
    return t == "Dataset" || t == "PCA" || t == "RBM" || t == "Scaler";
  }

  std::optional<ir::ComponentSchema>
  resolveComponent(std::string_view type, std::string_view ctor,
                   const std::vector<ir::NamedAttribute> &config,
                   std::string *error) const override {
    std::map<std::string, int64_t> c;
    for (const auto &a : config) {
      if (!a.value.isInt()) {
        *error = "'" + a.name + "' must be an integer";
        return std::nullopt;
      }
      c[a.name] = a.value.getInt();
    }
    auto need = [&](const char *k) {
      if (c.count(k))
        return true;
      *error = std::string("missing '") + k + "'";
      return false;
    };
    ir::ComponentSchema s;
    s.typeName = std::string(type);
    using ir::Type;
    const auto f32 = ir::ElemType::F32;
    if (type == "Dataset") {
      if (ctor != "randn") {
        *error = "Dataset needs a constructor such as Dataset.randn";
        return std::nullopt;
      }
      if (!need("rows") || !need("cols"))
        return std::nullopt;
      s.methods.push_back({"next", {}, {Type::tensor(f32, {c["cols"]})}, false, false, "next_batch"});
      s.methods.push_back({"next_batch", {{"n", Type::i64()}},
                           {Type::tensor(f32, {ir::kDynamic, c["cols"]})}, false, false, ""});
      if (c.count("classes")) {
        s.methods.push_back({"next_labeled", {},
                             {Type::tensor(f32, {c["cols"]}), Type::tensor(f32, {c["classes"]})},
                             false, false, "next_labeled_batch"});
        s.methods.push_back({"next_labeled_batch", {{"n", Type::i64()}},
                             {Type::tensor(f32, {ir::kDynamic, c["cols"]}),
                              Type::tensor(f32, {ir::kDynamic, c["classes"]})},
                             false, false, ""});
      }
    } else if (type == "PCA") {
      if (!need("dims"))
        return std::nullopt;
      s.methods.push_back({"analyze", {{"data", Type::tensor(f32, {ir::kDynamic, ir::kDynamic})}},
                           {}, false, false, ""});
      s.methods.push_back({"project", {{"x", std::nullopt}}, {Type::tensor(f32, {c["dims"]})},
                           false, true, ""});
    } else if (type == "RBM") {
      if (!need("visible") || !need("hidden"))
        return std::nullopt;
      int64_t v = c["visible"], h = c["hidden"];
      s.fields = {{"W", Type::tensor(f32, {v, h})},
                  {"hb", Type::tensor(f32, {h})},
                  {"vb", Type::tensor(f32, {v})}};
      s.methods.push_back({"cd1_update",
                           {{"v0", Type::tensor(f32, {ir::kDynamic, v})}, {"lr", Type::f32()}},
                           {}, true, false, ""});
      s.methods.push_back({"energy", {{"v", Type::tensor(f32, {ir::kDynamic, v})}},
                           {}, true, true, ""});
      std::string vs = std::to_string(v);
      s.kernelSource =
          "kernel RBM.cd1_update(self: RBM, v0: f32[?, " + vs + "], lr: f32) {\n"
          "    h0 = sigmoid(v0 @ self.W + self.hb)\n"
          "    hs = bernoulli(h0)\n"
          "    v1 = sigmoid(hs @ self.W.T + self.vb)\n"
          "    h1 = sigmoid(v1 @ self.W + self.hb)\n"
          "    self.W += lr * (v0.T @ h0 - v1.T @ h1) / rows(v0)\n"
          "    self.hb += lr * mean(h0 - h1, axis=0)\n"
          "    self.vb += lr * mean(v0 - v1, axis=0)\n"
          "}\n"
          "kernel RBM.energy(self: RBM, v: f32[?, " + vs + "]) {\n"
          "    self.vb = mean(v, axis=0)\n"
          "}\n";
    } else if (type == "Scaler") {
      if (!need("n"))
        return std::nullopt;
      int64_t n = c["n"];
      s.fields = {{"s", Type::tensor(f32, {n})}};
      s.methods.push_back({"apply", {{"x", Type::tensor(f32, {ir::kDynamic, n})}},
                           {Type::tensor(f32, {ir::kDynamic, n})}, true, true, ""});
      s.kernelSource = "kernel Scaler.apply(self: Scaler, x: f32[?, " + std::to_string(n) +
                       "]) {\n    return x * self.s\n}\n";
    } else {
      return std::nullopt;
    }
    return s;
  }

  const ir::FunctionSchema *lookupFunction(std::string_view name) const override {
    auto it = functions_.find(std::string(name));
    return it == functions_.end() ? nullptr : &it->second;
  }

private:
  std::map<std::string, ir::FunctionSchema> functions_;
};

} // namespace kiln::frontend::test
