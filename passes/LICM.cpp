// licm: loop-invariant code motion.
//
// Rewrites: moves an op out of the body of a repeat, buffer_repeat, loop or
//   while (either region) to just before the loop when its operands are all
//   defined outside the loop and it is
//     - pure tensor math without regions (and not a random draw), or
//     - a state_load, when nothing in the loop may write state, call, or
//       begin a program step (the step rule, passes/Effects.h: at a `step`
//       mark another WEAVE child may write it).
// Needs: nothing.
// Keeps: random draws, calls and writes in place; the order of everything
//   else. Hoisting pure ops out of a loop that may run zero times only costs
//   time (they cannot fail or have effects), so results never change.
//
// Loops are visited innermost first, so an invariant op climbs out of every
// loop it is invariant in; within a body, ops are visited in order, so a
// chain of invariant ops moves together.
#include <vector>

#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::Operation;

class LICMPass final : public Pass {
public:
  std::string_view name() const override { return "licm"; }
  std::string_view summary() const override {
    return "hoist loop-invariant tensor computations out of loops";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    int64_t hoisted = 0, loops = 0;
    for (Operation *func : module.funcs()) {
      std::vector<Operation *> postOrder;
      collectLoops(*func, postOrder);
      for (Operation *loop : postOrder) {
        int64_t n = hoistFrom(*loop);
        hoisted += n;
        loops += n != 0;
      }
    }
    ctx.stats->add("op hoisted", "ops hoisted", hoisted);
    ctx.stats->add("loop", "loops", loops);
    return hoisted ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  // Loops nested in `op`, inner before outer. Fused regions hold no loops.
  static void collectLoops(Operation &op, std::vector<Operation *> &out) {
    for (unsigned r = 0; r < op.numRegions(); ++r)
      for (auto &child : op.region(r).ops())
        collectLoops(*child, out);
    if (isLoop(op))
      out.push_back(&op);
  }

  static bool isInvariant(const Operation &op, const Operation &loop) {
    for (const ir::Value *v : op.operands())
      if (isDefinedInside(v, loop))
        return false;
    return true;
  }

  static int64_t hoistFrom(Operation &loop) {
    bool loopWrites = mayWriteState(loop);
    int64_t hoisted = 0;
    for (unsigned r = 0; r < loop.numRegions(); ++r) {
      ir::Region &body = loop.region(r);
      std::vector<Operation *> ops;
      for (auto &op : body.ops())
        ops.push_back(op.get());
      for (Operation *op : ops) {
        bool movable = (op->has(ir::kPure) && op->numRegions() == 0) ||
                       (op->is(ir::OpKind::StateLoad) && !loopWrites);
        if (!movable || op->has(ir::kTerminator) || !isInvariant(*op, loop))
          continue;
        loop.parentRegion()->insertBefore(&loop, body.take(op));
        ++hoisted;
      }
    }
    return hoisted;
  }
};

} // namespace

std::unique_ptr<Pass> createLICMPass() { return std::make_unique<LICMPass>(); }

} // namespace kiln::passes
