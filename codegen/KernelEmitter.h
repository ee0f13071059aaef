// KernelEmitter: a KernelPlan -> one LLVM function per fused group.
//
// Expects: a plan from planKernel() (shapes, checks, results decided).
// Produces: `int32_t SYMBOL(KilnKernelArgs *)` (codegen/KernelAbi.h) plus
// internal helpers, in `module` (whose triple and data layout are set):
//   - the entry reads operand dims, runs the plan's checks (declining before
//     any write), allocates the results and the random-draw bases;
//   - a *map nest* computes the yielded elementwise values over the space,
//     row by row, the innermost dimension in vectors of the host's width
//     plus a scalar tail; broadcasting is index arithmetic (stride 0);
//   - a matrix product calls the runtime GEMM, and its elementwise epilogue
//     runs tile by tile over the product's output (`SYMBOL.epi`);
//   - each reduction has its own nest in the reference order of
//     runtime/Kernels.h: along the last axis, 8 interleaved accumulators in
//     blocks of 4096 (sum/mean) or a sequential scan (max/min/argmax); along
//     another axis, each output adds its inputs in index order, vectorized
//     across outputs. Values a reduction needs are recomputed from the
//     operands (pure, and random draws are counter-based, so recomputing a
//     draw gives the same number);
//   - nests are split into tasks fixed by the shape, run through
//     kiln_rt_parallel_for, so results do not depend on the thread count.
// Every function carries the target's cpu/features attributes; operations
// are plain IEEE (no fast-math); the math functions come from
// runtime/MathGen.h through IrEval, the interpreter's own source.
#pragma once

#include <string>

#include "codegen/KernelPlan.h"
#include "llvm/IR/Module.h"

namespace kiln::codegen {

/// The machine kernels are compiled for.
struct TargetInfo {
  std::string triple;
  std::string cpu;
  std::string features;   // "+avx2,+fma,..."
  unsigned vectorBits = 128; // widest vector register the kernels use
};

/// The vector width implied by a feature string (x86: 512 with avx512f, 256
/// with avx, else 128).
unsigned vectorBitsFor(const std::string &features);

/// Emits the kernel of `plan` as function `symbol` into `module`.
void emitKernel(const KernelPlan &plan, const TargetInfo &target, const std::string &symbol,
                llvm::Module &module);

} // namespace kiln::codegen
