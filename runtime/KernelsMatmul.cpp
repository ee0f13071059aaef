// matmul and the raw gemm of Kernels.h: shape checks, then kiln's GEMM
// (runtime/Gemm.h), whose result is one fma chain per output element and so
// does not depend on threads or on the CPU's vector ISA.
#include "runtime/Gemm.h"
#include "runtime/KernelsInternal.h"

namespace kiln::runtime::kernels {

void gemm(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k,
          bool transposeA, bool transposeB) {
  runtime::gemm::sgemm(m, n, k, a, transposeA ? m : k, transposeA, b, transposeB ? k : n,
                       transposeB, c, n);
}

void gemm(const double *a, const double *b, double *c, int64_t m, int64_t n, int64_t k,
          bool transposeA, bool transposeB) {
  runtime::gemm::dgemm(m, n, k, a, transposeA ? m : k, transposeA, b, transposeB ? k : n,
                       transposeB, c, n);
}

KernelResult matmul(const Tensor &a, const Tensor &b, bool ta, bool tb) {
  if (a.rank() != 2 || b.rank() != 2)
    return KernelResult::failure("matmul needs rank-2 operands, got shapes " +
                                 detail::shapeStr(a.shape()) + " and " +
                                 detail::shapeStr(b.shape()));
  KILN_ASSERT(a.dtype() == b.dtype() && ir::isFloat(a.dtype()),
              "matmul: operands must share a float element type (the verifier rules it out)");
  const int64_t m = ta ? a.dim(1) : a.dim(0), ka = ta ? a.dim(0) : a.dim(1);
  const int64_t kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
  if (ka != kb)
    return KernelResult::failure("matmul: inner dimensions differ: " + std::to_string(ka) +
                                 " and " + std::to_string(kb) + " (shapes " +
                                 detail::shapeStr(a.shape()) + (ta ? ".T" : "") + " @ " +
                                 detail::shapeStr(b.shape()) + (tb ? ".T" : "") + ")");
  Tensor out = Tensor::empty(a.dtype(), {m, n});
  if (a.dtype() == ir::ElemType::F32)
    gemm(a.data<float>(), b.data<float>(), out.data<float>(), m, n, ka, ta, tb);
  else
    gemm(a.data<double>(), b.data<double>(), out.data<double>(), m, n, ka, ta, tb);
  return KernelResult::success(std::move(out));
}

} // namespace kiln::runtime::kernels
