// KernelExecutor: how the VM runs a `fused` op through compiled code.
//
// The codegen library implements this interface (JIT-compiling the fused
// region, caching the object); the runtime only knows the interface, so it
// does not depend on LLVM. The VM holds an optional pointer: when it is null
// (`kiln run --no-jit`) or tryRun() declines, the VM interprets the fused
// region itself, in one step, with the reference kernels.
#pragma once

#include <span>
#include <vector>

#include "ir/IR.h"
#include "runtime/Tensor.h"

namespace kiln::runtime {

class KernelExecutor {
public:
  virtual ~KernelExecutor() = default;
  /// Runs the fused op on `in` (its operands, in order) and appends one tensor
  /// per result to `out`. Returns false (and leaves `out` empty) when there is
  /// no compiled version; the VM then interprets the region. Must give
  /// bitwise the results of interpreting the region.
  virtual bool tryRun(const ir::Operation &fused, std::span<const Tensor> in,
                      std::vector<Tensor> &out) = 0;
};

} // namespace kiln::runtime
