// Kernel lowering: `kernel name(params) { ... }` bodies to funcs of tensor
// ops (attribute kernel = true).
//
// Rules (docs/notation.md has the user's view):
//   - numbers take the element type of what they meet (f32 by default);
//     integers (rows(x), i64 values) meeting floats are cast to the float;
//   - `a.T @ b` / `a @ b.T` fold the transposes into matmul's flags;
//   - shapes are checked with ir/ShapeInference.h; `?` dims pass and are
//     checked at run time;
//   - state: `p.F` is state_load, `p.F op= e` is state_load/op/state_store.
//     A kernel may write only components passed to it as parameters (its
//     effects are then visible at every call site), and a read-only method
//     of a component type may not write at all;
//   - random draws get seed = the seed of the kernel's component (self, or
//     the component bound to its first component parameter) and a fresh
//     stream number each; a kernel's further instances (one per distinct
//     field types of its component arguments) reuse the first's streams;
//   - `grad(loss, [x, c.F])` emits the adjoint ops after the loss's
//     (frontend/Grad.h); `softmax`, `log_softmax` and `keepdims=true`
//     expand into reductions, reshapes and elementwise ops.
#include <algorithm>
#include <map>
#include <unordered_set>

#include "frontend/Grad.h"
#include "frontend/LoweringContext.h"
#include "frontend/Parser.h"
#include "frontend/ProgramPrinter.h"
#include "ir/ShapeInference.h"
#include "ir/Support.h"

namespace kiln::frontend::detail {

using ir::ElemType;
using ir::OpKind;
using ir::Type;
using ir::Value;

class KernelLowerer {
public:
  KernelLowerer(LoweringContext &ctx, ir::Builder &b, const KernelDef &k)
      : ctx_(ctx), b_(b), k_(k) {}

  std::map<std::string, KValue> env;
  int64_t seed = 0;
  bool readOnly = false;
  /// Set for a kernel's second and later instances: the streams of the
  /// first, so the instances draw from the same streams, as one func did.
  std::optional<int64_t> streamCursor;

  bool lowerBody(ir::Operation *func) {
    std::vector<Type> results;
    bool returned = false;
    for (size_t i = 0; i < k_.body.size(); ++i) {
      const Stmt &s = k_.body[i];
      b_.setLoc(s.loc);
      if (s.kind == Stmt::Kind::Return) {
        if (i + 1 != k_.body.size())
          return ctx_.error(s.loc, "return must be the last statement of kernel " + k_.name);
        std::vector<Value *> vals;
        for (const Expr &e : s.values) {
          auto v = eval(e);
          if (!v)
            return false;
          if (v->kind == KValue::Kind::Handle)
            return ctx_.error(e.loc, "a kernel cannot return a component");
          Value *x = materialize(*v, ElemType::F32, e.loc);
          results.push_back(x->type());
          vals.push_back(x);
        }
        b_.setLoc(s.loc);
        b_.ret(vals);
        returned = true;
        continue;
      }
      if (s.kind == Stmt::Kind::Assign) {
        std::vector<std::string> names = {s.name};
        names.insert(names.end(), s.moreNames.begin(), s.moreNames.end());
        for (const std::string &n : names) {
          auto p = env.find(n);
          if (p != env.end() && p->second.kind == KValue::Kind::Handle)
            return ctx_.error(s.loc, "cannot assign to component '" + n + "'");
        }
        if (names.size() > 1) {
          const Expr &e = s.values.at(0);
          if (e.kind != Expr::Kind::Call || e.name != "grad")
            return ctx_.error(e.loc, "only grad(...) gives several values; assign one name");
          auto gs = grad(e, names.size());
          if (!gs)
            return false;
          for (size_t j = 0; j < names.size(); ++j)
            env[names[j]] = val((*gs)[j]);
          continue;
        }
        auto v = eval(s.values.at(0));
        if (!v)
          return false;
        if (v->kind == KValue::Kind::Handle)
          return ctx_.error(s.values[0].loc, "cannot bind a component to a local name");
        env[s.name] = *v;
        continue;
      }
      if (!lowerUpdate(s))
        return false;
    }
    if (!returned) {
      b_.setLoc(k_.loc);
      b_.ret();
    }
    ir::Attribute::Array rt;
    for (const Type &t : results)
      rt.push_back(ir::Attribute::type(t));
    func->setAttr("result_types", ir::Attribute::array(std::move(rt)));
    return !ctx_.failed();
  }

private:
  int64_t nextStream() { return streamCursor ? (*streamCursor)++ : ctx_.nextStream_++; }

