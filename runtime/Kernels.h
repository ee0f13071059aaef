// Kernels: the reference implementation of every tensor op of ir/Ops.def.
//
// The VM calls these when it interprets tensor math (ops outside fused
// groups, and fused groups without a compiled version); JIT'ed kernels must
// produce bitwise the same results, so the exact arithmetic is specified
// here and in docs/runtime-core.md.
//
// Conventions:
// - Attributes arrive decoded (axis numbers, flags, seeds): the VM decodes
//   them once when it lowers the program; nothing here looks up strings.
// - Inputs are `const Tensor &`; every op returns a fresh tensor (or, for
//   reshape, a view sharing storage), never mutating its inputs.
// - Errors the verifier cannot rule out (dynamic dimensions that turn out
//   not to broadcast, slices out of range, ...) come back as a
//   KernelResult with a message; the VM reports it at the op's location.
//   Type errors the verifier does rule out (mismatched element types,
//   float-only ops on integers) are kiln bugs and hit KILN_ASSERT.
// - Determinism: results do not depend on the number of OpenMP threads.
//   Parallel loops use static schedules over fixed-size blocks whose
//   boundaries depend only on the shapes; every reduction adds in a fixed
//   order (see reduceSumRun below).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ir/OpKind.h"
#include "runtime/Tensor.h"

namespace kiln::runtime::kernels {

/// A kernel's output, or the message of a run-time shape error.
struct KernelResult {
  Tensor value;
  std::string error; // empty on success

  bool ok() const { return error.empty(); }
  static KernelResult success(Tensor t) { return {std::move(t), {}}; }
  static KernelResult failure(std::string msg) { return {Tensor(), std::move(msg)}; }
};

enum class UnaryOp : uint8_t { Neg, Exp, Log, Sqrt, Abs, Sigmoid, Tanh, Relu };
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Max, Min, Pow };
enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
enum class ReduceOp : uint8_t { Sum, Mean, Max, Min, Argmax };

/// The kernel enum for an IR op kind (nullopt when the op is of another class).
std::optional<UnaryOp> unaryOpFor(ir::OpKind k);
std::optional<BinaryOp> binaryOpFor(ir::OpKind k);
std::optional<CompareOp> compareOpFor(ir::OpKind k);
std::optional<ReduceOp> reduceOpFor(ir::OpKind k);

/// Numpy broadcasting of two runtime shapes; nullopt when they do not broadcast.
std::optional<std::vector<int64_t>> broadcastShapes(std::span<const int64_t> a,
                                                    std::span<const int64_t> b);

// ---- constants ---------------------------------------------------------------
/// Every element `value` (converted to dtype: i64 truncates, i1 is value != 0).
Tensor constantSplat(ir::ElemType dtype, std::vector<int64_t> shape, double value);
/// Element by element (row-major); fails when the count does not match the shape.
KernelResult constantValues(ir::ElemType dtype, std::vector<int64_t> shape,
                            std::span<const double> values);

// ---- elementwise -------------------------------------------------------------
/// neg/abs/relu on f32, f64, i64 (i1: abs and relu are the identity, neg
/// too: i1 arithmetic is mod 2 on {0, 1}); exp/log/sqrt/sigmoid/tanh on f32
/// and f64 only, through kmath (sqrt is IEEE sqrt).
Tensor unary(UnaryOp op, const Tensor &x);

/// a op b with numpy broadcasting; a and b have the same element type.
/// Floats: IEEE; max/min propagate NaN; pow is kmath::pow for f32 (kiln's
/// own, the same bits on every machine and in compiled kernels) and std::pow
/// for f64 (glibc's: not compiled, may differ between libm versions). i64: wrapping
/// add/sub/mul; div truncates toward zero, x/0 = 0 and INT64_MIN/-1 =
/// INT64_MIN; pow is not defined on integers. i1 (values 0/1): add/sub =
/// xor, mul/min = and, max = or, div: a / 0 = 0, a / 1 = a.
KernelResult binary(BinaryOp op, const Tensor &a, const Tensor &b);

