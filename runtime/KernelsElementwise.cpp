// Elementwise kernels: constants, unary, binary, comparisons, select, cast,
// and numpy broadcasting.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/KernelsInternal.h"
#include "runtime/KilnMath.h"

namespace kiln::runtime::kernels {

using detail::BroadcastPlan;
using detail::dispatchDtype;

// ---- op-kind mapping ----------------------------------------------------------

std::optional<UnaryOp> unaryOpFor(ir::OpKind k) {
  switch (k) {
  case ir::OpKind::Neg: return UnaryOp::Neg;
  case ir::OpKind::Exp: return UnaryOp::Exp;
  case ir::OpKind::Log: return UnaryOp::Log;
  case ir::OpKind::Sqrt: return UnaryOp::Sqrt;
  case ir::OpKind::Abs: return UnaryOp::Abs;
  case ir::OpKind::Sigmoid: return UnaryOp::Sigmoid;
  case ir::OpKind::Tanh: return UnaryOp::Tanh;
  case ir::OpKind::Relu: return UnaryOp::Relu;
  default: return std::nullopt;
  }
}

std::optional<BinaryOp> binaryOpFor(ir::OpKind k) {
  switch (k) {
  case ir::OpKind::Add: return BinaryOp::Add;
  case ir::OpKind::Sub: return BinaryOp::Sub;
  case ir::OpKind::Mul: return BinaryOp::Mul;
  case ir::OpKind::Div: return BinaryOp::Div;
  case ir::OpKind::Max: return BinaryOp::Max;
  case ir::OpKind::Min: return BinaryOp::Min;
  case ir::OpKind::Pow: return BinaryOp::Pow;
  default: return std::nullopt;
  }
}

std::optional<CompareOp> compareOpFor(ir::OpKind k) {
  switch (k) {
  case ir::OpKind::Eq: return CompareOp::Eq;
  case ir::OpKind::Ne: return CompareOp::Ne;
  case ir::OpKind::Lt: return CompareOp::Lt;
  case ir::OpKind::Le: return CompareOp::Le;
  case ir::OpKind::Gt: return CompareOp::Gt;
  case ir::OpKind::Ge: return CompareOp::Ge;
  default: return std::nullopt;
  }
}

std::optional<ReduceOp> reduceOpFor(ir::OpKind k) {
  switch (k) {
  case ir::OpKind::ReduceSum: return ReduceOp::Sum;
  case ir::OpKind::ReduceMean: return ReduceOp::Mean;
  case ir::OpKind::ReduceMax: return ReduceOp::Max;
  case ir::OpKind::ReduceMin: return ReduceOp::Min;
  case ir::OpKind::ReduceArgmax: return ReduceOp::Argmax;
  default: return std::nullopt;
  }
}

// ---- broadcasting ---------------------------------------------------------------

namespace detail {

std::string shapeStr(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

bool planBroadcast(std::span<const std::vector<int64_t>> shapes, BroadcastPlan &plan,
                   std::string &error) {
  size_t rank = 0;
  for (const auto &s : shapes)
    rank = std::max(rank, s.size());
  plan.outShape.assign(rank, 1);
  for (const auto &s : shapes) {
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &o = plan.outShape[off + i];
      if (s[i] == o || s[i] == 1)
        continue;
      if (o == 1) {
        o = s[i];
        continue;
      }
      error = "shapes";
      for (size_t j = 0; j < shapes.size(); ++j)
        error += (j ? (j + 1 == shapes.size() ? " and " : ", ") : " ") + shapeStr(shapes[j]);
      error += " do not broadcast";
      return false;
    }
  }
  plan.numel = 1;
  for (int64_t d : plan.outShape)
    plan.numel *= d;
  // Full strides per operand over the output rank (0 where broadcast).
  std::vector<std::vector<int64_t>> full(shapes.size(), std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < shapes.size(); ++k) {
    const auto &s = shapes[k];
    size_t off = rank - s.size();
    int64_t st = 1;
    for (size_t i = s.size(); i-- > 0;) {
      full[k][off + i] = s[i] == 1 ? 0 : st;
      st *= s[i];
    }
  }
  // Collapse adjacent dimensions every operand walks contiguously (or not at
  // all), and drop size-1 dimensions.
  plan.dims.clear();
  plan.strides.assign(shapes.size(), {});
  for (size_t i = 0; i < rank; ++i) {
    int64_t d = plan.outShape[i];
    if (d == 1)
      continue;
    bool merge = !plan.dims.empty();
    for (size_t k = 0; k < shapes.size() && merge; ++k)
      merge = plan.strides[k].back() == full[k][i] * d;
    if (merge) {
      plan.dims.back() *= d;
      for (size_t k = 0; k < shapes.size(); ++k)
        plan.strides[k].back() = full[k][i];
    } else {
      plan.dims.push_back(d);
      for (size_t k = 0; k < shapes.size(); ++k)
        plan.strides[k].push_back(full[k][i]);
    }
  }
  if (plan.dims.empty()) {
    plan.dims.push_back(1);
    for (auto &st : plan.strides)
      st.push_back(0);
  }
  return true;
}

} // namespace detail

std::optional<std::vector<int64_t>> broadcastShapes(std::span<const int64_t> a,
                                                    std::span<const int64_t> b) {
  std::vector<int64_t> shapes[2] = {{a.begin(), a.end()}, {b.begin(), b.end()}};
  BroadcastPlan plan;
  std::string err;
  if (!detail::planBroadcast(shapes, plan, err))
    return std::nullopt;
  return plan.outShape;
}

namespace {

// Inner loops specialised on which operands advance (stride 1) and which
// stay (stride 0), so the common cases are plain vectorizable loops.
// flatten (here and on mapRange/zipRange): every MathGen call is inlined into
// each host clone, so its fma's become vfmadd there; left to GCC, expClamped
// stayed one out-of-line baseline copy calling libm's fma per element.
template <class O, class A, class B, class F>
KILN_HOST_CLONES __attribute__((flatten)) void inner2(O *o, const A *a, int64_t sa, const B *b, int64_t sb, int64_t n,
                             F f) {
  if (sa && sb) {
    for (int64_t i = 0; i < n; ++i)
      o[i] = f(a[i], b[i]);
  } else if (sa) {
    const B bv = b[0];
    for (int64_t i = 0; i < n; ++i)
      o[i] = f(a[i], bv);
  } else if (sb) {
    const A av = a[0];
    for (int64_t i = 0; i < n; ++i)
      o[i] = f(av, b[i]);
  } else {
    const O v = f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i)
      o[i] = v;
  }
}

template <class O, class A, class B, class F>
KernelResult broadcast2(const Tensor &a, const Tensor &b, ir::ElemType outType, F f) {
  std::vector<int64_t> shapes[2] = {a.shape(), b.shape()};
  BroadcastPlan plan;
  std::string err;
  if (!detail::planBroadcast(shapes, plan, err))
    return KernelResult::failure(err);
  Tensor out = Tensor::empty(outType, plan.outShape);
  const A *pa = a.data<A>();
  const B *pb = b.data<B>();
  O *po = out.data<O>();
  detail::forEachPiece<2>(plan, [&](const int64_t *offs, int64_t oo, int64_t n) {
    inner2(po + oo, pa + offs[0], plan.strides[0].back(), pb + offs[1],
           plan.strides[1].back(), n, f);
  });
  return KernelResult::success(std::move(out));
}

template <class T> inline T wrapAdd(T a, T b) {
  if constexpr (std::is_same_v<T, int64_t>)
    return int64_t(uint64_t(a) + uint64_t(b));
  else
    return a + b;
}

template <class T> inline T ipow(T base, T e) {
  // Integer power with wrapping; negative exponents give 1/base^-e truncated.
  if (e < 0)
    return base == 1 ? 1 : (base == -1 ? ((e & 1) ? -1 : 1) : 0);
  uint64_t r = 1, b = uint64_t(base);
  uint64_t ue = uint64_t(e);
  while (ue) {
    if (ue & 1)
      r *= b;
    b *= b;
    ue >>= 1;
  }
  return T(r);
}

template <class T> KernelResult binaryTyped(BinaryOp op, const Tensor &a, const Tensor &b) {
  const ir::ElemType dt = a.dtype();
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
    case BinaryOp::Add: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return x + y; });
    case BinaryOp::Sub: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return x - y; });
    case BinaryOp::Mul: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return x * y; });
    case BinaryOp::Div: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return x / y; });
    case BinaryOp::Max:
      return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return (x > y || x != x) ? x : y; });
    case BinaryOp::Min:
      return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return (x < y || x != x) ? x : y; });
    case BinaryOp::Pow: // kiln's own for f32 (MathGen), glibc's for f64 (see Kernels.h)
      if constexpr (std::is_same_v<T, float>)
        return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return kmath::pow(x, y); });
      else
        return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return std::pow(x, y); });
    }
  } else if constexpr (std::is_same_v<T, int64_t>) {
    switch (op) {
    case BinaryOp::Add: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return wrapAdd(x, y); });
    case BinaryOp::Sub:
      return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return T(uint64_t(x) - uint64_t(y)); });
    case BinaryOp::Mul:
      return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return T(uint64_t(x) * uint64_t(y)); });
    case BinaryOp::Div:
      return broadcast2<T, T, T>(a, b, dt, [](T x, T y) {
        return y == 0 ? T(0) : (y == -1 ? T(0 - uint64_t(x)) : x / y);
      });
    case BinaryOp::Max: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return x > y ? x : y; });
    case BinaryOp::Min: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return x < y ? x : y; });
    case BinaryOp::Pow: return broadcast2<T, T, T>(a, b, dt, [](T x, T y) { return ipow(x, y); });
    }
  } else { // i1: arithmetic mod 2 on {0, 1}
    auto bit = [](uint8_t v) -> uint8_t { return v ? 1 : 0; };
    switch (op) {
    case BinaryOp::Add:
    case BinaryOp::Sub:
      return broadcast2<T, T, T>(a, b, dt, [bit](T x, T y) -> T { return bit(x) ^ bit(y); });
    case BinaryOp::Mul:
    case BinaryOp::Min:
      return broadcast2<T, T, T>(a, b, dt, [bit](T x, T y) -> T { return bit(x) & bit(y); });
    case BinaryOp::Max:
      return broadcast2<T, T, T>(a, b, dt, [bit](T x, T y) -> T { return bit(x) | bit(y); });
    case BinaryOp::Div: // x / 1 = x, x / 0 = 0 (as for i64)
      return broadcast2<T, T, T>(a, b, dt, [bit](T x, T y) -> T { return bit(x) & bit(y); });
    case BinaryOp::Pow: // x^0 = 1, x^1 = x
      return broadcast2<T, T, T>(a, b, dt, [bit](T x, T y) -> T { return bit(y) ? bit(x) : 1; });
    }
  }
  KILN_UNREACHABLE("bad BinaryOp");
}

