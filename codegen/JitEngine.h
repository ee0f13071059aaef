// JitEngine: kiln's handle on LLVM's ORC LLJIT, set up for the host CPU.
//
// The fused-kernel code generator (next) emits one LLVM function per fused
// group into an llvm::Module and hands it here; the VM then calls the
// function pointer. Library code reports failures as llvm::Error; only tools
// turn them into messages and exit codes.
#pragma once

#include <memory>
#include <string>

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"
#include "llvm/Support/Error.h"

namespace kiln::codegen {

class JitEngine {
public:
  /// Creates a JIT for the host (JITTargetMachineBuilder::detectHost), with
  /// the native target initialized.
  static llvm::Expected<std::unique_ptr<JitEngine>> create();

  /// Adds a module; its functions become callable after lookup().
  llvm::Error addModule(llvm::orc::ThreadSafeModule module);
  /// The address of a compiled function.
  llvm::Expected<void *> lookup(const std::string &name);

  /// The host CPU name and feature string the JIT compiles for.
  const std::string &cpuName() const { return cpu_; }
  const std::string &cpuFeatures() const { return features_; }
  /// The data layout modules added here must use.
  const llvm::DataLayout &dataLayout() const { return jit_->getDataLayout(); }
  const llvm::Triple &targetTriple() const { return jit_->getTargetTriple(); }

private:
  JitEngine() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::string cpu_;
  std::string features_;
};

/// "LLVM 19.1.7, host x86_64-pc-linux-gnu skylake-avx512" — for --version.
std::string describeJitHost();

} // namespace kiln::codegen
