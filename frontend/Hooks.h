// Hooks: find elements of a program by pattern and rewrite them, as in the
// seed's `prog.find(CALL(cd1_update, layer=layer1)).replace_with(...)`.
//
// Matching rules (pattern P against element E):
//   - `*` (ElementKind::Any) matches any element;
//   - otherwise the kinds must be equal (CHOOSE is SWITCH);
//   - CALL/FILT: P's callee matches E's with `*` matching any run of
//     characters (`*.cd1_update`, `layer1.*`); every keyword argument of P
//     must appear in E with an equal value, or any value when P's is `*`;
//     keyword arguments of E that P does not mention are ignored;
//   - sub-program references: names match like callees;
//   - REPEAT/BUFFER_REPEAT/WEAVE/CASE: equal counts (or `*`), and the same
//     number of children, matching pairwise; the same for SEQ/SWITCH/LOOP/...
// The search covers every named sub-program in declaration order, pre-order.
#pragma once

#include <string_view>

#include "frontend/Program.h"
#include "ir/Diagnostics.h"

namespace kiln::frontend {

/// True if `e` matches `pattern` (rules above).
bool matchesPattern(const Element &pattern, const Element &e);

/// Applies a command-line hook `after PATTERN: ELEMENT` (or `before`,
/// `replace`). A pattern that matches nothing is an error. The spec's text is
/// registered with `sources` (as buffer "--hook") so errors quote it.
bool applyHookSpec(Program &prog, std::string_view spec, ir::SourceManager &sources,
                   ir::DiagnosticEngine &diag);
/// The same, for callers without a SourceManager (errors are not quoted).
bool applyHookSpec(Program &prog, std::string_view spec, ir::DiagnosticEngine &diag);

} // namespace kiln::frontend
