// fuse: group runs of tensor ops into `fused` kernels.
//
// Rewrites: maximal runs of tensor ops in one region into
//     %r... = fused @kN(%captured...) {origins = ["layer1.cd1_update"]} : types {
//     ^bb0(%args...): <the ops, in their original order>  yield %r...
//     }
//   A group is one iteration space: an elementwise/broadcast chain, or a
//   matrix product (or two products of the same shape, `a.T @ b - c.T @ d`)
//   with its elementwise epilogue (bias, activation), and may end with
//   reductions of that space. Constants the group uses are copied
//   into it (they are cheap); every other outside value becomes an operand
//   (isolated region); the results are the group's values used after it.
//   `origins` lists the `origin` attributes (set by inline-kernels) of the
//   ops, in order, i.e. the notation elements the math came from.
// Needs: nothing; runs best after inline-kernels and the cleanups.
// Keeps: results. Groups hold only pure tensor math and random draws, so
//   nothing moves across a call or a state write: those end the run. The
//   fused op is placed where its last op was; the ops it skipped over inside
//   its run (state_load, component_ref, scalar math, constants) do not use
//   its values and have no effect the group could observe, so they may run
//   before it. Random draws keep their order (groups are contiguous and
//   random ops never skip over each other). No op is duplicated except
//   constants. Decision: state_load/state_store stay outside groups; loads
//   are passed in as operands and writes are barriers (docs/passes.md). The
//   step rule (passes/Effects.h): a `step` mark closes the group, so no
//   group mixes two program steps.
#include <algorithm>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/Builder.h"
#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::OpKind;
using ir::Operation;
using ir::Value;

/// A group being grown: its ops in order and its iteration shape.
struct FusionGroup {
  std::vector<Operation *> ops;
  std::unordered_set<const Value *> values; // results of ops
  std::unordered_set<const Value *> reductionResults;
  std::vector<int64_t> shape;
  bool hasMatmul = false;
  bool closed = false; // a reduction ended it
};

// ---- legality predicates (each one rule) --------------------------------------

// A candidate is tensor math the fused-kernel code generator handles:
// elementwise ops, random draws, reductions and matrix products with a
// tensor result; shape ops (transpose, reshape, slice, concat, dim) and
// constants are left to the VM.
bool isFusionCandidate(const Operation &op) {
  if (!op.has(ir::kTensorMath) || op.numRegions() != 0 || op.numResults() != 1)
    return false;
  if (!op.result()->type().isTensor())
    return false; // scalar math is not worth a kernel
  return op.has(ir::kElementwise) || op.has(ir::kRandom) || op.has(ir::kReduction) ||
         op.is(OpKind::Matmul);
}

bool usesGroupValue(const Operation &op, const FusionGroup &g) {
  for (const Value *v : op.operands())
    if (g.values.count(v))
      return true;
  return false;
}

// A reduction closes its group: nothing may consume a reduced value inside
// the group (it lives in a smaller iteration space).
bool closedByReduction(const FusionGroup &g) { return g.closed; }

// A matrix product opens a group (codegen fuses what follows it as its
// epilogue). A second product may join a group that has one product and no
// epilogue yet: `a.T @ b - c.T @ d` then becomes one kernel, the first
// product computed into a buffer and the combination fused into the second
// product's epilogue. Its operands must be materialized (not computed in the
// group), and it must produce the group's shape (inIterationSpace).
bool productMayJoin(const Operation &op, const FusionGroup &g) {
  if (!op.is(OpKind::Matmul))
    return true;
  return g.ops.size() == 1 && g.hasMatmul && !usesGroupValue(op, g);
}

// Every op of a group computes over the group's iteration shape: an
// elementwise op or draw produces exactly that shape; a reduction reduces it.
bool inIterationSpace(const Operation &op, const FusionGroup &g) {
  const ir::Type &t = op.has(ir::kReduction) ? op.operand(0)->type() : op.result()->type();
  return t.isTensor() && t.dims() == g.shape;
}

// Dynamic dimensions are only known equal through a data dependence: an op
// not connected to the group joins only if its shape is fully static.
bool provablySameShape(const Operation &op, const FusionGroup &g) {
  if (usesGroupValue(op, g))
    return true;
  for (int64_t d : g.shape)
    if (d == ir::kDynamic)
      return false;
  return true;
}

// An op outside every group may stay where it is inside a run (the fused op
// is placed after it) when it does not use the group's values and has no
// effect a group could observe: no write, no call, no random draw.
bool canSkipOver(Operation &op, const FusionGroup &g) {
  if (usesGroupValue(op, g) || op.numRegions() != 0)
    return false;
  return op.has(ir::kPure) || op.is(OpKind::StateLoad);
}

bool canJoin(Operation &op, const FusionGroup &g) {
  return !closedByReduction(g) && productMayJoin(op, g) && inIterationSpace(op, g) &&
         provablySameShape(op, g);
}

// ---- the pass ------------------------------------------------------------------

