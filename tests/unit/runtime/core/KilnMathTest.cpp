// KilnMath: accuracy (max ulp error over sweeps, against libm in higher
// precision where possible) and special values.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "runtime/KilnMath.h"

namespace kmath = kiln::runtime::kmath;

namespace {

// Distance in units in the last place, via the ordered integer encoding
// (monotone across zero and denormals).
int64_t ordered(float x) {
  int32_t i = std::bit_cast<int32_t>(x);
  return i < 0 ? int64_t(INT32_MIN) - i : i;
}
int64_t ordered(double x) {
  int64_t i = std::bit_cast<int64_t>(x);
  return i < 0 ? INT64_MIN - i : i;
}
template <class T> uint64_t ulps(T got, T want) {
  if (std::isnan(got) || std::isnan(want))
    return std::isnan(got) && std::isnan(want) ? 0 : UINT64_MAX;
  int64_t a = ordered(got), b = ordered(want);
  return a > b ? uint64_t(a) - uint64_t(b) : uint64_t(b) - uint64_t(a);
}

/// Max ulp error of f against ref over n points evenly spaced in [lo, hi].
template <class T, class F, class R>
uint64_t sweep(F f, R ref, T lo, T hi, int64_t n, T *worstX = nullptr) {
  uint64_t worst = 0;
  for (int64_t i = 0; i <= n; ++i) {
    T x = lo + (hi - lo) * (T(i) / T(n));
    uint64_t e = ulps<T>(f(x), ref(x));
    if (e > worst) {
      worst = e;
      if (worstX)
        *worstX = x;
    }
  }
  return worst;
}

/// Max ulp error over every `stride`-th positive float bit pattern (all
/// binades, denormals included) up to `maxBits`.
template <class F, class R> uint64_t sweepBitsF32(F f, R ref, uint32_t maxBits, uint32_t stride) {
  uint64_t worst = 0;
  for (uint64_t b = 1; b <= maxBits; b += stride) {
    float x = std::bit_cast<float>(uint32_t(b));
    worst = std::max(worst, ulps<float>(f(x), ref(x)));
  }
  return worst;
}

const float kInfF = std::numeric_limits<float>::infinity();
const double kInf = std::numeric_limits<double>::infinity();

} // namespace

TEST(KilnMath, ExpF32Accuracy) {
  auto ref = [](float x) { return float(std::exp(double(x))); };
  auto f = [](float x) { return kmath::exp(x); };
  uint64_t e = sweep<float>(f, ref, -104.0f, 89.0f, 2000000);
  uint64_t e2 = sweep<float>(f, ref, -1.0f, 1.0f, 1000000);
  std::printf("exp f32 max ulp: %llu (small x: %llu)\n", (unsigned long long)e,
              (unsigned long long)e2);
  EXPECT_LE(e, 2u);
  EXPECT_LE(e2, 1u);
}

TEST(KilnMath, ExpF64Accuracy) {
  auto ref = [](double x) { return double(std::exp((long double)x)); };
  auto f = [](double x) { return kmath::exp(x); };
  uint64_t e = sweep<double>(f, ref, -745.0, 709.7, 2000000);
  uint64_t e2 = sweep<double>(f, ref, -2.0, 2.0, 1000000);
  std::printf("exp f64 max ulp: %llu (small x: %llu)\n", (unsigned long long)e,
              (unsigned long long)e2);
  EXPECT_LE(e, 2u);
  EXPECT_LE(e2, 2u);
}

