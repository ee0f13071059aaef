// Planning a fused op for code generation (see KernelPlan.h).
//
// Steps:
//   1. The iteration space: the matmul's result, or the numpy-aligned
//      combination of every member's result (a reduction: its operand).
//   2. Operands: per aligned dimension, broadcast (static 1) or full; a
//      dynamic dimension either defines the space's size or is checked
//      against it at run time.
//   3. Members in order: each gets its value shape from its operands; ops
//      codegen does not handle end the plan with a reason.
//   4. Results: full-shape members or reduction results.
//   5. Random keys in order of first use, and the canonical key text.
#include "codegen/KernelPlan.h"

#include <algorithm>

#include "ir/Printer.h"

namespace kiln::codegen {

using ir::OpKind;
using ir::Operation;
using ir::Value;

int KernelPlan::reductionAxis(const Operation &reduce) {
  const ir::Attribute *a = reduce.attr("axis");
  return a && a->isInt() ? static_cast<int>(a->getInt()) : -1;
}

namespace {

bool isFloatElem(ir::ElemType e) { return ir::isFloat(e); }

class Planner {
public:
  explicit Planner(const Operation &fused) : fused_(fused) { plan_.fused = &fused; }

  std::optional<KernelPlan> run(std::string &whyNot) {
    if (!collectMembers() || !chooseSpace() || !planOperands() || !planMembers() ||
        !planResults()) {
      whyNot = why_;
      return std::nullopt;
    }
    buildKey();
    return std::move(plan_);
  }

private:
  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }

  const ir::Region &body() const { return fused_.region(0); }

  bool collectMembers() {
    const ir::Region &r = body();
    if (r.numArguments() != fused_.numOperands())
      return fail("region arguments do not match the operands");
    for (unsigned k = 0; k < r.numArguments(); ++k) {
      const ir::Type &t = r.argument(k)->type();
      if (!t.isNumeric())
        return fail("operand " + std::to_string(k) + " is not a tensor or scalar");
      plan_.operandIndex[r.argument(k)] = static_cast<int>(k);
    }
    const Operation *term = r.terminator();
    if (!term || !term->is(OpKind::Yield))
      return fail("region does not end in yield");
    for (const auto &op : r.ops()) {
      if (op.get() == term)
        break;
      if (op->numRegions() != 0 || op->numResults() != 1)
        return fail("'" + std::string(op->name()) + "' is not a kernel op");
      plan_.members.push_back(op.get());
    }
    for (const Value *v : term->operands())
      plan_.results.push_back(v);
    return true;
  }

  // 1. The space.
  bool chooseSpace() {
    std::vector<int64_t> dims; // numpy-aligned combination, right to left
    auto combine = [&](const ir::Type &t) -> bool {
      if (!t.isNumeric())
        return true;
      const auto &d = t.dims();
      if (d.size() > dims.size())
        dims.insert(dims.begin(), d.size() - dims.size(), 1);
      size_t off = dims.size() - d.size();
      for (size_t i = 0; i < d.size(); ++i) {
        // 1 broadcasts; a static size wins over `?` (which must then equal
        // it at run time); two different static sizes are two spaces.
        int64_t &s = dims[off + i];
        int64_t x = d[i];
        if (x == 1 || x == s || (x == ir::kDynamic && s != 1))
          continue;
        if (s == 1 || s == ir::kDynamic)
          s = x;
        else
          return false;
      }
      return true;
    };
    for (const Operation *op : plan_.members)
      if (op->is(OpKind::Matmul))
        plan_.matmuls.push_back(op);
    if (plan_.matmuls.size() > 2)
      return fail("more than two matmuls");
    if (!plan_.matmuls.empty()) {
      plan_.matmul = plan_.matmuls.back();
      dims = plan_.matmul->result()->type().dims();
      if (dims.size() != 2)
        return fail("matmul result is not rank 2");
      const ir::Type &first = plan_.matmuls.front()->result()->type();
      if (first.dims().size() != 2)
        return fail("matmul result is not rank 2");
      if (first.elem() != plan_.matmul->result()->type().elem())
        return fail("two matmuls of different element types");
    }
    for (const Operation *op : plan_.members) {
      if (op->is(OpKind::Constant))
        continue;
      const ir::Type &t =
          op->has(ir::kReduction) ? op->operand(0)->type() : op->result()->type();
      if (!combine(t))
        return fail("members do not share one iteration space");
    }
    if (plan_.matmul && dims.size() != 2)
      return fail("matmul epilogue of another rank");
    plan_.space.resize(dims.size());
    for (size_t d = 0; d < dims.size(); ++d)
      plan_.space[d].size = dims[d];
    return true;
  }