  bool lowerUpdate(const Stmt &s) {
    auto t = lookupName(s.name, s.loc);
    if (!t)
      return false;
    if (t->kind != KValue::Kind::Handle)
      return ctx_.error(s.loc, "'" + s.name + "' is not a component; only component state can "
                               "be updated with '" + s.op + "'");
    if (readOnly)
      return ctx_.error(s.loc, "kernel " + k_.name + " may not write state: the method is "
                               "read-only");
    if (!t->writable)
      return ctx_.error(s.loc, "kernel " + k_.name + " may not write " + s.name + "." + s.field +
                               ": only components passed as parameters can be written");
    const ir::StateFieldSchema *f = field(*t, s.field, s.loc);
    if (!f)
      return false;
    auto rhs = eval(s.values.at(0));
    if (!rhs)
      return false;
    if (rhs->kind == KValue::Kind::Handle)
      return ctx_.error(s.values[0].loc, "cannot store a component into " + s.name + "." + s.field);
    b_.setLoc(s.loc);
    Value *nv;
    if (s.op == "=") {
      if (rhs->kind == KValue::Kind::Number) {
        if (!f->type.hasStaticShape())
          return ctx_.error(s.loc, "cannot fill " + s.name + "." + s.field + " of type " +
                                       f->type.str() + " with a number: its shape is dynamic");
        nv = b_.constant(rhs->number, f->type);
      } else {
        nv = rhs->value;
      }
    } else {
      KValue cur;
      cur.value = b_.stateLoad(t->value, s.field, f->type);
      std::string op = s.op.substr(0, 1);
      auto r = binary(op, cur, *rhs, s.loc);
      if (!r)
        return false;
      nv = r->value;
    }
    if (nv->type().isNumeric() && f->type.isNumeric() && isFloat(f->type.elem()) &&
        !isFloat(nv->type().elem()))
      nv = b_.cast(nv, f->type.elem());
    if (!ir::typesCompatible(nv->type(), f->type))
      return ctx_.error(s.loc, "cannot store " + nv->type().str() + " into " + s.name + "." +
                                   s.field + " of type " + f->type.str());
    b_.setLoc(s.loc);
    b_.stateStore(t->value, s.field, nv);
    return true;
  }

  const ir::StateFieldSchema *field(const KValue &h, const std::string &name,
                                    const SourceLoc &loc) {
    if (h.fields)
      for (const ir::StateFieldSchema &f : *h.fields)
        if (f.name == name)
          return &f;
    ctx_.error(loc, h.typeName + " has no state field '" + name + "'");
    return nullptr;
  }

  std::optional<KValue> lookupName(const std::string &name, const SourceLoc &loc) {
    auto it = env.find(name);
    if (it != env.end())
      return it->second;
    auto c = ctx_.components_.find(name);
    if (c != ctx_.components_.end()) {
      // A global component: readable by any kernel, written only through
      // parameters.
      KValue h;
      h.kind = KValue::Kind::Handle;
      h.typeName = c->second.schema.typeName;
      h.fields = &c->second.schema.fields;
      h.writable = false;
      h.label = name;
      h.value = b_.componentRef(name, h.typeName);
      env[name] = h;
      return h;
    }
    if (const Decl *d = ctx_.prog_.lookup(name); d && d->kind == Decl::Kind::Constant &&
                                                 d->value.isNumber()) {
      KValue n;
      n.kind = KValue::Kind::Number;
      n.number = d->value.number();
      n.isInt = d->value.kind == Literal::Kind::Int;
      return n;
    }
    ctx_.error(loc, "unknown name '" + name + "' in kernel " + k_.name);
    return std::nullopt;
  }

  /// A number becomes a scalar constant of `elem`.
  Value *materialize(const KValue &v, ElemType elem, const SourceLoc &loc) {
    if (v.kind != KValue::Kind::Number)
      return v.value;
    b_.setLoc(loc);
    return b_.constant(v.number, Type::scalar(elem));
  }

  std::optional<KValue> tensorValue(const KValue &v, const SourceLoc &loc, std::string_view what) {
    if (v.kind == KValue::Kind::Handle) {
      ctx_.error(loc, "component '" + v.label + "' used as a tensor in " + std::string(what) +
                          "; read a field, e.g. " + v.label + ".<field>");
      return std::nullopt;
    }
    return v;
  }

  static KValue val(Value *v) {
    KValue k;
    k.value = v;
    return k;
  }

  /// Brings two values to one element type: numbers adopt the other side's;
  /// integers meeting floats are cast.
  bool unify(Value *&a, Value *&b, const SourceLoc &loc, std::string_view op) {
    ElemType ea = a->type().elem(), eb = b->type().elem();
    if (ea == eb)
      return true;
    b_.setLoc(loc);
    if (isFloat(ea) && !isFloat(eb)) {
      b = b_.cast(b, ea);
      return true;
    }
    if (isFloat(eb) && !isFloat(ea)) {
      a = b_.cast(a, eb);
      return true;
    }
    if (!isFloat(ea) && !isFloat(eb)) { // i1 meets i64
      if (ea == ElemType::I1)
        a = b_.cast(a, eb);
      else
        b = b_.cast(b, ea);
      return true;
    }
    return ctx_.error(loc, "element types differ in '" + std::string(op) + "': " +
                               a->type().str() + " and " + b->type().str() +
                               "; convert with f32(x) or f64(x)");
  }

