// Effects: the shared side-effect rules of passes/Effects.h.
#include "passes/Effects.h"

#include <algorithm>
#include <vector>

namespace kiln::passes {

using ir::OpKind;
using ir::Operation;

static bool anyNested(Operation &op, bool (*pred)(const Operation &)) {
  bool found = false;
  op.walk([&](Operation &o) { found = found || pred(o); });
  return found;
}

bool mayWriteState(Operation &op) {
  return anyNested(op, [](const Operation &o) {
    return o.has(ir::kStateWrite) || o.has(ir::kCall) || o.has(ir::kStepBoundary);
  });
}

bool mayReadState(Operation &op) {
  return anyNested(op, [](const Operation &o) {
    return o.has(ir::kStateRead) || o.has(ir::kCall) || o.has(ir::kStepBoundary);
  });
}

bool drawsRandom(Operation &op) {
  return anyNested(op, [](const Operation &o) { return o.has(ir::kRandom); });
}

bool isRemovableIfUnused(Operation &op) {
  if (op.has(ir::kTerminator) || op.has(ir::kSymbol))
    return false;
  if (op.has(ir::kPure) && op.numRegions() == 0)
    return true;
  if (op.is(OpKind::StateLoad))
    return true;
  switch (op.kind()) {
  case OpKind::Loop:  // runs forever: deleting it would make the program end
  case OpKind::While: // may not terminate
  case OpKind::Weave:
    return false;
  default:
    break;
  }
  if (!op.has(ir::kControlFlow) && !op.is(OpKind::Fused))
    return false;
  return !anyNested(op, [](const Operation &o) {
    return o.has(ir::kStateWrite) || o.has(ir::kCall) || o.has(ir::kStepBoundary) ||
           o.has(ir::kRandom) || o.is(OpKind::Loop) || o.is(OpKind::While) || o.is(OpKind::Weave);
  });
}

bool isLoop(const Operation &op) {
  return op.is(OpKind::Repeat) || op.is(OpKind::BufferRepeat) || op.is(OpKind::Loop) ||
         op.is(OpKind::While);
}

bool isDefinedInside(const ir::Value *v, const Operation &op) {
  const Operation *def = v->definingOp();
  if (!def)
    def = v->ownerRegion()->parentOp();
  for (const Operation *p = def; p; p = p->parentOp())
    if (p == &op)
      return v->definingOp() != &op; // op's own results are outside it
  return false;
}

std::string_view calleeName(const Operation &call) { return call.symbolAttr("callee"); }

namespace {

bool namesComponent(const ir::Attribute &a, std::string_view component) {
  if (a.isSymbol()) {
    std::string_view n = a.getSymbol().name;
    return n == component ||
           (n.size() > component.size() && n.substr(0, component.size()) == component &&
            n[component.size()] == '.');
  }
  if (a.isArray())
    for (const ir::Attribute &e : a.getArray())
      if (namesComponent(e, component))
        return true;
  return false;
}

/// Some op in `region`, or in a func it calls (transitively), refers to the
/// component: a method call, a component_ref, a symbol keyword argument.
bool refersTo(ir::Region &region, std::string_view component, ir::Module &module,
              std::vector<const Operation *> &seenFuncs) {
  bool found = false;
  for (auto &top : region.ops())
    top->walk([&](Operation &o) {
      if (found)
        return;
      for (const ir::NamedAttribute &a : o.attrs())
        if (namesComponent(a.value, component))
          found = true;
      if (found || !o.has(ir::kCall))
        return;
      Operation *f = module.lookupFunc(calleeName(o));
      if (!f || f->numRegions() == 0 ||
          std::find(seenFuncs.begin(), seenFuncs.end(), f) != seenFuncs.end())
        return;
      seenFuncs.push_back(f);
      found = refersTo(f->region(0), component, module, seenFuncs);
    });
  return found;
}

/// A child region that runs a `loop` (directly or in a seq) never finishes.
bool mayFinish(ir::Region &region) {
  for (auto &op : region.ops()) {
    if (op->is(OpKind::Loop))
      return false;
    if (op->is(OpKind::Seq) && !mayFinish(op->region(0)))
      return false;
  }
  return true;
}

} // namespace

bool mayMergeSteps(Operation &op, std::string_view component, ir::Module &module) {
  const Operation *func = nullptr;
  for (Operation *p = op.parentOp(); p; p = p->parentOp())
    if (p->is(OpKind::Func)) {
      func = p;
      break;
    }
  if (func) {
    bool called = false;
    std::string_view name = func->symbolAttr("sym_name");
    module.op().walk(
        [&](Operation &o) { called = called || (o.has(ir::kCall) && calleeName(o) == name); });
    if (called)
      return false;
  }
  // (3) At most one WEAVE around it: a WEAVE nested in another numbers its
  // children's steps in the order of its own turns, and the outer one sees
  // a bulk read's steps at other positions (difftest finding, tests/
  // difftest/regressions/weave-bulk-read-turns.kiln).
  int weaves = 0;
  for (Operation *p = op.parentOp(); p && !p->is(OpKind::Func); p = p->parentOp())
    weaves += p->is(OpKind::Weave) ? 1 : 0;
  if (weaves > 1)
    return false;
  const Operation *child = &op;
  for (Operation *p = op.parentOp(); p && !p->is(OpKind::Func); child = p, p = p->parentOp()) {
    if (!p->is(OpKind::Weave))
      continue;
    unsigned mine = 0;
    for (unsigned r = 0; r < p->numRegions(); ++r)
      if (child->parentRegion() == &p->region(r))
        mine = r;
    int64_t othersThatMayFinish = 0;
    for (unsigned r = 0; r < p->numRegions(); ++r) {
      if (r == mine)
        continue;
      std::vector<const Operation *> seen;
      if (refersTo(p->region(r), component, module, seen))
        return false;
      othersThatMayFinish += mayFinish(p->region(r)) ? 1 : 0;
    }
    if (othersThatMayFinish >= p->intAttr("n_required"))
      return false;
  }
  return true;
}

} // namespace kiln::passes
