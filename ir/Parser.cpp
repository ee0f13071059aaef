// The textual IR parser: a recursive-descent reader of what ir/Printer.cpp
// writes (format in docs/ir.md). Generic ops are read by the Format column
// of ir/Ops.def; module, component and func have hand-written forms.
//
// It builds whatever the syntax says and leaves counts and types to the
// verifier; it checks only what the text itself decides: the positional
// directives, that every used value is defined (lexical scoping, enclosing
// regions visible) and that no value is defined twice.
//
// Robustness: the first error stops the parse (no cascades); nesting of
// regions and arrays is capped at kMaxParseNesting so recursion is bounded;
// integers are range-checked; the lexer works on demand so input size only
// costs time.
#include "ir/Parser.h"

#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/IRLexer.h"

namespace kiln::ir {

namespace {

bool isNumericName(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

class Parser {
public:
  Parser(std::string_view text, std::shared_ptr<const std::string> file,
         DiagnosticEngine &diag)
      : lexer_(text), file_(std::move(file)), diag_(diag) {
    // loc(...) naming the parsed file itself shares its name, so such
    // locations quote the source line in diagnostics like positional ones.
    fileNames_[*file_] = file_;
  }

  std::unique_ptr<Module> parseTopLevel() {
    if (!cur().isIdent("module")) {
      errorHere("expected 'module' at the start of the input");
      return nullptr;
    }
    auto op = parseModuleOp(locOf(cur()));
    if (!op) {
      if (!failed_)
        errorHere("malformed module");
      return nullptr;
    }
    if (!cur().is(TokKind::Eof)) {
      errorHere("expected end of input after the module");
      return nullptr;
    }
    return std::make_unique<Module>(std::move(op));
  }

  std::optional<Type> parseStandaloneType() {
    auto t = parseType();
    if (!t || !cur().is(TokKind::Eof))
      return std::nullopt;
    return t;
  }

  std::optional<Attribute> parseStandaloneAttribute() {
    auto a = parseAttribute();
    if (!a || !cur().is(TokKind::Eof))
      return std::nullopt;
    return a;
  }

private:
  // ---- tokens --------------------------------------------------------------

  const Token &peek(size_t ahead = 0) {
    while (lookahead_.size() <= ahead)
      lookahead_.push_back(lexer_.next());
    return lookahead_[ahead];
  }
  const Token &cur() { return peek(0); }
  Token take() {
    cur();
    Token t = std::move(lookahead_.front());
    lookahead_.pop_front();
    return t;
  }

  SourceLoc locOf(const Token &t) const { return SourceLoc{file_, t.line, t.col}; }

  /// Reports at `t`. A lexical error token reports its own message, so a
  /// bad byte is named as such whatever the parser was expecting there.
  void errorAt(const Token &t, const std::string &msg) {
    if (failed_)
      return; // first error only
    failed_ = true;
    diag_.error(locOf(t), t.is(TokKind::Error) ? t.value : msg);
  }
  void errorHere(const std::string &msg) { errorAt(cur(), msg); }

  bool expect(TokKind k, const std::string &msg) {
    if (!cur().is(k)) {
      errorHere(msg);
      return false;
    }
    take();
    return true;
  }

  bool enterNesting() {
    if (++depth_ > kMaxParseNesting) {
      errorHere("nesting too deep (more than " + std::to_string(kMaxParseNesting) +
                " levels)");
      return false;
    }
    return true;
  }
  void exitNesting() { --depth_; }

  // ---- numbers ---------------------------------------------------------------

  std::optional<int64_t> integerValue(const Token &t) {
    int64_t v = 0;
    const char *b = t.text.data(), *e = t.text.data() + t.text.size();
    auto res = std::from_chars(b, e, v);
    if (res.ec != std::errc() || res.ptr != e) {
      errorAt(t, "integer literal out of range");
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> floatValue(const Token &t) {
    if (t.text == "-inf")
      return -std::numeric_limits<double>::infinity();
    double v = 0;
    const char *b = t.text.data(), *e = t.text.data() + t.text.size();
    auto res = std::from_chars(b, e, v);
    if (res.ec == std::errc::result_out_of_range) {
      // Underflow to a subnormal or zero is fine (the nearest double);
      // overflow is an error.
      std::string s(t.text);
      double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d))
        return d;
      errorAt(t, "floating-point literal out of range");
      return std::nullopt;
    }
    if (res.ec != std::errc() || res.ptr != e) {
      errorAt(t, "malformed floating-point literal");
      return std::nullopt;
    }
    return v;
  }

  // ---- types and attributes --------------------------------------------------

  std::optional<Type> parseType() {
    const Token &t = cur();
    if (t.is(TokKind::BangName)) {
      std::string name = t.value;
      take();
      return Type::component(std::move(name));
    }
    if (t.isIdent("none")) {
      take();
      return Type::none();
    }
    if (!t.is(TokKind::Ident) || !parseElemType(t.text)) {
      errorHere("expected a type");
      return std::nullopt;
    }
    ElemType elem = *parseElemType(take().text);
    if (!cur().is(TokKind::LBracket))
      return Type::scalar(elem);
    take();
    std::vector<int64_t> dims;
    while (true) {
      if (cur().is(TokKind::Question)) {
        take();
        dims.push_back(kDynamic);
      } else if (cur().is(TokKind::Integer)) {
        Token d = take();
        auto v = integerValue(d);
        if (!v)
          return std::nullopt;
        if (*v < 0) {
          errorAt(d, "negative dimension in tensor type");
          return std::nullopt;
        }
        dims.push_back(*v);
      } else {
        errorHere("expected a dimension (an integer or '?')");
        return std::nullopt;
      }
      if (cur().is(TokKind::Comma)) {
        take();
        continue;
      }
      if (!expect(TokKind::RBracket, "expected ',' or ']' in tensor type"))
        return std::nullopt;
      break;
    }
    return Type::tensor(elem, std::move(dims));
  }

  std::optional<Attribute> parseAttribute() {
    const Token &t = cur();
    switch (t.kind) {
    case TokKind::Integer: {
      auto v = integerValue(t);
      if (!v)
        return std::nullopt;
      take();
      return Attribute::integer(*v);
    }
    case TokKind::Float: {
      auto v = floatValue(t);
      if (!v)
        return std::nullopt;
      take();
      return Attribute::real(*v);
    }
    case TokKind::String: {
      std::string s = t.value;
      take();
      return Attribute::string(std::move(s));
    }
    case TokKind::SymbolName: {
      std::string s = t.value;
      take();
      return Attribute::symbol(std::move(s));
    }
    case TokKind::BangName: {
      auto ty = parseType();
      if (!ty)
        return std::nullopt;
      return Attribute::type(*ty);
    }
    case TokKind::LBracket: {
      if (!enterNesting())
        return std::nullopt;
      take();
      Attribute::Array elems;
      if (!cur().is(TokKind::RBracket)) {
        while (true) {
          auto a = parseAttribute();
          if (!a)
            return std::nullopt;
          elems.push_back(std::move(*a));
          if (cur().is(TokKind::Comma)) {
            take();
            continue;
          }
          break;
        }
      }
      if (!expect(TokKind::RBracket, "expected ',' or ']' in array"))
        return std::nullopt;
      exitNesting();
      return Attribute::array(std::move(elems));
    }
    case TokKind::Ident: {
      if (t.text == "true" || t.text == "false") {
        bool b = t.text == "true";
        take();
        return Attribute::boolean(b);
      }
      if (t.text == "inf" || t.text == "nan") {
        double d = t.text == "inf" ? std::numeric_limits<double>::infinity()
                                   : std::numeric_limits<double>::quiet_NaN();
        take();
        return Attribute::real(d);
      }
      if (t.text == "none" || parseElemType(t.text)) {
        auto ty = parseType();
        if (!ty)
          return std::nullopt;
        return Attribute::type(*ty);
      }
      break;
    }
    default: break;
    }
    errorHere("expected an attribute value");
    return std::nullopt;
  }

  /// `{name = value, ...}` appended to `attrs`; a name already in `attrs`
  /// is an error (it would be lost on printing).
  bool parseAttrDict(std::vector<NamedAttribute> &attrs) {
    if (!expect(TokKind::LBrace, "expected '{' to begin an attribute dictionary"))
      return false;
    if (cur().is(TokKind::RBrace)) {
      take();
      return true;
    }
    while (true) {
      const Token &k = cur();
      if (!k.is(TokKind::Ident) && !k.is(TokKind::String)) {
        errorHere("expected an attribute name");
        return false;
      }
      Token key = take();
      std::string name = key.is(TokKind::String) ? key.value : std::string(key.text);
      for (const NamedAttribute &a : attrs)
        if (a.name == name) {
          errorAt(key, "duplicate attribute '" + name + "'");
          return false;
        }
      if (!expect(TokKind::Equal, "expected '=' after attribute name"))
        return false;
      auto value = parseAttribute();
      if (!value)
        return false;
      attrs.push_back({std::move(name), std::move(*value)});
      if (cur().is(TokKind::Comma)) {
        take();
        continue;
      }
      return expect(TokKind::RBrace, "expected ',' or '}' in attribute dictionary");
    }
  }

  /// At '{': an attribute dictionary starts `{name =`; a region does not.
  bool atAttrDict() {
    return cur().is(TokKind::LBrace) &&
           (peek(1).is(TokKind::Ident) || peek(1).is(TokKind::String)) &&
           peek(2).is(TokKind::Equal);
  }

  // ---- values and scopes -----------------------------------------------------

  /// A name bound to nullptr is reserved: the results of the op being
  /// parsed, not usable until the op ends.
  using Scope = std::unordered_map<std::string, Value *>;

  bool isDefined(const std::string &name) const {
    for (const Scope &s : scopes_)
      if (s.count(name))
        return true;
    return false;
  }

  /// Reserves `%name` in the innermost scope, or reports a redefinition.
  bool declare(const Token &t) {
    if (isDefined(t.value)) {
      errorAt(t, "redefinition of value '%" + t.value + "'");
      return false;
    }
    scopes_.back()[t.value] = nullptr;
    return true;
  }
  void bind(const std::string &name, Value *v) {
    scopes_.back()[name] = v;
    if (!isNumericName(name))
      v->setNameHint(name);
  }

  Value *lookupValue(const Token &t) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(t.value);
      if (f != it->end()) {
        if (f->second)
          return f->second;
        break;
      }
    }
    errorAt(t, "use of undefined value '%" + t.value + "'");
    return nullptr;
  }

