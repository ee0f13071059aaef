// Program lowering: declarations and control-flow elements to IR (see
// Lowering.h). Kernel bodies are lowered in KernelLowering.cpp.
//
// The "last value" of the seed (what FILT receives, what BUFFER_REPEAT
// stacks, what SWITCH selects on) is threaded through lowerElement as a
// Flow: the SSA results of the last call that made any, several for a call
// with several results (`dataset.next_labeled` gives features and labels).
// Each element takes the last value before it and returns the last value
// after it. An element that produces nothing (a call without results,
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

namespace {

/// "f32[3]", or "2 values (f32[3], f32[10])" for a tuple.
std::string flowText(const Flow &f) {
  if (f.size() == 1)
    return f[0]->type().str();
  std::string s = std::to_string(f.size()) + " values (";
  for (size_t i = 0; i < f.size(); ++i)
    s += (i ? ", " : "") + f[i]->type().str();
  return s + ")";
}

/// " (value 2 of 2 values (...))" naming the i-th (from 0) of several
/// values in a message; empty for a single value.
std::string whichValue(size_t i, const Flow &f) {
  return f.size() > 1 ? " (value " + std::to_string(i + 1) + " of " + flowText(f) + ")"
                      : std::string();
}

std::vector<ir::Type> flowTypes(const Flow &f) {
  std::vector<ir::Type> t;
  for (const ir::Value *v : f)
    t.push_back(v->type());
  return t;
}

} // namespace

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
    lowerSeqChildren(body->body.children, {});
  else
    lowerElement(body->body, {});
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
    if (l.s.find('.') != std::string::npos) {
      error(l.loc, "a component field ('" + l.s +
                       "') can only be passed to a kernel's parameter, not used as a constant");
      return std::nullopt;
    }
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

Flow LoweringContext::lowerSeqChildren(const std::vector<Element> &children, Flow last) {
  for (const Element &c : children) {
    last = lowerElement(c, last);
    if (failed_)
      return {};
  }
  return last;
}

Flow LoweringContext::lowerRegion(ir::Region &r, const Element &e, const Flow &last,
                                  bool yieldValue) {
  ir::Builder saved = b_;
  b_.setInsertionPointToEnd(r);
  Flow v = e.kind == ElementKind::Seq ? lowerSeqChildren(e.children, last) : lowerElement(e, last);
  // Only a value made inside the region can leave it.
  Flow made = v != last ? v : Flow{};
  if (!failed_) {
    b_.setLoc(e.loc);
    b_.yield(yieldValue ? made : Flow{});
  }
  b_ = saved;
  return made;
}

