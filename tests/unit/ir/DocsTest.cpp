// docs/ir.md carries the table of all ops (mnemonic, summary, example); this
// test regenerates it from ir/Ops.def and checks the doc contains it
// verbatim, printing the expected table when the doc is out of date.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ir/OpKind.h"

namespace kiln::ir {
namespace {

std::string escapeCell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += '\\';
    out += c;
  }
  return out;
}

std::string opTable() {
  std::string t = "| op | summary | example |\n|---|---|---|\n";
  for (const OpInfo &info : allOps())
    t += "| `" + std::string(info.mnemonic) + "` | " + escapeCell(info.summary) + " | `" +
         escapeCell(info.example) + "` |\n";
  return t;
}

TEST(DocsTest, IrMdHasTheOpTable) {
  const char *src = std::getenv("KILN_SOURCE_DIR");
  if (!src)
    GTEST_SKIP() << "KILN_SOURCE_DIR not set (ctest sets it)";
  std::ifstream in(std::string(src) + "/docs/ir.md");
  ASSERT_TRUE(in) << "cannot read docs/ir.md";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find(opTable()), std::string::npos)
      << "docs/ir.md's op table is out of date; expected:\n"
      << opTable();
}

} // namespace
} // namespace kiln::ir
