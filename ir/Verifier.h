// The IR verifier: structural rules (op counts from the table, terminators,
// SSA dominance, isolated regions, symbol references) and each op's own
// rules (its verify hook in ir/Ops.def). Every error names the op and its
// location.
#pragma once

#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace kiln::ir {

/// The most elements one tensor may have: 2^32, the data-set bound too. A
/// type whose static dimensions (a `?` counts as 1) hold more is refused, so
/// a program that would need such a tensor stops with an error naming where
/// before it runs, rather than failing an allocation half-way.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 32;

/// Returns true if the module is valid; otherwise reports to `diag`.
bool verifyModule(const Module &module, DiagnosticEngine &diag);

/// Only the tensor-size rule of verifyModule: every op result and region
/// argument fits kMaxTensorElements. The frontend runs it before verifying
/// what it lowered, so a too-large tensor is the user's error there, not a
/// verifier failure.
bool verifyTensorSizes(const Module &module, DiagnosticEngine &diag);

} // namespace kiln::ir
