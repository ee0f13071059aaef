// PassManager: the registry of passes by name, textual pipelines, the default
// -O0/-O1/-O2 pipelines, and running a pipeline (verifying after each pass,
// calling instrumentation hooks, collecting statistics).
//
// Pipeline syntax:
//     pipeline := element (',' element)*
//     element  := PASS-NAME | 'fixpoint(' pipeline ')'
// `fixpoint(...)` reruns its elements until none of them changes the module
// (at most RunOptions::maxFixpointIterations rounds). Whitespace around names
// is allowed. Errors (unknown pass, empty element, trailing comma, unbalanced
// parentheses) are reported with the offending position and, for an unknown
// name, the list of known passes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "passes/Pass.h"

namespace kiln::passes {

struct PassInfo {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<Pass> (*create)();
};

/// Every pass, sorted by name (the one table).
std::span<const PassInfo> registeredPasses();
const PassInfo *lookupPass(std::string_view name);
/// "bulk-read, canonicalize, cse, ..." for error messages.
std::string knownPassNames();

/// One step of a pipeline: a pass, or a fixed-point group of steps.
struct PipelineElement {
  std::unique_ptr<Pass> pass;              // set for a pass
  std::vector<PipelineElement> fixpoint;   // set for a group
  bool isGroup() const { return pass == nullptr; }
};

struct Pipeline {
  std::vector<PipelineElement> elements;
  bool empty() const { return elements.empty(); }
  /// The textual form, which parsePipeline accepts.
  std::string str() const;
};

/// Parses a textual pipeline; on error returns nullopt and a message.
/// The empty string is the empty pipeline.
std::optional<Pipeline> parsePipeline(std::string_view text, std::string *error);

/// The textual form of -O<level> (0, 1 or 2).
std::string_view defaultPipelineText(int level);
Pipeline defaultPipeline(int level);

struct RunOptions {
  /// Run the IR verifier after every pass; a failure is reported as kiln's
  /// own bug in that pass (the input was verified before the pipeline).
  bool verifyEach = true;
  /// Called after every pass run with the module as the pass left it.
  std::function<void(const Pass &, const ir::Module &)> afterPass;
  unsigned maxFixpointIterations = 10;
};

class PassManager {
public:
  explicit PassManager(Pipeline pipeline, RunOptions options = {})
      : pipeline_(std::move(pipeline)), options_(std::move(options)) {}

  /// Runs the pipeline. Returns false if a pass failed or the verifier
  /// rejected a pass's output (reported to `diag`).
  bool run(ir::Module &module, const ir::ComponentCatalog *catalog,
           ir::DiagnosticEngine &diag);

  /// Per pass, in order of first run.
  const std::vector<std::pair<std::string, PassStatistics>> &statistics() const {
    return stats_;
  }
  /// One line per pass: `fuse: 3 groups, 17 ops fused`.
  std::string statisticsText() const;

private:
  // Returns Failed, or whether anything changed.
  PassResult runElements(std::vector<PipelineElement> &elements, ir::Module &module,
                         PassContext &ctx);
  PassResult runOne(Pass &pass, ir::Module &module, PassContext &ctx);
  PassStatistics &statsFor(std::string_view pass);

  Pipeline pipeline_;
  RunOptions options_;
  std::vector<std::pair<std::string, PassStatistics>> stats_;
};

} // namespace kiln::passes
