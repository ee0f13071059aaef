// KMeans: online (mini-batch) k-means clustering.
//
//   km = KMeans(k=10, dims=784, seed=1)
//
// Fields: centroids f32[k, D], counts i64[k] (rows assigned so far).
// Private state: draws i64 (Philox draws used so far, so seeding continues
// identically after a resume).
//
//   assign(x: f32[?, D]) -> i64[?]  kernel: index of the nearest centroid
//   inertia(x) -> f32               kernel: mean squared distance to it
//   update(x: f32[?, D])            NATIVE (see below)
//
// update is native because it needs the one-hot assignment matrix (a
// comparison turned into f32 weights, i.e. select/cast), which the kernel
// notation does not offer. It is mini-batch k-means (Sculley 2010) in its
// batch form: each centroid moves to the weighted mean of its old position
// (weight counts[j]) and the rows assigned to it, computed in f64.
// Centroids that have never been assigned a row (counts[j] == 0, e.g. all
// of them before the first update) are first placed on rows of the batch
// by k-means++ seeding (D^2 weighting) with Philox stream (seed, 0) draws. Assignment in update uses
// exact f64 distances (nearest first on ties); the assign kernel uses the
// f32 expansion |c|^2 - 2 x.c, which may differ on near-ties.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "ir/Types.h"
#include "runtime/Philox.h"
#include "runtime/components/Builtins.h"
#include "runtime/components/Config.h"
#include "runtime/components/ConfiguredType.h"
#include "runtime/components/FieldComponent.h"

namespace kiln::runtime {
namespace {

struct KMeansConfig {
  int64_t k = 0, dims = 0;
  uint64_t seed = 0;
};

std::optional<KMeansConfig> parseConfig(std::string_view constructor,
                                        const std::vector<ir::NamedAttribute> &config,
                                        std::string &error) {
  if (!rejectConstructor("KMeans", constructor, error))
    return std::nullopt;
  KMeansConfig c;
  ConfigReader r("KMeans", config);
  c.k = r.integerAtLeast("k", 1);
  c.dims = r.integerAtLeast("dims", 1);
  c.seed = static_cast<uint64_t>(r.integer("seed", 0));
  int64_t total;
  if (r.ok() && (__builtin_mul_overflow(c.k, c.dims, &total) || total > ir::kMaxTensorElements))
    r.fail("k * dims is too large");
  if (!r.finish(error))
    return std::nullopt;
  return c;
}

ir::ComponentSchema schemaFor(const KMeansConfig &c) {
  const int64_t K = c.k, D = c.dims, dyn = ir::kDynamic;
  auto f32 = [](std::vector<int64_t> dims) { return ir::Type::tensor(ElemType::F32, std::move(dims)); };
  ir::ComponentSchema s;
  s.typeName = "KMeans";
  s.fields = {{"centroids", f32({K, D})}, {"counts", ir::Type::tensor(ElemType::I64, {K})}};
  ir::ParamSchema x{"x", f32({dyn, D})};
  ir::MethodSchema assign{"assign", {x}, {ir::Type::tensor(ElemType::I64, {dyn})}, true, true, ""};
  ir::MethodSchema inertia{"inertia", {x}, {ir::Type::f32()}, true, true, ""};
  ir::MethodSchema update{"update", {x}, {}, false, false, ""};
  // |x - c|^2 = |x|^2 + |c|^2 - 2 x.c; the nearest centroid maximizes
  // 2 x.c - |c|^2 (the per-row |x|^2 does not change the argmax).
  s.kernelSource =
      kernelText("KMeans", assign,
                 "    cc = sum(self.centroids * self.centroids, axis=1)\n"
                 "    return argmax(2.0 * (x @ self.centroids.T) - cc, axis=1)\n") +
      kernelText("KMeans", inertia,
                 "    cc = sum(self.centroids * self.centroids, axis=1)\n"
                 "    d = cc - 2.0 * (x @ self.centroids.T)\n"
                 "    return mean(min(d, axis=1) + sum(x * x, axis=1))\n");
  s.methods = {std::move(assign), std::move(inertia), std::move(update)};
  return s;
}

double squaredDistance(const float *a, const float *b, int64_t D) {
  double d = 0;
  for (int64_t t = 0; t < D; ++t) {
    double diff = double(a[t]) - b[t];
    d += diff * diff;
  }
  return d;
}

class KMeansComponent : public FieldComponent {
public:
  enum State { kCentroids, kCounts, kDraws };

  explicit KMeansComponent(const KMeansConfig &c)
      : FieldComponent("KMeans", {"update"}), k_(c.k), dims_(c.dims), seed_(c.seed) {
    addState("centroids", Tensor::zeros(ElemType::F32, {c.k, c.dims}), true);
    addState("counts", Tensor::zeros(ElemType::I64, {c.k}), true, /*isCounter=*/true);
    addState("draws", Tensor::scalarI64(0), false, /*isCounter=*/true);
  }

