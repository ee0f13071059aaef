// Program: the in-memory form of a `.kiln` program, shared by the notation
// parser, the C++ builder API (frontend/Api.h), the printer, the hooks
// (find/replace) and the lowering to IR.
//
// A program is an ordered list of declarations:
//   dataset = Dataset.randn(rows=13, cols=1, seed=123)     component
//   batch = 1000                                           constant
//   kernel step(w: Tensor, x: f32[?, 4]) { ... }            kernel
//   train = SEQ([BUFFER_REPEAT(batch, CALL(dataset.next)), FILT(pca.analyze)])
//                                                          named sub-program
// Elements are plain values (copyable trees), so the C++ API can compose
// them the way the seed composes Python objects, and hooks can rewrite them
// in place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Diagnostics.h"
#include "ir/Types.h"

namespace kiln::frontend {

using ir::SourceLoc;

struct Literal;

/// A reference to a declared component, as handed out by
/// Program::component(); converts to a name literal (`layer=layer1`).
struct ComponentHandle {
  std::string name;
  /// One of its fields as a kernel's keyword argument (`x=w.value`).
  Literal field(std::string_view f) const;
};

/// A literal argument value: keyword values, counts, constants.
struct Literal {
  enum class Kind { Int, Float, String, Bool, Name, List, Wildcard };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s; // String text, or Name identifier
  std::vector<Literal> list;
  SourceLoc loc;

  Literal() = default;
  Literal(int v) : kind(Kind::Int), i(v) {}
  Literal(int64_t v) : kind(Kind::Int), i(v) {}
  Literal(double v) : kind(Kind::Float), f(v) {}
  Literal(bool v) : kind(Kind::Bool), b(v) {}
  Literal(const char *v) : kind(Kind::String), s(v) {}
  Literal(std::string v) : kind(Kind::String), s(std::move(v)) {}
  Literal(const ComponentHandle &c) : kind(Kind::Name), s(c.name) {}
  Literal(std::initializer_list<Literal> l) : kind(Kind::List), list(l) {}

  static Literal name(std::string n) {
    Literal l;
    l.kind = Kind::Name;
    l.s = std::move(n);
    return l;
  }
  static Literal wildcard() {
    Literal l;
    l.kind = Kind::Wildcard;
    return l;
  }
  static Literal listOf(std::vector<Literal> items) {
    Literal l;
    l.kind = Kind::List;
    l.list = std::move(items);
    return l;
  }
  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  double number() const { return kind == Kind::Int ? double(i) : f; }

  /// Structural equality (locations ignored).
  bool operator==(const Literal &o) const;
};

inline Literal ComponentHandle::field(std::string_view f) const {
  return Literal::name(name + "." + std::string(f));
}

struct KwArg {
  std::string name;
  Literal value;
  SourceLoc loc;

  KwArg() = default;
  KwArg(std::string n, Literal v, SourceLoc l = {})
      : name(std::move(n)), value(std::move(v)), loc(std::move(l)) {}
};

enum class ElementKind {
  Call,         // CALL(f, k=v...)
  Filt,         // FILT(f, k=v...)
  Seq,          // SEQ([a, b, ...])
  Repeat,       // REPEAT(n, body)
  BufferRepeat, // BUFFER_REPEAT(n, body)
  Loop,         // LOOP(body)
  While,        // WHILE(cond, body)
  Switch,       // SWITCH(a, b, ...) or SWITCH(CASE(v, a), ..., DEFAULT(d)); alias CHOOSE
  Case,         // CASE(v, body): only directly inside SWITCH
  Default,      // DEFAULT(body): only directly inside SWITCH
  Weave,        // WEAVE(n_required, [a, b, ...])
  Ref,          // a named sub-program used by name
  Any,          // `*` in a hook pattern: matches any element
};

/// The notation's spelling of an element kind ("BUFFER_REPEAT").
std::string_view elementKindName(ElementKind k);

struct Element {
  ElementKind kind = ElementKind::Seq;
  /// Call/Filt: the callee, dotted ("dataset.next", "cd1_update", "print");
  /// Ref: the sub-program's name.
  std::string callee;
  /// Call/Filt keyword arguments, in the order written.
  std::vector<KwArg> kwargs;
  /// Repeat/BufferRepeat: the count; Weave: n_required; Case: the case value.
  /// An Int, a Name of a constant, or (in patterns) a Wildcard.
  Literal count;
  std::vector<Element> children;
  SourceLoc loc;

  /// Structural equality (locations ignored).
  bool operator==(const Element &o) const;
};

/// A kernel parameter or value type: a component type name or a tensor type.
struct TypeSpec {
  bool isComponent = false;
  std::string componentType; // isComponent
  ir::Type type;             // !isComponent
  std::string str() const { return isComponent ? componentType : type.str(); }
  bool operator==(const TypeSpec &o) const {
    return isComponent == o.isComponent && componentType == o.componentType && type == o.type;
  }
};

/// An expression in a kernel body.
struct Expr {
  enum class Kind {
    Number,    // 1, 0.5 (isInt says which)
    Name,      // x
    Unary,     // -x (op "-")
    Binary,    // a op b; op in + - * / @ == != < <= > >=
    Field,     // base.name (a state field, or .T)
    Call,      // f(args, k=v)
    List,      // [1, 2] (shape arguments)
  };
  Kind kind = Kind::Number;
  double number = 0;
  bool isInt = false;
  std::string name; // Name, Field (field name), Call (function name)
  std::string op;   // Unary, Binary
  std::vector<Expr> args;
  std::vector<std::pair<std::string, Expr>> kwargs;
  SourceLoc loc;