  std::optional<KValue> binary(const std::string &op, KValue a, KValue b, const SourceLoc &loc) {
    if (!tensorValue(a, loc, "'" + op + "'") || !tensorValue(b, loc, "'" + op + "'"))
      return std::nullopt;
    static const std::map<std::string, OpKind> kinds = {
        {"+", OpKind::Add}, {"-", OpKind::Sub}, {"*", OpKind::Mul}, {"/", OpKind::Div},
        {"==", OpKind::Eq}, {"!=", OpKind::Ne}, {"<", OpKind::Lt},  {"<=", OpKind::Le},
        {">", OpKind::Gt},  {">=", OpKind::Ge}};
    auto kind = kinds.find(op);
    KILN_ASSERT(kind != kinds.end(), "unknown binary operator");
    if (a.kind == KValue::Kind::Number && b.kind == KValue::Kind::Number &&
        (op == "+" || op == "-" || op == "*" || (op == "/" && b.number != 0))) {
      KValue r;
      r.kind = KValue::Kind::Number;
      r.isInt = a.isInt && b.isInt && op != "/";
      r.number = op == "+" ? a.number + b.number
                 : op == "-" ? a.number - b.number
                 : op == "*" ? a.number * b.number
                             : a.number / b.number;
      return r;
    }
    ElemType ea = a.kind == KValue::Kind::Value ? a.value->type().elem() : ElemType::F32;
    ElemType eb = b.kind == KValue::Kind::Value ? b.value->type().elem() : ElemType::F32;
    // A number meeting an integer value stays an integer only if it is one.
    if (a.kind == KValue::Kind::Number)
      ea = (!isFloat(eb) && a.isInt) ? eb : (isFloat(eb) ? eb : ElemType::F32);
    if (b.kind == KValue::Kind::Number)
      eb = (!isFloat(ea) && b.isInt) ? ea : (isFloat(ea) ? ea : ElemType::F32);
    Value *x = materialize(a, ea, loc), *y = materialize(b, eb, loc);
    if (!unify(x, y, loc, op))
      return std::nullopt;
    std::string why;
    if (!ir::broadcastTypes(x->type(), y->type(), &why)) {
      ctx_.error(loc, "shape mismatch in '" + op + "': " + why);
      return std::nullopt;
    }
    b_.setLoc(loc);
    return val(b_.binary(kind->second, x, y));
  }

  std::optional<KValue> matmul(const Expr &e) {
    bool ta = false, tb = false;
    const Expr *lhs = &e.args[0], *rhs = &e.args[1];
    if (lhs->kind == Expr::Kind::Field && lhs->name == "T") {
      ta = true;
      lhs = &lhs->args[0];
    }
    if (rhs->kind == Expr::Kind::Field && rhs->name == "T") {
      tb = true;
      rhs = &rhs->args[0];
    }
    auto a = eval(*lhs);
    if (!a)
      return std::nullopt;
    auto b = eval(*rhs);
    if (!b || !tensorValue(*a, e.loc, "'@'") || !tensorValue(*b, e.loc, "'@'"))
      return std::nullopt;
    if (a->kind == KValue::Kind::Number || b->kind == KValue::Kind::Number) {
      ctx_.error(e.loc, "'@' needs two matrices; use '*' to scale by a number");
      return std::nullopt;
    }
    Value *x = a->value, *y = b->value;
    if (!unify(x, y, e.loc, "@"))
      return std::nullopt;
    std::string why;
    if (!ir::matmulType(x->type(), y->type(), ta, tb, &why)) {
      ctx_.error(e.loc, "shape mismatch in '@': " + why);
      return std::nullopt;
    }
    b_.setLoc(e.loc);
    return val(b_.matmul(x, y, ta, tb));
  }

  std::optional<int64_t> intArg(const Expr &e, std::string_view what) {
    auto v = eval(e);
    if (!v)
      return std::nullopt;
    if (v->kind != KValue::Kind::Number || !v->isInt) {
      ctx_.error(e.loc, std::string(what) + " must be an integer literal");
      return std::nullopt;
    }
    return static_cast<int64_t>(v->number);
  }

