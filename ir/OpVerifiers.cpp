// Op-specific verification: each op's type and attribute rules, one hook per
// entry of ir/Ops.def. The generic verifier (ir/Verifier.cpp) has already
// checked the table counts, null operands, placement, terminators, dominance
// and symbols; the hooks check what only the op itself knows. Result types
// must be COMPATIBLE (equal up to `?` dimensions) with the type the rules of
// ir/ShapeInference.h infer, so passes may keep or refine dynamic dims.
#include "ir/OpVerifiers.h"

#include <set>
#include <string>

#include "ir/IR.h"
#include "ir/ShapeInference.h"

namespace kiln::ir {

bool emitOpError(const Operation &op, DiagnosticEngine &diag, const std::string &message) {
  diag.error(op.loc(), "'" + std::string(op.name()) + "' op " + message);
  return false;
}

bool hasTableShape(const Operation &op) {
  const OpInfo &info = op.info();
  if (info.numOperands >= 0 && op.numOperands() != unsigned(info.numOperands))
    return false;
  if (info.numResults >= 0 && op.numResults() != unsigned(info.numResults))
    return false;
  if (info.numRegions >= 0 && op.numRegions() != unsigned(info.numRegions))
    return false;
  for (const Value *v : op.operands())
    if (!v)
      return false;
  return true;
}

namespace {

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

// ---- attribute helpers -------------------------------------------------------
// Each returns false after reporting when the attribute has the wrong kind, or
// is absent although required. `out` is set only when the attribute is valid.

bool intAttr(const Operation &op, DiagnosticEngine &diag, std::string_view name,
             bool required, std::optional<int64_t> &out) {
  const Attribute *a = op.attr(name);
  if (!a) {
    if (required)
      return emitOpError(op, diag, "requires integer attribute " + quoted(name));
    return true;
  }
  if (!a->isInt())
    return emitOpError(op, diag,
                       "attribute " + quoted(name) + " must be an integer, got " + a->str());
  out = a->getInt();
  return true;
}

bool boolAttr(const Operation &op, DiagnosticEngine &diag, std::string_view name) {
  const Attribute *a = op.attr(name);
  if (a && !a->isBool())
    return emitOpError(op, diag,
                       "attribute " + quoted(name) + " must be true or false, got " + a->str());
  return true;
}

bool symbolAttr(const Operation &op, DiagnosticEngine &diag, std::string_view name) {
  const Attribute *a = op.attr(name);
  if (!a || !a->isSymbol() || a->getSymbol().name.empty())
    return emitOpError(op, diag, "requires symbol attribute " + quoted(name));
  return true;
}

bool nonEmptyStringAttr(const Operation &op, DiagnosticEngine &diag, std::string_view name) {
  const Attribute *a = op.attr(name);
  if (!a || !a->isString() || a->getString().empty())
    return emitOpError(op, diag, "requires non-empty string attribute " + quoted(name));
  return true;
}

// ---- type helpers ------------------------------------------------------------

/// The result must be compatible with the type the shape rules infer.
bool checkResult(const Operation &op, DiagnosticEngine &diag, const Type &inferred) {
  const Type &actual = op.result()->type();
  if (!typesCompatible(actual, inferred))
    return emitOpError(op, diag,
                       "result type " + actual.str() +
                           " is incompatible with the inferred type " + inferred.str());
  return true;
}

bool requireHandleOperand(const Operation &op, DiagnosticEngine &diag, unsigned i) {
  const Type &t = op.operand(i)->type();
  if (!t.isComponent())
    return emitOpError(op, diag, "operand #" + std::to_string(i) +
                                     " must be a component handle, got " + t.str());
  return true;
}

bool requireNumericOperand(const Operation &op, DiagnosticEngine &diag, unsigned i) {
  const Type &t = op.operand(i)->type();
  if (!t.isNumeric())
    return emitOpError(op, diag, "operand #" + std::to_string(i) +
                                     " must be a scalar or tensor, got " + t.str());
  return true;
}

bool requireNumericResult(const Operation &op, DiagnosticEngine &diag) {
  const Type &t = op.result()->type();
  if (!t.isNumeric())
    return emitOpError(op, diag, "result must be a scalar or tensor, got " + t.str());
  return true;
}

/// The region of `parent` that holds `op`, or -1.
int regionIndexOf(const Operation &parent, const Operation &op) {
  for (unsigned i = 0; i < parent.numRegions(); ++i)
    if (&parent.region(i) == op.parentRegion())
      return int(i);
  return -1;
}

/// Values passed out by a terminator must be compatible with `expected`.
bool checkPassedTypes(const Operation &term, DiagnosticEngine &diag,
                      const std::vector<Type> &expected, const std::string &what) {
  if (term.numOperands() != expected.size())
    return emitOpError(term, diag,
                       "has " + std::to_string(term.numOperands()) + " operands but " + what +
                           " expects " + std::to_string(expected.size()));
  bool ok = true;
  for (unsigned i = 0; i < expected.size(); ++i) {
    const Type &t = term.operand(i)->type();
    if (!typesCompatible(t, expected[i]))
      ok = emitOpError(term, diag,
                       "operand #" + std::to_string(i) + " has type " + t.str() + " but " +
                           what + " expects " + expected[i].str());
  }
  return ok;
}

std::vector<Type> resultTypesOf(const Operation &op) {
  std::vector<Type> out;
  for (const Value *v : op.results())
    out.push_back(v->type());
  return out;
}

/// Checks one element of a constant's value against the element type.
bool checkConstantElement(const Operation &op, DiagnosticEngine &diag, const Attribute &v,
                          ElemType elem) {
  std::string et(elemTypeName(elem));
  if (v.isBool()) {
    if (elem != ElemType::I1)
      return emitOpError(op, diag, "value " + v.str() + " is not valid for element type " + et);
    return true;
  }
  if (v.isInt()) {
    if (elem == ElemType::I1 && v.getInt() != 0 && v.getInt() != 1)
      return emitOpError(op, diag,
                         "value " + v.str() + " is not valid for i1 (use 0, 1, true or false)");
    return true;
  }
  if (v.isFloat()) {
    if (!isFloat(elem))
      return emitOpError(op, diag,
                         "value " + v.str() + " is not an integer, but the element type is " + et);
    return true;
  }
  return emitOpError(op, diag,
                     "value must be a number or an array of numbers, got " +
                         std::string(v.isArray() ? "a nested array" : v.str()));
}

bool isComparison(OpKind k) {
  return k == OpKind::Eq || k == OpKind::Ne || k == OpKind::Lt || k == OpKind::Le ||
         k == OpKind::Gt || k == OpKind::Ge;
}

/// Shared by the binary, float-binary and compare hooks.
bool verifyBroadcastingBinary(const Operation &op, DiagnosticEngine &diag, bool needFloat) {
  const Type &a = op.operand(0)->type(), &b = op.operand(1)->type();
  if (!a.isNumeric() || !b.isNumeric())
    return emitOpError(op, diag, "operands must be scalars or tensors, got " + a.str() +
                                     " and " + b.str());
  if (a.elem() != b.elem())
    return emitOpError(op, diag, "operand element types differ: " + a.str() + " and " + b.str());
  if (needFloat && !isFloat(a.elem()))
    return emitOpError(op, diag, "needs f32 or f64 operands, got " + a.str());
  std::string why;
  auto t = broadcastTypes(a, b, &why);
  if (!t)
    return emitOpError(op, diag, "operand " + why);
  return checkResult(op, diag, isComparison(op.kind()) ? t->withElem(ElemType::I1) : *t);
}

/// Shared by the unary hooks: result type equals the operand type.
bool verifyUnaryCommon(const Operation &op, DiagnosticEngine &diag, bool needFloat) {
  if (!requireNumericOperand(op, diag, 0))
    return false;
  const Type &in = op.operand(0)->type();
  if (needFloat && !isFloat(in.elem()))
    return emitOpError(op, diag, "needs an f32 or f64 operand, got " + in.str());
  return checkResult(op, diag, in);
}

} // namespace

// ---- structure ---------------------------------------------------------------

bool verifyModuleOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  return symbolAttr(op, diag, "sym_name");
}

