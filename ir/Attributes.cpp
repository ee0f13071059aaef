#include "ir/Attributes.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "ir/Support.h"

namespace kiln::ir {

std::string_view SymbolRef::root() const {
  size_t dot = name.find('.');
  return std::string_view(name).substr(0, dot);
}

std::string_view SymbolRef::leaf() const {
  size_t dot = name.find('.');
  if (dot == std::string::npos)
    return {};
  return std::string_view(name).substr(dot + 1);
}

Attribute Attribute::intArray(const std::vector<int64_t> &v) {
  Array a;
  a.reserve(v.size());
  for (int64_t x : v)
    a.push_back(integer(x));
  return array(std::move(a));
}

Attribute Attribute::realArray(const std::vector<double> &v) {
  Array a;
  a.reserve(v.size());
  for (double x : v)
    a.push_back(real(x));
  return array(std::move(a));
}

bool Attribute::isIntArray() const {
  if (!isArray())
    return false;
  for (const Attribute &a : getArray())
    if (!a.isInt())
      return false;
  return true;
}

std::vector<int64_t> Attribute::getIntArray() const {
  std::vector<int64_t> out;
  for (const Attribute &a : getArray())
    out.push_back(a.getInt());
  return out;
}

std::string formatDouble(double d) {
  if (std::isnan(d))
    return "nan";
  if (std::isinf(d))
    return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  KILN_ASSERT(res.ec == std::errc(), "to_chars failed");
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

std::string quoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    default:
      if (u < 0x20 || u == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
  return out;
}

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool isIdentChar(char c) {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$';
}

std::string formatSymbol(std::string_view name) {
  bool plain = !name.empty();
  bool atStart = true;
  for (char c : name) {
    if (c == '.') {
      if (atStart) plain = false;
      atStart = true;
      continue;
    }
    if (atStart ? !isIdentStart(c) : !isIdentChar(c))
      plain = false;
    atStart = false;
  }
  if (atStart)
    plain = false; // empty, or ends with '.'
  return plain ? "@" + std::string(name) : "@" + quoteString(name);
}

std::string Attribute::str() const {
  switch (kind()) {
  case Kind::Bool: return getBool() ? "true" : "false";
  case Kind::Int: return std::to_string(getInt());
  case Kind::Float: return formatDouble(getFloat());
  case Kind::String: return quoteString(getString());
  case Kind::Symbol: return formatSymbol(getSymbol().name);
  case Kind::TypeAttr: return getType().str();
  case Kind::Array: {
    std::string s = "[";
    const Array &a = getArray();
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) s += ", ";
      s += a[i].str();
    }
    return s + "]";
  }
  }
  KILN_UNREACHABLE("bad attribute kind");
}

} // namespace kiln::ir