  int spaceDimOf(int valueRank, int i) const { return plan_.rank() - valueRank + i; }

  // 2. Operands used pointwise (matmul operands are read by the GEMM).
  bool planOperands() {
    const ir::Region &r = body();
    std::vector<bool> pointwise(r.numArguments(), false);
    for (const Operation *op : plan_.members) {
      if (op->is(OpKind::Matmul))
        continue;
      for (const Value *v : op->operands())
        if (auto it = plan_.operandIndex.find(v); it != plan_.operandIndex.end())
          pointwise[static_cast<size_t>(it->second)] = true;
    }
    for (const Value *v : plan_.results)
      if (auto it = plan_.operandIndex.find(v); it != plan_.operandIndex.end())
        return fail("an operand is yielded unchanged");
    for (const Operation *mm : plan_.matmuls)
      if (!planMatmul(*mm))
        return false;
    for (unsigned k = 0; k < r.numArguments(); ++k) {
      const Value *v = r.argument(k);
      const ir::Type &t = v->type();
      ValueShape vs{t.elem(), static_cast<int>(t.rank()), std::vector<bool>(plan_.space.size())};
      if (pointwise[k]) {
        if (t.rank() > plan_.rank())
          return fail("operand " + std::to_string(k) + " has a higher rank than the space");
        for (int i = 0; i < t.rank(); ++i) {
          int d = spaceDimOf(static_cast<int>(t.rank()), i);
          int64_t x = t.dim(i);
          if (x == 1)
            continue;
          vs.full[size_t(d)] = true;
          SpaceDim &s = plan_.space[size_t(d)];
          if (x == ir::kDynamic) {
            if (s.size == ir::kDynamic && s.operand < 0) {
              s.operand = static_cast<int>(k);
              s.dim = i;
            } else if (!(s.operand == static_cast<int>(k) && s.dim == i)) {
              plan_.checks.push_back({static_cast<int>(k), i, 0, d});
            }
          } else if (s.size == ir::kDynamic) {
            plan_.checks.push_back({-1, 0, x, d});
          } else if (s.size != x) {
            return fail("operand " + std::to_string(k) + " does not broadcast");
          }
        }
      }
      plan_.shapes[v] = std::move(vs);
    }
    return true;
  }

  bool planMatmul(const Operation &mm) {
    auto a = plan_.operandIndex.find(mm.operand(0));
    auto b = plan_.operandIndex.find(mm.operand(1));
    if (a == plan_.operandIndex.end() || b == plan_.operandIndex.end())
      return fail("matmul operands are computed in the group");
    const ir::Type &ta = mm.operand(0)->type(), &tb = mm.operand(1)->type();
    if (ta.rank() != 2 || tb.rank() != 2)
      return fail("matmul operands are not rank 2");
    if (!isFloatElem(ta.elem()) || ta.elem() != tb.elem())
      return fail("matmul of " + ta.str() + " and " + tb.str());
    bool transA = mm.boolAttr("transpose_a"), transB = mm.boolAttr("transpose_b");
    int mDim = transA ? 1 : 0, nDim = transB ? 0 : 1;
    auto source = [&](int spaceDim, int operand, int dim, int64_t x) {
      SpaceDim &s = plan_.space[size_t(spaceDim)];
      if (x == ir::kDynamic) {
        if (s.size == ir::kDynamic && s.operand < 0) {
          s.operand = operand;
          s.dim = dim;
        } else {
          plan_.checks.push_back({operand, dim, 0, spaceDim});
        }
      } else if (s.size == ir::kDynamic) {
        plan_.checks.push_back({-1, 0, x, spaceDim});
      } else if (s.size != x) {
        return fail("matmul result does not match its operands");
      }
      return true;
    };
    // M and N come from the operands first, so they are the sources.
    return source(0, a->second, mDim, ta.dim(mDim)) && source(1, b->second, nDim, tb.dim(nDim));
  }

