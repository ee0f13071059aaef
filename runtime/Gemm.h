// Gemm: kiln's own deterministic matrix product (BLIS-style packed panels
// and register-blocked micro-kernels, chosen at run time for the CPU).
//
// C[m, n] = op(A) @ op(B) for row-major matrices with leading dimensions
// (row strides, in elements); op is a transpose when the flag is set, so A
// is stored [m, k] (lda >= k) or, transposed, [k, m] (lda >= m), and B is
// stored [k, n] (ldb >= n) or [n, k] (ldb >= k). ldc >= n.
//
// Determinism by construction: every element of C is ONE fused
// multiply-add chain over p in increasing order,
//
//   acc = +0.0;  for p in 0..k-1: acc = fma(opA(i, p), opB(p, j), acc);  C(i, j) = acc
//
// (single rounding per step, std::fma semantics). Vector lanes and threads
// only ever hold different outputs, never parts of one sum, so the result
// is bitwise the same for every thread count, every ISA level (scalar,
// AVX2+FMA, AVX-512F) and every tiling; k == 0 gives +0.0. The one thing
// that is not pinned is which NaN comes out when a NaN does (its sign and
// payload: IEEE 754 leaves it open and x86 picks among NaN operands by
// instruction operand order); the positions of NaNs are the same.
//
// Threads (omp_get_max_threads() of them, runtime/JobPool.h) share out
// packing jobs and output tiles chosen from the shape only, and only when
// the product is worth it (above ~8 MFLOP, ~100 us on one core). Products
// of at most 64^3 multiply-adds skip packing altogether (the same chains,
// read straight from A and B).
#pragma once

#include <cstdint>

namespace kiln::runtime::gemm {

/// The micro-kernel families; dispatch picks the best one the CPU has.
enum class Isa : uint8_t {
  Scalar, // portable: std::fma per element (on a host without FMA
          // instructions this is libm's exact software fma: slow, same bits)
  Avx2,   // AVX2 + FMA3, 256-bit vectors
  Avx512, // AVX-512F, 512-bit vectors
};

/// "scalar", "avx2", "avx512".
const char *isaName(Isa isa);
/// True when this CPU (and OS) can run the kernels of `isa`.
bool isaSupported(Isa isa);
/// The level sgemm/dgemm use: the best supported one, unless the
/// environment variable KILN_GEMM_ISA (scalar|avx2|avx512, read once) asks
/// for a lower or unsupported one (unsupported: a warning on stderr, then
/// the best supported level).
Isa activeIsa();
/// Forces a level for tests and benchmarks (process-wide, not thread-safe
/// against concurrent products). Returns false, changing nothing, when the
/// CPU cannot run it.
bool setIsaForTesting(Isa isa);
/// Turns the small-product path (products of at most 64^3 multiply-adds
/// computed without packing) off or back on, so tests can run small shapes
/// through the packed path too (process-wide like setIsaForTesting; on by
/// default). Both paths give the same bits.
void setSmallProductsForTesting(bool enabled);

/// A function fused into the product: called once per finished output tile,
/// from any thread, possibly concurrently for different tiles. `c` points
/// at C(row0, col0); tile element (i, j), i < rows, j < cols, is
/// c[i * ldc + j] = C(row0 + i, col0 + j). Every element of C is in exactly
/// one call, made after its final value is stored; the function may rewrite
/// the tile in place and write other buffers at the same (row, col)
/// indices, but must not read or write other parts of C. A tile is at most
/// the kernel's row block (MC rows) by one register panel (NR columns), so
/// it is still in L1/L2 cache when the call comes.
template <class T> struct BasicEpilogue {
  void (*fn)(void *ctx, T *c, int64_t ldc, int64_t row0, int64_t col0, int64_t rows,
             int64_t cols);
  void *ctx;
};
using Epilogue = BasicEpilogue<float>;
using EpilogueF64 = BasicEpilogue<double>;

/// C = op(A) @ op(B) (see the top of this file); epilogue may be null.
void sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, bool transA,
           const float *b, int64_t ldb, bool transB, float *c, int64_t ldc,
           const Epilogue *epilogue = nullptr);
void dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, bool transA,
           const double *b, int64_t ldb, bool transB, double *c, int64_t ldc,
           const EpilogueF64 *epilogue = nullptr);

} // namespace kiln::runtime::gemm
