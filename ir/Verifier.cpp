// The generic IR verifier: what holds for every op regardless of its kind.
//
//   1. Counts: operands, results, regions as in ir/Ops.def (where not -1);
//      no null operand; no result of type none; no result or region
//      argument whose static shape exceeds kMaxTensorElements.
//   2. Placement: `module` only at the top; `component` and `func` only
//      directly in a module, which holds nothing else; region arguments only
//      on func and fused regions.
//   3. Terminators: func bodies end with `return` (or are empty:
//      declarations), control-flow and fused regions end with `yield`; a
//      terminator is always the last op of its region.
//   4. Dominance: an operand is defined earlier in the same region or in an
//      enclosing one, never inside a region that has closed, and never outside
//      an isolated op (func, fused, module) it is used in.
//   5. Symbols: unique in the module; call/kernel_call/component_ref resolve.
//   6. The op's own hook (ir/OpVerifiers.cpp) for types and attributes, run
//      only when 1 holds, so hooks may index operands freely.
//
// Every error is reported (not just the first), at the op's location, naming
// the op. Malformed IR built through the C++ API never crashes the verifier.
#include "ir/Verifier.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/OpVerifiers.h"

namespace kiln::ir {

namespace {

std::string str(std::string_view s) { return std::string(s); }

/// Elements of `t`'s static dimensions (`?` counts as 1); numElements
/// saturates rather than overflows.
int64_t staticElementBound(const Type &t) {
  if (t.hasStaticShape())
    return t.numElements();
  std::vector<int64_t> dims = t.dims();
  std::replace(dims.begin(), dims.end(), kDynamic, int64_t(1));
  return Type::tensor(t.elem(), std::move(dims)).numElements();
}

/// Reports `what` (e.g. "result #0") of `op` when its type is too large.
void checkTensorSize(const Operation &op, const Value *v, const std::string &what,
                     DiagnosticEngine &diag) {
  if (v && v->type().isTensor() && staticElementBound(v->type()) > kMaxTensorElements)
    emitOpError(op, diag,
                what + " of type " + v->type().str() +
                    " has more elements than kiln's limit of 2^32 per tensor");
}

void checkTensorSizes(const Operation &op, DiagnosticEngine &diag) {
  for (unsigned i = 0; i < op.numResults(); ++i)
    checkTensorSize(op, op.result(i), "result #" + std::to_string(i), diag);
}

void checkRegionArgumentSizes(const Operation &op, const Region &region, unsigned index,
                              DiagnosticEngine &diag) {
  for (unsigned i = 0; i < region.numArguments(); ++i)
    checkTensorSize(op, region.argument(i),
                    "region #" + std::to_string(index) + " argument #" + std::to_string(i), diag);
}

class VerifierImpl {
public:
  VerifierImpl(const Module &module, DiagnosticEngine &diag) : module_(module), diag_(diag) {}

  void run() {
    collectSymbols();
    verifyOp(module_.op());
  }

private:
  // ---- preparation ----

  void collectSymbols() {
    const Operation &root = module_.op();
    if (root.numRegions() != 1)
      return;
    for (const auto &owned : root.region(0).ops()) {
      const Operation &op = *owned;
      if (!op.has(kSymbol))
        continue;
      std::string_view name = op.symbolAttr("sym_name");
      if (name.empty())
        continue; // the op's hook reports it
      auto [it, inserted] = symbols_.emplace(str(name), &op);
      if (!inserted) {
        emitOpError(op, diag_, "redefinition of symbol " + formatSymbol(name));
        diag_.note(it->second->loc(), "previous definition of " + formatSymbol(name) + " is here");
      }
    }
  }

  // ---- the walk ----

  void verifyOp(const Operation &op) {
    bool shapeOk = verifyCounts(op);
    verifyPlacement(op);
    verifyOperandsDominate(op);
    if (shapeOk) {
      op.info().verify(op, diag_);
      verifySymbolUses(op);
    }
    for (unsigned i = 0; i < op.numRegions(); ++i)
      verifyRegion(op, i);
    // Results become visible only after the op (and its regions).
    for (unsigned i = 0; i < op.numResults(); ++i)
      define(op.result(i));
  }

  void verifyRegion(const Operation &parent, unsigned index) {
    const Region &region = parent.region(index);
    verifyTerminator(parent, index);
    checkRegionArgumentSizes(parent, region, index, diag_);
    if (region.numArguments() != 0 && !parent.is(OpKind::Func) && !parent.is(OpKind::Fused))
      emitOpError(parent, diag_,
                  "region #" + std::to_string(index) + " must not have arguments");

    scopes_.emplace_back();
    size_t savedBarrier = barrier_;
    if (parent.has(kIsolated)) {
      barrier_ = scopes_.size() - 1;
      isolators_.push_back(&parent);
    }
    for (unsigned i = 0; i < region.numArguments(); ++i)
      define(region.argument(i));
    for (const auto &op : region.ops()) {
      if (!op) {
        emitOpError(parent, diag_, "region #" + std::to_string(index) + " holds a null op");
        continue;
      }
      verifyOp(*op);
    }
    for (const Value *v : scopes_.back())
      visible_.erase(v);
    scopes_.pop_back();
    if (parent.has(kIsolated))
      isolators_.pop_back();
    barrier_ = savedBarrier;
  }