/// a cmp b (IEEE: comparisons with NaN are false except ne) -> i1, broadcasting.
KernelResult compare(CompareOp op, const Tensor &a, const Tensor &b);

/// cond ? a : b elementwise; cond is i1 (any nonzero byte counts as true);
/// all three broadcast together.
KernelResult select(const Tensor &cond, const Tensor &a, const Tensor &b);

/// Converts the element type. float -> i64 truncates toward zero, saturates
/// at the i64 range and maps NaN to 0; anything -> i1 is (x != 0) (NaN -> 1).
Tensor cast(const Tensor &x, ir::ElemType to);

// ---- reductions --------------------------------------------------------------
/// Reduces along `axis` (the axis is removed), or over all elements when
/// axis is nullopt (result rank 0). Fails for an axis out of range, and for
/// max/min/argmax over an empty extent. sum of nothing is 0, mean of
/// nothing is NaN. max/min propagate NaN; argmax returns the first maximal
/// index (a NaN counts as maximal) as i64. i1 sum, mean and max are "any",
/// min is "all"; i64 sums wrap; i64 mean truncates toward zero.
///
/// Order of additions (what JIT'ed reductions must reproduce): when the
/// reduced elements are contiguous (last axis, or all), they are summed by
/// reduceSumRun; otherwise each output element adds its inputs one by one
/// in increasing index order, starting from 0.
KernelResult reduce(ReduceOp op, const Tensor &x, std::optional<int64_t> axis);

/// The fixed-order sum of n contiguous values: blocks of kReduceBlock
/// elements, each summed with 8 interleaved accumulators (acc[i % 8] += x[i]
/// in order, each starting at 0) combined as ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7));
/// the block sums are added in block order starting from 0. The value does
/// not depend on threads (blocks may be summed in parallel).
inline constexpr int64_t kReduceBlock = 4096;
float reduceSumRun(const float *x, int64_t n);
double reduceSumRun(const double *x, int64_t n);

// ---- linear algebra and shape --------------------------------------------------
/// op(a) @ op(b) for rank-2 float tensors, op = transpose when the flag is
/// set. Fails when the inner dimensions differ. Computed by kiln's GEMM
/// (runtime/Gemm.h): each output element is one fma chain over k in
/// increasing order starting from +0.0, so the bits do not depend on the
/// number of threads or on the CPU's vector ISA.
KernelResult matmul(const Tensor &a, const Tensor &b, bool transposeA, bool transposeB);

/// The same product on raw dense row-major arrays, for code outside the VM
/// (components): c[m,n] = op(a) @ op(b); a is [m,k] (or [k,m] when
/// transposed), b is [k,n] (or [n,k]), all without padding between rows.
/// runtime/Gemm.h has the general form (leading dimensions, epilogue).
void gemm(const float *a, const float *b, float *c, int64_t m, int64_t n, int64_t k,
          bool transposeA, bool transposeB);
void gemm(const double *a, const double *b, double *c, int64_t m, int64_t n, int64_t k,
          bool transposeA, bool transposeB);

/// Swaps the two axes of a rank-2 tensor (fails on another rank).
KernelResult transpose(const Tensor &x);

/// The same elements with shape `shape`; one entry may be ir::kDynamic (-1):
/// it is inferred. Fails when the element counts differ. Shares storage.
KernelResult reshape(const Tensor &x, std::span<const int64_t> shape);

/// `size` elements from `start` along `axis` (a copy). Fails when out of range.
KernelResult slice(const Tensor &x, int64_t axis, int64_t start, int64_t size);

/// Joins tensors along `axis`; they share dtype and rank and agree on every
/// other dimension (checked: fails otherwise). At least one input.
KernelResult concat(std::span<const Tensor> xs, int64_t axis);

/// The size of dimension `axis` as an i64 scalar (fails when out of range).
KernelResult dim(const Tensor &x, int64_t axis);

/// n tensors of one shape -> shape [n, ...] (buffer_repeat). Fails when the
/// shapes or dtypes differ or when xs is empty.
KernelResult stack(std::span<const Tensor> xs);

