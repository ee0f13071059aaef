// Reverse-mode differentiation of kernel math (see Grad.h).
//
// Adjoint rules (g: the adjoint of the result y; x, w: the operands):
//   neg -g | exp g*y | log g/x | sqrt g*0.5/y | abs x<0 ? -g : g
//   sigmoid g*y*(1-y) | tanh g*(1-y*y) | relu x>0 ? g : 0
//   add g, g | sub g, -g | mul g*w, g*x | div g/w, -(g*y/w)
//   max x>=w ? (g, 0) : (0, g) | min x<=w ? (g, 0) : (0, g)  (ties go to x)
//   pow g*w*pow(x, w-1), g*y*log(x)
//   select(c, a, b) c ? g : 0, c ? 0 : g | cast (float to float) cast back
//   reduce_sum g spread over the reduced axis | reduce_mean the same / n
//   reduce_max/min g spread to the elements equal to the result, shared
//     equally among ties | transpose g.T | reshape back to x's shape
//   matmul (by transpose flags) dA = g B^T, dB = A^T g, ...
// An operand's adjoint is summed over the dimensions broadcasting gave it
// (leading ones, and 1s against larger dimensions); a `?` operand dimension
// is taken to match the result's.
#include "frontend/Grad.h"

#include <optional>
#include <unordered_map>

#include "ir/ShapeInference.h"

namespace kiln::frontend::detail {
namespace {

using ir::ElemType;
using ir::OpKind;
using ir::Operation;
using ir::Type;
using ir::Value;

bool isFloatValue(const Value *v) {
  return v->type().isNumeric() && ir::isFloat(v->type().elem());
}

bool boolAttr(const Operation &op, std::string_view name) {
  const ir::Attribute *a = op.attr(name);
  return a && a->getBool();
}

std::optional<int64_t> axisAttr(const Operation &op) {
  const ir::Attribute *a = op.attr("axis");
  if (!a)
    return std::nullopt;
  return a->getInt();
}

size_t dynamicDims(const std::vector<int64_t> &dims) {
  size_t n = 0;
  for (int64_t d : dims)
    n += d == ir::kDynamic;
  return n;
}

class Differentiator {
public:
  Differentiator(ir::Builder &b, const std::unordered_set<const Value *> &stop)
      : b_(b), stop_(stop) {}

  GradResult run(Value *loss, const std::vector<GradTarget> &targets) {
    GradResult res;
    ir::Region *region = loss->definingOp() ? loss->definingOp()->parentRegion()
                                            : loss->ownerRegion();
    auto matches = [](const GradTarget &t, const Value *v) {
      if (t.value == v)
        return true;
      const Operation *d = v->definingOp();
      return t.handle && d && d->is(OpKind::StateLoad) && d->operand(0) == t.handle &&
             d->attr("field")->getString() == t.field;
    };
    auto isTarget = [&](const Value *v) {
      for (const GradTarget &t : targets)
        if (matches(t, v))
          return true;
      return false;
    };
    // Forward: which values carry a dependence on a target.
    std::vector<Operation *> ops;
    for (auto &op : region->ops()) {
      ops.push_back(op.get());
      if (op.get() == loss->definingOp())
        break;
    }
    for (Value *a : region->arguments())
      if (isTarget(a) && isFloatValue(a))
        needs_.insert(a);
    for (Operation *op : ops)
      for (Value *r : op->results()) {
        if (!isFloatValue(r) || stop_.count(r))
          continue;
        bool need = isTarget(r);
        if (!need && differentiable(*op))
          for (Value *o : op->operands())
            need = need || needs_.count(o);
        if (need)
          needs_.insert(r);
      }
    // Backward: every value the loss reads (for "does not depend on"), and
    // the adjoints.
    std::unordered_set<const Value *> read = {loss};
    adj_[loss] = b_.constant(1.0, loss->type());
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
      Operation *op = *it;
      bool used = false;
      for (Value *r : op->results())
        used = used || read.count(r);
      if (!used)
        continue;
      for (Value *o : op->operands())
        read.insert(o);
      if (op->numResults() != 1)
        continue;
      auto g = adj_.find(op->result());
      if (g == adj_.end() || !differentiable(*op))
        continue;
      b_.setLoc(op->loc());
      backprop(*op, g->second);
      if (!error_.empty()) {
        res.error = error_;
        return res;
      }
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      const GradTarget &t = targets[i];
      Value *sum = nullptr, *like = nullptr;
      bool reached = false;
      auto take = [&](Value *v) {
        reached = reached || read.count(v);
        like = like ? like : v;
        if (auto a = adj_.find(v); a != adj_.end())
          sum = sum ? add(sum, a->second) : a->second;
      };
      if (t.value)
        take(t.value);
      else
        for (Operation *op : ops)
          if (op->is(OpKind::StateLoad) && matches(t, op->result()))
            take(op->result());
      if (!reached) {
        res.unreached = static_cast<int>(i);
        return res;
      }
      if (!sum) // the loss reads the target only through non-differentiable ops
        sum = broadcastTo(b_.constant(0.0, Type::scalar(like->type().elem())), like);
      res.grads.push_back(sum);
    }
    return res;
  }

private:
  static bool differentiable(const Operation &op) {
    switch (op.kind()) {
    case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt: case OpKind::Abs:
    case OpKind::Sigmoid: case OpKind::Tanh: case OpKind::Relu: case OpKind::Add:
    case OpKind::Sub: case OpKind::Mul: case OpKind::Div: case OpKind::Max: case OpKind::Min:
    case OpKind::Pow: case OpKind::Select: case OpKind::Cast: case OpKind::ReduceSum:
    case OpKind::ReduceMean: case OpKind::ReduceMax: case OpKind::ReduceMin:
    case OpKind::Matmul: case OpKind::Transpose: case OpKind::Reshape:
      return true;
    default:
      return false;
    }
  }

