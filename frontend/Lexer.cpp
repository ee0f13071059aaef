// Lexer for the `.kiln` notation (see Lexer.h).
#include "frontend/Lexer.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace kiln::frontend {

namespace {

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
  explicit Lexer(std::string_view t) : text_(t) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    int depth = 0; // ( and [ nesting: newlines inside are insignificant
    while (true) {
      skipSpaceAndComments();
      Token tok;
      tok.line = line_;
      tok.col = col_;
      if (pos_ >= text_.size()) {
        tok.kind = Tok::Eof;
        out.push_back(tok);
        return out;
      }
      char c = text_[pos_];
      if (c == '\n') {
        advance();
        if (depth == 0 && !out.empty() && out.back().kind != Tok::Newline) {
          tok.kind = Tok::Newline;
          out.push_back(tok);
        }
        continue;
      }
      if (isIdentStart(c)) {
        size_t start = pos_;
        while (pos_ < text_.size() && (isIdentStart(text_[pos_]) || isDigit(text_[pos_])))
          advance();
        tok.kind = Tok::Ident;
        tok.text = std::string(text_.substr(start, pos_ - start));
      } else if (isDigit(c) || (c == '.' && pos_ + 1 < text_.size() && isDigit(text_[pos_ + 1]))) {
        lexNumber(tok);
      } else if (c == '"') {
        lexString(tok);
      } else {
        lexPunct(tok);
        if (tok.kind == Tok::LParen || tok.kind == Tok::LBracket)
          ++depth;
        else if ((tok.kind == Tok::RParen || tok.kind == Tok::RBracket) && depth > 0)
          --depth;
        else if (tok.kind == Tok::LBrace || tok.kind == Tok::RBrace)
          depth = 0; // a kernel body: statements are newline-separated again
      }
      out.push_back(std::move(tok));
    }
  }

