#include "Oracles.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "Generator.h"
#include "frontend/Parser.h"
#include "frontend/ProgramPrinter.h"
#include "passes/PassManager.h"
#include "runtime/Checkpoint.h"

namespace kiln::difftest {

namespace {

using Outcome = RunResult::Outcome;
constexpr int64_t kChunk = 4096;

RunConfig cfg(std::string label, int level, std::string passes, bool jit) {
  RunConfig c;
  c.label = std::move(label);
  c.optLevel = level;
  c.passes = std::move(passes);
  c.jit = jit;
  return c;
}

std::map<std::string, std::string> stateOf(const runtime::VM &vm) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < vm.numComponents(); ++i)
    for (const runtime::NamedTensor &t : vm.component(i).saveState()) {
      std::string v(ir::elemTypeName(t.value.dtype()));
      for (int64_t d : t.value.shape())
        v += " " + std::to_string(d);
      v += ":";
      v.append(static_cast<const char *>(t.value.raw()), t.value.nbytes());
      out[vm.componentName(i) + "." + t.name] = std::move(v);
    }
  return out;
}

// `[step N] ` (log's prefix) counts VM instructions, which differ between
// pipelines by design: compared without it across pipelines.
std::string withoutStepNumbers(const std::string &s) {
  std::string out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("[step ", 0) == 0) {
      size_t close = line.find("] ");
      if (close != std::string::npos)
        line = line.substr(close + 2);
    }
    out += line + "\n";
  }
  return out;
}

std::string firstDifference(const std::string &a, const std::string &b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i])
    ++i;
  size_t lineStart = a.rfind('\n', i == 0 ? 0 : i - 1);
  lineStart = lineStart == std::string::npos ? 0 : lineStart + 1;
  auto lineAt = [&](const std::string &s) {
    if (lineStart >= s.size())
      return std::string("<end>");
    size_t end = s.find('\n', lineStart);
    return s.substr(lineStart, end == std::string::npos ? std::string::npos : end - lineStart);
  };
  return "first difference at byte " + std::to_string(i) + ": '" + lineAt(a) + "' vs '" +
         lineAt(b) + "'";
}

// What differs between two finished runs, or empty. `output`: compare the
// printed output (`exactOutput`: with log's step numbers); `steps`: step
// counts and random stream counters too.
std::string compareRuns(const RunResult &a, const RunResult &b, bool output, bool exactOutput,
                        bool steps) {
  for (const auto &[name, bytes] : a.state) {
    auto it = b.state.find(name);
    if (it == b.state.end())
      return "@" + name + " missing";
    if (it->second != bytes)
      return "@" + name + " differs";
  }
  if (a.state.size() != b.state.size())
    return "component state lists differ";
  if (steps && a.steps != b.steps)
    return "steps " + std::to_string(a.steps) + " vs " + std::to_string(b.steps);
  if (steps && a.rng != b.rng)
    return "random stream counters differ";
  if (output) {
    std::string x = exactOutput ? a.output : withoutStepNumbers(a.output);
    std::string y = exactOutput ? b.output : withoutStepNumbers(b.output);
    if (x != y)
      return "output differs, " + firstDifference(x, y);
  }
  return {};
}

// A parse + canonical print of `text`, or the diagnostics.
bool canonical(const std::string &text, std::string &out) {
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto prog = frontend::parseProgram(text, "difftest.kiln", sources, diag);
  if (!prog) {
    std::ostringstream os;
    diag.print(os);
    out = os.str();
    return false;
  }
  out = frontend::printProgram(*prog);
  return true;
}

} // namespace

std::string RunResult::outcomeText() const {
  switch (outcome) {
  case Outcome::Done: return "done";
  case Outcome::CompileError: return "compile error: " + message;
  case Outcome::RuntimeError: return "run-time error: " + message;
  case Outcome::StepBudget: return "not done within the step budget";
  case Outcome::Timeout: return "not done within the time limit";
  }
  return "?";
}

std::string Finding::key() const {
  std::string c = config;
  size_t at = c.find("@K=");
  if (at != std::string::npos)
    c.resize(at);
  return oracle + ":" + c;
}

const std::vector<std::string> &oracleNames() {
  static const std::vector<std::string> names{"run", "roundtrip", "opt", "resume", "jit"};
  return names;
}

// ---- Runner -------------------------------------------------------------------

