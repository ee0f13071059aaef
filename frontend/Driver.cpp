// Tool entry points: parse, hook, lower, verify (see Driver.h).
#include "frontend/Driver.h"

#include "frontend/Hooks.h"
#include "frontend/Lowering.h"
#include "frontend/Parser.h"
#include "ir/Verifier.h"

namespace kiln::frontend {

std::optional<Program> loadProgram(const std::string &text, const std::string &fileName,
                                   const std::vector<std::string> &hooks,
                                   ir::SourceManager &sources, ir::DiagnosticEngine &diag) {
  auto prog = parseProgram(text, fileName, sources, diag);
  if (!prog)
    return std::nullopt;
  for (const std::string &h : hooks)
    if (!applyHookSpec(*prog, h, sources, diag))
      return std::nullopt;
  return prog;
}

std::unique_ptr<ir::Module> compileProgram(const std::string &text, const std::string &fileName,
                                           const std::vector<std::string> &hooks,
                                           const std::string &entry,
                                           const ir::ComponentCatalog &catalog,
                                           ir::SourceManager &sources, ir::DiagnosticEngine &diag) {
  auto prog = loadProgram(text, fileName, hooks, sources, diag);
  if (!prog)
    return nullptr;
  LowerOptions opts;
  opts.entry = entry;
  opts.sources = &sources;
  auto module = lowerProgram(*prog, catalog, diag, opts);
  if (!module)
    return nullptr;
  // A tensor too large for kiln is the program's doing (a big count or
  // shape), reported at the element or kernel line that makes it.
  if (!ir::verifyTensorSizes(*module, diag))
    return nullptr;
  if (!ir::verifyModule(*module, diag)) {
    diag.note(SourceLoc{}, "the IR lowered from this program does not verify; this is a bug in "
                           "kiln's frontend, please report it");
    return nullptr;
  }
  return module;
}

} // namespace kiln::frontend
