// Parser for the `.kiln` notation: recursive descent over the tokens of
// frontend/Lexer.h, stopping at the first error.
#include "frontend/Parser.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include "frontend/Lexer.h"
#include "ir/FileRead.h"
#include "ir/Support.h"

namespace kiln::frontend {

namespace {

constexpr std::string_view kElementKeywords[] = {
    "CALL", "FILT", "SEQ", "REPEAT", "BUFFER_REPEAT", "LOOP", "WHILE",
    "SWITCH", "CHOOSE", "CASE", "DEFAULT", "WEAVE"};

struct ImportState {
  std::set<std::string> seen; // canonical paths already imported (or being parsed)
  unsigned depth = 0;
};

class Parser {
public:
  Parser(std::vector<Token> toks, std::shared_ptr<const std::string> file,
         ir::SourceManager &sources, ir::DiagnosticEngine &diag, bool wildcards,
         ImportState *imports)
      : toks_(std::move(toks)), file_(std::move(file)), sources_(sources), diag_(diag),
        wildcards_(wildcards), imports_(imports) {}

  bool parseFile(Program &prog);
  std::optional<Element> parseSingleElement();
  std::optional<HookSpec> parseHook();

private:
  // ---- tokens ----
  const Token &peek(size_t k = 0) const {
    size_t i = std::min(pos_ + k, toks_.size() - 1);
    return toks_[i];
  }
  bool at(Tok t) const { return peek().kind == t; }
  bool atIdent(std::string_view s) const { return at(Tok::Ident) && peek().text == s; }
  Token take() {
    Token t = peek();
    if (pos_ + 1 < toks_.size()) {
      ++pos_;
      trackBracket(t);
    }
    return t;
  }
  /// Keeps open_ as the brackets taken and not yet closed: the parser only
  /// takes a closing bracket where it closes the innermost open one.
  void trackBracket(const Token &t) {
    switch (t.kind) {
    case Tok::LParen:
    case Tok::LBracket:
    case Tok::LBrace: open_.push_back({t.kind, loc(t)}); break;
    case Tok::RParen:
    case Tok::RBracket:
    case Tok::RBrace:
      if (!open_.empty() && closerOf(open_.back().kind) == t.kind)
        open_.pop_back();
      break;
    default: break;
    }
  }
  static Tok closerOf(Tok open) {
    return open == Tok::LParen ? Tok::RParen : open == Tok::LBracket ? Tok::RBracket : Tok::RBrace;
  }
  SourceLoc loc(const Token &t) const { return SourceLoc{file_, t.line, t.col}; }
  SourceLoc here() const { return loc(peek()); }

  bool error(const SourceLoc &l, std::string msg) {
    if (!failed_)
      diag_.error(l, std::move(msg));
    failed_ = true;
    return false;
  }
  /// Reports "expected WHAT" at the current token (or the lexer's own message).
  /// When the input ended inside brackets, or WHAT is the closing bracket
  /// (`closes`), a note points at the innermost open bracket.
  bool expected(std::string what, bool closes = false) {
    const Token &t = peek();
    if (t.kind == Tok::Error)
      return error(loc(t), t.text);
    std::string got = tokenName(t.kind);
    if (t.kind == Tok::Ident)
      got = "'" + t.text + "'";
    bool first = !failed_;
    error(loc(t), "expected " + what + ", got " + got);
    if (first && !open_.empty() && (closes || t.kind == Tok::Eof))
      diag_.note(open_.back().loc, "to match this " + tokenName(open_.back().kind));
    return false;
  }
  bool expect(Tok t, std::string_view context = {}) {
    if (at(t)) {
      take();
      return true;
    }
    bool closes = t == Tok::RParen || t == Tok::RBracket || t == Tok::RBrace;
    return expected(tokenName(t) + (context.empty() ? "" : " " + std::string(context)), closes);
  }
  void skipNewlines() {
    while (at(Tok::Newline) || at(Tok::Semicolon))
      take();
  }

  struct DepthGuard {
    Parser &p;
    bool ok;
    DepthGuard(Parser &parser, const SourceLoc &l) : p(parser) {
      ok = ++p.depth_ <= kMaxNotationNesting;
      if (!ok)
        p.error(l, "nesting is too deep (more than " + std::to_string(kMaxNotationNesting) +
                       " levels)");
    }
    ~DepthGuard() { --p.depth_; }
  };

