// kiln_difftest: the differential program tester's driver (docs/difftest.md).
//
//   kiln_difftest --seed S --count N [--oracle NAME] [--minimize] [--out DIR]
//                 [--verbose] [--no-weave] [--weave-strict|--weave-lenient] [--no-jit]
//                 [--pairs N] [--jit-every N] [--fuel N] [--max-steps N] [--print]
//                 [--self-check HOOK] [--mixed-shapes]
//                 [--replay FILE...]
//
// Program i of a run is generateProgram(S + i): `--seed S+i --count 1`
// reproduces it alone. Exit 0 when nothing was found, 1 with findings, 2 on a
// usage error.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "Generator.h"
#include "Oracles.h"
#include "Shrinker.h"

namespace {

using namespace kiln::difftest;

struct Options {
  uint64_t seed = 1;
  int64_t count = 100;
  std::string oracle;
  bool print = false;       // print the programs instead of checking them
  bool mixedShapes = false; // GeneratorOptions::mixedShapes
  // Inject this hook into every compared configuration and require a
  // finding for nine in ten programs (the oracles must see a difference).
  std::string selfCheck;
  int fuel = GeneratorOptions().fuel; // about the number of elements of a program
  int64_t jitEvery = 1; // the jit oracle on every n-th program (it compiles with LLVM: slow)
  bool minimize = false, verbose = false, weave = true, jit = true;
  bool weaveStrict = kWeaveStrictByDefault;
  unsigned pairs = 3;
  int64_t maxSteps = int64_t(1) << 22;
  std::string out;
  std::vector<std::string> replay;
};

int usage(const std::string &msg) {
  std::cerr << "kiln_difftest: error: " << msg << "\n"
            << "usage: kiln_difftest [--seed S] [--count N] [--oracle NAME] [--minimize] "
               "[--out DIR] [--verbose] [--no-weave] [--weave-strict|--weave-lenient] [--no-jit] "
               "[--pairs N] "
               "[--jit-every N] [--fuel N] [--max-steps N] [--print] [--self-check HOOK] "
               "[--mixed-shapes] [--replay FILE...]\n";
  return 2;
}

// A crash kills the process: say which program it was (async-signal-safe).
char gCrashNote[512];
void onCrash(int sig) {
  ssize_t unused = ::write(2, gCrashNote, std::strlen(gCrashNote));
  (void)unused;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void setCrashNote(const std::string &what, const std::string &path) {
  std::snprintf(gCrashNote, sizeof gCrashNote, "\nkiln_difftest: crashed on %s%s%s\n", what.c_str(),
                path.empty() ? "" : "; the program is in ", path.c_str());
}

bool writeFile(const std::string &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return bool(f);
}

std::string describe(const Finding &f) {
  return f.oracle + " [" + f.config + "]: " + f.detail;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  bool countGiven = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&](std::string &v) {
      if (i + 1 >= args.size())
        return false;
      v = args[++i];
      return true;
    };
    auto number = [&](int64_t &n) {
      std::string v;
      if (!value(v))
        return false;
      char *end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x < 0)
        return false;
      n = x;
      return true;
    };
    // Switches: the option sets its flag.
    const struct {
      const char *name;
      bool *flag;
      bool value;
    } switches[] = {{"--minimize", &o.minimize, true},
                    {"--print", &o.print, true},
                    {"--verbose", &o.verbose, true},
                    {"--no-weave", &o.weave, false},
                    {"--weave-strict", &o.weaveStrict, true},
                    {"--weave-lenient", &o.weaveStrict, false},
                    {"--no-jit", &o.jit, false},
                    {"--mixed-shapes", &o.mixedShapes, true}};
    bool isSwitch = false;
    for (const auto &sw : switches)
      if (a == sw.name) {
        *sw.flag = sw.value;
        isSwitch = true;
      }
    if (isSwitch)
      continue;
    int64_t n = 0;
    if (a == "--seed") {
      if (!number(n))
        return usage("--seed needs a number");
      o.seed = uint64_t(n);
    } else if (a == "--count") {
      if (!number(o.count))
        return usage("--count needs a number");
      countGiven = true;
    } else if (a == "--pairs") {
      if (!number(n))
        return usage("--pairs needs a number");
      o.pairs = unsigned(n);
    } else if (a == "--max-steps") {
      if (!number(o.maxSteps) || o.maxSteps == 0)
        return usage("--max-steps needs a positive number");
    } else if (a == "--oracle") {
      if (!value(o.oracle))
        return usage("--oracle needs a name");
      bool known = false;
      for (const std::string &name : oracleNames())
        known |= name == o.oracle;
      if (!known) {
        std::string names;
        for (const std::string &name : oracleNames())
          names += (names.empty() ? "" : ", ") + name;
        return usage("unknown oracle '" + o.oracle + "' (known: " + names + ")");
      }
    } else if (a == "--out") {
      if (!value(o.out))
        return usage("--out needs a folder");
    } else if (a == "--fuel") {
      if (!number(n) || n == 0)
        return usage("--fuel needs a positive number");
      o.fuel = int(n);
    } else if (a == "--self-check") {
      if (!value(o.selfCheck))
        return usage("--self-check needs a hook, e.g. 'after FILT(*): CALL(print)'");
    } else if (a == "--jit-every") {
      if (!number(o.jitEvery) || o.jitEvery == 0)
        return usage("--jit-every needs a positive number");
    } else if (a == "--replay") {
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
        o.replay.push_back(args[++i]);
      if (o.replay.empty())
        return usage("--replay needs files");
    } else {
      return usage("unknown argument '" + a + "'");
    }
  }
  if (!o.replay.empty() && !countGiven)
    o.count = 0; // --replay alone checks just the files
  std::error_code ec;
  if (!o.out.empty() && !std::filesystem::is_directory(o.out) &&
      !std::filesystem::create_directory(o.out, ec))
    return usage("cannot create folder " + o.out + (ec ? ": " + ec.message() : ""));
  std::string tmpDir = o.out.empty() ? std::filesystem::temp_directory_path(ec).string() : o.out;
  if (ec)
    tmpDir.clear();
  // One file per process, so parallel runs do not share it.
  if (!tmpDir.empty()) {
    tmpDir += "/kiln-difftest-" + std::to_string(::getpid());
    if (!std::filesystem::create_directory(tmpDir, ec))
      tmpDir.clear();
  }
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
    std::signal(sig, onCrash);

  RunLimits limits;
  limits.maxSteps = o.maxSteps;
  Runner runner(limits);
  OracleOptions oo;
  oo.only = o.oracle;
  oo.weaveStrict = o.weaveStrict;
  oo.passPairs = o.pairs;
  oo.jit = o.jit;
  oo.tmpDir = tmpDir;
  oo.injectHook = o.selfCheck;
  int64_t missed = 0; // --self-check: programs without a finding
  GeneratorOptions go;
  go.weave = o.weave;
  go.fuel = o.fuel;
  go.mixedShapes = o.mixedShapes;

  CheckStats stats;
  int64_t programs = 0, weavePrograms = 0, findings = 0;
  auto start = std::chrono::steady_clock::now();
  auto report = [&](const std::string &what, const std::vector<Finding> &fs) {
    for (const Finding &f : fs)
      std::cout << "finding: " << what << ": " << describe(f) << "\n";
    findings += int64_t(fs.size());
  };

  for (const std::string &path : o.replay) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) {
      std::cerr << "kiln_difftest: error: cannot read " << path << "\n";
      return 2;
    }
    std::string text = ss.str();
    setCrashNote(path, "");
    bool weave = text.find("WEAVE(") != std::string::npos;
    oo.seed = 0;
    ++programs;
    weavePrograms += weave;
    std::vector<Finding> fs = checkProgram(runner, text, weave, oo, stats);
    if (o.verbose)
      std::cout << path << ": " << (fs.empty() ? "ok" : "FAILED") << "\n";
    report(path, fs);
  }

  for (int64_t i = 0; i < o.count; ++i) {
    uint64_t seed = o.seed + uint64_t(i);
    Program prog = generateProgram(seed, go);
    std::string text = prog.print();
    if (o.print) {
      std::cout << "# seed " << seed << "\n" << text << "\n";
      continue;
    }
    bool weave = prog.usesWeave();
    std::string current;
    if (!o.out.empty()) {
      current = o.out + "/current.kiln";
      writeFile(current, text);
    }
    setCrashNote("seed " + std::to_string(seed), current);
    oo.seed = seed;
    oo.jit = o.jit && i % o.jitEvery == 0;
    ++programs;
    weavePrograms += weave;
    std::vector<Finding> fs = checkProgram(runner, text, weave, oo, stats);
    if (!o.selfCheck.empty()) {
      if (fs.empty()) {
        std::cout << "self-check: seed " << seed << ": the injected hook went unnoticed\n";
        ++missed;
      }
      continue;
    }
    if (o.verbose)
      std::cout << "seed " << seed << ": " << prog.size() << " elements" << (weave ? ", weave" : "")
                << ", " << (fs.empty() ? "ok" : "FAILED") << "\n";
    if (fs.empty())
      continue;
    // Several findings of one program usually share a cause: one line each,
    // and the first one (in oracle order) is minimized.
    std::string stem;
    if (!o.out.empty()) {
      stem = o.out + "/seed-" + std::to_string(seed);
      writeFile(stem + ".kiln", text);
    }
    for (size_t k = 0; k < fs.size(); ++k) {
      const Finding &f = fs[k];
      std::string line = "seed " + std::to_string(seed) + ": " + describe(f);
      if (!stem.empty())
        line += "; program " + stem + ".kiln";
      if (!stem.empty() && o.minimize && k == 0) {
        ShrinkStats ss;
        OracleOptions one = oo;
        // A run that did not end belongs to whichever oracle made that
        // configuration: all oracles, restricted to the configuration.
        bool anyOracle = f.oracle == "valid" || f.oracle == "run";
        one.only = anyOracle ? "" : f.oracle;
        one.onlyConfig = anyOracle || f.oracle == "opt" || f.oracle == "resume" ? f.config : "";
        std::string key = f.key();
        Program small = shrink(
            prog,
            [&](const Program &p) {
              CheckStats ignored;
              for (const Finding &g : checkProgram(runner, p.print(), p.usesWeave(), one, ignored))
                if (g.key() == key)
                  return true;
              return false;
            },
            2000, ss);
        writeFile(stem + ".min.kiln", small.print());
        line += ", minimized (" + std::to_string(small.size()) + " elements, " +
                std::to_string(ss.tries) + " tries) " + stem + ".min.kiln";
      }
      std::cout << "finding: " << line << std::endl; // long runs: seen at once
      ++findings;
    }
  }
  if (!tmpDir.empty())
    std::filesystem::remove_all(tmpDir, ec);
  if (!o.out.empty())
    std::filesystem::remove(o.out + "/current.kiln", ec);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.selfCheck.empty())
    std::cout << "kiln_difftest: " << programs << " programs (" << weavePrograms << " with WEAVE), "
              << stats.runs << " runs, " << findings << " finding" << (findings == 1 ? "" : "s")
              << ", " << stats.weaveExpected << " WEAVE differences tolerated (--weave-lenient)"
              << ", " << secs << " s (" << (secs > 0 ? double(programs) / secs : 0.0)
              << " programs/s)\n";
  if (!o.selfCheck.empty()) {
    std::cout << "kiln_difftest: self-check: " << programs - missed << " of " << programs
              << " programs with the injected hook were reported\n";
    // A hook may sit only in code that never runs (a WEAVE(0, ...) child):
    // nine in ten programs must be reported.
    return missed * 10 > programs ? 1 : 0;
  }
  return findings ? 1 : 0;
}