  Value *scalar(double x, const Value *like) {
    return b_.constant(x, Type::scalar(like->type().elem()));
  }
  Value *add(Value *a, Value *b) { return b_.binary(OpKind::Add, a, b); }
  Value *mul(Value *a, Value *b) { return b_.binary(OpKind::Mul, a, b); }
  Value *div(Value *a, Value *b) { return b_.binary(OpKind::Div, a, b); }
  Value *neg(Value *a) { return b_.unary(OpKind::Neg, a); }

  /// g (broadcastable to like's shape) as a tensor of like's shape.
  Value *broadcastTo(Value *g, Value *like) {
    if (g->type().dims() == like->type().dims())
      return g;
    if (like->type().hasStaticShape())
      return mul(g, b_.constant(1.0, like->type().withElem(g->type().elem())));
    // No constant has a dynamic shape: select on a condition of like's shape.
    Value *all = b_.binary(OpKind::Eq, like, like);
    return b_.select(all, g, g);
  }

  Value *reshape(Value *g, std::vector<int64_t> dims) {
    if (g->type().dims() == dims)
      return g;
    // reshape(reshape(v)) back to v's shape (spread after a keepdims sum).
    if (Operation *d = g->definingOp(); d && d->is(OpKind::Reshape) &&
                                        d->operand(0)->type().dims() == dims)
      return d->operand(0);
    if (dynamicDims(dims) > 1) {
      fail("grad: cannot reshape an adjoint of type " + g->type().str() +
           " to a shape with more than one '?' dimension");
      return g;
    }
    return b_.reshape(g, Type::shaped(g->type().elem(), std::move(dims)));
  }

  /// Sums g over the dimensions broadcasting added to an operand of type `to`.
  Value *unbroadcast(Value *g, const Type &to) {
    const std::vector<int64_t> &r = g->type().dims(), &o = to.dims();
    if (r == o)
      return g;
    if (o.empty())
      return b_.reduce(OpKind::ReduceSum, g, std::nullopt);
    if (r.size() < o.size()) { // an adjoint has its value's rank; never smaller
      fail("grad: internal error: an adjoint of type " + g->type().str() +
           " for an operand of type " + to.str());
      return g;
    }
    size_t lead = r.size() - o.size();
    for (size_t i = r.size(); i-- > 0;) {
      bool summed = i < lead || (o[i - lead] == 1 && r[i] != 1);
      if (summed)
        g = b_.reduce(OpKind::ReduceSum, g, static_cast<int64_t>(i));
    }
    const std::vector<int64_t> &now = g->type().dims();
    bool same = now.size() == o.size();
    for (size_t i = 0; same && i < o.size(); ++i)
      same = now[i] == o[i] || now[i] == ir::kDynamic || o[i] == ir::kDynamic;
    return same ? g : reshape(g, o);
  }

  /// g, of x's shape reduced along axis (all axes: a scalar), spread back
  /// over x's shape.
  Value *spread(Value *g, Value *x, std::optional<int64_t> axis) {
    if (axis) {
      std::vector<int64_t> keep = x->type().dims();
      keep[static_cast<size_t>(*axis)] = 1;
      g = reshape(g, keep);
    }
    return broadcastTo(g, x);
  }

  /// The number of elements a reduction of x along axis combines, as a
  /// scalar of x's element type.
  Value *count(Value *x, std::optional<int64_t> axis) {
    Value *n = nullptr;
    for (int64_t i = 0; i < x->type().rank(); ++i) {
      if (axis && *axis != i)
        continue;
      Value *d = x->type().dim(i) != ir::kDynamic
                     ? scalar(static_cast<double>(x->type().dim(i)), x)
                     : b_.cast(b_.dim(x, i), x->type().elem());
      n = n ? mul(n, d) : d;
    }
    return n ? n : scalar(1.0, x);
  }

  void give(Value *operand, Value *g) {
    if (!needs_.count(operand))
      return;
    g = unbroadcast(g, operand->type());
    auto [it, fresh] = adj_.emplace(operand, g);
    if (!fresh)
      it->second = add(it->second, g);
  }

