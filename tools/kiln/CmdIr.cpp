// kiln ir FILE.kiln [--entry NAME] [--hook SPEC]... [--print-loc]
//
// Lowers a program to IR, verifies it and prints it; the output parses back
// with `kiln opt`. Component types come from the runtime's registry of
// built-ins. Later stages (pass pipelines) plug in at transformModule().
#include <iostream>

#include "frontend/Driver.h"
#include "ir/Printer.h"
#include "passes/PipelineOptions.h"
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
  passes::PipelineOptions pipeline; // -O0 (none) unless -O/--passes given
};

/// Where the module goes after lowering and before printing (the place for
/// -O/--passes). Returns false after printing diagnostics.
bool transformModule(ir::Module &module, const IrOptions &o,
                     const ir::ComponentCatalog &catalog, ir::DiagnosticEngine &diag) {
  return passes::runPipeline(module, o.pipeline, /*defaultLevel=*/0, &catalog, diag, std::cerr);
}

} // namespace

int cmdIr(const Args &args) {
  IrOptions o;
  std::string v;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string pipelineError;
    passes::ArgResult pr = o.pipeline.parseArgument(args, i, &pipelineError);
    if (pr == passes::ArgResult::Error)
      return usageError("ir", pipelineError);
    if (pr == passes::ArgResult::Consumed)
      continue;
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
  if (!module || !transformModule(*module, o, registry, diag)) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  ir::printModule(*module, std::cout, o.print);
  return kExitOk;
}

} // namespace kiln::tools
