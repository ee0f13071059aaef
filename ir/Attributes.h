// Attributes: compile-time constants attached to operations.
//
//   true / false            bool
//   42, -7                  int (i64)
//   1.5, 1.0e-3, inf, nan   float (f64; printed so it parses back exactly)
//   "text"                  string (C escapes)
//   @name, @comp.method     symbol reference
//   f32[?, 3]               type
//   [1, 2.5, "x"]           array of attributes
//
// Operations keep their attributes as an ordered list of (name, value) pairs,
// in the order they were added (or parsed), so printing is deterministic and
// round-trips.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ir/Types.h"

namespace kiln::ir {

/// A reference to a symbol: `@dataset.next` has name "dataset.next".
struct SymbolRef {
  std::string name;
  bool operator==(const SymbolRef &o) const { return name == o.name; }
  /// The part before the first '.', e.g. "dataset" (the whole name if none).
  std::string_view root() const;
  /// The part after the first '.', e.g. "next" (empty if none).
  std::string_view leaf() const;
};

class Attribute {
public:
  enum class Kind : uint8_t { Bool, Int, Float, String, Symbol, TypeAttr, Array };
  using Array = std::vector<Attribute>;

  Attribute() : v_(int64_t(0)) {}
  static Attribute boolean(bool b) { return Attribute(Storage(b)); }
  static Attribute integer(int64_t i) { return Attribute(Storage(i)); }
  static Attribute real(double d) { return Attribute(Storage(d)); }
  static Attribute string(std::string s) { return Attribute(Storage(std::move(s))); }
  static Attribute symbol(std::string name) { return Attribute(Storage(SymbolRef{std::move(name)})); }
  static Attribute type(Type t) { return Attribute(Storage(std::move(t))); }
  static Attribute array(Array a) { return Attribute(Storage(std::move(a))); }
  static Attribute intArray(const std::vector<int64_t> &v);
  static Attribute realArray(const std::vector<double> &v);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool isBool() const { return kind() == Kind::Bool; }
  bool isInt() const { return kind() == Kind::Int; }
  bool isFloat() const { return kind() == Kind::Float; }
  bool isNumber() const { return isInt() || isFloat(); }
  bool isString() const { return kind() == Kind::String; }
  bool isSymbol() const { return kind() == Kind::Symbol; }
  bool isType() const { return kind() == Kind::TypeAttr; }
  bool isArray() const { return kind() == Kind::Array; }

  bool getBool() const { return std::get<bool>(v_); }
  int64_t getInt() const { return std::get<int64_t>(v_); }
  double getFloat() const { return std::get<double>(v_); }
  /// Int or float as a double.
  double getNumber() const { return isInt() ? double(getInt()) : getFloat(); }
  const std::string &getString() const { return std::get<std::string>(v_); }
  const SymbolRef &getSymbol() const { return std::get<SymbolRef>(v_); }
  const Type &getType() const { return std::get<Type>(v_); }
  const Array &getArray() const { return std::get<Array>(v_); }
  /// An array whose elements are all ints.
  bool isIntArray() const;
  std::vector<int64_t> getIntArray() const;

  bool operator==(const Attribute &o) const { return v_ == o.v_; }
  bool operator!=(const Attribute &o) const { return !(*this == o); }

  /// Textual form; parses back to an equal attribute.
  std::string str() const;

private:
  using Storage = std::variant<bool, int64_t, double, std::string, SymbolRef, Type, Array>;
  explicit Attribute(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

/// Shortest decimal that parses back to exactly `d`; always contains '.',
/// 'e', or is one of inf/-inf/nan, so it never reads as an integer.
std::string formatDouble(double d);
/// `"..."` with C escapes for quotes, backslashes and non-printables.
std::string quoteString(std::string_view s);
/// `@name`, quoted as `@"..."` when name is not a plain dotted identifier.
std::string formatSymbol(std::string_view name);

struct NamedAttribute {
  std::string name;
  Attribute value;
};

} // namespace kiln::ir
