// kiln resume CKPT [--steps N] [--save CKPT2] [--checkpoint-every N]
//                  [--no-progress] [--quiet]
//
// Loads a checkpoint (validated, IR re-verified and re-lowered) and keeps
// stepping it exactly where `kiln run --save` stopped.
#include <iostream>

#include "runtime/Registry.h"
#include "runtime/VM.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"
#include "tools/kiln/RunLoop.h"

namespace kiln::tools {

int cmdResume(const Args &args) {
  RunOptions opts;
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    int r = takeRunOption("resume", args, i, opts);
    if (r < 0)
      return kExitUsage;
    if (r > 0)
      continue;
    const std::string &a = args[i];
    if (!a.empty() && a[0] == '-')
      return usageError("resume", "unknown option '" + a + "'");
    if (!file.empty())
      return usageError("resume", "more than one checkpoint");
    file = a;
  }
  if (file.empty())
    return usageError("resume", "no checkpoint file");
  runtime::Registry registry = runtime::Registry::withBuiltins();
  std::string err;
  auto vm = runtime::VM::load(file, registry, err);
  if (!vm) {
    std::cerr << "kiln resume: error: " << err << "\n";
    return kExitInputError;
  }
  // The program's files as saved (version 2 checkpoints), so a run-time
  // error quotes its source line as `kiln run` would.
  ir::SourceManager sources;
  for (const auto &[name, text] : vm->sourceFiles())
    sources.addBuffer(name, text);
  // The checkpoint's program is code: say which files it reads and writes.
  if (!opts.quiet) {
    for (const auto &[component, path] : dataFilesOf(*vm, registry))
      std::cerr << "kiln resume: @" << component << " reads '" << path << "'\n";
    for (const auto &[callee, path] : writeTargetsOf(*vm))
      std::cerr << "kiln resume: " << callee << " writes '" << path << "'\n";
  }
  std::unique_ptr<codegen::JitExecutor> jit;
  if (int rc = installJit(*vm, opts, jit))
    return rc;
  return driveVM(*vm, opts, sources);
}

} // namespace kiln::tools
