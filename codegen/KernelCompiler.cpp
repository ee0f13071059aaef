#include "codegen/KernelCompiler.h"

#include <chrono>

#include "codegen/CodegenHash.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::codegen {

llvm::Expected<std::unique_ptr<KernelCompiler>> KernelCompiler::create(const Options &opts) {
  auto jit = JitEngine::create(opts.cpu);
  if (!jit)
    return jit.takeError();
  std::unique_ptr<KernelCompiler> c(new KernelCompiler());
  c->jit_ = std::move(*jit);
  if (opts.diskCache) {
    std::string dir = opts.cacheDir.empty() ? ObjectCache::defaultDir() : opts.cacheDir;
    if (!dir.empty())
      c->disk_ = std::make_unique<ObjectCache>(dir);
  }
  return c;
}

std::string KernelCompiler::keyText(const KernelPlan &plan) const {
  const TargetInfo &t = target();
  return "kiln " KILN_VERSION " abi " + std::to_string(kKernelAbiVersion) +
         " codegen " KILN_CODEGEN_HASH " llvm " LLVM_VERSION_STRING "\ntarget " + t.triple +
         " " + t.cpu + " " + t.features + " " + std::to_string(t.vectorBits) + "\n" + plan.key;
}

std::string KernelCompiler::symbolFor(const std::string &keyText) {
  auto h = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(keyText.data()), keyText.size()));
  static const char *digits = "0123456789abcdef";
  std::string s = "kiln_k_";
  for (size_t i = 0; i < 8; ++i) {
    s += digits[h[i] >> 4];
    s += digits[h[i] & 15];
  }
  return s;
}

std::unique_ptr<llvm::Module> buildKernelModule(const KernelPlan &plan, const TargetInfo &target,
                                                const llvm::DataLayout &layout,
                                                const std::string &symbol,
                                                llvm::LLVMContext &ctx) {
  auto m = std::make_unique<llvm::Module>(symbol, ctx);
  m->setTargetTriple(target.triple);
  m->setDataLayout(layout);
  emitKernel(plan, target, symbol, *m);
  return m;
}

llvm::Expected<KilnKernelFn> KernelCompiler::getOrCompile(const KernelPlan &plan,
                                                          Source &source, Phases *phases) {
  Phases local;
  Phases &ph = phases ? *phases : local;
  ph = Phases();
  // Each phase's wall time, added to its field when it ends.
  auto mark = std::chrono::steady_clock::now();
  auto lap = [&mark](double &field) {
    auto now = std::chrono::steady_clock::now();
    field += std::chrono::duration<double, std::milli>(now - mark).count();
    mark = now;
  };
  std::string key = keyText(plan);
  if (auto it = memory_.find(key); it != memory_.end()) {
    source = Source::MemoryCache;
    return it->second;
  }
  std::string symbol = symbolFor(key);
  auto finish = [&](std::unique_ptr<llvm::MemoryBuffer> object) -> llvm::Expected<KilnKernelFn> {
    if (auto err = jit_->addObject(std::move(object)))
      return err;
    auto addr = jit_->lookup(symbol);
    if (!addr)
      return addr.takeError();
    auto fn = reinterpret_cast<KilnKernelFn>(*addr);
    memory_.emplace(key, fn);
    lap(ph.load);
    return fn;
  };
  if (disk_) {
    auto object = disk_->load(key);
    lap(ph.diskLookup);
    if (object) {
      source = Source::DiskCache;
      return finish(std::move(object));
    }
  }
  llvm::LLVMContext ctx;
  auto module = buildKernelModule(plan, target(), jit_->dataLayout(), symbol, ctx);
  std::string verifyErrors;
  llvm::raw_string_ostream os(verifyErrors);
  if (llvm::verifyModule(*module, &os))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "kiln bug: invalid LLVM IR for a kernel: " + os.str());
  lap(ph.build);
  optimizeModule(*module, jit_->targetMachine());
  lap(ph.optimize);
  auto object = emitObject(*module, jit_->targetMachine());
  if (!object)
    return object.takeError();
  lap(ph.codegen);
  if (disk_) {
    disk_->store(key, (*object)->getBuffer());
    lap(ph.diskStore);
  }
  source = Source::Compiled;
  return finish(std::move(*object));
}

} // namespace kiln::codegen
