// Fuzz target: the `.kiln` notation — lexer, parser, lowering to IR against
// the built-in component catalog, and verification of the lowered IR (what
// `kiln run FILE.kiln` does before the VM starts).
//
// Oracles beyond "no crash": a program that compiles lowers to IR that
// verifies (compileProgram reports a verifier failure as a kiln bug, which
// we treat as a finding), and a program that parses prints back to notation
// that parses and prints identically (DESIGN.md: printing a program gives
// back notation that parses to the same program).
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/Driver.h"
#include "frontend/Parser.h"
#include "frontend/ProgramPrinter.h"
#include "ir/Diagnostics.h"
#include "runtime/Registry.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln;
  // Built once: the catalog is immutable and only read.
  static const runtime::Registry registry = runtime::Registry::withBuiltins();
  std::string text(reinterpret_cast<const char *>(data), size);

  // The fuzzer's input lives in a folder that does not exist, so relative
  // imports find nothing; absolute ones are refused by the parser's rules
  // for non-regular files and sizes like any user input.
  const std::string fileName = "/nonexistent-kiln-fuzz/fuzz.kiln";
  {
    ir::SourceManager sources;
    ir::DiagnosticEngine diag(&sources);
    auto prog = frontend::parseProgram(text, fileName, sources, diag);
    if (prog) {
      std::string printed = frontend::printProgram(*prog);
      ir::SourceManager sources2;
      ir::DiagnosticEngine diag2(&sources2);
      auto again = frontend::parseProgram(printed, "printed.kiln", sources2, diag2);
      fuzz::check(again.has_value(), "printed program does not parse", printed, diag2.str());
      fuzz::check(frontend::printProgram(*again) == printed, "printing is not stable", printed);
    } else {
      (void)diag.str();
      fuzz::check(diag.hasErrors(), "a rejected program must come with an error");
    }
  }
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto module = frontend::compileProgram(text, fileName, {}, "", registry, sources, diag);
  std::string rendered = diag.str();
  // compileProgram adds this note (and only it) when the lowered IR fails
  // the verifier. Compared as a whole message: the input itself may quote it.
  for (const ir::Diagnostic &d : diag.diagnostics())
    fuzz::check(d.severity != ir::Severity::Note ||
                    d.message.find("this is a bug in kiln's frontend") == std::string::npos,
                "lowered IR does not verify", text, rendered);
  fuzz::check(module != nullptr || diag.hasErrors(), "a rejected program must come with an error");
  return 0;
}
