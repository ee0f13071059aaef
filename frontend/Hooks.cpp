// Hooks: pattern matching and the find/replace rewrites (see Hooks.h).
#include "frontend/Hooks.h"

#include <algorithm>

#include "frontend/Api.h"
#include "frontend/Parser.h"
#include "frontend/ProgramPrinter.h"
#include "ir/Support.h"

namespace kiln::frontend {

namespace {

/// Glob match where '*' matches any run of characters (iterative, so long
/// names cannot blow the stack).
bool globMatch(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, starP = std::string_view::npos, starI = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '*') {
      starP = p++;
      starI = i;
    } else if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (starP != std::string_view::npos) {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*')
    ++p;
  return p == pat.size();
}

bool literalMatches(const Literal &pat, const Literal &v) {
  if (pat.kind == Literal::Kind::Wildcard)
    return true;
  if (pat.kind == Literal::Kind::List && v.kind == Literal::Kind::List) {
    if (pat.list.size() != v.list.size())
      return false;
    for (size_t i = 0; i < pat.list.size(); ++i)
      if (!literalMatches(pat.list[i], v.list[i]))
        return false;
    return true;
  }
  // An integer pattern matches an equal float and vice versa (lr=1 vs lr=1.0).
  if (pat.isNumber() && v.isNumber())
    return pat.number() == v.number();
  return pat == v;
}

void collect(const Element &pattern, const Element &e, size_t decl,
             std::vector<size_t> &steps,
             std::vector<std::pair<size_t, std::vector<size_t>>> &out) {
  if (matchesPattern(pattern, e))
    out.emplace_back(decl, steps);
  for (size_t i = 0; i < e.children.size(); ++i) {
    steps.push_back(i);
    collect(pattern, e.children[i], decl, steps, out);
    steps.pop_back();
  }
}

} // namespace

bool matchesPattern(const Element &pattern, const Element &e) {
  if (pattern.kind == ElementKind::Any)
    return true;
  if (pattern.kind != e.kind)
    return false;
  switch (e.kind) {
  case ElementKind::Call:
  case ElementKind::Filt:
    if (!globMatch(pattern.callee, e.callee))
      return false;
    for (const KwArg &pk : pattern.kwargs) {
      auto it = std::find_if(e.kwargs.begin(), e.kwargs.end(),
                             [&](const KwArg &k) { return k.name == pk.name; });
      if (it == e.kwargs.end() || !literalMatches(pk.value, it->value))
        return false;
    }
    return true;
  case ElementKind::Ref: return globMatch(pattern.callee, e.callee);
  default: break;
  }
  if (!literalMatches(pattern.count, e.count))
    return false;
  if (pattern.children.size() != e.children.size())
    return false;
  for (size_t i = 0; i < e.children.size(); ++i)
    if (!matchesPattern(pattern.children[i], e.children[i]))
      return false;
  return true;
}

MatchSet Program::find(const Element &pattern) {
  MatchSet m;
  m.prog_ = this;
  std::vector<std::pair<size_t, std::vector<size_t>>> found;
  for (size_t d = 0; d < decls_.size(); ++d) {
    if (decls_[d].kind != Decl::Kind::Program)
      continue;
    std::vector<size_t> steps;
    collect(pattern, decls_[d].body, d, steps, found);
  }
  for (auto &[d, steps] : found)
    m.paths_.push_back(MatchSet::Path{d, std::move(steps)});
  return m;
}

std::vector<Element> MatchSet::elements() const {
  std::vector<Element> out;
  for (const Path &p : paths_) {
    const Element *e = &prog_->decls_[p.decl].body;
    for (size_t s : p.steps)
      e = &e->children[s];
    out.push_back(*e);
  }
  return out;
}

bool MatchSet::replace_with(const Element &e) { return apply(Mode::Replace, e); }
bool MatchSet::insert_after(const Element &e) { return apply(Mode::After, e); }
bool MatchSet::insert_before(const Element &e) { return apply(Mode::Before, e); }

bool MatchSet::apply(Mode mode, const Element &insert) {
  if (paths_.empty() || !prog_)
    return false;
  // Apply from the last match backwards: a rewrite then never moves an
  // element a later-applied path points to (earlier siblings and ancestors
  // come first in this order).
  std::vector<Path> order = paths_;
  std::sort(order.begin(), order.end(), [](const Path &a, const Path &b) {
    if (a.decl != b.decl)
      return a.decl > b.decl;
    return a.steps > b.steps;
  });
  for (const Path &p : order) {
    Element *parent = nullptr;
    Element *e = &prog_->decls_[p.decl].body;
    for (size_t s : p.steps) {
      parent = e;
      e = &e->children[s];
    }
    if (mode == Mode::Replace) {
      *e = insert;
      continue;
    }
    bool after = mode == Mode::After;
    if (parent && parent->kind == ElementKind::Seq) {
      size_t idx = p.steps.back() + (after ? 1 : 0);
      parent->children.insert(parent->children.begin() + static_cast<ptrdiff_t>(idx), insert);
    } else {
      Element wrapped = after ? kiln::SEQ({*e, insert}) : kiln::SEQ({insert, *e});
      wrapped.loc = e->loc;
      *e = std::move(wrapped);
    }
  }
  paths_.clear(); // the paths are stale now
  return true;
}

bool applyHookSpec(Program &prog, std::string_view spec, ir::SourceManager &sources,
                   ir::DiagnosticEngine &diag) {
  auto hook = parseHookSpec(spec, "--hook", sources, diag);
  if (!hook)
    return false;
  MatchSet m = prog.find(hook->pattern);
  if (m.empty()) {
    diag.error(hook->patternLoc, "hook pattern " + printElement(hook->pattern) +
                                     " matches nothing in the program");
    return false;
  }
  bool ok = false;
  switch (hook->mode) {
  case HookSpec::Mode::After: ok = m.insert_after(hook->element); break;
  case HookSpec::Mode::Before: ok = m.insert_before(hook->element); break;
  case HookSpec::Mode::Replace: ok = m.replace_with(hook->element); break;
  }
  KILN_ASSERT(ok, "a non-empty match set failed to apply");
  return ok;
}

bool applyHookSpec(Program &prog, std::string_view spec, ir::DiagnosticEngine &diag) {
  ir::SourceManager local;
  return applyHookSpec(prog, spec, local, diag);
}

} // namespace kiln::frontend
