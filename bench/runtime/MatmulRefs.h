// Reference GEMMs for bench_matmul, in their own translation units because
// they are compiled with other flags than kiln (the host's -march).
#pragma once

#include <cstdint>

namespace kiln::bench {

/// C[m,n] = op(A) @ op(B), dense row-major, Eigen built for the host, 1 thread.
void eigenHostSgemm(int64_t m, int64_t n, int64_t k, const float *a, bool ta, const float *b,
                    bool tb, float *c);
/// Eigen's description of the vector instructions it was built with.
const char *eigenHostSimd();

} // namespace kiln::bench
