// The micro-kernel table behind runtime/Gemm.h (private to Gemm*.cpp).
//
// A micro-kernel computes one MR x NR register tile of C over kc steps of
// the k loop from packed panels:
//   pa[p * MR + i] = opA(row i of the tile, p),  pb[p * NR + j] = opB(p, column j),
// and either starts every accumulator at +0.0 (accumulate == false, the
// first k block) or loads it from C (later k blocks); then, for p in
// increasing order, acc(i, j) = fma(pa, pb, acc(i, j)), and stores the full
// tile to c (row stride ldc). The driver handles partial tiles by running
// the kernel on a scratch tile.
#pragma once

#include <cstdint>

#include "runtime/Gemm.h"

namespace kiln::runtime::gemm::detail {

template <class T>
using MicroKernel = void (*)(int64_t kc, const T *pa, const T *pb, T *c, int64_t ldc,
                             bool accumulate);

/// The small-product kernel: the whole of C[m, n] straight from the
/// operands, no packing (for products too small to pay for it). A(i, p) is
/// a[i * rsa + p * csa] (so either transpose of A is a pair of strides);
/// B(p, j) is b[p * ldb + j], plain (the driver copies a transposed B
/// first). Every element is the same chain as the micro-kernel's: +0.0,
/// then acc = fma(A(i, p), B(p, j), acc) for p in increasing order, one
/// output per vector lane; columns past n are neither read nor written.
template <class T>
using SmallKernel = void (*)(int64_t m, int64_t n, int64_t k, const T *a, int64_t rsa,
                             int64_t csa, const T *b, int64_t ldb, T *c, int64_t ldc);

/// One ISA level's kernel for one element type and its blocking: mr x nr
/// register tile, mc rows of A per cache block (a multiple of mr), kc steps
/// of k per block.
template <class T> struct KernelSpec {
  int mr, nr;
  int64_t mc, kc;
  MicroKernel<T> kernel;
  SmallKernel<T> small;
};

struct KernelSet {
  KernelSpec<float> f32;
  KernelSpec<double> f64;
};

/// The largest register tile any level uses (for the driver's edge scratch).
inline constexpr int kMaxMr = 12, kMaxNr = 32;

/// Defined in GemmKernels.cpp. The AVX2 and AVX-512 sets may only be run on
/// a CPU that isaSupported() says has them.
const KernelSet &scalarKernels();
const KernelSet &avx2Kernels();
const KernelSet &avx512Kernels();

} // namespace kiln::runtime::gemm::detail
