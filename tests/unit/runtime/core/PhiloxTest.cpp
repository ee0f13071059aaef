// Philox4x32-10: Random123's known-answer vectors, kiln's mapping of draws to
// element offsets, and determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <omp.h>

#include "runtime/Kernels.h"
#include "runtime/Philox.h"

using kiln::ir::ElemType;
using kiln::runtime::Tensor;
namespace philox = kiln::runtime::philox;
namespace kernels = kiln::runtime::kernels;

// Random123 kat_vectors, "philox4x32 10" lines.
TEST(Philox, KnownAnswerVectors) {
  EXPECT_EQ(philox::philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (philox::Counter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                  {0xffffffff, 0xffffffff}),
            (philox::Counter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                                  {0xa4093822, 0x299f31d0}),
            (philox::Counter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, KeyAndCounterLayout) {
  uint64_t seed = 0x0123456789abcdefull, stream = 0xfedcba9876543210ull;
  EXPECT_EQ(philox::block(seed, stream, 5),
            philox::philox4x32_10({5, 0, 0x76543210, 0xfedcba98}, {0x89abcdef, 0x01234567}));
}

TEST(Philox, UnitConversions) {
  EXPECT_EQ(philox::toUnitF32(0), 0.0f);
  EXPECT_EQ(philox::toUnitF32(0xffffffffu), 1.0f - 0x1.0p-24f); // never 1
  EXPECT_EQ(philox::toUnitF64(0, 0), 0.0);
  EXPECT_EQ(philox::toUnitF64(0xffffffffu, 0xffffffffu), 1.0 - 0x1.0p-53);
  EXPECT_EQ(philox::toUnitF64(0x800u, 0), 0x1.0p-53); // bit 11 is the lowest kept
}

TEST(Philox, ElementOffsetsMatchTheScalarFunctions) {
  Tensor u = kernels::randomUniform(ElemType::F32, {3, 5}, 42, 3, 7);
  for (int64_t i = 0; i < 15; ++i)
    EXPECT_EQ(u.data<float>()[i], philox::uniformF32(42, 3, 7 + uint64_t(i)));
  Tensor d = kernels::randomUniform(ElemType::F64, {9}, 42, 3, 3);
  for (int64_t i = 0; i < 9; ++i)
    EXPECT_EQ(d.data<double>()[i], philox::uniformF64(42, 3, 3 + uint64_t(i)));
  Tensor n = kernels::randomNormal(ElemType::F64, {7}, 42, 3, 1);
  for (int64_t i = 0; i < 7; ++i)
    EXPECT_EQ(n.data<double>()[i], philox::normalF64(42, 3, 1 + uint64_t(i)));
  Tensor nf = kernels::randomNormal(ElemType::F32, {7}, 42, 3, 1);
  for (int64_t i = 0; i < 7; ++i)
    EXPECT_EQ(nf.data<float>()[i], float(philox::normalF64(42, 3, 1 + uint64_t(i))));
}

TEST(Philox, SplitDrawsEqualOneDraw) {
  // What the VM relies on: drawing n then m elements (advancing the counter)
  // gives the same numbers as drawing n + m at once.
  for (ElemType dt : {ElemType::F32, ElemType::F64}) {
    Tensor all = kernels::randomNormal(dt, {11}, 9, 2, 0);
    Tensor a = kernels::randomNormal(dt, {5}, 9, 2, 0);
    Tensor b = kernels::randomNormal(dt, {6}, 9, 2, 5);
    for (int64_t i = 0; i < 11; ++i)
      EXPECT_EQ(all.at(i), i < 5 ? a.at(i) : b.at(i - 5));
    Tensor ua = kernels::randomUniform(dt, {11}, 9, 2, 0);
    Tensor ub = kernels::randomUniform(dt, {8}, 9, 2, 3);
    for (int64_t i = 3; i < 11; ++i)
      EXPECT_EQ(ua.at(i), ub.at(i - 3));
  }
}

TEST(Philox, StreamsAndSeedsDiffer) {
  Tensor a = kernels::randomUniform(ElemType::F32, {64}, 1, 0, 0);
  Tensor b = kernels::randomUniform(ElemType::F32, {64}, 1, 1, 0);
  Tensor c = kernels::randomUniform(ElemType::F32, {64}, 2, 0, 0);
  EXPECT_FALSE(a.bitwiseEqual(b));
  EXPECT_FALSE(a.bitwiseEqual(c));
  EXPECT_TRUE(a.bitwiseEqual(kernels::randomUniform(ElemType::F32, {64}, 1, 0, 0)));
}

TEST(Philox, ThreadCountDoesNotMatter) {
  int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  Tensor u1 = kernels::randomUniform(ElemType::F32, {300000}, 5, 6, 123);
  Tensor n1 = kernels::randomNormal(ElemType::F64, {200001}, 5, 6, 3);
  omp_set_num_threads(2);
  Tensor u2 = kernels::randomUniform(ElemType::F32, {300000}, 5, 6, 123);
  Tensor n2 = kernels::randomNormal(ElemType::F64, {200001}, 5, 6, 3);
  omp_set_num_threads(saved);
  EXPECT_TRUE(u1.bitwiseEqual(u2));
  EXPECT_TRUE(n1.bitwiseEqual(n2));
}

TEST(Philox, Moments) {
  // Deterministic draws, so these bounds cannot flake: they catch gross
  // mapping bugs (wrong bits, wrong scale), not subtle bias.
  const int64_t n = 200000;
  Tensor u = kernels::randomUniform(ElemType::F64, {n}, 11, 0, 0);
  Tensor z = kernels::randomNormal(ElemType::F64, {n}, 11, 1, 0);
  double su = 0, suu = 0, sz = 0, szz = 0, umin = 1, umax = 0;
  for (int64_t i = 0; i < n; ++i) {
    double x = u.at(i), y = z.at(i);
    su += x; suu += x * x; sz += y; szz += y * y;
    umin = std::min(umin, x); umax = std::max(umax, x);
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(suu / n - (su / n) * (su / n), 1.0 / 12, 0.002);
  EXPECT_NEAR(sz / n, 0.0, 0.01);
  EXPECT_NEAR(szz / n, 1.0, 0.01);
  EXPECT_GE(umin, 0.0);
  EXPECT_LT(umax, 1.0);
}

TEST(Philox, Bernoulli) {
  Tensor p = Tensor::fromDoubles(ElemType::F32, {4}, std::vector<double>{0.0, 1.0, 0.5, 0.25});
  Tensor big = Tensor::full(ElemType::F32, {100000}, 0.3);
  Tensor b = kernels::randomBernoulli(big, 3, 4, 0);
  Tensor u = kernels::randomUniform(ElemType::F32, {100000}, 3, 4, 0);
  double ones = 0;
  for (int64_t i = 0; i < 100000; ++i) {
    EXPECT_EQ(b.at(i), u.at(i) < 0.3f ? 1.0 : 0.0);
    ones += b.at(i);
  }
  EXPECT_NEAR(ones / 100000, 0.3, 0.01);
  Tensor e = kernels::randomBernoulli(p, 1, 1, 0);
  EXPECT_EQ(e.at(0), 0.0); // u < 0 never
  EXPECT_EQ(e.at(1), 1.0); // u < 1 always
  EXPECT_EQ(e.dtype(), ElemType::F32);
}
