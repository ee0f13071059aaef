// The stepping loop shared by `kiln run` and `kiln resume`: steps a VM in
// chunks, between chunks checks for SIGINT/SIGTERM, writes periodic
// checkpoints and a progress line, and at the end saves and reports.
#pragma once

#include <cstdint>
#include <string>

#include "codegen/JitExecutor.h"
#include "ir/Diagnostics.h"
#include "runtime/VM.h"

namespace kiln::tools {

struct RunOptions {
  int64_t steps = -1;           // stop after this many steps (-1: until done)
  std::string save;             // checkpoint written when the run stops
  int64_t checkpointEvery = 0;  // also every N steps (0: never)
  bool progress = true;         // progress line on a TTY stderr
  bool quiet = false;           // no component summaries at the end
  bool jit = true;              // compiled fused kernels (--no-jit: interpret them)
  bool jitCache = true;         // the on-disk kernel cache (--jit-cache=off)
  std::string jitCpu;           // --jit-cpu: compile for this CPU, not the host's
  bool stats = false;           // --stats: codegen's section at the end
  std::string compileSummary;   // what the pass pipeline did (run only; see runPipeline)
};

/// Parses one run/resume option at args[i] (advancing i past its value).
/// Returns 1 if taken, 0 if not a run option, -1 after printing a usage error.
int takeRunOption(std::string_view verb, const std::vector<std::string> &args, size_t &i,
                  RunOptions &opts);

/// Compiled kernels for `vm` unless `opts.jit` is off, in `jit` (which must
/// outlive the VM). When LLVM cannot JIT on this machine, prints a warning
/// and leaves `jit` null (every fused op is then interpreted); returns 0,
/// or the exit code after an error (a --jit-cpu this machine cannot run).
int installJit(runtime::VM &vm, const RunOptions &opts,
               std::unique_ptr<codegen::JitExecutor> &jit);

/// Runs `vm` per `opts`; returns the process exit code. Run-time errors are
/// rendered with `sources` (which may not know the file: then no quote).
int driveVM(runtime::VM &vm, const RunOptions &opts, const ir::SourceManager &sources);

} // namespace kiln::tools
