// Helpers for the kernel tests: building tensors from lists, naive loops.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <omp.h>
#include <vector>

#include "runtime/Kernels.h"
#include "runtime/Tensor.h"

namespace kiln::runtime::testing {

inline Tensor T32(std::vector<int64_t> shape, std::vector<double> v) {
  return Tensor::fromDoubles(ir::ElemType::F32, std::move(shape), v);
}
inline Tensor T64(std::vector<int64_t> shape, std::vector<double> v) {
  return Tensor::fromDoubles(ir::ElemType::F64, std::move(shape), v);
}
inline Tensor TI(std::vector<int64_t> shape, std::vector<double> v) {
  return Tensor::fromDoubles(ir::ElemType::I64, std::move(shape), v);
}
inline Tensor TB(std::vector<int64_t> shape, std::vector<double> v) {
  return Tensor::fromDoubles(ir::ElemType::I1, std::move(shape), v);
}
inline std::vector<double> values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(t.at(i));
  return v;
}
/// Deterministic pseudo-random test data in [lo, hi).
inline Tensor randomF32(std::vector<int64_t> shape, uint64_t stream, double lo = -1, double hi = 1) {
  Tensor u = kernels::randomUniform(ir::ElemType::F32, std::move(shape), 99, stream, 0);
  float *p = u.data<float>();
  for (int64_t i = 0; i < u.numel(); ++i)
    p[i] = float(lo + (hi - lo) * p[i]);
  return u;
}
/// Runs f with 1 and with 2 OpenMP threads and checks the results are bitwise equal.
inline void expectThreadIndependent(const std::function<Tensor()> &f) {
  int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  Tensor one = f();
  omp_set_num_threads(2);
  Tensor two = f();
  omp_set_num_threads(saved);
  EXPECT_TRUE(one.bitwiseEqual(two)) << "result depends on the thread count";
}

} // namespace kiln::runtime::testing
