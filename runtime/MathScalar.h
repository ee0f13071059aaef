// ScalarEval: the MathGen evaluator for plain C++ values (one lane), used by
// the interpreter's kernels, runtime/KilnMath.h and runtime/Philox.h.
//
// Every operation is one constexpr inline function doing exactly one IEEE
// (or integer) operation, so a MathGen function instantiated with ScalarEval
// compiles to the same straight-line code a hand-written version would, and
// loops over it vectorize (GCC -O3 with -fno-trapping-math if-converts the
// selects; -ffp-contract=off keeps a*b+c two roundings). fma is std::fma,
// correctly rounded everywhere: one vfmadd where the code is compiled for
// FMA (the interpreter's x86-64-v3/v4 clones, whose loops must inline the
// generators: KernelsElementwise.cpp flattens them), a call to libm's fma in
// baseline x86-64 code (hardware fma through glibc's ifunc on an FMA CPU,
// software on one without).
//
// Integer semantics follow the concept in runtime/MathGen.h: wrapping
// arithmetic and logical shifts go through the unsigned types (no signed
// overflow, no undefined shifts); ashr is C++20's arithmetic shift.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace kiln::runtime::mathgen {

struct ScalarEval {
  using F32 = float;
  using F64 = double;
  using I32 = int32_t;
  using I64 = int64_t;
  using Mask = bool;

  // Constants.
  constexpr F32 f32(float v) const { return v; }
  constexpr F64 f64(double v) const { return v; }
  constexpr I32 i32(int32_t v) const { return v; }
  constexpr I64 i64(int64_t v) const { return v; }

  // Float arithmetic (one rounding each).
  constexpr F32 add(F32 a, F32 b) const { return a + b; }
  constexpr F64 add(F64 a, F64 b) const { return a + b; }
  constexpr F32 sub(F32 a, F32 b) const { return a - b; }
  constexpr F64 sub(F64 a, F64 b) const { return a - b; }
  constexpr F32 mul(F32 a, F32 b) const { return a * b; }
  constexpr F64 mul(F64 a, F64 b) const { return a * b; }
  constexpr F32 div(F32 a, F32 b) const { return a / b; }
  constexpr F64 div(F64 a, F64 b) const { return a / b; }
  constexpr F32 neg(F32 a) const { return -a; }
  constexpr F64 neg(F64 a) const { return -a; }
  constexpr F32 sqrt(F32 a) const { return std::sqrt(a); }
  constexpr F64 sqrt(F64 a) const { return std::sqrt(a); }
  constexpr F32 fabs(F32 a) const { return std::fabs(a); }
  constexpr F64 fabs(F64 a) const { return std::fabs(a); }
  constexpr F32 copysign(F32 mag, F32 sign) const { return std::copysign(mag, sign); }
  constexpr F64 copysign(F64 mag, F64 sign) const { return std::copysign(mag, sign); }
  constexpr F32 fma(F32 a, F32 b, F32 c) const { return std::fma(a, b, c); }
  constexpr F64 fma(F64 a, F64 b, F64 c) const { return std::fma(a, b, c); }

  // Float compares.
  constexpr Mask lt(F32 a, F32 b) const { return a < b; }
  constexpr Mask lt(F64 a, F64 b) const { return a < b; }
  constexpr Mask le(F32 a, F32 b) const { return a <= b; }
  constexpr Mask le(F64 a, F64 b) const { return a <= b; }
  constexpr Mask gt(F32 a, F32 b) const { return a > b; }
  constexpr Mask gt(F64 a, F64 b) const { return a > b; }
  constexpr Mask ge(F32 a, F32 b) const { return a >= b; }
  constexpr Mask ge(F64 a, F64 b) const { return a >= b; }
  constexpr Mask eq(F32 a, F32 b) const { return a == b; }
  constexpr Mask eq(F64 a, F64 b) const { return a == b; }
  constexpr Mask ne(F32 a, F32 b) const { return a != b; }
  constexpr Mask ne(F64 a, F64 b) const { return a != b; }
  constexpr Mask isnan(F32 a) const { return a != a; }
  constexpr Mask isnan(F64 a) const { return a != a; }

