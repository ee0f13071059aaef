// Op-specific verification hooks named in ir/Ops.def. The generic verifier
// (ir/Verifier.h) checks counts, terminators, dominance and symbols, then
// calls the op's hook for its type and attribute rules.
#pragma once

#include <cstdint>
#include <string>

#include "ir/OpKind.h"

namespace kiln::ir {

/// The largest `bulk_steps` of a call: how many program steps one bulk read
/// may stand for (the VM keeps step weights in 32 bits).
inline constexpr int64_t kMaxBulkSteps = int64_t(1) << 31;

/// Reports `'mnemonic' op <message>` at op.loc() and returns false, so hooks
/// can write `return emitOpError(op, diag, "...")`.
bool emitOpError(const Operation &op, DiagnosticEngine &diag, const std::string &message);

/// True when the op has the operand/result/region counts of its table entry
/// (where not -1) and no null operand. The generic verifier reports these
/// problems itself and runs an op's hook only when this holds; a hook called
/// directly on such an op returns false without indexing out of range.
bool hasTableShape(const Operation &op);

#define OP(Enum, Mnemonic, NOperands, NResults, NRegions, Traits, Format, Verify, ...) \
  bool Verify(const Operation &op, DiagnosticEngine &diag);
#include "ir/Ops.def"

} // namespace kiln::ir