  void define(const Value *v) {
    if (scopes_.empty())
      return; // results of the root op: nothing can use them
    visible_[v] = scopes_.size() - 1;
    scopes_.back().push_back(v);
  }

  // ---- 1. counts ----

  bool verifyCounts(const Operation &op) {
    const OpInfo &info = op.info();
    bool ok = true;
    auto check = [&](int expected, unsigned actual, const char *what) {
      if (expected >= 0 && actual != unsigned(expected))
        ok = emitOpError(op, diag_,
                         "expects " + std::to_string(expected) + " " + what + ", got " +
                             std::to_string(actual));
    };
    check(info.numOperands, op.numOperands(), "operands");
    check(info.numResults, op.numResults(), "results");
    check(info.numRegions, op.numRegions(), "regions");
    for (unsigned i = 0; i < op.numOperands(); ++i)
      if (!op.operand(i))
        ok = emitOpError(op, diag_, "operand #" + std::to_string(i) + " is null");
    for (unsigned i = 0; i < op.numResults(); ++i)
      if (op.result(i)->type().isNone())
        emitOpError(op, diag_, "result #" + std::to_string(i) + " has type none");
    checkTensorSizes(op, diag_);
    return ok;
  }

  // ---- 2. placement ----

  void verifyPlacement(const Operation &op) {
    const Operation *parent = op.parentOp();
    bool isRoot = &op == &module_.op();
    if (op.is(OpKind::Module)) {
      if (!isRoot)
        emitOpError(op, diag_, "must be the top-level op");
      return;
    }
    if (isRoot) {
      emitOpError(op, diag_, "cannot be the top-level op (expects 'module')");
      return;
    }
    bool inModuleBody = parent && parent->is(OpKind::Module);
    bool moduleLevelKind = op.is(OpKind::Func) || op.is(OpKind::Component);
    if (moduleLevelKind && !inModuleBody)
      emitOpError(op, diag_, "must appear directly in a module");
    else if (!moduleLevelKind && inModuleBody)
      emitOpError(op, diag_,
                  "cannot appear directly in a module (a module holds only 'component' "
                  "and 'func' ops)");
  }

  // ---- 3. terminators ----

  void verifyTerminator(const Operation &parent, unsigned index) {
    const Region &region = parent.region(index);
    // Terminators anywhere but last.
    const Operation *last = region.back();
    for (const auto &op : region.ops())
      if (op && op.get() != last && op->has(kTerminator))
        emitOpError(*op, diag_, "must be the last op in its region");

    std::string_view expected;
    if (parent.is(OpKind::Func)) {
      if (region.empty())
        return; // a declaration; the func hook requires native = true
      expected = "return";
    } else if (parent.has(kControlFlow) || parent.is(OpKind::Fused)) {
      expected = "yield";
    } else {
      return; // module: no terminator
    }
    if (!last || last->name() != expected)
      emitOpError(parent, diag_,
                  "region #" + std::to_string(index) + " must end with '" + str(expected) +
                      "'" + (last ? ", found '" + str(last->name()) + "'" : std::string()));
  }

  // ---- 4. dominance and isolation ----

  void verifyOperandsDominate(const Operation &op) {
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Value *v = op.operand(i);
      if (!v)
        continue; // reported by verifyCounts
      auto it = visible_.find(v);
      if (it != visible_.end() && it->second >= barrier_)
        continue;
      std::string which = "operand #" + std::to_string(i);
      if (!definedInModule(v)) {
        emitOpError(op, diag_, which + " is not defined in this module");
        continue;
      }
      const Operation *isolator = isolators_.empty() ? nullptr : isolators_.back();
      if (isolator && !definedInside(v, isolator)) {
        emitOpError(op, diag_,
                    which + " uses a value defined outside the isolated '" +
                        str(isolator->name()) + "' op it is used in");
        continue;
      }
      emitOpError(op, diag_, which + " does not dominate this use");
      noteDefinition(v);
    }
  }

  /// The op that introduces v: its defining op, or the op owning the region
  /// it is an argument of.
  static const Operation *owner(const Value *v) {
    if (v->definingOp())
      return v->definingOp();
    return v->ownerRegion() ? v->ownerRegion()->parentOp() : nullptr;
  }

  /// Whether v belongs to this module at all (and not, say, to a clone).
  bool definedInModule(const Value *v) const {
    const Operation *o = owner(v);
    return o && (o == &module_.op() || o->isInside(&module_.op()));
  }

  static bool definedInside(const Value *v, const Operation *scope) {
    const Operation *o = owner(v);
    if (!o)
      return false;
    // A result of `scope` itself is outside it; an argument of its region is inside.
    if (o == scope)
      return v->isRegionArgument();
    return o->isInside(scope);
  }

  void noteDefinition(const Value *v) {
    const Operation *def = owner(v);
    if (def && def->loc().known())
      diag_.note(def->loc(), v->definingOp() ? "operand defined here"
                                             : "operand is an argument of this op's region");
  }

