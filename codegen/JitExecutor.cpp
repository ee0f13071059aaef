#include "codegen/JitExecutor.h"

#include <chrono>
#include <iomanip>
#include <new>

namespace kiln::codegen {

llvm::Expected<std::unique_ptr<JitExecutor>> JitExecutor::create(
    const KernelCompiler::Options &opts) {
  auto c = KernelCompiler::create(opts);
  if (!c)
    return c.takeError();
  std::unique_ptr<JitExecutor> ex(new JitExecutor());
  ex->compiler_ = std::move(*c);
  return ex;
}

int32_t JitExecutor::prepare(const ir::Operation &fused) {
  KernelReport rep;
  rep.name = std::string(fused.symbolAttr("name"));
  if (const ir::Attribute *o = fused.attr("origins"); o && o->isArray())
    for (const ir::Attribute &a : o->getArray())
      if (a.isString())
        rep.origins += (rep.origins.empty() ? "" : ",") + a.getString();
  auto interpreted = [&](std::string why) {
    rep.how = "interpreted";
    rep.reason = std::move(why);
    reports_.push_back(std::move(rep));
    return -1;
  };
  std::string why;
  auto plan = planKernel(fused, why);
  if (!plan)
    return interpreted(why);
  auto start = std::chrono::steady_clock::now();
  KernelCompiler::Source source;
  auto fn = compiler_->getOrCompile(*plan, source, &rep.phases);
  if (!fn)
    return interpreted("compile error: " + llvm::toString(fn.takeError()));
  rep.compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  rep.how = source == KernelCompiler::Source::Compiled      ? "compiled"
            : source == KernelCompiler::Source::DiskCache   ? "disk cache"
                                                           : "memory cache";
  Binding b;
  b.fn = *fn;
  for (const ir::Value *r : plan->results)
    b.resultTypes.push_back(r->type());
  for (const runtime::RandomKey &k : runtime::randomStreamsOf(fused)) {
    b.rngKeys.push_back(static_cast<uint64_t>(k.seed));
    b.rngKeys.push_back(static_cast<uint64_t>(k.stream));
  }
  b.report = reports_.size();
  reports_.push_back(std::move(rep));
  bindings_.push_back(std::move(b));
  return static_cast<int32_t>(bindings_.size() - 1);
}

namespace {

struct CallContext {
  const std::vector<ir::Type> *types;
  std::vector<runtime::Tensor> *out;
  std::vector<runtime::Tensor> *scratch;
};

void *allocResult(void *rt, uint32_t k, const int64_t *dims) {
  auto *c = static_cast<CallContext *>(rt);
  const ir::Type &t = (*c->types)[k];
  try {
    runtime::Tensor r = runtime::Tensor::empty(
        t.elem(), std::span<const int64_t>(dims, static_cast<size_t>(t.rank())));
    void *p = r.raw();
    (*c->out)[k] = std::move(r);
    return p;
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}

void *allocScratch(void *rt, uint64_t bytes) {
  auto *c = static_cast<CallContext *>(rt);
  try {
    c->scratch->push_back(
        runtime::Tensor::empty(ir::ElemType::I1, {static_cast<int64_t>(bytes)}));
    return c->scratch->back().raw();
  } catch (const std::bad_alloc &) {
    return nullptr;
  }
}

} // namespace

bool JitExecutor::run(int32_t id, std::span<const runtime::Tensor> in,
                      std::vector<runtime::Tensor> &out, std::span<uint64_t> rng) {
  Binding &b = bindings_[size_t(id)];
  KernelReport &rep = reports_[b.report];
  ++rep.calls;
  // Operand pointers and dims live on the stack for the common sizes.
  constexpr size_t kInline = 16;
  const void *inlineData[kInline];
  const int64_t *inlineDims[kInline];
  void *inlineOut[kInline];
  std::vector<const void *> heapData;
  std::vector<const int64_t *> heapDims;
  std::vector<void *> heapOut;
  const void **data = inlineData;
  const int64_t **dims = inlineDims;
  void **outp = inlineOut;
  if (in.size() > kInline) {
    heapData.resize(in.size());
    heapDims.resize(in.size());
    data = heapData.data();
    dims = heapDims.data();
  }
  if (b.resultTypes.size() > kInline) {
    heapOut.resize(b.resultTypes.size());
    outp = heapOut.data();
  }
  for (size_t k = 0; k < in.size(); ++k) {
    data[k] = in[k].raw();
    dims[k] = in[k].shape().data();
  }
  out.assign(b.resultTypes.size(), runtime::Tensor());
  CallContext ctx{&b.resultTypes, &out, &scratch_};
  KilnKernelArgs args{data, dims, outp, rng.data(), b.rngKeys.data(), &ctx,
                      &allocResult, &allocScratch};
  int32_t rc = b.fn(&args);
  scratch_.clear();
  if (rc == KILN_KERNEL_OK)
    return true;
  out.clear();
  if (rc == KILN_KERNEL_NOMEM)
    throw std::bad_alloc();
  ++rep.declined;
  return false;
}

int64_t JitExecutor::numCompiled() const {
  int64_t n = 0;
  for (const KernelReport &r : reports_)
    n += r.how == "compiled";
  return n;
}

int64_t JitExecutor::numCacheHits() const {
  int64_t n = 0;
  for (const KernelReport &r : reports_)
    n += r.how == "memory cache" || r.how == "disk cache";
  return n;
}

void JitExecutor::printStats(std::ostream &os) const {
  os << "// ----- codegen -----\n";
  double total = 0;
  int64_t interpreted = 0;
  for (const KernelReport &r : reports_) {
    os << "@" << r.name;
    if (!r.origins.empty())
      os << " (" << r.origins << ")";
    os << ": " << r.how;
    if (r.how == "interpreted")
      os << ": " << r.reason;
    else
      os << " in " << std::fixed << std::setprecision(1) << r.compileMs << " ms";
    if (r.how == "compiled") {
      const KernelCompiler::Phases &p = r.phases;
      os << " (IR " << p.build << " + opt " << p.optimize << " + codegen " << p.codegen
         << " + load " << p.load << " + disk " << p.diskLookup + p.diskStore << ")";
    }
    os << "\n";
    total += r.compileMs;
    interpreted += r.how == "interpreted";
  }
  os << "codegen: " << reports_.size() << " fused ops, " << numCompiled() << " compiled, "
     << numCacheHits() << " from caches, " << interpreted << " interpreted, " << std::fixed
     << std::setprecision(1) << total << " ms\n";
  os.unsetf(std::ios::floatfield);
}

} // namespace kiln::codegen
