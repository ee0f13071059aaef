// The shrinker: reduces a failing program while the same oracle still fails
// (greedy, first improvement, until no edit helps).
#pragma once

#include <functional>

#include "Program.h"

namespace kiln::difftest {

struct ShrinkStats {
  int tries = 0;    // candidate programs checked
  int accepted = 0; // edits kept
};

/// Returns the smallest program reached by single edits each of which kept
/// `stillFails` true: drop a child, replace an element by one of its
/// children or by a print, lower a count or n_required, inline a
/// sub-program use, drop a kernel statement, drop unused declarations.
/// Stops after `maxTries` candidates.
Program shrink(Program prog, const std::function<bool(const Program &)> &stillFails, int maxTries,
               ShrinkStats &stats);

} // namespace kiln::difftest
