#include "ir/OpKind.h"

#include <array>
#include <string>
#include <unordered_map>

#include "ir/OpVerifiers.h"

namespace kiln::ir {

namespace {

// The same verify function may be named by several ops; the OpVerifiers.h
// declarations are idempotent redeclarations.
constexpr std::array<OpInfo, kNumOpKinds> kOpTable = {{
#define OP(Enum, Mnemonic, NOperands, NResults, NRegions, Traits, Format, Verify, Summary, Example) \
  OpInfo{OpKind::Enum, Mnemonic, NOperands, NResults, NRegions, Traits, Format, &Verify, Summary, Example},
#include "ir/Ops.def"
}};

} // namespace

const OpInfo &opInfo(OpKind kind) {
  return kOpTable[static_cast<size_t>(kind)];
}

std::span<const OpInfo> allOps() { return kOpTable; }

std::optional<OpKind> lookupOpKind(std::string_view mnemonic) {
  static const std::unordered_map<std::string_view, OpKind> byName = [] {
    std::unordered_map<std::string_view, OpKind> m;
    for (const OpInfo &info : kOpTable)
      m.emplace(info.mnemonic, info.kind);
    return m;
  }();
  auto it = byName.find(mnemonic);
  if (it == byName.end())
    return std::nullopt;
  return it->second;
}

std::vector<std::string_view> formatDirectives(std::string_view format) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < format.size()) {
    size_t j = format.find(' ', i);
    if (j == std::string_view::npos)
      j = format.size();
    if (j > i)
      out.push_back(format.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

} // namespace kiln::ir
