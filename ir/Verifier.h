// The IR verifier: structural rules (op counts from the table, terminators,
// SSA dominance, isolated regions, symbol references) and each op's own
// rules (its verify hook in ir/Ops.def). Every error names the op and its
// location.
#pragma once

#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace kiln::ir {

/// Returns true if the module is valid; otherwise reports to `diag`.
bool verifyModule(const Module &module, DiagnosticEngine &diag);

/// Only the tensor-size rule of verifyModule: every op result and region
/// argument fits kMaxTensorElements (ir/Types.h). The frontend runs it before verifying
/// what it lowered, so a too-large tensor is the user's error there, not a
/// verifier failure.
bool verifyTensorSizes(const Module &module, DiagnosticEngine &diag);

} // namespace kiln::ir
