// cse: common subexpression elimination.
//
// Rewrites: an op identical to an earlier one (same kind, operands,
//   attributes and result types; operands in either order for commutative
//   ops) whose result is visible here is replaced by the earlier result.
//   Applies to pure ops without regions, and to state_load of the same
//   handle and field when no op in between may write state.
// Needs: nothing.
// Keeps: random draws (two draws are two different numbers), calls, writes;
//   the step rule (passes/Effects.h): no state read is reused across a
//   `step` mark, where another WEAVE child may have written it.
//
// 1. Walk each func in program order with a stack of scopes: an op in a
//    nested region sees the pure ops of the regions around it, except across
//    an isolated op (fused), which starts a fresh stack.
// 2. Operands are first rewritten through the replacements made so far (in
//    structured SSA every use comes after its definition in this walk), so
//    chains of duplicates collapse in one pass.
// 3. State loads are only reused within one region and forgotten at any op
//    that may write state (a store, a call, a loop containing either).
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::Operation;
using ir::Region;
using ir::Value;
using Table = std::unordered_map<std::string, Operation *>;

class CSEPass final : public Pass {
public:
  std::string_view name() const override { return "cse"; }
  std::string_view summary() const override {
    return "merge identical pure ops and repeated state reads";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    merged_ = 0;
    replaced_.clear();
    for (Operation *func : module.funcs()) {
      std::vector<Table> scopes;
      for (unsigned r = 0; r < func->numRegions(); ++r)
        visitRegion(func->region(r), scopes);
    }
    ctx.stats->add("op merged", "ops merged", merged_);
    return merged_ ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  static std::string key(const Operation &op) {
    std::vector<const Value *> operands(op.operands().begin(), op.operands().end());
    if (op.has(ir::kCommutative))
      std::sort(operands.begin(), operands.end());
    std::string k(op.name());
    for (const Value *v : operands)
      k += " " + std::to_string(reinterpret_cast<uintptr_t>(v));
    for (const ir::NamedAttribute &a : op.attrs())
      if (a.name != "origin") // where an op came from does not change its value
        k += " " + a.name + "=" + a.value.str();
    for (unsigned i = 0; i < op.numResults(); ++i)
      k += " : " + op.result(i)->type().str();
    return k;
  }

  static bool isCandidate(const Operation &op) {
    return op.has(ir::kPure) && op.numRegions() == 0 && op.numResults() > 0;
  }

  Operation *lookup(const std::vector<Table> &scopes, const std::string &k) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it)
      if (auto f = it->find(k); f != it->end())
        return f->second;
    return nullptr;
  }

  void visitRegion(Region &region, std::vector<Table> &scopes) {
    scopes.emplace_back();
    Table loads; // state loads of this region only, see step 3
    for (auto it = region.ops().begin(); it != region.ops().end();) {
      Operation &op = **it;
      ++it;
      for (unsigned i = 0; i < op.numOperands(); ++i)
        if (auto r = replaced_.find(op.operand(i)); r != replaced_.end())
          op.setOperand(i, r->second);

      if (isCandidate(op) || op.is(ir::OpKind::StateLoad)) {
        Table &table = op.is(ir::OpKind::StateLoad) ? loads : scopes.back();
        std::string k = key(op);
        Operation *prev = op.is(ir::OpKind::StateLoad)
                              ? (loads.count(k) ? loads[k] : nullptr)
                              : lookup(scopes, k);
        if (prev) {
          for (unsigned i = 0; i < op.numResults(); ++i)
            replaced_[op.result(i)] = prev->result(i);
          region.erase(&op);
          ++merged_;
          continue;
        }
        table.emplace(std::move(k), &op);
        continue;
      }

      for (unsigned r = 0; r < op.numRegions(); ++r) {
        if (op.has(ir::kIsolated)) {
          std::vector<Table> fresh;
          visitRegion(op.region(r), fresh);
        } else {
          visitRegion(op.region(r), scopes);
        }
      }
      if (mayWriteState(op))
        loads.clear();
    }
    scopes.pop_back();
  }

  int64_t merged_ = 0;
  std::unordered_map<Value *, Value *> replaced_;
};

} // namespace

std::unique_ptr<Pass> createCSEPass() { return std::make_unique<CSEPass>(); }

} // namespace kiln::passes
