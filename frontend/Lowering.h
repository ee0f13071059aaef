// Lowering: programs (notation or C++ API) to the SSA IR.
//
// The shape of the result (the contract with the verifier, passes and VM):
//   - one `component @name : Type {config}` per component declaration;
//   - the entry program becomes `func @<entry>()`; named sub-programs are
//     expanded inline at each use as `seq {name = "..."} { ... }`;
//   - the seed's implicit "last value" becomes SSA values: FILT receives it
//     as an operand, BUFFER_REPEAT yields it and stacks it, SWITCH selects on
//     it;
//   - opaque calls are `call @comp.method(...)` / `call @native(...)` (plus a
//     `func @native() attributes {native = true}` declaration); kernels are
//     `func @name(...) attributes {kernel = true}` bodies of tensor ops;
//   - every op carries the location of the notation it came from.
// See docs/notation.md for the rules in full.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "frontend/Program.h"
#include "ir/ComponentSchema.h"
#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace kiln::frontend {

/// A program may expand to at most this many elements, counting each use of
/// a named sub-program as a copy of its body (SEQ([a, a]) with a = SEQ([b,
/// b]) ... doubles per level). The expanded size is computed per definition
/// before anything is lowered, so a program over the limit fails at once.
inline constexpr uint64_t kMaxExpandedElements = 1'000'000;
/// Uses of sub-programs nested inside each other (a uses b uses c ...).
inline constexpr size_t kMaxSubprogramNesting = 200;

struct LowerOptions {
  /// The entry program; empty means prog.entry() ("main").
  std::string entry;
  /// Where the kernel sources of component types are registered, so errors
  /// in them can be quoted; may be null.
  ir::SourceManager *sources = nullptr;
};

/// Lowers `prog`. Returns null after reporting `file:line:col: error: ...`
/// diagnostics for a bad program (unknown names, arity, FILT without a
/// previous value, shape errors in kernels, recursion...).
std::unique_ptr<ir::Module> lowerProgram(const Program &prog, const ir::ComponentCatalog &catalog,
                                         ir::DiagnosticEngine &diag,
                                         const LowerOptions &opts = {});

} // namespace kiln::frontend
