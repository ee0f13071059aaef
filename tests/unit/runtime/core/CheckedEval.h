// CheckedEval: a MathGen evaluator for tests that behaves like an LLVM IR
// evaluator would: one C++ value type for F32, F64, I32, I64 and Mask (so
// generic code cannot lean on C++ overloading or implicit conversions), a
// run-time kind on every value that every operation checks (a mismatch is
// what an IRBuilder assertion would be), and kLanes lanes per value computed
// independently (so a generator that mixed lanes or branched on a value
// could not compile or would disagree). Each lane is computed with
// ScalarEval's operation of the same name, so a generator instantiated with
// CheckedEval must give bitwise ScalarEval's results, lane by lane.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "runtime/MathScalar.h"

namespace kiln::runtime::mathgen::testing {

inline constexpr int kLanes = 4;

enum class Kind : uint8_t { F32, F64, I32, I64, Mask };

struct Val {
  Kind kind;
  std::array<uint64_t, kLanes> lane;
};

class CheckedEval {
public:
  using F32 = Val;
  using F64 = Val;
  using I32 = Val;
  using I64 = Val;
  using Mask = Val;

  /// Operations performed so far (a rough cost measure for the docs).
  int64_t ops = 0;

  // ---- building and reading values (test side) ----
  static Val ofF32(const std::array<float, kLanes> &v) { return pack(Kind::F32, v); }
  static Val ofF64(const std::array<double, kLanes> &v) { return pack(Kind::F64, v); }
  static Val ofI32(const std::array<int32_t, kLanes> &v) { return pack(Kind::I32, v); }
  template <class T> static T get(const Val &v, int lane) { return load<T>(v.lane[lane]); }

  // ---- constants ----
  Val f32(float v) { return splat(Kind::F32, v); }
  Val f64(double v) { return splat(Kind::F64, v); }
  Val i32(int32_t v) { return splat(Kind::I32, v); }
  Val i64(int64_t v) { return splat(Kind::I64, v); }

  // ---- float ops ----
  Val add(Val a, Val b) {
    return fbin("add", a, b, [&](auto x, auto y) { return s.add(x, y); });
  }
  Val sub(Val a, Val b) {
    return fbin("sub", a, b, [&](auto x, auto y) { return s.sub(x, y); });
  }
  Val mul(Val a, Val b) {
    return fbin("mul", a, b, [&](auto x, auto y) { return s.mul(x, y); });
  }
  Val div(Val a, Val b) {
    return fbin("div", a, b, [&](auto x, auto y) { return s.div(x, y); });
  }
  Val copysign(Val a, Val b) {
    return fbin("copysign", a, b, [&](auto x, auto y) { return s.copysign(x, y); });
  }
  Val neg(Val a) {
    return fun("neg", a, [&](auto x) { return s.neg(x); });
  }
  Val sqrt(Val a) {
    return fun("sqrt", a, [&](auto x) { return s.sqrt(x); });
  }
  Val fabs(Val a) {
    return fun("fabs", a, [&](auto x) { return s.fabs(x); });
  }
  Val fma(Val a, Val b, Val c) {
    same("fma", a, b);
    same("fma", a, c);
    if (!isFloat(a.kind))
      fail(std::string("fma: operands are ") + name(a.kind));
    return lanes(a.kind, [&](int l) {
      return a.kind == Kind::F32 ? store(s.fma(load<float>(a.lane[l]), load<float>(b.lane[l]),
                                               load<float>(c.lane[l])))
                                 : store(s.fma(load<double>(a.lane[l]), load<double>(b.lane[l]),
                                               load<double>(c.lane[l])));
    });
  }

