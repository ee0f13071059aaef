// Fuzz target: the textual IR parser and the verifier (what `kiln opt` and
// `kiln run FILE.kir` do with an untrusted file).
//
// Oracle beyond "no crash, no sanitizer report": a module that parses and
// verifies must print to text that parses and verifies again and prints
// identically (the IR round-trips exactly, DESIGN.md), and every
// diagnostic must render.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ir/Diagnostics.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto module = ir::parseModule(text, "fuzz.kir", sources, diag);
  if (!module || !ir::verifyModule(*module, diag)) {
    (void)diag.str();
    fuzz::check(diag.hasErrors(), "a rejected module must come with an error");
    return 0;
  }
  std::string printed = ir::printModule(*module);
  ir::SourceManager sources2;
  ir::DiagnosticEngine diag2(&sources2);
  auto again = ir::parseModule(printed, "printed.kir", sources2, diag2);
  fuzz::check(again != nullptr, "printed IR does not parse", printed, diag2.str());
  fuzz::check(ir::verifyModule(*again, diag2), "printed IR does not verify", printed,
              diag2.str());
  fuzz::check(ir::printModule(*again) == printed, "printing is not stable", printed);
  return 0;
}
