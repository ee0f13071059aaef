// The difftest's own program AST: a random .kiln program as a small tree the
// generator builds and the shrinker edits, printed as notation text
// (docs/difftest.md). It is deliberately not frontend::Program: the tester
// must be able to print programs the frontend would reject (a shrinker edit
// may break validity), and the frontend's printer is one of the things under
// test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::difftest {

struct KwArg {
  std::string key;
  std::string value; // printed as is: 3, 0.5, "text", t0
};

struct Elem {
  enum class Kind {
    Call,
    Filt,
    Seq,
    Repeat,
    BufferRepeat,
    Loop,
    While,
    Switch,
    Choose,
    Weave,
    Sub
  };
  Kind kind = Kind::Seq;
  std::string callee;         // Call/Filt: d0.next, k3, print; Sub: the program's name
  std::vector<KwArg> kwargs;  // Call/Filt
  int64_t count = 0;          // Repeat/BufferRepeat: the count; Weave: n_required
  std::vector<Elem> kids;     // While: {cond, body}; Switch/Choose: the branches
  bool caseForm = false;      // Switch/Choose: CASE(v, e)... instead of plain children
  bool hasDefault = false;    // caseForm: the last kid is DEFAULT(e)
  std::vector<int64_t> cases; // caseForm: one value per non-default kid

  static Elem call(std::string callee, std::vector<KwArg> kw = {}) {
    Elem e;
    e.kind = Kind::Call;
    e.callee = std::move(callee);
    e.kwargs = std::move(kw);
    return e;
  }
  static Elem filt(std::string callee, std::vector<KwArg> kw = {}) {
    Elem e = call(std::move(callee), std::move(kw));
    e.kind = Kind::Filt;
    return e;
  }
  static Elem seq(std::vector<Elem> kids) {
    Elem e;
    e.kind = Kind::Seq;
    e.kids = std::move(kids);
    return e;
  }
  static Elem withKids(Kind k, int64_t count, std::vector<Elem> kids) {
    Elem e;
    e.kind = k;
    e.count = count;
    e.kids = std::move(kids);
    return e;
  }
};

struct Component {
  std::string name;
  std::string type; // Dataset.randn, Tensor, PCA, ...
  std::vector<KwArg> kwargs;
};

struct Kernel {
  std::string name;
  std::string params;               // "t: Tensor, x: f32[?, 3]"
  std::vector<std::string> updates; // statements; each stands alone (shrinkable)
  std::string result;               // the returned expression, or empty
};

struct SubProgram {
  std::string name;
  Elem body;
};

struct Program {
  std::vector<Component> components;
  std::vector<Kernel> kernels;
  std::vector<SubProgram> subs; // each may use only the ones before it
  Elem main;

  /// The program as .kiln text.
  std::string print() const;
  /// Whether any WEAVE occurs (in main or a sub-program).
  bool usesWeave() const;
  /// Number of elements (sub-program bodies counted once).
  size_t size() const;
};

std::string printElem(const Elem &e, unsigned indent = 0);

} // namespace kiln::difftest