  // ---- float compares ----
  Val lt(Val a, Val b) {
    return fcmp("lt", a, b, [&](auto x, auto y) { return s.lt(x, y); });
  }
  Val le(Val a, Val b) {
    return fcmp("le", a, b, [&](auto x, auto y) { return s.le(x, y); });
  }
  Val gt(Val a, Val b) {
    return fcmp("gt", a, b, [&](auto x, auto y) { return s.gt(x, y); });
  }
  Val ge(Val a, Val b) {
    return fcmp("ge", a, b, [&](auto x, auto y) { return s.ge(x, y); });
  }
  Val eq(Val a, Val b) {
    return fcmp("eq", a, b, [&](auto x, auto y) { return s.eq(x, y); });
  }
  Val ne(Val a, Val b) {
    return fcmp("ne", a, b, [&](auto x, auto y) { return s.ne(x, y); });
  }
  Val isnan(Val a) {
    return fcmp("isnan", a, a, [&](auto x, auto) { return s.isnan(x); });
  }

  // ---- masks, select ----
  Val mand(Val a, Val b) {
    return mbin("mand", a, b, [](bool x, bool y) { return x && y; });
  }
  Val mor(Val a, Val b) {
    return mbin("mor", a, b, [](bool x, bool y) { return x || y; });
  }
  Val mnot(Val a) {
    return mbin("mnot", a, a, [](bool x, bool) { return !x; });
  }
  Val select(Val m, Val a, Val b) {
    expect("select", m, Kind::Mask);
    same("select", a, b);
    ++ops;
    Val r{a.kind, {}};
    for (int l = 0; l < kLanes; ++l)
      r.lane[l] = m.lane[l] ? a.lane[l] : b.lane[l];
    return r;
  }

  // ---- bit casts ----
  Val bits(Val a) {
    if (a.kind != Kind::F32 && a.kind != Kind::F64)
      fail("bits of a non-float");
    ++ops;
    return Val{a.kind == Kind::F32 ? Kind::I32 : Kind::I64, a.lane};
  }
  Val fromBits(Val a) {
    if (a.kind != Kind::I32 && a.kind != Kind::I64)
      fail("fromBits of a non-integer");
    ++ops;
    return Val{a.kind == Kind::I32 ? Kind::F32 : Kind::F64, a.lane};
  }

  // ---- integers ----
  Val iadd(Val a, Val b) {
    return ibin("iadd", a, b, [&](auto x, auto y) { return s.iadd(x, y); });
  }
  Val isub(Val a, Val b) {
    return ibin("isub", a, b, [&](auto x, auto y) { return s.isub(x, y); });
  }
  Val imul(Val a, Val b) {
    return ibin("imul", a, b, [&](auto x, auto y) { return s.imul(x, y); });
  }
  Val iand(Val a, Val b) {
    return ibin("iand", a, b, [&](auto x, auto y) { return s.iand(x, y); });
  }
  Val ior(Val a, Val b) {
    return ibin("ior", a, b, [&](auto x, auto y) { return s.ior(x, y); });
  }
  Val ixor(Val a, Val b) {
    return ibin("ixor", a, b, [&](auto x, auto y) { return s.ixor(x, y); });
  }
  Val shl(Val a, int n) {
    return shift("shl", a, n, [&](auto x) { return s.shl(x, n); });
  }
  Val lshr(Val a, int n) {
    return shift("lshr", a, n, [&](auto x) { return s.lshr(x, n); });
  }
  Val ashr(Val a, int n) {
    return shift("ashr", a, n, [&](auto x) { return s.ashr(x, n); });
  }
  Val ilt(Val a, Val b) {
    return icmp("ilt", a, b, [&](auto x, auto y) { return s.ilt(x, y); });
  }
  Val ile(Val a, Val b) {
    return icmp("ile", a, b, [&](auto x, auto y) { return s.ile(x, y); });
  }
  Val igt(Val a, Val b) {
    return icmp("igt", a, b, [&](auto x, auto y) { return s.igt(x, y); });
  }
  Val ige(Val a, Val b) {
    return icmp("ige", a, b, [&](auto x, auto y) { return s.ige(x, y); });
  }
  Val ieq(Val a, Val b) {
    return icmp("ieq", a, b, [&](auto x, auto y) { return s.ieq(x, y); });
  }
  Val ine(Val a, Val b) {
    return icmp("ine", a, b, [&](auto x, auto y) { return s.ine(x, y); });
  }
  Val ult(Val a, Val b) {
    return icmp("ult", a, b, [&](auto x, auto y) { return s.ult(x, y); });
  }
  Val umulhi(Val a, Val b) {
    expect("umulhi", a, Kind::I32);
    expect("umulhi", b, Kind::I32);
    return lanes(Kind::I32, [&](int l) {
      return store(s.umulhi(load<int32_t>(a.lane[l]), load<int32_t>(b.lane[l])));
    });
  }

