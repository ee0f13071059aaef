// MathGen: the one definition of kiln's transcendental functions and random
// draws, written once as generators over an "evaluator".
//
// Why generators: the interpreter and JIT'ed kernels must agree bit for bit
// (DESIGN.md, "Determinism"), and libm's results are neither specified nor
// reproducible in LLVM IR. So each function here is a fixed sequence of IEEE
// operations, written against an evaluator `B`. The interpreter instantiates
// it with ScalarEval (runtime/MathScalar.h: plain float/double/int code, one
// lane); codegen instantiates the very same template with an evaluator whose
// operations emit LLVM IR on N-lane vectors. Same sequence, same constants,
// same order => same bits, for every vector width.
//
// ---- The evaluator concept --------------------------------------------------
// Value types (all five may be one C++ type in an evaluator, e.g.
// llvm::Value*; generic code never relies on overloading between them to
// choose different behaviour, and never branches on a value):
//   B::F32, B::F64   IEEE binary32 / binary64 values
//   B::I32, B::I64   two's-complement integers (signedness is per operation)
//   B::Mask          a comparison result (one bit per lane)
// Constants:  b.f32(float) b.f64(double) b.i32(int32_t) b.i64(int64_t)
// Float ops (both operands of one type, F32 or F64; result of that type;
// each is one IEEE operation, round to nearest even, no contraction):
//   add sub mul div, neg, sqrt, fabs, copysign(mag, sign),
//   fma(a, b, c) (a*b+c with a single rounding: std::fma in ScalarEval,
//   llvm.fma in codegen; see "FMA" below)
// Float compares -> Mask: lt le gt ge eq (ordered: false if either is NaN),
//   ne (unordered: true if either is NaN), isnan(x)
// Mask ops: mand mor mnot
// select(Mask, T a, T b) -> a where the mask is set, else b; T any value type
// Bit casts: bits(F32) -> I32, bits(F64) -> I64, fromBits(I32) -> F32,
//   fromBits(I64) -> F64
// Integer ops (both operands of one type, I32 or I64): iadd isub imul
//   (wrapping), iand ior ixor, shl(x, int) lshr(x, int) ashr(x, int) (shift
//   count a C++ constant in [0, width)), compares -> Mask: ilt ile igt ige
//   ieq ine (signed), ult (unsigned); umulhi(I32, I32) -> I32 (high 32 bits of
//   the unsigned 64-bit product; the low half is imul)
// Conversions: sitofp32(I32) -> F32, sitofp64(I64) -> F64 (round to nearest),
//   fpext(F32) -> F64, fptrunc(F64) -> F32 (round to nearest), sext(I32) ->
//   I64, zext(I32) -> I64, itrunc(I64) -> I32 (low 32 bits)
// The concept lets a function return several values (std::array, SinCos).
//
// Rules for code in this file: only B's operations on B's values (no C++
// arithmetic on values, no std:: math), constants through b.f32/b.f64/...
// (f32 constants as float literals: a double literal converted to float can
// round differently), every function branch-free (selects), every line one
// rounding in the order written. tests/unit/runtime/core/MathGenTest.cpp
// instantiates everything with a checking evaluator that has one C++ value
// type and checks every operand's kind at run time, as an LLVM evaluator
// would, over several lanes.
//
// FMA: exp, sigmoid and tanh (f32 and f64) use fused multiply-adds (the
// shifter step, the Cody-Waite reduction, every Horner step): the JIT'ed
// chains they sit in are compute-bound on the multiply pipes, and an fma is
// one operation there instead of a multiply and an add (llvm-mca, znver4, on
// sigmoid(2a+b)*a-b: 53.5 -> 40.3 cycles per 32 floats, docs/performance.md).
// fma is exactly specified (one rounding), so every evaluator still gives the
// same bits: on x86-64-v3/v4 (the interpreter's host clones, the JIT on any
// FMA host) it is one vfmadd; on a CPU without FMA it is libm's fma (correctly
// rounded in software, slow: docs/runtime-core.md has what that costs).
// log and sincos2pi stay FMA-free: they are Box-Muller's, so every random
// normal (model initializers, Dataset.randn, recorded results) keeps its bits.
//
// Accuracy and special values: docs/runtime-core.md ("KilnMath") has the
// measured max-ulp table; each function's comment says what it does with
// NaN, infinities, zeros and denormals.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

