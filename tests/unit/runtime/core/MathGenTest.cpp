// MathGen: every generator instantiated with CheckedEval (one value type,
// run-time kinds, 4 lanes: what an LLVM IR evaluator sees) gives bitwise the
// results of the ScalarEval instantiation the interpreter runs, lane by lane.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "runtime/MathGen.h"
#include "runtime/MathScalar.h"
#include "tests/unit/runtime/core/CheckedEval.h"

namespace mathgen = kiln::runtime::mathgen;
using mathgen::ScalarEval;
using mathgen::testing::CheckedEval;
using mathgen::testing::kLanes;
using mathgen::testing::Val;

namespace {

std::vector<float> inputsF32() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f,
                          -0.0f,
                          1.0f,
                          -1.0f,
                          inf,
                          -inf,
                          std::numeric_limits<float>::quiet_NaN(),
                          1e-45f,
                          -1e-45f,
                          1e-40f,
                          1.17549435e-38f,
                          3.4028235e38f,
                          -3.4028235e38f,
                          0.625f,
                          -0.625f,
                          88.72f,
                          89.0f,
                          -103.9f,
                          -104.0f,
                          0.5f,
                          2.0f,
                          0.70710677f,
                          1.5f,
                          10.0f,
                          -10.0f,
                          100.0f};
  std::mt19937 g(7);
  for (int i = 0; i < 4000; ++i)
    v.push_back(std::bit_cast<float>(uint32_t(g())));
  std::uniform_real_distribution<float> d(-20.0f, 20.0f);
  for (int i = 0; i < 4000; ++i)
    v.push_back(d(g));
  while (v.size() % kLanes)
    v.push_back(0.25f);
  return v;
}

std::vector<double> inputsF64() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           inf,
                           -inf,
                           std::numeric_limits<double>::quiet_NaN(),
                           5e-324,
                           -5e-324,
                           1e-310,
                           2.2250738585072014e-308,
                           1.7976931348623157e308,
                           -1.7976931348623157e308,
                           0.625,
                           -0.625,
                           709.78,
                           710.0,
                           -745.1,
                           -746.0,
                           0.5,
                           2.0,
                           1.4142135623730951,
                           1.4142135623730954,
                           10.0,
                           -10.0,
                           100.0};
  std::mt19937_64 g(7);
  for (int i = 0; i < 4000; ++i)
    v.push_back(std::bit_cast<double>(uint64_t(g())));
  std::uniform_real_distribution<double> d(-40.0, 40.0);
  for (int i = 0; i < 4000; ++i)
    v.push_back(d(g));
  while (v.size() % kLanes)
    v.push_back(0.25);
  return v;
}

/// Runs gen over all inputs, kLanes at a time, with both evaluators and
/// compares bit patterns. Returns the checked evaluator's op count for one
/// call (every call runs the same straight-line sequence).
template <class T, class Gen> int64_t expectSameBits(const char *what, Gen gen) {
  const std::vector<T> in = [] {
    if constexpr (std::is_same_v<T, float>)
      return inputsF32();
    else
      return inputsF64();
  }();
  int64_t opsPerCall = 0;
  int mismatches = 0;
  for (size_t i = 0; i < in.size(); i += kLanes) {
    std::array<T, kLanes> x;
    for (int l = 0; l < kLanes; ++l)
      x[l] = in[i + size_t(l)];
    CheckedEval c;
    Val r;
    if constexpr (std::is_same_v<T, float>)
      r = gen(c, CheckedEval::ofF32(x));
    else
      r = gen(c, CheckedEval::ofF64(x));
    opsPerCall = c.ops;
    for (int l = 0; l < kLanes; ++l) {
      ScalarEval s;
      T want = gen(s, x[l]);
      T got = CheckedEval::get<T>(r, l);
      if (std::bit_cast<std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>(got) !=
              std::bit_cast<std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>(want) &&
          mismatches++ < 5)
        ADD_FAILURE() << what << "(" << x[l] << "): checked " << got << ", scalar " << want;
    }
  }
  std::printf("%s: %lld evaluator ops per call\n", what, (long long)opsPerCall);
  return opsPerCall;
}

} // namespace

