// kiln ir FILE.kiln [--entry NAME] [--hook SPEC]... [--print-loc]
//
// Lowers a program to IR, verifies it and prints it; the output parses back
// with `kiln opt`. Component types come from the runtime's registry of
// built-ins. Later stages (pass pipelines) plug in at transformModule().
#include <iostream>

#include "frontend/Driver.h"
#include "ir/Printer.h"
#include "runtime/Registry.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

namespace {

struct IrOptions {
  std::string file;
  std::string entry;
  std::vector<std::string> hooks;
  ir::PrintOptions print;
};

/// Where the module goes after lowering and before printing (the place for
/// -O/--passes). Returns false after printing diagnostics.
bool transformModule(ir::Module &, const IrOptions &, ir::DiagnosticEngine &) { return true; }

} // namespace

int cmdIr(const Args &args) {
  IrOptions o;
  std::string v;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "--print-loc")
      o.print.printLocations = true;
    else if (takeOption(a, "hook", v, args, i))
      o.hooks.push_back(v);
    else if (takeOption(a, "entry", v, args, i))
      o.entry = v;
    else if (!a.empty() && a[0] == '-' && a != "-")
      return usageError("ir", "unknown option '" + a + "'");
    else if (o.file.empty())
      o.file = a;
    else
      return usageError("ir", "more than one input file");
  }
  if (o.file.empty())
    return usageError("ir", "no input file");
  auto text = readInputFile(o.file);
  if (!text)
    return kExitInputError;
  runtime::Registry registry = runtime::Registry::withBuiltins();
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto module = frontend::compileProgram(*text, o.file, o.hooks, o.entry, registry, sources, diag);
  if (!module || !transformModule(*module, o, diag)) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  ir::printModule(*module, std::cout, o.print);
  return kExitOk;
}

} // namespace kiln::tools