  /// `%a, %b` (at least one) appended to `out`.
  bool parseOperandList(std::vector<Value *> &out) {
    while (true) {
      if (!cur().is(TokKind::ValueName)) {
        errorHere("expected a value name (%name)");
        return false;
      }
      Value *v = lookupValue(cur());
      if (!v)
        return false;
      take();
      out.push_back(v);
      if (!cur().is(TokKind::Comma))
        return true;
      take();
    }
  }

  /// `%name: type` (a func parameter or region argument).
  bool parseArgument(Region &region) {
    if (!cur().is(TokKind::ValueName)) {
      errorHere("expected an argument name (%name)");
      return false;
    }
    Token name = take();
    if (!declare(name))
      return false;
    if (!expect(TokKind::Colon, "expected ':' after argument name"))
      return false;
    auto type = parseType();
    if (!type)
      return false;
    bind(name.value, region.addArgument(*type));
    return true;
  }

  /// `(arg, ...)` into `region`.
  bool parseArgumentList(Region &region) {
    if (!expect(TokKind::LParen, "expected '('"))
      return false;
    if (cur().is(TokKind::RParen)) {
      take();
      return true;
    }
    while (true) {
      if (!parseArgument(region))
        return false;
      if (cur().is(TokKind::Comma)) {
        take();
        continue;
      }
      return expect(TokKind::RParen, "expected ',' or ')' after argument");
    }
  }

