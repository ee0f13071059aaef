// kiln opt FILE.kir [-O0|-O1|-O2|--passes=LIST] [--print-ir-after-all]
//                   [--print-ir-after=NAME] [--stats] [--no-verify-each] [--print-loc]
//
// Reads textual IR, verifies it, runs the pass pipeline (none by default;
// flags in passes/PipelineOptions.h), and prints it. With no passes this is
// the round-trip check the lit tests rely on.
#include <iostream>

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PipelineOptions.h"
#include "runtime/Registry.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

int cmdOpt(const Args &args) {
  std::string file;
  ir::PrintOptions printOpts;
  passes::PipelineOptions pipelineOpts;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    std::string pipelineError;
    passes::ArgResult pr = pipelineOpts.parseArgument(args, i, &pipelineError);
    if (pr == passes::ArgResult::Error)
      return usageError("opt", pipelineError);
    if (pr == passes::ArgResult::Consumed)
      continue;
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
  runtime::Registry catalog = runtime::Registry::withBuiltins();
  if (!passes::runPipeline(*module, pipelineOpts, /*defaultLevel=*/0, &catalog, diag,
                           std::cerr)) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  ir::printModule(*module, std::cout, printOpts);
  return kExitOk;
}

} // namespace kiln::tools
