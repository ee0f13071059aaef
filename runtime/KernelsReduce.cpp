// Reductions: sum, mean, max, min, argmax along one axis or over everything,
// in a fixed order of operations (see Kernels.h) so results do not depend on
// the number of threads.
#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/KernelsInternal.h"

namespace kiln::runtime::kernels {

namespace {

template <class T> T sumBlock(const T *x, int64_t n) {
  T acc[8] = {T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0)};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      acc[j] += x[i + j];
  for (int j = 0; i < n; ++i, ++j)
    acc[j] += x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <class T> T sumRun(const T *x, int64_t n, bool mayParallelize) {
  const int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  if (blocks <= 1)
    return T(0) + sumBlock(x, n);
  T local[64];
  std::vector<T> heap;
  T *partial = local;
  if (blocks > 64) {
    heap.resize(static_cast<size_t>(blocks));
    partial = heap.data();
  }
  auto one = [&](int64_t b) {
    int64_t begin = b * kReduceBlock;
    partial[b] = sumBlock(x + begin, std::min(kReduceBlock, n - begin));
  };
  detail::forTasks(blocks, mayParallelize && n >= kParallelThreshold, one);
  T total = T(0);
  for (int64_t b = 0; b < blocks; ++b)
    total += partial[b];
  return total;
}

/// NaN-propagating max/min step: once the accumulator is NaN it stays NaN.
template <class T> inline T maxStep(T acc, T v) { return (v > acc || v != v) ? v : acc; }
template <class T> inline T minStep(T acc, T v) { return (v < acc || v != v) ? v : acc; }
/// Argmax: strictly greater wins (first on ties); the first NaN wins for good.
template <class T> inline bool argmaxTakes(T best, T v) {
  return v > best || (v != v && best == best);
}

struct Geometry {
  int64_t outer = 1, extent = 1, inner = 1;
};

template <class T> T addElem(T a, T b) {
  if constexpr (std::is_same_v<T, int64_t>)
    return int64_t(uint64_t(a) + uint64_t(b));
  else
    return a + b;
}

template <class T>
void reduceTyped(ReduceOp op, const T *x, Tensor &out, const Geometry &g) {
  const int64_t R = g.extent, inner = g.inner, outer = g.outer;
  const int64_t total = outer * R * inner;
  const bool par = total >= kParallelThreshold;
  if (op == ReduceOp::Argmax) {
    int64_t *o = out.data<int64_t>();
    const int64_t jchunk = 128;
    const int64_t perOuter = (inner + jchunk - 1) / jchunk;
    auto piece = [&](int64_t p) {
      int64_t oi = p / perOuter, j0 = (p % perOuter) * jchunk;
      int64_t jn = std::min(jchunk, inner - j0);
      const T *base = x + oi * R * inner + j0;
      T best[128];
      for (int64_t j = 0; j < jn; ++j) {
        best[j] = base[j];
        o[oi * inner + j0 + j] = 0;
      }
      for (int64_t r = 1; r < R; ++r)
        for (int64_t j = 0; j < jn; ++j) {
          T v = base[r * inner + j];
          if (argmaxTakes(best[j], v)) {
            best[j] = v;
            o[oi * inner + j0 + j] = r;
          }
        }
    };
    int64_t pieces = outer * perOuter;
    detail::forTasks(pieces, par, piece);
    return;
  }

  T *o = out.data<T>();
  const bool isSum = op == ReduceOp::Sum || op == ReduceOp::Mean;
  auto finish = [&](T v) -> T {
    if (op != ReduceOp::Mean)
      return v;
    if constexpr (std::is_floating_point_v<T>)
      return v / T(R);
    else if constexpr (std::is_same_v<T, int64_t>)
      return R == 0 ? 0 : v / R;
    else
      return v;
  };

  if (inner == 1) {
    // Each output reduces a contiguous run.
    auto run = [&](int64_t oi, bool nested) {
      const T *p = x + oi * R;
      T acc;
      if (isSum) {
        if constexpr (std::is_floating_point_v<T>) {
          acc = sumRun(p, R, nested);
        } else {
          acc = T(0);
          for (int64_t r = 0; r < R; ++r)
            acc = addElem(acc, p[r]);
        }
      } else {
        acc = p[0];
        if (op == ReduceOp::Max)
          for (int64_t r = 1; r < R; ++r)
            acc = maxStep(acc, p[r]);
        else
          for (int64_t r = 1; r < R; ++r)
            acc = minStep(acc, p[r]);
      }
      o[oi] = finish(acc);
    };
    if (outer == 1) {
      run(0, true);
    } else {
      detail::forTasks(outer, par, [&](int64_t oi) { run(oi, false); });
    }
    return;
  }

  // Strided: each output adds its inputs one by one in increasing r,
  // vectorized across the inner dimension.
  const int64_t jchunk = 128;
  const int64_t perOuter = (inner + jchunk - 1) / jchunk;
  auto piece = [&](int64_t p) {
    int64_t oi = p / perOuter, j0 = (p % perOuter) * jchunk;
    int64_t jn = std::min(jchunk, inner - j0);
    const T *base = x + oi * R * inner + j0;
    T *acc = o + oi * inner + j0;
    if (isSum) {
      for (int64_t j = 0; j < jn; ++j)
        acc[j] = T(0);
      for (int64_t r = 0; r < R; ++r) {
        const T *row = base + r * inner;
        for (int64_t j = 0; j < jn; ++j)
          acc[j] = addElem(acc[j], row[j]);
      }
    } else {
      for (int64_t j = 0; j < jn; ++j)
        acc[j] = base[j];
      for (int64_t r = 1; r < R; ++r) {
        const T *row = base + r * inner;
        if (op == ReduceOp::Max)
          for (int64_t j = 0; j < jn; ++j)
            acc[j] = maxStep(acc[j], row[j]);
        else
          for (int64_t j = 0; j < jn; ++j)
            acc[j] = minStep(acc[j], row[j]);
      }
    }
    for (int64_t j = 0; j < jn; ++j)
      acc[j] = finish(acc[j]);
  };
  int64_t pieces = outer * perOuter;
  detail::forTasks(pieces, par, piece);
}

const char *reduceName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum: return "reduce_sum";
  case ReduceOp::Mean: return "reduce_mean";
  case ReduceOp::Max: return "reduce_max";
  case ReduceOp::Min: return "reduce_min";
  case ReduceOp::Argmax: return "reduce_argmax";
  }
  return "reduce";
}

} // namespace