  // ---- conversions ----
  Val sitofp32(Val a) {
    return conv<int32_t>("sitofp32", a, Kind::I32, Kind::F32,
                         [&](int32_t x) { return s.sitofp32(x); });
  }
  Val sitofp64(Val a) {
    return conv<int64_t>("sitofp64", a, Kind::I64, Kind::F64,
                         [&](int64_t x) { return s.sitofp64(x); });
  }
  Val fpext(Val a) {
    return conv<float>("fpext", a, Kind::F32, Kind::F64, [&](float x) { return s.fpext(x); });
  }
  Val fptrunc(Val a) {
    return conv<double>("fptrunc", a, Kind::F64, Kind::F32, [&](double x) { return s.fptrunc(x); });
  }
  Val sext(Val a) {
    return conv<int32_t>("sext", a, Kind::I32, Kind::I64, [&](int32_t x) { return s.sext(x); });
  }
  Val zext(Val a) {
    return conv<int32_t>("zext", a, Kind::I32, Kind::I64, [&](int32_t x) { return s.zext(x); });
  }
  Val itrunc(Val a) {
    return conv<int64_t>("itrunc", a, Kind::I64, Kind::I32, [&](int64_t x) { return s.itrunc(x); });
  }

private:
  ScalarEval s;

  [[noreturn]] static void fail(const std::string &what) {
    throw std::logic_error("CheckedEval: " + what);
  }
  static const char *name(Kind k) {
    switch (k) {
    case Kind::F32: return "f32";
    case Kind::F64: return "f64";
    case Kind::I32: return "i32";
    case Kind::I64: return "i64";
    case Kind::Mask: return "mask";
    }
    return "?";
  }
  static void expect(const char *op, const Val &v, Kind k) {
    if (v.kind != k)
      fail(std::string(op) + ": operand is " + name(v.kind) + ", expected " + name(k));
  }
  static void same(const char *op, const Val &a, const Val &b) {
    if (a.kind != b.kind)
      fail(std::string(op) + ": operands are " + name(a.kind) + " and " + name(b.kind));
  }
  static bool isFloat(Kind k) { return k == Kind::F32 || k == Kind::F64; }
  static bool isInt(Kind k) { return k == Kind::I32 || k == Kind::I64; }

