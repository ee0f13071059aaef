// dce: dead code elimination.
//
// Rewrites: deletes ops whose results are all unused and that have no effect
//   (pure tensor math, component_ref, state_load, and control-flow or fused
//   ops whose nested ops are all removable) — see passes/Effects.h.
// Needs: nothing.
// Keeps: every state write, call and random draw, and loop/while/weave ops
//   (their termination is observable), so results are unchanged.
//
// One backward sweep per region handles chains: deleting an op decrements
// the use counts of its operands, which may make their producers dead when
// the sweep reaches them. Nested regions are swept before their parent op is
// considered, so a loop whose body became empty of effects goes too.
#include <unordered_map>
#include <vector>

#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::Operation;
using ir::Region;
using UseCounts = std::unordered_map<const ir::Value *, unsigned>;

class DCEPass final : public Pass {
public:
  std::string_view name() const override { return "dce"; }
  std::string_view summary() const override {
    return "delete ops whose results are unused and that have no effects";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    int64_t removed = 0;
    for (Operation *func : module.funcs()) {
      UseCounts uses = ir::countUses(*func);
      for (unsigned r = 0; r < func->numRegions(); ++r)
        removed += sweep(func->region(r), uses);
    }
    ctx.stats->add("op removed", "ops removed", removed);
    return removed ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  static bool resultsUnused(const Operation &op, const UseCounts &uses) {
    for (unsigned i = 0; i < op.numResults(); ++i) {
      auto it = uses.find(op.result(i));
      if (it != uses.end() && it->second != 0)
        return false;
    }
    return true;
  }

  // Deletes dead ops of `region` (and of its nested regions), back to front.
  static int64_t sweep(Region &region, UseCounts &uses) {
    int64_t removed = 0;
    std::vector<Operation *> ops;
    for (auto &op : region.ops())
      ops.push_back(op.get());
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
      Operation *op = *it;
      for (unsigned r = 0; r < op->numRegions(); ++r)
        removed += sweep(op->region(r), uses);
      if (!resultsUnused(*op, uses) || !isRemovableIfUnused(*op))
        continue;
      op->walk([&](Operation &o) {
        for (ir::Value *v : o.operands())
          --uses[v];
        ++removed;
      });
      region.erase(op);
    }
    return removed;
  }
};

} // namespace

std::unique_ptr<Pass> createDCEPass() { return std::make_unique<DCEPass>(); }

} // namespace kiln::passes