  // ---- regions and ops -------------------------------------------------------

  /// `{ [^bb0(args):] ops }`. A region of an op that needs a terminator and
  /// ends without one gets `terminator` (its elided form) appended.
  bool parseRegion(Region &region, std::optional<OpKind> terminator, bool allowArgs) {
    if (!cur().is(TokKind::LBrace)) {
      errorHere("expected '{' to begin a region");
      return false;
    }
    if (!enterNesting())
      return false;
    take();
    scopes_.emplace_back();
    if (cur().is(TokKind::BlockName)) {
      if (!allowArgs) {
        errorHere("a func's arguments are declared in its signature, not with a block label");
        return false;
      }
      take();
      if (!parseArgumentList(region))
        return false;
      if (!expect(TokKind::Colon, "expected ':' after the block arguments"))
        return false;
    }
    while (!cur().is(TokKind::RBrace)) {
      if (cur().is(TokKind::Eof)) {
        errorHere("unexpected end of input: expected '}' to end the region");
        return false;
      }
      if (!parseOp(region))
        return false;
    }
    Token close = take();
    if (terminator && !region.terminator())
      region.push_back(Operation::create(*terminator, {}, {}, {}, 0, locOf(close)));
    scopes_.pop_back();
    exitNesting();
    return true;
  }