// ---- random (Philox, runtime/Philox.h) ---------------------------------------
// Element i of the result is drawn at offset counter + i of (seed, stream);
// the caller advances its counter by numel() of the result afterwards.

/// Uniform [0, 1) of dtype f32 or f64.
Tensor randomUniform(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                     uint64_t stream, uint64_t counter);
/// Standard normal of dtype f32 or f64.
Tensor randomNormal(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                    uint64_t stream, uint64_t counter);
/// out[i] = scale * (f32 normal at offset counter + i of (seed, stream)), one
/// f32 multiply (scale 1 gives the draws themselves), i < n: model
/// initializers write scaled draws straight into their tensor.
void fillNormalF32(float *out, int64_t n, uint64_t seed, uint64_t stream, uint64_t counter,
                   float scale);
/// 1 where uniform < p, else 0; same dtype and shape as p (f32 or f64).
Tensor randomBernoulli(const Tensor &p, uint64_t seed, uint64_t stream, uint64_t counter);

// ---- NaN canonicalization (runtime/KernelsNaN.cpp) -------------------------------
/// True if some element is a NaN other than the canonical quiet NaN
/// (0x7FC00000 for f32, 0x7FF8000000000000 for f64).
bool hasNonCanonicalNaN(const Tensor &t);
/// Rewrites every NaN of a float tensor the caller owns to the canonical one.
void canonicalizeNaNs(Tensor &t);

// ---- raw loops (benchmarks, codegen fallbacks) ---------------------------------
/// y[i] = op(x[i]) over n contiguous elements (x and y may alias).
void unaryF32(UnaryOp op, const float *x, float *y, int64_t n);
/// y[i] = a[i] op b[i] over n contiguous elements.
void binaryF32(BinaryOp op, const float *a, const float *b, float *y, int64_t n);

/// Elementwise loops run in parallel above this many elements.
inline constexpr int64_t kParallelThreshold = 64 * 1024;

} // namespace kiln::runtime::kernels

// ---- C entry points for JIT'ed code -------------------------------------------
// Plain C symbols (no C++ types, no exceptions) that codegen can resolve in
// the JIT's process and call from generated code, so compiled kernels use the
// very same GEMM, fixed-order sums and random draws as the interpreter.
extern "C" {
/// kiln::runtime::gemm::sgemm / dgemm (runtime/Gemm.h): C[m,n] = op(A) @ op(B)
/// with leading dimensions; `epilogue` (may be null) is called with `ctx`
/// once per finished output tile, as gemm::Epilogue documents.
typedef void (*kiln_rt_sgemm_epilogue)(void *ctx, float *c, int64_t ldc, int64_t row0,
                                       int64_t col0, int64_t rows, int64_t cols);
typedef void (*kiln_rt_dgemm_epilogue)(void *ctx, double *c, int64_t ldc, int64_t row0,
                                       int64_t col0, int64_t rows, int64_t cols);
void kiln_rt_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, int32_t transA,
                   const float *b, int64_t ldb, int32_t transB, float *c, int64_t ldc,
                   kiln_rt_sgemm_epilogue epilogue, void *ctx);
void kiln_rt_dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, int32_t transA,
                   const double *b, int64_t ldb, int32_t transB, double *c, int64_t ldc,
                   kiln_rt_dgemm_epilogue epilogue, void *ctx);
float kiln_rt_sum_run_f32(const float *x, int64_t n);
double kiln_rt_sum_run_f64(const double *x, int64_t n);
/// out[i] = draw at offset counter + i of (seed, stream), i < n.
void kiln_rt_random_uniform_f32(float *out, int64_t n, uint64_t seed, uint64_t stream,
                                uint64_t counter);
void kiln_rt_random_uniform_f64(double *out, int64_t n, uint64_t seed, uint64_t stream,
                                uint64_t counter);
void kiln_rt_random_normal_f32(float *out, int64_t n, uint64_t seed, uint64_t stream,
                               uint64_t counter);
void kiln_rt_random_normal_f64(double *out, int64_t n, uint64_t seed, uint64_t stream,
                               uint64_t counter);
}