  // ---- 5. symbol uses ----

  const Operation *lookup(std::string_view name) const {
    auto it = symbols_.find(str(name));
    return it == symbols_.end() ? nullptr : it->second;
  }

  void verifySymbolUses(const Operation &op) {
    if (op.is(OpKind::Call) || op.is(OpKind::KernelCall))
      verifyCallee(op);
    else if (op.is(OpKind::ComponentRef))
      verifyComponentRef(op);
  }

  void verifyCallee(const Operation &op) {
    const Attribute *a = op.attr("callee");
    if (!a || !a->isSymbol() || a->getSymbol().name.empty())
      return; // the hook reports it
    const SymbolRef &callee = a->getSymbol();
    std::string sym = formatSymbol(callee.name);
    const Operation *target = lookup(callee.name);
    bool kernelCall = op.is(OpKind::KernelCall);

    if (target && target->is(OpKind::Func)) {
      if (kernelCall && !target->boolAttr("kernel")) {
        emitOpError(op, diag_, "callee " + sym + " is not a kernel (needs attribute kernel = true)");
        return;
      }
      // Natives may be variadic and any-typed: nothing to check.
      if (isFuncDeclaration(*target) && target->boolAttr("native"))
        return;
      verifyCallSignature(op, *target, sym);
      return;
    }
    if (target) { // a component
      emitOpError(op, diag_, "callee " + sym + " is a component, not a function");
      return;
    }
    if (!kernelCall && !callee.leaf().empty()) {
      const Operation *root = lookup(callee.root());
      // Methods are checked by the frontend against the component catalog.
      if (root && root->is(OpKind::Component))
        return;
    }
    emitOpError(op, diag_, "call to undefined symbol " + sym);
  }

  void verifyCallSignature(const Operation &op, const Operation &func, const std::string &sym) {
    if (func.numRegions() != 1)
      return; // the func's own checks report it
    const Region &body = func.region(0);
    if (op.numOperands() != body.numArguments()) {
      emitOpError(op, diag_,
                  "passes " + std::to_string(op.numOperands()) + " arguments but " + sym +
                      " takes " + std::to_string(body.numArguments()));
    } else {
      for (unsigned i = 0; i < op.numOperands(); ++i) {
        const Type &actual = op.operand(i)->type(), &expected = body.argument(i)->type();
        if (!typesCompatible(actual, expected))
          emitOpError(op, diag_,
                      "argument #" + std::to_string(i) + " has type " + actual.str() + " but " +
                          sym + " expects " + expected.str());
      }
    }
    std::vector<Type> results = funcResultTypes(func);
    if (op.numResults() != results.size()) {
      emitOpError(op, diag_,
                  "has " + std::to_string(op.numResults()) + " results but " + sym + " returns " +
                      std::to_string(results.size()) + " values");
      return;
    }
    for (unsigned i = 0; i < results.size(); ++i) {
      const Type &actual = op.result(i)->type();
      if (!typesCompatible(actual, results[i]))
        emitOpError(op, diag_,
                    "result #" + std::to_string(i) + " has type " + actual.str() + " but " + sym +
                        " returns " + results[i].str());
    }
  }

  void verifyComponentRef(const Operation &op) {
    std::string_view name = op.symbolAttr("component");
    if (name.empty())
      return; // the hook reports it
    const Operation *target = lookup(name);
    if (!target || !target->is(OpKind::Component)) {
      emitOpError(op, diag_, formatSymbol(name) + " does not name a component");
      return;
    }
    const Type &t = op.result()->type();
    std::string_view typeName = target->stringAttr("type_name");
    if (t.isComponent() && t.componentName() != typeName)
      emitOpError(op, diag_,
                  "result type " + t.str() + " does not match component " + formatSymbol(name) +
                      " of type " + str(typeName));
  }

  const Module &module_;
  DiagnosticEngine &diag_;
  std::unordered_map<std::string, const Operation *> symbols_;
  // Visible values, each with the index of the scope (region nesting level)
  // that defines it; values of scopes below barrier_ are outside the
  // innermost isolated op.
  std::unordered_map<const Value *, size_t> visible_;
  std::vector<std::vector<const Value *>> scopes_;
  size_t barrier_ = 0;
  std::vector<const Operation *> isolators_;
};

} // namespace

bool verifyModule(const Module &module, DiagnosticEngine &diag) {
  unsigned before = diag.numErrors();
  VerifierImpl(module, diag).run();
  return diag.numErrors() == before;
}

namespace {
void walkTensorSizes(const Operation &op, DiagnosticEngine &diag) {
  checkTensorSizes(op, diag);
  for (unsigned r = 0; r < op.numRegions(); ++r) {
    const Region &region = op.region(r);
    checkRegionArgumentSizes(op, region, r, diag);
    for (const auto &nested : region.ops())
      if (nested)
        walkTensorSizes(*nested, diag);
  }
}
} // namespace

bool verifyTensorSizes(const Module &module, DiagnosticEngine &diag) {
  unsigned before = diag.numErrors();
  walkTensorSizes(module.op(), diag);
  return diag.numErrors() == before;
}

} // namespace kiln::ir