  /// An optional trailing `loc("file":line:col)`.
  bool parseOptionalLoc(Operation &op) {
    if (!cur().isIdent("loc"))
      return true;
    take();
    if (!expect(TokKind::LParen, "expected '(' after 'loc'"))
      return false;
    if (!cur().is(TokKind::String)) {
      errorHere("expected a file name string in loc(...)");
      return false;
    }
    std::string file = take().value;
    uint32_t parts[2] = {0, 0};
    for (uint32_t &p : parts) {
      if (!expect(TokKind::Colon, "expected ':' in loc(...)"))
        return false;
      if (!cur().is(TokKind::Integer)) {
        errorHere("expected an integer in loc(...)");
        return false;
      }
      auto v = integerValue(cur());
      if (!v)
        return false;
      if (*v < 0 || *v > std::numeric_limits<uint32_t>::max()) {
        errorHere("line or column out of range in loc(...)");
        return false;
      }
      take();
      p = static_cast<uint32_t>(*v);
    }
    if (!expect(TokKind::RParen, "expected ')' to end loc(...)"))
      return false;
    auto &shared = fileNames_[file];
    if (!shared)
      shared = std::make_shared<const std::string>(file);
    op.setLoc(SourceLoc{shared, parts[0], parts[1]});
    return true;
  }

  /// One op, appended to `parent`.
  bool parseOp(Region &parent) {
    Token first = cur();
    SourceLoc loc = locOf(first);
    std::vector<Token> resultNames;
    if (cur().is(TokKind::ValueName)) {
      while (true) {
        if (!cur().is(TokKind::ValueName)) {
          errorHere("expected a result name (%name)");
          return false;
        }
        Token name = take();
        if (!declare(name))
          return false;
        resultNames.push_back(std::move(name));
        if (cur().is(TokKind::Comma)) {
          take();
          continue;
        }
        break;
      }
      if (!expect(TokKind::Equal, "expected '=' after result names"))
        return false;
    }
    if (!cur().is(TokKind::Ident)) {
      errorHere("expected an operation name");
      return false;
    }
    Token mnemonicTok = take();
    auto kind = lookupOpKind(mnemonicTok.text);
    if (!kind) {
      errorAt(mnemonicTok, "unknown operation '" + std::string(mnemonicTok.text) + "'");
      return false;
    }
    const OpInfo &info = opInfo(*kind);

    std::unique_ptr<Operation> op;
    if (info.has(kCustom)) {
      if (!resultNames.empty()) {
        errorAt(first, "'" + std::string(info.mnemonic) + "' does not produce results");
        return false;
      }
      if (*kind == OpKind::Module)
        op = parseModuleBody(loc);
      else if (*kind == OpKind::Component)
        op = parseComponentOp(loc);
      else
        op = parseFuncOp(loc);
    } else {
      op = parseGenericOp(info, mnemonicTok, resultNames, loc);
    }
    if (!op || !parseOptionalLoc(*op))
      return false;
    for (size_t i = 0; i < resultNames.size(); ++i)
      bind(resultNames[i].value, op->result(static_cast<unsigned>(i)));
    parent.push_back(std::move(op));
    return true;
  }