  std::optional<KValue> call(const Expr &e) {
    const std::string &f = e.name;
    auto arity = [&](size_t n) {
      if (e.args.size() == n)
        return true;
      ctx_.error(e.loc, f + " takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") +
                            ", got " + std::to_string(e.args.size()));
      return false;
    };
    auto noKwargs = [&](std::initializer_list<std::string_view> allowed) {
      for (const auto &[k, v] : e.kwargs) {
        bool ok = false;
        for (std::string_view a : allowed)
          ok = ok || a == k;
        if (!ok) {
          ctx_.error(v.loc, "unknown keyword argument '" + k + "' for " + f);
          return false;
        }
      }
      return true;
    };
    auto arg = [&](size_t i) -> std::optional<KValue> {
      auto v = eval(e.args[i]);
      if (!v || !tensorValue(*v, e.args[i].loc, f))
        return std::nullopt;
      return v;
    };
    auto floatArg = [&](size_t i) -> Value * {
      auto v = arg(i);
      if (!v)
        return nullptr;
      Value *x = materialize(*v, ElemType::F32, e.args[i].loc);
      if (!isFloat(x->type().elem())) {
        b_.setLoc(e.loc);
        x = b_.cast(x, ElemType::F32);
      }
      return x;
    };
    static const std::map<std::string, OpKind> unaryFloat = {
        {"exp", OpKind::Exp},       {"log", OpKind::Log},   {"sqrt", OpKind::Sqrt},
        {"sigmoid", OpKind::Sigmoid}, {"tanh", OpKind::Tanh}};
    static const std::map<std::string, OpKind> unaryAny = {{"abs", OpKind::Abs},
                                                           {"relu", OpKind::Relu}};
    if (auto u = unaryFloat.find(f); u != unaryFloat.end()) {
      if (!noKwargs({}) || !arity(1))
        return std::nullopt;
      Value *x = floatArg(0);
      if (!x)
        return std::nullopt;
      b_.setLoc(e.loc);
      return val(b_.unary(u->second, x));
    }
    if (auto u = unaryAny.find(f); u != unaryAny.end()) {
      if (!noKwargs({}) || !arity(1))
        return std::nullopt;
      auto v = arg(0);
      if (!v)
        return std::nullopt;
      Value *x = materialize(*v, ElemType::F32, e.args[0].loc);
      b_.setLoc(e.loc);
      return val(b_.unary(u->second, x));
    }
    static const std::map<std::string, OpKind> reductions = {
        {"sum", OpKind::ReduceSum}, {"mean", OpKind::ReduceMean}, {"max", OpKind::ReduceMax},
        {"min", OpKind::ReduceMin}, {"argmax", OpKind::ReduceArgmax}};
    if ((f == "max" || f == "min" || f == "pow") && e.args.size() == 2) {
      if (!noKwargs({}))
        return std::nullopt;
      auto a = arg(0);
      if (!a)
        return std::nullopt;
      auto b = arg(1);
      if (!b)
        return std::nullopt;
      Value *x = materialize(*a, b->kind == KValue::Kind::Value ? b->value->type().elem()
                                                                : ElemType::F32,
                             e.loc);
      Value *y = materialize(*b, x->type().elem(), e.loc);
      if (!unify(x, y, e.loc, f))
        return std::nullopt;
      if (f == "pow" && !isFloat(x->type().elem())) {
        b_.setLoc(e.loc);
        x = b_.cast(x, ElemType::F32);
        y = b_.cast(y, ElemType::F32);
      }
      std::string why;
      if (!ir::broadcastTypes(x->type(), y->type(), &why)) {
        ctx_.error(e.loc, "shape mismatch in " + f + ": " + why);
        return std::nullopt;
      }
      b_.setLoc(e.loc);
      return val(b_.binary(f == "max" ? OpKind::Max : f == "min" ? OpKind::Min : OpKind::Pow, x, y));
    }
    if (auto r = reductions.find(f); r != reductions.end()) {
      if (!noKwargs({"axis", "keepdims"}) || !arity(1))
        return std::nullopt;
      auto v = arg(0);
      if (!v)
        return std::nullopt;
      Value *x = materialize(*v, ElemType::F32, e.args[0].loc);
      std::optional<int64_t> axis;
      bool keepdims = false;
      if (!reductionKwargs(e, x, axis, keepdims))
        return std::nullopt;
      return reduce(r->second, x, axis, keepdims, e.loc, f);
    }
    if (f == "softmax" || f == "log_softmax") {
      if (!noKwargs({"axis"}) || !arity(1))
        return std::nullopt;
      Value *x = floatArg(0);
      if (!x)
        return std::nullopt;
      std::optional<int64_t> axis;
      bool keepdims = true;
      if (!reductionKwargs(e, x, axis, keepdims))
        return std::nullopt;
      if (!axis && x->type().rank() > 0)
        axis = x->type().rank() - 1; // the last axis by default
      // Stable: exp(x - max) never overflows. The max is a constant for
      // grad (its gradient cancels out), which keeps the adjoint short.
      auto m = reduce(OpKind::ReduceMax, x, axis, true, e.loc, f);
      if (!m)
        return std::nullopt;
      noGrad_.insert(m->value);
      b_.setLoc(e.loc);
      Value *shifted = b_.binary(OpKind::Sub, x, m->value);
      Value *ex = b_.unary(OpKind::Exp, shifted);
      auto total = reduce(OpKind::ReduceSum, ex, axis, true, e.loc, f);
      if (!total)
        return std::nullopt;
      b_.setLoc(e.loc);
      if (f == "softmax")
        return val(b_.binary(OpKind::Div, ex, total->value));
      return val(b_.binary(OpKind::Sub, shifted, b_.unary(OpKind::Log, total->value)));
    }
    if (f == "grad") {
      auto gs = grad(e, 1);
      if (!gs)
        return std::nullopt;
      return val(gs->at(0));
    }
    if (f == "rows" || f == "cols") {
      if (!noKwargs({}) || !arity(1))
        return std::nullopt;
      auto v = arg(0);
      if (!v)
        return std::nullopt;
      if (v->kind != KValue::Kind::Value || v->value->type().rank() < (f == "rows" ? 1 : 2)) {
        ctx_.error(e.loc, f + " needs a tensor of rank " + (f == "rows" ? "1" : "2") +
                              " or more");
        return std::nullopt;
      }
      b_.setLoc(e.loc);
      return val(b_.dim(v->value, f == "rows" ? 0 : 1));
    }
    if (f == "transpose") {
      if (!noKwargs({}) || !arity(1))
        return std::nullopt;
      auto v = arg(0);
      if (!v)
        return std::nullopt;
      return transpose(*v, e.loc);
    }
    if (f == "f32" || f == "f64" || f == "i64") {
      if (!noKwargs({}) || !arity(1))
        return std::nullopt;
      auto v = arg(0);
      if (!v)
        return std::nullopt;
      ElemType to = *ir::parseElemType(f);
      Value *x = materialize(*v, to, e.loc);
      if (x->type().elem() == to)
        return val(x);
      b_.setLoc(e.loc);
      return val(b_.cast(x, to));
    }
    if (f == "where") {
      if (!noKwargs({}) || !arity(3))
        return std::nullopt;
      auto c = arg(0), a = c ? arg(1) : std::nullopt, b = a ? arg(2) : std::nullopt;
      if (!b)
        return std::nullopt;
      if (c->kind != KValue::Kind::Value || c->value->type().elem() != ElemType::I1) {
        ctx_.error(e.args[0].loc, "where's condition must be a comparison (i1)");
        return std::nullopt;
      }
      Value *x = materialize(*a, b->kind == KValue::Kind::Value ? b->value->type().elem()
                                                                : ElemType::F32,
                             e.loc);
      Value *y = materialize(*b, x->type().elem(), e.loc);
      if (!unify(x, y, e.loc, f))
        return std::nullopt;
      std::string why;
      auto t = ir::broadcastTypes(x->type(), y->type(), &why);
      if (t)
        t = ir::broadcastTypes(c->value->type().withElem(t->elem()), *t, &why);
      if (!t) {
        ctx_.error(e.loc, "shape mismatch in where: " + why);
        return std::nullopt;
      }
      b_.setLoc(e.loc);
      return val(b_.select(c->value, x, y));
    }
    if (f == "uniform" || f == "normal" || f == "bernoulli") {
      if (!noKwargs({}))
        return std::nullopt;
      OpKind kind = f == "uniform"  ? OpKind::RandomUniform
                    : f == "normal" ? OpKind::RandomNormal
                                    : OpKind::RandomBernoulli;
      if (f == "bernoulli") {
        if (!arity(1))
          return std::nullopt;
        Value *p = floatArg(0);
        if (!p)
          return std::nullopt;
        b_.setLoc(e.loc);
        return val(b_.random(kind, p->type(), seed, nextStream(), p));
      }
      if (e.args.size() > 1) {
        ctx_.error(e.loc, f + " takes a shape [d0, d1, ...] or a tensor to take the shape of");
        return std::nullopt;
      }
      if (e.args.empty()) {
        b_.setLoc(e.loc);
        return val(b_.random(kind, Type::f32(), seed, nextStream()));
      }
      if (e.args[0].kind == Expr::Kind::List) {
        std::vector<int64_t> dims;
        for (const Expr &d : e.args[0].args) {
          auto n = intArg(d, "a dimension");
          if (!n)
            return std::nullopt;
          if (*n <= 0) {
            ctx_.error(d.loc, "a dimension must be positive");
            return std::nullopt;
          }
          dims.push_back(*n);
        }
        b_.setLoc(e.loc);
        return val(b_.random(kind, Type::shaped(ElemType::F32, dims), seed, nextStream()));
      }
      auto v = arg(0);
      if (!v)
        return std::nullopt;
      if (v->kind != KValue::Kind::Value || !v->value->type().isTensor()) {
        ctx_.error(e.args[0].loc, f + " takes a shape [d0, d1, ...] or a tensor to take the shape of");
        return std::nullopt;
      }
      Type t = v->value->type();
      if (!isFloat(t.elem()))
        t = t.withElem(ElemType::F32);
      b_.setLoc(e.loc);
      return val(b_.random(kind, t, seed, nextStream(), v->value));
    }
    ctx_.error(e.loc, "unknown function '" + f + "' in kernel " + k_.name);
    return std::nullopt;
  }

