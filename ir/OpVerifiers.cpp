// PLACEHOLDER: replaced by the verifier work.
#include "ir/OpVerifiers.h"
#include "ir/IR.h"
namespace kiln::ir {
#define OP(Enum, Mnemonic, NOperands, NResults, NRegions, Traits, Format, Verify, ...) \
  bool Verify(const Operation &, DiagnosticEngine &) { return true; }
// (duplicates are removed by the real file)
} // namespace kiln::ir