Flow LoweringContext::lowerElement(const Element &e, const Flow &last) {
  if (failed_)
    return {};
  // The count made before lowering should have caught any program this
  // large; this bounds what lowering makes even if it missed one.
  if (++loweredElements_ > kMaxExpandedElements) {
    tooLarge(e, 0);
    return {};
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
      return e.children.size() != 1 ? (error(e.loc, "REPEAT needs one body"), Flow{}) : Flow{};
    ir::Operation *op = b_.repeat(*n);
    // REPEAT(0, body) never runs its body, so the last value is the one
    // before it. The body is still lowered (and checked); it yields nothing,
    // as the IR requires of a repeat with count 0.
    Flow v = lowerRegion(op->region(0), e.children[0], last, *n > 0);
    if (failed_)
      return {};
    if (v.empty() || *n == 0)
      return last;
    Flow out;
    for (Value *x : v)
      out.push_back(op->addResult(x->type()));
    return out;
  }
  case ElementKind::BufferRepeat: {
    auto n = resolveCount(e.count, "BUFFER_REPEAT count", e.loc);
    if (!n || e.children.size() != 1)
      return e.children.size() != 1 ? (error(e.loc, "BUFFER_REPEAT needs one body"), Flow{})
                                    : Flow{};
    // buffer_repeat stacks its n values into a tensor: n = 0 has no element
    // type to stack (the IR verifier requires n >= 1).
    if (*n < 1)
      return error(e.count.loc.known() ? e.count.loc : e.loc,
                   "BUFFER_REPEAT count must be at least 1, got 0"),
             Flow{};
    ir::Operation *op = b_.create(ir::OpKind::BufferRepeat, {}, {},
                                  {{"count", Attribute::integer(*n)}}, 1);
    Flow v = lowerRegion(op->region(0), e.children[0], last, true);
    if (failed_)
      return {};
    if (v.empty()) {
      error(e.children[0].loc, "BUFFER_REPEAT's body produces no value to buffer");
      return {};
    }
    // Several values (a labeled read) are each stacked: the result is the
    // tuple of stacked values.
    Flow out;
    for (Value *x : v) {
      if (!x->type().isNumeric()) {
        error(e.children[0].loc, "BUFFER_REPEAT cannot stack " + x->type().str());
        return {};
      }
      out.push_back(op->addResult(ir::stackType(x->type(), *n)));
    }
    return out;
  }
  case ElementKind::Loop: {
    if (e.children.size() != 1)
      return error(e.loc, "LOOP needs one body"), Flow{};
    ir::Operation *op = b_.loop();
    lowerRegion(op->region(0), e.children[0], last, false);
    return last;
  }
  case ElementKind::While: {
    if (e.children.size() != 2)
      return error(e.loc, "WHILE needs a condition and a body"), Flow{};
    ir::Operation *op = b_.whileLoop();
    // The condition region ends in `yield %c` with %c an i1 scalar.
    {
      ir::Builder saved = b_;
      b_.setInsertionPointToEnd(op->region(0));
      const Element &ce = e.children[0];
      Flow cf = ce.kind == ElementKind::Seq ? lowerSeqChildren(ce.children, last)
                                            : lowerElement(ce, last);
      if (failed_) {
        b_ = saved;
        return {};
      }
      if (cf.empty() || cf == last) {
        b_ = saved;
        error(ce.loc, "WHILE's condition produces no value");
        return {};
      }
      if (cf.size() != 1 || !cf[0]->type().isScalar()) {
        b_ = saved;
        error(ce.loc, "WHILE's condition must produce one scalar, got " + flowText(cf));
        return {};
      }
      Value *c = cf[0];
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
    if (last.empty()) {
      error(e.loc, "SWITCH has no previous value to select on");
      return {};
    }
    if (last.size() != 1 || !last[0]->type().isScalar()) {
      error(e.loc, "SWITCH selects on one scalar, but the last value is " + flowText(last));
      return {};
    }
    Value *sel = last[0];
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
          return {};
        }
        if (std::find(cases.begin(), cases.end(), *v) != cases.end()) {
          error(c.loc, "duplicate CASE value " + std::to_string(*v) + " in SWITCH");
          return {};
        }
        if (c.children.size() != 1)
          return error(c.loc, "CASE needs one body"), Flow{};
        cases.push_back(*v);
        bodies.push_back(&c.children[0]);
      } else if (c.kind == ElementKind::Default) {
        explicitForm = true;
        if (dflt) {
          error(c.loc, "SWITCH has more than one DEFAULT");
          return {};
        }
        if (c.children.size() != 1)
          return error(c.loc, "DEFAULT needs one body"), Flow{};
        dflt = &c.children[0];
      } else {
        if (explicitForm) {
          error(c.loc, "SWITCH mixes CASE/DEFAULT with plain elements; use one form");
          return {};
        }
        cases.push_back(static_cast<int64_t>(bodies.size()));
        bodies.push_back(&c);
      }
    }
    b_.setLoc(e.loc);
    ir::Operation *op = b_.switchOp(sel, cases);
    std::vector<Flow> made;
    for (size_t i = 0; i < bodies.size(); ++i)
      made.push_back(lowerRegion(op->region(static_cast<unsigned>(i)), *bodies[i], last, false));
    Flow d;
    if (dflt)
      d = lowerRegion(op->region(static_cast<unsigned>(bodies.size())), *dflt, last, false);
    else {
      ir::Builder saved = b_;
      b_.setInsertionPointToEnd(op->region(static_cast<unsigned>(bodies.size())));
      b_.yield();
      b_ = saved;
    }
    if (failed_)
      return {};
    // The switch has a value when every branch (and an explicit default)
    // makes one of the same types: then each region yields it.
    bool allSame = dflt && !d.empty();
    for (const Flow &v : made)
      allSame = allSame && flowTypes(v) == flowTypes(d);
    if (!allSame)
      return last;
    made.push_back(d);
    for (unsigned i = 0; i < op->numRegions(); ++i) {
      ir::Operation *y = op->region(i).terminator();
      KILN_ASSERT(y, "switch region without yield");
      y->setOperands(made[i]);
    }
    Flow out;
    for (Value *x : d)
      out.push_back(op->addResult(x->type()));
    return out;
  }
  case ElementKind::Weave: {
    auto n = resolveCount(e.count, "WEAVE's n_required", e.loc);
    if (!n)
      return {};
    if (*n > static_cast<int64_t>(e.children.size())) {
      error(e.loc, "WEAVE requires " + std::to_string(*n) + (*n == 1 ? " child" : " children") +
                       " to finish but has " + std::to_string(e.children.size()));
      return {};
    }
    ir::Operation *op = b_.weave(*n, static_cast<unsigned>(e.children.size()));
    for (size_t i = 0; i < e.children.size(); ++i)
      lowerRegion(op->region(static_cast<unsigned>(i)), e.children[i], last, false);
    return last;
  }
  case ElementKind::Case:
  case ElementKind::Default:
    error(e.loc, std::string(elementKindName(e.kind)) + " is only allowed directly inside SWITCH");
    return {};
  case ElementKind::Any:
    error(e.loc, "'*' is only allowed in hook patterns");
    return {};
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