TEST(KilnMath, ExpSpecialValues) {
  EXPECT_TRUE(std::isnan(kmath::exp(std::nanf(""))));
  EXPECT_TRUE(std::isnan(kmath::exp(std::nan(""))));
  EXPECT_EQ(kmath::exp(kInfF), kInfF);
  EXPECT_EQ(kmath::exp(-kInfF), 0.0f);
  EXPECT_EQ(kmath::exp(kInf), kInf);
  EXPECT_EQ(kmath::exp(-kInf), 0.0);
  EXPECT_EQ(kmath::exp(0.0f), 1.0f);
  EXPECT_EQ(kmath::exp(-0.0), 1.0);
  EXPECT_EQ(kmath::exp(88.8f), kInfF);  // overflow
  EXPECT_EQ(kmath::exp(1000.0f), kInfF);
  EXPECT_EQ(kmath::exp(710.0), kInf);
  EXPECT_EQ(kmath::exp(-200.0f), 0.0f); // underflow
  EXPECT_EQ(kmath::exp(-800.0), 0.0);
  // Largest finite results and denormal results are computed, not flushed.
  EXPECT_TRUE(std::isfinite(kmath::exp(88.72f)));
  EXPECT_TRUE(std::isfinite(kmath::exp(709.78)));
  float d = kmath::exp(-100.0f);
  EXPECT_GT(d, 0.0f);
  EXPECT_LT(d, std::numeric_limits<float>::min());
  EXPECT_LE(ulps(d, float(std::exp(-100.0))), 1u);
  double dd = kmath::exp(-740.0);
  EXPECT_GT(dd, 0.0);
  EXPECT_LE(ulps(dd, std::exp(-740.0)), 1u);
}

TEST(KilnMath, LogF32Accuracy) {
  auto ref = [](float x) { return float(std::log(double(x))); };
  auto f = [](float x) { return kmath::log(x); };
  // Every 61st positive finite float (denormals to FLT_MAX).
  uint64_t e = sweepBitsF32(f, ref, 0x7f7fffffu, 61);
  uint64_t e2 = sweep<float>(f, ref, 0.5f, 2.0f, 1000000);
  std::printf("log f32 max ulp: %llu (near 1: %llu)\n", (unsigned long long)e,
              (unsigned long long)e2);
  EXPECT_LE(e, 2u);
  EXPECT_LE(e2, 2u);
}

TEST(KilnMath, LogF64Accuracy) {
  auto ref = [](double x) { return double(std::log((long double)x)); };
  auto f = [](double x) { return kmath::log(x); };
  uint64_t worst = 0;
  // Bit-pattern sweep over all binades, denormals included.
  for (uint64_t b = 1; b < 0x7ff0000000000000ull; b += 0x7ff0000000000000ull / 3000017) {
    double x = std::bit_cast<double>(b);
    worst = std::max(worst, ulps(f(x), ref(x)));
  }
  uint64_t e2 = sweep<double>(f, ref, 0.5, 2.0, 1000000);
  std::printf("log f64 max ulp: %llu (near 1: %llu)\n", (unsigned long long)worst,
              (unsigned long long)e2);
  EXPECT_LE(worst, 1u);
  EXPECT_LE(e2, 1u);
}

TEST(KilnMath, LogSpecialValues) {
  EXPECT_TRUE(std::isnan(kmath::log(-1.0f)));
  EXPECT_TRUE(std::isnan(kmath::log(-kInfF)));
  EXPECT_TRUE(std::isnan(kmath::log(std::nanf(""))));
  EXPECT_TRUE(std::isnan(kmath::log(-1e-300)));
  EXPECT_TRUE(std::isnan(kmath::log(std::nan(""))));
  EXPECT_EQ(kmath::log(0.0f), -kInfF);
  EXPECT_EQ(kmath::log(-0.0f), -kInfF);
  EXPECT_EQ(kmath::log(0.0), -kInf);
  EXPECT_EQ(kmath::log(kInfF), kInfF);
  EXPECT_EQ(kmath::log(kInf), kInf);
  EXPECT_EQ(kmath::log(1.0f), 0.0f);
  EXPECT_EQ(kmath::log(1.0), 0.0);
  float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_LE(ulps(kmath::log(tiny), float(std::log(double(tiny)))), 1u);
  double tinyd = std::numeric_limits<double>::denorm_min();
  EXPECT_LE(ulps(kmath::log(tinyd), std::log(tinyd)), 1u);
}