  // 3. Members.
  bool planMembers() {
    std::vector<const Value *> reduced;
    for (const Operation *op : plan_.members) {
      for (const Value *v : op->operands()) {
        if (!plan_.shapes.count(v))
          return fail("'" + std::string(op->name()) + "' uses a value from outside the region");
        if (std::find(reduced.begin(), reduced.end(), v) != reduced.end())
          return fail("a reduction's result is used inside its group");
      }
      const ir::Type &t = op->result()->type();
      if (!t.isNumeric())
        return fail("'" + std::string(op->name()) + "' has a non-numeric result");
      ValueShape vs{t.elem(), static_cast<int>(t.rank()), std::vector<bool>(plan_.space.size())};
      if (t.rank() > plan_.rank() && !op->has(ir::kReduction))
        return fail("'" + std::string(op->name()) + "' has a higher rank than the space");
      if (op->is(OpKind::Constant)) {
        if (!constantIsSplat(*op))
          return fail("tensor constant given element by element");
        for (int i = 0; i < t.rank(); ++i)
          vs.full[size_t(spaceDimOf(vs.rank, i))] = t.dim(i) != 1;
      } else if (op->is(OpKind::Matmul)) {
        vs.full.assign(2, true);
      } else if (op->has(ir::kReduction)) {
        if (!planReduction(*op))
          return false;
        reduced.push_back(op->result());
      } else if (op->has(ir::kRandom)) {
        if (!isFloatElem(t.elem()))
          return fail("random draws of " + t.str());
        if (op->numOperands() == 0) {
          if (!t.hasStaticShape())
            return fail("random draw of dynamic shape without a shape operand");
          for (int i = 0; i < t.rank(); ++i)
            vs.full[size_t(spaceDimOf(vs.rank, i))] = t.dim(i) != 1;
        } else {
          const ValueShape &o = plan_.shapes.at(op->operand(0));
          if (o.rank != vs.rank)
            return fail("random draw whose shape operand has another rank");
          vs.full = o.full;
          if (op->is(OpKind::RandomBernoulli) && o.elem != t.elem())
            return fail("bernoulli of another element type");
        }
        if (!checkDeclared(*op, vs))
          return false;
        plan_.randomOps.push_back(op);
      } else if (op->has(ir::kElementwise)) {
        if (!elementwiseSupported(*op))
          return fail("'" + std::string(op->name()) + "' on " + op->operand(0)->type().str());
        for (const Value *v : op->operands()) {
          const ValueShape &o = plan_.shapes.at(v);
          if (o.rank > vs.rank)
            return fail("'" + std::string(op->name()) + "' broadcasts to a lower rank");
          for (int d = 0; d < plan_.rank(); ++d)
            if (o.full[size_t(d)])
              vs.full[size_t(d)] = true;
        }
        if (!checkDeclared(*op, vs))
          return false;
      } else {
        return fail("'" + std::string(op->name()) + "' is not handled by codegen");
      }
      plan_.shapes[op->result()] = std::move(vs);
    }
    return true;
  }

  static bool constantIsSplat(const Operation &op) {
    const ir::Attribute *v = op.attr("value");
    return v && (v->isNumber() || v->isBool()) && op.result()->type().hasStaticShape();
  }

  // Every elementwise op but pow other than f32: f64 pow's interpreter
  // kernel is glibc's pow, and integer pow has no codegen (f32 pow is
  // MathGen's pow_f32, emitted as the interpreter runs it).
  static bool elementwiseSupported(const Operation &op) {
    return !op.is(OpKind::Pow) || op.result()->type().elem() == ir::ElemType::F32;
  }

  // A member's declared type must hold the values the kernel makes: where it
  // varies along a space dimension its declared size must be dynamic or that
  // dimension's (checked at run time when the space's is dynamic).
  bool checkDeclared(const Operation &op, const ValueShape &vs) {
    const ir::Type &t = op.result()->type();
    for (int i = 0; i < t.rank(); ++i) {
      int d = spaceDimOf(vs.rank, i);
      int64_t x = t.dim(i);
      if (x == ir::kDynamic)
        continue;
      if (!vs.full[size_t(d)]) {
        if (x != 1)
          return fail("'" + std::string(op.name()) + "' result type does not match its operands");
        continue;
      }
      const SpaceDim &s = plan_.space[size_t(d)];
      if (s.size == ir::kDynamic)
        plan_.checks.push_back({-1, 0, x, d});
      else if (s.size != x)
        return fail("'" + std::string(op.name()) + "' result type does not match the space");
    }
    return true;
  }

