// kiln llvm FILE [PIPELINE] [--kernel NAME] [--opt] [--target-cpu CPU] [--entry NAME]
//
// Prints the LLVM IR of each fused kernel of a program (.kiln or .kir) after
// its pass pipeline (-O2 unless told otherwise): as emitted, or with --opt
// after LLVM's O3 pipeline for the target. The target is this machine, or
// --target-cpu (e.g. skylake-avx512) to see what another machine would run.
// A fused op codegen does not handle is listed as a comment with the reason.
#include <iostream>

#include "codegen/JitEngine.h"
#include "codegen/KernelCompiler.h"
#include "frontend/Driver.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/raw_os_ostream.h"
#include "llvm/Support/raw_ostream.h"
#include "passes/PipelineOptions.h"
#include "runtime/Registry.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

int cmdLlvm(const Args &args) {
  std::string file, entry = "main", kernel, cpu;
  bool optimize = false;
  passes::PipelineOptions pipeline;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string err, v;
    passes::ArgResult pr = pipeline.parseArgument(args, i, &err);
    if (pr == passes::ArgResult::Error)
      return usageError("llvm", err);
    if (pr == passes::ArgResult::Consumed)
      continue;
    const std::string &a = args[i];
    if (a == "--opt")
      optimize = true;
    else if (takeOption(a, "kernel", v, args, i))
      kernel = v.size() > 1 && v[0] == '@' ? v.substr(1) : v;
    else if (takeOption(a, "target-cpu", v, args, i))
      cpu = v;
    else if (takeOption(a, "entry", v, args, i))
      entry = v;
    else if (!a.empty() && a[0] == '-' && a != "-")
      return usageError("llvm", "unknown option '" + a + "'");
    else if (file.empty())
      file = a;
    else
      return usageError("llvm", "more than one input file");
  }
  if (file.empty())
    return usageError("llvm", "no input file");
  auto text = readInputFile(file);
  if (!text)
    return kExitInputError;
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  runtime::Registry registry = runtime::Registry::withBuiltins();
  bool isKir = file.size() > 4 && file.compare(file.size() - 4, 4, ".kir") == 0;
  std::unique_ptr<ir::Module> module =
      isKir ? ir::parseModule(*text, file, sources, diag)
            : frontend::compileProgram(*text, file, {}, entry, registry, sources, diag);
  if (!module || !ir::verifyModule(*module, diag) ||
      !passes::runPipeline(*module, pipeline, /*defaultLevel=*/2, &registry, diag, std::cerr)) {
    diag.print(std::cerr);
    return kExitInputError;
  }

  codegen::TargetInfo target;
  auto tm = cpu.empty() ? codegen::createHostTargetMachine(target)
                        : codegen::createTargetMachineFor(cpu, target);
  if (!tm) {
    std::cerr << "kiln llvm: error: " << llvm::toString(tm.takeError()) << "\n";
    return cpu.empty() ? kExitInputError : kExitUsage;
  }
  llvm::DataLayout layout = (*tm)->createDataLayout();
  bool found = false;
  module->op().walk([&](ir::Operation &op) {
    if (!op.is(ir::OpKind::Fused))
      return;
    std::string name(op.symbolAttr("name"));
    if (!kernel.empty() && name != kernel)
      return;
    found = true;
    std::string why;
    auto plan = codegen::planKernel(op, why);
    if (!plan) {
      std::cout << "; @" << name << ": interpreted: " << why << "\n";
      return;
    }
    llvm::LLVMContext ctx;
    auto m = codegen::buildKernelModule(*plan, target, layout, name, ctx);
    if (optimize)
      codegen::optimizeModule(*m, **tm);
    llvm::raw_os_ostream os(std::cout);
    m->print(os, nullptr);
  });
  if (!kernel.empty() && !found) {
    std::cerr << "kiln llvm: error: no fused kernel named @" << kernel << " in " << file << "\n";
    return kExitInputError;
  }
  return kExitOk;
}

} // namespace kiln::tools
