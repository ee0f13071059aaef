// JitEngine: kiln's handle on LLVM's ORC LLJIT, set up for the host CPU.
//
// The kernel compiler (codegen/KernelCompiler.h) optimizes each fused
// kernel's module with targetMachine(), emits an object file and hands it
// here; the VM's executor then calls the function pointer. The runtime entry
// points generated code calls (kiln_rt_*: GEMM, parallel loops) are defined
// as absolute symbols, and the process's own symbols (libc's memset/memcpy,
// which LLVM may emit) are resolved from the process. Library code reports
// failures as llvm::Error; only tools turn them into messages and exit codes.
#pragma once

#include <memory>
#include <string>

#include "codegen/KernelEmitter.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"

namespace kiln::codegen {

class JitEngine {
public:
  /// Creates a JIT for the host (JITTargetMachineBuilder::detectHost), with
  /// the native target initialized; for `cpu` instead when it is not empty
  /// (e.g. "x86-64", "haswell": the code a narrower machine gets, run on
  /// this one, so the tests compare every vector width with the
  /// interpreter). The host must be able to run that CPU's code; an unknown
  /// name is an error.
  static llvm::Expected<std::unique_ptr<JitEngine>> create(const std::string &cpu = "");

  /// Adds a module; its functions become callable after lookup().
  llvm::Error addModule(llvm::orc::ThreadSafeModule module);
  /// Adds a relocatable object file (as emitted by emitObject()).
  llvm::Error addObject(std::unique_ptr<llvm::MemoryBuffer> object);
  /// The address of a compiled function.
  llvm::Expected<void *> lookup(const std::string &name);

  /// The host CPU name and feature string the JIT compiles for.
  const std::string &cpuName() const { return target_.cpu; }
  const std::string &cpuFeatures() const { return target_.features; }
  const TargetInfo &target() const { return target_; }
  /// The data layout modules added here must use.
  const llvm::DataLayout &dataLayout() const { return jit_->getDataLayout(); }
  const llvm::Triple &targetTriple() const { return jit_->getTargetTriple(); }
  /// The host's target machine (O3 code generation), for optimizing modules
  /// and emitting objects before they are added.
  llvm::TargetMachine &targetMachine() const { return *tm_; }

private:
  JitEngine() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::unique_ptr<llvm::TargetMachine> tm_;
  TargetInfo target_;
};

/// Initializes LLVM's native target (once per process).
void initNativeTarget();

/// The host's target machine (what JitEngine compiles for) and its TargetInfo.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createHostTargetMachine(TargetInfo &info);

/// A target machine for `cpu` on the host's triple (e.g. "skylake-avx512" to
/// look at the code another machine would get), and its TargetInfo.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachineFor(const std::string &cpu,
                                                                        TargetInfo &info);

/// Runs LLVM's O3 pipeline, tuned for `tm`, over `module`.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm);
/// Emits `module` as a relocatable object file for `tm`.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> emitObject(llvm::Module &module,
                                                               llvm::TargetMachine &tm);

/// "LLVM 19.1.7, host x86_64-pc-linux-gnu skylake-avx512" — for --version.
std::string describeJitHost();

} // namespace kiln::codegen