  bool planReduction(const Operation &op) {
    const ValueShape &o = plan_.shapes.at(op.operand(0));
    if (!isFloatElem(o.elem))
      return fail("reduction of " + op.operand(0)->type().str());
    if (o.rank != plan_.rank())
      return fail("reduction of a value of another rank");
    for (int d = 0; d < plan_.rank(); ++d)
      if (!o.full[size_t(d)] && plan_.space[size_t(d)].size != 1)
        return fail("reduction of a broadcast value");
    int axis = KernelPlan::reductionAxis(op);
    if (axis < -1 || axis >= plan_.rank())
      return fail("reduction axis out of range");
    if (op.is(OpKind::ReduceArgmax) && axis >= 0)
      for (int d = axis + 1; d < plan_.rank(); ++d) // argmax scans contiguous runs only
        if (plan_.space[size_t(d)].size != 1)
          return fail("argmax along an axis other than the last");
    if (axis < 0 && plan_.rank() > 1)
      for (int d = 0; d + 1 < plan_.rank(); ++d)
        if (plan_.space[size_t(d)].size != 1)
          return fail("reduction over all axes of a rank-" + std::to_string(plan_.rank()) +
                      " space");
    plan_.reductions.push_back(&op);
    return true;
  }

  // 4. Results.
  bool planResults() {
    if (plan_.results.empty())
      return fail("the group has no results");
    for (const Value *v : plan_.results) {
      const Operation *def = v->definingOp();
      if (!def || std::find(plan_.members.begin(), plan_.members.end(), def) ==
                      plan_.members.end())
        return fail("a result is not computed in the group");
      if (def->is(OpKind::Constant))
        return fail("a constant is yielded");
      if (def->has(ir::kReduction))
        continue;
      const ValueShape &vs = plan_.shapes.at(v);
      if (vs.rank != plan_.rank())
        return fail("a result of lower rank than the space");
      for (int d = 0; d < plan_.rank(); ++d)
        if (!vs.full[size_t(d)] && plan_.space[size_t(d)].size != 1)
          return fail("a broadcast result");
    }
    return true;
  }

  // 5. Random keys and the canonical text.
  void buildKey() {
    std::vector<std::pair<int64_t, int64_t>> keys;
    for (const Operation *op : plan_.randomOps) {
      std::pair<int64_t, int64_t> k{op->intAttr("seed"), op->intAttr("stream")};
      auto it = std::find(keys.begin(), keys.end(), k);
      plan_.randomKeyOf.push_back(static_cast<int>(it - keys.begin()));
      if (it == keys.end())
        keys.push_back(k);
    }
    plan_.numRandomKeys = static_cast<int>(keys.size());

    std::unordered_map<const Value *, int> id;
    std::string &s = plan_.key;
    auto name = [&](const Value *v) { return "%" + std::to_string(id.at(v)); };
    const ir::Region &r = body();
    for (unsigned k = 0; k < r.numArguments(); ++k) {
      id[r.argument(k)] = static_cast<int>(id.size());
      s += "arg " + r.argument(k)->type().str() + "\n";
    }
    size_t rnd = 0;
    for (const Operation *op : plan_.members) {
      id[op->result()] = static_cast<int>(id.size());
      s += name(op->result()) + " = " + std::string(op->name());
      for (const Value *v : op->operands())
        s += " " + name(v);
      for (const auto &a : op->attrs()) {
        if (a.name == "origin" || a.name == "seed" || a.name == "stream")
          continue;
        s += " " + a.name + "=" + a.value.str();
      }
      if (op->has(ir::kRandom))
        s += " key=" + std::to_string(plan_.randomKeyOf[rnd++]);
      s += " : " + op->result()->type().str() + "\n";
    }
    s += "yield";
    for (const Value *v : plan_.results)
      s += " " + name(v);
    s += "\n";
  }

  const Operation &fused_;
  KernelPlan plan_;
  std::string why_;
};

} // namespace

std::optional<KernelPlan> planKernel(const ir::Operation &fused, std::string &whyNot) {
  if (!fused.is(ir::OpKind::Fused) || fused.numRegions() != 1) {
    whyNot = "not a fused op";
    return std::nullopt;
  }
  return Planner(fused).run(whyNot);
}

} // namespace kiln::codegen