  std::unique_ptr<Operation> parseGenericOp(const OpInfo &info, const Token &mnemonicTok,
                                            const std::vector<Token> &resultNames,
                                            SourceLoc loc) {
    std::vector<Value *> operands;
    std::vector<NamedAttribute> attrs;
    for (std::string_view d : formatDirectives(info.format)) {
      if (d == "operands") {
        // The list starts on the op's line, so an operand-less op never
        // takes the next line's result names as its operands.
        if (cur().is(TokKind::ValueName) && !cur().atLineStart)
          if (!parseOperandList(operands))
            return nullptr;
      } else if (d == "(operands)") {
        if (!expect(TokKind::LParen, "expected '(' before the operands of '" +
                                         std::string(info.mnemonic) + "'"))
          return nullptr;
        if (!cur().is(TokKind::RParen) && !parseOperandList(operands))
          return nullptr;
        if (!expect(TokKind::RParen, "expected ',' or ')' after operands"))
          return nullptr;
      } else {
        size_t colon = d.find(':');
        std::string_view dkind = d.substr(0, colon);
        std::string name(d.substr(colon + 1));
        if (dkind == "sym") {
          if (!cur().is(TokKind::SymbolName)) {
            errorHere("expected a symbol (@name) for '" + name + "' of '" +
                      std::string(info.mnemonic) + "'");
            return nullptr;
          }
          attrs.push_back({name, Attribute::symbol(take().value)});
        } else if (dkind == "int") {
          if (!cur().is(TokKind::Integer)) {
            errorHere("expected an integer for '" + name + "' of '" +
                      std::string(info.mnemonic) + "'");
            return nullptr;
          }
          auto v = integerValue(cur());
          if (!v)
            return nullptr;
          take();
          attrs.push_back({name, Attribute::integer(*v)});
        } else {
          auto a = parseAttribute();
          if (!a)
            return nullptr;
          attrs.push_back({name, std::move(*a)});
        }
      }
    }
    // Without regions, any '{' here is the dictionary.
    if (cur().is(TokKind::LBrace) && (info.numRegions == 0 || atAttrDict()))
      if (!parseAttrDict(attrs))
        return nullptr;
    std::vector<Type> types;
    if (cur().is(TokKind::Colon)) {
      Token colon = take();
      while (true) {
        auto t = parseType();
        if (!t)
          return nullptr;
        types.push_back(std::move(*t));
        if (!cur().is(TokKind::Comma))
          break;
        take();
      }
      if (types.size() != resultNames.size()) {
        errorAt(colon, "'" + std::string(info.mnemonic) + "' names " +
                           std::to_string(resultNames.size()) + " result(s) but has " +
                           std::to_string(types.size()) + " result type(s)");
        return nullptr;
      }
    } else if (!resultNames.empty()) {
      errorHere("expected ':' and the result types of '" + std::string(info.mnemonic) +
                "'");
      return nullptr;
    }
    auto op = Operation::create(info.kind, std::move(operands), std::move(types),
                                std::move(attrs), 0, loc);
    if (info.numRegions >= 0) {
      for (int i = 0; i < info.numRegions; ++i)
        if (!parseRegion(op->addRegion(), OpKind::Yield, true))
          return nullptr;
    } else {
      while (cur().is(TokKind::LBrace))
        if (!parseRegion(op->addRegion(), OpKind::Yield, true))
          return nullptr;
    }
    (void)mnemonicTok;
    return op;
  }

  /// After the `module` keyword: `@name [attributes {...}] { ops }`.
  std::unique_ptr<Operation> parseModuleBody(SourceLoc loc) {
    if (!cur().is(TokKind::SymbolName)) {
      errorHere("expected the module name (@name)");
      return nullptr;
    }
    std::vector<NamedAttribute> attrs{{"sym_name", Attribute::symbol(take().value)}};
    if (cur().isIdent("attributes")) {
      take();
      if (!parseAttrDict(attrs))
        return nullptr;
    }
    auto op = Operation::create(OpKind::Module, {}, {}, std::move(attrs), 1, loc);
    if (!parseRegion(op->region(0), std::nullopt, false))
      return nullptr;
    return op;
  }

  std::unique_ptr<Operation> parseModuleOp(SourceLoc loc) {
    take(); // module
    auto op = parseModuleBody(loc);
    if (!op || !parseOptionalLoc(*op))
      return nullptr;
    return op;
  }