  /// axis= (negative counts from the end) and keepdims= of a reduction.
  bool reductionKwargs(const Expr &e, Value *x, std::optional<int64_t> &axis, bool &keepdims) {
    for (const auto &[k, av] : e.kwargs) {
      if (k == "keepdims") {
        bool isBool = av.kind == Expr::Kind::Name &&
                      (av.name == "true" || av.name == "false" || av.name == "True" ||
                       av.name == "False");
        if (!isBool)
          return ctx_.error(av.loc, "keepdims must be true or false");
        keepdims = av.name == "true" || av.name == "True";
        continue;
      }
      axis = intArg(av, "axis");
      if (!axis)
        return false;
      if (*axis < 0)
        *axis += x->type().rank();
    }
    return true;
  }

  /// A reduction; keepdims reshapes the result to x's rank with 1 in the
  /// reduced axes.
  std::optional<KValue> reduce(OpKind kind, Value *x, std::optional<int64_t> axis,
                               bool keepdims, const SourceLoc &loc, const std::string &f) {
    std::string why;
    auto t = ir::reduceType(x->type(), axis, kind == OpKind::ReduceArgmax, &why);
    if (!t) {
      ctx_.error(loc, f + ": " + why);
      return std::nullopt;
    }
    b_.setLoc(loc);
    Value *r = b_.reduce(kind, x, axis);
    if (!keepdims || x->type().rank() == 0)
      return val(r);
    std::vector<int64_t> dims = x->type().dims();
    size_t dynamic = 0;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (!axis || static_cast<int64_t>(i) == *axis)
        dims[i] = 1;
      dynamic += dims[i] == ir::kDynamic;
    }
    if (dynamic > 1) {
      ctx_.error(loc, f + ": keepdims needs a result with at most one '?' dimension, got " +
                          Type::shaped(t->elem(), dims).str());
      return std::nullopt;
    }
    return val(b_.reshape(r, Type::shaped(t->elem(), dims)));
  }

  /// grad(loss, x) or grad(loss, [x1, ..., xn]) with n == `count`: the
  /// gradients of the scalar loss with respect to each x (names of values or
  /// component fields c.F), as tensor ops after the loss's.
  std::optional<std::vector<Value *>> grad(const Expr &e, size_t count) {
    for (const auto &[k, v] : e.kwargs) {
      ctx_.error(v.loc, "unknown keyword argument '" + k + "' for grad");
      return std::nullopt;
    }
    if (e.args.size() != 2) {
      ctx_.error(e.loc, "grad takes 2 arguments (a scalar loss and the list of what to "
                        "differentiate with respect to), got " + std::to_string(e.args.size()));
      return std::nullopt;
    }
    const Expr &wrt = e.args[1];
    std::vector<const Expr *> wrts;
    if (wrt.kind == Expr::Kind::List)
      for (const Expr &w : wrt.args)
        wrts.push_back(&w);
    else
      wrts.push_back(&wrt);
    if (wrts.empty()) {
      ctx_.error(wrt.loc, "grad needs at least one variable to differentiate with respect to");
      return std::nullopt;
    }
    if (wrts.size() != count) {
      ctx_.error(e.loc, count == 1 ? "grad of " + std::to_string(wrts.size()) +
                                         " variables gives " + std::to_string(wrts.size()) +
                                         " values: assign them with 'g1, g2, ... = grad(...)'"
                                   : "grad of " + std::to_string(wrts.size()) + " variable" +
                                         (wrts.size() == 1 ? "" : "s") + " gives as many values, "
                                         "assigned here to " + std::to_string(count) + " names");
      return std::nullopt;
    }
    auto loss = eval(e.args[0]);
    if (!loss || !tensorValue(*loss, e.args[0].loc, "grad"))
      return std::nullopt;
    if (loss->kind == KValue::Kind::Number) {
      ctx_.error(e.args[0].loc, "grad: the loss is a constant number");
      return std::nullopt;
    }
    const Type &lt = loss->value->type();
    if (!lt.isScalar() || !isFloat(lt.elem())) {
      ctx_.error(e.args[0].loc, "grad: the loss must be a float scalar, got " + lt.str() +
                                    " (reduce it, e.g. with sum or mean)");
      return std::nullopt;
    }
    std::vector<GradTarget> targets;
    for (const Expr *w : wrts) {
      GradTarget t;
      if (w->kind == Expr::Kind::Name) {
        auto v = lookupName(w->name, w->loc);
        if (!v)
          return std::nullopt;
        if (v->kind != KValue::Kind::Value) {
          ctx_.error(w->loc, "grad: '" + w->name + "' is " +
                                 (v->kind == KValue::Kind::Handle ? "a component; name one of "
                                                                    "its fields, e.g. " +
                                                                        w->name + ".<field>"
                                                                  : "a number, not a tensor"));
          return std::nullopt;
        }
        t.value = v->value;
      } else if (w->kind == Expr::Kind::Field && w->args.at(0).kind == Expr::Kind::Name &&
                 w->name != "T") {
        auto h = lookupName(w->args[0].name, w->args[0].loc);
        if (!h)
          return std::nullopt;
        if (h->kind != KValue::Kind::Handle) {
          ctx_.error(w->loc, "grad: '" + w->args[0].name + "' is not a component");
          return std::nullopt;
        }
        if (!field(*h, w->name, w->loc))
          return std::nullopt;
        t.handle = h->value;
        t.field = w->name;
      } else {
        ctx_.error(w->loc, "grad differentiates with respect to names of values or component "
                           "fields (x, c.F), not an expression");
        return std::nullopt;
      }
      if (t.value && !(t.value->type().isNumeric() && isFloat(t.value->type().elem()))) {
        ctx_.error(w->loc, "grad: '" + printExpr(*w) + "' is " + t.value->type().str() +
                               "; only float values have gradients");
        return std::nullopt;
      }
      targets.push_back(t);
    }
    b_.setLoc(e.loc);
    GradResult r = emitGradients(b_, loss->value, targets, noGrad_);
    if (r.unreached >= 0) {
      const Expr &w = *wrts[static_cast<size_t>(r.unreached)];
      ctx_.error(w.loc, "grad: the loss does not depend on '" + printExpr(w) + "'");
      return std::nullopt;
    }
    if (!r.error.empty()) {
      ctx_.error(e.loc, r.error);
      return std::nullopt;
    }
    return r.grads;
  }

  std::optional<KValue> transpose(const KValue &v, const SourceLoc &loc) {
    if (v.kind != KValue::Kind::Value) {
      ctx_.error(loc, "'.T' needs a rank-2 tensor");
      return std::nullopt;
    }
    std::string why;
    if (!ir::transposeType(v.value->type(), &why)) {
      ctx_.error(loc, "'.T' needs a rank-2 tensor, got " + v.value->type().str());
      return std::nullopt;
    }
    b_.setLoc(loc);
    return val(b_.transpose(v.value));
  }

