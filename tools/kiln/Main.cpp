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
  std::string_view details; // `kiln VERB --help`: what it does, every option
};

// The verbs, in the order `kiln --help` lists them.
constexpr Verb kVerbs[] = {
    {"print", kiln::tools::cmdPrint,
     "kiln print FILE.kiln [--hook SPEC]                the program code, canonical notation",
     "Parses a .kiln program and prints it in canonical notation (a round trip:\n"
     "the output parses to the same program).\n\n"
     "  --hook SPEC      add an observer to the program before printing (docs/notation.md)\n"},
    {"ir", kiln::tools::cmdIr,
     "kiln ir FILE.kiln [PIPELINE] [--entry NAME] [--hook SPEC] [--print-loc]   the verified IR",
     "Lowers a .kiln program to kiln's SSA IR, runs PIPELINE (default -O0) and\n"
     "prints the verified module (docs/ir.md, docs/passes.md).\n\n"
     "  --entry NAME     the program to lower (default: main)\n"
     "  --hook SPEC      add an observer to the program (docs/notation.md)\n"
     "  --print-loc      print each op's source location\n"},
    {"opt", kiln::tools::cmdOpt,
     "kiln opt FILE.kir [PIPELINE] [--print-loc]          IR in, verified IR out",
     "Reads IR text (.kir), verifies it, runs PIPELINE (default -O0) and prints\n"
     "the result; with --stats, what each pass did (for lit tests, docs/passes.md).\n\n"
     "  --print-loc      print each op's source location\n"},
    {"run", kiln::tools::cmdRun,
     "kiln run FILE [PIPELINE] [--steps N] [--save CKPT] [--checkpoint-every N] [--entry NAME]\n"
     "           [--hook SPEC] [--no-jit] [--jit-cache=on|off] [--jit-cpu CPU] [--no-progress]\n"
     "           [--quiet]\n"
     "                                                    run a program (.kiln or .kir)",
     "Compiles a program (PIPELINE, default -O2), JIT-compiles its fused kernels\n"
     "and runs it to the end or for --steps program steps (docs/vm.md).\n\n"
     "  --steps N              stop after N program steps (0: only set up)\n"
     "  --save CKPT            write a checkpoint when the run stops (docs/checkpoint-format.md)\n"
     "  --checkpoint-every N   also write CKPT every N steps (needs --save)\n"
     "  --entry NAME           the program to run (default: main)\n"
     "  --hook SPEC            add an observer to the program (docs/notation.md)\n"
     "  --no-jit               interpret the fused kernels instead of compiling them\n"
     "  --jit-cache=on|off     use the on-disk kernel cache in $XDG_CACHE_HOME/kiln (default on)\n"
     "  --jit-cpu CPU          compile the kernels for CPU (e.g. x86-64, haswell) instead of this\n"
     "                         machine: the code a narrower machine gets, run here (it must be\n"
     "                         able to run it); results are the same bits\n"
     "  --stats                pass statistics, and the per-kernel codegen report at the end\n"
     "  --progress, --no-progress   the progress line on stderr (default: when a terminal)\n"
     "  --quiet                print nothing but the program's own output (no component\n"
     "                         summaries, no 'kiln: N steps in T s; -O2: ...' line)\n"
     "SIGINT/SIGTERM/SIGHUP stop at the next step and, with --save, save there.\n"},
    {"resume", kiln::tools::cmdResume,
     "kiln resume CKPT [--steps N] [--save CKPT2] [--checkpoint-every N]   continue a saved run",
     "Loads a checkpoint written by `kiln run --save` (it holds the program and\n"
     "the VM's whole state) and continues, bitwise as the uninterrupted run would.\n\n"
     "  --steps N              stop after N more program steps\n"
     "  --save CKPT2           write a checkpoint when the run stops\n"
     "  --checkpoint-every N   also write CKPT2 every N steps\n"
     "  --no-jit, --jit-cache=on|off, --jit-cpu CPU, --progress, --no-progress, --quiet,\n"
     "  --stats: as for run\n"},
    {"llvm", kiln::tools::cmdLlvm,
     "kiln llvm FILE [PIPELINE] [--kernel NAME] [--opt] [--target-cpu CPU]   LLVM IR of the fused kernels",
     "Compiles a program (.kiln or .kir; PIPELINE default -O2) and prints the LLVM\n"
     "IR of each fused kernel, or the reason codegen leaves it to the interpreter\n"
     "(docs/codegen.md).\n\n"
     "  --kernel NAME    only kernel @NAME (e.g. k3)\n"
     "  --opt            after LLVM's O3 pipeline (default: as emitted)\n"
     "  --target-cpu CPU for another CPU (e.g. x86-64, haswell, skylake-avx512)\n"},
    {"inspect", kiln::tools::cmdInspect,
     "kiln inspect CKPT [--json]                        position, components, tensors (SHA-256)",
     "Describes a checkpoint without running it: the program, the position,\n"
     "each component's state and a SHA-256 of every tensor.\n\n"
     "  --json           the same as JSON\n"},
    {"export", kiln::tools::cmdExport,
     "kiln export CKPT DIR [--format npy|safetensors|both] [--quiet]   component tensors as .npy/.safetensors",
     "Writes every component's state tensors of a checkpoint for other tools:\n"
     "DIR/<component>.<tensor>.npy (NumPy format 1.0) and one\n"
     "DIR/<checkpoint stem>.safetensors (\"model\" if the stem is not a plain name;\n"
     "metadata: format, steps, program_hash). Loads the checkpoint as inspect does\n"
     "(validated, no data file opened). DIR is created if missing (one level).\n"
     "Files are replaced atomically; a name outside [A-Za-z0-9_.-] is refused.\n\n"
     "  --format F       npy, safetensors or both (default both)\n"
     "  --quiet          do not print the files written (one line each)\n"},
};