namespace kiln::runtime::mathgen {

namespace detail {

/// Horner evaluation p = c[0]; p = p*x + c[i] for i = 1..N-1 (one rounding
/// per multiply and per add: log and sincos, FMA-free, see the top).
template <class B, size_t N>
typename B::F32 hornerF32(B &b, typename B::F32 x, const float (&c)[N]) {
  typename B::F32 p = b.f32(c[0]);
  for (size_t i = 1; i < N; ++i)
    p = b.add(b.mul(p, x), b.f32(c[i]));
  return p;
}
template <class B, size_t N>
typename B::F64 hornerF64(B &b, typename B::F64 x, const double (&c)[N]) {
  typename B::F64 p = b.f64(c[0]);
  for (size_t i = 1; i < N; ++i)
    p = b.add(b.mul(p, x), b.f64(c[i]));
  return p;
}

/// Horner evaluation with fused multiply-adds: p = c[0]; p = fma(p, x, c[i])
/// for i = 1..N-1 (one rounding per step). Unrolled by a fold expression (left
/// to right), not a loop: GCC does not fully unroll a loop of fma calls, and
/// the interpreter's elementwise loops around it then stay scalar.
template <class B, class V, class T, size_t N, size_t... I>
V hornerFma(B &b, V x, const T (&c)[N], std::index_sequence<I...>) {
  auto k = [&](T v) {
    if constexpr (std::is_same_v<T, float>)
      return b.f32(v);
    else
      return b.f64(v);
  };
  V p = k(c[0]);
  ((p = b.fma(p, x, k(c[I + 1]))), ...);
  return p;
}
template <class B, size_t N>
typename B::F32 hornerFmaF32(B &b, typename B::F32 x, const float (&c)[N]) {
  return hornerFma(b, x, c, std::make_index_sequence<N - 1>());
}
template <class B, size_t N>
typename B::F64 hornerFmaF64(B &b, typename B::F64 x, const double (&c)[N]) {
  return hornerFma(b, x, c, std::make_index_sequence<N - 1>());
}

/// double(v) for |v| < 2^51, exactly, by the magic-number trick: the bits
/// of 1.5*2^52 plus v are the double 1.5*2^52 + v. The same value as
/// sitofp64, but without a 64-bit int -> double conversion, which SSE2/AVX2
/// do not have (so loops over it vectorize).
template <class B> typename B::F64 smallIntToF64(B &b, typename B::I64 v) {
  const typename B::F64 magic = b.f64(0x1.8p52);
  return b.sub(b.fromBits(b.iadd(b.i64(0x4338000000000000ll), v)), magic);
}

/// min/max against a constant as compare + select (NaN passes through).
template <class B, class F> F clampAbove(B &b, F x, F hi) {
  return b.select(b.gt(x, hi), hi, x);
}
template <class B, class F> F clampBelow(B &b, F x, F lo) {
  return b.select(b.lt(x, lo), lo, x);
}

} // namespace detail

// ---- exp ---------------------------------------------------------------------
// 1. Clamp x to [lo, hi] (just past the overflow and underflow thresholds;
//    NaN passes through the clamps unchanged).
// 2. k = round-to-nearest-even(x * log2(e)) with the shifter trick:
//    t = fma(x, log2e, 1.5*2^p); kf = t - shifter; the integer k is the
//    difference of the bit patterns of t and of the shifter (no float->int
//    conversion, so NaN is no undefined behaviour).
// 3. Cody-Waite reduction r = fma(kf, -ln2_lo, fma(kf, -ln2_hi, x)),
//    |r| <= ~ln2/2; ln2_hi has trailing zero bits so kf*ln2_hi is exact.
// 4. e^r ~ fma(P(r), r^2, r) + 1, P in Horner form with fma: f32: P of
//    degree 4, the Chebyshev fit of (e^r - 1 - r)/r^2 on [-ln2/2, ln2/2]
//    (mpmath chebyfit; relative error 7.8e-9 = 0.13 ulp before rounding;
//    one fma less than Cephes expf's degree 5, same measured accuracy); f64:
//    Taylor series to degree 13 (truncation < 0.03 ulp on |r| <= ln2/2).
// 5. Scale by 2^k as two factors 2^k1 * 2^k2 (k1 = k >> 1, k2 = k - k1), each
//    a normal number built from its exponent bits: y*2^k1 is exact, and the
//    second multiply rounds once, producing +inf or denormals correctly.
// Special values: NaN -> NaN, +inf/overflow -> +inf, -inf/underflow -> +0,
// results in the denormal range are rounded once (no flush to zero).

namespace detail {
// Steps 2-5 of exp on an argument already clamped (step 1). sigmoid and tanh
// call these with the one clamp their argument needs: -|x| is <= 0 (or NaN)
// and 2|x| >= 0 (or NaN), so the other clamp's compare is false for every
// input and leaves the value unchanged; skipping it gives the same bits.
template <class B> typename B::F32 expClamped_f32(B &b, typename B::F32 xc) {
  using F = typename B::F32;
  using I = typename B::I32;
  const F shifter = b.f32(0x1.8p23f);
  F t = b.fma(xc, b.f32(1.44269504088896341f), shifter);
  F kf = b.sub(t, shifter);
  I k = b.isub(b.bits(t), b.bits(shifter));
  F r = b.fma(kf, b.f32(-0.693359375f), xc);
  r = b.fma(kf, b.f32(2.12194440e-4f), r);
  F r2 = b.mul(r, r);
  static constexpr float kP[] = {1.3926213466332443e-3f, 8.3632029715758549e-3f,
                                 4.1666554437685939e-2f, 1.6666576845993976e-1f, 0.5f};
  F p = detail::hornerFmaF32(b, r, kP);
  F y = b.fma(p, r2, r);
  y = b.add(y, b.f32(1.0f));
  I k1 = b.ashr(k, 1);
  I k2 = b.isub(k, k1);
  F s1 = b.fromBits(b.shl(b.iadd(k1, b.i32(127)), 23));
  F s2 = b.fromBits(b.shl(b.iadd(k2, b.i32(127)), 23));
  return b.mul(b.mul(y, s1), s2);
}
} // namespace detail

template <class B> typename B::F32 exp_f32(B &b, typename B::F32 x) {
  auto xc = detail::clampAbove(b, x, b.f32(89.0f));
  return detail::expClamped_f32(b, detail::clampBelow(b, xc, b.f32(-104.0f)));
}

namespace detail {
template <class B> typename B::F64 expClamped_f64(B &b, typename B::F64 xc) {
  using F = typename B::F64;
  using I = typename B::I64;
  const F shifter = b.f64(0x1.8p52);
  F t = b.fma(xc, b.f64(1.4426950408889634), shifter);
  F kf = b.sub(t, shifter);
  I k = b.isub(b.bits(t), b.bits(shifter));
  F r = b.fma(kf, b.f64(-6.93147180369123816490e-01), xc);
  r = b.fma(kf, b.f64(-1.90821492927058770002e-10), r);
  F r2 = b.mul(r, r);
  // 1/13!, 1/12!, ..., 1/2!
  static constexpr double kP[] = {
      1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08, 2.755731922398589e-07,
      2.7557319223985893e-06, 2.48015873015873e-05, 0.0001984126984126984, 0.001388888888888889,
      0.008333333333333333,   0.041666666666666664, 0.16666666666666666,   0.5};
  F p = detail::hornerFmaF64(b, r, kP);
  F y = b.fma(p, r2, r);
  y = b.add(y, b.f64(1.0));
  I k1 = b.ashr(k, 1);
  I k2 = b.isub(k, k1);
  F s1 = b.fromBits(b.shl(b.iadd(k1, b.i64(1023)), 52));
  F s2 = b.fromBits(b.shl(b.iadd(k2, b.i64(1023)), 52));
  return b.mul(b.mul(y, s1), s2);
}
} // namespace detail

template <class B> typename B::F64 exp_f64(B &b, typename B::F64 x) {
  auto xc = detail::clampAbove(b, x, b.f64(710.0));
  return detail::expClamped_f64(b, detail::clampBelow(b, xc, b.f64(-746.0)));
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
// 3. Special values by selects at the end: NaN -> NaN, x < 0 -> NaN,
//    +-0 -> -inf, +inf -> +inf; denormal inputs are exact after step 1.

template <class B> typename B::F32 log_f32(B &b, typename B::F32 x) {
  using F = typename B::F32;
  using I = typename B::I32;
  typename B::Mask sub = b.lt(x, b.f32(0x1p-126f));
  F xs = b.select(sub, b.mul(x, b.f32(0x1p23f)), x);
  I eadj = b.select(sub, b.i32(-23), b.i32(0));
  I bx = b.bits(xs);
  I e = b.iadd(b.isub(b.iand(b.lshr(bx, 23), b.i32(0xff)), b.i32(126)), eadj);
  F m = b.fromBits(b.ior(b.iand(bx, b.i32(0x007fffff)), b.i32(0x3f000000)));
  typename B::Mask low = b.lt(m, b.f32(0.707106781186547524f));
  e = b.select(low, b.isub(e, b.i32(1)), e);
  F f = b.select(low, b.sub(b.add(m, m), b.f32(1.0f)), b.sub(m, b.f32(1.0f)));
  F z = b.mul(f, f);
  static constexpr float kP[] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                                 -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                                 2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
  F p = detail::hornerF32(b, f, kP);
  F y = b.mul(b.mul(p, f), z);
  F fe = b.sitofp32(e);
  y = b.add(y, b.mul(fe, b.f32(-2.12194440e-4f)));
  y = b.add(y, b.mul(b.f32(-0.5f), z));
  F res = b.add(f, y);
  res = b.add(res, b.mul(fe, b.f32(0.693359375f)));
  const F inf = b.f32(std::numeric_limits<float>::infinity());
  res = b.select(b.eq(x, inf), inf, res);
  res = b.select(
      b.gt(x, b.f32(0.0f)), res,
      b.select(b.eq(x, b.f32(0.0f)), b.neg(inf), b.f32(std::numeric_limits<float>::quiet_NaN())));
  return res;
}

template <class B> typename B::F64 log_f64(B &b, typename B::F64 x) {
  using F = typename B::F64;
  using I = typename B::I64;
  typename B::Mask sub = b.lt(x, b.f64(0x1p-1022));
  F xs = b.select(sub, b.mul(x, b.f64(0x1p54)), x);
  I eadj = b.select(sub, b.i64(-54), b.i64(0));
  I bx = b.bits(xs);
  I e = b.iadd(b.isub(b.iand(b.lshr(bx, 52), b.i64(0x7ff)), b.i64(1023)), eadj);
  F m = b.fromBits(b.ior(b.iand(bx, b.i64(0x000fffffffffffffll)), b.i64(0x3ff0000000000000ll)));
  typename B::Mask high = b.gt(m, b.f64(1.4142135623730951));
  m = b.select(high, b.mul(m, b.f64(0.5)), m);
  e = b.select(high, b.iadd(e, b.i64(1)), e);
  F f = b.sub(m, b.f64(1.0));
  F s = b.div(f, b.add(b.f64(2.0), f));
  F dk = detail::smallIntToF64(b, e);
  F z = b.mul(s, s);
  F w = b.mul(z, z);
  static constexpr double kOdd[] = {1.531383769920937332e-01, 2.222219843214978396e-01,
                                    3.999999999940941908e-01};
  static constexpr double kEven[] = {1.479819860511658591e-01, 1.818357216161805012e-01,
                                     2.857142874366239149e-01, 6.666666666666735130e-01};
  F t1 = b.mul(w, detail::hornerF64(b, w, kOdd));
  F t2 = b.mul(z, detail::hornerF64(b, w, kEven));
  F R = b.add(t2, t1);
  F f2 = b.mul(b.f64(0.5), f);
  F hfsq = b.mul(f2, f);
  F inner = b.add(b.mul(s, b.add(hfsq, R)), b.mul(dk, b.f64(1.90821492927058770002e-10)));
  F res = b.sub(b.mul(dk, b.f64(6.93147180369123816490e-01)), b.sub(b.sub(hfsq, inner), f));
  const F inf = b.f64(std::numeric_limits<double>::infinity());
  res = b.select(b.eq(x, inf), inf, res);
  res = b.select(
      b.gt(x, b.f64(0.0)), res,
      b.select(b.eq(x, b.f64(0.0)), b.neg(inf), b.f64(std::numeric_limits<double>::quiet_NaN())));
  return res;
}

// ---- tanh --------------------------------------------------------------------
// a = |x|. For a < 0.625 an odd polynomial/rational (Cephes tanhf:
// fma(P(z)*z, a, a), z = a*a, P of degree 4; Cephes tanh:
// fma(a*z, P(z)/Q(z), a); P and Q in Horner form with fma); otherwise
// 1 - 2/(exp(2a) + 1) with kiln's exp (exp overflows to inf -> exactly 1).
// Both branches are computed and selected; the sign of x is applied last.
// Special values: NaN -> NaN, +-inf -> +-1, tanh(-0) = -0, denormals exact.

template <class B> typename B::F32 tanh_f32(B &b, typename B::F32 x) {
  using F = typename B::F32;
  F a = b.fabs(x);
  F z = b.mul(a, a);
  static constexpr float kP[] = {-5.70498872745e-3f, 2.06390887954e-2f, -5.37397155531e-2f,
                                 1.33314422036e-1f, -3.33332819422e-1f};
  F p = detail::hornerFmaF32(b, z, kP);
  F small = b.fma(b.mul(p, z), a, a);
  F e = detail::expClamped_f32(b, detail::clampAbove(b, b.add(a, a), b.f32(89.0f)));
  F large = b.sub(b.f32(1.0f), b.div(b.f32(2.0f), b.add(e, b.f32(1.0f))));
  F res = b.select(b.lt(a, b.f32(0.625f)), small, large);
  return b.copysign(res, x);
}

template <class B> typename B::F64 tanh_f64(B &b, typename B::F64 x) {
  using F = typename B::F64;
  F a = b.fabs(x);
  F z = b.mul(a, a);
  static constexpr double kP[] = {-9.64399179425052238628e-1, -9.92877231001918586564e1,
                                  -1.61468768441708447952e3};
  F p = detail::hornerFmaF64(b, z, kP);
  // Q is monic: q = z + Q1 first (what fma(1, z, Q1) would give).
  static constexpr double kQ[] = {1.12811678491632931402e2, 2.23548839060100448583e3,
                                  4.84406305325125486048e3};
  F q = b.add(z, b.f64(kQ[0]));
  q = b.fma(q, z, b.f64(kQ[1]));
  q = b.fma(q, z, b.f64(kQ[2]));
  F small = b.fma(b.mul(a, z), b.div(p, q), a);
  F e = detail::expClamped_f64(b, detail::clampAbove(b, b.add(a, a), b.f64(710.0)));
  F large = b.sub(b.f64(1.0), b.div(b.f64(2.0), b.add(e, b.f64(1.0))));
  F res = b.select(b.lt(a, b.f64(0.625)), small, large);
  return b.copysign(res, x);
}

// ---- sigmoid -----------------------------------------------------------------
// z = exp(-|x|) never overflows; sigmoid = (x >= 0 ? 1 : z) / (1 + z), one
// division, no cancellation on either side.
// Special values: NaN -> NaN, +inf -> 1, -inf -> 0, no overflow for any x.

template <class B> typename B::F32 sigmoid_f32(B &b, typename B::F32 x) {
  using F = typename B::F32;
  F z = detail::expClamped_f32(b, detail::clampBelow(b, b.neg(b.fabs(x)), b.f32(-104.0f)));
  F num = b.select(b.ge(x, b.f32(0.0f)), b.f32(1.0f), z);
  return b.div(num, b.add(b.f32(1.0f), z));
}

template <class B> typename B::F64 sigmoid_f64(B &b, typename B::F64 x) {
  using F = typename B::F64;
  F z = detail::expClamped_f64(b, detail::clampBelow(b, b.neg(b.fabs(x)), b.f64(-746.0)));
  F num = b.select(b.ge(x, b.f64(0.0)), b.f64(1.0), z);
  return b.div(num, b.add(b.f64(1.0), z));
}

// ---- pow (f32) -----------------------------------------------------------------
// pow(x, y) for floats, computed in f64: |x|^y = exp_f64(y * log_f64(|x|)),
// rounded once to f32 (the f64 result is within a few 2^-52 of the true
// value for every result that does not overflow f32, so the f32 rounding is
// correct except within ~2^-28 ulp of a halfway point: <= 1 ulp). The sign
// and the special cases follow C99 Annex F (IEEE 754 pow) by selects:
//   y = +-0 -> 1 (even for NaN x); x = 1 -> 1 (even for NaN y);
//   x = -1 and y = +-inf -> 1; x < 0 (finite, not -0) and y finite and not an
//   integer -> NaN; x < 0 or -0 or -inf and y an odd integer -> the result
//   negated; NaN otherwise propagates; zeros, infinities and y = +-inf come
//   out of exp(y * log|x|) with the right value (log 0 = -inf, log inf = inf,
//   exp(-inf) = +0, exp(inf) = inf).
// y is an integer when rint(y) == y (or |y| >= 2^24, where every float is an
// even integer); odd when also the low bit of rint(y) is set.
template <class B> typename B::F32 pow_f32(B &b, typename B::F32 x, typename B::F32 y) {
  using F = typename B::F64;
  F xd = b.fpext(x), yd = b.fpext(y);
  F mag = exp_f64(b, b.mul(yd, log_f64(b, b.fabs(xd))));
  const F shifter = b.f64(0x1.8p52);
  F t = b.add(yd, shifter);
  F ry = b.sub(t, shifter);
  typename B::Mask big = b.ge(b.fabs(yd), b.f64(0x1p24));
  typename B::Mask isInt = b.mor(big, b.eq(ry, yd));
  typename B::Mask odd = b.mand(b.mnot(big), b.mand(isInt, b.ieq(b.iand(b.bits(t), b.i64(1)),
                                                                  b.i64(1))));
  typename B::Mask xneg = b.ilt(b.bits(x), b.i32(0)); // sign bit: x < 0, -0, -inf, -NaN
  const F inf = b.f64(std::numeric_limits<double>::infinity());
  typename B::Mask xFiniteNonzero = b.mand(b.lt(b.fabs(xd), inf), b.ne(xd, b.f64(0.0)));
  typename B::Mask yFinite = b.lt(b.fabs(yd), inf);
  F r = b.select(b.mand(xneg, odd), b.neg(mag), mag);
  r = b.select(b.mand(b.mand(xneg, xFiniteNonzero), b.mand(yFinite, b.mnot(isInt))),
               b.f64(std::numeric_limits<double>::quiet_NaN()), r);
  r = b.select(b.mand(b.eq(xd, b.f64(-1.0)), b.eq(b.fabs(yd), inf)), b.f64(1.0), r);
  r = b.select(b.eq(xd, b.f64(1.0)), b.f64(1.0), r); // also pow(1, NaN)
  r = b.select(b.eq(yd, b.f64(0.0)), b.f64(1.0), r); // also pow(NaN, 0)
  return b.fptrunc(r);
}

// ---- sin and cos of 2*pi*u ----------------------------------------------------
// Box-Muller needs sin and cos of t = 2*pi*u2 for a uniform u2 in [0, 1);
// reducing u instead of t makes the reduction exact:
// 1. x = 4u (exact); k = round-to-nearest-even(x) by the shifter trick (kf as
//    a double, the integer k as the difference of bit patterns); r = x - kf,
//    exact, in [-1/2, 1/2]; theta = r * pi/2 in [-pi/4, pi/4] (one rounding).
// 2. sin(theta) = theta + theta*z*S(z), cos(theta) = 1 - z/2 + z^2*C(z),
//    z = theta^2, with fdlibm's __kernel_sin/__kernel_cos minimax
//    coefficients (S1..S6, C1..C6); cos keeps the rounding error of 1 - z/2
//    as fdlibm does: w = 1 - z/2, c = w + (((1 - w) - z/2) + z^2*C(z)).
// 3. The quadrant k mod 4 picks and negates: sin(2*pi*u) = s, c, -s, -c and
//    cos(2*pi*u) = c, -s, -c, s for k mod 4 = 0, 1, 2, 3.
// Valid for |u| < 2^49; NaN -> NaN. Measured max error over 10^7 uniforms:
// docs/runtime-core.md (KilnMath).
template <class B> std::array<typename B::F64, 2> sincos2pi_f64(B &b, typename B::F64 u) {
  using F = typename B::F64;
  using I = typename B::I64;
  F x = b.mul(u, b.f64(4.0));
  const F shifter = b.f64(0x1.8p52);
  F t = b.add(x, shifter);
  F kf = b.sub(t, shifter);
  I q = b.iand(b.isub(b.bits(t), b.bits(shifter)), b.i64(3));
  F r = b.sub(x, kf);
  F th = b.mul(r, b.f64(1.57079632679489655800e+00));
  F z = b.mul(th, th);
  static constexpr double kS[] = {1.58969099521155010221e-10, -2.50507602534068634195e-08,
                                  2.75573137070700676789e-06, -1.98412698298579493134e-04,
                                  8.33333333332248946124e-03, -1.66666666666666324348e-01};
  static constexpr double kC[] = {-1.13596475577881948265e-11, 2.08757232129817482790e-09,
                                  -2.75573143513906633035e-07, 2.48015872894767294178e-05,
                                  -1.38888888888741095749e-03, 4.16666666666666019037e-02};
  F sn = b.add(th, b.mul(b.mul(th, z), detail::hornerF64(b, z, kS)));
  F hz = b.mul(z, b.f64(0.5));
  F w = b.sub(b.f64(1.0), hz);
  F cs = b.add(w, b.add(b.sub(b.sub(b.f64(1.0), w), hz),
                        b.mul(b.mul(z, z), detail::hornerF64(b, z, kC))));
  auto q1 = b.ieq(q, b.i64(1)), q2 = b.ieq(q, b.i64(2)), q3 = b.ieq(q, b.i64(3));
  F sinv = b.select(q1, cs, b.select(q2, b.neg(sn), b.select(q3, b.neg(cs), sn)));
  F cosv = b.select(q1, b.neg(sn), b.select(q2, b.neg(cs), b.select(q3, sn, cs)));
  return {sinv, cosv};
}

// ---- sin and cos of 2*pi*u in f32 ----------------------------------------------
// The f32 Box-Muller's angle, reduced like sincos2pi_f64 (exact reduction of
// u, not of 2*pi*u):
// 1. x = 4u (exact); k = rint(x) by the shifter trick (1.5*2^23, valid for
//    |x| < 2^22); r = x - kf, exact, in [-1/2, 1/2]; theta = r * pi/2 (the
//    f32 nearest pi/2, one rounding), in [-pi/4, pi/4].
// 2. Cephes sinf/cosf minimax polynomials on [-pi/4, pi/4], z = theta^2:
//    sin = ((S(z) * z) * theta) + theta, cos = ((C(z) * z) * z - z/2) + 1.
// 3. The quadrant k mod 4 selects and negates as in sincos2pi_f64.
// Valid for |u| < 2^20; NaN -> NaN. Measured max error: docs/runtime-core.md.
template <class B> std::array<typename B::F32, 2> sincos2pi_f32(B &b, typename B::F32 u) {
  using F = typename B::F32;
  using I = typename B::I32;
  F x = b.mul(u, b.f32(4.0f));
  const F shifter = b.f32(0x1.8p23f);
  F t = b.add(x, shifter);
  F kf = b.sub(t, shifter);
  I q = b.iand(b.isub(b.bits(t), b.bits(shifter)), b.i32(3));
  F r = b.sub(x, kf);
  F th = b.mul(r, b.f32(1.57079637f));
  F z = b.mul(th, th);
  static constexpr float kS[] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
  static constexpr float kC[] = {2.443315711809948e-5f, -1.388731625493765e-3f,
                                 4.166664568298827e-2f};
  F sn = b.add(b.mul(b.mul(detail::hornerF32(b, z, kS), z), th), th);
  F cs = b.mul(b.mul(detail::hornerF32(b, z, kC), z), z);
  cs = b.sub(cs, b.mul(z, b.f32(0.5f)));
  cs = b.add(cs, b.f32(1.0f));
  auto q1 = b.ieq(q, b.i32(1)), q2 = b.ieq(q, b.i32(2)), q3 = b.ieq(q, b.i32(3));
  F sinv = b.select(q1, cs, b.select(q2, b.neg(sn), b.select(q3, b.neg(cs), sn)));
  F cosv = b.select(q1, b.neg(sn), b.select(q2, b.neg(cs), b.select(q3, sn, cs)));
  return {sinv, cosv};
}

// ---- Philox4x32-10 and the uniform mappings -----------------------------------
// runtime/Philox.h documents how kiln numbers its draws (key, counter, which
// words an element uses); these are the arithmetic parts.

/// One Philox4x32 bijection (Salmon et al., SC'11; Random123's philox4x32_10):
/// 10 rounds of (hi, lo) = M * c (32x32 -> 64 bits) and a Weyl key schedule.
template <class B>
std::array<typename B::I32, 4> philox4x32_10(B &b, typename B::I32 c0, typename B::I32 c1,
                                             typename B::I32 c2, typename B::I32 c3,
                                             typename B::I32 k0, typename B::I32 k1) {
  using I = typename B::I32;
  const I m0 = b.i32(int32_t(0xD2511F53u)), m1 = b.i32(int32_t(0xCD9E8D57u));
  const I w0 = b.i32(int32_t(0x9E3779B9u)), w1 = b.i32(int32_t(0xBB67AE85u));
  for (int round = 0; round < 10; ++round) {
    I hi0 = b.umulhi(m0, c0), lo0 = b.imul(m0, c0);
    I hi1 = b.umulhi(m1, c2), lo1 = b.imul(m1, c2);
    I n0 = b.ixor(b.ixor(hi1, c1), k0);
    I n2 = b.ixor(b.ixor(hi0, c3), k1);
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = b.iadd(k0, w0);
    k1 = b.iadd(k1, w1);
  }
  return {c0, c1, c2, c3};
}

/// The top 24 bits of a word as a float in [0, 1): (w >> 8) * 2^-24 (exact).
template <class B> typename B::F32 uniform_f32_from_word(B &b, typename B::I32 w) {
  return b.mul(b.sitofp32(b.lshr(w, 8)), b.f32(0x1p-24f));
}

/// The top 53 bits of the 64-bit word (hi:lo) as a double in [0, 1):
/// (u64 >> 11) * 2^-53, exact. Computed as hi * 2^-32 + (lo >> 11) * 2^-53,
/// each 32-bit part converted exactly by the 2^52 magic-number trick
/// (fromBits(0x4330000000000000 | v) - 2^52 = v for v < 2^52), so the only
/// conversions are bit casts (vectorizes without 64-bit int -> double
/// instructions); the sum is exact, so the bits equal double(u64 >> 11)*2^-53.
template <class B>
typename B::F64 uniform_f64_from_words(B &b, typename B::I32 lo, typename B::I32 hi) {
  using F = typename B::F64;
  const typename B::I64 magicBits = b.i64(0x4330000000000000ll);
  const F magic = b.f64(0x1p52);
  F dhi = b.sub(b.fromBits(b.ior(magicBits, b.zext(hi))), magic);
  F dlo = b.sub(b.fromBits(b.ior(magicBits, b.zext(b.lshr(lo, 11)))), magic);
  return b.add(b.mul(dhi, b.f64(0x1p-32)), b.mul(dlo, b.f64(0x1p-53)));
}

/// The Box-Muller pair of one Philox block (words w0..w3): u1 = 1 - U(w0, w1)
/// in (0, 1] (so log(u1) is finite), u2 = U(w2, w3), r = sqrt(-2 log(u1));
/// returns {r cos(2 pi u2), r sin(2 pi u2)}, all in f64 (f32 normals are
/// these rounded).
template <class B>
std::array<typename B::F64, 2> normal_pair_f64(B &b, typename B::I32 w0, typename B::I32 w1,
                                               typename B::I32 w2, typename B::I32 w3) {
  using F = typename B::F64;
  F u1 = b.sub(b.f64(1.0), uniform_f64_from_words(b, w0, w1));
  F u2 = uniform_f64_from_words(b, w2, w3);
  F r = b.sqrt(b.mul(b.f64(-2.0), log_f64(b, u1)));
  auto sc = sincos2pi_f64(b, u2);
  return {b.mul(r, sc[1]), b.mul(r, sc[0])};
}

/// The f32 Box-Muller pair of two Philox words (wa, wb), computed in f32:
///   u1 = sitofp(wa >> 1) * 2^-31 + 2^-32  in (0, 1]  (31 bits: the smallest
///        u1 is 2^-32, so |z| reaches sqrt(64 ln 2) = 6.66, and small u1 are
///        resolved finely, where the tail comes from; the int -> float
///        conversion and the add each round to nearest)
///   u2 = (wb >> 8) * 2^-24                 in [0, 1)
///   r  = sqrt(-2 * log_f32(u1)),  returns {r * cos(2 pi u2), r * sin(2 pi u2)}
/// with log_f32 and sincos2pi_f32 above. log_f32(u1) <= 0 for every u1 <= 1
/// (tested over all floats in [0.5, 1]), so the sqrt never sees a negative.
template <class B>
std::array<typename B::F32, 2> normal_pair_f32(B &b, typename B::I32 wa, typename B::I32 wb) {
  using F = typename B::F32;
  F u1 = b.add(b.mul(b.sitofp32(b.lshr(wa, 1)), b.f32(0x1p-31f)), b.f32(0x1p-32f));
  F u2 = uniform_f32_from_word(b, wb);
  F r = b.sqrt(b.mul(b.f32(-2.0f), log_f32(b, u1)));
  auto sc = sincos2pi_f32(b, u2);
  return {b.mul(r, sc[1]), b.mul(r, sc[0])};
}

} // namespace kiln::runtime::mathgen