template <class T> KernelResult compareTyped(CompareOp op, const Tensor &a, const Tensor &b) {
  constexpr auto I1 = ir::ElemType::I1;
  switch (op) {
  case CompareOp::Eq: return broadcast2<uint8_t, T, T>(a, b, I1, [](T x, T y) -> uint8_t { return x == y; });
  case CompareOp::Ne: return broadcast2<uint8_t, T, T>(a, b, I1, [](T x, T y) -> uint8_t { return x != y; });
  case CompareOp::Lt: return broadcast2<uint8_t, T, T>(a, b, I1, [](T x, T y) -> uint8_t { return x < y; });
  case CompareOp::Le: return broadcast2<uint8_t, T, T>(a, b, I1, [](T x, T y) -> uint8_t { return x <= y; });
  case CompareOp::Gt: return broadcast2<uint8_t, T, T>(a, b, I1, [](T x, T y) -> uint8_t { return x > y; });
  case CompareOp::Ge: return broadcast2<uint8_t, T, T>(a, b, I1, [](T x, T y) -> uint8_t { return x >= y; });
  }
  KILN_UNREACHABLE("bad CompareOp");
}

/// Elements per parallel chunk of an elementwise loop: each chunk runs in a
/// host-ISA clone (an OpenMP region's outlined body would not be cloned).
inline constexpr int64_t kElementwiseChunk = 16 * 1024;

