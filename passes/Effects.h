// Effects: what an op (with everything nested in it) may do besides
// computing its results. Shared by the passes that delete, merge or move ops
// (dce, cse, licm, fuse), so they agree on one set of rules.
//
//   pure          kPure ops (tensor math, component_ref): nothing
//   reads state   state_load
//   draws random  random_* ops: each run advances its stream's counter, so
//                 they are never deleted, merged, duplicated or reordered
//                 among themselves
//   writes        state_store, call, kernel_call (a call may do anything)
//   step          `step` (a program step begins, docs/vm.md): another WEAVE
//                 child may run there, so it counts as a read and a write of
//                 any state; nothing moves across it (the step rule)
//   control flow  the union of the ops nested in its regions; loop, while and
//                 weave are also kept for their termination behaviour
#pragma once

#include "ir/IR.h"

namespace kiln::passes {

/// The op, or an op nested in it, writes state or calls something.
bool mayWriteState(ir::Operation &op);
/// The op, or an op nested in it, reads state (loads, calls).
bool mayReadState(ir::Operation &op);
/// The op, or an op nested in it, draws random numbers.
bool drawsRandom(ir::Operation &op);
/// Deleting the op when its results are unused changes nothing observable.
bool isRemovableIfUnused(ir::Operation &op);
/// Ops whose regions run repeatedly: repeat, buffer_repeat, loop, while.
bool isLoop(const ir::Operation &op);
/// v is a result or region argument of an op nested (at any depth) in `op`.
bool isDefinedInside(const ir::Value *v, const ir::Operation &op);
/// The WEAVE rule (docs/passes.md): a rewrite that turns several program
/// steps of `op` on component `component` into one (bulk-read) keeps the
/// program's meaning when, for every WEAVE around `op`, (1) no other child
/// of that WEAVE refers to the component (a sibling would see its state
/// between the steps) and (2) the child holding `op` cannot be dropped:
/// fewer than n_required of its siblings can finish (a child whose region
/// runs a `loop` never does). A func that is called from anywhere may run
/// inside a WEAVE, so its ops never qualify.
bool mayMergeSteps(ir::Operation &op, std::string_view component, ir::Module &module);
/// The callee symbol name of a call / kernel_call.
std::string_view calleeName(const ir::Operation &call);

} // namespace kiln::passes