TEST(MathGen, CheckedEvaluatorMatchesScalar) {
  expectSameBits<float>("exp_f32", [](auto &b, auto x) { return mathgen::exp_f32(b, x); });
  expectSameBits<double>("exp_f64", [](auto &b, auto x) { return mathgen::exp_f64(b, x); });
  expectSameBits<float>("log_f32", [](auto &b, auto x) { return mathgen::log_f32(b, x); });
  expectSameBits<double>("log_f64", [](auto &b, auto x) { return mathgen::log_f64(b, x); });
  expectSameBits<float>("tanh_f32", [](auto &b, auto x) { return mathgen::tanh_f32(b, x); });
  expectSameBits<double>("tanh_f64", [](auto &b, auto x) { return mathgen::tanh_f64(b, x); });
  expectSameBits<float>("sigmoid_f32", [](auto &b, auto x) { return mathgen::sigmoid_f32(b, x); });
  expectSameBits<double>("sigmoid_f64", [](auto &b, auto x) { return mathgen::sigmoid_f64(b, x); });
  expectSameBits<float>("pow_f32(x, 2.5)",
                        [](auto &b, auto x) { return mathgen::pow_f32(b, x, b.f32(2.5f)); });
  expectSameBits<float>("pow_f32(x, -3)",
                        [](auto &b, auto x) { return mathgen::pow_f32(b, x, b.f32(-3.0f)); });
  expectSameBits<float>("pow_f32(-2, x)",
                        [](auto &b, auto x) { return mathgen::pow_f32(b, b.f32(-2.0f), x); });
  expectSameBits<double>("sin2pi_f64",
                         [](auto &b, auto x) { return mathgen::sincos2pi_f64(b, x)[0]; });
  expectSameBits<double>("cos2pi_f64",
                         [](auto &b, auto x) { return mathgen::sincos2pi_f64(b, x)[1]; });
  expectSameBits<float>("sin2pi_f32",
                        [](auto &b, auto x) { return mathgen::sincos2pi_f32(b, x)[0]; });
  expectSameBits<float>("cos2pi_f32",
                        [](auto &b, auto x) { return mathgen::sincos2pi_f32(b, x)[1]; });
}

/// Ulps between two floats (same sign, finite), by their ordered bit patterns.
int64_t floatUlps(float a, float b) {
  auto ord = [](float f) {
    int32_t i = std::bit_cast<int32_t>(f);
    return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
  };
  return std::llabs(ord(a) - ord(b));
}

TEST(MathGen, PowF32IsWithinOneUlpAndFollowsIeeeSpecialCases) {
  // Accuracy against powl rounded to float, over bases and exponents of
  // every magnitude that gives a finite nonzero result, negative bases with
  // integer exponents included.
  ScalarEval s;
  std::mt19937 g(11);
  std::uniform_real_distribution<float> logx(-20.0f, 20.0f), ys(-12.0f, 12.0f);
  int64_t worst = 0;
  int checked = 0;
  for (int i = 0; i < 2000000; ++i) {
    float x = std::exp2(logx(g)), y = ys(g);
    if (i % 4 == 1)
      y = std::round(y), x = -x;
    else if (i % 4 == 2)
      y = std::ldexp(ys(g), -(int(g() % 20)));
    long double ref = std::pow((long double)x, (long double)y);
    float want = float(ref);
    if (!std::isfinite(want) || want == 0 || std::fabs(want) < 0x1p-126f)
      continue;
    float got = mathgen::pow_f32(s, x, y);
    int64_t d = floatUlps(got, want);
    if (d > worst) {
      worst = d;
      if (d > 1)
        ADD_FAILURE() << "pow(" << x << ", " << y << ") = " << got << ", want " << want;
    }
    ++checked;
  }
  std::printf("pow_f32: max error %lld ulp over %d finite results\n", (long long)worst, checked);
  EXPECT_LE(worst, 1);
  // Special cases bit for bit as glibc's powf (C99 Annex F), NaN as NaN.
  const float inf = INFINITY, nan = NAN;
  const float vals[] = {0.0f,  -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 0.5f,  -0.5f, 3.0f,
                        -3.0f, 2.5f,  -2.5f, inf,  -inf, nan,  1e-40f, -1e-40f, 1e30f, 0x1p25f,
                        0x1p24f + 2, -(0x1p24f + 2)};
  for (float x : vals)
    for (float y : vals) {
      float got = mathgen::pow_f32(s, x, y), want = std::pow(x, y);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << "pow(" << x << ", " << y << ") = " << got;
      } else if (std::isinf(want) || want == 0 || std::fabs(want) == 1) {
        EXPECT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want))
            << "pow(" << x << ", " << y << ") = " << got << ", want " << want;
      } else {
        EXPECT_LE(floatUlps(got, want), 1) << "pow(" << x << ", " << y << ")";
      }
    }
}

