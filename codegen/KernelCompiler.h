// KernelCompiler: a KernelPlan -> a callable kernel, through two caches.
//
//   1. in memory, by the plan's key text: structurally identical groups (the
//      CD-1 update of two RBM layers, the same group in every iteration of a
//      program that is compiled again) share one function;
//   2. on disk (codegen/ObjectCache.h), looked up BEFORE any LLVM IR is built;
//   3. otherwise: emit (KernelEmitter), optimize (O3 for the host), emit an
//      object, store it on disk, load it into the JIT.
// Each kernel's symbol is `kiln_k_` + the first 16 hex digits of its key's
// hash, so an object from the disk cache defines exactly the symbol the
// lookup expects.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "codegen/JitEngine.h"
#include "codegen/KernelAbi.h"
#include "codegen/KernelPlan.h"
#include "codegen/ObjectCache.h"

namespace kiln::codegen {

class KernelCompiler {
public:
  struct Options {
    bool diskCache = true;
    std::string cacheDir; // empty: ObjectCache::defaultDir()
    std::string cpu;      // empty: the host's (JitEngine::create)
  };
  enum class Source { Compiled, MemoryCache, DiskCache };
  /// Where the time of one getOrCompile went, in milliseconds (wall clock):
  /// `--stats` prints it and bench/codegen/CompileBench.cpp reports it.
  struct Phases {
    double diskLookup = 0; // reading and checking a disk-cache entry (hit or miss)
    double build = 0;      // emitting and verifying the LLVM IR
    double optimize = 0;   // LLVM's O3 pipeline
    double codegen = 0;    // instruction selection .. object file
    double diskStore = 0;  // writing the disk-cache entry
    double load = 0;       // linking the object into the JIT, looking up the symbol
  };

  static llvm::Expected<std::unique_ptr<KernelCompiler>> create(const Options &opts);

  /// The kernel of `plan`; `source` says where it came from, `phases` (if
  /// given) where the time went.
  llvm::Expected<KilnKernelFn> getOrCompile(const KernelPlan &plan, Source &source,
                                            Phases *phases = nullptr);

  /// Everything the object of `plan` depends on, as text (its cache key).
  std::string keyText(const KernelPlan &plan) const;
  /// The kernel's symbol for a key text.
  static std::string symbolFor(const std::string &keyText);
  const TargetInfo &target() const { return jit_->target(); }
  const ObjectCache *diskCache() const { return disk_.get(); }

private:
  KernelCompiler() = default;
  std::unique_ptr<JitEngine> jit_;
  std::unique_ptr<ObjectCache> disk_;
  std::map<std::string, KilnKernelFn> memory_;
};

/// Builds the (unoptimized) LLVM module of one kernel for `target`.
std::unique_ptr<llvm::Module> buildKernelModule(const KernelPlan &plan, const TargetInfo &target,
                                                const llvm::DataLayout &layout,
                                                const std::string &symbol, llvm::LLVMContext &ctx);

} // namespace kiln::codegen