  /// After `component`: `@sym : Type[.ctor] [{config}]`.
  std::unique_ptr<Operation> parseComponentOp(SourceLoc loc) {
    if (!cur().is(TokKind::SymbolName)) {
      errorHere("expected the component name (@name)");
      return nullptr;
    }
    std::vector<NamedAttribute> attrs{{"sym_name", Attribute::symbol(take().value)}};
    if (!expect(TokKind::Colon, "expected ':' after the component name"))
      return nullptr;
    if (cur().is(TokKind::String)) {
      attrs.push_back({"type_name", Attribute::string(take().value)});
    } else if (cur().is(TokKind::Ident)) {
      std::string_view full = take().text;
      size_t dot = full.find('.');
      attrs.push_back({"type_name", Attribute::string(std::string(full.substr(0, dot)))});
      if (dot != std::string_view::npos) {
        if (dot + 1 == full.size()) {
          errorHere("expected a constructor name after '.'");
          return nullptr;
        }
        attrs.push_back(
            {"constructor", Attribute::string(std::string(full.substr(dot + 1)))});
      }
    } else {
      errorHere("expected the component type name");
      return nullptr;
    }
    if (cur().is(TokKind::LBrace) && !parseAttrDict(attrs))
      return nullptr;
    return Operation::create(OpKind::Component, {}, {}, std::move(attrs), 0, loc);
  }

  /// After `func`: `@sym(params) [-> (types)] [attributes {...}] [{ body }]`.
  std::unique_ptr<Operation> parseFuncOp(SourceLoc loc) {
    if (!cur().is(TokKind::SymbolName)) {
      errorHere("expected the function name (@name)");
      return nullptr;
    }
    std::vector<NamedAttribute> attrs{{"sym_name", Attribute::symbol(take().value)}};
    attrs.push_back({"result_types", Attribute::array({})});
    auto op = Operation::create(OpKind::Func, {}, {}, {}, 1, loc);
    Region &body = op->region(0);
    // The parameters live in a scope of their own around the body.
    scopes_.emplace_back();
    if (!parseArgumentList(body))
      return nullptr;
    if (cur().is(TokKind::Arrow)) {
      take();
      if (!expect(TokKind::LParen, "expected '(' after '->'"))
        return nullptr;
      Attribute::Array results;
      if (!cur().is(TokKind::RParen)) {
        while (true) {
          auto t = parseType();
          if (!t)
            return nullptr;
          results.push_back(Attribute::type(*t));
          if (!cur().is(TokKind::Comma))
            break;
          take();
        }
      }
      if (!expect(TokKind::RParen, "expected ',' or ')' after result type"))
        return nullptr;
      attrs[1].value = Attribute::array(std::move(results));
    }
    if (cur().isIdent("attributes")) {
      take();
      if (!parseAttrDict(attrs))
        return nullptr;
    }
    for (NamedAttribute &a : attrs)
      op->setAttr(a.name, std::move(a.value));
    if (cur().is(TokKind::LBrace) && !parseRegion(body, OpKind::Return, false))
      return nullptr;
    scopes_.pop_back();
    return op;
  }

  IRLexer lexer_;
  std::deque<Token> lookahead_;
  std::shared_ptr<const std::string> file_;
  DiagnosticEngine &diag_;
  std::vector<Scope> scopes_{Scope()};
  std::unordered_map<std::string, std::shared_ptr<const std::string>> fileNames_;
  unsigned depth_ = 0;
  bool failed_ = false;
};

} // namespace

std::unique_ptr<Module> parseModule(std::string_view text, const std::string &fileName,
                                    SourceManager &sources, DiagnosticEngine &diag) {
  auto file = sources.addBuffer(fileName, std::string(text));
  const std::string *stored = sources.bufferText(fileName);
  Parser parser(stored ? std::string_view(*stored) : text, file, diag);
  return parser.parseTopLevel();
}

std::optional<Type> parseTypeString(std::string_view text) {
  DiagnosticEngine diag;
  Parser parser(text, std::make_shared<const std::string>("<type>"), diag);
  return parser.parseStandaloneType();
}

std::optional<Attribute> parseAttributeString(std::string_view text) {
  DiagnosticEngine diag;
  Parser parser(text, std::make_shared<const std::string>("<attribute>"), diag);
  return parser.parseStandaloneAttribute();
}

} // namespace kiln::ir