  bool wants(const Operation &op, unsigned i) const {
    return i < op.numOperands() && needs_.count(op.operand(i));
  }

  void backprop(Operation &op, Value *g) {
    Value *y = op.result();
    Value *x = op.operand(0);
    Value *w = op.numOperands() > 1 ? op.operand(1) : nullptr;
    switch (op.kind()) {
    case OpKind::Neg: give(x, neg(g)); return;
    case OpKind::Exp: give(x, mul(g, y)); return;
    case OpKind::Log: give(x, div(g, x)); return;
    case OpKind::Sqrt: give(x, div(mul(g, scalar(0.5, y)), y)); return;
    case OpKind::Abs:
      give(x, b_.select(b_.binary(OpKind::Lt, x, scalar(0.0, x)), neg(g), g));
      return;
    case OpKind::Sigmoid:
      give(x, mul(g, mul(y, b_.binary(OpKind::Sub, scalar(1.0, y), y))));
      return;
    case OpKind::Tanh:
      give(x, mul(g, b_.binary(OpKind::Sub, scalar(1.0, y), mul(y, y))));
      return;
    case OpKind::Relu:
      give(x, b_.select(b_.binary(OpKind::Gt, x, scalar(0.0, x)), g, scalar(0.0, g)));
      return;
    case OpKind::Add: give(x, g); give(w, g); return;
    case OpKind::Sub: give(x, g); if (wants(op, 1)) give(w, neg(g)); return;
    case OpKind::Mul:
      if (wants(op, 0)) give(x, mul(g, w));
      if (wants(op, 1)) give(w, mul(g, x));
      return;
    case OpKind::Div:
      if (wants(op, 0)) give(x, div(g, w));
      if (wants(op, 1)) give(w, neg(div(mul(g, y), w)));
      return;
    case OpKind::Max:
    case OpKind::Min: {
      Value *toX = b_.binary(op.is(OpKind::Max) ? OpKind::Ge : OpKind::Le, x, w);
      Value *zero = scalar(0.0, g);
      if (wants(op, 0)) give(x, b_.select(toX, g, zero));
      if (wants(op, 1)) give(w, b_.select(toX, zero, g));
      return;
    }
    case OpKind::Pow:
      if (wants(op, 0))
        give(x, mul(g, mul(w, b_.binary(OpKind::Pow, x,
                                        b_.binary(OpKind::Sub, w, scalar(1.0, w))))));
      if (wants(op, 1)) give(w, mul(g, mul(y, b_.unary(OpKind::Log, x))));
      return;
    case OpKind::Select: {
      Value *a = op.operand(1), *c = op.operand(2), *zero = scalar(0.0, g);
      if (needs_.count(a)) give(a, b_.select(x, g, zero));
      if (needs_.count(c)) give(c, b_.select(x, zero, g));
      return;
    }
    case OpKind::Cast:
      if (isFloatValue(x)) give(x, b_.cast(g, x->type().elem()));
      return;
    case OpKind::ReduceSum: give(x, spread(g, x, axisAttr(op))); return;
    case OpKind::ReduceMean:
      give(x, div(spread(g, x, axisAttr(op)), count(x, axisAttr(op))));
      return;
    case OpKind::ReduceMax:
    case OpKind::ReduceMin: {
      auto axis = axisAttr(op);
      Value *hit = b_.cast(b_.binary(OpKind::Eq, x, spread(y, x, axis)), x->type().elem());
      Value *ties = spread(b_.reduce(OpKind::ReduceSum, hit, axis), x, axis);
      give(x, div(mul(spread(g, x, axis), hit), ties));
      return;
    }
    case OpKind::Matmul: {
      bool ta = boolAttr(op, "transpose_a"), tb = boolAttr(op, "transpose_b");
      // y = op(A) op(B); dop(A) = g op(B)^T, dop(B) = op(A)^T g.
      if (wants(op, 0))
        give(x, ta ? b_.matmul(w, g, tb, true) : b_.matmul(g, w, false, !tb));
      if (wants(op, 1))
        give(w, tb ? b_.matmul(g, x, true, ta) : b_.matmul(x, g, !ta, false));
      return;
    }
    case OpKind::Transpose: give(x, b_.transpose(g)); return;
    case OpKind::Reshape: give(x, reshape(g, x->type().dims())); return;
    default: return;
    }
  }

  void fail(std::string msg) {
    if (error_.empty())
      error_ = std::move(msg);
  }

  ir::Builder &b_;
  const std::unordered_set<const Value *> &stop_;
  std::unordered_set<const Value *> needs_;
  std::unordered_map<const Value *, Value *> adj_;
  std::string error_;
};

} // namespace

GradResult emitGradients(ir::Builder &b, Value *loss, const std::vector<GradTarget> &targets,
                         const std::unordered_set<const Value *> &stop) {
  return Differentiator(b, stop).run(loss, targets);
}

} // namespace kiln::frontend::detail
