// The textual IR printer. The format is described in docs/ir.md and ir/Ops.def;
// parsing printed IR and printing it again gives the same text.
#pragma once

#include <ostream>
#include <string>

#include "ir/IR.h"

namespace kiln::ir {

struct PrintOptions {
  /// Append `loc("file":line:col)` to every op that has a known location.
  bool printLocations = false;
};

void printModule(const Module &module, std::ostream &os, const PrintOptions &opts = {});
std::string printModule(const Module &module, const PrintOptions &opts = {});
/// One op (and its regions), for diagnostics and debugging. Values defined
/// outside the op print as %<unknown>.
std::string printOp(const Operation &op, const PrintOptions &opts = {});

} // namespace kiln::ir