template <class T, class F>
KILN_HOST_CLONES __attribute__((flatten)) void mapRange(const T *x, T *y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = f(x[i]);
}

template <class T, class F>
KILN_HOST_CLONES __attribute__((flatten)) void zipRange(const T *a, const T *b, T *y, int64_t n,
                                                        F f) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = f(a[i], b[i]);
}

/// body(begin, count) over [0, n): in chunks on the OpenMP team above
/// kParallelThreshold, else in one call. Elementwise, so the split does not
/// change any result.
template <class Body> void chunked(int64_t n, Body body) {
  if (n < kParallelThreshold) {
    body(int64_t(0), n);
    return;
  }
  detail::forTasks((n + kElementwiseChunk - 1) / kElementwiseChunk, true, [&](int64_t c) {
    body(c * kElementwiseChunk, std::min(kElementwiseChunk, n - c * kElementwiseChunk));
  });
}

template <class T, class F> void mapContiguous(const T *x, T *y, int64_t n, F f) {
  chunked(n, [&](int64_t i, int64_t m) { mapRange(x + i, y + i, m, f); });
}

template <class T> void unaryLoop(UnaryOp op, const T *x, T *y, int64_t n) {
  switch (op) {
  case UnaryOp::Neg:
    if constexpr (std::is_same_v<T, int64_t>)
      return mapContiguous(x, y, n, [](T v) { return T(0 - uint64_t(v)); });
    else if constexpr (std::is_same_v<T, uint8_t>)
      return mapContiguous(x, y, n, [](T v) -> T { return v ? 1 : 0; });
    else
      return mapContiguous(x, y, n, [](T v) { return -v; });
  case UnaryOp::Abs:
    if constexpr (std::is_floating_point_v<T>)
      return mapContiguous(x, y, n, [](T v) { return std::fabs(v); });
    else if constexpr (std::is_same_v<T, int64_t>) // |INT64_MIN| wraps to itself
      return mapContiguous(x, y, n, [](T v) { return v < 0 ? T(0 - uint64_t(v)) : v; });
    else
      return mapContiguous(x, y, n, [](T v) -> T { return v ? 1 : 0; });
  case UnaryOp::Relu:
    if constexpr (std::is_same_v<T, uint8_t>)
      return mapContiguous(x, y, n, [](T v) -> T { return v ? 1 : 0; });
    else // NaN stays NaN (x > 0 is false, so test for "< 0")
      return mapContiguous(x, y, n, [](T v) { return v < T(0) ? T(0) : v; });
  default:
    break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
    case UnaryOp::Exp: return mapContiguous(x, y, n, [](T v) { return kmath::exp(v); });
    case UnaryOp::Log: return mapContiguous(x, y, n, [](T v) { return kmath::log(v); });
    case UnaryOp::Sqrt: return mapContiguous(x, y, n, [](T v) { return std::sqrt(v); });
    case UnaryOp::Sigmoid: return mapContiguous(x, y, n, [](T v) { return kmath::sigmoid(v); });
    case UnaryOp::Tanh: return mapContiguous(x, y, n, [](T v) { return kmath::tanh(v); });
    default: break;
    }
  }
  KILN_UNREACHABLE("unary op not defined on this element type (the verifier rules it out)");
}

} // namespace