private:
  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }

  void skipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (c == '#' || (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          advance();
      } else {
        return;
      }
    }
  }

  void lexNumber(Token &tok) {
    size_t start = pos_;
    bool isFloat = false;
    while (pos_ < text_.size() && isDigit(text_[pos_]))
      advance();
    if (pos_ < text_.size() && text_[pos_] == '.' &&
        !(pos_ + 1 < text_.size() && isIdentStart(text_[pos_ + 1]))) {
      isFloat = true;
      advance();
      while (pos_ < text_.size() && isDigit(text_[pos_]))
        advance();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t save = pos_;
      uint32_t saveCol = col_;
      advance();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
        advance();
      if (pos_ < text_.size() && isDigit(text_[pos_])) {
        isFloat = true;
        while (pos_ < text_.size() && isDigit(text_[pos_]))
          advance();
      } else {
        pos_ = save;
        col_ = saveCol;
      }
    }
    std::string spelling(text_.substr(start, pos_ - start));
    tok.text = spelling;
    if (isFloat) {
      tok.kind = Tok::Float;
      double v = 0;
      auto res = std::from_chars(spelling.data(), spelling.data() + spelling.size(), v);
      if (res.ec != std::errc() && res.ec != std::errc::result_out_of_range) {
        tok.kind = Tok::Error;
        tok.text = "invalid number '" + spelling + "'";
      } else if (res.ec == std::errc::result_out_of_range) {
        tok.kind = Tok::Error;
        tok.text = "number '" + spelling + "' is out of range";
      }
      tok.floatValue = v;
    } else {
      tok.kind = Tok::Int;
      int64_t v = 0;
      auto res = std::from_chars(spelling.data(), spelling.data() + spelling.size(), v);
      if (res.ec != std::errc()) {
        tok.kind = Tok::Error;
        tok.text = "integer '" + spelling + "' is out of range";
      }
      tok.intValue = v;
    }
    if (pos_ < text_.size() && isIdentStart(text_[pos_]) && tok.kind != Tok::Error) {
      tok.kind = Tok::Error;
      tok.text = "invalid number '" + spelling + std::string(1, text_[pos_]) + "...'";
      while (pos_ < text_.size() && (isIdentStart(text_[pos_]) || isDigit(text_[pos_])))
        advance();
    }
  }

  void lexString(Token &tok) {
    advance(); // opening quote
    std::string value;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        tok.kind = Tok::Error;
        tok.text = "unterminated string";
        return;
      }
      char c = text_[pos_];
      if (c == '"') {
        advance();
        break;
      }
      if (c == '\\') {
        advance();
        if (pos_ >= text_.size()) {
          tok.kind = Tok::Error;
          tok.text = "unterminated string";
          return;
        }
        char e = text_[pos_];
        advance();
        switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case 'x': {
          auto hex = [](char h) -> int {
            if (h >= '0' && h <= '9') return h - '0';
            if (h >= 'a' && h <= 'f') return h - 'a' + 10;
            if (h >= 'A' && h <= 'F') return h - 'A' + 10;
            return -1;
          };
          int hi = pos_ < text_.size() ? hex(text_[pos_]) : -1;
          int lo = pos_ + 1 < text_.size() ? hex(text_[pos_ + 1]) : -1;
          if (hi < 0 || lo < 0) {
            tok.kind = Tok::Error;
            tok.text = "invalid \\x escape in string";
            return;
          }
          advance();
          advance();
          value += static_cast<char>(hi * 16 + lo);
          break;
        }
        default:
          tok.kind = Tok::Error;
          tok.text = std::string("unknown escape '\\") + e + "' in string";
          return;
        }
        continue;
      }
      value += c;
      advance();
    }
    tok.kind = Tok::String;
    tok.text = std::move(value);
  }

  void lexPunct(Token &tok) {
    char c = text_[pos_];
    char n = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    auto one = [&](Tok k) {
      tok.kind = k;
      advance();
    };
    auto two = [&](Tok k) {
      tok.kind = k;
      advance();
      advance();
    };
    switch (c) {
    case '(': return one(Tok::LParen);
    case ')': return one(Tok::RParen);
    case '[': return one(Tok::LBracket);
    case ']': return one(Tok::RBracket);
    case '{': return one(Tok::LBrace);
    case '}': return one(Tok::RBrace);
    case ',': return one(Tok::Comma);
    case ':': return one(Tok::Colon);
    case ';': return one(Tok::Semicolon);
    case '.': return one(Tok::Dot);
    case '?': return one(Tok::Question);
    case '@': return one(Tok::At);
    case '*': return n == '=' ? two(Tok::StarAssign) : one(Tok::Star);
    case '+': return n == '=' ? two(Tok::PlusAssign) : one(Tok::Plus);
    case '-': return n == '=' ? two(Tok::MinusAssign) : one(Tok::Minus);
    case '/': return n == '=' ? two(Tok::SlashAssign) : one(Tok::Slash);
    case '=': return n == '=' ? two(Tok::Eq) : one(Tok::Assign);
    case '!':
      if (n == '=')
        return two(Tok::Ne);
      break;
    case '<': return n == '=' ? two(Tok::Le) : one(Tok::Lt);
    case '>': return n == '=' ? two(Tok::Ge) : one(Tok::Gt);
    default: break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    tok.kind = Tok::Error;
    if (u >= 0x20 && u < 0x7f) {
      tok.text = std::string("unexpected character '") + c + "'";
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%02x", u);
      tok.text = std::string("unexpected byte ") + buf;
    }
    advance();
  }

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

} // namespace

std::vector<Token> lex(std::string_view text) { return Lexer(text).run(); }

std::string tokenName(Tok t) {
  switch (t) {
  case Tok::Ident: return "identifier";
  case Tok::Int: return "integer";
  case Tok::Float: return "number";
  case Tok::String: return "string";
  case Tok::Newline: return "end of line";
  case Tok::Eof: return "end of file";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::Comma: return "','";
  case Tok::Colon: return "':'";
  case Tok::Semicolon: return "';'";
  case Tok::Dot: return "'.'";
  case Tok::Question: return "'?'";
  case Tok::Star: return "'*'";
  case Tok::At: return "'@'";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Slash: return "'/'";
  case Tok::Assign: return "'='";
  case Tok::PlusAssign: return "'+='";
  case Tok::MinusAssign: return "'-='";
  case Tok::StarAssign: return "'*='";
  case Tok::SlashAssign: return "'/='";
  case Tok::Eq: return "'=='";
  case Tok::Ne: return "'!='";
  case Tok::Lt: return "'<'";
  case Tok::Le: return "'<='";
  case Tok::Gt: return "'>'";
  case Tok::Ge: return "'>='";
  case Tok::Error: return "invalid token";
  }
  return "token";
}

} // namespace kiln::frontend
