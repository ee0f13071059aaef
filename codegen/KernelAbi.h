// KernelAbi: the calling convention between the VM's executor and a compiled
// fused kernel. Plain C types only: the same struct layout is what the
// generated LLVM IR reads (codegen/KernelEmitter.cpp builds the matching
// struct type), and what objects in the on-disk cache were compiled against
// (kKernelAbiVersion is part of their cache key).
//
// A kernel is `int32_t kiln_k_<hash>(KilnKernelArgs *)`. It
//   1. reads its operands' dims and checks the dynamic ones against the shapes
//      it was specialized for (returning KILN_KERNEL_DECLINE before any write,
//      so the VM can interpret the region and report any error itself),
//   2. allocates each result through `alloc` (null: KILN_KERNEL_NOMEM),
//   3. computes, calling back into the runtime for GEMM and parallel loops,
//   4. advances `rng[k]` by the number of draws of each random key, exactly
//      as the interpreter would, and returns KILN_KERNEL_OK.
#pragma once

#include <cstdint>

extern "C" {

struct KilnKernelArgs {
  const void *const *in;        // operand data (a scalar operand: its one element)
  const int64_t *const *inDims; // operand dims (the rank is known to the kernel)
  void **out;                   // result data, set by alloc
  uint64_t *rng;                // per random key: element counter, advanced by the kernel
  const uint64_t *rngKey;       // per random key: seed, stream (two words each)
  void *rt;                     // the executor's context for the callbacks
  /// Allocates result `result` with `dims` (its rank is known); returns its
  /// data, or null when out of memory.
  void *(*alloc)(void *rt, uint32_t result, const int64_t *dims);
  /// Scratch memory that lives until the kernel returns (null: out of memory).
  void *(*scratch)(void *rt, uint64_t bytes);
};

enum : int32_t {
  KILN_KERNEL_OK = 0,
  KILN_KERNEL_DECLINE = 1,
  KILN_KERNEL_NOMEM = 2,
};

typedef int32_t (*KilnKernelFn)(KilnKernelArgs *);
}

namespace kiln::codegen {
/// Bumped whenever KilnKernelArgs, a runtime entry point the kernels call, or
/// the generated code's meaning changes: cached objects of another version
/// are never loaded.
inline constexpr int kKernelAbiVersion = 1;
/// Field indices of KilnKernelArgs, for the emitter.
enum KernelArgsField : unsigned {
  kArgIn,
  kArgInDims,
  kArgOut,
  kArgRng,
  kArgRngKey,
  kArgRt,
  kArgAlloc,
  kArgScratch,
  kNumArgsFields
};
} // namespace kiln::codegen
