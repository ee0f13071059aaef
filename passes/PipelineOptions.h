// PipelineOptions: the pipeline flags shared by `kiln opt`, `kiln ir` and
// `kiln run`, parsed one argument at a time, and the one call that runs the
// selected pipeline with printing and statistics.
//
//   -O0 -O1 -O2              a default pipeline (PassManager.h)
//   --passes=LIST            an explicit pipeline (not together with -O)
//   --print-ir-after-all     print the IR after every pass (to the log stream)
//   --print-ir-after=NAME    ... after every run of pass NAME (repeatable)
//   --stats                  print what each pass did (to the log stream)
//   --verify-each            verify after every pass (the default)
//   --no-verify-each         do not
//
// A verb's argument loop calls parseArgument first:
//
//   passes::PipelineOptions popts;
//   for (size_t i = 0; i < args.size(); ++i) {
//     std::string err;
//     switch (popts.parseArgument(args, i, &err)) {
//     case passes::ArgResult::Consumed: continue;
//     case passes::ArgResult::Error: return usageError("opt", err);
//     case passes::ArgResult::NotMine: break;
//     }
//     ... the verb's own options ...
//   }
//   if (!passes::runPipeline(*module, popts, /*defaultLevel=*/0, catalog, diag, std::cerr))
//     { diag.print(std::cerr); return kExitInputError; }
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ir/ComponentSchema.h"
#include "ir/Diagnostics.h"
#include "ir/IR.h"
#include "passes/PassManager.h"

namespace kiln::passes {

enum class ArgResult { NotMine, Consumed, Error };

struct PipelineOptions {
  std::optional<int> optLevel;           // -O<n>
  std::optional<std::string> passes;     // --passes=LIST
  bool printAfterAll = false;
  std::vector<std::string> printAfter;   // pass names
  bool stats = false;
  bool verifyEach = true;

  /// If args[i] is one of the options above, records it (advancing i past a
  /// separate value, as in `--passes LIST`) and returns Consumed; returns
  /// Error with a message for a malformed one (unknown pass name, -O3,
  /// both -O and --passes); NotMine otherwise.
  ArgResult parseArgument(const std::vector<std::string> &args, size_t &i, std::string *error);

  /// The pipeline the options select (-O<defaultLevel> when neither -O nor
  /// --passes was given), or nullopt with a message.
  std::optional<Pipeline> pipeline(int defaultLevel, std::string *error) const;
};

/// Runs the selected pipeline on `module`. IR printouts (headed
/// `// ----- IR after PASS -----`) and --stats go to `log` (the tools pass
/// stderr, so stdout carries only the result). Returns false when a pass
/// failed (reported to `diag`).
/// If `summary` is given it receives one line of what the pipeline did for
/// `kiln run`'s end-of-run summary, e.g. "-O2: 1 loop bulk-read, 2 calls
/// inlined, 3 groups fused (17 ops)".
bool runPipeline(ir::Module &module, const PipelineOptions &options, int defaultLevel,
                 const ir::ComponentCatalog *catalog, ir::DiagnosticEngine &diag,
                 std::ostream &log, std::string *summary = nullptr);

} // namespace kiln::passes