bool verifyComponentOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = symbolAttr(op, diag, "sym_name");
  ok = nonEmptyStringAttr(op, diag, "type_name") && ok;
  if (const Attribute *c = op.attr("constructor"); c && !c->isString())
    ok = emitOpError(op, diag, "attribute 'constructor' must be a string, got " + c->str());
  return ok;
}

bool verifyFuncOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = symbolAttr(op, diag, "sym_name");
  std::string sym = formatSymbol(op.symbolAttr("sym_name"));
  // Absent result_types means "returns nothing" (a bare declaration such as
  // `func @print() attributes {native = true}` need not spell it).
  if (const Attribute *r = op.attr("result_types")) {
    bool allTypes = r->isArray();
    if (allTypes)
      for (const Attribute &t : r->getArray())
        if (!t.isType() || t.getType().isNone())
          allTypes = false;
    if (!allTypes)
      ok = emitOpError(op, diag, "attribute 'result_types' must be an array of types, got " +
                                     r->str());
  }
  ok = boolAttr(op, diag, "native") && ok;
  ok = boolAttr(op, diag, "kernel") && ok;
  bool native = op.boolAttr("native"), kernel = op.boolAttr("kernel");
  const Region &body = op.region(0);
  for (unsigned i = 0; i < body.numArguments(); ++i)
    if (body.argument(i)->type().isNone())
      ok = emitOpError(op, diag, sym + " parameter #" + std::to_string(i) + " has type none");
  if (isFuncDeclaration(op)) {
    if (!native)
      ok = emitOpError(op, diag,
                       sym + " has no body; a declaration must have attribute native = true");
    else if (kernel)
      ok = emitOpError(op, diag, sym + " is a kernel (kernel = true) but has no body");
  } else if (native) {
    ok = emitOpError(op, diag, sym + " is native (native = true) but has a body");
  }
  return ok;
}