  // ---- declarations ----
  bool parseImport(Program &prog);
  bool parseDecl(Program &prog);
  bool parseKernel(KernelDef &k);
  bool addDecl(Program &prog, Decl d);

  // ---- elements and literals ----
  std::optional<Element> parseElementTree();
  bool parseCallee(std::string &callee);
  bool parseKwArgs(std::vector<KwArg> &out, std::string_view elemName);
  std::optional<Literal> parseLiteral();
  std::optional<Literal> parseCount(std::string_view elemName);
  bool parseElementList(std::vector<Element> &out);

  // ---- kernels ----
  std::optional<TypeSpec> parseTypeSpec();
  bool parseStmt(Stmt &s);
  std::optional<Expr> parseExpr();
  std::optional<Expr> parseCompare();
  std::optional<Expr> parseAdditive();
  std::optional<Expr> parseMultiplicative();
  std::optional<Expr> parseUnary();
  std::optional<Expr> parsePostfix();
  std::optional<Expr> parsePrimary();

  std::vector<Token> toks_;
  size_t pos_ = 0;
  std::shared_ptr<const std::string> file_;
  ir::SourceManager &sources_;
  ir::DiagnosticEngine &diag_;
  bool wildcards_;
  ImportState *imports_;
  unsigned depth_ = 0;
  bool failed_ = false;
  struct OpenBracket {
    Tok kind;
    SourceLoc loc;
  };
  std::vector<OpenBracket> open_; // innermost last
};

// ---------------------------------------------------------------------------
// Declarations

bool Parser::parseFile(Program &prog) {
  while (true) {
    skipNewlines();
    if (failed_)
      return false;
    if (at(Tok::Eof))
      return true;
    if (atIdent("import")) {
      if (!parseImport(prog))
        return false;
    } else if (atIdent("kernel")) {
      Decl d;
      d.kind = Decl::Kind::Kernel;
      d.loc = here();
      take();
      if (!parseKernel(d.kernel))
        return false;
      d.name = d.kernel.name;
      if (!addDecl(prog, std::move(d)))
        return false;
    } else if (!parseDecl(prog)) {
      return false;
    }
    if (!at(Tok::Eof) && !at(Tok::Newline) && !at(Tok::Semicolon))
      return expected("end of line after the declaration");
  }
}

bool Parser::addDecl(Program &prog, Decl d) {
  if (const Decl *prev = prog.lookup(d.name)) {
    error(d.loc, "redefinition of '" + d.name + "'");
    if (prev->loc.known())
      diag_.note(prev->loc, "previous definition of '" + d.name + "' is here");
    return false;
  }
  prog.decls().push_back(std::move(d));
  return true;
}

bool Parser::parseImport(Program &prog) {
  SourceLoc importLoc = here();
  take();
  if (!at(Tok::String))
    return expected("a file name in quotes after 'import'");
  Token nameTok = take();
  if (!imports_)
    return error(importLoc, "'import' is not allowed here");
  namespace fs = std::filesystem;
  fs::path base = fs::path(*file_).parent_path();
  fs::path target = fs::path(nameTok.text).is_absolute() ? fs::path(nameTok.text)
                                                          : base / nameTok.text;
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(target, ec);
  std::string key = ec ? target.string() : canon.string();
  if (imports_->seen.count(key))
    return true; // each file is imported once (this also breaks import cycles)
  if (imports_->depth >= kMaxImportDepth)
    return error(loc(nameTok), "imports are nested too deeply");
  // Opened without blocking, refused unless a regular file (ir/FileRead.h).
  std::string text, why;
  if (!ir::readFile(target.string(), text, why, {.maxBytes = kMaxImportBytes})) {
    std::string reason = why.substr(why.rfind("': ") + 3);
    if (reason.rfind("it is ", 0) == 0 || reason == "not a regular file")
      return error(loc(nameTok), "imported file '" + nameTok.text + "' is not a regular file (" +
                                     reason + ")");
    return error(loc(nameTok), "cannot read imported file '" + nameTok.text + "': " + reason);
  }
  imports_->seen.insert(key);
  auto file = sources_.addBuffer(target.string(), text);
  ++imports_->depth;
  Program sub;
  Parser p(lex(text), file, sources_, diag_, false, imports_);
  bool ok = p.parseFile(sub);
  --imports_->depth;
  if (!ok) {
    failed_ = true;
    return false;
  }
  for (Decl &d : sub.decls())
    if (!addDecl(prog, std::move(d)))
      return false;
  return true;
}

bool Parser::parseDecl(Program &prog) {
  if (!at(Tok::Ident))
    return expected("a declaration (name = ...), 'kernel' or 'import'");
  Token nameTok = take();
  Decl d;
  d.name = nameTok.text;
  d.loc = loc(nameTok);
  if (isElementKeyword(d.name))
    return error(d.loc, "'" + d.name + "' is a reserved element name");
  if (!expect(Tok::Assign, "after the declared name"))
    return false;

  const Token &t = peek();
  bool element = (t.kind == Tok::Ident && isElementKeyword(t.text)) ||
                 (t.kind == Tok::Ident && peek(1).kind != Tok::LParen &&
                  peek(1).kind != Tok::Dot && t.text != "true" && t.text != "false" &&
                  t.text != "True" && t.text != "False");
  if (element) {
    d.kind = Decl::Kind::Program;
    auto e = parseElementTree();
    if (!e)
      return false;
    d.body = std::move(*e);
    return addDecl(prog, std::move(d));
  }
  if (t.kind == Tok::Ident) {
    // A component: Type(...) or Type.constructor(...)
    d.kind = Decl::Kind::Component;
    d.typeName = take().text;
    if (at(Tok::Dot)) {
      take();
      if (!at(Tok::Ident))
        return expected("a constructor name after '" + d.typeName + ".'");
      d.constructor = take().text;
    }
    if (!expect(Tok::LParen, "to start the component's configuration"))
      return false;
    if (!at(Tok::RParen) && !parseKwArgs(d.config, d.typeName))
      return false;
    if (!expect(Tok::RParen, "to end the component's configuration"))
      return false;
    return addDecl(prog, std::move(d));
  }
  d.kind = Decl::Kind::Constant;
  auto lit = parseLiteral();
  if (!lit)
    return false;
  if (lit->kind == Literal::Kind::Wildcard)
    return error(lit->loc, "a constant cannot be '*'");
  d.value = std::move(*lit);
  return addDecl(prog, std::move(d));
}

// ---------------------------------------------------------------------------
// Elements

bool Parser::parseCallee(std::string &callee) {
  while (true) {
    if (at(Tok::Ident)) {
      callee += take().text;
    } else if (at(Tok::Star) && wildcards_) {
      take();
      callee += "*";
    } else {
      return expected(callee.empty() ? "a function or method name" : "a name after '.'");
    }
    if (!at(Tok::Dot))
      return true;
    take();
    callee += ".";
  }
}

std::optional<Literal> Parser::parseLiteral() {
  DepthGuard g(*this, here());
  if (!g.ok)
    return std::nullopt;
  Literal l;
  SourceLoc start = here();
  switch (peek().kind) {
  case Tok::Int:
    l = Literal(take().intValue);
    break;
  case Tok::Float:
    l = Literal(take().floatValue);
    break;
  case Tok::Minus: {
    take();
    if (at(Tok::Int)) {
      l = Literal(-take().intValue);
    } else if (at(Tok::Float)) {
      l = Literal(-take().floatValue);
    } else {
      expected("a number after '-'");
      return std::nullopt;
    }
    break;
  }
  case Tok::String:
    l = Literal(take().text);
    break;
  case Tok::Star:
    if (!wildcards_) {
      error(start, "'*' is only allowed in hook patterns");
      return std::nullopt;
    }
    take();
    l = Literal::wildcard();
    break;
  case Tok::Ident: {
    std::string n = take().text;
    if (n == "true" || n == "True")
      l = Literal(true);
    else if (n == "false" || n == "False")
      l = Literal(false);
    else {
      // comp.field: a component's field as a kernel argument.
      while (at(Tok::Dot) && peek(1).kind == Tok::Ident) {
        take();
        n += "." + take().text;
      }
      l = Literal::name(n);
    }
    break;
  }
  case Tok::LBracket: {
    take();
    std::vector<Literal> items;
    while (!at(Tok::RBracket)) {
      auto item = parseLiteral();
      if (!item)
        return std::nullopt;
      items.push_back(std::move(*item));
      if (at(Tok::Comma))
        take();
      else if (!at(Tok::RBracket)) {
        expected("',' or ']' in the list", true);
        return std::nullopt;
      }
    }
    take();
    l = Literal::listOf(std::move(items));
    break;
  }
  default:
    expected("a value (number, string, name or list)");
    return std::nullopt;
  }
  l.loc = start;
  return l;
}

bool Parser::parseKwArgs(std::vector<KwArg> &out, std::string_view elemName) {
  while (true) {
    if (!at(Tok::Ident) || peek(1).kind != Tok::Assign)
      return expected("a keyword argument (name=value) in " + std::string(elemName));
    KwArg k;
    k.loc = here();
    k.name = take().text;
    take(); // '='
    for (const KwArg &prev : out)
      if (prev.name == k.name)
        return error(k.loc, "keyword argument '" + k.name + "' given twice");
    auto v = parseLiteral();
    if (!v)
      return false;
    k.value = std::move(*v);
    out.push_back(std::move(k));
    if (!at(Tok::Comma))
      return true;
    take();
    if (at(Tok::RParen))
      return true; // trailing comma
  }
}

std::optional<Literal> Parser::parseCount(std::string_view elemName) {
  SourceLoc l = here();
  if (at(Tok::Int) || at(Tok::Minus) || at(Tok::Ident) || (at(Tok::Star) && wildcards_)) {
    auto lit = parseLiteral();
    if (!lit)
      return std::nullopt;
    if (lit->kind != Literal::Kind::Int && lit->kind != Literal::Kind::Name &&
        lit->kind != Literal::Kind::Wildcard) {
      error(l, std::string(elemName) + " needs an integer count");
      return std::nullopt;
    }
    return lit;
  }
  expected("an integer count as the first argument of " + std::string(elemName));
  return std::nullopt;
}

bool Parser::parseElementList(std::vector<Element> &out) {
  if (!expect(Tok::LBracket))
    return false;
  while (!at(Tok::RBracket)) {
    auto e = parseElementTree();
    if (!e)
      return false;
    out.push_back(std::move(*e));
    if (at(Tok::Comma))
      take();
    else if (!at(Tok::RBracket))
      return expected("',' or ']' in the element list", true);
  }
  take();
  return true;
}

std::optional<Element> Parser::parseElementTree() {
  DepthGuard g(*this, here());
  if (!g.ok)
    return std::nullopt;
  Element e;
  e.loc = here();
  if (at(Tok::Star)) {
    if (!wildcards_) {
      error(e.loc, "'*' is only allowed in hook patterns");
      return std::nullopt;
    }
    take();
    e.kind = ElementKind::Any;
    return e;
  }
  if (!at(Tok::Ident)) {
    expected("a control-flow element (CALL, FILT, SEQ, ...) or a program name");
    return std::nullopt;
  }
  Token head = take();
  const std::string &kw = head.text;
  if (!isElementKeyword(kw)) {
    if (at(Tok::LParen)) {
      error(e.loc, "unknown element '" + kw + "'");
      return std::nullopt;
    }
    e.kind = ElementKind::Ref;
    e.callee = kw;
    return e;
  }
  if (!expect(Tok::LParen, "after " + kw))
    return std::nullopt;
  auto arity = [&](std::string_view form) {
    if (peek().kind == Tok::Error || peek().kind == Tok::Eof)
      expected("the rest of " + std::string(form));
    else
      error(e.loc, "wrong number of arguments to " + kw + ": expected " + std::string(form));
    return std::nullopt;
  };
  auto comma = [&]() {
    if (at(Tok::Comma)) {
      take();
      return true;
    }
    return false;
  };

  if (kw == "CALL" || kw == "FILT") {
    e.kind = kw == "CALL" ? ElementKind::Call : ElementKind::Filt;
    if (at(Tok::RParen))
      return arity(kw + "(f, name=value, ...)");
    if (!parseCallee(e.callee))
      return std::nullopt;
    if (comma() && !at(Tok::RParen) && !parseKwArgs(e.kwargs, kw))
      return std::nullopt;
  } else if (kw == "SEQ") {
    e.kind = ElementKind::Seq;
    if (!at(Tok::LBracket)) {
      expected("'[' (SEQ takes a list: SEQ([a, b, ...]))");
      return std::nullopt;
    }
    if (!parseElementList(e.children))
      return std::nullopt;
  } else if (kw == "REPEAT" || kw == "BUFFER_REPEAT") {
    e.kind = kw == "REPEAT" ? ElementKind::Repeat : ElementKind::BufferRepeat;
    std::string form = kw + "(n, body)";
    if (at(Tok::RParen))
      return arity(form);
    auto n = parseCount(kw);
    if (!n)
      return std::nullopt;
    e.count = std::move(*n);
    if (!comma() || at(Tok::RParen))
      return arity(form);
    auto body = parseElementTree();
    if (!body)
      return std::nullopt;
    e.children.push_back(std::move(*body));
  } else if (kw == "LOOP" || kw == "DEFAULT") {
    e.kind = kw == "LOOP" ? ElementKind::Loop : ElementKind::Default;
    if (at(Tok::RParen))
      return arity(kw + "(body)");
    auto body = parseElementTree();
    if (!body)
      return std::nullopt;
    e.children.push_back(std::move(*body));
  } else if (kw == "WHILE") {
    e.kind = ElementKind::While;
    if (at(Tok::RParen))
      return arity("WHILE(cond, body)");
    auto cond = parseElementTree();
    if (!cond)
      return std::nullopt;
    if (!comma() || at(Tok::RParen))
      return arity("WHILE(cond, body)");
    auto body = parseElementTree();
    if (!body)
      return std::nullopt;
    e.children.push_back(std::move(*cond));
    e.children.push_back(std::move(*body));
  } else if (kw == "CASE") {
    e.kind = ElementKind::Case;
    if (at(Tok::RParen))
      return arity("CASE(value, body)");
    SourceLoc vl = here();
    auto v = parseLiteral();
    if (!v)
      return std::nullopt;
    if (v->kind != Literal::Kind::Int && v->kind != Literal::Kind::Wildcard &&
        v->kind != Literal::Kind::Name) {
      error(vl, "CASE needs an integer value");
      return std::nullopt;
    }
    e.count = std::move(*v);
    if (!comma() || at(Tok::RParen))
      return arity("CASE(value, body)");
    auto body = parseElementTree();
    if (!body)
      return std::nullopt;
    e.children.push_back(std::move(*body));
  } else if (kw == "SWITCH" || kw == "CHOOSE") {
    e.kind = ElementKind::Switch;
    if (at(Tok::RParen))
      return arity(kw + "(a, b, ...) or " + kw + "(CASE(v, a), ..., DEFAULT(d))");
    while (true) {
      auto c = parseElementTree();
      if (!c)
        return std::nullopt;
      e.children.push_back(std::move(*c));
      if (!comma() || at(Tok::RParen))
        break;
    }
  } else { // WEAVE
    e.kind = ElementKind::Weave;
    if (at(Tok::RParen))
      return arity("WEAVE(n_required, [a, b, ...])");
    auto n = parseCount(kw);
    if (!n)
      return std::nullopt;
    e.count = std::move(*n);
    if (!comma() || at(Tok::RParen))
      return arity("WEAVE(n_required, [a, b, ...])");
    if (!at(Tok::LBracket)) {
      expected("'[' (WEAVE takes a list: WEAVE(n_required, [a, b, ...]))");
      return std::nullopt;
    }
    if (!parseElementList(e.children))
      return std::nullopt;
  }
  if (!at(Tok::RParen)) {
    if (at(Tok::Comma) || at(Tok::Ident) || at(Tok::Int)) {
      error(here(), "too many arguments to " + kw);
      return std::nullopt;
    }
    expected("')' to close " + kw, true);
    return std::nullopt;
  }
  take();
  // CASE/DEFAULT live only directly inside SWITCH; check the children here.
  if (e.kind == ElementKind::Switch) {
    bool anyCase = false, anyPlain = false;
    int defaults = 0;
    for (const Element &c : e.children) {
      if (c.kind == ElementKind::Case)
        anyCase = true;
      else if (c.kind == ElementKind::Default) {
        anyCase = true;
        if (++defaults > 1) {
          error(c.loc, "SWITCH has more than one DEFAULT");
          return std::nullopt;
        }
      } else if (c.kind != ElementKind::Any)
        anyPlain = true;
    }
    if (anyCase && anyPlain) {
      error(e.loc, "SWITCH mixes CASE/DEFAULT with plain elements; use one form");
      return std::nullopt;
    }
  } else {
    for (const Element &c : e.children)
      if (c.kind == ElementKind::Case || c.kind == ElementKind::Default) {
        error(c.loc, std::string(elementKindName(c.kind)) + " is only allowed directly inside SWITCH");
        return std::nullopt;
      }
  }
  return e;
}

// ---------------------------------------------------------------------------
// Kernels

std::optional<TypeSpec> Parser::parseTypeSpec() {
  if (!at(Tok::Ident)) {
    expected("a type (f32, f32[?, 784], or a component type)");
    return std::nullopt;
  }
  Token t = take();
  TypeSpec ts;
  auto elem = ir::parseElemType(t.text);
  if (!elem) {
    ts.isComponent = true;
    ts.componentType = t.text;
    return ts;
  }
  if (!at(Tok::LBracket)) {
    ts.type = ir::Type::scalar(*elem);
    return ts;
  }
  take();
  std::vector<int64_t> dims;
  while (true) {
    if (at(Tok::Question)) {
      take();
      dims.push_back(ir::kDynamic);
    } else if (at(Tok::Int)) {
      Token d = take();
      if (d.intValue <= 0) {
        error(loc(d), "a dimension must be positive or '?'");
        return std::nullopt;
      }
      dims.push_back(d.intValue);
    } else {
      expected("a dimension (an integer or '?')");
      return std::nullopt;
    }
    if (at(Tok::Comma)) {
      take();
      continue;
    }
    if (!expect(Tok::RBracket, "to close the shape"))
      return std::nullopt;
    break;
  }
  ts.type = ir::Type::tensor(*elem, std::move(dims));
  return ts;
}

bool Parser::parseKernel(KernelDef &k) {
  k.loc = here();
  if (!at(Tok::Ident))
    return expected("a kernel name");
  k.name = take().text;
  if (at(Tok::Dot)) { // a component type's kernel: RBM.cd1_update
    take();
    if (!at(Tok::Ident))
      return expected("a method name");
    k.name += "." + take().text;
  }
  if (isElementKeyword(k.name))
    return error(k.loc, "'" + k.name + "' is a reserved element name");
  if (!expect(Tok::LParen, "to start the kernel's parameters"))
    return false;
  while (!at(Tok::RParen)) {
    Param p;
    p.loc = here();
    if (!at(Tok::Ident))
      return expected("a parameter name");
    p.name = take().text;
    for (const Param &q : k.params)
      if (q.name == p.name)
        return error(p.loc, "parameter '" + p.name + "' declared twice");
    if (!expect(Tok::Colon, "and a type after the parameter name"))
      return false;
    auto t = parseTypeSpec();
    if (!t)
      return false;
    p.type = std::move(*t);
    k.params.push_back(std::move(p));
    if (at(Tok::Comma))
      take();
    else if (!at(Tok::RParen))
      return expected("',' or ')' in the parameter list", true);
  }
  take();
  if (!expect(Tok::LBrace, "to start the kernel body"))
    return false;
  while (true) {
    skipNewlines();
    if (at(Tok::RBrace))
      break;
    if (at(Tok::Eof))
      return expected("'}' to end the kernel body");
    Stmt s;
    if (!parseStmt(s))
      return false;
    k.body.push_back(std::move(s));
    if (!at(Tok::Newline) && !at(Tok::Semicolon) && !at(Tok::RBrace))
      return expected("end of line after the statement");
  }
  take();
  return true;
}

bool Parser::parseStmt(Stmt &s) {
  s.loc = here();
  if (atIdent("return")) {
    take();
    s.kind = Stmt::Kind::Return;
    if (at(Tok::Newline) || at(Tok::Semicolon) || at(Tok::RBrace))
      return true;
    while (true) {
      auto e = parseExpr();
      if (!e)
        return false;
      s.values.push_back(std::move(*e));
      if (!at(Tok::Comma))
        return true;
      take();
    }
  }
  if (!at(Tok::Ident))
    return expected("a statement (name = expr, component.field += expr, return ...)");
  s.name = take().text;
  if (at(Tok::Dot)) {
    take();
    if (!at(Tok::Ident))
      return expected("a state field name");
    s.field = take().text;
    s.kind = Stmt::Kind::Update;
    switch (peek().kind) {
    case Tok::Assign: s.op = "="; break;
    case Tok::PlusAssign: s.op = "+="; break;
    case Tok::MinusAssign: s.op = "-="; break;
    case Tok::StarAssign: s.op = "*="; break;
    case Tok::SlashAssign: s.op = "/="; break;
    default: return expected("'=', '+=', '-=', '*=' or '/='");
    }
    take();
  } else {
    s.kind = Stmt::Kind::Assign;
    while (at(Tok::Comma)) { // g_w, g_b = grad(loss, [w.value, b.value])
      take();
      if (!at(Tok::Ident))
        return expected("a local name after ','");
      s.moreNames.push_back(take().text);
    }
    if (!expect(Tok::Assign, "after the local name"))
      return false;
  }
  auto e = parseExpr();
  if (!e)
    return false;
  s.values.push_back(std::move(*e));
  return true;
}

std::optional<Expr> Parser::parseExpr() {
  DepthGuard g(*this, here());
  if (!g.ok)
    return std::nullopt;
  return parseCompare();
}

std::optional<Expr> Parser::parseCompare() {
  auto lhs = parseAdditive();
  if (!lhs)
    return std::nullopt;
  std::string op;
  switch (peek().kind) {
  case Tok::Eq: op = "=="; break;
  case Tok::Ne: op = "!="; break;
  case Tok::Lt: op = "<"; break;
  case Tok::Le: op = "<="; break;
  case Tok::Gt: op = ">"; break;
  case Tok::Ge: op = ">="; break;
  default: return lhs;
  }
  Expr e;
  e.kind = Expr::Kind::Binary;
  e.loc = here();
  e.op = op;
  take();
  auto rhs = parseAdditive();
  if (!rhs)
    return std::nullopt;
  e.args.push_back(std::move(*lhs));
  e.args.push_back(std::move(*rhs));
  return e;
}

std::optional<Expr> Parser::parseAdditive() {
  auto lhs = parseMultiplicative();
  while (lhs && (at(Tok::Plus) || at(Tok::Minus))) {
    Expr e;
    e.kind = Expr::Kind::Binary;
    e.loc = here();
    e.op = take().kind == Tok::Plus ? "+" : "-";
    auto rhs = parseMultiplicative();
    if (!rhs)
      return std::nullopt;
    e.args.push_back(std::move(*lhs));
    e.args.push_back(std::move(*rhs));
    lhs = std::move(e);
  }
  return lhs;
}

std::optional<Expr> Parser::parseMultiplicative() {
  auto lhs = parseUnary();
  while (lhs && (at(Tok::Star) || at(Tok::Slash) || at(Tok::At))) {
    Expr e;
    e.kind = Expr::Kind::Binary;
    e.loc = here();
    Tok k = take().kind;
    e.op = k == Tok::Star ? "*" : k == Tok::Slash ? "/" : "@";
    auto rhs = parseUnary();
    if (!rhs)
      return std::nullopt;
    e.args.push_back(std::move(*lhs));
    e.args.push_back(std::move(*rhs));
    lhs = std::move(e);
  }
  return lhs;
}

std::optional<Expr> Parser::parseUnary() {
  DepthGuard g(*this, here());
  if (!g.ok)
    return std::nullopt;
  if (at(Tok::Minus)) {
    Expr e;
    e.kind = Expr::Kind::Unary;
    e.loc = here();
    e.op = "-";
    take();
    auto x = parseUnary();
    if (!x)
      return std::nullopt;
    e.args.push_back(std::move(*x));
    return e;
  }
  return parsePostfix();
}

std::optional<Expr> Parser::parsePostfix() {
  auto base = parsePrimary();
  while (base && at(Tok::Dot)) {
    take();
    if (!at(Tok::Ident)) {
      expected("a field name or 'T' after '.'");
      return std::nullopt;
    }
    Expr e;
    e.kind = Expr::Kind::Field;
    e.loc = here();
    e.name = take().text;
    e.args.push_back(std::move(*base));
    base = std::move(e);
  }
  return base;
}

std::optional<Expr> Parser::parsePrimary() {
  Expr e;
  e.loc = here();
  const Token &t = peek();
  switch (t.kind) {
  case Tok::Int:
    e.kind = Expr::Kind::Number;
    e.isInt = true;
    e.number = static_cast<double>(take().intValue);
    return e;
  case Tok::Float:
    e.kind = Expr::Kind::Number;
    e.number = take().floatValue;
    return e;
  case Tok::LParen: {
    take();
    auto inner = parseExpr();
    if (!inner || !expect(Tok::RParen, "to close the parenthesis"))
      return std::nullopt;
    return inner;
  }
  case Tok::LBracket: {
    take();
    e.kind = Expr::Kind::List;
    while (!at(Tok::RBracket)) {
      auto item = parseExpr();
      if (!item)
        return std::nullopt;
      e.args.push_back(std::move(*item));
      if (at(Tok::Comma))
        take();
      else if (!at(Tok::RBracket)) {
        expected("',' or ']' in the list", true);
        return std::nullopt;
      }
    }
    take();
    return e;
  }
  case Tok::Ident: {
    e.name = take().text;
    if (!at(Tok::LParen)) {
      e.kind = Expr::Kind::Name;
      return e;
    }
    e.kind = Expr::Kind::Call;
    take();
    while (!at(Tok::RParen)) {
      if (at(Tok::Ident) && peek(1).kind == Tok::Assign) {
        std::string k = take().text;
        take();
        auto v = parseExpr();
        if (!v)
          return std::nullopt;
        e.kwargs.emplace_back(std::move(k), std::move(*v));
      } else {
        if (!e.kwargs.empty()) {
          error(here(), "positional argument after keyword argument");
          return std::nullopt;
        }
        auto v = parseExpr();
        if (!v)
          return std::nullopt;
        e.args.push_back(std::move(*v));
      }
      if (at(Tok::Comma))
        take();
      else if (!at(Tok::RParen)) {
        expected("',' or ')' in the argument list", true);
        return std::nullopt;
      }
    }
    take();
    return e;
  }
  default:
    expected("an expression");
    return std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// Single elements and hook specs

std::optional<Element> Parser::parseSingleElement() {
  skipNewlines();
  auto e = parseElementTree();
  if (!e)
    return std::nullopt;
  skipNewlines();
  if (!at(Tok::Eof)) {
    expected("end of input after the element");
    return std::nullopt;
  }
  return e;
}

std::optional<HookSpec> Parser::parseHook() {
  HookSpec h;
  if (!at(Tok::Ident) ||
      (peek().text != "after" && peek().text != "before" && peek().text != "replace")) {
    expected("'after', 'before' or 'replace' to start the hook");
    return std::nullopt;
  }
  std::string mode = take().text;
  h.mode = mode == "after" ? HookSpec::Mode::After
           : mode == "before" ? HookSpec::Mode::Before
                              : HookSpec::Mode::Replace;
  h.patternLoc = here();
  auto pattern = parseElementTree();
  if (!pattern)
    return std::nullopt;
  h.pattern = std::move(*pattern);
  if (!expect(Tok::Colon, "between the pattern and the element"))
    return std::nullopt;
  wildcards_ = false;
  auto e = parseElementTree();
  if (!e)
    return std::nullopt;
  h.element = std::move(*e);
  if (!at(Tok::Eof)) {
    expected("end of the hook after the element");
    return std::nullopt;
  }
  return h;
}

} // namespace

bool isElementKeyword(std::string_view name) {
  for (std::string_view k : kElementKeywords)
    if (k == name)
      return true;
  return false;
}

std::optional<Program> parseProgram(std::string_view text, const std::string &fileName,
                                    ir::SourceManager &sources, ir::DiagnosticEngine &diag) {
  auto file = sources.addBuffer(fileName, std::string(text));
  ImportState imports;
  std::error_code ec;
  auto canon = std::filesystem::weakly_canonical(fileName, ec);
  imports.seen.insert(ec ? fileName : canon.string());
  Program prog;
  prog.setSource(SourceLoc{file, 1, 1});
  Parser p(lex(text), file, sources, diag, false, &imports);
  if (!p.parseFile(prog))
    return std::nullopt;
  return prog;
}

std::optional<Program> parseProgramFile(const std::string &path, ir::SourceManager &sources,
                                        ir::DiagnosticEngine &diag) {
  std::string text, why;
  if (!ir::readFile(path, text, why)) {
    diag.error(SourceLoc{}, why);
    return std::nullopt;
  }
  return parseProgram(text, path, sources, diag);
}

std::optional<Element> parseElement(std::string_view text, const std::string &bufferName,
                                    ir::SourceManager &sources, ir::DiagnosticEngine &diag,
                                    bool allowWildcards) {
  auto file = sources.addBuffer(bufferName, std::string(text));
  Parser p(lex(text), file, sources, diag, allowWildcards, nullptr);
  return p.parseSingleElement();
}

std::optional<HookSpec> parseHookSpec(std::string_view text, const std::string &bufferName,
                                      ir::SourceManager &sources, ir::DiagnosticEngine &diag) {
  auto file = sources.addBuffer(bufferName, std::string(text));
  Parser p(lex(text), file, sources, diag, true, nullptr);
  return p.parseHook();
}

} // namespace kiln::frontend