TEST(KilnMath, TanhAccuracy) {
  auto reff = [](float x) { return float(std::tanh(double(x))); };
  auto f = [](float x) { return kmath::tanh(x); };
  uint64_t ef = sweep<float>(f, reff, -12.0f, 12.0f, 2000000);
  uint64_t ef2 = sweep<float>(f, reff, -0.001f, 0.001f, 200000);
  auto refd = [](double x) { return double(std::tanh((long double)x)); };
  auto g = [](double x) { return kmath::tanh(x); };
  uint64_t ed = sweep<double>(g, refd, -25.0, 25.0, 2000000);
  uint64_t ed2 = sweep<double>(g, refd, -1.0, 1.0, 1000000);
  std::printf("tanh f32 max ulp: %llu (tiny x: %llu); f64: %llu (|x|<1: %llu)\n",
              (unsigned long long)ef, (unsigned long long)ef2, (unsigned long long)ed,
              (unsigned long long)ed2);
  EXPECT_LE(ef, 3u);
  EXPECT_LE(ef2, 1u);
  EXPECT_LE(ed, 3u);
  EXPECT_LE(ed2, 3u);
}

TEST(KilnMath, TanhSpecialValues) {
  EXPECT_EQ(kmath::tanh(kInfF), 1.0f);
  EXPECT_EQ(kmath::tanh(-kInfF), -1.0f);
  EXPECT_EQ(kmath::tanh(kInf), 1.0);
  EXPECT_EQ(kmath::tanh(-1000.0), -1.0);
  EXPECT_TRUE(std::isnan(kmath::tanh(std::nanf(""))));
  EXPECT_TRUE(std::isnan(kmath::tanh(std::nan(""))));
  EXPECT_TRUE(std::signbit(kmath::tanh(-0.0f)));
  EXPECT_EQ(kmath::tanh(-0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(kmath::tanh(-0.0)));
  float den = 1e-40f;
  EXPECT_EQ(kmath::tanh(den), den);
}

TEST(KilnMath, SigmoidAccuracy) {
  auto reff = [](float x) { return float(1.0 / (1.0 + std::exp(-double(x)))); };
  auto f = [](float x) { return kmath::sigmoid(x); };
  uint64_t ef = sweep<float>(f, reff, -100.0f, 30.0f, 2000000);
  auto refd = [](double x) { return double(1.0L / (1.0L + std::exp(-(long double)x))); };
  auto g = [](double x) { return kmath::sigmoid(x); };
  uint64_t ed = sweep<double>(g, refd, -740.0, 40.0, 2000000);
  std::printf("sigmoid f32 max ulp: %llu; f64: %llu\n", (unsigned long long)ef,
              (unsigned long long)ed);
  EXPECT_LE(ef, 3u);
  EXPECT_LE(ed, 3u);
}

TEST(KilnMath, SigmoidSpecialValues) {
  EXPECT_EQ(kmath::sigmoid(kInfF), 1.0f);
  EXPECT_EQ(kmath::sigmoid(-kInfF), 0.0f);
  EXPECT_EQ(kmath::sigmoid(kInf), 1.0);
  EXPECT_EQ(kmath::sigmoid(-kInf), 0.0);
  EXPECT_EQ(kmath::sigmoid(0.0f), 0.5f);
  EXPECT_EQ(kmath::sigmoid(0.0), 0.5);
  EXPECT_TRUE(std::isnan(kmath::sigmoid(std::nanf(""))));
  EXPECT_TRUE(std::isnan(kmath::sigmoid(std::nan(""))));
  EXPECT_GT(kmath::sigmoid(-100.0f), 0.0f); // a denormal, not flushed
  EXPECT_EQ(kmath::sigmoid(100.0f), 1.0f);
}