float reduceSumRun(const float *x, int64_t n) { return sumRun(x, n, true); }
double reduceSumRun(const double *x, int64_t n) { return sumRun(x, n, true); }

KernelResult reduce(ReduceOp op, const Tensor &x, std::optional<int64_t> axis) {
  Geometry g;
  std::vector<int64_t> outShape;
  if (!axis) {
    g.extent = x.numel();
  } else {
    if (*axis < 0 || *axis >= x.rank())
      return KernelResult::failure(std::string(reduceName(op)) + ": axis " +
                                   std::to_string(*axis) + " out of range for shape " +
                                   detail::shapeStr(x.shape()));
    for (int64_t d = 0; d < x.rank(); ++d) {
      if (d < *axis)
        g.outer *= x.dim(d);
      else if (d > *axis)
        g.inner *= x.dim(d);
      if (d != *axis)
        outShape.push_back(x.dim(d));
    }
    g.extent = x.dim(*axis);
  }
  if (g.extent == 0 && (op == ReduceOp::Max || op == ReduceOp::Min || op == ReduceOp::Argmax))
    return KernelResult::failure(std::string(reduceName(op)) + " over an empty extent (shape " +
                                 detail::shapeStr(x.shape()) + ")");
  ir::ElemType outType = op == ReduceOp::Argmax ? ir::ElemType::I64 : x.dtype();
  Tensor out = Tensor::empty(outType, std::move(outShape));
  if (out.numel() == 0)
    return KernelResult::success(std::move(out));
  // i1: sum and mean are "any" (max), min is "all".
  ReduceOp eff = op;
  if (x.dtype() == ir::ElemType::I1 && (op == ReduceOp::Sum || op == ReduceOp::Mean))
    eff = ReduceOp::Max;
  if (x.dtype() == ir::ElemType::I1 && eff != ReduceOp::Argmax && g.extent == 0) {
    std::memset(out.raw(), eff == ReduceOp::Min ? 1 : 0, out.nbytes());
    return KernelResult::success(std::move(out));
  }
  detail::dispatchDtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    reduceTyped<T>(eff, x.data<T>(), out, g);
  });
  return KernelResult::success(std::move(out));
}

} // namespace kiln::runtime::kernels

extern "C" {
float kiln_rt_sum_run_f32(const float *x, int64_t n) {
  return kiln::runtime::kernels::reduceSumRun(x, n);
}
double kiln_rt_sum_run_f64(const double *x, int64_t n) {
  return kiln::runtime::kernels::reduceSumRun(x, n);
}
}
