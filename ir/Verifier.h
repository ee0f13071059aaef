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

} // namespace kiln::ir