std::unique_ptr<runtime::VM> Runner::compile(const std::string &text, const RunConfig &config,
                                             RunResult &r) {
  api::CompileOptions o;
  o.optLevel = config.optLevel;
  o.passes = config.passes;
  o.jit = config.jit;
  o.jitCache = false;
  o.hooks = config.hooks;
  std::string errors;
  auto vm = session_.loadSource(text, "difftest.kiln", o, errors);
  if (!vm) {
    r.outcome = Outcome::CompileError;
    r.message = errors;
  }
  return vm;
}

void Runner::finish(runtime::VM &vm, RunResult &r, int64_t maxSteps) {
  std::ostringstream out;
  vm.setOutput(&out);
  auto start = std::chrono::steady_clock::now();
  while (vm.status() == runtime::VM::Status::Running && vm.stepCount() < maxSteps) {
    // An instruction budget too: a step may be long (a REPEAT without a
    // call runs within one), and the wall-time limit is looked at here.
    vm.run(std::min(kChunk, maxSteps - vm.stepCount()), 64 * kChunk);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (secs > limits_.maxSeconds && vm.status() == runtime::VM::Status::Running) {
      r.outcome = Outcome::Timeout;
      break;
    }
  }
  vm.setOutput(nullptr);
  r.output += out.str();
  r.steps = vm.stepCount();
  if (vm.status() == runtime::VM::Status::Error) {
    r.outcome = Outcome::RuntimeError;
    r.message = session_.describeError(vm);
  } else if (r.outcome == Outcome::Done && vm.status() == runtime::VM::Status::Running &&
             maxSteps == limits_.maxSteps) {
    r.outcome = Outcome::StepBudget;
  }
  r.state = stateOf(vm);
  r.rng = vm.rngCounters();
}

RunResult Runner::run(const std::string &text, const RunConfig &config) {
  RunResult r;
  if (auto vm = compile(text, config, r))
    finish(*vm, r, limits_.maxSteps);
  return r;
}

RunResult Runner::runResumed(const std::string &text, const RunConfig &config, int64_t k, Via via,
                             const std::string &tmpDir) {
  RunResult r;
  auto vm = compile(text, config, r);
  if (!vm)
    return r;
  finish(*vm, r, k);
  if (!r.ok())
    return r;
  if (vm->status() != runtime::VM::Status::Running) {
    r.outcome = Outcome::RuntimeError;
    r.message = "stopped before the resume point";
    return r;
  }
  std::string err;
  std::unique_ptr<runtime::VM> resumed;
  if (via == Via::Clone) {
    resumed = vm->clone();
  } else if (via == Via::Memory) {
    std::string bytes = runtime::serializeCheckpoint(vm->snapshot());
    auto data = runtime::parseCheckpoint(
        std::span(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()), err);
    if (data)
      resumed = runtime::VM::restore(*data, session_.registry(), err);
  } else {
    std::string path = tmpDir + "/difftest-resume.ckpt";
    if (vm->save(path, err))
      resumed = session_.resume(path, err, config.jit);
    std::remove(path.c_str());
  }
  if (!resumed) {
    r.outcome = Outcome::RuntimeError;
    r.message = "the checkpoint did not load: " + err;
    return r;
  }
  vm.reset();
  finish(*resumed, r, limits_.maxSteps);
  return r;
}

// ---- the oracles ----------------------------------------------------------------

