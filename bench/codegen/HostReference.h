// Hand-written references for the codegen benchmarks, compiled for the host
// (-march=native, HostReference.cpp) so that kiln's JIT, which targets the
// host, is compared with the best a C++ programmer gets from the same machine.
#pragma once

#include <cstdint>

namespace kiln::bench {

/// o = sigmoid(2a + b) * a - b with Eigen's vectorized exp (one pass).
void eigenChain(const float *a, const float *b, float *o, int64_t n);
/// STREAM triad o = a + 3 b: the memory-bandwidth ceiling of a 2-in 1-out loop.
void triad(const float *a, const float *b, float *o, int64_t n);
/// One CD-1 update of an RBM (V visible, H hidden) on a batch v0[n, V],
/// hand-written with Eigen as a C++ programmer would (row-major maps over
/// kiln's buffers, temporaries per step): h0 = sigmoid(v0 W + hb), hs = u < h0
/// (u[n, H] uniforms given), v1 = sigmoid(hs W^T + vb), h1 = sigmoid(v1 W +
/// hb), W += lr (v0^T h0 - v1^T h1) / n, hb += lr mean(h0 - h1), vb += lr
/// mean(v0 - v1). Eigen runs single-threaded (EIGEN_DONT_PARALLELIZE).
void eigenCd1(const float *v0, const float *u, int64_t n, int64_t V, int64_t H, float lr,
              float *W, float *hb, float *vb);
/// The CPU the references were compiled for ("-march=native" on the build machine).
const char *hostReferenceIsa();

} // namespace kiln::bench
