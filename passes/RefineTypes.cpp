// refine-types: re-infer result types from operand types.
//
// Rewrites: a `?` dimension of a result type (or of a fused op's region
//   argument) becomes the static dimension that ir/ShapeInference.h infers
//   from the operands, e.g. `matmul f32[100, 784], f32[784, 256] : f32[?,
//   256]` becomes `: f32[100, 256]` once bulk-read and inline-kernels have
//   made the operands static. Covered: elementwise and broadcasting ops
//   (compares, select, cast: the element type stays the declared one),
//   reductions, matmul (with its transposes), transpose, random draws with a
//   shape operand, the region arguments of `fused` (from its operands) and
//   the results of fused/seq/repeat/switch (when every region yields the same
//   refined dimension) and buffer_repeat (the stacked yield). Iterates to a
//   fixed point (a refined result refines its users).
// Needs: nothing; most useful right after bulk-read and inline-kernels.
// Keeps: every static dimension, every element type and rank, and every op
//   (only types change, toward what the run time already checks), so results
//   are bitwise the same. Calls, func signatures, reshape, slice, concat, dim
//   and constants keep their declared types. Not a rewrite of the sequence of
//   calls, so the step rule (passes/Effects.h) is not involved.
#include <optional>
#include <vector>

#include "ir/ShapeInference.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::OpKind;
using ir::Operation;
using ir::Region;
using ir::Type;

/// `declared` with each `?` dimension replaced by the static one of
/// `inferred`; nullopt when nothing would change or the two do not agree in
/// element type (after `inferred` takes the declared one) and rank.
std::optional<Type> refined(const Type &declared, const std::optional<Type> &inferred) {
  if (!inferred || !declared.isNumeric() || !inferred->isNumeric() ||
      declared.rank() != inferred->rank())
    return std::nullopt;
  std::vector<int64_t> dims = declared.dims();
  bool changed = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = inferred->dims()[i];
    if (dims[i] == ir::kDynamic && d != ir::kDynamic) {
      dims[i] = d;
      changed = true;
    }
  }
  if (!changed)
    return std::nullopt;
  return Type::shaped(declared.elem(), std::move(dims));
}

/// The type region `r` yields at position i, or nullopt.
std::optional<Type> yielded(const Region &r, unsigned i) {
  const Operation *t = r.terminator();
  if (!t || !t->is(OpKind::Yield) || i >= t->numOperands())
    return std::nullopt;
  return t->operand(i)->type();
}

/// Result i of a multi-region op: what every region yields, when all agree
/// on a static dimension (a dimension where they differ stays `?`).
std::optional<Type> joinedYields(const Operation &op, unsigned i) {
  std::optional<Type> out;
  for (unsigned r = 0; r < op.numRegions(); ++r) {
    auto t = yielded(op.region(r), i);
    if (!t || !t->isNumeric())
      return std::nullopt;
    if (!out) {
      out = t;
      continue;
    }
    if (t->rank() != out->rank())
      return std::nullopt;
    std::vector<int64_t> dims = out->dims();
    for (size_t d = 0; d < dims.size(); ++d)
      if (dims[d] != t->dims()[d])
        dims[d] = ir::kDynamic;
    out = Type::shaped(out->elem(), std::move(dims));
  }
  return out;
}

