// Effects: the shared side-effect rules of passes/Effects.h.
#include "passes/Effects.h"

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
    return o.has(ir::kStateWrite) || o.has(ir::kCall);
  });
}

bool mayReadState(Operation &op) {
  return anyNested(op, [](const Operation &o) {
    return o.has(ir::kStateRead) || o.has(ir::kCall);
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
    return o.has(ir::kStateWrite) || o.has(ir::kCall) || o.has(ir::kRandom) ||
           o.is(OpKind::Loop) || o.is(OpKind::While) || o.is(OpKind::Weave);
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

} // namespace kiln::passes
