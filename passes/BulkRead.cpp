// bulk-read: one bulk read instead of a loop of single reads.
//
// Rewrites:
//     %0 = buffer_repeat N : T[N, ...] {
//       %1 = call @comp.method() : T[...]
//       yield %1
//     }
//   into
//     %n = constant N : i64
//     %0 = call @comp.bulk(%n) {bulk_steps = N} : T[N, ...]
//   and likewise for a read with several results, all stacked
//   (`%x, %y = buffer_repeat N { %a, %b = call @d.next_labeled() ... }`
//   -> `%x, %y = call @d.next_labeled_batch(%n) {bulk_steps = N}`).
//   where `bulk` is the method's bulk form (ir::MethodSchema::bulkForm) for
//   the component's configuration, as the component catalog resolves it.
// Needs: a component catalog in the PassContext (without one the pass does
//   nothing and says so in --stats).
// Keeps: results, by the bulk-read protocol: the catalog offers a bulk form
//   only when n bulk rows equal n single reads for that configuration (it
//   offers none when e.g. shuffling would make them differ). The pass never
//   fires when the loop body does anything but that one call and its yield,
//   when the call has arguments or keyword arguments, when the callee is a
//   func of the module (not a component method), or when the component type
//   is unknown or has no bulk form (or one with another number of results).
//   The WEAVE rule (mayMergeSteps, passes/Effects.h): the bulk call is one
//   program step that counts as N (`bulk_steps`), so the WEAVE schedule
//   around it stays the same (docs/vm.md), but its N reads happen at once.
//   The pass therefore does not fire inside a WEAVE child when a sibling
//   refers to the component (it would see the reads early), when the child
//   can be dropped before it finishes (it would have read fewer rows), or
//   inside a WEAVE nested in another (the outer one would number the reads'
//   steps differently).
#include <string>

#include "ir/Builder.h"
#include "ir/OpVerifiers.h"
#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::OpKind;
using ir::Operation;

class BulkReadPass final : public Pass {
public:
  std::string_view name() const override { return "bulk-read"; }
  std::string_view summary() const override {
    return "replace buffer_repeat loops of one component read by one bulk read";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    ctx.stats->add("loop rewritten", "loops rewritten", 0);
    if (!ctx.catalog) {
      ctx.stats->note("no component catalog, nothing done");
      return PassResult::Unchanged;
    }
    std::vector<Operation *> loops;
    for (Operation *func : module.funcs())
      func->walk([&](Operation &op) {
        if (op.is(OpKind::BufferRepeat))
          loops.push_back(&op);
      });
    int64_t rewritten = 0, kept = 0;
    for (Operation *loop : loops) {
      std::string bulk = bulkCallee(*loop, module, *ctx.catalog);
      if (bulk.empty() || loop->intAttr("count") > ir::kMaxBulkSteps)
        continue;
      if (!mayMergeSteps(*loop, bulk.substr(0, bulk.find('.')), module)) {
        ++kept;
        continue;
      }
      rewrite(*loop, bulk);
      ++rewritten;
    }
    ctx.stats->add("loop rewritten", "loops rewritten", rewritten);
    if (kept)
      ctx.stats->add("loop kept (weave rule)", "loops kept (weave rule)", kept);
    return rewritten ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  // The single read call of a `buffer_repeat` body that is only
  // `%x... = call @c.m() ; yield %x...` (its results in order), or nullptr.
  static Operation *singleRead(Operation &loop) {
    ir::Region &body = loop.region(0);
    if (body.size() != 2 || loop.numResults() == 0)
      return nullptr;
    Operation *call = body.front();
    Operation *yield = body.back();
    if (!call->is(OpKind::Call) || !yield->is(OpKind::Yield))
      return nullptr;
    if (call->numOperands() != 0 || call->numResults() != loop.numResults() ||
        call->attrs().size() != 1)
      return nullptr; // arguments or keyword arguments: not the protocol's shape
    if (yield->operands() != call->results())
      return nullptr;
    return call;
  }

  // The bulk method's full callee name ("dataset.next_batch"), or empty.
  static std::string bulkCallee(Operation &loop, const ir::Module &module,
                                const ir::ComponentCatalog &catalog) {
    Operation *call = singleRead(loop);
    if (!call)
      return {};
    std::string_view callee = calleeName(*call);
    if (module.lookupFunc(callee))
      return {}; // a func of the module, not a component method
    size_t dot = callee.find('.');
    if (dot == std::string_view::npos)
      return {};
    Operation *comp = module.lookupComponent(callee.substr(0, dot));
    if (!comp)
      return {};
    std::string_view typeName = comp->stringAttr("type_name");
    if (!catalog.hasComponentType(typeName))
      return {};
    // Configuration: every attribute but the component's own bookkeeping.
    std::vector<ir::NamedAttribute> config;
    for (const ir::NamedAttribute &a : comp->attrs())
      if (a.name != "sym_name" && a.name != "type_name" && a.name != "constructor")
        config.push_back(a);
    std::string error;
    auto schema = catalog.resolveComponent(typeName, comp->stringAttr("constructor"),
                                           config, &error);
    if (!schema)
      return {};
    const ir::MethodSchema *method = schema->method(callee.substr(dot + 1));
    if (!method || method->bulkForm.empty() || !schema->method(method->bulkForm))
      return {};
    // The bulk form stacks every result: it must have as many.
    if (schema->method(method->bulkForm)->results.size() != call->numResults())
      return {};
    return std::string(callee.substr(0, dot + 1)) + method->bulkForm;
  }

  static void rewrite(Operation &loop, const std::string &bulk) {
    Operation *read = singleRead(loop);
    ir::Builder b;
    b.setInsertionPointBefore(&loop);
    b.setLoc(read->loc().known() ? read->loc() : loop.loc());
    ir::Value *n = b.constant(static_cast<double>(loop.intAttr("count")), ir::Type::i64());
    b.setLoc(loop.loc());
    std::vector<ir::Type> types;
    for (ir::Value *r : loop.results())
      types.push_back(r->type());
    Operation *call = b.call(bulk, {n}, std::move(types),
                             {{"bulk_steps", ir::Attribute::integer(loop.intAttr("count"))}});
    for (unsigned i = 0; i < loop.numResults(); ++i)
      ir::replaceAllUsesWith(loop.result(i), call->result(i), *loop.parentRegion()->parentOp());
    loop.parentRegion()->erase(&loop);
  }
};

} // namespace

std::unique_ptr<Pass> createBulkReadPass() { return std::make_unique<BulkReadPass>(); }

} // namespace kiln::passes
