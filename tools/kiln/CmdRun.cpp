// kiln run FILE [--steps N] [--save CKPT] [--checkpoint-every N] [--entry NAME]
//               [--hook SPEC] [--no-jit] [--jit-cache=on|off] [--jit-cpu CPU] [--stats]
//               [--no-progress] [--quiet]
//
// FILE is a program in the notation (.kiln, through the frontend) or textual
// IR (.kir, parsed and verified). The module goes through optimizeModule()
// (the pass pipeline's place), then a VM steps it (see RunLoop.h).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "frontend/Driver.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "passes/PipelineOptions.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"
#include "tools/kiln/RunLoop.h"

namespace kiln::tools {

namespace {

// The one piece of process-wide mutable state: a signal handler can only
// talk to the loop through a flag of this type.
volatile std::sig_atomic_t gStopSignal = 0;

extern "C" void onStopSignal(int sig) { gStopSignal = sig; }

/// `handler` for the signals that stop a run: SIGINT, SIGTERM and SIGHUP
/// (the terminal went away: save, as for SIGTERM).
void onStopSignals(void (*handler)(int)) {
  struct sigaction sa{};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

// After the run has finished and been saved only the summaries remain, and
// one may take minutes (a PCA's eigensolve over thousands of inputs) inside
// code that cannot look at a flag. A signal then ends the process at once:
// nothing is lost, the checkpoint is already on disk.
extern "C" void onSignalDuringSummaries(int) {
  static const char kMessage[] =
      "\nkiln: interrupted while printing the summaries (the run had finished and was saved)\n";
  ssize_t ignored = ::write(2, kMessage, sizeof kMessage - 1);
  (void)ignored;
  ::_exit(kExitInterrupted);
}

bool parseCount(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 18)
    return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

/// The place where the pass pipeline runs on the module after it has been
/// lowered/parsed and verified, before the VM lowers it to instructions.
/// (-O0/-O1/-O2/--passes/--stats plug in here.) Returns false with
/// diagnostics when a pass fails.
bool optimizeModule(ir::Module &module, const passes::PipelineOptions &pipeline,
                    const ir::ComponentCatalog &catalog, ir::DiagnosticEngine &diag,
                    std::string &summary) {
  // -O2 unless told otherwise: the VM interprets fused groups and bulk reads
  // as it does the unoptimized IR, with the same results (docs/passes.md).
  return passes::runPipeline(module, pipeline, /*defaultLevel=*/2, &catalog, diag, std::cerr,
                             &summary);
}

/// The last line of a run unless --quiet, after the component summaries
/// (stderr, so stdout keeps only what the program printed and those):
///   kiln: 2017 steps in 0.15 s (13.4k steps/s); -O2: 1 loop bulk-read, ...;
///   codegen: 3 kernels, 2 compiled, 1 from caches, 0 interpreted
void printRunSummary(const runtime::VM &vm, const RunOptions &opts, int64_t steps,
                     int64_t instructions, double seconds) {
  char rate[64];
  double perSec = double(steps) / std::max(seconds, 1e-9);
  if (perSec >= 1e6)
    std::snprintf(rate, sizeof rate, "%.1fM", perSec / 1e6);
  else if (perSec >= 1e3)
    std::snprintf(rate, sizeof rate, "%.1fk", perSec / 1e3);
  else
    std::snprintf(rate, sizeof rate, "%.0f", perSec);
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3g", seconds);
  std::cerr << "kiln: " << steps << (steps == 1 ? " step in " : " steps in ") << secs << " s ("
            << rate << " steps/s, " << instructions
            << (instructions == 1 ? " instruction)" : " instructions)");
  if (!opts.compileSummary.empty())
    std::cerr << "; " << opts.compileSummary;
  if (auto *jit = dynamic_cast<const codegen::JitExecutor *>(vm.kernelExecutor())) {
    int64_t kernels = int64_t(jit->reports().size());
    if (kernels) {
      int64_t compiled = jit->numCompiled(), hits = jit->numCacheHits();
      std::cerr << "; codegen: " << kernels << (kernels == 1 ? " kernel, " : " kernels, ")
                << compiled << " compiled, " << hits << " from caches, "
                << kernels - compiled - hits << " interpreted";
    }
  } else if (!opts.jit) {
    std::cerr << "; --no-jit: fused groups interpreted";
  }
  std::cerr << "\n";
}

void printSummaries(const runtime::VM &vm) {
  for (size_t i = 0; i < vm.numComponents(); ++i) {
    std::string d = vm.component(i).describe();
    if (d.empty())
      continue;
    std::cout << "@" << vm.componentName(i) << " (" << vm.component(i).typeName() << "):\n"
              << d;
    if (d.back() != '\n')
      std::cout << "\n";
  }
}

} // namespace

int takeRunOption(std::string_view verb, const std::vector<std::string> &args, size_t &i,
                  RunOptions &opts) {
  const std::string &a = args[i];
  std::string v;
  if (takeOption(a, "steps", v, args, i)) {
    if (!parseCount(v, opts.steps))
      return usageError(verb, "--steps needs a non-negative integer, got '" + v + "'"), -1;
    return 1;
  }
  if (takeOption(a, "checkpoint-every", v, args, i)) {
    if (!parseCount(v, opts.checkpointEvery) || opts.checkpointEvery == 0)
      return usageError(verb, "--checkpoint-every needs a positive integer, got '" + v + "'"), -1;
    return 1;
  }
  if (takeOption(a, "save", v, args, i)) {
    if (v.empty())
      return usageError(verb, "--save needs a file name"), -1;
    opts.save = v;
    return 1;
  }
  if (a == "--no-progress") {
    opts.progress = false;
    return 1;
  }
  if (a == "--progress") {
    opts.progress = true;
    return 1;
  }
  if (a == "--quiet") {
    opts.quiet = true;
    return 1;
  }
  if (a == "--no-jit") {
    opts.jit = false;
    return 1;
  }
  if (takeOption(a, "jit-cache", v, args, i)) {
    if (v != "on" && v != "off")
      return usageError(verb, "--jit-cache takes 'on' or 'off', got '" + v + "'"), -1;
    opts.jitCache = v == "on";
    return 1;
  }
  if (takeOption(a, "jit-cpu", v, args, i)) {
    if (v.empty())
      return usageError(verb, "--jit-cpu needs a CPU name (e.g. x86-64, haswell)"), -1;
    opts.jitCpu = v;
    return 1;
  }
  if (a == "--stats") {
    opts.stats = true;
    return 1;
  }
  if (a == "--steps" || a == "--save" || a == "--checkpoint-every")
    return usageError(verb, a + " needs a value"), -1;
  return 0;
}

int installJit(runtime::VM &vm, const RunOptions &opts,
               std::unique_ptr<codegen::JitExecutor> &jit) {
  if (!opts.jit)
    return 0;
  codegen::KernelCompiler::Options co;
  co.diskCache = opts.jitCache;
  co.cpu = opts.jitCpu;
  auto ex = codegen::JitExecutor::create(co);
  if (!ex) {
    std::string why = llvm::toString(ex.takeError());
    if (!opts.jitCpu.empty()) {
      std::cerr << "kiln: error: --jit-cpu " << opts.jitCpu << ": " << why << "\n";
      return kExitUsage;
    }
    std::cerr << "kiln: warning: no JIT on this machine (" << why
              << "); fused kernels are interpreted\n";
    return 0;
  }
  jit = std::move(*ex);
  vm.setKernelExecutor(jit.get());
  return 0;
}

int driveVM(runtime::VM &vm, const RunOptions &opts, const ir::SourceManager &sources) {
  using Clock = std::chrono::steady_clock;
  if (opts.checkpointEvery && opts.save.empty()) {
    std::cerr << "kiln: error: --checkpoint-every needs --save\n";
    return kExitUsage;
  }
  onStopSignals(onStopSignal);
  bool tty = opts.progress && ::isatty(2) && !std::getenv("KILN_NO_PROGRESS");
  auto start = Clock::now();
  auto lastShown = start;
  const int64_t startSteps = vm.stepCount(), startInstructions = vm.instructionCount();
  bool interrupted = false;
  std::string err;
  auto save = [&]() {
    if (opts.save.empty())
      return true;
    if (vm.save(opts.save, err))
      return true;
    std::cerr << "kiln: error: " << err << "\n";
    return false;
  };
  // Program steps run in chunks: between chunks the loop looks at the signal
  // flag, the clock and the checkpoint schedule. A chunk is short: at most
  // kChunkSteps steps and kChunkInstructions instructions (a program may
  // loop long between steps). --steps and --checkpoint-every stop at a step
  // boundary, the first at or after their count (a bulk read of N rows is N
  // steps, so it may take the count past them).
  constexpr int64_t kChunkSteps = 256, kChunkInstructions = 1 << 16;
  constexpr int64_t kNever = INT64_MAX;
  const int64_t target = opts.steps >= 0 ? startSteps + opts.steps : kNever;
  auto nextSaveAfter = [&](int64_t steps) {
    return opts.checkpointEvery ? (steps / opts.checkpointEvery + 1) * opts.checkpointEvery
                                : kNever;
  };
  int64_t nextSave = nextSaveAfter(vm.stepCount());
  auto running = [&] { return vm.status() == runtime::VM::Status::Running; };
  while (running() && !(vm.stepCount() >= target && vm.atStepBoundary())) {
    if (gStopSignal) {
      interrupted = true;
      break;
    }
    int64_t n = std::min({kChunkSteps, target - vm.stepCount(), nextSave - vm.stepCount()});
    vm.run(std::max<int64_t>(n, 0), kChunkInstructions);
    if (vm.stepCount() >= nextSave && vm.atStepBoundary() && running()) {
      if (!save())
        return kExitInputError;
      nextSave = nextSaveAfter(vm.stepCount());
    }
    if (tty) {
      auto now = Clock::now();
      if (now - lastShown > std::chrono::milliseconds(250)) {
        lastShown = now;
        double secs = std::chrono::duration<double>(now - start).count();
        double rate = double(vm.stepCount() - startSteps) / std::max(secs, 1e-9);
        std::fprintf(stderr, "\r\033[Ksteps %lld  %.0f steps/s  %.1fs",
                     static_cast<long long>(vm.stepCount()), rate, secs);
      }
    }
  }
  if (gStopSignal)
    interrupted = true;
  if (tty)
    std::fprintf(stderr, "\r\033[K");
  std::cout.flush();
  if (vm.status() == runtime::VM::Status::Error) {
    ir::DiagnosticEngine diag(&sources);
    diag.error(vm.error().loc, vm.error().message);
    diag.print(std::cerr);
    return kExitInputError;
  }
  if (!save())
    return kExitInputError;
  if (interrupted) {
    std::cerr << "kiln: interrupted at step " << vm.stepCount()
              << (opts.save.empty() ? "" : "; checkpoint written to " + opts.save) << "\n";
    return kExitInterrupted;
  }
  if (opts.stats)
    if (auto *jit = dynamic_cast<const codegen::JitExecutor *>(vm.kernelExecutor()))
      jit->printStats(std::cerr);
  if (!opts.quiet) {
    onStopSignals(onSignalDuringSummaries);
    if (gStopSignal) { // arrived after the last look: the run is saved, stop here
      std::cerr << "kiln: interrupted before the summaries (the run had finished"
                << (opts.save.empty() ? "" : " and was saved") << ")\n";
      return kExitInterrupted;
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    printSummaries(vm);
    std::cout.flush();
    printRunSummary(vm, opts, vm.stepCount() - startSteps,
                    vm.instructionCount() - startInstructions, secs);
  }
  return kExitOk;
}

int cmdRun(const Args &args) {
  RunOptions opts;
  std::string file, entry = "main";
  std::vector<std::string> hooks;
  passes::PipelineOptions pipeline;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string pipelineError;
    passes::ArgResult pr = pipeline.parseArgument(args, i, &pipelineError);
    if (pr == passes::ArgResult::Error)
      return usageError("run", pipelineError);
    if (pr == passes::ArgResult::Consumed)
      continue;
    int r = takeRunOption("run", args, i, opts);
    if (r < 0)
      return kExitUsage;
    if (r > 0)
      continue;
    const std::string &a = args[i];
    std::string v;
    if (takeOption(a, "entry", v, args, i))
      entry = v;
    else if (takeOption(a, "hook", v, args, i))
      hooks.push_back(v);
    else if (!a.empty() && a[0] == '-' && a != "-")
      return usageError("run", "unknown option '" + a + "'");
    else if (file.empty())
      file = a;
    else
      return usageError("run", "more than one input file");
  }
  if (file.empty())
    return usageError("run", "no input file");

  auto text = readInputFile(file);
  if (!text)
    return kExitInputError;
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  runtime::Registry registry = runtime::Registry::withBuiltins();
  std::unique_ptr<ir::Module> module;
  bool isKir = file.size() > 4 && file.compare(file.size() - 4, 4, ".kir") == 0;
  if (isKir) {
    if (!hooks.empty())
      return usageError("run", "--hook applies to programs (.kiln), not to IR");
    module = ir::parseModule(*text, file, sources, diag);
  } else {
    // Parse, apply hooks, lower with the registry as the catalog, verify.
    module = frontend::compileProgram(*text, file, hooks, entry, registry, sources, diag);
  }
  if (!module || !ir::verifyModule(*module, diag) ||
      !optimizeModule(*module, pipeline, registry, diag, opts.compileSummary)) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  auto vm = runtime::VM::create(std::shared_ptr<const ir::Module>(std::move(module)), registry,
                                diag, entry);
  if (!vm) {
    diag.print(std::cerr);
    return kExitInputError;
  }
  // Checkpoints keep the program's files, so errors after a resume quote them.
  vm->setSourceFiles(sources.buffers());
  opts.stats = opts.stats || pipeline.stats;
  std::unique_ptr<codegen::JitExecutor> jit;
  if (int rc = installJit(*vm, opts, jit))
    return rc;
  return driveVM(*vm, opts, sources);
}

} // namespace kiln::tools
