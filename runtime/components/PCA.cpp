// PCA: principal component analysis from streamed sufficient statistics.
//
//   pca = PCA(dims=2, inputs=784)
//
// `analyze(x: f32[?, D])` is a kernel that only accumulates: xsum += sum of
// the rows, xtx += x.T @ x, count += rows(x). `finalize()` is native (an
// eigendecomposition is not tensor math the compiler can fuse): it forms the
// sample covariance (xtx - n mean mean^T) / (n - 1) in f64 and keeps the
// `dims` eigenvectors of largest eigenvalue (Eigen's
// SelfAdjointEigenSolver), each with the sign that makes its
// largest-magnitude entry positive (first such entry on ties), so results
// are deterministic. `transform(x)` is a kernel: (x - mean) @ components.T.
//
// `inputs` (D) defaults to `dims`, which is what the seed note's example
// `PCA(dims=1)` on one-column data needs; for wider data it must be given
// (a mismatch is a type error at the analyze call).
//
// Fields: xsum f32[D], xtx f32[D, D], count i64, mean f32[D],
// components f32[dims, D], variance f32[dims] (explained variance). The
// accumulators are f32 because kernels write them; finalize works in f64.
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>

#include "runtime/components/Builtins.h"
#include "runtime/components/Config.h"
#include "runtime/components/ConfiguredType.h"
#include "runtime/components/FieldComponent.h"

namespace kiln::runtime {
namespace {

struct PCAConfig {
  int64_t dims = 0, inputs = 0;
};

std::optional<PCAConfig> parseConfig(std::string_view constructor,
                                     const std::vector<ir::NamedAttribute> &config,
                                     std::string &error) {
  if (!rejectConstructor("PCA", constructor, error))
    return std::nullopt;
  PCAConfig c;
  ConfigReader r("PCA", config);
  c.dims = r.integerAtLeast("dims", 1);
  c.inputs = r.integerAtLeast("inputs", 1, c.dims);
  if (r.ok() && c.dims > c.inputs)
    r.fail("dims (" + std::to_string(c.dims) + ") must not exceed inputs (" +
           std::to_string(c.inputs) + ")");
  if (r.ok() && c.inputs > 16384)
    r.fail("inputs (" + std::to_string(c.inputs) + ") is too large (at most 16384)");
  if (!r.finish(error))
    return std::nullopt;
  return c;
}

ir::ComponentSchema schemaFor(const PCAConfig &c) {
  const int64_t D = c.inputs, K = c.dims, dyn = ir::kDynamic;
  auto f32 = [](std::vector<int64_t> dims) { return ir::Type::tensor(ElemType::F32, std::move(dims)); };
  ir::ComponentSchema s;
  s.typeName = "PCA";
  s.fields = {{"xsum", f32({D})},         {"xtx", f32({D, D})},   {"count", ir::Type::i64()},
              {"mean", f32({D})},         {"components", f32({K, D})}, {"variance", f32({K})}};
  ir::MethodSchema analyze{"analyze", {{"x", f32({dyn, D})}}, {}, true, false, ""};
  ir::MethodSchema finalize{"finalize", {}, {}, false, false, ""};
  ir::MethodSchema transform{"transform", {{"x", f32({dyn, D})}}, {f32({dyn, K})}, true, true, ""};
  s.kernelSource = kernelText("PCA", analyze,
                              "    self.xsum += sum(x, axis=0)\n"
                              "    self.xtx += x.T @ x\n"
                              "    self.count += rows(x)\n") +
                   kernelText("PCA", transform, "    return (x - self.mean) @ self.components.T\n");
  s.methods = {std::move(analyze), std::move(finalize), std::move(transform)};
  return s;
}

struct PCAResult {
  Eigen::VectorXd mean;
  Eigen::MatrixXd components; // dims x D, rows are components
  Eigen::VectorXd variance;   // dims, descending
  double totalVariance = 0;
};

/// The principal components of the accumulated statistics (count > 0).
PCAResult computePCA(const Tensor &xsum, const Tensor &xtx, int64_t count, int64_t dims) {
  const int64_t D = xsum.numel();
  const double n = static_cast<double>(count);
  PCAResult r;
  r.mean.resize(D);
  for (int64_t i = 0; i < D; ++i)
    r.mean[i] = xsum.data<float>()[i] / n;
  Eigen::MatrixXd cov(D, D);
  const double denom = count > 1 ? n - 1 : 1;
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < D; ++j) {
      // xtx is symmetric in exact arithmetic; average the two halves.
      double s = 0.5 * (double(xtx.data<float>()[i * D + j]) + xtx.data<float>()[j * D + i]);
      cov(i, j) = (s - n * r.mean[i] * r.mean[j]) / denom;
      if (i == j)
        r.totalVariance += cov(i, i);
    }
  r.totalVariance = std::max(0.0, r.totalVariance);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
  r.components.resize(dims, D);
  r.variance.resize(dims);
  for (int64_t k = 0; k < dims; ++k) {
    int64_t col = D - 1 - k; // eigenvalues come in ascending order
    const auto v = solver.eigenvectors().col(col);
    int64_t big = 0;
    for (int64_t i = 1; i < D; ++i)
      if (std::fabs(v[i]) > std::fabs(v[big]))
        big = i;
    const double sign = v[big] < 0 ? -1.0 : 1.0;
    for (int64_t i = 0; i < D; ++i)
      r.components(k, i) = sign * v[i];
    r.variance[k] = std::max(0.0, solver.eigenvalues()[col]);
  }
  return r;
}

class PCAComponent : public FieldComponent {
public:
  enum Field { kXsum, kXtx, kCount, kMean, kComponents, kVariance };