// ---- public entry points ---------------------------------------------------------

Tensor constantSplat(ir::ElemType dtype, std::vector<int64_t> shape, double value) {
  return Tensor::full(dtype, std::move(shape), value);
}

KernelResult constantValues(ir::ElemType dtype, std::vector<int64_t> shape,
                            std::span<const double> values) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return KernelResult::failure("constant: dynamic or negative dimension in " +
                                   detail::shapeStr(shape));
    n *= d;
  }
  if (n != static_cast<int64_t>(values.size()))
    return KernelResult::failure("constant: " + std::to_string(values.size()) +
                                 " values for shape " + detail::shapeStr(shape) + " (" +
                                 std::to_string(n) + " elements)");
  return KernelResult::success(Tensor::fromDoubles(dtype, std::move(shape), values));
}

Tensor unary(UnaryOp op, const Tensor &x) {
  Tensor out = Tensor::empty(x.dtype(), x.shape());
  dispatchDtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    unaryLoop<T>(op, x.data<T>(), out.data<T>(), x.numel());
  });
  return out;
}

void unaryF32(UnaryOp op, const float *x, float *y, int64_t n) { unaryLoop<float>(op, x, y, n); }

void binaryF32(BinaryOp op, const float *a, const float *b, float *y, int64_t n) {
  auto run = [&](auto f) {
    chunked(n, [&](int64_t i, int64_t m) { zipRange(a + i, b + i, y + i, m, f); });
  };
  switch (op) {
  case BinaryOp::Add: return run([](float p, float q) { return p + q; });
  case BinaryOp::Sub: return run([](float p, float q) { return p - q; });
  case BinaryOp::Mul: return run([](float p, float q) { return p * q; });
  case BinaryOp::Div: return run([](float p, float q) { return p / q; });
  case BinaryOp::Max: return run([](float p, float q) { return (p > q || p != p) ? p : q; });
  case BinaryOp::Min: return run([](float p, float q) { return (p < q || p != p) ? p : q; });
  case BinaryOp::Pow: return run([](float p, float q) { return kmath::pow(p, q); });
  }
}

