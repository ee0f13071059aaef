// KilnMath: kiln's own exp, log, tanh and sigmoid for f32 and f64.
//
// Why not std::exp: the interpreter (these functions) and JIT'ed kernels
// (codegen emits the same operation sequence as LLVM IR) must agree bit for
// bit, and libm's results are neither specified nor reproducible in LLVM IR.
// So every function here is a fixed sequence of IEEE operations (+ - * /,
// comparisons/selects, bit casts, integer adds and shifts, fabs/copysign),
// written without fused multiply-add (the build uses -ffp-contract=off), with
// every intermediate rounded in the function's own precision, evaluated
// exactly in the order written (each line is one rounding). Codegen must
// emit exactly these steps, with these constants, in this order.
//
// The functions are branch-free (selects), so loops over them vectorize, and
// special values fall out of the arithmetic:
//   exp:  NaN -> NaN, +inf/overflow -> +inf, -inf/underflow -> +0, results
//         in the denormal range are rounded once (no flush to zero).
//   log:  NaN -> NaN, x < 0 -> NaN, +-0 -> -inf, +inf -> +inf, denormals ok.
//   tanh: NaN -> NaN, +-inf -> +-1, tanh(-0) = -0.
//   sigmoid: NaN -> NaN, +inf -> 1, -inf -> 0, no overflow for any x.
// Accuracy (measured by the unit tests over sweeps against std::): see
// docs/runtime-core.md; all are within a few ulp.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kiln::runtime::kmath {

// ---- exp ---------------------------------------------------------------------
// 1. Clamp x to [lo, hi] (just past the overflow and underflow thresholds;
//    NaN passes through the clamps unchanged).
// 2. k = round-to-nearest-even(x * log2(e)) with the shifter trick:
//    t = x*log2e + 1.5*2^p; kf = t - shifter; the integer k is the difference
//    of the bit patterns of t and of the shifter (no float->int conversion, so
//    NaN is no undefined behaviour).
// 3. Cody-Waite reduction r = (x - kf*ln2_hi) - kf*ln2_lo, |r| <= ~ln2/2;
//    ln2_hi has trailing zero bits so kf*ln2_hi is exact.
// 4. e^r by a polynomial: f32: Cephes expf's minimax P(r) of degree 5 with
//    e^r ~ (P(r)*r^2 + r) + 1; f64: Taylor series to degree 13 (truncation
//    < 0.03 ulp on |r| <= ln2/2) in Horner form, ((P(r)*r^2 + r) + 1).
// 5. Scale by 2^k as two factors 2^k1 * 2^k2 (k1 = k >> 1, k2 = k - k1), each
//    a normal number built from its exponent bits: y*2^k1 is exact, and the
//    second multiply rounds once, producing +inf or denormals correctly.

inline float exp(float x) {
  float xc = x > 89.0f ? 89.0f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  const float shifter = 0x1.8p23f;
  float t = xc * 1.44269504088896341f + shifter;
  float kf = t - shifter;
  int32_t k = int32_t(std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(shifter));
  float r = xc - kf * 0.693359375f;
  r = r - kf * -2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r2 + r;
  y = y + 1.0f;
  int32_t k1 = k >> 1;
  int32_t k2 = k - k1;
  float s1 = std::bit_cast<float>(uint32_t(k1 + 127) << 23);
  float s2 = std::bit_cast<float>(uint32_t(k2 + 127) << 23);
  return (y * s1) * s2;
}

inline double exp(double x) {
  double xc = x > 710.0 ? 710.0 : x;
  xc = xc < -746.0 ? -746.0 : xc;
  const double shifter = 0x1.8p52;
  double t = xc * 1.4426950408889634 + shifter;
  double kf = t - shifter;
  int64_t k = int64_t(std::bit_cast<uint64_t>(t) - std::bit_cast<uint64_t>(shifter));
  double r = xc - kf * 6.93147180369123816490e-01;
  r = r - kf * 1.90821492927058770002e-10;
  double r2 = r * r;
  double p = 1.6059043836821613e-10; // 1/13!
  p = p * r + 2.08767569878681e-09;  // 1/12!
  p = p * r + 2.505210838544172e-08; // 1/11!
  p = p * r + 2.755731922398589e-07; // 1/10!
  p = p * r + 2.7557319223985893e-06; // 1/9!
  p = p * r + 2.48015873015873e-05;  // 1/8!
  p = p * r + 0.0001984126984126984; // 1/7!
  p = p * r + 0.001388888888888889;  // 1/6!
  p = p * r + 0.008333333333333333;  // 1/5!
  p = p * r + 0.041666666666666664;  // 1/4!
  p = p * r + 0.16666666666666666;   // 1/3!
  p = p * r + 0.5;                   // 1/2!
  double y = p * r2 + r;
  y = y + 1.0;
  int64_t k1 = k >> 1;
  int64_t k2 = k - k1;
  double s1 = std::bit_cast<double>(uint64_t(k1 + 1023) << 52);
  double s2 = std::bit_cast<double>(uint64_t(k2 + 1023) << 52);
  return (y * s1) * s2;
}

