// The lexer of the textual IR; see ir/IRLexer.h.
#include "ir/IRLexer.h"

#include <cstdio>

namespace kiln::ir {

bool isIRIdentifier(std::string_view s) {
  if (s.empty() || !isIRIdentStart(s[0]))
    return false;
  for (char c : s)
    if (!isIRIdentChar(c))
      return false;
  return true;
}

std::string_view tokKindName(TokKind k) {
  switch (k) {
  case TokKind::Eof: return "end of input";
  case TokKind::Error: return "invalid token";
  case TokKind::Ident: return "identifier";
  case TokKind::ValueName: return "value name";
  case TokKind::SymbolName: return "symbol";
  case TokKind::BlockName: return "block label";
  case TokKind::BangName: return "component type";
  case TokKind::Integer: return "integer";
  case TokKind::Float: return "float";
  case TokKind::String: return "string";
  case TokKind::LBrace: return "'{'";
  case TokKind::RBrace: return "'}'";
  case TokKind::LParen: return "'('";
  case TokKind::RParen: return "')'";
  case TokKind::LBracket: return "'['";
  case TokKind::RBracket: return "']'";
  case TokKind::Comma: return "','";
  case TokKind::Equal: return "'='";
  case TokKind::Colon: return "':'";
  case TokKind::Arrow: return "'->'";
  case TokKind::Question: return "'?'";
  }
  return "token";
}

void IRLexer::advance() {
  if (text_[pos_] == '\n') {
    ++line_;
    col_ = 1;
    sawNewline_ = true;
  } else {
    ++col_;
  }
  ++pos_;
}

void IRLexer::skipSpaceAndComments() {
  while (!atEnd()) {
    char c = peekChar();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance();
    } else if (c == '/' && peekChar(1) == '/') {
      while (!atEnd() && peekChar() != '\n')
        advance();
    } else {
      break;
    }
  }
}

Token IRLexer::make(TokKind k, size_t begin, uint32_t line, uint32_t col, bool atLineStart) {
  Token t;
  t.kind = k;
  t.text = text_.substr(begin, pos_ - begin);
  t.line = line;
  t.col = col;
  t.atLineStart = atLineStart;
  return t;
}

Token IRLexer::error(std::string msg, size_t begin, uint32_t line, uint32_t col,
                     bool atLineStart) {
  Token t = make(TokKind::Error, begin, line, col, atLineStart);
  t.value = std::move(msg);
  // Nothing after a lexical error is meaningful: stay at the end.
  pos_ = text_.size();
  return t;
}

static int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// At the opening quote. Decodes the C escapes that quoteString writes.
bool IRLexer::lexString(std::string &out, std::string &err) {
  advance(); // "
  while (true) {
    if (atEnd() || peekChar() == '\n') {
      err = "unterminated string";
      return false;
    }
    char c = peekChar();
    if (c == '"') {
      advance();
      return true;
    }
    if (c != '\\') {
      out += c;
      advance();
      continue;
    }
    char e = peekChar(1);
    switch (e) {
    case '"': out += '"'; break;
    case '\\': out += '\\'; break;
    case 'n': out += '\n'; break;
    case 't': out += '\t'; break;
    case 'r': out += '\r'; break;
    case 'x': {
      int hi = hexDigit(peekChar(2)), lo = hexDigit(peekChar(3));
      if (hi < 0 || lo < 0) {
        err = "invalid \\x escape in string (expected two hex digits)";
        return false;
      }
      out += static_cast<char>(hi * 16 + lo);
      advance();
      advance();
      break;
    }
    default:
      err = "unknown escape sequence in string";
      return false;
    }
    advance();
    advance();
  }
}