  std::unique_ptr<Component> clone() const override {
    return std::make_unique<KMeansComponent>(*this);
  }

  std::string describe() const override {
    std::string s = "KMeans (k=" + std::to_string(k_) + ", dims=" + std::to_string(dims_) +
                    "): counts " + state(kCounts).str(16);
    return s;
  }

protected:
  bool invokeNative(int, std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &,
                    CallContext &, std::vector<Tensor> &, NativeError &error) override {
    if (args.size() != 1 || !checkF32Matrix(args[0], dims_, "KMeans.update", error.message)) {
      if (error.message.empty())
        error.message = "KMeans.update takes one argument x: f32[?, " + std::to_string(dims_) + "]";
      return false;
    }
    const Tensor &x = args[0];
    const int64_t n = x.dim(0), D = dims_;
    if (n == 0)
      return true;
    const float *xs = x.data<float>();
    Tensor centroids = state(kCentroids).copy();
    Tensor counts = state(kCounts).copy();
    float *c = centroids.data<float>();
    int64_t *cnt = counts.data<int64_t>();
    int64_t draws = state(kDraws).data<int64_t>()[0];

    // 1. Seed never-assigned centroids on rows of the batch, k-means++
    //    style: each pick is a row drawn with probability proportional to
    //    its squared distance to the nearest centroid in use (uniformly
    //    when there is none, or when every row sits on one).
    std::vector<double> d2(static_cast<size_t>(n), INFINITY);
    auto addCenter = [&](const float *center) {
      for (int64_t i = 0; i < n; ++i)
        d2[static_cast<size_t>(i)] =
            std::min(d2[static_cast<size_t>(i)], squaredDistance(xs + i * D, center, D));
    };
    for (int64_t j = 0; j < k_; ++j)
      if (cnt[j] > 0)
        addCenter(c + j * D);
    for (int64_t j = 0; j < k_; ++j) {
      if (cnt[j] > 0)
        continue;
      double u = philox::uniformF64(seed_, 0, static_cast<uint64_t>(draws++));
      double total = 0;
      for (double d : d2)
        total += d;
      int64_t pick = std::min<int64_t>(n - 1, static_cast<int64_t>(u * double(n)));
      if (std::isfinite(total) && total > 0) {
        double target = u * total, cumulative = 0;
        for (int64_t i = 0; i < n; ++i) {
          if (d2[static_cast<size_t>(i)] <= 0)
            continue;
          pick = i;
          cumulative += d2[static_cast<size_t>(i)];
          if (cumulative > target)
            break;
        }
      }
      std::memcpy(c + j * D, xs + pick * D, static_cast<size_t>(D) * sizeof(float));
      addCenter(c + j * D);
    }

    // 2. Assign each row to its nearest centroid (f64 distances).
    std::vector<double> sums(static_cast<size_t>(k_ * D), 0.0);
    std::vector<int64_t> assigned(static_cast<size_t>(k_), 0);
    for (int64_t i = 0; i < n; ++i) {
      const float *xi = xs + i * D;
      int64_t best = 0;
      double bestDist = INFINITY;
      for (int64_t j = 0; j < k_; ++j) {
        double d = squaredDistance(xi, c + j * D, D);
        if (d < bestDist) {
          bestDist = d;
          best = j;
        }
      }
      ++assigned[static_cast<size_t>(best)];
      double *sj = sums.data() + best * D;
      for (int64_t t = 0; t < D; ++t)
        sj[t] += xi[t];
    }

    // 3. Move each centroid to the weighted mean of old position and new rows.
    for (int64_t j = 0; j < k_; ++j) {
      int64_t nj = assigned[static_cast<size_t>(j)];
      if (nj == 0)
        continue;
      int64_t total = cnt[j] + nj;
      float *cj = c + j * D;
      const double *sj = sums.data() + j * D;
      for (int64_t t = 0; t < D; ++t)
        cj[t] = static_cast<float>(cj[t] + (sj[t] - double(nj) * cj[t]) / double(total));
      cnt[j] = total;
    }
    setField(kCentroids, std::move(centroids));
    setField(kCounts, std::move(counts));
    state(kDraws) = Tensor::scalarI64(draws);
    return true;
  }

private:
  int64_t k_, dims_;
  uint64_t seed_;
};

} // namespace

std::unique_ptr<ComponentType> makeKMeansType() {
  return std::make_unique<ConfiguredType<KMeansConfig, KMeansComponent>>("KMeans", parseConfig, schemaFor);
}

} // namespace kiln::runtime