bool verifyReturnOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  const Operation *parent = op.parentOp();
  if (!parent || !parent->is(OpKind::Func))
    return emitOpError(op, diag,
                       "expects parent op 'func', got " +
                           (parent ? quoted(parent->name()) : std::string("none")));
  // A malformed result_types is reported by the func's own hook.
  const Attribute *r = parent->attr("result_types");
  if (r && !r->isArray())
    return true;
  return checkPassedTypes(op, diag, funcResultTypes(*parent),
                          "function " + formatSymbol(parent->symbolAttr("sym_name")));
}

bool verifyYieldOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  const Operation *parent = op.parentOp();
  if (!parent || !(parent->has(kControlFlow) || parent->is(OpKind::Fused)))
    return emitOpError(op, diag,
                       "expects parent op to be a control-flow or 'fused' op, got " +
                           (parent ? quoted(parent->name()) : std::string("none")));
  std::string what = "parent " + quoted(parent->name());
  switch (parent->kind()) {
  case OpKind::Seq:
  case OpKind::Repeat:
  case OpKind::Switch:
  case OpKind::Fused:
    return checkPassedTypes(op, diag, resultTypesOf(*parent), what);
  case OpKind::BufferRepeat: {
    // One yielded value per result (a labeled read stacks features and
    // labels side by side); the parent's hook reports a bad result count.
    if (op.numOperands() != parent->numResults())
      return emitOpError(op, diag,
                         "in 'buffer_repeat' must yield one value per result (" +
                             std::to_string(parent->numResults()) + "), got " +
                             std::to_string(op.numOperands()));
    const Attribute *count = parent->attr("count");
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Type &elem = op.operand(i)->type();
      if (!elem.isNumeric())
        return emitOpError(op, diag,
                           "in 'buffer_repeat' must yield a scalar or tensor, got " + elem.str());
      // The parent's hook reports a bad count.
      if (!count || !count->isInt() || count->getInt() < 1)
        continue;
      Type stacked = stackType(elem, count->getInt());
      const Type &result = parent->result(i)->type();
      if (!typesCompatible(stacked, result))
        return emitOpError(op, diag,
                           "yields " + elem.str() + ", which stacked " +
                               std::to_string(count->getInt()) + " times is " + stacked.str() +
                               ", but parent 'buffer_repeat' result is " + result.str());
    }
    return true;
  }
  case OpKind::While: {
    if (regionIndexOf(*parent, op) == 0) {
      if (op.numOperands() != 1 || op.operand(0)->type() != Type::i1())
        return emitOpError(op, diag,
                           "in the condition region of 'while' must yield one i1 scalar");
      return true;
    }
    return checkPassedTypes(op, diag, {}, "the body region of 'while'");
  }
  case OpKind::Loop:
  case OpKind::Weave:
    return checkPassedTypes(op, diag, {}, what);
  default:
    return emitOpError(op, diag, "has no yield rule for parent " + quoted(parent->name()));
  }
}

// ---- calls and state -----------------------------------------------------------