  // Lanes hold the value's bits in the low bytes (a float's 32 bits, a
  // mask's 0/1), zero above.
  template <class T> static uint64_t store(T v) {
    if constexpr (sizeof(T) == 4)
      return std::bit_cast<uint32_t>(v);
    else if constexpr (sizeof(T) == 8)
      return std::bit_cast<uint64_t>(v);
    else
      return v ? 1 : 0;
  }
  template <class T> static T load(uint64_t raw) {
    if constexpr (std::is_same_v<T, bool>)
      return raw != 0;
    else if constexpr (sizeof(T) == 4)
      return std::bit_cast<T>(uint32_t(raw));
    else
      return std::bit_cast<T>(raw);
  }
  template <class T> static Val pack(Kind k, const std::array<T, kLanes> &v) {
    Val r{k, {}};
    for (int l = 0; l < kLanes; ++l)
      r.lane[l] = store(v[l]);
    return r;
  }
  template <class T> Val splat(Kind k, T v) {
    ++ops;
    Val r{k, {}};
    r.lane.fill(store(v));
    return r;
  }
  template <class Fn> Val lanes(Kind k, Fn fn) {
    ++ops;
    Val r{k, {}};
    for (int l = 0; l < kLanes; ++l)
      r.lane[l] = fn(l);
    return r;
  }
  template <class Fn> Val fbin(const char *op, Val a, Val b, Fn fn) {
    same(op, a, b);
    if (!isFloat(a.kind))
      fail(std::string(op) + ": operands are " + name(a.kind));
    return lanes(a.kind, [&](int l) {
      return a.kind == Kind::F32 ? store(fn(load<float>(a.lane[l]), load<float>(b.lane[l])))
                                 : store(fn(load<double>(a.lane[l]), load<double>(b.lane[l])));
    });
  }
  template <class Fn> Val fun(const char *op, Val a, Fn fn) {
    return fbin(op, a, a, [&](auto x, auto) { return fn(x); });
  }
  template <class Fn> Val fcmp(const char *op, Val a, Val b, Fn fn) {
    same(op, a, b);
    if (!isFloat(a.kind))
      fail(std::string(op) + ": operands are " + name(a.kind));
    return lanes(Kind::Mask, [&](int l) {
      return a.kind == Kind::F32 ? store(fn(load<float>(a.lane[l]), load<float>(b.lane[l])))
                                 : store(fn(load<double>(a.lane[l]), load<double>(b.lane[l])));
    });
  }
  template <class Fn> Val mbin(const char *op, Val a, Val b, Fn fn) {
    expect(op, a, Kind::Mask);
    expect(op, b, Kind::Mask);
    return lanes(Kind::Mask, [&](int l) { return store(fn(a.lane[l] != 0, b.lane[l] != 0)); });
  }
  template <class Fn> Val ibin(const char *op, Val a, Val b, Fn fn) {
    same(op, a, b);
    if (!isInt(a.kind))
      fail(std::string(op) + ": operands are " + name(a.kind));
    return lanes(a.kind, [&](int l) {
      return a.kind == Kind::I32 ? store(fn(load<int32_t>(a.lane[l]), load<int32_t>(b.lane[l])))
                                 : store(fn(load<int64_t>(a.lane[l]), load<int64_t>(b.lane[l])));
    });
  }
  template <class Fn> Val icmp(const char *op, Val a, Val b, Fn fn) {
    same(op, a, b);
    if (!isInt(a.kind))
      fail(std::string(op) + ": operands are " + name(a.kind));
    return lanes(Kind::Mask, [&](int l) {
      return a.kind == Kind::I32 ? store(fn(load<int32_t>(a.lane[l]), load<int32_t>(b.lane[l])))
                                 : store(fn(load<int64_t>(a.lane[l]), load<int64_t>(b.lane[l])));
    });
  }
  template <class Fn> Val shift(const char *op, Val a, int n, Fn fn) {
    if (!isInt(a.kind))
      fail(std::string(op) + ": operand is " + name(a.kind));
    if (n < 0 || n >= (a.kind == Kind::I32 ? 32 : 64))
      fail(std::string(op) + ": shift count " + std::to_string(n) + " out of range");
    return lanes(a.kind, [&](int l) {
      return a.kind == Kind::I32 ? store(fn(load<int32_t>(a.lane[l])))
                                 : store(fn(load<int64_t>(a.lane[l])));
    });
  }
  template <class From, class Fn> Val conv(const char *op, Val a, Kind from, Kind to, Fn fn) {
    expect(op, a, from);
    return lanes(to, [&](int l) { return store(fn(load<From>(a.lane[l]))); });
  }
};

} // namespace kiln::runtime::mathgen::testing