std::vector<Finding> checkProgram(Runner &runner, const std::string &text, bool weave,
                                  const OracleOptions &opts, CheckStats &stats) {
  std::vector<Finding> findings;
  auto want = [&](const char *oracle) { return opts.only.empty() || opts.only == oracle; };
  auto run = [&](RunConfig c) {
    ++stats.runs;
    if (c.label != "-O0" && !opts.injectHook.empty())
      c.hooks.push_back(opts.injectHook);
    RunResult r = runner.run(text, c);
    if (r.ok())
      return r;
    // Today a WEAVE turn is one instruction, so woven children that update
    // one component inside kernel calls can lose an update (both load, both
    // store), e.g. a PCA's count, and a later finalize then fails: a run-time
    // error of a WEAVE program is today's semantics, not a finding.
    if (r.outcome == Outcome::RuntimeError && weave && !opts.weaveStrict)
      ++stats.weaveExpected;
    else
      findings.push_back({r.outcome == Outcome::CompileError && c.label == "-O0" ? "valid" : "run",
                          c.label, r.outcomeText()});
    return r;
  };
  RunResult base = run(cfg("-O0", 0, "", false));
  if (!base.ok())
    return findings;
  Rng rng(opts.seed ^ 0x5eed);

  if (want("roundtrip")) {
    std::string once, twice;
    if (!canonical(text, once)) {
      findings.push_back({"roundtrip", "parse", once});
    } else if (!canonical(once, twice) || once != twice) {
      findings.push_back({"roundtrip", "print",
                          "print(parse(print(p))) != print(p): " + firstDifference(once, twice)});
    } else {
      ++stats.runs;
      RunResult r = runner.run(once, cfg("-O0", 0, "", false));
      std::string d = r.ok() ? compareRuns(base, r, true, true, true) : r.outcomeText();
      if (!d.empty())
        findings.push_back({"roundtrip", "run", "the printed program: " + d});
    }
  }

  if (want("opt")) {
    std::vector<RunConfig> configs{cfg("-O1", 1, "", false), cfg("-O2", 2, "", false)};
    std::vector<std::string> names;
    for (const passes::PassInfo &p : passes::registeredPasses())
      names.emplace_back(p.name);
    for (const std::string &n : names)
      configs.push_back(cfg("pass:" + n, 0, n, false));
    std::vector<std::pair<size_t, size_t>> pairs;
    for (size_t i = 0; i < names.size(); ++i)
      for (size_t j = 0; j < names.size(); ++j)
        if (i != j)
          pairs.push_back({i, j});
    size_t nPairs =
        opts.passPairs == 0 ? pairs.size() : std::min<size_t>(opts.passPairs, pairs.size());
    for (size_t i = 0; i < nPairs; ++i) {
      size_t j = i + size_t(rng.below(int64_t(pairs.size() - i)));
      std::swap(pairs[i], pairs[j]);
      std::string p = names[pairs[i].first] + "," + names[pairs[i].second];
      configs.push_back(cfg("passes:" + p, 0, p, false));
    }
    for (const RunConfig &c : configs) {
      if (!opts.onlyConfig.empty() && c.label != opts.onlyConfig)
        continue;
      RunResult r = run(c);
      if (!r.ok())
        continue;
      std::string d = compareRuns(base, r, true, false, false);
      if (d.empty())
        continue;
      if (weave && !opts.weaveStrict)
        ++stats.weaveExpected;
      else
        findings.push_back({"opt", c.label, "vs -O0: " + d});
    }
  }

  if (want("resume")) {
    for (int level : {0, 2}) {
      RunConfig c = cfg("-O" + std::to_string(level), level, "", false);
      if (!opts.onlyConfig.empty() && opts.onlyConfig.rfind(c.label, 0) != 0)
        continue;
      RunResult full = level == 0 ? base : run(c);
      if (!full.ok() || full.steps < 2)
        continue;
      std::vector<int64_t> ks{1, full.steps / 2, full.steps - 1, 1 + rng.below(full.steps - 1)};
      for (size_t i = 0; i < ks.size(); ++i) {
        // The last point goes through a checkpoint file (VM::save +
        // Session::resume), the others through serialize/parse in memory.
        bool viaFile = i + 1 == ks.size() && !opts.tmpDir.empty();
        bool viaClone = i == 1;
        ++stats.runs;
        RunResult r = runner.runResumed(text, c, ks[i],
                                        viaClone  ? Runner::Via::Clone
                                        : viaFile ? Runner::Via::File
                                                  : Runner::Via::Memory,
                                        opts.tmpDir);
        std::string label = c.label + "@K=" + std::to_string(ks[i]) +
                            (viaFile    ? " (file)"
                             : viaClone ? " (clone)"
                                        : "");
        std::string d = r.ok() ? compareRuns(full, r, true, true, true) : r.outcomeText();
        if (!d.empty())
          findings.push_back({"resume", label, "vs one run: " + d});
      }
    }
  }

  if (want("jit") && opts.jit) {
    RunResult interp = run(cfg("-O2", 2, "", false));
    RunResult jit = run(cfg("-O2 jit", 2, "", true));
    if (interp.ok() && jit.ok()) {
      std::string d = compareRuns(interp, jit, true, true, true);
      if (!d.empty())
        findings.push_back({"jit", "-O2", "JIT vs interpreted: " + d});
      // A checkpoint of a JIT run resumed with compiled kernels.
      if (d.empty() && jit.steps >= 2 && !opts.tmpDir.empty()) {
        ++stats.runs;
        int64_t k = jit.steps / 2;
        RunResult r =
            runner.runResumed(text, cfg("-O2 jit", 2, "", true), k, Runner::Via::File, opts.tmpDir);
        std::string e = r.ok() ? compareRuns(jit, r, true, true, true) : r.outcomeText();
        if (!e.empty())
          findings.push_back(
              {"jit", "-O2@K=" + std::to_string(k) + " (file)", "resumed vs one run: " + e});
      }
    }
  }
  return findings;
}

} // namespace kiln::difftest