bool verifyCallOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  // Every other attribute is a keyword argument of any kind.
  bool ok = symbolAttr(op, diag, "callee");
  // bulk-read's bulk call stands for that many program steps (docs/vm.md).
  // Only a component's method reads in bulk, so a native's keyword argument
  // cannot pass for one.
  if (const Attribute *b = op.attr("bulk_steps")) {
    if (!b->isInt() || b->getInt() < 1 || b->getInt() > kMaxBulkSteps)
      ok = emitOpError(op, diag, "attribute 'bulk_steps' must be an integer in [1, " +
                                     std::to_string(kMaxBulkSteps) + "]");
    else if (op.symbolAttr("callee").find('.') == std::string_view::npos)
      ok = emitOpError(op, diag, "attribute 'bulk_steps' is only for a component's bulk read "
                                 "(@component.method)");
  }
  for (unsigned i = 0; i < op.numResults(); ++i)
    if (op.result(i)->type().isNone())
      ok = emitOpError(op, diag, "result #" + std::to_string(i) + " has type none");
  return ok;
}

bool verifyKernelCallOp(const Operation &op, DiagnosticEngine &diag) {
  return verifyCallOp(op, diag);
}

bool verifyStepOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  // Program steps are the program's: a kernel's body, compiled or not, runs
  // within the step of its call.
  for (const Operation *p = op.parentOp(); p; p = p->parentOp()) {
    if (p->is(OpKind::Fused))
      return emitOpError(op, diag, "cannot be inside a fused op");
    if (p->is(OpKind::Func) && p->boolAttr("kernel"))
      return emitOpError(op, diag, "cannot be inside a kernel function");
  }
  return true;
}

bool verifyComponentRefOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = symbolAttr(op, diag, "component");
  const Type &t = op.result()->type();
  if (!t.isComponent())
    ok = emitOpError(op, diag, "result must be a component handle type, got " + t.str());
  return ok;
}

bool verifyStateLoadOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = true;
  ok = requireHandleOperand(op, diag, 0) && ok;
  ok = nonEmptyStringAttr(op, diag, "field") && ok;
  ok = requireNumericResult(op, diag) && ok;
  return ok;
}

bool verifyStateStoreOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = true;
  ok = requireHandleOperand(op, diag, 0) && ok;
  ok = requireNumericOperand(op, diag, 1) && ok;
  ok = nonEmptyStringAttr(op, diag, "field") && ok;
  return ok;
}

// ---- control flow ----------------------------------------------------------------
// What the regions yield is checked by the yield hook (it knows its parent);
// these hooks check the op's own attributes and results.

bool verifySeqOp(const Operation &op, DiagnosticEngine &diag) {
  // Table counts (one region, any results) and the yield hook say it all.
  return hasTableShape(op);
}

bool verifyRepeatOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::optional<int64_t> count;
  if (!intAttr(op, diag, "count", true, count))
    return false;
  if (*count < 0)
    return emitOpError(op, diag, "count must be >= 0, got " + std::to_string(*count));
  if (*count == 0 && op.numResults() != 0)
    return emitOpError(op, diag, "with count 0 cannot have results (no iteration yields them)");
  return true;
}

bool verifyBufferRepeatOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::optional<int64_t> count;
  if (!intAttr(op, diag, "count", true, count))
    return false;
  if (*count < 1)
    return emitOpError(op, diag, "count must be >= 1, got " + std::to_string(*count));
  if (op.numResults() == 0)
    return emitOpError(op, diag, "needs at least one result (the stacked values)");
  for (const Value *r : op.results()) {
    const Type &t = r->type();
    if (!t.isTensor() || !dimsCompatible(t.dim(0), *count))
      return emitOpError(op, diag,
                         "result type " + t.str() + " must be a tensor with leading dimension " +
                             std::to_string(*count));
  }
  return true;
}

bool verifyLoopOp(const Operation &op, DiagnosticEngine &diag) {
  // No attributes, no results, one region (table); its yield is empty.
  return hasTableShape(op);
}

bool verifyWhileOp(const Operation &op, DiagnosticEngine &diag) {
  // No attributes, no results, two regions (table); the yields carry the rules.
  return hasTableShape(op);
}