  // Declared (not implicit) so that std::pair<std::string, Expr> above does
  // not need Expr complete to decide its own default constructor (clang
  // with libstdc++ rejects the recursion otherwise).
  Expr();
  bool operator==(const Expr &o) const;
};

struct Stmt {
  enum class Kind {
    Assign, // name = value, or name, more... = grad(...) (several results)
    Update, // target.field op value; op in = += -= *= /=
    Return, // return a, b
  };
  Kind kind = Kind::Assign;
  std::string name;  // Assign: the (first) local; Update: the component
  std::vector<std::string> moreNames; // Assign: the locals after the first (a, b = ...)
  std::string field; // Update
  std::string op;    // Update
  std::vector<Expr> values; // Assign/Update: one; Return: any number
  SourceLoc loc;

  bool operator==(const Stmt &o) const;
};

struct Param {
  std::string name;
  TypeSpec type;
  SourceLoc loc;
  bool operator==(const Param &o) const { return name == o.name && type == o.type; }
};

struct KernelDef {
  std::string name; // "cd1_update", or "RBM.cd1_update" in a component's kernel source
  std::vector<Param> params;
  std::vector<Stmt> body;
  SourceLoc loc;
  bool operator==(const KernelDef &o) const {
    return name == o.name && params == o.params && body == o.body;
  }
};

struct Decl {
  enum class Kind { Component, Constant, Program, Kernel };
  Kind kind = Kind::Program;
  std::string name;
  SourceLoc loc;
  // Component
  std::string typeName;
  std::string constructor; // "randn" in Dataset.randn(...)
  std::vector<KwArg> config;
  // Constant
  Literal value;
  // Program
  Element body;
  // Kernel
  KernelDef kernel;
};

class Program;

/// The elements a pattern matched, ready to be rewritten. Rewrites apply to
/// every match at once; an empty match set is an error (returns false),
/// never a silent no-op.
class MatchSet {
public:
  size_t size() const { return paths_.size(); }
  bool empty() const { return paths_.empty(); }
  /// The matched elements (copies), in program order.
  std::vector<Element> elements() const;

  [[nodiscard]] bool replace_with(const Element &replacement);
  [[nodiscard]] bool insert_after(const Element &element);
  [[nodiscard]] bool insert_before(const Element &element);

private:
  friend class Program;
  enum class Mode { Replace, After, Before };
  bool apply(Mode mode, const Element &e);
  struct Path {
    size_t decl;
    std::vector<size_t> steps; // child indices from the decl's body
  };
  Program *prog_ = nullptr;
  std::vector<Path> paths_;
};

class Program {
public:
  Program() = default;

  const std::vector<Decl> &decls() const { return decls_; }
  std::vector<Decl> &decls() { return decls_; }
  /// The declaration named `name`, or nullptr.
  const Decl *lookup(std::string_view name) const;
  Decl *lookup(std::string_view name);

  /// The entry sub-program's name ("main" unless set).
  const std::string &entry() const { return entry_; }
  void setEntry(std::string e) { entry_ = std::move(e); }

  /// Where a parsed program came from (its file, line 1, column 1), for
  /// errors about the program as a whole (an empty file has no entry);
  /// unknown for a program built with the C++ API.
  const SourceLoc &source() const { return source_; }
  void setSource(SourceLoc loc) { source_ = std::move(loc); }

  // ---- the C++ builder API (see frontend/Api.h for the elements) ----
  /// Declares a component: `component("dataset", "Dataset.randn", {{"rows", 13}})`.
  /// A declaration with the same name is replaced.
  ComponentHandle component(std::string name, std::string_view type,
                            std::vector<KwArg> config = {});
  /// Declares a named constant usable as a count or keyword value.
  void constant(std::string name, Literal value);
  /// Defines (or redefines) a named sub-program.
  void define(std::string name, Element body);
  /// Sets the entry program: define(entry(), body).
  void setMain(Element body) { define(entry_, std::move(body)); }
  /// Adds (or replaces) a kernel definition.
  void addKernel(KernelDef kernel);
  /// Adds declarations written in the notation (components, kernels,
  /// programs). Returns false with diagnostics on a parse error.
  bool addSource(std::string_view text, const std::string &bufferName,
                 ir::SourceManager &sources, ir::DiagnosticEngine &diag);

  // ---- hooks ----
  /// Every element (in every named sub-program, in program order) that
  /// matches `pattern`; see frontend/Hooks.h for the matching rules.
  MatchSet find(const Element &pattern);

  /// Adds or replaces a declaration by name (keeps the original position
  /// when replacing).
  void put(Decl d);

private:
  friend class MatchSet;
  std::vector<Decl> decls_;
  SourceLoc source_;
  std::string entry_ = "main";
};

} // namespace kiln::frontend