/// What ShapeInference says result 0 of `op` is, its element type the
/// declared one; nullopt for ops this pass leaves alone.
std::optional<Type> inferResult(const Operation &op) {
  const Type &declared = op.result(0)->type();
  auto withDeclaredElem = [&](std::optional<Type> t) -> std::optional<Type> {
    if (!t || !t->isNumeric())
      return std::nullopt;
    return t->withElem(declared.elem());
  };
  switch (op.kind()) {
  case OpKind::Select: {
    const Type &c = op.operand(0)->type(), &a = op.operand(1)->type();
    auto ab = ir::broadcastTypes(a, op.operand(2)->type());
    if (!ab || !c.isNumeric())
      return std::nullopt;
    return withDeclaredElem(ir::broadcastTypes(c.withElem(a.elem()), *ab));
  }
  case OpKind::Cast: return withDeclaredElem(op.operand(0)->type());
  case OpKind::Matmul:
    return ir::matmulType(op.operand(0)->type(), op.operand(1)->type(),
                          op.boolAttr("transpose_a"), op.boolAttr("transpose_b"));
  case OpKind::Transpose: return ir::transposeType(op.operand(0)->type());
  case OpKind::RandomUniform:
  case OpKind::RandomNormal:
  case OpKind::RandomBernoulli:
    if (op.numOperands() != 1)
      return std::nullopt;
    return withDeclaredElem(op.operand(0)->type());
  case OpKind::BufferRepeat: {
    auto t = yielded(op.region(0), 0);
    if (!t || !t->isNumeric())
      return std::nullopt;
    return ir::stackType(*t, op.intAttr("count"));
  }
  default: break;
  }
  if (op.has(ir::kReduction)) {
    std::optional<int64_t> axis;
    if (op.hasAttr("axis"))
      axis = op.intAttr("axis");
    return ir::reduceType(op.operand(0)->type(), axis, op.is(OpKind::ReduceArgmax));
  }
  if (op.has(ir::kElementwise) && op.has(ir::kPure)) {
    if (op.numOperands() == 1)
      return withDeclaredElem(op.operand(0)->type());
    if (op.numOperands() == 2) {
      const Type &a = op.operand(0)->type(), &b = op.operand(1)->type();
      if (!a.isNumeric() || !b.isNumeric())
        return std::nullopt;
      // Compares take operands of one element type and give i1.
      return withDeclaredElem(ir::broadcastTypes(a, b.withElem(a.elem())));
    }
  }
  return std::nullopt;
}

class RefineTypesPass final : public Pass {
public:
  std::string_view name() const override { return "refine-types"; }
  std::string_view summary() const override {
    return "replace ? dimensions of result types by the static ones inferred from the operands";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    int64_t total = 0;
    for (;;) {
      int64_t n = 0;
      for (Operation *func : module.funcs())
        for (unsigned r = 0; r < func->numRegions(); ++r)
          n += refineRegion(func->region(r));
      if (n == 0)
        break;
      total += n;
    }
    ctx.stats->add("type refined", "types refined", total);
    return total ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  static int64_t set(ir::Value *v, const std::optional<Type> &inferred) {
    auto t = refined(v->type(), inferred);
    if (!t)
      return 0;
    v->setType(std::move(*t));
    return 1;
  }

  static int64_t refineRegion(Region &region) {
    int64_t n = 0;
    for (auto &p : region.ops())
      n += refineOp(*p);
    return n;
  }

  // Operands are defined before `op` (or outside it), so one forward sweep
  // sees them refined; region arguments and nested ops come before the
  // results that depend on them.
  static int64_t refineOp(Operation &op) {
    int64_t n = 0;
    if (op.is(OpKind::Fused) && op.region(0).numArguments() == op.numOperands())
      for (unsigned i = 0; i < op.numOperands(); ++i)
        n += set(op.region(0).argument(i), op.operand(i)->type());
    for (unsigned r = 0; r < op.numRegions(); ++r)
      n += refineRegion(op.region(r));
    if (op.numResults() == 0)
      return n;
    switch (op.kind()) {
    case OpKind::Fused:
    case OpKind::Seq:
    case OpKind::Repeat:
    case OpKind::Switch:
      for (unsigned i = 0; i < op.numResults(); ++i)
        n += set(op.result(i), joinedYields(op, i));
      return n;
    default: break;
    }
    if (op.numResults() == 1)
      n += set(op.result(0), inferResult(op));
    return n;
  }
};

} // namespace

std::unique_ptr<Pass> createRefineTypesPass() { return std::make_unique<RefineTypesPass>(); }

} // namespace kiln::passes
