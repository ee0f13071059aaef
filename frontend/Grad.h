// Reverse-mode differentiation of kernel math: `grad(loss, [w.value, x])` in
// a kernel becomes ordinary tensor ops of the kernel's func, emitted after
// the ops of the loss, so the gradient is inlined, fused and compiled like
// the rest (docs/notation.md, "grad").
//
// The walk runs over the ops of the region the loss is defined in (a kernel
// body has one region, in dependency order): forward from the targets to
// find the values that need an adjoint, then backward from the loss, one
// adjoint rule per op kind (Grad.cpp). Gradients flow through float values
// only; comparisons, argmax, casts to integers, dim and random draws are
// constants for grad (their gradient is zero), as are the `stop` values.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "ir/Builder.h"

namespace kiln::frontend::detail {

/// What grad differentiates with respect to: a value of the kernel (a
/// parameter or a local), or a state field (every state_load of `field`
/// from `handle`, summed).
struct GradTarget {
  ir::Value *value = nullptr;  // a value, or
  ir::Value *handle = nullptr; // a component handle and
  std::string field;           // one of its fields
};

struct GradResult {
  std::vector<ir::Value *> grads; // one per target, on success
  int unreached = -1;             // the first target the loss does not read at all
  std::string error;              // set when an adjoint cannot be built
};

/// Emits at b's insertion point (the end of the loss's region) the ops of
/// d loss / d target for each target. `loss` must be a float scalar.
GradResult emitGradients(ir::Builder &b, ir::Value *loss, const std::vector<GradTarget> &targets,
                         const std::unordered_set<const ir::Value *> &stop);

} // namespace kiln::frontend::detail
