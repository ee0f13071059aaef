// inline-kernels: replace calls of kernels by their bodies.
//
// Rewrites: `%r = call @k(%args...)` where @k is a func of the module with
//   attribute `kernel = true` and a body, into a copy of @k's body with the
//   parameters replaced by the arguments and %r by the returned values. The
//   body's state accesses are already state_load/state_store on the
//   component handle (a parameter, or a component_ref inside a per-instance
//   built-in kernel), so after the copy they act on the caller's component.
//   Every copied op gets attribute `origin = "<callee>"` (or keeps the origin
//   of the call when the call itself was inlined from an outer kernel), so
//   `fuse` can say which notation elements a group came from. A call that
//   is a program step (in a func that is not a kernel, not itself copied
//   from a kernel) leaves `step {origin = "<callee>"}` before the copied
//   body, so the program keeps its steps (docs/vm.md): a WEAVE turn still
//   ends before the body, not inside it, and --steps counts the same. Kernel
//   funcs left without any reference are deleted.
// Needs: nothing.
// Keeps: the order of every op (the body runs where the call ran). Calls to
//   recursive kernels, and calls with keyword arguments the func cannot bind,
//   stay calls.
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/Builder.h"
#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::OpKind;
using ir::Operation;

bool isKernelFunc(const Operation &func) {
  return func.is(OpKind::Func) && func.boolAttr("kernel") && !ir::isFuncDeclaration(func);
}

class InlineKernelsPass final : public Pass {
public:
  std::string_view name() const override { return "inline-kernels"; }
  std::string_view summary() const override {
    return "replace calls of kernel functions by their tensor-op bodies";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    std::set<std::string> recursive = recursiveKernels(module);
    int64_t inlined = 0;
    // Inlining may expose calls (a kernel calling a kernel): repeat until
    // none is left. Each round strictly reduces the non-recursive call depth.
    for (bool again = true; again;) {
      again = false;
      std::vector<Operation *> calls;
      for (Operation *func : module.funcs())
        func->walk([&](Operation &op) {
          if (op.is(OpKind::Call))
            calls.push_back(&op);
        });
      for (Operation *call : calls) {
        Operation *callee = module.lookupFunc(calleeName(*call));
        if (!callee || !isKernelFunc(*callee) || recursive.count(std::string(calleeName(*call))) ||
            !canBind(*call, *callee))
          continue;
        inlineCall(*call, *callee);
        ++inlined;
        again = true;
      }
    }
    int64_t removed = removeUnreferencedKernels(module);
    ctx.stats->add("call inlined", "calls inlined", inlined);
    ctx.stats->add("kernel removed", "kernels removed", removed);
    return inlined + removed ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  // Calls pass their arguments positionally; a call with keyword arguments
  // (attributes besides callee/origin) or a count mismatch is left alone.
  static bool canBind(const Operation &call, const Operation &func) {
    for (const ir::NamedAttribute &a : call.attrs())
      if (a.name != "callee" && a.name != "origin")
        return false;
    const ir::Region &body = func.region(0);
    const Operation *ret = body.terminator();
    return call.numOperands() == body.numArguments() && ret && ret->is(OpKind::Return) &&
           ret->numOperands() == call.numResults();
  }

  static void inlineCall(Operation &call, Operation &func) {
    std::string origin(call.stringAttr("origin"));
    bool programStep = origin.empty() && !inKernel(call);
    if (origin.empty())
      origin = std::string(calleeName(call));
    ir::Region &body = func.region(0);
    ir::Region &into = *call.parentRegion();
    if (programStep) {
      ir::Builder b;
      b.setInsertionPointBefore(&call);
      b.setLoc(call.loc());
      b.create(OpKind::Step, {}, {}, {{"origin", ir::Attribute::string(origin)}});
    }
    ir::IRMapping mapping;
    for (unsigned i = 0; i < body.numArguments(); ++i)
      mapping.map(body.argument(i), call.operand(i));
    for (auto &op : body.ops()) {
      if (op->is(OpKind::Return)) {
        for (unsigned i = 0; i < call.numResults(); ++i)
          ir::replaceAllUsesWith(call.result(i), mapping.lookup(op->operand(i)),
                                 *into.parentOp());
        continue;
      }
      std::unique_ptr<Operation> copy = op->clone(mapping);
      copy->walk([&](Operation &o) { o.setAttr("origin", ir::Attribute::string(origin)); });
      into.insertBefore(&call, std::move(copy));
    }
    into.erase(&call);
  }

  static bool inKernel(const Operation &op) {
    for (const Operation *p = op.parentOp(); p; p = p->parentOp())
      if (p->is(OpKind::Func))
        return p->boolAttr("kernel");
    return false;
  }

  // Kernels that can reach themselves through calls.
  static std::set<std::string> recursiveKernels(ir::Module &module) {
    std::unordered_map<std::string, std::vector<std::string>> edges;
    for (Operation *func : module.funcs()) {
      auto &out = edges[std::string(func->symbolAttr("sym_name"))];
      func->walkNested([&](Operation &op) {
        if (op.is(OpKind::Call))
          out.emplace_back(calleeName(op));
      });
    }
    std::set<std::string> recursive;
    for (auto &[start, _] : edges) {
      std::set<std::string> seen;
      std::vector<std::string> stack(edges[start]);
      while (!stack.empty()) {
        std::string f = stack.back();
        stack.pop_back();
        if (f == start) {
          recursive.insert(start);
          break;
        }
        if (!seen.insert(f).second)
          continue;
        if (auto it = edges.find(f); it != edges.end())
          stack.insert(stack.end(), it->second.begin(), it->second.end());
      }
    }
    return recursive;
  }

  // Symbol names referenced by any attribute of any op outside their own func.
  static void collectSymbolRefs(const ir::Attribute &a, std::set<std::string> &out) {
    if (a.isSymbol())
      out.insert(a.getSymbol().name);
    else if (a.isArray())
      for (const ir::Attribute &e : a.getArray())
        collectSymbolRefs(e, out);
  }

  static int64_t removeUnreferencedKernels(ir::Module &module) {
    std::set<std::string> refs;
    for (Operation *func : module.funcs())
      func->walkNested([&](Operation &op) {
        for (const ir::NamedAttribute &a : op.attrs())
          collectSymbolRefs(a.value, refs);
      });
    int64_t removed = 0;
    for (Operation *func : module.funcs())
      if (isKernelFunc(*func) && !refs.count(std::string(func->symbolAttr("sym_name")))) {
        module.body().erase(func);
        ++removed;
      }
    return removed;
  }
};

} // namespace

std::unique_ptr<Pass> createInlineKernelsPass() { return std::make_unique<InlineKernelsPass>(); }

} // namespace kiln::passes
