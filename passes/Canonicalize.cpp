// canonicalize: constant folding and algebraic identities.
//
// Rewrites (each pattern below starts with its rewrite in a comment):
//   - elementwise ops whose operands are all scalar or splat constants fold
//     to a constant (only ops whose result is exactly defined by IEEE
//     arithmetic: neg, abs, sqrt, relu, add, sub, mul, div, max, min,
//     comparisons, select, casts to float; not exp/log/sigmoid/tanh/pow,
//     whose values come from kiln's own polynomial implementations);
//   - x*1, 1*x, x/1, x-0, x+(-0.0), (-0.0)+x -> x, and x+0 for integers;
//   - neg(neg(x)) -> x, transpose(transpose(x)) -> x;
//   - matmul(transpose(a), b) -> matmul(a, b) {transpose_a} (and for b);
//   - dim of a static dimension -> constant.
// Needs: nothing.
// Keeps: bit-exact results. x+0.0 is NOT folded for floats: (-0.0)+0.0 is
//   +0.0, so it would change the sign of zeros (same rule as LLVM and MLIR).
//   Identities fire only when the result type equals x's type (broadcasting
//   could otherwise change the shape).
//
// Replaced ops are left without uses for dce; the walk rewrites operands
// through a replacement map and erases the replaced ops at the end, so no
// value is freed while the map may still name it.
#include <cmath>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ir/Builder.h"
#include "passes/Effects.h"
#include "passes/Passes.h"

namespace kiln::passes {
namespace {

using ir::Attribute;
using ir::ElemType;
using ir::OpKind;
using ir::Operation;
using ir::Type;
using ir::Value;

// The scalar value of a scalar or splat constant.
std::optional<double> splatValue(const Value *v) {
  const Operation *def = v->definingOp();
  if (!def || !def->is(OpKind::Constant))
    return std::nullopt;
  const Attribute *a = def->attr("value");
  if (!a || !a->isNumber())
    return std::nullopt;
  return a->getNumber();
}

bool isSplat(const Value *v, double x) {
  auto s = splatValue(v);
  return s && *s == x && std::signbit(*s) == std::signbit(x);
}

// Rounds a double to the element type, as the runtime stores it.
double roundTo(ElemType e, double x) {
  return e == ElemType::F32 ? static_cast<double>(static_cast<float>(x)) : x;
}

// Computes op on scalar operands in the element type's arithmetic; nullopt
// when the op is not foldable exactly.
std::optional<double> evaluate(OpKind kind, ElemType in, ElemType out,
                               const std::vector<double> &raw) {
  bool fp = ir::isFloat(in);
  std::vector<double> x;
  for (double v : raw)
    x.push_back(fp ? roundTo(in, v) : v); // the values the runtime holds
  for (double v : x)
    if (std::isnan(v)) // NaN payloads and max/min NaN rules: leave to the runtime
      return std::nullopt;
  auto arith = [&](double r) -> std::optional<double> {
    if (!fp) {
      if (!(r >= -9.0e15 && r <= 9.0e15) || r != std::trunc(r))
        return std::nullopt; // outside the range where doubles are exact integers
      return r;
    }
    return roundTo(in, r);
  };
  // In f32 every operation on values exactly representable in f32 is
  // computed exactly in double and then rounded once, which equals the f32
  // result (double has more than 2*24+2 bits of precision).
  switch (kind) {
  case OpKind::Neg: return arith(-x[0]);
  case OpKind::Abs: return arith(std::fabs(x[0]));
  case OpKind::Relu:
    if (x[0] == 0)
      return std::nullopt; // relu(-0.0): which zero is the runtime's choice
    return arith(x[0] > 0 ? x[0] : 0.0);
  case OpKind::Sqrt:
    if (!fp || x[0] < 0)
      return std::nullopt;
    return in == ElemType::F32 ? double(std::sqrt(float(x[0]))) : std::sqrt(x[0]);
  case OpKind::Add: return arith(x[0] + x[1]);
  case OpKind::Sub: return arith(x[0] - x[1]);
  case OpKind::Mul: return arith(x[0] * x[1]);
  case OpKind::Div:
    if (!fp)
      return std::nullopt; // integer division rounding is the runtime's business
    return in == ElemType::F32 ? double(float(x[0]) / float(x[1])) : x[0] / x[1];
  case OpKind::Max:
    if (x[0] == x[1])
      return std::nullopt; // max(-0, +0): which zero is the runtime's choice
    return arith(std::max(x[0], x[1]));
  case OpKind::Min:
    if (x[0] == x[1])
      return std::nullopt;
    return arith(std::min(x[0], x[1]));
  case OpKind::Eq: return x[0] == x[1] ? 1.0 : 0.0;
  case OpKind::Ne: return x[0] != x[1] ? 1.0 : 0.0;
  case OpKind::Lt: return x[0] < x[1] ? 1.0 : 0.0;
  case OpKind::Le: return x[0] <= x[1] ? 1.0 : 0.0;
  case OpKind::Gt: return x[0] > x[1] ? 1.0 : 0.0;
  case OpKind::Ge: return x[0] >= x[1] ? 1.0 : 0.0;
  case OpKind::Select: return x[0] != 0 ? x[1] : x[2];
  case OpKind::Cast:
    if (!ir::isFloat(out))
      return std::nullopt; // float->int conversion of out-of-range values
    return roundTo(out, x[0]);
  default:
    return std::nullopt;
  }
}

class CanonicalizePass final : public Pass {
public:
  std::string_view name() const override { return "canonicalize"; }
  std::string_view summary() const override {
    return "fold constants and algebraic identities";
  }