TEST(MathGen, SinCos2PiIsWithinTwoUlpsOfLibmOnUniforms) {
  // Over the uniforms Box-Muller feeds it, and the quadrant edges. The
  // reference is glibc's sin/cos of the exactly reduced angle (long double
  // 2*pi*u, where libm is accurate to < 1 ulp).
  ScalarEval s;
  std::mt19937_64 g(7);
  std::vector<double> us = {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 0x1p-53,
                            1.0 - 0x1p-53, 0.25 - 0x1p-53, 0.25 + 0x1p-54};
  for (int i = 0; i < 2000000; ++i)
    us.push_back(double(g() >> 11) * 0x1p-53);
  double worstSin = 0, worstCos = 0;
  for (double u : us) {
    auto sc = mathgen::sincos2pi_f64(s, u);
    long double t = 6.283185307179586476925286766559L * (long double)u;
    double wantS = double(std::sin(t)), wantC = double(std::cos(t));
    // Near a zero the relative ulp blows up: measure against the larger of
    // the two (the error Box-Muller sees is absolute in r*sin/r*cos).
    double scale = std::max(std::fabs(wantS), std::fabs(wantC));
    worstSin = std::max(worstSin, std::fabs(sc[0] - wantS) /
                                      (std::nextafter(scale, INFINITY) - scale));
    worstCos = std::max(worstCos, std::fabs(sc[1] - wantC) /
                                      (std::nextafter(scale, INFINITY) - scale));
  }
  std::printf("sincos2pi_f64: max error %.2f / %.2f ulp (sin / cos, of max(|sin|, |cos|))\n",
              worstSin, worstCos);
  EXPECT_LE(worstSin, 2.0);
  EXPECT_LE(worstCos, 2.0);
  // Exact at the quadrant points.
  EXPECT_EQ(mathgen::sincos2pi_f64(s, 0.0)[0], 0.0);
  EXPECT_EQ(mathgen::sincos2pi_f64(s, 0.0)[1], 1.0);
  EXPECT_EQ(mathgen::sincos2pi_f64(s, 0.25)[0], 1.0);
  EXPECT_EQ(mathgen::sincos2pi_f64(s, 0.5)[1], -1.0);
  EXPECT_EQ(mathgen::sincos2pi_f64(s, 0.75)[0], -1.0);
  EXPECT_TRUE(std::isnan(mathgen::sincos2pi_f64(s, NAN)[0]));
}

TEST(MathGen, SinCos2PiF32IsWithinTwoUlpsOnUniforms) {
  // Over every f32 uniform u2 the f32 Box-Muller can get ((w >> 8) * 2^-24,
  // all 2^24 of them), against libm's double sin/cos of 2*pi*u rounded to
  // float, in ulps of max(|sin|, |cos|) as for sincos2pi_f64.
  ScalarEval s;
  double worstSin = 0, worstCos = 0;
  for (uint32_t k = 0; k < (1u << 24); ++k) {
    float u = float(k) * 0x1p-24f;
    auto sc = mathgen::sincos2pi_f32(s, u);
    long double t = 6.283185307179586476925286766559L * (long double)u;
    float wantS = float(std::sin(t)), wantC = float(std::cos(t));
    float scale = std::max(std::fabs(wantS), std::fabs(wantC));
    double ulp = double(std::nextafter(scale, INFINITY) - scale);
    worstSin = std::max(worstSin, std::fabs(double(sc[0]) - double(wantS)) / ulp);
    worstCos = std::max(worstCos, std::fabs(double(sc[1]) - double(wantC)) / ulp);
  }
  std::printf("sincos2pi_f32: max error %.2f / %.2f ulp (sin / cos, of max(|sin|, |cos|))\n",
              worstSin, worstCos);
  EXPECT_LE(worstSin, 2.0);
  EXPECT_LE(worstCos, 2.0);
  EXPECT_EQ(mathgen::sincos2pi_f32(s, 0.0f)[0], 0.0f);
  EXPECT_EQ(mathgen::sincos2pi_f32(s, 0.0f)[1], 1.0f);
  EXPECT_EQ(mathgen::sincos2pi_f32(s, 0.25f)[0], 1.0f);
  EXPECT_EQ(mathgen::sincos2pi_f32(s, 0.5f)[1], -1.0f);
  EXPECT_EQ(mathgen::sincos2pi_f32(s, 0.75f)[0], -1.0f);
  EXPECT_TRUE(std::isnan(mathgen::sincos2pi_f32(s, NAN)[0]));
}

TEST(MathGen, NormalPairF32SeesOnlyNonPositiveLogs) {
  // normal_pair_f32 takes sqrt(-2 log(u1)) for u1 in [2^-32, 1]: log_f32 must
  // be <= 0 on every float there (all of [0.5, 1] checked; below 0.5 the
  // exponent term alone is <= -ln 2), and the extreme words give the
  // documented extremes.
  ScalarEval s;
  for (float x = 0.5f; x <= 1.0f; x = std::nextafter(x, 2.0f))
    ASSERT_LE(mathgen::log_f32(s, x), 0.0f) << x;
  EXPECT_EQ(mathgen::log_f32(s, 1.0f), 0.0f);
  auto top = mathgen::normal_pair_f32(s, int32_t(0xffffffffu), 0); // u1 = 1, u2 = 0
  EXPECT_EQ(top[0], 0.0f);
  EXPECT_EQ(top[1], 0.0f);
  auto low = mathgen::normal_pair_f32(s, 1, 0); // u1 = 2^-32 (the smallest), u2 = 0
  EXPECT_NEAR(low[0], std::sqrt(64 * std::log(2.0)), 1e-5);
  EXPECT_EQ(low[1], 0.0f);
}

