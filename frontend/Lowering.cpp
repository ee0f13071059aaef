// Program lowering: declarations and control-flow elements to IR (see
// Lowering.h). Kernel bodies are lowered in KernelLowering.cpp.
//
// The "last value" of the seed (what FILT receives, what BUFFER_REPEAT
// stacks, what SWITCH selects on) is threaded through lowerElement as an SSA
// value: each element takes the last value before it and returns the last
// value after it. An element that produces nothing (a call without results,
// LOOP, WEAVE, ...) leaves the last value as it was, so a hook such as
// `after CALL(dataset.next): CALL(print)` does not change what flows on.
#include "frontend/Lowering.h"

#include <algorithm>
#include <filesystem>

#include "frontend/LoweringContext.h"
#include "frontend/ProgramPrinter.h"
#include "ir/ShapeInference.h"
#include "ir/Support.h"

namespace kiln::frontend {

namespace detail {

using ir::Attribute;
using ir::Type;
using ir::Value;

std::unique_ptr<ir::Module> LoweringContext::run() {
  std::string entry = opts_.entry.empty() ? prog_.entry() : opts_.entry;
  SourceLoc fileLoc = prog_.source();
  if (!prog_.decls().empty() && prog_.decls().front().loc.file)
    fileLoc = SourceLoc{prog_.decls().front().loc.file, 1, 1};

  const Decl *entryDecl = prog_.lookup(entry);
  if (!entryDecl) {
    error(fileLoc, "no entry program '" + entry + "' (define " + entry +
                       " = ..., or choose another with --entry)");
    return nullptr;
  }
  if (entryDecl->kind != Decl::Kind::Program) {
    error(entryDecl->loc, "the entry '" + entry + "' is not a program");
    return nullptr;
  }
  // `main = train_pca`: the module is named after the program the entry
  // aliases, whose body becomes the entry func directly.
  const Decl *body = entryDecl;
  expanding_.push_back(entry);
  while (body->body.kind == ElementKind::Ref) {
    const Decl *next = prog_.lookup(body->body.callee);
    if (!next || next->kind != Decl::Kind::Program)
      break;
    if (std::find(expanding_.begin(), expanding_.end(), next->name) != expanding_.end()) {
      std::string chain;
      for (const std::string &n : expanding_)
        chain += n + " -> ";
      error(body->body.loc, "recursive use of sub-program '" + next->name + "' (" + chain +
                                next->name + ")");
      return nullptr;
    }
    expanding_.push_back(next->name);
    body = next;
  }

  // Sized before anything is lowered: a program that doubles per level of
  // sub-programs must fail at once, not after filling the memory.
  for (const std::string &n : expanding_)
    sizing_.push_back(prog_.lookup(n));
  if (body != entryDecl) {
    uint64_t n = expandedSize(body->body, expanding_.size());
    if (n > kMaxExpandedElements) {
      tooLarge(entryDecl->body, n);
      return nullptr;
    }
  } else if (!checkExpandedSize(body->body, expanding_.size())) {
    return nullptr;
  }

  module_ = std::make_unique<ir::Module>(body->name, entryDecl->loc);
  b_.setInsertionPointToEnd(module_->body());
  if (!lowerComponents())
    return nullptr;
  b_.setLoc(entryDecl->loc);
  entryFunc_ = b_.func(entry, {}, {});
  b_.setInsertionPointToEnd(entryFunc_->region(0));
  if (body->body.kind == ElementKind::Seq)
    lowerSeqChildren(body->body.children, nullptr);
  else
    lowerElement(body->body, nullptr);
  if (failed_)
    return nullptr;
  b_.setLoc(entryDecl->loc);
  b_.ret();
  return std::move(module_);
}

ir::Builder LoweringContext::moduleBuilder() {
  ir::Builder mb;
  if (entryFunc_)
    mb.setInsertionPointBefore(entryFunc_);
  else
    mb.setInsertionPointToEnd(module_->body());
  return mb;
}

std::optional<Attribute> LoweringContext::literalAttr(const Literal &l, bool allowComponents) {
  switch (l.kind) {
  case Literal::Kind::Int: return Attribute::integer(l.i);
  case Literal::Kind::Float: return Attribute::real(l.f);
  case Literal::Kind::String: return Attribute::string(l.s);
  case Literal::Kind::Bool: return Attribute::boolean(l.b);
  case Literal::Kind::Wildcard:
    error(l.loc, "'*' is only allowed in hook patterns");
    return std::nullopt;
  case Literal::Kind::List: {
    Attribute::Array items;
    for (const Literal &x : l.list) {
      auto a = literalAttr(x, allowComponents);
      if (!a)
        return std::nullopt;
      items.push_back(std::move(*a));
    }
    return Attribute::array(std::move(items));
  }
  case Literal::Kind::Name: {
    const Decl *d = prog_.lookup(l.s);
    if (d && d->kind == Decl::Kind::Constant)
      return literalAttr(d->value, allowComponents);
    if (d && d->kind == Decl::Kind::Component && allowComponents)
      return Attribute::symbol(l.s);
    error(l.loc, "unknown name '" + l.s + "'" +
                     (d ? " (a " + std::string(d->kind == Decl::Kind::Kernel ? "kernel"
                                                : d->kind == Decl::Kind::Program ? "program"
                                                                                 : "component") +
                              " is not a value here)"
                        : ""));
    return std::nullopt;
  }
  }
  return std::nullopt;
}

/// A data file path as the IR holds it: a relative path is taken relative
/// to the folder of the file that declares the component (as `import` is),
/// or to the current folder for a program read from stdin, and made
/// absolute, so `kiln run` and `kiln resume` find the file from any folder.
std::string LoweringContext::resolveDataPath(const std::string &path, const SourceLoc &declLoc) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (path.empty() || p.is_absolute())
    return path;
  const std::string *file = declLoc.file.get();
  bool realFile = file && !file->empty() && file->front() != '<' && *file != "-";
  fs::path base = realFile ? fs::path(*file).parent_path() : fs::path();
  std::error_code ec;
  fs::path abs = fs::absolute(base / p, ec);
  return ec ? (base / p).lexically_normal().string() : abs.lexically_normal().string();
}

bool LoweringContext::lowerComponents() {
  for (const Decl &d : prog_.decls()) {
    if (d.kind != Decl::Kind::Component)
      continue;
    b_.setLoc(d.loc);
    if (!catalog_.hasComponentType(d.typeName))
      return error(d.loc, "unknown component type '" + d.typeName + "'");
    std::vector<ir::NamedAttribute> config;
    std::vector<std::string> pathKeys = catalog_.pathKeys(d.typeName);
    for (const KwArg &k : d.config) {
      auto a = literalAttr(k.value, false);
      if (!a)
        return false;
      if (a->isString() && std::find(pathKeys.begin(), pathKeys.end(), k.name) != pathKeys.end())
        *a = Attribute::string(resolveDataPath(a->getString(), d.loc));
      config.push_back({k.name, std::move(*a)});
    }
    std::string why;
    auto schema = catalog_.resolveComponent(d.typeName, d.constructor, config, &why);
    std::string spelled = d.typeName + (d.constructor.empty() ? "" : "." + d.constructor);
    if (!schema)
      return error(d.loc, "invalid component " + spelled + ": " +
                              (why.empty() ? "rejected by its type" : why));
    ComponentInfo info;
    info.decl = &d;
    info.schema = std::move(*schema);
    for (const auto &c : config)
      if (c.name == "seed" && c.value.isInt())
        info.seed = c.value.getInt();
    ir::Operation *op = b_.component(d.name, d.typeName, std::move(config));
    if (!d.constructor.empty())
      op->setAttr("constructor", Attribute::string(d.constructor));
    components_[d.name] = std::move(info);
  }
  return true;
}

std::optional<int64_t> LoweringContext::resolveCount(const Literal &l, std::string_view what,
                                                     const SourceLoc &loc) {
  const Literal *v = &l;
  if (l.kind == Literal::Kind::Name) {
    const Decl *d = prog_.lookup(l.s);
    if (!d || d->kind != Decl::Kind::Constant) {
      error(l.loc.known() ? l.loc : loc, "unknown constant '" + l.s + "'");
      return std::nullopt;
    }
    v = &d->value;
  }
  if (v->kind != Literal::Kind::Int || v->i < 0) {
    error(l.loc.known() ? l.loc : loc,
          std::string(what) + " must be a non-negative integer, got " + printLiteral(*v));
    return std::nullopt;
  }
  return v->i;
}

Value *LoweringContext::lowerSeqChildren(const std::vector<Element> &children, Value *last) {
  for (const Element &c : children) {
    last = lowerElement(c, last);
    if (failed_)
      return nullptr;
  }
  return last;
}

Value *LoweringContext::lowerRegion(ir::Region &r, const Element &e, Value *last,
                                    bool yieldValue) {
  ir::Builder saved = b_;
  b_.setInsertionPointToEnd(r);
  Value *before = last;
  Value *v = e.kind == ElementKind::Seq ? lowerSeqChildren(e.children, last)
                                        : lowerElement(e, last);
  // Only a value made inside the region can leave it.
  Value *made = v != before ? v : nullptr;
  if (!failed_) {
    b_.setLoc(e.loc);
    b_.yield(yieldValue && made ? std::vector<Value *>{made} : std::vector<Value *>{});
  }
  b_ = saved;
  return made;
}

Value *LoweringContext::lowerElement(const Element &e, Value *last) {
  if (failed_)
    return nullptr;
  // The count made before lowering should have caught any program this
  // large; this bounds what lowering makes even if it missed one.
  if (++loweredElements_ > kMaxExpandedElements) {
    tooLarge(e, 0);
    return nullptr;
  }
  b_.setLoc(e.loc);
  switch (e.kind) {
  case ElementKind::Call:
  case ElementKind::Filt: return lowerCall(e, last);
  case ElementKind::Ref: return lowerRef(e, last);
  case ElementKind::Seq: {
    // A nested SEQ runs in place: its children go into the current region.
    return lowerSeqChildren(e.children, last);
  }
  case ElementKind::Repeat: {
    auto n = resolveCount(e.count, "REPEAT count", e.loc);
    if (!n || e.children.size() != 1)
      return e.children.size() != 1 ? (error(e.loc, "REPEAT needs one body"), nullptr) : nullptr;
    ir::Operation *op = b_.repeat(*n);
    // REPEAT(0, body) never runs its body, so the last value is the one
    // before it. The body is still lowered (and checked); it yields nothing,
    // as the IR requires of a repeat with count 0.
    Value *v = lowerRegion(op->region(0), e.children[0], last, *n > 0);
    if (failed_)
      return nullptr;
    if (!v || *n == 0)
      return last;
    return op->addResult(v->type());
  }
  case ElementKind::BufferRepeat: {
    auto n = resolveCount(e.count, "BUFFER_REPEAT count", e.loc);
    if (!n || e.children.size() != 1)
      return e.children.size() != 1 ? (error(e.loc, "BUFFER_REPEAT needs one body"), nullptr)
                                    : nullptr;
    // buffer_repeat stacks its n values into a tensor: n = 0 has no element
    // type to stack (the IR verifier requires n >= 1).
    if (*n < 1)
      return error(e.count.loc.known() ? e.count.loc : e.loc,
                   "BUFFER_REPEAT count must be at least 1, got 0"),
             nullptr;
    ir::Operation *op = b_.create(ir::OpKind::BufferRepeat, {}, {},
                                  {{"count", Attribute::integer(*n)}}, 1);
    Value *v = lowerRegion(op->region(0), e.children[0], last, true);
    if (failed_)
      return nullptr;
    if (!v || !v->type().isNumeric()) {
      error(e.children[0].loc, "BUFFER_REPEAT's body produces no value to buffer");
      return nullptr;
    }
    return op->addResult(ir::stackType(v->type(), *n));
  }
  case ElementKind::Loop: {
    if (e.children.size() != 1)
      return error(e.loc, "LOOP needs one body"), nullptr;
    ir::Operation *op = b_.loop();
    lowerRegion(op->region(0), e.children[0], last, false);
    return last;
  }
  case ElementKind::While: {
    if (e.children.size() != 2)
      return error(e.loc, "WHILE needs a condition and a body"), nullptr;
    ir::Operation *op = b_.whileLoop();
    // The condition region ends in `yield %c` with %c an i1 scalar.
    {
      ir::Builder saved = b_;
      b_.setInsertionPointToEnd(op->region(0));
      const Element &ce = e.children[0];
      Value *c = ce.kind == ElementKind::Seq ? lowerSeqChildren(ce.children, last)
                                             : lowerElement(ce, last);
      if (failed_) {
        b_ = saved;
        return nullptr;
      }
      if (!c || c == last) {
        b_ = saved;
        error(ce.loc, "WHILE's condition produces no value");
        return nullptr;
      }
      if (!c->type().isScalar()) {
        b_ = saved;
        error(ce.loc, "WHILE's condition must produce a scalar, got " + c->type().str());
        return nullptr;
      }
      b_.setLoc(ce.loc);
      if (c->type().elem() != ir::ElemType::I1)
        c = b_.binary(ir::OpKind::Ne, c, b_.constant(0, c->type()));
      b_.yield({c});
      b_ = saved;
    }
    lowerRegion(op->region(1), e.children[1], last, false);
    return last;
  }
  case ElementKind::Switch: {
    if (!last) {
      error(e.loc, "SWITCH has no previous value to select on");
      return nullptr;
    }
    if (!last->type().isScalar()) {
      error(e.loc, "SWITCH selects on a scalar, but the last value is " + last->type().str());
      return nullptr;
    }
    Value *sel = last;
    if (sel->type().elem() != ir::ElemType::I64)
      sel = b_.cast(sel, ir::ElemType::I64);
    std::vector<int64_t> cases;
    std::vector<const Element *> bodies;
    const Element *dflt = nullptr;
    bool explicitForm = false;
    for (const Element &c : e.children) {
      if (c.kind == ElementKind::Case) {
        explicitForm = true;
        auto v = c.count.kind == Literal::Kind::Int
                     ? std::optional<int64_t>(c.count.i)
                     : (c.count.kind == Literal::Kind::Name
                            ? [&]() -> std::optional<int64_t> {
                                const Decl *d = prog_.lookup(c.count.s);
                                if (d && d->kind == Decl::Kind::Constant &&
                                    d->value.kind == Literal::Kind::Int)
                                  return d->value.i;
                                return std::nullopt;
                              }()
                            : std::nullopt);
        if (!v) {
          error(c.loc, "CASE needs an integer value");
          return nullptr;
        }
        if (std::find(cases.begin(), cases.end(), *v) != cases.end()) {
          error(c.loc, "duplicate CASE value " + std::to_string(*v) + " in SWITCH");
          return nullptr;
        }
        if (c.children.size() != 1)
          return error(c.loc, "CASE needs one body"), nullptr;
        cases.push_back(*v);
        bodies.push_back(&c.children[0]);
      } else if (c.kind == ElementKind::Default) {
        explicitForm = true;
        if (dflt) {
          error(c.loc, "SWITCH has more than one DEFAULT");
          return nullptr;
        }
        if (c.children.size() != 1)
          return error(c.loc, "DEFAULT needs one body"), nullptr;
        dflt = &c.children[0];
      } else {
        if (explicitForm) {
          error(c.loc, "SWITCH mixes CASE/DEFAULT with plain elements; use one form");
          return nullptr;
        }
        cases.push_back(static_cast<int64_t>(bodies.size()));
        bodies.push_back(&c);
      }
    }
    b_.setLoc(e.loc);
    ir::Operation *op = b_.switchOp(sel, cases);
    std::vector<Value *> made;
    for (size_t i = 0; i < bodies.size(); ++i)
      made.push_back(lowerRegion(op->region(static_cast<unsigned>(i)), *bodies[i], last, false));
    Value *d = nullptr;
    if (dflt)
      d = lowerRegion(op->region(static_cast<unsigned>(bodies.size())), *dflt, last, false);
    else {
      ir::Builder saved = b_;
      b_.setInsertionPointToEnd(op->region(static_cast<unsigned>(bodies.size())));
      b_.yield();
      b_ = saved;
    }
    if (failed_)
      return nullptr;
    // The switch has a value when every branch (and an explicit default)
    // makes one of the same type: then each region yields it.
    bool allSame = dflt && d;
    for (Value *v : made)
      allSame = allSame && v && v->type() == d->type();
    if (!allSame)
      return last;
    made.push_back(d);
    for (unsigned i = 0; i < op->numRegions(); ++i) {
      ir::Operation *y = op->region(i).terminator();
      KILN_ASSERT(y, "switch region without yield");
      y->setOperands({made[i]});
    }
    return op->addResult(d->type());
  }
  case ElementKind::Weave: {
    auto n = resolveCount(e.count, "WEAVE's n_required", e.loc);
    if (!n)
      return nullptr;
    if (*n > static_cast<int64_t>(e.children.size())) {
      error(e.loc, "WEAVE requires " + std::to_string(*n) + (*n == 1 ? " child" : " children") +
                       " to finish but has " + std::to_string(e.children.size()));
      return nullptr;
    }
    ir::Operation *op = b_.weave(*n, static_cast<unsigned>(e.children.size()));
    for (size_t i = 0; i < e.children.size(); ++i)
      lowerRegion(op->region(static_cast<unsigned>(i)), e.children[i], last, false);
    return last;
  }
  case ElementKind::Case:
  case ElementKind::Default:
    error(e.loc, std::string(elementKindName(e.kind)) + " is only allowed directly inside SWITCH");
    return nullptr;
  case ElementKind::Any:
    error(e.loc, "'*' is only allowed in hook patterns");
    return nullptr;
  }
  KILN_UNREACHABLE("bad element kind");
}

namespace {

/// Expanded sizes saturate here (far above any limit, far below overflow:
/// sizes are only ever added).
constexpr uint64_t kSizeCap = 1'000'000'000'000'000'000;

uint64_t addSizes(uint64_t a, uint64_t b) { return std::min(a + b, kSizeCap); }

std::string sizeText(uint64_t n) {
  return n >= kSizeCap ? "more than 10^18" : std::to_string(n);
}

/// The children of `e` in the order lowerElement lowers them: a SWITCH's
/// DEFAULT goes last. Sizing in this order meets each sub-program first
/// where lowering does, at the same depth.
std::vector<const Element *> inLoweringOrder(const Element &e) {
  std::vector<const Element *> out;
  for (const Element &c : e.children)
    if (e.kind != ElementKind::Switch || c.kind != ElementKind::Default)
      out.push_back(&c);
  if (e.kind == ElementKind::Switch)
    for (const Element &c : e.children)
      if (c.kind == ElementKind::Default)
        out.push_back(&c);
  return out;
}

} // namespace

uint64_t LoweringContext::expandedSize(const Element &e, size_t depth) {
  if (e.kind != ElementKind::Ref) {
    uint64_t n = 1;
    for (const Element *c : inLoweringOrder(e))
      n = addSizes(n, expandedSize(*c, depth));
    return n;
  }
  const Decl *d = prog_.lookup(e.callee);
  // Unknown names, recursion and too deep nesting count as nothing here:
  // lowering reports them when it reaches them, before it has expanded
  // anything this count did not see (both go in the same order).
  if (!d || d->kind != Decl::Kind::Program || depth > kMaxSubprogramNesting ||
      std::find(sizing_.begin(), sizing_.end(), d) != sizing_.end())
    return 1;
  auto it = expandedSizes_.find(d);
  if (it != expandedSizes_.end())
    return addSizes(1, it->second);
  sizing_.push_back(d);
  uint64_t n = expandedSize(d->body, depth + 1);
  sizing_.pop_back();
  expandedSizes_[d] = n;
  return addSizes(1, n);
}

void LoweringContext::tooLarge(const Element &at, uint64_t size) {
  std::string msg =
      "the program expands to more than " + std::to_string(kMaxExpandedElements) + " elements";
  if (at.kind == ElementKind::Ref && size != 0)
    msg += ": this use of sub-program '" + at.callee + "' adds " + sizeText(size) +
           " (each use of a sub-program is a copy of its body)";
  error(at.loc, std::move(msg));
}

bool LoweringContext::checkExpandedSize(const Element &body, size_t depth) {
  uint64_t total = 0;
  return checkExpandedSizeWalk(body, depth, total);
}

bool LoweringContext::checkExpandedSizeWalk(const Element &e, size_t depth, uint64_t &total) {
  uint64_t n = e.kind == ElementKind::Ref ? expandedSize(e, depth) : 1;
  total = addSizes(total, n);
  if (total > kMaxExpandedElements) {
    tooLarge(e, n);
    return false;
  }
  if (e.kind != ElementKind::Ref)
    for (const Element *c : inLoweringOrder(e))
      if (!checkExpandedSizeWalk(*c, depth, total))
        return false;
  return true;
}

Value *LoweringContext::lowerRef(const Element &e, Value *last) {
  const Decl *d = prog_.lookup(e.callee);
  if (!d) {
    error(e.loc, "unknown program '" + e.callee + "'");
    return nullptr;
  }
  switch (d->kind) {
  case Decl::Kind::Program: break;
  case Decl::Kind::Constant:
    error(e.loc, "'" + e.callee + "' is a constant, not a program");
    return nullptr;
  case Decl::Kind::Component:
    error(e.loc, "'" + e.callee + "' is a component, not a program; call a method with CALL(" +
                     e.callee + ".method)");
    return nullptr;
  case Decl::Kind::Kernel:
    error(e.loc, "'" + e.callee + "' is a kernel, not a program; call it with CALL(" + e.callee +
                     ", ...)");
    return nullptr;
  }
  if (std::find(expanding_.begin(), expanding_.end(), e.callee) != expanding_.end()) {
    std::string chain;
    for (const std::string &n : expanding_)
      chain += n + " -> ";
    error(e.loc, "recursive use of sub-program '" + e.callee + "' (" + chain + e.callee + ")");
    return nullptr;
  }
  if (expanding_.size() > kMaxSubprogramNesting) {
    error(e.loc, "sub-programs are nested too deeply");
    return nullptr;
  }
  expanding_.push_back(e.callee);
  ir::Operation *op = b_.seq();
  op->setAttr("name", Attribute::string(e.callee));
  Value *v = lowerRegion(op->region(0), d->body, last, true);
  expanding_.pop_back();
  if (failed_)
    return nullptr;
  if (!v)
    return last;
  return op->addResult(v->type());
}

void LoweringContext::declareNative(const std::string &name) {
  if (funcs_.count(name))
    return;
  ir::Builder mb = moduleBuilder();
  mb.setLoc(b_.loc());
  ir::Operation *f = mb.func(name, {}, {});
  f->setAttr("native", Attribute::boolean(true));
  funcs_[name] = f;
}

Value *LoweringContext::lowerCall(const Element &e, Value *last) {
  bool filt = e.kind == ElementKind::Filt;
  std::string what = std::string(elementKindName(e.kind)) + "(" + e.callee + ")";
  if (filt && !last) {
    error(e.loc, what + " has no previous value to receive: no CALL or FILT before it "
                        "produced one");
    return nullptr;
  }
  if (e.callee.find('*') != std::string::npos) {
    error(e.loc, "'*' is only allowed in hook patterns");
    return nullptr;
  }
  size_t dot = e.callee.find('.');
  if (dot != std::string::npos) {
    std::string comp = e.callee.substr(0, dot), method = e.callee.substr(dot + 1);
    auto it = components_.find(comp);
    if (it == components_.end()) {
      const Decl *d = prog_.lookup(comp);
      error(e.loc, d ? "'" + comp + "' is not a component" : "unknown component '" + comp + "'");
      return nullptr;
    }
    const ir::MethodSchema *m = it->second.schema.method(method);
    if (!m) {
      error(e.loc, "component '" + comp + "' (" + it->second.schema.typeName +
                       ") has no method '" + method + "'");
      return nullptr;
    }
    if (m->isKernel) {
      const KernelDef *def = nullptr;
      ir::Operation *f = builtinKernel(comp, *m, e.loc, &def);
      if (!f)
        return nullptr;
      b_.setLoc(e.loc);
      return lowerKernelCall(e, last, *def, f, true);
    }
    return lowerOpaqueCall(e, last, e.callee, m->params, false, m->results);
  }
  if (const Decl *d = prog_.lookup(e.callee)) {
    switch (d->kind) {
    case Decl::Kind::Kernel: {
      ir::Operation *f = userKernel(d->kernel);
      if (!f)
        return nullptr;
      b_.setLoc(e.loc);
      return lowerKernelCall(e, last, d->kernel, f, false);
    }
    case Decl::Kind::Program:
      error(e.loc, "'" + e.callee + "' is a sub-program; use it by name without " +
                       std::string(elementKindName(e.kind)));
      return nullptr;
    case Decl::Kind::Component:
      error(e.loc, "'" + e.callee + "' is a component; call one of its methods (" + e.callee +
                       ".method)");
      return nullptr;
    case Decl::Kind::Constant:
      error(e.loc, "'" + e.callee + "' is a constant, not a function");
      return nullptr;
    }
  }
  if (const ir::FunctionSchema *fn = catalog_.lookupFunction(e.callee)) {
    declareNative(e.callee);
    return lowerOpaqueCall(e, last, e.callee, fn->params, fn->variadic, fn->results);
  }
  error(e.loc, "unknown function '" + e.callee + "'");
  return nullptr;
}

Value *LoweringContext::lowerOpaqueCall(const Element &e, Value *last, const std::string &symbol,
                                        const std::vector<ir::ParamSchema> &params,
                                        bool variadic, const std::vector<Type> &results) {
  bool filt = e.kind == ElementKind::Filt;
  std::vector<Value *> operands;
  if (filt) {
    if (params.empty() && !variadic) {
      error(e.loc, "FILT(" + e.callee + ") passes the last value, but " + e.callee +
                       " takes no arguments");
      return nullptr;
    }
    if (!params.empty() && params[0].type && !ir::typesCompatible(*params[0].type, last->type())) {
      error(e.loc, "FILT(" + e.callee + ") passes " + last->type().str() + ", but " + e.callee +
                       " expects " + params[0].type->str() + " for '" + params[0].name + "'");
      return nullptr;
    }
    operands.push_back(last);
  }
  std::vector<ir::NamedAttribute> attrs;
  for (const KwArg &k : e.kwargs) {
    // The compiler's own attributes of a call (docs/vm.md, "Steps").
    if (k.name == "bulk_steps" || k.name == "origin") {
      error(k.loc.known() ? k.loc : e.loc,
            "keyword argument '" + k.name + "' is reserved (kiln's passes set it)");
      return nullptr;
    }
    auto p = std::find_if(params.begin(), params.end(),
                          [&](const ir::ParamSchema &ps) { return ps.name == k.name; });
    if (p == params.end() && !variadic) {
      error(k.loc.known() ? k.loc : e.loc,
            "unknown keyword argument '" + k.name + "' for " + e.callee);
      return nullptr;
    }
    if (filt && !params.empty() && p == params.begin()) {
      error(k.loc.known() ? k.loc : e.loc,
            "'" + k.name + "' is given by keyword, but FILT already passes the last value to it");
      return nullptr;
    }
    auto a = literalAttr(k.value, true);
    if (!a)
      return nullptr;
    attrs.push_back({k.name, std::move(*a)});
  }
  b_.setLoc(e.loc);
  ir::Operation *op = b_.call(symbol, std::move(operands), results, std::move(attrs));
  return op->numResults() ? op->result(0) : last;
}

Value *LoweringContext::lowerKernelCall(const Element &e, Value *last, const KernelDef &k,
                                        ir::Operation *func, bool skipSelf) {
  bool filt = e.kind == ElementKind::Filt;
  bool filtUsed = false;
  std::vector<Value *> operands;
  size_t first = skipSelf ? 1 : 0;
  for (const KwArg &kw : e.kwargs) {
    bool known = false;
    for (size_t i = first; i < k.params.size(); ++i)
      known = known || k.params[i].name == kw.name;
    if (!known) {
      error(kw.loc.known() ? kw.loc : e.loc,
            "kernel " + e.callee + " has no parameter '" + kw.name + "'");
      return nullptr;
    }
  }
  for (size_t i = first; i < k.params.size(); ++i) {
    const Param &p = k.params[i];
    const KwArg *kw = nullptr;
    for (const KwArg &x : e.kwargs)
      if (x.name == p.name)
        kw = &x;
    SourceLoc at = kw && kw->loc.known() ? kw->loc : e.loc;
    b_.setLoc(at);
    if (p.type.isComponent) {
      if (!kw) {
        error(e.loc, "missing argument '" + p.name + "' (a " + p.type.componentType +
                         ") for kernel " + e.callee);
        return nullptr;
      }
      auto it = kw->value.kind == Literal::Kind::Name ? components_.find(kw->value.s)
                                                      : components_.end();
      if (it == components_.end() || it->second.schema.typeName != p.type.componentType) {
        error(at, "argument '" + p.name + "' of kernel " + e.callee +
                      " must be a component of type " + p.type.componentType + ", got " +
                      printLiteral(kw->value));
        return nullptr;
      }
      operands.push_back(b_.componentRef(kw->value.s, p.type.componentType));
      continue;
    }
    if (!kw) {
      if (filt && !filtUsed) {
        filtUsed = true;
        if (!ir::typesCompatible(p.type.type, last->type())) {
          error(e.loc, "FILT(" + e.callee + ") passes " + last->type().str() + ", but '" +
                           p.name + "' of kernel " + e.callee + " is " + p.type.type.str());
          return nullptr;
        }
        operands.push_back(last);
        continue;
      }
      error(e.loc, "missing argument '" + p.name + "' for kernel " + e.callee);
      return nullptr;
    }
    if (filt && !filtUsed) {
      error(at, "'" + p.name + "' is given by keyword, but FILT passes the last value to it");
      return nullptr;
    }
    const Literal *v = &kw->value;
    if (v->kind == Literal::Kind::Name) {
      const Decl *d = prog_.lookup(v->s);
      if (d && d->kind == Decl::Kind::Constant)
        v = &d->value;
    }
    if (!v->isNumber() && v->kind != Literal::Kind::Bool) {
      error(at, "argument '" + p.name + "' of kernel " + e.callee + " must be a number, got " +
                    printLiteral(kw->value));
      return nullptr;
    }
    if (!p.type.type.isScalar()) {
      error(at, "argument '" + p.name + "' of kernel " + e.callee + " is a tensor (" +
                    p.type.type.str() + "); pass it with FILT");
      return nullptr;
    }
    double num = v->kind == Literal::Kind::Bool ? (v->b ? 1 : 0) : v->number();
    operands.push_back(b_.constant(num, p.type.type));
  }
  if (filt && !filtUsed) {
    error(e.loc, "FILT(" + e.callee + ") passes the last value, but kernel " + e.callee +
                     " has no tensor parameter left to receive it");
    return nullptr;
  }
  b_.setLoc(e.loc);
  std::string callee(func->symbolAttr("sym_name"));
  ir::Operation *op = b_.call(callee, std::move(operands), ir::funcResultTypes(*func));
  return op->numResults() ? op->result(0) : last;
}

} // namespace detail

std::unique_ptr<ir::Module> lowerProgram(const Program &prog, const ir::ComponentCatalog &catalog,
                                         ir::DiagnosticEngine &diag, const LowerOptions &opts) {
  detail::LoweringContext ctx(prog, catalog, diag, opts);
  return ctx.run();
}

} // namespace kiln::frontend
