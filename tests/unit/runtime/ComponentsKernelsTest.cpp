// The built-in components' kernel sources go through the real frontend:
// each kernel method used from a program lowers to verified IR.
#include <gtest/gtest.h>

#include "frontend/Driver.h"
#include "ir/Diagnostics.h"
#include "ir/Printer.h"
#include "runtime/Registry.h"

namespace kiln::runtime {
namespace {

/// Compiles `main` over the declarations below; returns the diagnostics
/// (empty on success) and the printed IR.
std::string compile(const std::string &main, std::string *ir = nullptr) {
  static const char *decls = "data = Dataset.randn(rows=8, cols=6, seed=1)\n"
                             "rbm = RBM(visible=6, hidden=4, seed=3, lr=0.05)\n"
                             "clf = LogisticRegression(inputs=6, classes=3, seed=4)\n"
                             "km = KMeans(k=2, dims=6, seed=5)\n"
                             "pca = PCA(dims=2, inputs=6)\n";
  Registry registry = Registry::withBuiltins();
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  std::unique_ptr<ir::Module> m = frontend::compileProgram(
      std::string(decls) + "main = " + main + "\n", "kernels.kiln", {}, "", registry, sources,
      diag);
  if (m && ir)
    *ir = ir::printModule(*m);
  if (!m && !diag.hasErrors())
    return "compile failed without diagnostics";
  return diag.str();
}

std::string batchThen(const std::string &filt) {
  return "SEQ([BUFFER_REPEAT(4, CALL(data.next)), " + filt + "])";
}

TEST(BuiltinKernels, LowerThroughTheFrontend) {
  for (const char *filt : {"FILT(rbm.cd1_update, lr=0.1)", "FILT(rbm.cd1)", "FILT(rbm.hidden)",
                           "FILT(rbm.reconstruction_error)", "FILT(pca.analyze)",
                           "FILT(pca.transform)", "FILT(km.assign)", "FILT(km.inertia)",
                           "FILT(km.update)", "FILT(clf.predict)"}) {
    std::string ir;
    EXPECT_EQ(compile(batchThen(filt), &ir), "") << filt;
    EXPECT_FALSE(ir.empty()) << filt;
  }
  EXPECT_EQ(compile("SEQ([CALL(pca.finalize), CALL(print, note=\"done\")])"), "");
}

} // namespace
} // namespace kiln::runtime
