// Philox4x32-10: Random123's known-answer vectors, kiln's mapping of draws to
// element offsets, and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <omp.h>
#include <vector>

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
    EXPECT_EQ(nf.data<float>()[i], philox::normalF32(42, 3, 1 + uint64_t(i)));
  // Long enough for the host-ISA block loop (vectorized, on the job pool) to
  // write most of it, at an offset that is not a block boundary: bitwise the
  // scalar definition, element by element.
  const int64_t len = 100003;
  Tensor big = kernels::randomNormal(ElemType::F32, {len}, 42, 3, 5);
  int mismatches = 0;
  for (int64_t i = 0; i < len; ++i)
    if (std::bit_cast<uint32_t>(big.data<float>()[i]) !=
            std::bit_cast<uint32_t>(philox::normalF32(42, 3, 5 + uint64_t(i))) &&
        mismatches++ < 5)
      ADD_FAILURE() << "f32 normal at offset " << 5 + i;
  // The four normals of a block are its two f32 Box-Muller pairs, words (0, 1)
  // and (2, 3), cos first (runtime/Philox.h).
  philox::Counter w = philox::block(42, 3, 9);
  kiln::runtime::mathgen::ScalarEval sc;
  auto lo = kiln::runtime::mathgen::normal_pair_f32(sc, int32_t(w[0]), int32_t(w[1]));
  auto hi = kiln::runtime::mathgen::normal_pair_f32(sc, int32_t(w[2]), int32_t(w[3]));
  EXPECT_EQ(philox::normalF32(42, 3, 36), lo[0]);
  EXPECT_EQ(philox::normalF32(42, 3, 37), lo[1]);
  EXPECT_EQ(philox::normalF32(42, 3, 38), hi[0]);
  EXPECT_EQ(philox::normalF32(42, 3, 39), hi[1]);
  // Scaled fills are one f32 multiply of the draws.
  std::vector<float> scaled(1001);
  kernels::fillNormalF32(scaled.data(), 1001, 42, 3, 2, 0.01f);
  for (int64_t i = 0; i < 1001; ++i)
    EXPECT_EQ(scaled[size_t(i)], philox::normalF32(42, 3, 2 + uint64_t(i)) * 0.01f);
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
  Tensor f1 = kernels::randomNormal(ElemType::F32, {400001}, 5, 6, 3);
  omp_set_num_threads(2);
  Tensor u2 = kernels::randomUniform(ElemType::F32, {300000}, 5, 6, 123);
  Tensor n2 = kernels::randomNormal(ElemType::F64, {200001}, 5, 6, 3);
  Tensor f2 = kernels::randomNormal(ElemType::F32, {400001}, 5, 6, 3);
  omp_set_num_threads(saved);
  EXPECT_TRUE(u1.bitwiseEqual(u2));
  EXPECT_TRUE(n1.bitwiseEqual(n2));
  EXPECT_TRUE(f1.bitwiseEqual(f2));
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

TEST(Philox, F32NormalMomentsTailsAndShape) {
  // The f32 generator over 4M draws (deterministic, so no flakes; the bounds
  // are 5-6 standard errors of each statistic for a true N(0, 1) sample, so
  // a real bias in the polynomials, the pairing or the u1 mapping fails).
  const int64_t n = int64_t(1) << 22;
  Tensor zt = kernels::randomNormal(ElemType::F32, {n}, 2026, 4, 0);
  const float *z = zt.data<float>();
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0, lag = 0, maxAbs = 0;
  double evenSum = 0, oddSum = 0, evenSq = 0, oddSq = 0;
  int64_t over3 = 0, over4 = 0, over5 = 0;
  // 40 bins of equal probability 1/40 under N(0, 1): a chi-square shape test.
  constexpr int kBins = 40;
  std::vector<double> edges;
  for (int k = 1; k < kBins; ++k) { // inverse normal CDF by bisection on erfc
    double lo = -8, hi = 8, p = double(k) / kBins;
    for (int it = 0; it < 100; ++it) {
      double mid = 0.5 * (lo + hi);
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
    }
    edges.push_back(0.5 * (lo + hi));
  }
  std::vector<int64_t> bins(kBins, 0);
  for (int64_t i = 0; i < n; ++i) {
    double x = z[i];
    ASSERT_TRUE(std::isfinite(x)) << i;
    m1 += x;
    m2 += x * x;
    m3 += x * x * x;
    m4 += x * x * x * x;
    if (i + 1 < n)
      lag += x * double(z[i + 1]);
    (i % 2 ? oddSum : evenSum) += x;
    (i % 2 ? oddSq : evenSq) += x * x;
    double a = std::fabs(x);
    maxAbs = std::max(maxAbs, a);
    over3 += a > 3;
    over4 += a > 4;
    over5 += a > 5;
    bins[size_t(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin())]++;
  }
  const double N = double(n);
  EXPECT_NEAR(m1 / N, 0.0, 6 / std::sqrt(N));                // se 1/sqrt(n)
  EXPECT_NEAR(m2 / N, 1.0, 6 * std::sqrt(2 / N));            // var of z^2 = 2
  EXPECT_NEAR(m3 / N, 0.0, 6 * std::sqrt(15 / N));           // var of z^3 = 15
  EXPECT_NEAR(m4 / N, 3.0, 6 * std::sqrt(96 / N));           // var of z^4 = 96
  EXPECT_NEAR(lag / N, 0.0, 6 / std::sqrt(N));               // neighbours independent
  EXPECT_NEAR(evenSum / (N / 2), 0.0, 6 / std::sqrt(N / 2)); // the cos half
  EXPECT_NEAR(oddSum / (N / 2), 0.0, 6 / std::sqrt(N / 2));  // the sin half
  EXPECT_NEAR(evenSq / (N / 2), 1.0, 6 * std::sqrt(2 / (N / 2)));
  EXPECT_NEAR(oddSq / (N / 2), 1.0, 6 * std::sqrt(2 / (N / 2)));
  // Tails: counts beyond 3, 4, 5 sigma against the normal's two-sided tail
  // probabilities (binomial, 5 standard deviations).
  auto expectTail = [&](int64_t count, double t) {
    double p = std::erfc(t / std::sqrt(2.0)), mean = N * p;
    EXPECT_NEAR(double(count), mean, 5 * std::sqrt(mean * (1 - p)) + 1)
        << "draws beyond " << t << " sigma";
  };
  expectTail(over3, 3.0);
  expectTail(over4, 4.0);
  expectTail(over5, 5.0);
  // The smallest u1 is 2^-32 (runtime/Philox.h): |z| <= sqrt(64 ln 2) = 6.66.
  EXPECT_LE(maxAbs, std::sqrt(64 * std::log(2.0)) + 1e-4);
  EXPECT_GT(maxAbs, 4.5); // the tail is reached at all
  double chi2 = 0, expect = N / kBins;
  for (int64_t c : bins)
    chi2 += (double(c) - expect) * (double(c) - expect) / expect;
  // 39 degrees of freedom: mean 39, sd 8.8; 39 + 6 sd.
  EXPECT_LT(chi2, 39 + 6 * std::sqrt(2.0 * 39)) << "chi-square over " << kBins << " bins";
  std::printf("f32 normals, %lld draws: mean %.5f var %.5f skew %.5f kurt %.5f, "
              ">3: %lld >4: %lld >5: %lld, max |z| %.3f, chi2(39) %.1f\n",
              (long long)n, m1 / N, m2 / N, m3 / N, m4 / N, (long long)over3, (long long)over4,
              (long long)over5, maxAbs, chi2);
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
