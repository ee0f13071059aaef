// kiln opt FILE.kir [--passes=LIST] [--print-loc]
//
// Reads textual IR, verifies it, (runs passes,) and prints it. With no
// passes this is the round-trip check the lit tests rely on.
#include <iostream>

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

int cmdOpt(const Args &args) {
  std::string file;
  ir::PrintOptions printOpts;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "--print-loc")
      printOpts.printLocations = true;
    else if (!a.empty() && a[0] == '-' && a != "-")
      return usageError("opt", "unknown option '" + a + "'");
    else if (file.empty())
      file = a;
    else
      return usageError("opt", "more than one input file");
  }
  if (file.empty())
    return usageError("opt", "no input file");

  auto text = readInputFile(file);
  if (!text)
    return kExitInputError;
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto module = ir::parseModule(*text, file, sources, diag);
  if (!module || !ir::verifyModule(*module, diag)) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  ir::printModule(*module, std::cout, printOpts);
  return kExitOk;
}

} // namespace kiln::tools
