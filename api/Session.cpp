#include "api/Session.h"

#include <fstream>
#include <sstream>

#include "codegen/JitExecutor.h"
#include "frontend/Driver.h"
#include "ir/FileRead.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "passes/PipelineOptions.h"

namespace kiln::api {

Session::Session() : registry_(runtime::Registry::withBuiltins()) {}
Session::~Session() = default;

runtime::KernelExecutor *Session::executor(bool jit, bool cache, std::string &errors) {
  if (!jit)
    return nullptr;
  auto &slot = cache ? jit_ : jitNoCache_;
  if (!slot) {
    codegen::KernelCompiler::Options o;
    o.diskCache = cache;
    auto ex = codegen::JitExecutor::create(o);
    if (!ex) {
      errors += "warning: no JIT on this machine (" + llvm::toString(ex.takeError()) +
                "); fused kernels are interpreted\n";
      return nullptr;
    }
    slot = std::move(*ex);
  }
  return slot.get();
}

std::unique_ptr<runtime::VM> Session::load(const std::string &path, const CompileOptions &opts,
                                           std::string &errors) {
  std::string text, why;
  if (!ir::readFile(path, text, why)) {
    errors += path + ": error: " + why + "\n";
    return nullptr;
  }
  return loadSource(text, path, opts, errors);
}

std::unique_ptr<runtime::VM> Session::loadSource(const std::string &text,
                                                 const std::string &name,
                                                 const CompileOptions &opts,
                                                 std::string &errors) {
  ir::DiagnosticEngine diag(&sources_);
  auto report = [&]() -> std::unique_ptr<runtime::VM> {
    std::ostringstream os;
    diag.print(os);
    errors += os.str();
    return nullptr;
  };
  bool isKir = name.size() > 4 && name.compare(name.size() - 4, 4, ".kir") == 0;
  std::unique_ptr<ir::Module> module;
  if (isKir) {
    if (!opts.hooks.empty()) {
      errors += name + ": error: hooks apply to programs (.kiln), not to IR\n";
      return nullptr;
    }
    module = ir::parseModule(text, name, sources_, diag);
  } else {
    module = frontend::compileProgram(text, name, opts.hooks, opts.entry, registry_, sources_,
                                      diag);
  }
  if (!module || !ir::verifyModule(*module, diag))
    return report();
  passes::PipelineOptions pipeline;
  if (!opts.passes.empty())
    pipeline.passes = opts.passes;
  else
    pipeline.optLevel = opts.optLevel;
  std::ostringstream log;
  if (!passes::runPipeline(*module, pipeline, 2, &registry_, diag, log))
    return report();
  auto vm = runtime::VM::create(std::shared_ptr<const ir::Module>(std::move(module)), registry_,
                                diag, opts.entry);
  if (!vm)
    return report();
  if (auto *ex = executor(opts.jit, opts.jitCache, errors))
    vm->setKernelExecutor(ex);
  return vm;
}

std::unique_ptr<runtime::VM> Session::resume(const std::string &checkpoint, std::string &errors,
                                             bool jit) {
  std::string err;
  auto vm = runtime::VM::load(checkpoint, registry_, err);
  if (!vm) {
    errors += checkpoint + ": error: " + err + "\n";
    return nullptr;
  }
  if (auto *ex = executor(jit, true, errors))
    vm->setKernelExecutor(ex);
  return vm;
}

std::string Session::describeError(const runtime::VM &vm) const {
  ir::DiagnosticEngine diag(&sources_);
  diag.error(vm.error().loc, vm.error().message);
  std::ostringstream os;
  diag.print(os);
  return os.str();
}

} // namespace kiln::api