// ---- log ---------------------------------------------------------------------
// 1. Denormal inputs are scaled by 2^23 (f32) / 2^54 (f64) first.
// 2. Split x = m * 2^e from the bit pattern.
//    f32 (Cephes logf): m in [0.5, 1); if m < sqrt(1/2): e -= 1, f = (m+m)-1,
//    else f = m-1; log(1+f) ~ f + (f*z*P(f) - 0.5*z) with z = f*f and P of
//    degree 8; e*ln2 is added in two parts (Cody-Waite) as written below.
//    f64 (fdlibm __ieee754_log): m in [1, 2), halved (e += 1) when above
//    sqrt(2); f = m-1, s = f/(2+f), R(s^2) with Lg1..Lg7 split in odd/even
//    terms, log = e*ln2_hi - ((hfsq - (s*(hfsq+R) + e*ln2_lo)) - f).
// 3. Special values by selects at the end.

inline float log(float x) {
  bool sub = x < 0x1p-126f;
  float xs = sub ? x * 0x1p23f : x;
  int32_t eadj = sub ? -23 : 0;
  uint32_t b = std::bit_cast<uint32_t>(xs);
  int32_t e = int32_t((b >> 23) & 0xffu) - 126 + eadj;
  float m = std::bit_cast<float>((b & 0x007fffffu) | 0x3f000000u);
  bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  float f = low ? (m + m) - 1.0f : m - 1.0f;
  float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  float y = (p * f) * z;
  float fe = float(e);
  y = y + fe * -2.12194440e-4f;
  y = y + -0.5f * z;
  float res = f + y;
  res = res + fe * 0.693359375f;
  const float inf = std::numeric_limits<float>::infinity();
  res = x == inf ? inf : res;
  res = x > 0.0f ? res : (x == 0.0f ? -inf : std::numeric_limits<float>::quiet_NaN());
  return res;
}

inline double log(double x) {
  bool sub = x < 0x1p-1022;
  double xs = sub ? x * 0x1p54 : x;
  int64_t eadj = sub ? -54 : 0;
  uint64_t b = std::bit_cast<uint64_t>(xs);
  int64_t e = int64_t((b >> 52) & 0x7ffu) - 1023 + eadj;
  double m = std::bit_cast<double>((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
  bool high = m > 1.4142135623730951;
  m = high ? m * 0.5 : m;
  e = high ? e + 1 : e;
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double dk = double(e);
  double z = s * s;
  double w = z * z;
  double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  double t2 = z * (6.666666666666735130e-01 +
                   w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  double R = t2 + t1;
  double hfsq = 0.5 * f * f;
  double res = dk * 6.93147180369123816490e-01 -
               ((hfsq - (s * (hfsq + R) + dk * 1.90821492927058770002e-10)) - f);
  const double inf = std::numeric_limits<double>::infinity();
  res = x == inf ? inf : res;
  res = x > 0.0 ? res : (x == 0.0 ? -inf : std::numeric_limits<double>::quiet_NaN());
  return res;
}

// ---- tanh --------------------------------------------------------------------
// a = |x|. For a < 0.625 an odd polynomial/rational (Cephes tanhf: a + a*z*P(z),
// z = a*a, P of degree 4; Cephes tanh: a + a*z*P(z)/Q(z)); otherwise
// 1 - 2/(exp(2a) + 1) with kiln's exp (exp overflows to inf -> exactly 1).
// Both branches are computed and selected; the sign of x is applied last.

inline float tanh(float x) {
  float a = std::fabs(x);
  float z = a * a;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = (p * z) * a + a;
  float e = kmath::exp(a + a);
  float large = 1.0f - 2.0f / (e + 1.0f);
  float res = a < 0.625f ? small : large;
  return std::copysign(res, x);
}

inline double tanh(double x) {
  double a = std::fabs(x);
  double z = a * a;
  double p = -9.64399179425052238628e-1;
  p = p * z - 9.92877231001918586564e1;
  p = p * z - 1.61468768441708447952e3;
  double q = z + 1.12811678491632931402e2;
  q = q * z + 2.23548839060100448583e3;
  q = q * z + 4.84406305325125486048e3;
  double small = a + (a * z) * (p / q);
  double e = kmath::exp(a + a);
  double large = 1.0 - 2.0 / (e + 1.0);
  double res = a < 0.625 ? small : large;
  return std::copysign(res, x);
}

// ---- sigmoid -----------------------------------------------------------------
// z = exp(-|x|) never overflows; sigmoid = (x >= 0 ? 1 : z) / (1 + z), one
// division, no cancellation on either side.

inline float sigmoid(float x) {
  float z = kmath::exp(-std::fabs(x));
  float num = x >= 0.0f ? 1.0f : z;
  return num / (1.0f + z);
}

inline double sigmoid(double x) {
  double z = kmath::exp(-std::fabs(x));
  double num = x >= 0.0 ? 1.0 : z;
  return num / (1.0 + z);
}

} // namespace kiln::runtime::kmath