public:
  std::optional<KValue> eval(const Expr &e) {
    if (ctx_.failed())
      return std::nullopt;
    if (++depth_ > kMaxNotationNesting) {
      --depth_;
      ctx_.error(e.loc, "expression is nested too deeply");
      return std::nullopt;
    }
    auto r = evalInner(e);
    --depth_;
    return r;
  }

private:
  std::optional<KValue> evalInner(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Number: {
      KValue n;
      n.kind = KValue::Kind::Number;
      n.number = e.number;
      n.isInt = e.isInt;
      return n;
    }
    case Expr::Kind::Name: return lookupName(e.name, e.loc);
    case Expr::Kind::Unary: {
      auto x = eval(e.args.at(0));
      if (!x || !tensorValue(*x, e.loc, "'-'"))
        return std::nullopt;
      if (x->kind == KValue::Kind::Number) {
        x->number = -x->number;
        return x;
      }
      b_.setLoc(e.loc);
      return val(b_.unary(OpKind::Neg, x->value));
    }
    case Expr::Kind::Binary: {
      if (e.op == "@")
        return matmul(e);
      auto a = eval(e.args.at(0));
      if (!a)
        return std::nullopt;
      auto b = eval(e.args.at(1));
      if (!b)
        return std::nullopt;
      return binary(e.op, *a, *b, e.loc);
    }
    case Expr::Kind::Field: {
      auto base = eval(e.args.at(0));
      if (!base)
        return std::nullopt;
      if (base->kind == KValue::Kind::Handle) {
        const ir::StateFieldSchema *f = field(*base, e.name, e.loc);
        if (!f)
          return std::nullopt;
        b_.setLoc(e.loc);
        return val(b_.stateLoad(base->value, e.name, f->type));
      }
      if (e.name == "T")
        return transpose(*base, e.loc);
      ctx_.error(e.loc, "'." + e.name + "' on a value that is not a component (only '.T' applies "
                        "to tensors)");
      return std::nullopt;
    }
    case Expr::Kind::Call: return call(e);
    case Expr::Kind::List:
      ctx_.error(e.loc, "a list is only allowed as the shape argument of uniform/normal");
      return std::nullopt;
    }
    KILN_UNREACHABLE("bad expression kind");
  }

  LoweringContext &ctx_;
  ir::Builder &b_;
  const KernelDef &k_;
  unsigned depth_ = 0;
  std::unordered_set<const Value *> noGrad_; // values grad treats as constants

};

