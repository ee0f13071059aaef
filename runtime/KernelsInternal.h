// Helpers shared by the Kernels*.cpp files (not part of the runtime's API).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ir/Support.h"
#include "runtime/Kernels.h"
#include "runtime/Parallel.h"

// Host-ISA copies of the interpreter's elementwise loops: GCC's
// target_clones compiles the function once per x86-64 level (v4: AVX-512,
// v3: AVX2+FMA, and the baseline) and the loader picks the one this CPU runs
// (ifunc), so `--no-jit` runs vector code of the host's width although the
// project is built for baseline x86-64. Only elementwise loops are cloned:
// each element is the same sequence of IEEE operations at every vector width
// (the build has -ffp-contract=off, so v3/v4 contract nothing into FMAs; the
// explicit std::fma of MathGen's exp/sigmoid/tanh is one rounding whether it
// is a vfmadd or baseline's libm call), hence every clone gives the
// baseline's bits; reductions are never cloned (vectorizing a sum
// reorders it). clang (the fuzz build) cannot clone templates: there the
// macro is empty.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KILN_HOST_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KILN_HOST_CLONES
#endif

namespace kiln::runtime::kernels::detail {

/// body(t) for every t in [0, count): on the job pool (runtime/Parallel.h)
/// when `parallel`, as at most kMaxTaskGroups groups of consecutive tasks,
/// else in order on this thread. The tasks must be independent (each
/// writes its own outputs), so which thread runs which cannot change a
/// result. The job pool, not an OpenMP team: beside a busy process a team's
/// barrier waits a time slice for a descheduled thread, while the pool's
/// caller only waits for groups a running helper has already claimed.
inline constexpr int64_t kMaxTaskGroups = 64;
template <class Body> void forTasks(int64_t count, bool parallel, Body &&body) {
  if (!parallel || count <= 1) {
    for (int64_t t = 0; t < count; ++t)
      body(t);
    return;
  }
  const int64_t groups = count < kMaxTaskGroups ? count : kMaxTaskGroups;
  auto group = [&](int64_t g) {
    for (int64_t t = count * g / groups, end = count * (g + 1) / groups; t < end; ++t)
      body(t);
  };
  parallelFor(
      groups,
      [](void *ctx, int64_t begin, int64_t end) {
        for (int64_t g = begin; g < end; ++g)
          (*static_cast<decltype(group) *>(ctx))(g);
      },
      &group);
}

/// "[2, 3]" for messages.
std::string shapeStr(std::span<const int64_t> shape);

/// Calls f(T{}) with T the C++ element type of dtype (i1 is uint8_t).
template <class F> decltype(auto) dispatchDtype(ir::ElemType dtype, F &&f) {
  switch (dtype) {
  case ir::ElemType::F32: return f(float{});
  case ir::ElemType::F64: return f(double{});
  case ir::ElemType::I64: return f(int64_t{});
  case ir::ElemType::I1: return f(uint8_t{});
  }
  KILN_UNREACHABLE("bad ElemType");
}

/// Floating -> i64 without undefined behaviour: truncation toward zero,
/// saturation at the i64 range, NaN -> 0.
template <class F> inline int64_t floatToI64(F v) {
  if (v != v)
    return 0;
  if (v >= F(9223372036854775808.0))
    return std::numeric_limits<int64_t>::max();
  if (v < F(-9223372036854775808.0))
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

/// Converts one element between kiln's element types (i1 is uint8_t 0/1).
template <class To, class From> inline To convertElem(From v) {
  if constexpr (std::is_same_v<To, uint8_t>) {
    return v != From(0) ? 1 : 0;
  } else if constexpr (std::is_same_v<From, uint8_t>) {
    return v ? To(1) : To(0);
  } else if constexpr (std::is_same_v<To, int64_t> && std::is_floating_point_v<From>) {
    return floatToI64(v);
  } else {
    return static_cast<To>(v);
  }
}

/// A broadcast iteration space: the output shape collapsed to as few
/// dimensions as possible, and each operand's element strides over it
/// (0 along broadcast dimensions).
struct BroadcastPlan {
  std::vector<int64_t> outShape;           // uncollapsed result shape
  std::vector<int64_t> dims;               // collapsed dims (rank >= 1)
  std::vector<std::vector<int64_t>> strides; // per operand, per collapsed dim
  int64_t numel = 0;
};

/// Plans broadcasting of `shapes`; returns false (and a message) when they
/// do not broadcast.
bool planBroadcast(std::span<const std::vector<int64_t>> shapes, BroadcastPlan &plan,
                   std::string &error);

/// Runs body(offsets[], outOffset, count) over the plan in pieces, each a
/// contiguous run of the output along the innermost collapsed dimension;
/// inner strides of the operands are plan.strides[i].back(). Pieces run in
/// parallel when the plan is large (elementwise: order-independent).
template <int N, class Body> void forEachPiece(const BroadcastPlan &plan, Body &&body) {
  const int64_t rank = static_cast<int64_t>(plan.dims.size());
  const int64_t inner = plan.dims.back();
  if (plan.numel == 0)
    return;
  const int64_t rows = plan.numel / inner;
  // Long rows are split so a 1-D problem still parallelizes.
  const int64_t chunk = 16384;
  const int64_t perRow = inner > chunk ? (inner + chunk - 1) / chunk : 1;
  const int64_t pieces = rows * perRow;
  auto run = [&](int64_t p) {
    int64_t row = p / perRow, part = p % perRow;
    int64_t begin = perRow == 1 ? 0 : part * chunk;
    int64_t count = perRow == 1 ? inner : std::min(chunk, inner - begin);
    int64_t offs[N];
    for (int k = 0; k < N; ++k)
      offs[k] = begin * plan.strides[k][rank - 1];
    int64_t r = row;
    for (int64_t d = rank - 2; d >= 0 && r; --d) {
      int64_t idx = r % plan.dims[d];
      r /= plan.dims[d];
      for (int k = 0; k < N; ++k)
        offs[k] += idx * plan.strides[k][d];
    }
    body(offs, row * inner + begin, count);
  };
  forTasks(pieces, plan.numel >= kParallelThreshold, run);
}

} // namespace kiln::runtime::kernels::detail