bool verifySwitchOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = true;
  const Type &sel = op.operand(0)->type();
  bool isBoolSel = sel == Type::i1();
  if (sel != Type::i64() && !isBoolSel)
    ok = emitOpError(op, diag, "selector must be an i64 or i1 scalar, got " + sel.str());
  if (op.numRegions() < 1)
    return emitOpError(op, diag, "expects at least one region (the default)");
  const Attribute *cases = op.attr("cases");
  if (!cases || !cases->isIntArray())
    return emitOpError(op, diag, "requires attribute 'cases' (an array of integers)");
  std::vector<int64_t> values = cases->getIntArray();
  if (values.size() != op.numRegions() - 1)
    ok = emitOpError(op, diag,
                     "has " + std::to_string(values.size()) + " cases and " +
                         std::to_string(op.numRegions()) +
                         " regions; expects one region per case plus a default region");
  std::set<int64_t> seen;
  for (int64_t v : values) {
    if (!seen.insert(v).second)
      ok = emitOpError(op, diag, "duplicate case value " + std::to_string(v));
    else if (isBoolSel && v != 0 && v != 1)
      ok = emitOpError(op, diag,
                       "case value " + std::to_string(v) + " can never match an i1 selector");
  }
  return ok;
}

bool verifyWeaveOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::optional<int64_t> n;
  if (!intAttr(op, diag, "n_required", true, n))
    return false;
  if (*n < 0 || *n > int64_t(op.numRegions()))
    return emitOpError(op, diag,
                       "n_required " + std::to_string(*n) + " is not in [0, " +
                           std::to_string(op.numRegions()) + "] (the number of regions)");
  return true;
}

// ---- tensor math ---------------------------------------------------------------------

bool verifyConstantOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  if (!requireNumericResult(op, diag))
    return false;
  const Type &t = op.result()->type();
  const Attribute *v = op.attr("value");
  if (!v)
    return emitOpError(op, diag, "requires attribute 'value'");
  if (!v->isArray())
    return checkConstantElement(op, diag, *v, t.elem()); // scalar or splat
  if (!t.isTensor() || !t.hasStaticShape())
    return emitOpError(op, diag,
                       "an element-by-element value needs a static tensor result type, got " +
                           t.str());
  size_t n = v->getArray().size();
  if (int64_t(n) != t.numElements())
    return emitOpError(op, diag,
                       "value has " + std::to_string(n) + " elements but " + t.str() + " has " +
                           std::to_string(t.numElements()));
  for (const Attribute &e : v->getArray())
    if (!checkConstantElement(op, diag, e, t.elem()))
      return false; // one report per op is enough
  return true;
}

bool verifyUnaryOp(const Operation &op, DiagnosticEngine &diag) {
  return hasTableShape(op) && verifyUnaryCommon(op, diag, false);
}

bool verifyUnaryFloatOp(const Operation &op, DiagnosticEngine &diag) {
  return hasTableShape(op) && verifyUnaryCommon(op, diag, true);
}

bool verifyBinaryOp(const Operation &op, DiagnosticEngine &diag) {
  return hasTableShape(op) && verifyBroadcastingBinary(op, diag, false);
}

bool verifyBinaryFloatOp(const Operation &op, DiagnosticEngine &diag) {
  return hasTableShape(op) && verifyBroadcastingBinary(op, diag, true);
}

bool verifyCompareOp(const Operation &op, DiagnosticEngine &diag) {
  return hasTableShape(op) && verifyBroadcastingBinary(op, diag, false);
}

bool verifySelectOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  for (unsigned i = 0; i < 3; ++i)
    if (!requireNumericOperand(op, diag, i))
      return false;
  const Type &c = op.operand(0)->type(), &a = op.operand(1)->type(), &b = op.operand(2)->type();
  if (c.elem() != ElemType::I1)
    return emitOpError(op, diag, "condition must have element type i1, got " + c.str());
  if (a.elem() != b.elem())
    return emitOpError(op, diag, "operand element types differ: " + a.str() + " and " + b.str());
  std::string why;
  auto ab = broadcastTypes(a, b, &why);
  if (!ab)
    return emitOpError(op, diag, "operand " + why);
  auto all = broadcastTypes(c.withElem(a.elem()), *ab, &why);
  if (!all)
    return emitOpError(op, diag, "condition " + c.str() + " does not broadcast with " + ab->str());
  return checkResult(op, diag, *all);
}

bool verifyCastOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  if (!requireNumericOperand(op, diag, 0) || !requireNumericResult(op, diag))
    return false;
  const Type &in = op.operand(0)->type(), &out = op.result()->type();
  if (!typesCompatible(in.withElem(out.elem()), out))
    return emitOpError(op, diag,
                       "changes the shape: operand " + in.str() + ", result " + out.str());
  return true;
}