  PassResult run(ir::Module &module, PassContext &ctx) override {
    folded_ = identities_ = 0;
    replaced_.clear();
    dead_.clear();
    for (Operation *func : module.funcs())
      for (unsigned r = 0; r < func->numRegions(); ++r)
        visitRegion(func->region(r));
    for (auto it = dead_.rbegin(); it != dead_.rend(); ++it)
      (*it)->parentRegion()->erase(*it);
    ctx.stats->add("constant folded", "constants folded", folded_);
    ctx.stats->add("identity applied", "identities applied", identities_);
    return folded_ + identities_ ? PassResult::Changed : PassResult::Unchanged;
  }

private:
  void visitRegion(ir::Region &region) {
    std::vector<Operation *> ops;
    for (auto &op : region.ops())
      ops.push_back(op.get());
    for (Operation *op : ops) {
      for (unsigned i = 0; i < op->numOperands(); ++i)
        if (auto r = replaced_.find(op->operand(i)); r != replaced_.end())
          op->setOperand(i, r->second);
      for (unsigned r = 0; r < op->numRegions(); ++r)
        visitRegion(op->region(r));
      if (op->numResults() != 1 || !op->has(ir::kPure) || op->is(OpKind::Constant))
        continue;
      if (Value *v = fold(*op)) {
        ++folded_;
        replace(*op, v);
      } else if (Value *w = simplify(*op)) {
        ++identities_;
        replace(*op, w);
      } else {
        rewriteMatmulOfTranspose(*op);
      }
    }
  }

  void replace(Operation &op, Value *with) {
    replaced_[op.result()] = with;
    dead_.push_back(&op);
  }

  // op(c1, c2, ...) -> constant, for scalar/splat constants c_i.
  Value *fold(Operation &op) {
    if (!op.has(ir::kElementwise) || op.numOperands() == 0)
      return nullptr;
    const Type &rt = op.result()->type();
    if (!rt.isScalar() && !(rt.isTensor() && rt.hasStaticShape()))
      return nullptr;
    std::vector<double> x;
    for (Value *v : op.operands()) {
      auto s = splatValue(v);
      if (!s)
        return nullptr;
      x.push_back(*s);
    }
    ElemType in = op.operand(op.is(OpKind::Select) ? 1 : 0)->type().elem();
    auto r = evaluate(op.kind(), in, rt.elem(), x);
    if (!r)
      return nullptr;
    ir::Builder b;
    b.setInsertionPointBefore(&op);
    b.setLoc(op.loc());
    return b.constant(*r, rt);
  }

  // Algebraic identities; returns the value op equals, or nullptr.
  static Value *simplify(Operation &op) {
    const Type &rt = op.result()->type();
    auto same = [&](Value *x) { return x->type() == rt ? x : nullptr; };
    bool fp = rt.isNumeric() && ir::isFloat(rt.elem());
    switch (op.kind()) {
    case OpKind::Mul: // x*1 -> x, 1*x -> x
      if (isSplat(op.operand(1), 1.0))
        return same(op.operand(0));
      if (isSplat(op.operand(0), 1.0))
        return same(op.operand(1));
      return nullptr;
    case OpKind::Div: // x/1 -> x
      return isSplat(op.operand(1), 1.0) ? same(op.operand(0)) : nullptr;
    case OpKind::Sub: // x-0 -> x (exact for every x, including -0.0)
      return isSplat(op.operand(1), 0.0) ? same(op.operand(0)) : nullptr;
    case OpKind::Add: { // x+(-0.0) -> x; x+0 -> x for integers
      double zero = fp ? -0.0 : 0.0;
      if (isSplat(op.operand(1), zero))
        return same(op.operand(0));
      if (isSplat(op.operand(0), zero))
        return same(op.operand(1));
      return nullptr;
    }
    case OpKind::Neg:       // neg(neg(x)) -> x
    case OpKind::Transpose: // transpose(transpose(x)) -> x
    {
      Operation *inner = op.operand(0)->definingOp();
      if (inner && inner->is(op.kind()))
        return same(inner->operand(0));
      return nullptr;
    }
    case OpKind::Dim: { // dim(x) of a static dimension -> constant
      const Type &t = op.operand(0)->type();
      int64_t axis = op.intAttr("axis", -1);
      if (!t.isTensor() || axis < 0 || axis >= t.rank() || t.dim(axis) == ir::kDynamic)
        return nullptr;
      ir::Builder b;
      b.setInsertionPointBefore(&op);
      b.setLoc(op.loc());
      return b.constant(static_cast<double>(t.dim(axis)), rt);
    }
    default:
      return nullptr;
    }
  }

  // matmul(transpose(a), b) -> matmul(a, b) {transpose_a = !transpose_a}
  // (and the same for b): a GEMM reads a transposed operand in place.
  void rewriteMatmulOfTranspose(Operation &op) {
    if (!op.is(OpKind::Matmul))
      return;
    static constexpr const char *kFlags[2] = {"transpose_a", "transpose_b"};
    for (unsigned i = 0; i < 2; ++i) {
      Operation *t = op.operand(i)->definingOp();
      if (!t || !t->is(OpKind::Transpose))
        continue;
      op.setOperand(i, t->operand(0));
      bool flag = !op.boolAttr(kFlags[i]);
      if (flag)
        op.setAttr(kFlags[i], Attribute::boolean(true));
      else
        op.removeAttr(kFlags[i]);
      ++identities_;
    }
  }

  int64_t folded_ = 0, identities_ = 0;
  std::unordered_map<Value *, Value *> replaced_;
  std::vector<Operation *> dead_;
};

} // namespace

std::unique_ptr<Pass> createCanonicalizePass() { return std::make_unique<CanonicalizePass>(); }

} // namespace kiln::passes
