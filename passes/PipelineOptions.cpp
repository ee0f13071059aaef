// PipelineOptions: parsing the shared pipeline flags and running a pipeline
// with IR printing and statistics.
#include "passes/PipelineOptions.h"

#include <algorithm>

#include "ir/Printer.h"

namespace kiln::passes {

ArgResult PipelineOptions::parseArgument(const std::vector<std::string> &args, size_t &i,
                                         std::string *error) {
  const std::string &a = args[i];
  auto fail = [&](std::string msg) {
    if (error)
      *error = std::move(msg);
    return ArgResult::Error;
  };
  // `--name=value` or `--name value`.
  auto value = [&](std::string_view name, std::string &out) {
    std::string flag = "--" + std::string(name);
    if (a.rfind(flag + "=", 0) == 0) {
      out = a.substr(flag.size() + 1);
      return true;
    }
    if (a == flag && i + 1 < args.size()) {
      out = args[++i];
      return true;
    }
    return false;
  };

  if (a.size() >= 2 && a[0] == '-' && a[1] == 'O') {
    if (a != "-O0" && a != "-O1" && a != "-O2")
      return fail("unknown optimization level '" + a + "' (use -O0, -O1 or -O2)");
    if (passes)
      return fail("use either -O<n> or --passes, not both");
    optLevel = a[2] - '0';
    return ArgResult::Consumed;
  }
  std::string v;
  if (value("passes", v)) {
    if (optLevel)
      return fail("use either -O<n> or --passes, not both");
    std::string err;
    if (!parsePipeline(v, &err))
      return fail(err);
    passes = v;
    return ArgResult::Consumed;
  }
  if (a == "--passes")
    return fail("--passes needs a value, e.g. --passes=cse,dce");
  if (value("print-ir-after", v)) {
    if (!lookupPass(v))
      return fail("--print-ir-after: unknown pass '" + v + "' (known passes: " +
                  knownPassNames() + ")");
    printAfter.push_back(v);
    return ArgResult::Consumed;
  }
  if (a == "--print-ir-after")
    return fail("--print-ir-after needs a pass name, e.g. --print-ir-after=fuse");
  if (a == "--print-ir-after-all") {
    printAfterAll = true;
    return ArgResult::Consumed;
  }
  if (a == "--stats") {
    stats = true;
    return ArgResult::Consumed;
  }
  if (a == "--verify-each") {
    verifyEach = true;
    return ArgResult::Consumed;
  }
  if (a == "--no-verify-each") {
    verifyEach = false;
    return ArgResult::Consumed;
  }
  return ArgResult::NotMine;
}

std::optional<Pipeline> PipelineOptions::pipeline(int defaultLevel, std::string *error) const {
  if (passes)
    return parsePipeline(*passes, error);
  return defaultPipeline(optLevel.value_or(defaultLevel));
}

namespace {

/// "-O2: 1 loop bulk-read, 2 calls inlined, 3 groups fused (17 ops)"; the
/// passes that changed nothing are left out ("-O0: no passes").
std::string summaryLine(const PipelineOptions &options, int defaultLevel, PassManager &pm) {
  std::string head = options.passes ? std::string("--passes")
                                    : "-O" + std::to_string(options.optLevel.value_or(defaultLevel));
  auto count = [&](std::string_view pass, std::string_view counter) -> int64_t {
    for (const auto &[name, s] : pm.statistics())
      if (name == pass)
        return s.get(counter);
    return 0;
  };
  auto plural = [](int64_t n, const char *one, const char *many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::vector<std::string> parts;
  if (int64_t n = count("bulk-read", "loops rewritten"))
    parts.push_back(plural(n, "loop", "loops") + " bulk-read");
  if (int64_t n = count("inline-kernels", "calls inlined"))
    parts.push_back(plural(n, "call", "calls") + " inlined");
  if (int64_t n = count("fuse", "groups"))
    parts.push_back(plural(n, "group", "groups") + " fused (" +
                    plural(count("fuse", "ops fused"), "op", "ops") + ")");
  std::string line = head + ": ";
  if (pm.statistics().empty())
    return line + "no passes";
  if (parts.empty())
    return line + "nothing bulk-read, inlined or fused";
  for (size_t i = 0; i < parts.size(); ++i)
    line += (i ? ", " : "") + parts[i];
  return line;
}

} // namespace

bool runPipeline(ir::Module &module, const PipelineOptions &options, int defaultLevel,
                 const ir::ComponentCatalog *catalog, ir::DiagnosticEngine &diag,
                 std::ostream &log, std::string *summary) {
  std::string error;
  auto pipeline = options.pipeline(defaultLevel, &error);
  if (!pipeline) {
    // parseArgument validated the text already; keep a clear message anyway.
    diag.error({}, error);
    return false;
  }
  RunOptions run;
  run.verifyEach = options.verifyEach;
  if (options.printAfterAll || !options.printAfter.empty())
    run.afterPass = [&](const Pass &pass, const ir::Module &m) {
      bool wanted = options.printAfterAll ||
                    std::find(options.printAfter.begin(), options.printAfter.end(),
                              pass.name()) != options.printAfter.end();
      if (!wanted)
        return;
      log << "// ----- IR after " << pass.name() << " -----\n";
      ir::printModule(m, log);
    };
  PassManager pm(std::move(*pipeline), std::move(run));
  bool ok = pm.run(module, catalog, diag);
  if (summary)
    *summary = summaryLine(options, defaultLevel, pm);
  if (options.stats) {
    log << "// ----- pass statistics -----\n";
    if (pm.statistics().empty())
      log << "(no passes ran)\n";
    log << pm.statisticsText();
  }
  return ok;
}

} // namespace kiln::passes