  explicit PCAComponent(const PCAConfig &c) : FieldComponent("PCA", {"finalize"}), dims_(c.dims) {
    addState("xsum", Tensor::zeros(ElemType::F32, {c.inputs}), true);
    addState("xtx", Tensor::zeros(ElemType::F32, {c.inputs, c.inputs}), true);
    addState("count", Tensor::scalarI64(0), true, /*isCounter=*/true);
    addState("mean", Tensor::zeros(ElemType::F32, {c.inputs}), true);
    addState("components", Tensor::zeros(ElemType::F32, {c.dims, c.inputs}), true);
    addState("variance", Tensor::zeros(ElemType::F32, {c.dims}), true);
  }

  std::unique_ptr<Component> clone() const override {
    return std::make_unique<PCAComponent>(*this);
  }

  std::string describe() const override {
    int64_t n = count();
    std::string s = "PCA (dims=" + std::to_string(dims_) +
                    ", inputs=" + std::to_string(state(kXsum).numel()) +
                    "): " + std::to_string(n) + " rows analyzed";
    if (n <= 0)
      return s;
    PCAResult r = computePCA(state(kXsum), state(kXtx), n, dims_);
    const int64_t D = r.mean.size();
    char buf[64];
    for (int64_t k = 0; k < dims_; ++k) {
      s += "\n  component " + std::to_string(k) + ": [";
      for (int64_t i = 0; i < D && i < 8; ++i) {
        std::snprintf(buf, sizeof buf, "%s%.4g", i ? ", " : "", r.components(k, i));
        s += buf;
      }
      s += D > 8 ? ", ...]" : "]";
      double ratio = r.totalVariance > 0 ? r.variance[k] / r.totalVariance : 0.0;
      std::snprintf(buf, sizeof buf, "  variance %.6g (%.1f%%)", r.variance[k], 100 * ratio);
      s += buf;
    }
    return s;
  }

protected:
  bool invokeNative(int, std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &,
                    CallContext &, std::vector<Tensor> &, NativeError &error) override {
    if (!args.empty()) {
      error.message = "PCA.finalize takes no arguments";
      return false;
    }
    int64_t n = count();
    if (n <= 0) {
      error.message = "PCA.finalize: no rows analyzed yet";
      return false;
    }
    PCAResult r = computePCA(state(kXsum), state(kXtx), n, dims_);
    const int64_t D = r.mean.size();
    std::vector<double> mean(r.mean.data(), r.mean.data() + D);
    std::vector<double> comps(static_cast<size_t>(dims_ * D));
    for (int64_t k = 0; k < dims_; ++k)
      for (int64_t i = 0; i < D; ++i)
        comps[static_cast<size_t>(k * D + i)] = r.components(k, i);
    std::vector<double> var(r.variance.data(), r.variance.data() + dims_);
    setField(kMean, Tensor::fromDoubles(ElemType::F32, {D}, mean));
    setField(kComponents, Tensor::fromDoubles(ElemType::F32, {dims_, D}, comps));
    setField(kVariance, Tensor::fromDoubles(ElemType::F32, {dims_}, var));
    return true;
  }

private:
  int64_t count() const { return state(kCount).data<int64_t>()[0]; }
  int64_t dims_;
};

} // namespace

std::unique_ptr<ComponentType> makePCAType() {
  return std::make_unique<ConfiguredType<PCAConfig, PCAComponent>>("PCA", parseConfig, schemaFor);
}

} // namespace kiln::runtime
