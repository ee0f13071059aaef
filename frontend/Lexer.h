// Lexer for the `.kiln` notation: identifiers, numbers, strings, punctuation
// and newlines (which end declarations and kernel statements). Newlines
// inside ( ) and [ ] are dropped, so element trees may span lines. Comments
// run from `#` or `//` to the end of the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Diagnostics.h"

namespace kiln::frontend {

enum class Tok {
  Ident,
  Int,
  Float,
  String,
  Newline,
  Eof,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Comma, Colon, Semicolon, Dot, Question, Star, At,
  Plus, Minus, Slash,
  Assign,                                  // =
  PlusAssign, MinusAssign, StarAssign, SlashAssign,
  Eq, Ne, Lt, Le, Gt, Ge,
  Error, // a bad character or literal; text holds the message
};

struct Token {
  Tok kind = Tok::Eof;
  std::string text; // identifier, decoded string, number spelling, or error message
  int64_t intValue = 0;
  double floatValue = 0;
  uint32_t line = 1, col = 1;
};

/// Splits `text` into tokens, always ending with Eof. Never fails: bad input
/// becomes Error tokens the parser reports.
std::vector<Token> lex(std::string_view text);

/// How a token kind is spelled in messages ("')'", "identifier").
std::string tokenName(Tok t);

} // namespace kiln::frontend
