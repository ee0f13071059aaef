// kiln as a library: compile a training program and get a VM in one call.
//
//   #include <kiln/api/Session.h>
//
//   kiln::api::Session session;                 // registry of built-ins + JIT
//   std::string errors;
//   auto vm = session.load("train.kiln", {}, errors);   // or .kir; -O2, JIT
//   if (!vm) { std::cerr << errors; return 1; }
//   while (vm->status() == kiln::runtime::VM::Status::Running)
//     vm->run(10000);                            // the VM is an iterator
//   vm->save("train.ckpt", errors);
//
// A Session owns what its VMs refer to (the component registry, compiled
// kernels, the program text for diagnostics), so it must outlive them.
// Register your own native functions and component types in registry()
// before load(). docs/library.md has the install and CMake steps.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/Diagnostics.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"

namespace kiln::codegen {
class JitExecutor;
}

namespace kiln::api {

struct CompileOptions {
  int optLevel = 2;                // -O0/-O1/-O2 (ignored when passes is set)
  std::string passes;              // an explicit pipeline, e.g. "bulk-read,fuse"
  std::vector<std::string> hooks;  // `after PATTERN: ELEMENT`, ... (.kiln only)
  std::string entry = "main";      // the program to run
  bool jit = true;                 // compile fused kernels (false: interpret)
  bool jitCache = true;            // the on-disk kernel cache
};

class Session {
public:
  Session();
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  /// The registry programs are resolved against (built-ins pre-registered).
  runtime::Registry &registry() { return registry_; }

  /// Compiles the program in `path` (.kiln notation, or .kir textual IR) and
  /// returns a VM positioned at its first step; null with `file:line:col:
  /// error: ...` diagnostics in `errors`.
  std::unique_ptr<runtime::VM> load(const std::string &path, const CompileOptions &opts,
                                    std::string &errors);
  /// The same for program text; `name` is used in diagnostics.
  std::unique_ptr<runtime::VM> loadSource(const std::string &text, const std::string &name,
                                          const CompileOptions &opts, std::string &errors);
  /// Loads a checkpoint written by VM::save (with compiled kernels unless
  /// `jit` is false).
  std::unique_ptr<runtime::VM> resume(const std::string &checkpoint, std::string &errors,
                                      bool jit = true);

  /// Renders a VM's run-time error (status() == Error) with its source line.
  std::string describeError(const runtime::VM &vm) const;

private:
  runtime::KernelExecutor *executor(bool jit, bool cache, std::string &errors);
  runtime::Registry registry_;
  ir::SourceManager sources_;
  std::unique_ptr<codegen::JitExecutor> jit_, jitNoCache_;
};

} // namespace kiln::api
