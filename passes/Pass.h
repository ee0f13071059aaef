// Pass: the interface every optimization pass implements, and what a pass
// gets to work with (PassContext: the component catalog, diagnostics, and the
// statistics it reports for --stats).
//
// A pass rewrites a whole Module. It reports whether it changed anything (the
// pass manager iterates fixed-point groups until nothing changes) or failed
// (it reported an error to the DiagnosticEngine; the pipeline stops).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/ComponentSchema.h"
#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace kiln::passes {

enum class PassResult { Unchanged, Changed, Failed };

/// Counters of one pass, in the order the pass declared them, printed by
/// --stats as `fuse: 3 groups, 17 ops fused`. They accumulate over every run
/// of the pass in one pipeline (fixed-point groups run a pass several times).
class PassStatistics {
public:
  /// Adds n to the counter named by its singular/plural spellings (declaring
  /// it, at 0, if new: a counter that stays 0 is still printed).
  void add(std::string_view singular, std::string_view plural, int64_t n = 1);
  /// The counter's value, 0 if never declared.
  int64_t get(std::string_view plural) const;
  /// Free-form remark printed after the counters, e.g. "no component catalog".
  void note(std::string text);
  /// `3 groups, 17 ops fused` (and `; remark` when noted).
  std::string str() const;

private:
  struct Counter {
    std::string singular, plural;
    int64_t value = 0;
  };
  std::vector<Counter> counters_;
  std::vector<std::string> notes_;
};

struct PassContext {
  /// Component types and their methods (bulk forms). Optional: without it,
  /// passes that need it do nothing and say so in their statistics.
  const ir::ComponentCatalog *catalog = nullptr;
  /// Where passes report user-facing errors. Never null while a pass runs.
  ir::DiagnosticEngine *diag = nullptr;
  /// The statistics of the running pass. Never null while a pass runs.
  PassStatistics *stats = nullptr;
};

class Pass {
public:
  virtual ~Pass() = default;
  /// The name used in pipelines (`--passes=fuse`).
  virtual std::string_view name() const = 0;
  /// One line for `kiln opt --list-passes` and error messages.
  virtual std::string_view summary() const = 0;
  virtual PassResult run(ir::Module &module, PassContext &ctx) = 0;
};

} // namespace kiln::passes