Token IRLexer::next() {
  skipSpaceAndComments();
  bool lineStart = sawNewline_;
  sawNewline_ = false;
  size_t begin = pos_;
  uint32_t line = line_, col = col_;
  if (atEnd())
    return make(TokKind::Eof, begin, line, col, lineStart);

  char c = peekChar();
  auto single = [&](TokKind k) {
    advance();
    return make(k, begin, line, col, lineStart);
  };
  switch (c) {
  case '{': return single(TokKind::LBrace);
  case '}': return single(TokKind::RBrace);
  case '(': return single(TokKind::LParen);
  case ')': return single(TokKind::RParen);
  case '[': return single(TokKind::LBracket);
  case ']': return single(TokKind::RBracket);
  case ',': return single(TokKind::Comma);
  case '=': return single(TokKind::Equal);
  case ':': return single(TokKind::Colon);
  case '?': return single(TokKind::Question);
  default: break;
  }

  if (c == '"') {
    std::string s, err;
    if (!lexString(s, err))
      return error(err, begin, line, col, lineStart);
    Token t = make(TokKind::String, begin, line, col, lineStart);
    t.value = std::move(s);
    return t;
  }

  if (isIRIdentStart(c)) {
    while (!atEnd() && isIRIdentChar(peekChar()))
      advance();
    return make(TokKind::Ident, begin, line, col, lineStart);
  }

  // Sigil-prefixed names.
  if (c == '%' || c == '^' || c == '!' || c == '@') {
    advance();
    if (c == '@' && peekChar() == '"') {
      std::string s, err;
      if (!lexString(s, err))
        return error(err, begin, line, col, lineStart);
      Token t = make(TokKind::SymbolName, begin, line, col, lineStart);
      t.value = std::move(s);
      return t;
    }
    size_t nameBegin = pos_;
    // Value names may be numeric (%0); the others start like identifiers.
    bool numeric = c == '%' && peekChar() >= '0' && peekChar() <= '9';
    if (numeric) {
      while (!atEnd() && peekChar() >= '0' && peekChar() <= '9')
        advance();
      if (!atEnd() && isIRIdentChar(peekChar()))
        return error("invalid value name", begin, line, col, lineStart);
    } else {
      if (!isIRIdentStart(peekChar())) {
        const char *what = c == '%'   ? "expected a name after '%'"
                           : c == '^' ? "expected a block label after '^'"
                           : c == '!' ? "expected a component type name after '!'"
                                      : "expected a symbol name after '@'";
        return error(what, begin, line, col, lineStart);
      }
      while (!atEnd() && isIRIdentChar(peekChar()))
        advance();
    }
    TokKind k = c == '%'   ? TokKind::ValueName
                : c == '^' ? TokKind::BlockName
                : c == '!' ? TokKind::BangName
                           : TokKind::SymbolName;
    Token t = make(k, begin, line, col, lineStart);
    t.value = std::string(text_.substr(nameBegin, pos_ - nameBegin));
    return t;
  }

  if (c == '-' && peekChar(1) == '>') {
    advance();
    advance();
    return make(TokKind::Arrow, begin, line, col, lineStart);
  }
  if (c == '-' && text_.substr(pos_, 4) == "-inf" && !isIRIdentChar(peekChar(4))) {
    for (int i = 0; i < 4; ++i)
      advance();
    return make(TokKind::Float, begin, line, col, lineStart);
  }
  if ((c >= '0' && c <= '9') || (c == '-' && peekChar(1) >= '0' && peekChar(1) <= '9')) {
    bool isFloat = false;
    if (c == '-')
      advance();
    while (!atEnd() && peekChar() >= '0' && peekChar() <= '9')
      advance();
    if (peekChar() == '.') {
      isFloat = true;
      advance();
      while (!atEnd() && peekChar() >= '0' && peekChar() <= '9')
        advance();
    }
    if (peekChar() == 'e' || peekChar() == 'E') {
      isFloat = true;
      advance();
      if (peekChar() == '+' || peekChar() == '-')
        advance();
      if (!(peekChar() >= '0' && peekChar() <= '9'))
        return error("malformed number: expected exponent digits", begin, line, col,
                     lineStart);
      while (!atEnd() && peekChar() >= '0' && peekChar() <= '9')
        advance();
    }
    if (!atEnd() && isIRIdentChar(peekChar()))
      return error("malformed number", begin, line, col, lineStart);
    return make(isFloat ? TokKind::Float : TokKind::Integer, begin, line, col, lineStart);
  }

  unsigned char u = static_cast<unsigned char>(c);
  char buf[64];
  if (u >= 0x21 && u < 0x7f)
    std::snprintf(buf, sizeof buf, "unexpected character '%c'", c);
  else
    std::snprintf(buf, sizeof buf, "unexpected byte 0x%02x", u);
  advance();
  return error(buf, begin, line, col, lineStart);
}

} // namespace kiln::ir
