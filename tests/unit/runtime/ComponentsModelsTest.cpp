// Model components (Tensor, PCA, RBM, LogisticRegression, KMeans): schemas
// with concrete shapes from the configuration, kernel sources, initial
// state, native methods, checkpoints and clones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/Philox.h"
#include "runtime/Registry.h"
#include "runtime/components/FieldComponent.h"
#include "tests/unit/runtime/ComponentsTestUtil.h"

namespace kiln::runtime {
namespace {

using namespace kiln::runtime::testing;
using ::testing::HasSubstr;

ir::Type f32(std::vector<int64_t> dims) { return ir::Type::tensor(ElemType::F32, std::move(dims)); }
constexpr int64_t Q = ir::kDynamic;

ir::ComponentSchema resolve(const Registry &r, const std::string &type,
                            const std::vector<ir::NamedAttribute> &config) {
  std::string error;
  std::optional<ir::ComponentSchema> s = r.resolveComponent(type, "", config, &error);
  EXPECT_TRUE(s) << error;
  return s.value_or(ir::ComponentSchema());
}

/// Every kernel method has exactly one kernel definition; every other
/// method is native on a live instance; fields match the instance.
void expectConsistent(const Registry &r, const std::string &type,
                      const std::vector<ir::NamedAttribute> &config) {
  ir::ComponentSchema s = resolve(r, type, config);
  std::unique_ptr<Component> c = create(r, type, "", config);
  ASSERT_TRUE(c);
  for (const ir::MethodSchema &m : s.methods) {
    std::string head = "kernel " + type + "." + m.name + "(self: " + type;
    size_t first = s.kernelSource.find(head);
    if (m.isKernel) {
      EXPECT_NE(first, std::string::npos) << head;
      EXPECT_EQ(s.kernelSource.find(head, first + 1), std::string::npos) << head;
      EXPECT_EQ(c->methodIndex(m.name), -1) << m.name;
    } else {
      EXPECT_EQ(first, std::string::npos) << head;
      EXPECT_GE(c->methodIndex(m.name), 0) << m.name;
    }
  }
  for (const ir::StateFieldSchema &f : s.fields) {
    int i = c->fieldIndex(f.name);
    ASSERT_GE(i, 0) << f.name;
    EXPECT_EQ(c->field(i).type(), f.type) << f.name;
  }
  EXPECT_EQ(c->fieldIndex("nope"), -1);
}

TEST(ModelSchemas, ConcreteShapesFromConfig) {
  Registry r = Registry::withBuiltins();
  ir::ComponentSchema rbm = resolve(r, "RBM", {kv("visible", 784), kv("hidden", 256), kv("seed", 1)});
  EXPECT_EQ(rbm.field("W")->type, f32({784, 256}));
  EXPECT_EQ(rbm.field("hb")->type, f32({256}));
  EXPECT_EQ(rbm.field("vb")->type, f32({784}));
  const ir::MethodSchema *cd1 = rbm.method("cd1_update");
  ASSERT_NE(cd1, nullptr);
  EXPECT_TRUE(cd1->isKernel);
  EXPECT_FALSE(cd1->readOnly);
  EXPECT_EQ(cd1->params[0].type, f32({Q, 784}));
  EXPECT_EQ(cd1->params[1].type, ir::Type::f32());
  EXPECT_EQ(rbm.method("reconstruction_error")->results, std::vector<ir::Type>{ir::Type::f32()});
  EXPECT_TRUE(rbm.method("hidden")->readOnly);
  EXPECT_THAT(rbm.kernelSource,
              HasSubstr("kernel RBM.cd1_update(self: RBM, v0: f32[?, 784], lr: f32) {\n"
                        "    h0 = sigmoid(v0 @ self.W + self.hb)\n"
                        "    hs = bernoulli(h0)\n"
                        "    v1 = sigmoid(hs @ self.W.T + self.vb)\n"
                        "    h1 = sigmoid(v1 @ self.W + self.hb)\n"
                        "    self.W += lr * (v0.T @ h0 - v1.T @ h1) / rows(v0)\n"
                        "    self.hb += lr * mean(h0 - h1, axis=0)\n"
                        "    self.vb += lr * mean(v0 - v1, axis=0)\n"
                        "}\n"));
  EXPECT_THAT(rbm.kernelSource, HasSubstr("kernel RBM.cd1(self: RBM, v0: f32[?, 784]) {\n"
                                          "    h0 = sigmoid(v0 @ self.W + self.hb)\n"));
  EXPECT_THAT(rbm.kernelSource, HasSubstr("    self.W += 0.1 * (v0.T @ h0"));
  EXPECT_THAT(resolve(r, "RBM", {kv("visible", 2), kv("hidden", 3), kv("lr", 0.25)}).kernelSource,
              HasSubstr("self.hb += 0.25 * mean(h0 - h1, axis=0)"));

  ir::ComponentSchema lr = resolve(r, "LogisticRegression", {kv("inputs", 5), kv("classes", 3)});
  EXPECT_EQ(lr.field("W")->type, f32({5, 3}));
  EXPECT_EQ(lr.field("b")->type, f32({3}));
  EXPECT_EQ(lr.method("sgd_step")->params[1].type, f32({Q, 3}));
  EXPECT_EQ(lr.method("predict")->results[0], ir::Type::tensor(ElemType::I64, {Q}));
  EXPECT_THAT(lr.kernelSource, HasSubstr("kernel LogisticRegression.sgd_step(self: "
                                         "LogisticRegression, x: f32[?, 5], y: f32[?, 3], lr: f32)"));

  ir::ComponentSchema km = resolve(r, "KMeans", {kv("k", 4), kv("dims", 2)});
  EXPECT_EQ(km.field("centroids")->type, f32({4, 2}));
  EXPECT_EQ(km.field("counts")->type, ir::Type::tensor(ElemType::I64, {4}));
  EXPECT_FALSE(km.method("update")->isKernel);
  EXPECT_TRUE(km.method("assign")->isKernel);
  EXPECT_THAT(km.kernelSource, HasSubstr("kernel KMeans.assign(self: KMeans, x: f32[?, 2]) {"));

  ir::ComponentSchema pca = resolve(r, "PCA", {kv("dims", 2), kv("inputs", 3)});
  EXPECT_EQ(pca.field("xtx")->type, f32({3, 3}));
  EXPECT_EQ(pca.field("count")->type, ir::Type::i64());
  EXPECT_EQ(pca.field("components")->type, f32({2, 3}));
  EXPECT_EQ(pca.method("transform")->results[0], f32({Q, 2}));
  EXPECT_FALSE(pca.method("finalize")->isKernel);
  EXPECT_THAT(pca.kernelSource, HasSubstr("kernel PCA.analyze(self: PCA, x: f32[?, 3]) {\n"
                                          "    self.xsum += sum(x, axis=0)\n"));
  // inputs defaults to dims (the seed note's PCA(dims=1) on one-column data).
  EXPECT_EQ(resolve(r, "PCA", {kv("dims", 1)}).field("xtx")->type, f32({1, 1}));

  ir::ComponentSchema t = resolve(r, "Tensor", {{"shape", ir::Attribute::intArray({784, 10})}});
  EXPECT_EQ(t.field("value")->type, f32({784, 10}));
  EXPECT_EQ(resolve(r, "Tensor", {{"shape", ir::Attribute::intArray({})}, kv("dtype", "f64")})
                .field("value")
                ->type,
            ir::Type::f64());

  expectConsistent(r, "RBM", {kv("visible", 6), kv("hidden", 4)});
  expectConsistent(r, "LogisticRegression", {kv("inputs", 6), kv("classes", 4)});
  expectConsistent(r, "KMeans", {kv("k", 3), kv("dims", 2)});
  expectConsistent(r, "PCA", {kv("dims", 2), kv("inputs", 5)});
  expectConsistent(r, "Tensor", {{"shape", ir::Attribute::intArray({2, 2})}});
}

TEST(TensorComponent, InitializersAreTheScalarDrawsAtOffsetsFromZero) {
  // Drawn by the runtime's (vectorized, parallel) kernels; the numbers are
  // the scalar definitions at element offsets 0, 1, ... (runtime/Philox.h),
  // scaled in f32 (f32 normals) or f64 and rounded to the dtype.
  const int64_t n = 20011;
  Tensor nf = randomNormal(ElemType::F32, {n}, 4, 2, 0.5);
  Tensor nd = randomNormal(ElemType::F64, {n}, 4, 2, 0.5);
  Tensor uf = randomUniform(ElemType::F32, {n}, 4, 2, -2.0, 3.0);
  Tensor ud = randomUniform(ElemType::F64, {n}, 4, 2, -2.0, 3.0);
  int bad = 0;
  for (int64_t i = 0; i < n && bad < 5; ++i) {
    const uint64_t o = uint64_t(i);
    bad += nf.data<float>()[i] != philox::normalF32(4, 2, o) * 0.5f;
    bad += nd.data<double>()[i] != 0.5 * philox::normalF64(4, 2, o);
    bad += uf.data<float>()[i] != float(-2.0 + 5.0 * philox::uniformF64(4, 2, o));
    bad += ud.data<double>()[i] != -2.0 + 5.0 * philox::uniformF64(4, 2, o);
  }
  EXPECT_EQ(bad, 0);
}

TEST(TensorComponent, InitialValues) {
  Registry r = Registry::withBuiltins();
  auto shape = ir::NamedAttribute{"shape", ir::Attribute::intArray({3, 4})};
  auto zeros = create(r, "Tensor", "", {shape});
  EXPECT_EQ(values(zeros->field(0)), std::vector<double>(12, 0.0));
  auto ones = create(r, "Tensor", "", {shape, kv("init", "ones")});
  EXPECT_EQ(values(ones->field(0)), std::vector<double>(12, 1.0));
  auto n1 = create(r, "Tensor", "", {shape, kv("init", "randn"), kv("seed", 4), kv("scale", 0.5)});
  auto n2 = create(r, "Tensor", "", {shape, kv("init", "randn"), kv("seed", 4), kv("scale", 0.5)});
  auto n3 = create(r, "Tensor", "", {shape, kv("init", "randn"), kv("seed", 5), kv("scale", 0.5)});
  EXPECT_TRUE(n1->field(0).bitwiseEqual(n2->field(0)));
  EXPECT_FALSE(n1->field(0).bitwiseEqual(n3->field(0)));
  auto u = create(r, "Tensor", "",
                  {shape, kv("init", "uniform"), kv("low", -2), kv("high", -1), kv("seed", 1)});
  for (double v : values(u->field(0))) {
    EXPECT_GE(v, -2.0);
    EXPECT_LE(v, -1.0);
  }
  std::string error;
  EXPECT_FALSE(r.createComponent("Tensor", "", {shape, kv("scale", 2.0)}, error));
  EXPECT_EQ(error, "Tensor: unknown key 'scale' (valid keys: shape, dtype, init, seed)");
  EXPECT_FALSE(r.createComponent("Tensor", "", {{"shape", ir::Attribute::intArray({3, 0})}}, error));
  EXPECT_THAT(error, HasSubstr("key 'shape' must list positive sizes"));

  // setField replaces the value; a checkpoint restores it into a fresh one.
  Tensor v = Tensor::full(ElemType::F32, {3, 4}, 2.5);
  ones->setField(0, v);
  auto fresh = create(r, "Tensor", "", {shape});
  ASSERT_TRUE(fresh->loadState(ones->saveState(), error)) << error;
  EXPECT_TRUE(fresh->field(0).bitwiseEqual(v));
  auto other = create(r, "Tensor", "", {{"shape", ir::Attribute::intArray({4, 3})}});
  EXPECT_FALSE(other->loadState(ones->saveState(), error));
  EXPECT_THAT(error, HasSubstr("Tensor: checkpoint state 'value' has type f32[3, 4], expected f32[4, 3]"));
}

// Sets PCA's accumulators as the analyze kernel would for rows `x` (D = 2).
void analyze(Component &pca, const std::vector<std::array<double, 2>> &x) {
  std::vector<double> sum(2, 0), xtx(4, 0);
  for (const auto &row : x)
    for (int i = 0; i < 2; ++i) {
      sum[i] += row[i];
      for (int j = 0; j < 2; ++j)
        xtx[i * 2 + j] += row[i] * row[j];
    }
  pca.setField(pca.fieldIndex("xsum"), Tensor::fromDoubles(ElemType::F32, {2}, sum));
  pca.setField(pca.fieldIndex("xtx"), Tensor::fromDoubles(ElemType::F32, {2, 2}, xtx));
  pca.setField(pca.fieldIndex("count"), Tensor::scalarI64(static_cast<int64_t>(x.size())));
}

TEST(PCA, FinalizeFindsTheCovarianceEigenbasis) {
  Registry r = Registry::withBuiltins();
  auto pca = create(r, "PCA", "", {kv("dims", 2), kv("inputs", 2)});
  NativeError error;
  CallContext ctx;
  std::vector<Tensor> results;
  EXPECT_FALSE(pca->invoke(pca->methodIndex("finalize"), {}, {}, ctx, results, error));
  EXPECT_EQ(error.message, "PCA.finalize: no rows analyzed yet");
  EXPECT_THAT(pca->describe(), HasSubstr("0 rows analyzed"));

  // Centered rows (3,3), (-3,-3), (1,-1), (-1,1) shifted by (10, -5):
  // sample covariance [[20, 16], [16, 20]] / 3, eigenvalues 12 and 4/3 with
  // eigenvectors (1, 1)/sqrt2 and (1, -1)/sqrt2 (largest entry positive,
  // the first one on a tie).
  analyze(*pca, {{13, -2}, {7, -8}, {11, -6}, {9, -4}});
  call(*pca, "finalize");
  const double h = std::sqrt(0.5);
  std::vector<double> comps = values(pca->field(pca->fieldIndex("components")));
  std::vector<double> want = {h, h, h, -h};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(comps[i], want[i], 1e-6) << i;
  std::vector<double> var = values(pca->field(pca->fieldIndex("variance")));
  EXPECT_NEAR(var[0], 12.0, 1e-4);
  EXPECT_NEAR(var[1], 4.0 / 3.0, 1e-4);
  EXPECT_EQ(values(pca->field(pca->fieldIndex("mean"))), (std::vector<double>{10, -5}));
  std::string text = pca->describe();
  EXPECT_THAT(text, HasSubstr("4 rows analyzed"));
  EXPECT_THAT(text, HasSubstr("component 0: [0.7071, 0.7071]  variance 12 (90.0%)"));
  EXPECT_THAT(text, HasSubstr("component 1: [0.7071, -0.7071]  variance 1.33333 (10.0%)"));

  // The sign convention holds for the mirrored data too.
  auto mirrored = create(r, "PCA", "", {kv("dims", 1), kv("inputs", 2)});
  analyze(*mirrored, {{-13, 2}, {-7, 8}, {-11, 6}, {-9, 4}});
  call(*mirrored, "finalize");
  std::vector<double> c = values(mirrored->field(mirrored->fieldIndex("components")));
  EXPECT_NEAR(c[0], h, 1e-6);
  EXPECT_NEAR(c[1], h, 1e-6);

  // Checkpoint and clone carry the accumulators and the result.
  auto restored = create(r, "PCA", "", {kv("dims", 2), kv("inputs", 2)});
  std::string msg;
  ASSERT_TRUE(restored->loadState(pca->saveState(), msg)) << msg;
  expectSameState(*pca, *restored);
  std::unique_ptr<Component> clone = pca->clone();
  analyze(*clone, {{1, 2}, {3, 5}});
  call(*clone, "finalize");
  expectSameState(*pca, *restored);
}

TEST(RBM, InitialStateCheckpointAndClone) {
  Registry r = Registry::withBuiltins();
  std::vector<ir::NamedAttribute> cfg = {kv("visible", 30), kv("hidden", 20), kv("seed", 11)};
  auto a = create(r, "RBM", "", cfg);
  auto b = create(r, "RBM", "", cfg);
  expectSameState(*a, *b);
  auto c = create(r, "RBM", "", {kv("visible", 30), kv("hidden", 20), kv("seed", 12)});
  EXPECT_FALSE(a->field(0).bitwiseEqual(c->field(0)));
  double sq = 0;
  for (double w : values(a->field(0)))
    sq += w * w;
  EXPECT_NEAR(std::sqrt(sq / 600), 0.01, 0.002); // init_scale 0.01
  EXPECT_EQ(values(a->field(a->fieldIndex("hb"))), std::vector<double>(20, 0.0));

  // A kernel's update (setField) survives a save/load into a fresh instance.
  a->setField(a->fieldIndex("vb"), Tensor::full(ElemType::F32, {30}, 0.5));
  std::string error;
  ASSERT_TRUE(b->loadState(a->saveState(), error)) << error;
  expectSameState(*a, *b);
  std::unique_ptr<Component> d = a->clone();
  d->setField(d->fieldIndex("vb"), Tensor::zeros(ElemType::F32, {30}));
  EXPECT_EQ(a->field(a->fieldIndex("vb")).at(0), 0.5);

  auto smaller = create(r, "RBM", "", {kv("visible", 30), kv("hidden", 19)});
  EXPECT_FALSE(smaller->loadState(a->saveState(), error));
  EXPECT_THAT(error, HasSubstr("'W' has type f32[30, 20], expected f32[30, 19]"));
  std::vector<NamedTensor> renamed = a->saveState();
  renamed[1].name = "bias";
  EXPECT_FALSE(b->loadState(renamed, error));
  EXPECT_THAT(error, HasSubstr("is 'bias', expected 'hb'"));
}

TEST(LogisticRegression, InitialState) {
  Registry r = Registry::withBuiltins();
  auto zero = create(r, "LogisticRegression", "", {kv("inputs", 4), kv("classes", 3)});
  EXPECT_EQ(values(zero->field(0)), std::vector<double>(12, 0.0));
  auto seeded = create(r, "LogisticRegression", "", {kv("inputs", 4), kv("classes", 3), kv("seed", 2)});
  EXPECT_NE(values(seeded->field(0)), std::vector<double>(12, 0.0));
  EXPECT_EQ(values(seeded->field(1)), std::vector<double>(3, 0.0));
  EXPECT_EQ(seeded->methodIndex("sgd_step"), -1); // a kernel, not native
}

/// Rows around (0, 0), (10, 10) and (-10, 10), interleaved.
Tensor clusters(int64_t n, double jitter) {
  std::vector<double> v;
  const double centers[3][2] = {{0, 0}, {10, 10}, {-10, 10}};
  for (int64_t i = 0; i < n; ++i) {
    const double *c = centers[i % 3];
    double dx = jitter * std::sin(double(i) * 1.7), dy = jitter * std::cos(double(i) * 2.3);
    v.push_back(c[0] + dx);
    v.push_back(c[1] + dy);
  }
  return Tensor::fromDoubles(ElemType::F32, {n, 2}, v);
}

TEST(KMeans, UpdateFindsClustersAndResumesBitwise) {
  Registry r = Registry::withBuiltins();
  std::vector<ir::NamedAttribute> cfg = {kv("k", 3), kv("dims", 2), kv("seed", 4)};
  auto km = create(r, "KMeans", "", cfg);
  call(*km, "update", {clusters(30, 1.0)});
  std::vector<NamedTensor> saved = km->saveState();
  EXPECT_EQ(saved.back().name, "draws");
  EXPECT_EQ(saved.back().value.item(), 3); // three centroids seeded
  for (int i = 0; i < 5; ++i)
    call(*km, "update", {clusters(30, 1.0)});
  Tensor counts = km->field(km->fieldIndex("counts"));
  EXPECT_EQ(counts.at(0) + counts.at(1) + counts.at(2), 180);
  // Every update saw the same rows, so each centroid is the mean of its
  // cluster's rows (the seeded starting points carry no weight).
  std::vector<double> c = values(km->field(km->fieldIndex("centroids")));
  std::vector<double> rows = values(clusters(30, 1.0));
  for (int cluster = 0; cluster < 3; ++cluster) {
    double mx = 0, my = 0;
    for (int i = cluster; i < 30; i += 3) {
      mx += rows[2 * i] / 10;
      my += rows[2 * i + 1] / 10;
    }
    double best = 1e9;
    for (int j = 0; j < 3; ++j)
      best = std::min(best, std::hypot(c[2 * j] - mx, c[2 * j + 1] - my));
    EXPECT_LT(best, 1e-4) << "cluster " << cluster;
  }

  // Resume from the first checkpoint: bitwise the same after the same calls.
  auto resumed = create(r, "KMeans", "", cfg);
  std::string error;
  ASSERT_TRUE(resumed->loadState(saved, error)) << error;
  std::unique_ptr<Component> forked = resumed->clone();
  for (int i = 0; i < 5; ++i)
    call(*resumed, "update", {clusters(30, 1.0)});
  expectSameState(*km, *resumed);
  // The clone before those updates is untouched by them.
  std::vector<NamedTensor> forkState = forked->saveState();
  EXPECT_TRUE(forkState[0].value.bitwiseEqual(saved[0].value));

  // Bad input is a user error naming the expected type.
  NativeError nerr;
  CallContext ctx;
  std::vector<Tensor> results;
  Tensor wrong = Tensor::zeros(ElemType::F32, {4, 3});
  EXPECT_FALSE(km->invoke(km->methodIndex("update"), std::span<const Tensor>(&wrong, 1), {}, ctx,
                          results, nerr));
  EXPECT_EQ(nerr.message, "KMeans.update expects f32[?, 2], got f32[4, 3]");
  // Fewer rows than empty centroids: seeds what it can.
  auto small = create(r, "KMeans", "", cfg);
  call(*small, "update", {clusters(2, 0.0)});
  Tensor sc = small->field(small->fieldIndex("counts"));
  EXPECT_EQ(sc.at(0) + sc.at(1) + sc.at(2), 2);
}

} // namespace
} // namespace kiln::runtime