  // Masks and selects (bitwise &, | on bool: no short-circuit branches).
  constexpr Mask mand(Mask a, Mask b) const { return a & b; }
  constexpr Mask mor(Mask a, Mask b) const { return a | b; }
  constexpr Mask mnot(Mask a) const { return !a; }
  template <class T> constexpr T select(Mask m, T a, T b) const { return m ? a : b; }

  // Bit casts.
  constexpr I32 bits(F32 a) const { return std::bit_cast<I32>(a); }
  constexpr I64 bits(F64 a) const { return std::bit_cast<I64>(a); }
  constexpr F32 fromBits(I32 a) const { return std::bit_cast<F32>(a); }
  constexpr F64 fromBits(I64 a) const { return std::bit_cast<F64>(a); }

  // Integers.
  constexpr I32 iadd(I32 a, I32 b) const { return I32(uint32_t(a) + uint32_t(b)); }
  constexpr I64 iadd(I64 a, I64 b) const { return I64(uint64_t(a) + uint64_t(b)); }
  constexpr I32 isub(I32 a, I32 b) const { return I32(uint32_t(a) - uint32_t(b)); }
  constexpr I64 isub(I64 a, I64 b) const { return I64(uint64_t(a) - uint64_t(b)); }
  constexpr I32 imul(I32 a, I32 b) const { return I32(uint32_t(a) * uint32_t(b)); }
  constexpr I64 imul(I64 a, I64 b) const { return I64(uint64_t(a) * uint64_t(b)); }
  constexpr I32 iand(I32 a, I32 b) const { return a & b; }
  constexpr I64 iand(I64 a, I64 b) const { return a & b; }
  constexpr I32 ior(I32 a, I32 b) const { return a | b; }
  constexpr I64 ior(I64 a, I64 b) const { return a | b; }
  constexpr I32 ixor(I32 a, I32 b) const { return a ^ b; }
  constexpr I64 ixor(I64 a, I64 b) const { return a ^ b; }
  constexpr I32 shl(I32 a, int n) const { return I32(uint32_t(a) << n); }
  constexpr I64 shl(I64 a, int n) const { return I64(uint64_t(a) << n); }
  constexpr I32 lshr(I32 a, int n) const { return I32(uint32_t(a) >> n); }
  constexpr I64 lshr(I64 a, int n) const { return I64(uint64_t(a) >> n); }
  constexpr I32 ashr(I32 a, int n) const { return a >> n; }
  constexpr I64 ashr(I64 a, int n) const { return a >> n; }
  constexpr Mask ilt(I32 a, I32 b) const { return a < b; }
  constexpr Mask ilt(I64 a, I64 b) const { return a < b; }
  constexpr Mask ile(I32 a, I32 b) const { return a <= b; }
  constexpr Mask ile(I64 a, I64 b) const { return a <= b; }
  constexpr Mask igt(I32 a, I32 b) const { return a > b; }
  constexpr Mask igt(I64 a, I64 b) const { return a > b; }
  constexpr Mask ige(I32 a, I32 b) const { return a >= b; }
  constexpr Mask ige(I64 a, I64 b) const { return a >= b; }
  constexpr Mask ieq(I32 a, I32 b) const { return a == b; }
  constexpr Mask ieq(I64 a, I64 b) const { return a == b; }
  constexpr Mask ine(I32 a, I32 b) const { return a != b; }
  constexpr Mask ine(I64 a, I64 b) const { return a != b; }
  constexpr Mask ult(I32 a, I32 b) const { return uint32_t(a) < uint32_t(b); }
  constexpr Mask ult(I64 a, I64 b) const { return uint64_t(a) < uint64_t(b); }
  constexpr I32 umulhi(I32 a, I32 b) const {
    return I32(uint32_t((uint64_t(uint32_t(a)) * uint32_t(b)) >> 32));
  }

  // Conversions.
  constexpr F32 sitofp32(I32 a) const { return F32(a); }
  constexpr F64 sitofp64(I64 a) const { return F64(a); }
  constexpr F64 fpext(F32 a) const { return F64(a); }
  constexpr F32 fptrunc(F64 a) const { return F32(a); }
  constexpr I64 sext(I32 a) const { return I64(a); }
  constexpr I64 zext(I32 a) const { return I64(uint32_t(a)); }
  constexpr I32 itrunc(I64 a) const { return I32(uint32_t(uint64_t(a))); }
};

} // namespace kiln::runtime::mathgen