const std::vector<ir::StateFieldSchema> *
LoweringContext::boundFields(const Param &p, const Element &use) {
  for (const KwArg &kw : use.kwargs) {
    if (kw.name != p.name || kw.value.kind != Literal::Kind::Name)
      continue;
    auto c = components_.find(kw.value.s);
    if (c != components_.end() && c->second.schema.typeName == p.type.componentType)
      return &c->second.schema.fields;
  }
  // Not bound to a component of the type: the call reports it
  // (lowerKernelCall); the body is typed from the first declared instance.
  for (const Decl &d : prog_.decls()) {
    auto c = components_.find(d.name);
    if (d.kind == Decl::Kind::Component && c != components_.end() &&
        c->second.schema.typeName == p.type.componentType)
      return &c->second.schema.fields;
  }
  static const std::vector<ir::StateFieldSchema> none;
  return &none;
}

std::string LoweringContext::instanceSymbol(const std::string &base, const KernelDef &k,
                                            size_t first, const Element &use,
                                            std::vector<const FieldList *> &fields) {
  // One func per distinct tuple of the bound components' field types: the
  // first is @base, the next @base.i1, @base.i2, ... in order of first use
  // (".i": a symbol segment must not start with a digit, or it prints quoted).
  std::string key;
  fields.assign(k.params.size(), nullptr);
  for (size_t i = first; i < k.params.size(); ++i) {
    const Param &p = k.params[i];
    if (!p.type.isComponent)
      continue;
    fields[i] = boundFields(p, use);
    key += p.name + "{";
    for (const ir::StateFieldSchema &f : *fields[i])
      key += f.name + ":" + f.type.str() + ";";
    key += "}";
  }
  std::vector<std::string> &keys = instances_[base];
  size_t n = std::find(keys.begin(), keys.end(), key) - keys.begin();
  if (n == keys.size())
    keys.push_back(key);
  return n == 0 ? base : base + ".i" + std::to_string(n);
}

std::optional<int64_t> LoweringContext::instanceStreams(const std::string &base,
                                                       const std::string &symbol) {
  if (symbol == base) {
    firstStreams_[base] = nextStream_;
    return std::nullopt;
  }
  return firstStreams_.at(base);
}

