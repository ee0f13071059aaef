// Canonical printing of programs (see ProgramPrinter.h). Layout rules:
//   - SEQ, WEAVE and SWITCH put each child on its own line, indented 4 more
//     than the line the element starts on; the closing brackets follow the
//     last child (as in the seed's example).
//   - Other elements print their children inline.
//   - Consecutive component and constant declarations form one block;
//     every program and kernel declaration is set off by a blank line.
#include "frontend/ProgramPrinter.h"

#include <cmath>

#include "ir/Attributes.h"
#include "ir/Support.h"

namespace kiln::frontend {

namespace {

std::string pad(unsigned n) { return std::string(n, ' '); }

std::string printKwArgs(const std::vector<KwArg> &kwargs) {
  std::string out;
  for (const KwArg &k : kwargs) {
    out += ", ";
    out += k.name + "=" + printLiteral(k.value);
  }
  return out;
}

std::string printChildren(const std::vector<Element> &children, unsigned indent) {
  std::string out;
  for (size_t i = 0; i < children.size(); ++i) {
    out += "\n" + pad(indent + 4) + printElement(children[i], indent + 4);
    if (i + 1 < children.size())
      out += ",";
  }
  return out;
}

int precedence(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Binary:
    if (e.op == "+" || e.op == "-")
      return 2;
    if (e.op == "*" || e.op == "/" || e.op == "@")
      return 3;
    return 1; // comparisons
  case Expr::Kind::Unary: return 4;
  case Expr::Kind::Number: return e.number < 0 ? 0 : 5;
  default: return 5;
  }
}

std::string printAt(const Expr &e, int minPrec) {
  std::string s = printExpr(e);
  return precedence(e) < minPrec ? "(" + s + ")" : s;
}

std::string formatNumber(double v, bool isInt) {
  if (isInt && std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e18)
    return std::to_string(static_cast<int64_t>(v));
  return ir::formatDouble(v);
}

} // namespace

std::string printLiteral(const Literal &l) {
  switch (l.kind) {
  case Literal::Kind::Int: return std::to_string(l.i);
  case Literal::Kind::Float: return ir::formatDouble(l.f);
  case Literal::Kind::String: return ir::quoteString(l.s);
  case Literal::Kind::Bool: return l.b ? "true" : "false";
  case Literal::Kind::Name: return l.s;
  case Literal::Kind::Wildcard: return "*";
  case Literal::Kind::List: {
    std::string out = "[";
    for (size_t i = 0; i < l.list.size(); ++i) {
      if (i)
        out += ", ";
      out += printLiteral(l.list[i]);
    }
    return out + "]";
  }
  }
  KILN_UNREACHABLE("bad literal kind");
}

std::string printElement(const Element &e, unsigned indent) {
  auto child = [&](size_t i) {
    return i < e.children.size() ? printElement(e.children[i], indent) : std::string("SEQ([])");
  };
  switch (e.kind) {
  case ElementKind::Call:
  case ElementKind::Filt:
    return std::string(elementKindName(e.kind)) + "(" + e.callee + printKwArgs(e.kwargs) + ")";
  case ElementKind::Ref: return e.callee;
  case ElementKind::Any: return "*";
  case ElementKind::Seq:
    return "SEQ([" + printChildren(e.children, indent) + "])";
  case ElementKind::Weave:
    return "WEAVE(" + printLiteral(e.count) + ", [" + printChildren(e.children, indent) + "])";
  case ElementKind::Switch:
    return "SWITCH(" + printChildren(e.children, indent) + ")";
  case ElementKind::Repeat:
  case ElementKind::BufferRepeat:
  case ElementKind::Case:
    return std::string(elementKindName(e.kind)) + "(" + printLiteral(e.count) + ", " + child(0) +
           ")";
  case ElementKind::Loop:
  case ElementKind::Default:
    return std::string(elementKindName(e.kind)) + "(" + child(0) + ")";
  case ElementKind::While:
    return "WHILE(" + child(0) + ", " + child(1) + ")";
  }
  KILN_UNREACHABLE("bad element kind");
}

std::string printExpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number: return formatNumber(e.number, e.isInt);
  case Expr::Kind::Name: return e.name;
  case Expr::Kind::Unary: return e.op + printAt(e.args.at(0), 4);
  case Expr::Kind::Binary: {
    int p = precedence(e);
    bool compare = p == 1;
    return printAt(e.args.at(0), compare ? 2 : p) + " " + e.op + " " +
           printAt(e.args.at(1), compare ? 2 : p + 1);
  }
  case Expr::Kind::Field: return printAt(e.args.at(0), 5) + "." + e.name;
  case Expr::Kind::Call: {
    std::string out = e.name + "(";
    bool first = true;
    for (const Expr &a : e.args) {
      out += first ? "" : ", ";
      first = false;
      out += printExpr(a);
    }
    for (const auto &[k, v] : e.kwargs) {
      out += first ? "" : ", ";
      first = false;
      out += k + "=" + printExpr(v);
    }
    return out + ")";
  }
  case Expr::Kind::List: {
    std::string out = "[";
    for (size_t i = 0; i < e.args.size(); ++i)
      out += (i ? ", " : "") + printExpr(e.args[i]);
    return out + "]";
  }
  }
  KILN_UNREACHABLE("bad expression kind");
}

std::string printKernel(const KernelDef &k) {
  std::string out = "kernel " + k.name + "(";
  for (size_t i = 0; i < k.params.size(); ++i)
    out += (i ? ", " : "") + k.params[i].name + ": " + k.params[i].type.str();
  out += ") {\n";
  for (const Stmt &s : k.body) {
    out += pad(4);
    switch (s.kind) {
    case Stmt::Kind::Assign:
      out += s.name;
      for (const std::string &n : s.moreNames)
        out += ", " + n;
      out += " = " + printExpr(s.values.at(0));
      break;
    case Stmt::Kind::Update:
      out += s.name + "." + s.field + " " + s.op + " " + printExpr(s.values.at(0));
      break;
    case Stmt::Kind::Return:
      out += "return";
      for (size_t i = 0; i < s.values.size(); ++i)
        out += (i ? ", " : " ") + printExpr(s.values[i]);
      break;
    }
    out += "\n";
  }
  return out + "}";
}

std::string printProgram(const Program &prog) {
  std::string out;
  const Decl *prev = nullptr;
  auto block = [](const Decl &d) {
    return d.kind == Decl::Kind::Program || d.kind == Decl::Kind::Kernel;
  };
  for (const Decl &d : prog.decls()) {
    if (prev && (block(d) || block(*prev)))
      out += "\n";
    switch (d.kind) {
    case Decl::Kind::Component: {
      out += d.name + " = " + d.typeName;
      if (!d.constructor.empty())
        out += "." + d.constructor;
      std::string kw = printKwArgs(d.config);
      out += "(" + (kw.empty() ? kw : kw.substr(2)) + ")";
      break;
    }
    case Decl::Kind::Constant: out += d.name + " = " + printLiteral(d.value); break;
    case Decl::Kind::Program: out += d.name + " = " + printElement(d.body, 0); break;
    case Decl::Kind::Kernel: out += printKernel(d.kernel); break;
    }
    out += "\n";
    prev = &d;
  }
  return out;
}

} // namespace kiln::frontend
