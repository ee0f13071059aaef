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
/// The CPU the references were compiled for ("-march=native" on the build machine).
const char *hostReferenceIsa();

} // namespace kiln::bench
