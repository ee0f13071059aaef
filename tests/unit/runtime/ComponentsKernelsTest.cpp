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
std::string compile(const std::string &main, std::string *ir = nullptr,
                    const std::string &extra = "") {
  static const char *decls = "data = Dataset.randn(rows=8, cols=6, seed=1)\n"
                             "rbm = RBM(visible=6, hidden=4, seed=3, lr=0.05)\n"
                             "clf = LogisticRegression(inputs=6, classes=3, seed=4)\n"
                             "km = KMeans(k=2, dims=6, seed=5)\n"
                             "pca = PCA(dims=2, inputs=6)\n";
  Registry registry = Registry::withBuiltins();
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  std::unique_ptr<ir::Module> m = frontend::compileProgram(
      std::string(decls) + extra + "main = " + main + "\n", "kernels.kiln", {}, "", registry, sources,
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

/// The body of kernel `Type.method` in a schema's kernel source.
std::string kernelBody(const std::string &source, const std::string &name) {
  size_t start = source.find("kernel " + name + "(");
  EXPECT_NE(start, std::string::npos) << name;
  if (start == std::string::npos)
    return "";
  start = source.find("{\n", start) + 2;
  return source.substr(start, source.find("}\n", start) - start);
}

// sgd_step, loss and error_rate take two tensors, which a program cannot
// pass yet (FILT passes one); their bodies are checked inside user kernels
// that make y: f32[?, 3] from x.
TEST(BuiltinKernels, LogisticRegressionBodiesTypeCheck) {
  Registry registry = Registry::withBuiltins();
  std::string error;
  auto schema = registry.resolveComponent(
      "LogisticRegression", "", {{"inputs", ir::Attribute::integer(6)},
                                 {"classes", ir::Attribute::integer(3)}}, &error);
  ASSERT_TRUE(schema) << error;
  const std::string makeY = "    y = sigmoid(x @ self.W)\n";
  std::string kernels =
      "kernel step(self: LogisticRegression, x: f32[?, 6], lr: f32) {\n" + makeY +
      kernelBody(schema->kernelSource, "LogisticRegression.sgd_step") + "}\n" +
      "kernel loss(self: LogisticRegression, x: f32[?, 6]) {\n" + makeY +
      kernelBody(schema->kernelSource, "LogisticRegression.loss") + "}\n" +
      "kernel err(self: LogisticRegression, x: f32[?, 6]) {\n" + makeY +
      kernelBody(schema->kernelSource, "LogisticRegression.error_rate") + "}\n";
  for (const char *filt : {"FILT(step, self=clf, lr=0.1)", "FILT(loss, self=clf)",
                           "FILT(err, self=clf)"})
    EXPECT_EQ(compile(batchThen(filt), nullptr, kernels), "") << filt << "\n" << kernels;
}

} // namespace
} // namespace kiln::runtime
