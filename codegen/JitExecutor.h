// JitExecutor: the VM's KernelExecutor backed by compiled kernels.
//
// prepare() plans the fused op (codegen/KernelPlan.h), and gets its kernel
// from the KernelCompiler (memory cache, disk cache, or LLVM); a group the
// plan declines, or a compile failure, stays interpreted and is recorded
// with its reason. run() passes the tensors through KilnKernelArgs, lets the
// kernel allocate its results from the runtime's buffer pool, and hands
// back false (interpret) when the kernel declines.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "codegen/KernelCompiler.h"
#include "runtime/KernelExecutor.h"

namespace kiln::codegen {

class JitExecutor final : public runtime::KernelExecutor {
public:
  static llvm::Expected<std::unique_ptr<JitExecutor>> create(const KernelCompiler::Options &opts);

  int32_t prepare(const ir::Operation &fused) override;
  bool run(int32_t id, std::span<const runtime::Tensor> in, std::vector<runtime::Tensor> &out,
           std::span<uint64_t> rng) override;

  /// What happened to one fused op (one line of `--stats`).
  struct KernelReport {
    std::string name;    // "k3"
    std::string origins; // "layer1.cd1_update" (comma-separated)
    std::string how;     // "compiled", "memory cache", "disk cache", "interpreted"
    std::string reason;  // why interpreted
    double compileMs = 0;
    KernelCompiler::Phases phases; // where compileMs went
    int64_t calls = 0, declined = 0;
  };
  const std::vector<KernelReport> &reports() const { return reports_; }
  /// The `--stats` section: one line per fused op and a summary.
  void printStats(std::ostream &os) const;
  /// Counts for the run summary.
  int64_t numCompiled() const;
  int64_t numCacheHits() const;

  const KernelCompiler &compiler() const { return *compiler_; }

private:
  JitExecutor() = default;
  struct Binding {
    KilnKernelFn fn = nullptr;
    std::vector<ir::Type> resultTypes;
    std::vector<uint64_t> rngKeys; // seed, stream per key
    size_t report = 0;
  };
  std::unique_ptr<KernelCompiler> compiler_;
  std::vector<Binding> bindings_;
  std::vector<KernelReport> reports_;
  std::vector<runtime::Tensor> scratch_;
};

} // namespace kiln::codegen
