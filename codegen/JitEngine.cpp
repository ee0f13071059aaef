#include "codegen/JitEngine.h"

#include <mutex>

#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"
#include "runtime/Kernels.h"
#include "runtime/Parallel.h"

namespace kiln::codegen {

void initNativeTarget() {
  // LLVM's target registry is process-wide; initialize it exactly once.
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

namespace {

/// The runtime functions generated kernels call, by name.
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::LLJIT &jit) {
  llvm::orc::SymbolMap syms;
  auto add = [&](const char *name, auto *fn) {
    syms[jit.mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                       llvm::JITSymbolFlags::Exported |
                                           llvm::JITSymbolFlags::Callable};
  };
  add("kiln_rt_parallel_for", &kiln_rt_parallel_for);
  add("kiln_rt_sgemm", &kiln_rt_sgemm);
  add("kiln_rt_dgemm", &kiln_rt_dgemm);
  add("kiln_rt_random_normal_f32", &kiln_rt_random_normal_f32);
  return syms;
}

/// An error unless this machine can run code for `cpu`: no ISA feature
/// LLVM gives that CPU is one the host's CPUID says it lacks (else its
/// kernels would die of an illegal instruction). x86 only.
llvm::Error checkHostRuns(const std::string &cpu, const llvm::Triple &triple) {
  if (!triple.isX86())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "a JIT for another CPU is only for x86 hosts");
  if (llvm::X86::parseArchX86(cpu) == llvm::X86::CK_None)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown cpu '" + cpu + "' for " + triple.str());
  llvm::SmallVector<llvm::StringRef, 64> wanted;
  llvm::X86::getFeaturesForCPU(cpu, wanted);
  const auto host = llvm::sys::getHostCPUFeatures();
  std::string missing;
  for (llvm::StringRef f : wanted) {
    auto it = host.find(f); // features CPUID does not report (x87) are not listed
    if (it != host.end() && !it->second)
      missing += (missing.empty() ? "" : ", ") + f.str();
  }
  if (!missing.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "this machine cannot run code for cpu '" + cpu +
                                       "': it lacks " + missing);
  return llvm::Error::success();
}

/// The vector width kiln emits for a subtarget (as vectorBitsFor does for
/// a host feature string).
unsigned vectorBitsOf(const llvm::MCSubtargetInfo &sti) {
  return sti.checkFeatures("+avx512f") ? 512 : sti.checkFeatures("+avx") ? 256 : 128;
}

} // namespace

llvm::Expected<std::unique_ptr<JitEngine>> JitEngine::create(const std::string &cpu) {
  initNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  std::unique_ptr<JitEngine> engine(new JitEngine());
  if (!cpu.empty()) {
    if (auto err = checkHostRuns(cpu, jtmb->getTargetTriple()))
      return err;
    jtmb->setCPU(cpu);
    jtmb->getFeatures() = llvm::SubtargetFeatures(); // implied by the cpu
  }
  engine->target_.cpu = jtmb->getCPU();
  engine->target_.features = jtmb->getFeatures().getString();
  engine->target_.triple = jtmb->getTargetTriple().str();
  engine->target_.vectorBits = vectorBitsFor(engine->target_.features);
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = jtmb->createTargetMachine();
  if (!tm)
    return tm.takeError();
  if (!cpu.empty()) // checkHostRuns knew the name
    engine->target_.vectorBits = vectorBitsOf(*(*tm)->getMCSubtargetInfo());
  engine->tm_ = std::move(*tm);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!jit)
    return jit.takeError();
  engine->jit_ = std::move(*jit);
  llvm::orc::JITDylib &jd = engine->jit_->getMainJITDylib();
  if (auto err = jd.define(llvm::orc::absoluteSymbols(runtimeSymbols(*engine->jit_))))
    return err;
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      engine->jit_->getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  jd.addGenerator(std::move(*process));
  return engine;
}

llvm::Error JitEngine::addModule(llvm::orc::ThreadSafeModule module) {
  return jit_->addIRModule(std::move(module));
}

llvm::Error JitEngine::addObject(std::unique_ptr<llvm::MemoryBuffer> object) {
  return jit_->addObjectFile(std::move(object));
}

llvm::Expected<void *> JitEngine::lookup(const std::string &name) {
  auto addr = jit_->lookup(name);
  if (!addr)
    return addr.takeError();
  return addr->toPtr<void *>();
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createHostTargetMachine(TargetInfo &info) {
  initNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  info.cpu = jtmb->getCPU();
  info.features = jtmb->getFeatures().getString();
  info.triple = jtmb->getTargetTriple().str();
  info.vectorBits = vectorBitsFor(info.features);
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return jtmb->createTargetMachine();
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachineFor(const std::string &cpu,
                                                                        TargetInfo &info) {
  initNativeTarget();
  std::string triple = llvm::sys::getProcessTriple();
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), err);
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, "", llvm::TargetOptions(), std::nullopt, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot create a target machine for cpu '" + cpu + "'");
  const llvm::MCSubtargetInfo *sti = tm->getMCSubtargetInfo();
  if (!sti->isCPUStringValid(cpu))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown cpu '" + cpu + "' for " + triple);
  info.triple = triple;
  info.cpu = cpu;
  info.features.clear(); // implied by the cpu
  info.vectorBits = vectorBitsOf(*sti);
  return tm;
}

void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(module, mam);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> emitObject(llvm::Module &module,
                                                               llvm::TargetMachine &tm) {
  llvm::SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the target cannot emit object files");
  pm.run(module);
  return std::make_unique<llvm::SmallVectorMemoryBuffer>(std::move(bytes), module.getName(),
                                                         /*RequiresNullTerminator=*/false);
}

std::string describeJitHost() {
  return std::string("LLVM ") + LLVM_VERSION_STRING + ", host " +
         llvm::sys::getProcessTriple() + " " + llvm::sys::getHostCPUName().str();
}

} // namespace kiln::codegen