bool verifyReduceOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::optional<int64_t> axis;
  if (!intAttr(op, diag, "axis", false, axis))
    return false;
  std::string why;
  auto t = reduceType(op.operand(0)->type(), axis, op.is(OpKind::ReduceArgmax), &why);
  if (!t)
    return emitOpError(op, diag, why);
  return checkResult(op, diag, *t);
}

bool verifyMatmulOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  if (!boolAttr(op, diag, "transpose_a") || !boolAttr(op, diag, "transpose_b"))
    return false;
  std::string why;
  auto t = matmulType(op.operand(0)->type(), op.operand(1)->type(), op.boolAttr("transpose_a"),
                      op.boolAttr("transpose_b"), &why);
  if (!t)
    return emitOpError(op, diag, why);
  return checkResult(op, diag, *t);
}

bool verifyTransposeOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::string why;
  auto t = transposeType(op.operand(0)->type(), &why);
  if (!t)
    return emitOpError(op, diag, why);
  return checkResult(op, diag, *t);
}

bool verifyReshapeOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  if (!requireNumericOperand(op, diag, 0) || !requireNumericResult(op, diag))
    return false;
  const Type &in = op.operand(0)->type(), &out = op.result()->type();
  if (in.elem() != out.elem())
    return emitOpError(op, diag,
                       "changes the element type (" + in.str() + " to " + out.str() +
                           "); use 'cast'");
  int dynamicDims = 0;
  int64_t staticProduct = 1;
  bool overflow = false;
  for (int64_t d : out.dims()) {
    if (d == kDynamic)
      ++dynamicDims;
    else if (d < 0 || __builtin_mul_overflow(staticProduct, d, &staticProduct))
      overflow = true;
  }
  if (dynamicDims > 1)
    return emitOpError(op, diag,
                       "result type " + out.str() + " has more than one dynamic dimension");
  int64_t n = in.numElements();
  if (overflow || n == kDynamic)
    return true; // checked at run time
  bool fits = dynamicDims == 0 ? staticProduct == n
                               : (staticProduct == 0 ? n == 0 : n % staticProduct == 0);
  if (!fits)
    return emitOpError(op, diag,
                       "cannot reshape " + in.str() + " (" + std::to_string(n) +
                           " elements) to " + out.str());
  return true;
}

bool verifySliceOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::optional<int64_t> axis, start, size;
  bool ok = intAttr(op, diag, "axis", true, axis);
  ok = intAttr(op, diag, "start", true, start) && ok;
  ok = intAttr(op, diag, "size", true, size) && ok;
  if (!ok)
    return false;
  const Type &in = op.operand(0)->type();
  if (!in.isTensor())
    return emitOpError(op, diag, "operand must be a tensor, got " + in.str());
  if (*axis < 0 || *axis >= in.rank())
    return emitOpError(op, diag,
                       "axis " + std::to_string(*axis) + " out of range for " + in.str());
  if (*start < 0 || *size < 0)
    return emitOpError(op, diag,
                       "start (" + std::to_string(*start) + ") and size (" +
                           std::to_string(*size) + ") must be >= 0");
  int64_t d = in.dim(*axis);
  if (d != kDynamic && (*start > d || *size > d - *start))
    return emitOpError(op, diag,
                       "slice [" + std::to_string(*start) + ", " + std::to_string(*start) +
                           " + " + std::to_string(*size) + ") exceeds dimension " +
                           std::to_string(*axis) + " of " + in.str());
  std::vector<int64_t> dims = in.dims();
  dims[size_t(*axis)] = *size;
  return checkResult(op, diag, Type::tensor(in.elem(), std::move(dims)));
}

