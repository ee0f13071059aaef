// One-call entry points for tools: read a `.kiln` program, apply hooks,
// lower it and verify the IR. `kiln ir`, `kiln print` and `kiln run` share
// these so they treat programs identically.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Program.h"
#include "ir/ComponentSchema.h"
#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace kiln::frontend {

/// Parses `text` (named `fileName`) and applies each hook spec in order
/// (`after PATTERN: ELEMENT`, ...). Null after diagnostics.
std::optional<Program> loadProgram(const std::string &text, const std::string &fileName,
                                   const std::vector<std::string> &hooks,
                                   ir::SourceManager &sources, ir::DiagnosticEngine &diag);

/// loadProgram, then lowerProgram with `entry` (empty: "main"), then
/// ir::verifyModule. A verifier failure after lowering is kiln's own bug,
/// but it is reported as diagnostics (with a note saying so), never a crash.
std::unique_ptr<ir::Module> compileProgram(const std::string &text, const std::string &fileName,
                                           const std::vector<std::string> &hooks,
                                           const std::string &entry,
                                           const ir::ComponentCatalog &catalog,
                                           ir::SourceManager &sources, ir::DiagnosticEngine &diag);

} // namespace kiln::frontend
