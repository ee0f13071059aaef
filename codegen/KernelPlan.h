// KernelPlan: what the code generator needs to know about one `fused` op,
// derived from the IR alone (no LLVM), so that the kernel cache can be
// consulted before any LLVM IR is built.
//
// A fused group (passes/Fuse.cpp) computes over one iteration space: an
// elementwise/broadcast chain of one shape, or a matrix product with its
// elementwise epilogue, possibly ending in reductions of that space. The
// plan records:
//   - the space: its rank and, per dimension, a static size or where the
//     dynamic size is read at run time (an operand's dimension);
//   - for every value of the region, which space dimensions it varies along
//     ("full") and along which it is broadcast (size 1 or absent);
//   - the run-time checks under which the kernel is valid: every dynamic
//     operand dimension equals the space dimension it is aligned with.
//     (A `?` that turns out to be 1 and broadcasts is legal kiln, but the
//     kernel is specialized for the common case; when a check fails the
//     kernel declines and the VM interprets the region, which also gives
//     the interpreter's own error messages for genuine shape errors.)
//   - the random ops and their keys, the reductions, the results;
//   - a canonical text of the region (`key`): equal for groups that compile
//     to the same code (names, origins, locations and the values of random
//     seeds/streams, which kernels take as arguments, are left out).
// Anything outside what codegen handles gives no plan and a reason, which
// `kiln run --stats` reports; the group then stays interpreted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/IR.h"

namespace kiln::codegen {

/// One dimension of the iteration space.
struct SpaceDim {
  int64_t size = ir::kDynamic; // the static size, or kDynamic
  /// For a dynamic size: the operand and dimension it is read from; -1: no
  /// operand varies along it, the size is 1.
  int operand = -1, dim = -1;
};

/// A run-time condition of the kernel: operand `operand`'s dimension `dim`
/// (or, when operand < 0, the constant `size`) equals space dimension
/// `spaceDim`. When it fails the kernel declines.
struct DimCheck {
  int operand = -1;
  int dim = 0;
  int64_t size = 0;
  int spaceDim = 0;
};

/// How a value lies in the iteration space: its element type, its own rank
/// (its dimensions are the last `rank` space dimensions, numpy-aligned) and
/// per space dimension whether it varies along it.
struct ValueShape {
  ir::ElemType elem = ir::ElemType::F32;
  int rank = 0;
  std::vector<bool> full;
};

struct KernelPlan {
  const ir::Operation *fused = nullptr;
  std::vector<SpaceDim> space;
  std::vector<DimCheck> checks;
  std::unordered_map<const ir::Value *, ValueShape> shapes;
  std::unordered_map<const ir::Value *, int> operandIndex; // region arguments
  /// The region's ops in order, without the terminator (constants included).
  std::vector<const ir::Operation *> members;
  /// The group's matrix products (at most two, of one shape): the last one's
  /// GEMM carries the epilogue; an earlier one is computed first into a
  /// buffer that the epilogue reads.
  std::vector<const ir::Operation *> matmuls;
  const ir::Operation *matmul = nullptr; // matmuls.back(), or null
  std::vector<const ir::Operation *> reductions;
  std::vector<const ir::Operation *> randomOps; // in order
  std::vector<int> randomKeyOf;                 // per random op: index of its key
  int numRandomKeys = 0;
  std::vector<const ir::Value *> results; // the yielded values
  std::string key;

  int rank() const { return static_cast<int>(space.size()); }
  /// The reduced axis of a reduction (-1: all axes).
  static int reductionAxis(const ir::Operation &reduce);
};

/// Plans `fused`, or returns nullopt with the reason in `whyNot`.
std::optional<KernelPlan> planKernel(const ir::Operation &fused, std::string &whyNot);

} // namespace kiln::codegen