class FusePass final : public Pass {
public:
  std::string_view name() const override { return "fuse"; }
  std::string_view summary() const override {
    return "group runs of tensor ops into fused kernels";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    groups_ = fusedOps_ = 0;
    nextId_ = firstFreeKernelId(module);
    for (Operation *func : module.funcs()) {
      func_ = func;
      for (unsigned r = 0; r < func->numRegions(); ++r)
        visitRegion(func->region(r));
    }
    ctx.stats->add("group", "groups", groups_);
    ctx.stats->add("op fused", "ops fused", fusedOps_);
    return groups_ ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  static int64_t firstFreeKernelId(ir::Module &module) {
    int64_t next = 0;
    module.op().walk([&](Operation &op) {
      if (!op.is(OpKind::Fused))
        return;
      std::string_view n = op.symbolAttr("name");
      if (n.size() > 1 && n[0] == 'k' && n.find_first_not_of("0123456789", 1) == n.npos &&
          n.size() < 18)
        next = std::max<int64_t>(next, std::stoll(std::string(n.substr(1))) + 1);
    });
    return next;
  }

  void visitRegion(ir::Region &region) {
    std::vector<Operation *> ops;
    for (auto &op : region.ops())
      ops.push_back(op.get());
    // Nested regions first (fused regions are already kernels).
    for (Operation *op : ops)
      if (!op->is(OpKind::Fused))
        for (unsigned r = 0; r < op->numRegions(); ++r)
          visitRegion(op->region(r));

    FusionGroup g;
    for (Operation *op : ops) {
      if (isFusionCandidate(*op)) {
        if (!g.ops.empty() && canJoin(*op, g)) {
          add(g, *op);
          continue;
        }
        if (!g.ops.empty() && op->has(ir::kPure) && canSkipOver(*op, g) && !op->is(OpKind::Matmul) &&
            !inIterationSpace(*op, g)) {
          // An independent op of another shape: leave it for the VM and
          // keep the run going.
          continue;
        }
        finish(g);
        add(g, *op);
        continue;
      }
      if (!g.ops.empty() && canSkipOver(*op, g))
        continue;
      finish(g);
    }
    finish(g);
  }

  static void add(FusionGroup &g, Operation &op) {
    if (g.ops.empty())
      g.shape = op.result()->type().dims();
    g.ops.push_back(&op);
    g.values.insert(op.result());
    if (op.has(ir::kReduction)) {
      g.reductionResults.insert(op.result());
      g.closed = true;
    }
    g.hasMatmul |= op.is(OpKind::Matmul);
  }

  // Turns the group into a fused op (if it has at least two ops) and resets it.
  void finish(FusionGroup &g) {
    if (g.ops.size() >= 2)
      build(g);
    g = FusionGroup{};
  }

  void build(const FusionGroup &g) {
    std::unordered_set<const Operation *> members(g.ops.begin(), g.ops.end());
    // Results: member values used by any non-member op of the func.
    std::vector<Value *> results;
    std::unordered_set<const Value *> usedOutside;
    func_->walk([&](Operation &op) {
      if (members.count(&op))
        return;
      for (const Value *v : op.operands())
        if (g.values.count(v))
          usedOutside.insert(v);
    });
    for (Operation *op : g.ops)
      if (usedOutside.count(op->result()))
        results.push_back(op->result());

    // Captured operands (constants are copied in instead).
    std::vector<Value *> captured;
    std::vector<Operation *> constants;
    std::set<const Value *> seen;
    std::vector<std::string> origins;
    for (Operation *op : g.ops) {
      std::string_view o = op->stringAttr("origin");
      if (!o.empty() && std::find(origins.begin(), origins.end(), o) == origins.end())
        origins.emplace_back(o);
      for (Value *v : op->operands()) {
        if (g.values.count(v) || !seen.insert(v).second)
          continue;
        Operation *def = v->definingOp();
        if (def && def->is(OpKind::Constant))
          constants.push_back(def);
        else
          captured.push_back(v);
      }
    }

    std::vector<ir::Type> types;
    for (Value *r : results)
      types.push_back(r->type());
    std::vector<ir::NamedAttribute> attrs{
        {"name", ir::Attribute::symbol("k" + std::to_string(nextId_++))}};
    if (!origins.empty()) {
      ir::Attribute::Array arr;
      for (const std::string &o : origins)
        arr.push_back(ir::Attribute::string(o));
      attrs.push_back({"origins", ir::Attribute::array(std::move(arr))});
    }
    Operation *last = g.ops.back();
    auto fusedOwned = Operation::create(OpKind::Fused, captured, types, std::move(attrs), 1,
                                        g.ops.front()->loc());
    ir::Region &body = fusedOwned->region(0);
    ir::IRMapping mapping;
    for (Value *v : captured)
      mapping.map(v, body.addArgument(v->type(), v->nameHint()));
    for (Operation *c : constants)
      body.push_back(c->clone(mapping));
    for (Operation *op : g.ops) {
      auto copy = op->clone(mapping);
      copy->removeAttr("origin"); // the group records it in `origins`
      body.push_back(std::move(copy));
    }
    std::vector<Value *> yielded;
    for (Value *r : results)
      yielded.push_back(mapping.lookup(r));
    body.push_back(Operation::create(OpKind::Yield, yielded, {}, {}, 0, last->loc()));

    ir::Region &region = *last->parentRegion();
    Operation *fused = region.insertAfter(last, std::move(fusedOwned));
    for (unsigned i = 0; i < results.size(); ++i)
      ir::replaceAllUsesWith(results[i], fused->result(i), *func_);
    for (auto it = g.ops.rbegin(); it != g.ops.rend(); ++it)
      region.erase(*it);
    ++groups_;
    fusedOps_ += static_cast<int64_t>(g.ops.size());
  }

  Operation *func_ = nullptr;
  int64_t groups_ = 0, fusedOps_ = 0, nextId_ = 0;
};

} // namespace

std::unique_ptr<Pass> createFusePass() { return std::make_unique<FusePass>(); }

} // namespace kiln::passes
