#include "codegen/JitEngine.h"

#include <mutex>

#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

namespace kiln::codegen {

static void initNativeTarget() {
  // LLVM's target registry is process-wide; initialize it exactly once.
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

llvm::Expected<std::unique_ptr<JitEngine>> JitEngine::create() {
  initNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  std::unique_ptr<JitEngine> engine(new JitEngine());
  engine->cpu_ = jtmb->getCPU();
  engine->features_ = jtmb->getFeatures().getString();
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!jit)
    return jit.takeError();
  engine->jit_ = std::move(*jit);
  return engine;
}

llvm::Error JitEngine::addModule(llvm::orc::ThreadSafeModule module) {
  return jit_->addIRModule(std::move(module));
}

llvm::Expected<void *> JitEngine::lookup(const std::string &name) {
  auto addr = jit_->lookup(name);
  if (!addr)
    return addr.takeError();
  return addr->toPtr<void *>();
}

std::string describeJitHost() {
  return std::string("LLVM ") + LLVM_VERSION_STRING + ", host " +
         llvm::sys::getProcessTriple() + " " + llvm::sys::getHostCPUName().str();
}

} // namespace kiln::codegen