bool verifyConcatOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  if (op.numOperands() < 1)
    return emitOpError(op, diag, "expects at least one operand");
  std::optional<int64_t> axis;
  if (!intAttr(op, diag, "axis", true, axis))
    return false;
  const Type &first = op.operand(0)->type();
  if (!first.isTensor())
    return emitOpError(op, diag, "operand #0 must be a tensor, got " + first.str());
  if (*axis < 0 || *axis >= first.rank())
    return emitOpError(op, diag,
                       "axis " + std::to_string(*axis) + " out of range for " + first.str());
  std::vector<int64_t> dims = first.dims();
  for (unsigned i = 1; i < op.numOperands(); ++i) {
    const Type &t = op.operand(i)->type();
    if (!t.isTensor() || t.elem() != first.elem() || t.rank() != first.rank())
      return emitOpError(op, diag,
                         "operand #" + std::to_string(i) + " type " + t.str() +
                             " does not match operand #0 type " + first.str() +
                             " in rank and element type");
    for (int64_t k = 0; k < first.rank(); ++k) {
      int64_t &acc = dims[size_t(k)];
      int64_t d = t.dim(k);
      if (k == *axis) {
        acc = (acc == kDynamic || d == kDynamic) ? kDynamic : acc + d;
      } else if (!dimsCompatible(acc, d)) {
        return emitOpError(op, diag,
                           "operand #" + std::to_string(i) + " type " + t.str() +
                               " differs from operand #0 type " + first.str() +
                               " in dimension " + std::to_string(k) + " (not the axis)");
      } else if (acc == kDynamic) {
        acc = d;
      }
    }
  }
  return checkResult(op, diag, Type::tensor(first.elem(), std::move(dims)));
}

bool verifyDimOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  std::optional<int64_t> axis;
  if (!intAttr(op, diag, "axis", true, axis))
    return false;
  const Type &in = op.operand(0)->type();
  if (!in.isNumeric() || *axis < 0 || *axis >= in.rank())
    return emitOpError(op, diag,
                       "axis " + std::to_string(*axis) + " out of range for " + in.str());
  if (op.result()->type() != Type::i64())
    return emitOpError(op, diag, "result must be i64, got " + op.result()->type().str());
  return true;
}

bool verifyRandomOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool bernoulli = op.is(OpKind::RandomBernoulli);
  if (!bernoulli && op.numOperands() > 1)
    return emitOpError(op, diag,
                       "expects 0 or 1 operands, got " + std::to_string(op.numOperands()));
  std::optional<int64_t> seed, stream;
  bool ok = intAttr(op, diag, "seed", true, seed);
  ok = intAttr(op, diag, "stream", true, stream) && ok;
  if (!requireNumericResult(op, diag))
    return false;
  const Type &out = op.result()->type();
  if (!isFloat(out.elem()))
    return emitOpError(op, diag, "result must have element type f32 or f64, got " + out.str());
  if (op.numOperands() == 0)
    return ok;
  if (!requireNumericOperand(op, diag, 0))
    return false;
  const Type &in = op.operand(0)->type();
  if (bernoulli) {
    if (!isFloat(in.elem()))
      return emitOpError(op, diag,
                         "probabilities must have element type f32 or f64, got " + in.str());
    if (!typesCompatible(in, out))
      return emitOpError(op, diag,
                         "result type " + out.str() + " must equal the operand type " + in.str());
    return ok;
  }
  // The operand only gives the shape; its element type does not matter.
  if (!typesCompatible(in.withElem(out.elem()), out))
    return emitOpError(op, diag,
                       "result shape " + out.str() + " does not match the operand shape " +
                           in.str());
  return ok;
}

// ---- fusion ---------------------------------------------------------------------

bool verifyFusedOp(const Operation &op, DiagnosticEngine &diag) {
  if (!hasTableShape(op))
    return false;
  bool ok = symbolAttr(op, diag, "name");
  const Region &body = op.region(0);
  if (body.numArguments() != op.numOperands()) {
    ok = emitOpError(op, diag,
                     "region has " + std::to_string(body.numArguments()) +
                         " arguments but the op has " + std::to_string(op.numOperands()) +
                         " operands");
  } else {
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Type &a = body.argument(i)->type(), &o = op.operand(i)->type();
      if (!typesCompatible(a, o))
        ok = emitOpError(op, diag,
                         "region argument #" + std::to_string(i) + " has type " + a.str() +
                             " but operand #" + std::to_string(i) + " has type " + o.str());
    }
  }
  // Fusion legality: only what codegen can compile into one function.
  for (const auto &inner : body.ops()) {
    const Operation &in = *inner;
    bool allowed = in.has(kTensorMath) || in.is(OpKind::StateLoad) ||
                   in.is(OpKind::StateStore) || in.is(OpKind::ComponentRef) ||
                   in.is(OpKind::Yield);
    if (!allowed)
      ok = emitOpError(in, diag,
                       "cannot appear inside 'fused' (only tensor math, state_load, "
                       "state_store and component_ref)");
  }
  return ok;
}

} // namespace kiln::ir