Flow LoweringContext::lowerRef(const Element &e, const Flow &last) {
  const Decl *d = prog_.lookup(e.callee);
  if (!d) {
    error(e.loc, "unknown program '" + e.callee + "'");
    return {};
  }
  switch (d->kind) {
  case Decl::Kind::Program: break;
  case Decl::Kind::Constant:
    error(e.loc, "'" + e.callee + "' is a constant, not a program");
    return {};
  case Decl::Kind::Component:
    error(e.loc, "'" + e.callee + "' is a component, not a program; call a method with CALL(" +
                     e.callee + ".method)");
    return {};
  case Decl::Kind::Kernel:
    error(e.loc, "'" + e.callee + "' is a kernel, not a program; call it with CALL(" + e.callee +
                     ", ...)");
    return {};
  }
  if (std::find(expanding_.begin(), expanding_.end(), e.callee) != expanding_.end()) {
    std::string chain;
    for (const std::string &n : expanding_)
      chain += n + " -> ";
    error(e.loc, "recursive use of sub-program '" + e.callee + "' (" + chain + e.callee + ")");
    return {};
  }
  if (expanding_.size() > kMaxSubprogramNesting) {
    error(e.loc, "sub-programs are nested too deeply");
    return {};
  }
  expanding_.push_back(e.callee);
  ir::Operation *op = b_.seq();
  op->setAttr("name", Attribute::string(e.callee));
  Flow v = lowerRegion(op->region(0), d->body, last, true);
  expanding_.pop_back();
  if (failed_)
    return {};
  if (v.empty())
    return last;
  Flow out;
  for (Value *x : v)
    out.push_back(op->addResult(x->type()));
  return out;
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

Flow LoweringContext::lowerCall(const Element &e, const Flow &last) {
  bool filt = e.kind == ElementKind::Filt;
  std::string what = std::string(elementKindName(e.kind)) + "(" + e.callee + ")";
  if (filt && last.empty()) {
    error(e.loc, what + " has no previous value to receive: no CALL or FILT before it "
                        "produced one");
    return {};
  }
  if (e.callee.find('*') != std::string::npos) {
    error(e.loc, "'*' is only allowed in hook patterns");
    return {};
  }
  size_t dot = e.callee.find('.');
  if (dot != std::string::npos) {
    std::string comp = e.callee.substr(0, dot), method = e.callee.substr(dot + 1);
    auto it = components_.find(comp);
    if (it == components_.end()) {
      const Decl *d = prog_.lookup(comp);
      error(e.loc, d ? "'" + comp + "' is not a component" : "unknown component '" + comp + "'");
      return {};
    }
    const ir::MethodSchema *m = it->second.schema.method(method);
    if (!m) {
      error(e.loc, "component '" + comp + "' (" + it->second.schema.typeName +
                       ") has no method '" + method + "'");
      return {};
    }
    if (m->isKernel) {
      const KernelDef *def = nullptr;
      ir::Operation *f = builtinKernel(comp, *m, e, &def);
      if (!f)
        return {};
      b_.setLoc(e.loc);
      return lowerKernelCall(e, last, *def, f, true);
    }
    return lowerOpaqueCall(e, last, e.callee, m->params, false, m->results);
  }
  if (const Decl *d = prog_.lookup(e.callee)) {
    switch (d->kind) {
    case Decl::Kind::Kernel: {
      ir::Operation *f = userKernel(d->kernel, e);
      if (!f)
        return {};
      b_.setLoc(e.loc);
      return lowerKernelCall(e, last, d->kernel, f, false);
    }
    case Decl::Kind::Program:
      error(e.loc, "'" + e.callee + "' is a sub-program; use it by name without " +
                       std::string(elementKindName(e.kind)));
      return {};
    case Decl::Kind::Component:
      error(e.loc, "'" + e.callee + "' is a component; call one of its methods (" + e.callee +
                       ".method)");
      return {};
    case Decl::Kind::Constant:
      error(e.loc, "'" + e.callee + "' is a constant, not a function");
      return {};
    }
  }
  if (const ir::FunctionSchema *fn = catalog_.lookupFunction(e.callee)) {
    declareNative(e.callee);
    return lowerOpaqueCall(e, last, e.callee, fn->params, fn->variadic, fn->results);
  }
  error(e.loc, "unknown function '" + e.callee + "'");
  return {};
}

Flow LoweringContext::lowerOpaqueCall(const Element &e, const Flow &last, const std::string &symbol,
                                      const std::vector<ir::ParamSchema> &params, bool variadic,
                                      const std::vector<Type> &results) {
  bool filt = e.kind == ElementKind::Filt;
  std::vector<Value *> operands;
  // FILT passes every value of the last value, in order, to the first
  // parameters (all of them to a variadic function such as print).
  size_t passed = filt ? last.size() : 0;
  if (filt) {
    if (params.empty() && !variadic) {
      error(e.loc, "FILT(" + e.callee + ") passes the last value, but " + e.callee +
                       " takes no arguments");
      return {};
    }
    if (!variadic && last.size() > params.size()) {
      error(e.loc, "FILT(" + e.callee + ") passes " + flowText(last) + ", but " + e.callee +
                       " takes " + std::to_string(params.size()) +
                       (params.size() == 1 ? " parameter" : " parameters"));
      return {};
    }
    for (size_t i = 0; i < last.size() && i < params.size(); ++i)
      if (params[i].type && !ir::typesCompatible(*params[i].type, last[i]->type())) {
        error(e.loc, "FILT(" + e.callee + ") passes " + last[i]->type().str() +
                         whichValue(i, last) + ", but " + e.callee + " expects " +
                         params[i].type->str() + " for '" + params[i].name + "'");
        return {};
      }
    operands = last;
  }
  std::vector<ir::NamedAttribute> attrs;
  for (const KwArg &k : e.kwargs) {
    // The compiler's own attributes of a call (docs/vm.md, "Steps").
    if (k.name == "bulk_steps" || k.name == "origin") {
      error(k.loc.known() ? k.loc : e.loc,
            "keyword argument '" + k.name + "' is reserved (kiln's passes set it)");
      return {};
    }
    auto p = std::find_if(params.begin(), params.end(),
                          [&](const ir::ParamSchema &ps) { return ps.name == k.name; });
    if (p == params.end() && !variadic) {
      error(k.loc.known() ? k.loc : e.loc,
            "unknown keyword argument '" + k.name + "' for " + e.callee);
      return {};
    }
    if (p != params.end() && static_cast<size_t>(p - params.begin()) < passed) {
      error(k.loc.known() ? k.loc : e.loc,
            "'" + k.name + "' is given by keyword, but FILT already passes the last value to it");
      return {};
    }
    auto a = literalAttr(k.value, true);
    if (!a)
      return {};
    attrs.push_back({k.name, std::move(*a)});
  }
  b_.setLoc(e.loc);
  ir::Operation *op = b_.call(symbol, std::move(operands), results, std::move(attrs));
  return op->numResults() ? op->results() : last;
}

Value *LoweringContext::fieldArgument(const Literal &v, const SourceLoc &at) {
  size_t dot = v.s.find('.');
  std::string comp = v.s.substr(0, dot), field = v.s.substr(dot + 1);
  auto it = components_.find(comp);
  if (it == components_.end()) {
    error(at, "unknown component '" + comp + "' in '" + v.s + "'");
    return nullptr;
  }
  const ir::StateFieldSchema *f = it->second.schema.field(field);
  if (!f) {
    error(at, "component '" + comp + "' (" + it->second.schema.typeName + ") has no field '" +
                  field + "'");
    return nullptr;
  }
  return b_.stateLoad(b_.componentRef(comp, it->second.schema.typeName), field, f->type);
}

Flow LoweringContext::lowerKernelCall(const Element &e, const Flow &last, const KernelDef &k,
                                      ir::Operation *func, bool skipSelf) {
  bool filt = e.kind == ElementKind::Filt;
  // FILT passes the values of the last value, in order, to the first
  // non-component parameters; `filtNext` is the next value to pass.
  size_t filtNext = 0, filtCount = filt ? last.size() : 0;
  std::vector<Value *> operands;
  size_t first = skipSelf ? 1 : 0;
  for (const KwArg &kw : e.kwargs) {
    bool known = false;
    for (size_t i = first; i < k.params.size(); ++i)
      known = known || k.params[i].name == kw.name;
    if (!known) {
      error(kw.loc.known() ? kw.loc : e.loc,
            "kernel " + e.callee + " has no parameter '" + kw.name + "'");
      return {};
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
        return {};
      }
      auto it = kw->value.kind == Literal::Kind::Name ? components_.find(kw->value.s)
                                                      : components_.end();
      if (it == components_.end() || it->second.schema.typeName != p.type.componentType) {
        error(at, "argument '" + p.name + "' of kernel " + e.callee +
                      " must be a component of type " + p.type.componentType + ", got " +
                      printLiteral(kw->value));
        return {};
      }
      operands.push_back(b_.componentRef(kw->value.s, p.type.componentType));
      continue;
    }
    if (!kw) {
      if (filtNext < filtCount) {
        Value *v = last[filtNext++];
        if (!ir::typesCompatible(p.type.type, v->type())) {
          error(e.loc, "FILT(" + e.callee + ") passes " + v->type().str() +
                           whichValue(filtNext - 1, last) + ", but '" + p.name +
                           "' of kernel " + e.callee + " is " + p.type.type.str());
          return {};
        }
        operands.push_back(v);
        continue;
      }
      error(e.loc, "missing argument '" + p.name + "' for kernel " + e.callee);
      return {};
    }
    if (filtNext < filtCount) {
      error(at, "'" + p.name + "' is given by keyword, but FILT passes the last value to it" +
                    whichValue(filtNext, last));
      return {};
    }
    const Literal *v = &kw->value;
    if (v->kind == Literal::Kind::Name && v->s.find('.') != std::string::npos) {
      // x=comp.field: the field's value when the call runs.
      Value *f = fieldArgument(*v, at);
      if (!f)
        return {};
      if (!ir::typesCompatible(p.type.type, f->type())) {
        error(at, "argument '" + p.name + "' of kernel " + e.callee + " is " +
                      p.type.type.str() + ", but " + v->s + " is " + f->type().str());
        return {};
      }
      operands.push_back(f);
      continue;
    }
    if (v->kind == Literal::Kind::Name) {
      const Decl *d = prog_.lookup(v->s);
      if (d && d->kind == Decl::Kind::Constant)
        v = &d->value;
    }
    if (v->kind == Literal::Kind::Name && components_.count(v->s)) {
      const ir::ComponentSchema &cs = components_.find(v->s)->second.schema;
      std::string fields;
      for (const ir::StateFieldSchema &f : cs.fields)
        fields += (fields.empty() ? "" : ", ") + v->s + "." + f.name;
      error(at, "argument '" + p.name + "' of kernel " + e.callee + " is " + p.type.type.str() +
                    ", but '" + v->s + "' is a component (" + cs.typeName + "); pass " +
                    (fields.empty() ? std::string("a value with FILT")
                                    : "one of its fields (" + fields + ") or a value with FILT"));
      return {};
    }
    if (!v->isNumber() && v->kind != Literal::Kind::Bool) {
      error(at, "argument '" + p.name + "' of kernel " + e.callee + " must be a number, got " +
                    printLiteral(kw->value));
      return {};
    }
    if (!p.type.type.isScalar()) {
      error(at, "argument '" + p.name + "' of kernel " + e.callee + " is a tensor (" +
                    p.type.type.str() + "); pass it with FILT or as a field (" + p.name +
                    "=component.field)");
      return {};
    }
    double num = v->kind == Literal::Kind::Bool ? (v->b ? 1 : 0) : v->number();
    operands.push_back(b_.constant(num, p.type.type));
  }
  if (filtNext < filtCount) {
    if (filtCount == 1)
      error(e.loc, "FILT(" + e.callee + ") passes the last value, but kernel " + e.callee +
                       " has no tensor parameter left to receive it");
    else
      error(e.loc, "FILT(" + e.callee + ") passes " + flowText(last) + ", but kernel " +
                       e.callee + " has " +
                       (filtNext == 0 ? std::string("no") : "only " + std::to_string(filtNext)) +
                       " non-component parameter" + (filtNext == 1 ? "" : "s") +
                       " left to receive them");
    return {};
  }
  b_.setLoc(e.loc);
  std::string callee(func->symbolAttr("sym_name"));
  ir::Operation *op = b_.call(callee, std::move(operands), ir::funcResultTypes(*func));
  return op->numResults() ? op->results() : last;
}

} // namespace detail

std::unique_ptr<ir::Module> lowerProgram(const Program &prog, const ir::ComponentCatalog &catalog,
                                         ir::DiagnosticEngine &diag, const LowerOptions &opts) {
  detail::LoweringContext ctx(prog, catalog, diag, opts);
  return ctx.run();
}

} // namespace kiln::frontend