TEST(MathGen, PhiloxAndUniformsMatchScalar) {
  std::mt19937 g(3);
  for (int iter = 0; iter < 200; ++iter) {
    std::array<int32_t, kLanes> w[6];
    for (auto &a : w)
      for (auto &x : a)
        x = int32_t(g());
    CheckedEval c;
    auto out = mathgen::philox4x32_10(c, CheckedEval::ofI32(w[0]), CheckedEval::ofI32(w[1]),
                                      CheckedEval::ofI32(w[2]), CheckedEval::ofI32(w[3]),
                                      CheckedEval::ofI32(w[4]), CheckedEval::ofI32(w[5]));
    Val uf = mathgen::uniform_f32_from_word(c, out[0]);
    Val ud = mathgen::uniform_f64_from_words(c, out[1], out[2]);
    auto nf = mathgen::normal_pair_f32(c, out[1], out[3]);
    auto nd = mathgen::normal_pair_f64(c, out[0], out[1], out[2], out[3]);
    for (int l = 0; l < kLanes; ++l) {
      ScalarEval s;
      auto want = mathgen::philox4x32_10(s, w[0][l], w[1][l], w[2][l], w[3][l], w[4][l], w[5][l]);
      for (int j = 0; j < 4; ++j)
        EXPECT_EQ(CheckedEval::get<int32_t>(out[j], l), want[j]);
      EXPECT_EQ(std::bit_cast<uint32_t>(CheckedEval::get<float>(uf, l)),
                std::bit_cast<uint32_t>(mathgen::uniform_f32_from_word(s, want[0])));
      EXPECT_EQ(std::bit_cast<uint64_t>(CheckedEval::get<double>(ud, l)),
                std::bit_cast<uint64_t>(mathgen::uniform_f64_from_words(s, want[1], want[2])));
      auto wantNf = mathgen::normal_pair_f32(s, want[1], want[3]);
      auto wantNd = mathgen::normal_pair_f64(s, want[0], want[1], want[2], want[3]);
      for (int j = 0; j < 2; ++j) {
        EXPECT_EQ(std::bit_cast<uint32_t>(CheckedEval::get<float>(nf[size_t(j)], l)),
                  std::bit_cast<uint32_t>(wantNf[size_t(j)]));
        EXPECT_EQ(std::bit_cast<uint64_t>(CheckedEval::get<double>(nd[size_t(j)], l)),
                  std::bit_cast<uint64_t>(wantNd[size_t(j)]));
      }
    }
  }
}

TEST(MathGen, UniformF64EqualsTheIntegerConversion) {
  // The magic-number conversion must give exactly double(u64 >> 11) * 2^-53.
  std::mt19937_64 g(5);
  ScalarEval s;
  std::vector<uint64_t> words = {0,          ~0ull,         1ull << 11,           (1ull << 11) - 1,
                                 1ull << 63, 0xffffffffull, 0xffffffff00000000ull};
  for (int i = 0; i < 100000; ++i)
    words.push_back(g());
  for (uint64_t u : words) {
    double want = double(u >> 11) * 0x1.0p-53;
    double got =
        mathgen::uniform_f64_from_words(s, int32_t(uint32_t(u)), int32_t(uint32_t(u >> 32)));
    ASSERT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want)) << u;
  }
}

TEST(MathGen, CheckedEvaluatorRejectsKindMismatches) {
  // What an IRBuilder would assert on: the checker must catch it too.
  CheckedEval c;
  Val f = c.f32(1.0f), d = c.f64(1.0), i = c.i32(1), m = c.lt(f, f);
  EXPECT_THROW(c.add(f, d), std::logic_error);
  EXPECT_THROW(c.add(i, i), std::logic_error);
  EXPECT_THROW(c.iadd(i, c.i64(1)), std::logic_error);
  EXPECT_THROW(c.select(f, f, f), std::logic_error);
  EXPECT_THROW(c.select(m, f, d), std::logic_error);
  EXPECT_THROW(c.sitofp64(i), std::logic_error);
  EXPECT_THROW(c.shl(i, 32), std::logic_error);
  EXPECT_THROW(c.umulhi(c.i64(1), c.i64(1)), std::logic_error);
  EXPECT_NO_THROW(c.fromBits(c.bits(d)));
}
