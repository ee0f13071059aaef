// kiln print FILE.kiln [--hook SPEC]...
//
// Prints the program code in canonical notation (imports flattened), after
// applying any hooks; printing the parse of the output gives the same text.
#include <iostream>

#include "frontend/Driver.h"
#include "frontend/ProgramPrinter.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

int cmdPrint(const Args &args) {
  std::string file, v;
  std::vector<std::string> hooks;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (takeOption(a, "hook", v, args, i))
      hooks.push_back(v);
    else if (!a.empty() && a[0] == '-' && a != "-")
      return usageError("print", "unknown option '" + a + "'");
    else if (file.empty())
      file = a;
    else
      return usageError("print", "more than one input file");
  }
  if (file.empty())
    return usageError("print", "no input file");
  auto text = readInputFile(file);
  if (!text)
    return kExitInputError;
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto prog = frontend::loadProgram(*text, file, hooks, sources, diag);
  if (!prog) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  std::cout << frontend::printProgram(*prog);
  return kExitOk;
}

} // namespace kiln::tools
