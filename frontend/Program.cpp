// Program: declarations, structural equality, and the builder entry points.
#include "frontend/Program.h"

#include "frontend/Parser.h"
#include "ir/Support.h"

namespace kiln::frontend {

std::string_view elementKindName(ElementKind k) {
  switch (k) {
  case ElementKind::Call: return "CALL";
  case ElementKind::Filt: return "FILT";
  case ElementKind::Seq: return "SEQ";
  case ElementKind::Repeat: return "REPEAT";
  case ElementKind::BufferRepeat: return "BUFFER_REPEAT";
  case ElementKind::Loop: return "LOOP";
  case ElementKind::While: return "WHILE";
  case ElementKind::Switch: return "SWITCH";
  case ElementKind::Case: return "CASE";
  case ElementKind::Default: return "DEFAULT";
  case ElementKind::Weave: return "WEAVE";
  case ElementKind::Ref: return "sub-program";
  case ElementKind::Any: return "*";
  }
  KILN_UNREACHABLE("bad element kind");
}

bool Literal::operator==(const Literal &o) const {
  if (kind != o.kind)
    return false;
  switch (kind) {
  case Kind::Int: return i == o.i;
  case Kind::Float: return f == o.f || (f != f && o.f != o.f);
  case Kind::Bool: return b == o.b;
  case Kind::String:
  case Kind::Name: return s == o.s;
  case Kind::List: return list == o.list;
  case Kind::Wildcard: return true;
  }
  return false;
}

static bool kwargsEqual(const std::vector<KwArg> &a, const std::vector<KwArg> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || !(a[i].value == b[i].value))
      return false;
  return true;
}

bool Element::operator==(const Element &o) const {
  return kind == o.kind && callee == o.callee && kwargsEqual(kwargs, o.kwargs) &&
         count == o.count && children == o.children;
}

Expr::Expr() = default;

bool Expr::operator==(const Expr &o) const {
  return kind == o.kind && number == o.number && isInt == o.isInt && name == o.name &&
         op == o.op && args == o.args && kwargs == o.kwargs;
}

bool Stmt::operator==(const Stmt &o) const {
  return kind == o.kind && name == o.name && moreNames == o.moreNames && field == o.field &&
         op == o.op && values == o.values;
}

const Decl *Program::lookup(std::string_view name) const {
  for (const Decl &d : decls_)
    if (d.name == name)
      return &d;
  return nullptr;
}

Decl *Program::lookup(std::string_view name) {
  for (Decl &d : decls_)
    if (d.name == name)
      return &d;
  return nullptr;
}

void Program::put(Decl d) {
  if (Decl *prev = lookup(d.name))
    *prev = std::move(d);
  else
    decls_.push_back(std::move(d));
}

ComponentHandle Program::component(std::string name, std::string_view type,
                                   std::vector<KwArg> config) {
  Decl d;
  d.kind = Decl::Kind::Component;
  d.name = name;
  size_t dot = type.find('.');
  d.typeName = std::string(type.substr(0, dot));
  if (dot != std::string_view::npos)
    d.constructor = std::string(type.substr(dot + 1));
  d.config = std::move(config);
  put(std::move(d));
  return ComponentHandle{std::move(name)};
}

void Program::constant(std::string name, Literal value) {
  Decl d;
  d.kind = Decl::Kind::Constant;
  d.name = std::move(name);
  d.value = std::move(value);
  put(std::move(d));
}

void Program::define(std::string name, Element body) {
  Decl d;
  d.kind = Decl::Kind::Program;
  d.name = std::move(name);
  d.body = std::move(body);
  put(std::move(d));
}

void Program::addKernel(KernelDef kernel) {
  Decl d;
  d.kind = Decl::Kind::Kernel;
  d.name = kernel.name;
  d.loc = kernel.loc;
  d.kernel = std::move(kernel);
  put(std::move(d));
}

bool Program::addSource(std::string_view text, const std::string &bufferName,
                        ir::SourceManager &sources, ir::DiagnosticEngine &diag) {
  auto parsed = parseProgram(text, bufferName, sources, diag);
  if (!parsed)
    return false;
  for (Decl &d : parsed->decls())
    put(std::move(d));
  return true;
}

} // namespace kiln::frontend
