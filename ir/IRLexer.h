// The lexer of the textual IR (.kir). It produces tokens on demand, so a
// huge input never turns into a huge token array, and it reports malformed
// input (unterminated strings, stray bytes, bad escapes) as Error tokens that
// the parser turns into one diagnostic at the token's position.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::ir {

enum class TokKind : uint8_t {
  Eof,
  Error,      // malformed input; `value` holds the message
  Ident,      // bare identifier: [A-Za-z_][A-Za-z0-9_$.]*
  ValueName,  // %name or %123; `value` is the part after '%'
  SymbolName, // @a.b or @"any text"; `value` is the decoded name
  BlockName,  // ^bb0; `value` is the part after '^'
  BangName,   // !Dataset (component handle type); `value` is the name
  Integer,    // -?[0-9]+
  Float,      // -?[0-9]+(.[0-9]*)?([eE][+-]?[0-9]+)? with '.' or 'e'; also -inf
  String,     // "..." with C escapes; `value` is the decoded text
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Equal,
  Colon,
  Arrow,    // ->
  Question, // ? (dynamic dimension)
};

struct Token {
  TokKind kind = TokKind::Eof;
  /// The exact source text of the token.
  std::string_view text;
  /// Decoded payload (names, string contents, error messages).
  std::string value;
  uint32_t line = 1;
  uint32_t col = 1;
  /// True when no other token precedes this one on its line. The parser
  /// uses it so that an operand list never swallows the next line's op.
  bool atLineStart = false;

  bool is(TokKind k) const { return kind == k; }
  bool isIdent(std::string_view s) const { return kind == TokKind::Ident && text == s; }
};

/// A printable description of a token kind, for "expected X" messages.
std::string_view tokKindName(TokKind k);

class IRLexer {
public:
  explicit IRLexer(std::string_view text) : text_(text) {}
  /// The next token; Eof forever at the end.
  Token next();

private:
  Token make(TokKind k, size_t begin, uint32_t line, uint32_t col, bool atLineStart);
  Token error(std::string msg, size_t begin, uint32_t line, uint32_t col, bool atLineStart);
  void skipSpaceAndComments();
  char peekChar(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool atEnd() const { return pos_ >= text_.size(); }
  void advance();
  bool lexString(std::string &out, std::string &err);

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
  bool sawNewline_ = true;
};

/// [A-Za-z_] and [A-Za-z0-9_$.] as used by identifiers and value names.
inline bool isIRIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool isIRIdentChar(char c) {
  return isIRIdentStart(c) || (c >= '0' && c <= '9') || c == '$' || c == '.';
}
/// True for a non-empty [A-Za-z_][A-Za-z0-9_$.]* string.
bool isIRIdentifier(std::string_view s);

} // namespace kiln::ir