void printHelp(std::ostream &os) {
  os << "kiln " KILN_VERSION " - a compiler and VM for training programs\n\n"
     << "usage:\n";
  for (const Verb &v : kVerbs)
    os << "  " << v.usage << "\n";
  os << "  kiln --version                                   kiln and LLVM versions\n"
     << "  kiln --help                                      this text\n"
     << "  kiln VERB --help, kiln help VERB                 one command and its options\n"
     << "\nPIPELINE: -O0 | -O1 | -O2 | --passes=a,b,fixpoint(c,d) [--print-ir-after-all]\n"
     << "          [--print-ir-after=NAME] [--stats] [--verify-each|--no-verify-each]\n"
     << "          (defaults: -O0 for ir and opt, -O2 for run; see docs/passes.md)\n";
}

bool asksForHelp(const kiln::tools::Args &args) {
  for (const std::string &a : args) {
    if (a == "--")
      return false;
    if (a == "--help" || a == "-h")
      return true;
  }
  return false;
}

void printVerbHelp(const Verb &v, std::ostream &os) {
  os << "usage: " << v.usage << "\n\n" << v.details;
  if (v.usage.find("PIPELINE") != std::string_view::npos)
    os << "\nPIPELINE: -O0 | -O1 | -O2 | --passes=a,b,fixpoint(c,d) [--print-ir-after-all]\n"
       << "          [--print-ir-after=NAME] [--stats] [--verify-each|--no-verify-each]\n";
}

const Verb *findVerb(std::string_view name) {
  for (const Verb &v : kVerbs)
    if (v.name == name)
      return &v;
  return nullptr;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    printHelp(std::cerr);
    return kiln::tools::kExitUsage;
  }
  std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    if (argc > 2) { // kiln help VERB
      if (const Verb *v = findVerb(argv[2])) {
        printVerbHelp(*v, std::cout);
        return kiln::tools::kExitOk;
      }
      std::cerr << "kiln: error: unknown command '" << argv[2] << "'\n";
      printHelp(std::cerr);
      return kiln::tools::kExitUsage;
    }
    printHelp(std::cout);
    return kiln::tools::kExitOk;
  }
  if (verb == "--version") {
    std::cout << "kiln " KILN_VERSION " (LLVM " KILN_LLVM_VERSION ")\n";
    return kiln::tools::kExitOk;
  }
  kiln::tools::Args args(argv + 2, argv + argc);
  if (const Verb *v = findVerb(verb); v && asksForHelp(args)) {
    printVerbHelp(*v, std::cout);
    return kiln::tools::kExitOk;
  }
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
