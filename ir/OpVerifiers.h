// Op-specific verification hooks named in ir/Ops.def. The generic verifier
// (ir/Verifier.h) checks counts, terminators, dominance and symbols, then
// calls the op's hook for its type and attribute rules.
#pragma once

#include "ir/OpKind.h"

namespace kiln::ir {

#define OP(Enum, Mnemonic, NOperands, NResults, NRegions, Traits, Format, Verify, ...) \
  bool Verify(const Operation &op, DiagnosticEngine &diag);
#include "ir/Ops.def"

} // namespace kiln::ir
