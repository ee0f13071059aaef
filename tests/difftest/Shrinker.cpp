#include "Shrinker.h"

#include <cctype>
#include <optional>

namespace kiln::difftest {

namespace {

using Kind = Elem::Kind;

// Every element of the program in pre-order (main first, then the subs).
void collect(Elem &e, std::vector<Elem *> &out) {
  out.push_back(&e);
  for (Elem &k : e.kids)
    collect(k, out);
}

std::vector<Elem *> elements(Program &p) {
  std::vector<Elem *> out;
  collect(p.main, out);
  for (SubProgram &s : p.subs)
    collect(s.body, out);
  return out;
}

bool isMulti(Kind k) {
  return k == Kind::Seq || k == Kind::Weave || k == Kind::Switch || k == Kind::Choose;
}

void removeKid(Elem &e, size_t j) {
  e.kids.erase(e.kids.begin() + long(j));
  if (e.kind == Kind::Weave)
    e.count = std::min<int64_t>(e.count, int64_t(e.kids.size()));
  if (e.caseForm) {
    if (j < e.cases.size())
      e.cases.erase(e.cases.begin() + long(j));
    else
      e.hasDefault = false;
  }
}

// The name occurs in the text outside its own declaration.
bool used(const std::string &text, const std::string &name) {
  size_t n = 0, pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    bool startOk = pos == 0 || !(std::isalnum(uint8_t(text[pos - 1])) || text[pos - 1] == '_');
    size_t end = pos + name.size();
    bool endOk = end >= text.size() || !(std::isalnum(uint8_t(text[end])) || text[end] == '_');
    if (startOk && endOk)
      ++n;
    pos = end;
  }
  return n > 1;
}

// The ways to simplify kernel text `s` by one call: `f(a, ...)` -> `a`
// (the first argument, at top level). Candidates that no longer type-check
// are invalid programs, which the oracle rejects.
std::vector<std::string> simplerExprs(const std::string &s) {
  std::vector<std::string> out;
  for (size_t open = s.find('('); open != std::string::npos; open = s.find('(', open + 1)) {
    size_t start = open;
    while (start > 0 && (std::isalnum(uint8_t(s[start - 1])) || s[start - 1] == '_'))
      --start;
    int depth = 0;
    size_t firstEnd = std::string::npos, close = std::string::npos;
    for (size_t j = open; j < s.size(); ++j) {
      if (s[j] == '(' || s[j] == '[')
        ++depth;
      else if (s[j] == ')' || s[j] == ']') {
        if (--depth == 0) {
          close = j;
          break;
        }
      } else if (s[j] == ',' && depth == 1 && firstEnd == std::string::npos)
        firstEnd = j;
    }
    if (close == std::string::npos)
      break;
    std::string arg =
        s.substr(open + 1, (firstEnd == std::string::npos ? close : firstEnd) - open - 1);
    out.push_back(s.substr(0, start) + arg + s.substr(close + 1));
  }
  return out;
}

// Candidate `i` of program p, or nullopt past the last one. Candidates are
// enumerated in an order that removes the most first: declarations, whole
// children, then replacements, then counts and statements.
std::optional<Program> candidate(const Program &p, size_t i) {
  size_t idx = i;
  // Unused declarations.
  std::string text = p.print();
  for (size_t c = 0; c < p.components.size(); ++c)
    if (!used(text, p.components[c].name) && idx-- == 0) {
      Program q = p;
      q.components.erase(q.components.begin() + long(c));
      return q;
    }
  for (size_t k = 0; k < p.kernels.size(); ++k)
    if (!used(text, p.kernels[k].name) && idx-- == 0) {
      Program q = p;
      q.kernels.erase(q.kernels.begin() + long(k));
      return q;
    }
  for (size_t s = 0; s < p.subs.size(); ++s)
    if (!used(text, p.subs[s].name) && idx-- == 0) {
      Program q = p;
      q.subs.erase(q.subs.begin() + long(s));
      return q;
    }
  Program probe = p;
  std::vector<Elem *> es = elements(probe);
  size_t n = es.size();
  // Drop a child of a SEQ/WEAVE/SWITCH.
  for (size_t e = 0; e < n; ++e)
    if (isMulti(es[e]->kind) && es[e]->kids.size() > 1)
      for (size_t j = 0; j < es[e]->kids.size(); ++j)
        if (idx-- == 0) {
          Program q = p;
          removeKid(*elements(q)[e], j);
          return q;
        }
  // Replace an element by one of its children.
  for (size_t e = 0; e < n; ++e)
    for (size_t j = 0; j < es[e]->kids.size(); ++j)
      if (idx-- == 0) {
        Program q = p;
        Elem *x = elements(q)[e];
        Elem kid = x->kids[j];
        *x = std::move(kid);
        return q;
      }
  // Inline a sub-program use.
  for (size_t e = 0; e < n; ++e)
    if (es[e]->kind == Kind::Sub && idx-- == 0) {
      Program q = p;
      Elem *x = elements(q)[e];
      for (const SubProgram &s : p.subs)
        if (s.name == x->callee) {
          *x = s.body;
          return q;
        }
      return q;
    }
  // Replace an element by a print.
  for (size_t e = 0; e < n; ++e)
    if (!(es[e]->kind == Kind::Call && es[e]->callee == "print" && es[e]->kwargs.empty()) &&
        idx-- == 0) {
      Program q = p;
      *elements(q)[e] = Elem::call("print");
      return q;
    }
  // Lower a count, n_required or batch size.
  for (size_t e = 0; e < n; ++e) {
    Elem &x = *es[e];
    bool lower = ((x.kind == Kind::Repeat || x.kind == Kind::BufferRepeat) && x.count > 1) ||
                 (x.kind == Kind::Weave && x.count > 0);
    if (lower && idx-- == 0) {
      Program q = p;
      Elem &y = *elements(q)[e];
      y.count = y.kind == Kind::Weave ? y.count - 1 : 1;
      return q;
    }
    for (size_t a = 0; a < x.kwargs.size(); ++a)
      if (x.kwargs[a].key == "n" && x.kwargs[a].value != "1" && idx-- == 0) {
        Program q = p;
        elements(q)[e]->kwargs[a].value = "1";
        return q;
      }
  }
  // Drop a kernel statement, or its result.
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    for (size_t s = 0; s < p.kernels[k].updates.size(); ++s)
      if (idx-- == 0) {
        Program q = p;
        q.kernels[k].updates.erase(q.kernels[k].updates.begin() + long(s));
        return q;
      }
    if (!p.kernels[k].result.empty() && idx-- == 0) {
      Program q = p;
      q.kernels[k].result.clear();
      return q;
    }
  }
  // Simplify a kernel expression by one call.
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const Kernel &kernel = p.kernels[k];
    for (size_t st = 0; st <= kernel.updates.size(); ++st) {
      const std::string &text = st < kernel.updates.size() ? kernel.updates[st] : kernel.result;
      std::vector<std::string> simpler = simplerExprs(text);
      if (idx < simpler.size()) {
        Program q = p;
        (st < kernel.updates.size() ? q.kernels[k].updates[st] : q.kernels[k].result) =
            simpler[idx];
        return q;
      }
      idx -= simpler.size();
    }
  }
  return std::nullopt;
}

} // namespace

Program shrink(Program prog, const std::function<bool(const Program &)> &stillFails, int maxTries,
               ShrinkStats &stats) {
  bool progress = true;
  while (progress && stats.tries < maxTries) {
    progress = false;
    for (size_t i = 0; stats.tries < maxTries; ++i) {
      std::optional<Program> c = candidate(prog, i);
      if (!c)
        break;
      ++stats.tries;
      if (stillFails(*c)) {
        prog = std::move(*c);
        ++stats.accepted;
        progress = true;
        break;
      }
    }
  }
  return prog;
}

} // namespace kiln::difftest