KernelResult binary(BinaryOp op, const Tensor &a, const Tensor &b) {
  KILN_ASSERT(a.dtype() == b.dtype(), "binary: element types differ (the verifier rules it out)");
  return dispatchDtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return binaryTyped<T>(op, a, b);
  });
}

KernelResult compare(CompareOp op, const Tensor &a, const Tensor &b) {
  KILN_ASSERT(a.dtype() == b.dtype(), "compare: element types differ (the verifier rules it out)");
  return dispatchDtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return compareTyped<T>(op, a, b);
  });
}

KernelResult select(const Tensor &cond, const Tensor &a, const Tensor &b) {
  KILN_ASSERT(cond.dtype() == ir::ElemType::I1, "select: condition is not i1");
  KILN_ASSERT(a.dtype() == b.dtype(), "select: element types differ (the verifier rules it out)");
  std::vector<int64_t> shapes[3] = {cond.shape(), a.shape(), b.shape()};
  BroadcastPlan plan;
  std::string err;
  if (!detail::planBroadcast(shapes, plan, err))
    return KernelResult::failure("select: " + err);
  Tensor out = Tensor::empty(a.dtype(), plan.outShape);
  dispatchDtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const uint8_t *pc = cond.data<uint8_t>();
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T *po = out.data<T>();
    detail::forEachPiece<3>(plan, [&](const int64_t *offs, int64_t oo, int64_t n) {
      const uint8_t *c = pc + offs[0];
      const T *x = pa + offs[1], *y = pb + offs[2];
      int64_t sc = plan.strides[0].back(), sx = plan.strides[1].back(), sy = plan.strides[2].back();
      T *o = po + oo;
      if (sc && sx && sy) {
        for (int64_t i = 0; i < n; ++i)
          o[i] = c[i] ? x[i] : y[i];
      } else {
        for (int64_t i = 0; i < n; ++i)
          o[i] = c[i * sc] ? x[i * sx] : y[i * sy];
      }
    });
  });
  return KernelResult::success(std::move(out));
}

Tensor cast(const Tensor &x, ir::ElemType to) {
  if (x.dtype() == to)
    return x; // tensors are immutable values: sharing is a copy
  Tensor out = Tensor::empty(to, x.shape());
  int64_t n = x.numel();
  dispatchDtype(x.dtype(), [&](auto fromTag) {
    using From = decltype(fromTag);
    dispatchDtype(to, [&](auto toTag) {
      using To = decltype(toTag);
      const From *src = x.data<From>();
      To *dst = out.data<To>();
      chunked(n, [&](int64_t i0, int64_t m) {
        for (int64_t i = i0; i < i0 + m; ++i)
          dst[i] = detail::convertElem<To>(src[i]);
      });
    });
  });
  return out;
}

} // namespace kiln::runtime::kernels
