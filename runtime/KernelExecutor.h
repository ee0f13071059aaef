// KernelExecutor: how the VM runs a `fused` op through compiled code.
//
// The codegen library implements this interface (JIT-compiling the fused
// region, caching the object); the runtime only knows the interface, so it
// does not depend on LLVM. The VM holds an optional pointer: when it is null
// (`kiln run --no-jit`) or a kernel declines, the VM interprets the fused
// region itself, in one step, with the reference kernels.
//
// Binding happens once: when an executor is installed on a VM, the VM calls
// prepare() for every fused op of its program and keeps the returned id in a
// table indexed by instruction, so running a fused op is one array load and
// one virtual call, never a lookup by name or hash.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ir/IR.h"
#include "runtime/Tensor.h"

namespace kiln::runtime {

class KernelExecutor {
public:
  virtual ~KernelExecutor() = default;

  /// Prepares (compiles, or finds in a cache) the kernel of one fused op and
  /// returns its id, or -1 when the op will always be interpreted. `fused`
  /// stays alive as long as any VM bound to it.
  virtual int32_t prepare(const ir::Operation &fused) = 0;

  /// Runs kernel `id` on `in` (the fused op's operands, in order) and appends
  /// one tensor per result to `out`. `rng` holds the counters of the op's
  /// random streams, one per distinct (seed, stream) pair in order of first
  /// use in the region (see randomStreamsOf()); on success the kernel has
  /// advanced them exactly as interpreting the region would. Returns false,
  /// with `out` empty and `rng` unchanged, when the kernel declines (e.g. a
  /// dynamic dimension it was not specialized for, or a shape error whose
  /// message the interpreter gives): the VM then interprets the region.
  /// Results must be bitwise those of interpreting the region.
  virtual bool run(int32_t id, std::span<const Tensor> in, std::vector<Tensor> &out,
                   std::span<uint64_t> rng) = 0;
};

/// The random ops of a fused region grouped by key: the distinct (seed,
/// stream) pairs in order of first use, which is the order of the `rng`
/// counters passed to KernelExecutor::run.
struct RandomKey {
  int64_t seed = 0, stream = 0;
  bool operator==(const RandomKey &) const = default;
};
std::vector<RandomKey> randomStreamsOf(const ir::Operation &fused);

} // namespace kiln::runtime
