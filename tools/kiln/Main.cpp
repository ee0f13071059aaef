// The `kiln` command: a thin driver that dispatches to one verb per file.
#include <cstring>
#include <iostream>
#include <new>
#include <string_view>

#include "tools/kiln/Commands.h"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif
#ifndef KILN_LLVM_VERSION
#define KILN_LLVM_VERSION "unknown"
#endif

namespace {

struct Verb {
  std::string_view name;
  int (*run)(const kiln::tools::Args &);
  std::string_view usage;
};

// The verbs, in the order `kiln --help` lists them.
constexpr Verb kVerbs[] = {
    {"print", kiln::tools::cmdPrint,
     "kiln print FILE.kiln [--hook SPEC]                the program code, canonical notation"},
    {"ir", kiln::tools::cmdIr,
     "kiln ir FILE.kiln [PIPELINE] [--entry NAME] [--hook SPEC] [--print-loc]   the verified IR"},
    {"opt", kiln::tools::cmdOpt,
     "kiln opt FILE.kir [PIPELINE] [--print-loc]          IR in, verified IR out"},
    {"run", kiln::tools::cmdRun,
     "kiln run FILE [PIPELINE] [--steps N] [--save CKPT] [--checkpoint-every N] [--entry NAME]\n"
     "           [--hook SPEC] [--no-jit] [--jit-cache=on|off] [--no-progress] [--quiet]\n"
     "                                                    run a program (.kiln or .kir)"},
    {"resume", kiln::tools::cmdResume,
     "kiln resume CKPT [--steps N] [--save CKPT2] [--checkpoint-every N]   continue a saved run"},
    {"llvm", kiln::tools::cmdLlvm,
     "kiln llvm FILE [PIPELINE] [--kernel NAME] [--opt] [--target-cpu CPU]   LLVM IR of the fused kernels"},
    {"inspect", kiln::tools::cmdInspect,
     "kiln inspect CKPT [--json]                        position, components, tensors (SHA-256)"},
};

void printHelp(std::ostream &os) {
  os << "kiln " KILN_VERSION " - a compiler and VM for training programs\n\n"
     << "usage:\n";
  for (const Verb &v : kVerbs)
    os << "  " << v.usage << "\n";
  os << "  kiln --version                                   kiln and LLVM versions\n"
     << "  kiln --help                                      this text\n"
     << "\nPIPELINE: -O0 | -O1 | -O2 | --passes=a,b,fixpoint(c,d) [--print-ir-after-all]\n"
     << "          [--print-ir-after=NAME] [--stats] [--verify-each|--no-verify-each]\n"
     << "          (defaults: -O0 for ir and opt, -O2 for run; see docs/passes.md)\n";
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    printHelp(std::cerr);
    return kiln::tools::kExitUsage;
  }
  std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    printHelp(std::cout);
    return kiln::tools::kExitOk;
  }
  if (verb == "--version") {
    std::cout << "kiln " KILN_VERSION " (LLVM " KILN_LLVM_VERSION ")\n";
    return kiln::tools::kExitOk;
  }
  kiln::tools::Args args(argv + 2, argv + argc);
  for (const Verb &v : kVerbs)
    if (v.name == verb) {
      // A tensor the input asks for but the machine cannot hold (e.g.
      // `buffer_repeat 4000000000`) is the input's problem: say so instead
      // of aborting (docs/reliability.md).
      try {
        return v.run(args);
      } catch (const std::bad_alloc &) {
        std::cerr << "kiln " << verb << ": error: out of memory (the program or file asks "
                  << "for more memory than this machine can give)\n";
        return kiln::tools::kExitInputError;
      }
    }
  std::cerr << "kiln: error: unknown command '" << verb << "'\n";
  printHelp(std::cerr);
  return kiln::tools::kExitUsage;
}