ir::Operation *LoweringContext::userKernel(const KernelDef &k, const Element &use) {
  std::vector<const FieldList *> fields;
  std::string symbol = instanceSymbol(k.name, k, 0, use, fields);
  if (auto it = funcs_.find(symbol); it != funcs_.end())
    return it->second;
  std::vector<std::pair<std::string, Type>> params;
  for (const Param &p : k.params) {
    if (p.type.isComponent && !catalog_.hasComponentType(p.type.componentType)) {
      error(p.loc, "unknown component type '" + p.type.componentType + "'");
      return nullptr;
    }
    params.emplace_back(p.name, p.type.isComponent ? Type::component(p.type.componentType)
                                                   : p.type.type);
  }
  ir::Builder mb = moduleBuilder();
  mb.setLoc(k.loc);
  ir::Operation *func = mb.func(symbol, params, {});
  func->setAttr("kernel", ir::Attribute::boolean(true));
  funcs_[symbol] = func;

  ir::Builder kb(func->region(0));
  KernelLowerer kl(*this, kb, k);
  kl.streamCursor = instanceStreams(k.name, symbol);
  bool seeded = false;
  for (size_t i = 0; i < k.params.size(); ++i) {
    const Param &p = k.params[i];
    KValue v;
    v.value = func->region(0).argument(static_cast<unsigned>(i));
    if (p.type.isComponent) {
      v.kind = KValue::Kind::Handle;
      v.typeName = p.type.componentType;
      v.fields = fields[i];
      v.writable = true;
      v.label = p.name;
      if (!seeded) {
        // The seed of the first declared component of this parameter's type.
        for (const Decl &d : prog_.decls()) {
          auto c = components_.find(d.name);
          if (d.kind == Decl::Kind::Component && c != components_.end() &&
              c->second.schema.typeName == p.type.componentType && c->second.seed) {
            kl.seed = *c->second.seed;
            break;
          }
        }
        seeded = true;
      }
    }
    kl.env[p.name] = v;
  }
  if (!kl.lowerBody(func))
    return nullptr;
  return func;
}

ir::Operation *LoweringContext::builtinKernel(const std::string &comp, const ir::MethodSchema &m,
                                              const Element &use, const KernelDef **def) {
  const SourceLoc &useLoc = use.loc;
  std::string base = comp + "." + m.name;
  ComponentInfo &info = components_.at(comp);
  const std::string &type = info.schema.typeName;
  std::string kernelName = type + "." + m.name;

  auto &src = kernelSources_[comp];
  if (!src) {
    ir::SourceManager &sm = opts_.sources ? *opts_.sources : localSources_;
    ir::DiagnosticEngine kdiag(&sm);
    auto parsed = parseProgram(info.schema.kernelSource, "<" + type + " kernels>", sm, kdiag);
    if (!parsed) {
      error(useLoc, "the kernel source of component type " + type + " does not parse: " +
                        (kdiag.diagnostics().empty() ? std::string("?")
                                                     : kdiag.diagnostics()[0].loc.str() + ": " +
                                                           kdiag.diagnostics()[0].message));
      return nullptr;
    }
    src = std::make_unique<Program>(std::move(*parsed));
  }
  const Decl *d = src->lookup(kernelName);
  if (!d || d->kind != Decl::Kind::Kernel) {
    error(useLoc, "component type " + type + " declares " + m.name +
                      " as a kernel but its kernel source has no 'kernel " + kernelName + "'");
    return nullptr;
  }
  const KernelDef &k = d->kernel;
  if (k.params.empty() || !k.params[0].type.isComponent ||
      k.params[0].type.componentType != type) {
    error(useLoc, "kernel " + kernelName + " must take the component (self: " + type +
                      ") as its first parameter");
    return nullptr;
  }
  *def = &k;
  std::vector<const FieldList *> fields;
  std::string symbol = instanceSymbol(base, k, 1, use, fields);
  if (auto it = funcs_.find(symbol); it != funcs_.end())
    return it->second;

  std::vector<std::pair<std::string, Type>> params;
  for (size_t i = 1; i < k.params.size(); ++i) {
    const Param &p = k.params[i];
    params.emplace_back(p.name, p.type.isComponent ? Type::component(p.type.componentType)
                                                   : p.type.type);
  }
  ir::Builder mb = moduleBuilder();
  mb.setLoc(k.loc);
  ir::Operation *func = mb.func(symbol, params, {});
  func->setAttr("kernel", ir::Attribute::boolean(true));
  funcs_[symbol] = func;

  ir::Builder kb(func->region(0));
  kb.setLoc(k.loc);
  KernelLowerer kl(*this, kb, k);
  kl.streamCursor = instanceStreams(base, symbol);
  kl.seed = info.seed.value_or(0);
  kl.readOnly = m.readOnly;
  KValue self;
  self.kind = KValue::Kind::Handle;
  self.value = kb.componentRef(comp, type);
  self.typeName = type;
  self.fields = &info.schema.fields;
  self.writable = true;
  self.label = k.params[0].name;
  kl.env[k.params[0].name] = self;
  for (size_t i = 1; i < k.params.size(); ++i) {
    const Param &p = k.params[i];
    KValue v;
    v.value = func->region(0).argument(static_cast<unsigned>(i - 1));
    if (p.type.isComponent) {
      v.kind = KValue::Kind::Handle;
      v.typeName = p.type.componentType;
      v.fields = fields[i];
      v.writable = true;
      v.label = p.name;
    }
    kl.env[p.name] = v;
  }
  if (!kl.lowerBody(func))
    return nullptr;
  return func;
}

} // namespace kiln::frontend::detail
