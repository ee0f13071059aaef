// The oracles of the differential tester (docs/difftest.md): a program is
// compiled and run under several configurations in-process (api::Session)
// and the runs must agree bitwise on every component's saved state (and on
// printed output, step counts and random counters where those are defined
// to agree).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "Program.h"
#include "api/Session.h"

namespace kiln::difftest {

/// Whether programs with WEAVE must agree across pipelines by default:
/// true since WEAVE turns are program steps and calls are atomic (issue
/// #10); --weave-lenient restores the tolerance of the instruction-step
/// semantics (docs/difftest.md).
inline constexpr bool kWeaveStrictByDefault = true;

/// One way to compile and run a program.
struct RunConfig {
  std::string label = "-O0"; // names the configuration in findings
  int optLevel = 0;
  std::string passes;             // an explicit pipeline (wins over optLevel when set)
  bool jit = false;               // compiled fused kernels (else interpreted)
  std::vector<std::string> hooks; // rewrites (`after PATTERN: ELEMENT`, notation.md)
};

struct RunLimits {
  int64_t maxSteps = int64_t(1) << 22; // VM steps per run
  double maxSeconds = 20;              // wall time per run
};

struct RunResult {
  enum class Outcome { Done, CompileError, RuntimeError, StepBudget, Timeout };
  Outcome outcome = Outcome::Done;
  std::string message; // the diagnostics of a compile or run-time error
  int64_t steps = 0;
  std::string output;                       // what print/log wrote
  std::map<std::string, std::string> state; // "component.tensor" -> dtype, shape, bytes
  std::vector<uint64_t> rng;                // random stream counters
  bool ok() const { return outcome == Outcome::Done; }
  std::string outcomeText() const;
};

/// Compiles and runs program text in one Session (its registry and JIT are
/// shared by every run).
class Runner {
public:
  explicit Runner(RunLimits limits) : limits_(limits) {}
  RunResult run(const std::string &text, const RunConfig &config);
  /// How runResumed carries the VM over: a checkpoint image in memory
  /// (serialize + parse + VM::restore), a checkpoint file (VM::save +
  /// Session::resume, with compiled kernels if the config has them), or
  /// VM::clone.
  enum class Via { Memory, File, Clone };
  /// Runs `k` steps, carries the VM over to a fresh one and runs that to
  /// the end (the output is both parts').
  RunResult runResumed(const std::string &text, const RunConfig &config, int64_t k, Via via,
                       const std::string &tmpDir);

private:
  std::unique_ptr<runtime::VM> compile(const std::string &text, const RunConfig &config,
                                       RunResult &r);
  void finish(runtime::VM &vm, RunResult &r, int64_t maxSteps);
  RunLimits limits_;
  api::Session session_;
};

/// A disagreement, or a run that did not end normally.
struct Finding {
  std::string oracle; // valid, run, roundtrip, opt, resume, jit
  std::string config; // which configuration, e.g. "pass:fuse" or "-O2@K=7"
  std::string detail; // what differed
  /// What the shrinker keeps failing: the oracle and configuration, without
  /// a resume point (the step count changes as the program shrinks).
  std::string key() const;
};

struct OracleOptions {
  std::string only;       // run just this oracle (empty: all)
  std::string onlyConfig; // opt/resume: just this configuration (the shrinker's focus)
  bool weaveStrict = kWeaveStrictByDefault; // WEAVE programs must agree across pipelines too
  unsigned passPairs = 3;                   // ordered pass pairs per program (all when 0)
  bool jit = true;                          // the jit oracle (codegen's JIT vs interpreted)
  uint64_t seed = 0;                        // picks the pass pairs and resume points
  std::string tmpDir;                       // for the checkpoint-through-a-file run
  /// A hook applied to every configuration compared with -O0 except the
  /// round trip and resume: a deliberate difference, so that the oracles'
  /// power to see one is itself tested (--self-check).
  std::string injectHook;
};

struct CheckStats {
  int64_t runs = 0;          // VM runs
  int64_t weaveExpected = 0; // WEAVE differences across pipelines, expected today
};

/// Every oracle on one program's text; returns the findings (empty: it
/// passed). `weave`: the program uses WEAVE (its differences across
/// pipelines are expected unless opts.weaveStrict).
std::vector<Finding> checkProgram(Runner &runner, const std::string &text, bool weave,
                                  const OracleOptions &opts, CheckStats &stats);

/// The oracle names, for --oracle.
const std::vector<std::string> &oracleNames();

} // namespace kiln::difftest
