// Compiled exp, log, tanh and sigmoid (f32 and f64) give bitwise the
// interpreter's kmath results over their whole domain: a sweep of bit
// patterns through every binade (denormals, the clamps, overflow and
// underflow, the tanh branch point) plus special values, in a length that
// leaves a scalar tail after the host-width vector loop. exp, tanh and
// sigmoid use fma (runtime/MathGen.h): std::fma in kmath, llvm.fma here,
// one rounding both, so any difference is a broken evaluator or a
// contraction/reassociation by LLVM.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codegen/JitExecutor.h"
#include "ir/Parser.h"
#include "runtime/KilnMath.h"

namespace kiln::codegen {
namespace {

namespace kmath = runtime::kmath;
using runtime::Tensor;

template <class T> bool sameOrBothNaN(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

/// Every `stride`-th bit pattern of T, both signs, and the special values.
template <class T> std::vector<T> sweep() {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const U top = sizeof(T) == 4 ? U(0x7f800000u) : U(0x7ff0000000000000ull);
  const U stride = sizeof(T) == 4 ? U(4099) : U(0x7ff0000000000000ull / 150001);
  std::vector<T> v;
  for (U b = 0; b < top; b += stride) {
    v.push_back(std::bit_cast<T>(b));
    v.push_back(-std::bit_cast<T>(b));
  }
  const T inf = std::numeric_limits<T>::infinity();
  for (T s : {T(0), T(0.625), T(1), T(88.7), T(89), T(-87.4), T(-104), T(709.7), T(-745.1),
              T(1e-30), std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::min(),
              std::numeric_limits<T>::max(), inf, std::numeric_limits<T>::quiet_NaN()}) {
    v.push_back(s);
    v.push_back(-s);
  }
  // Dense near 0 and across exp's and tanh's working ranges.
  for (int i = 0; i <= 20000; ++i)
    v.push_back(T(-120) + T(240) * T(i) / T(20000));
  while (v.size() % 16 != 13) // a scalar tail after any vector width
    v.push_back(T(0.5));
  return v;
}

template <class T> void expectCompiledEqualsKmath(const char *op, T (*ref)(T)) {
  const std::vector<T> xs = sweep<T>();
  const std::string t =
      std::string(sizeof(T) == 4 ? "f32[" : "f64[") + std::to_string(xs.size()) + "]";
  const std::string text = "module @m {\n  func @main() {\n"
                           "    %a = random_uniform {seed = 1, stream = 1} : " + t + "\n"
                           "    %r = fused @k0(%a) : " + t + " {\n"
                           "    ^bb0(%x: " + t + "):\n"
                           "      %s = " + std::string(op) + " %x : " + t + "\n"
                           "      yield %s\n    }\n  }\n}\n";
  ir::SourceManager sm;
  ir::DiagnosticEngine diag(&sm);
  auto module = ir::parseModule(text, "math.kir", sm, diag);
  ASSERT_TRUE(module);
  KernelCompiler::Options opts;
  opts.diskCache = false;
  auto jit = JitExecutor::create(opts);
  ASSERT_TRUE(bool(jit));
  int32_t id = -1;
  module->op().walk([&](ir::Operation &o) {
    if (o.is(ir::OpKind::Fused))
      id = (*jit)->prepare(o);
  });
  ASSERT_GE(id, 0) << op << " was not compiled";
  Tensor in = Tensor::empty(sizeof(T) == 4 ? ir::ElemType::F32 : ir::ElemType::F64,
                            {int64_t(xs.size())});
  std::memcpy(in.data<T>(), xs.data(), xs.size() * sizeof(T));
  std::vector<Tensor> out;
  ASSERT_TRUE((*jit)->run(id, std::span<const Tensor>(&in, 1), out, {}));
  ASSERT_EQ(out.size(), 1u);
  for (size_t i = 0; i < xs.size(); ++i)
    ASSERT_TRUE(sameOrBothNaN(out[0].data<T>()[i], ref(xs[i])))
        << op << "(" << xs[i] << "): compiled " << out[0].data<T>()[i] << ", kmath "
        << ref(xs[i]) << " at " << i;
}

TEST(JitMath, ExpEqualsKmath) {
  expectCompiledEqualsKmath<float>("exp", [](float x) { return kmath::exp(x); });
  expectCompiledEqualsKmath<double>("exp", [](double x) { return kmath::exp(x); });
}
TEST(JitMath, SigmoidEqualsKmath) {
  expectCompiledEqualsKmath<float>("sigmoid", [](float x) { return kmath::sigmoid(x); });
  expectCompiledEqualsKmath<double>("sigmoid", [](double x) { return kmath::sigmoid(x); });
}
TEST(JitMath, TanhEqualsKmath) {
  expectCompiledEqualsKmath<float>("tanh", [](float x) { return kmath::tanh(x); });
  expectCompiledEqualsKmath<double>("tanh", [](double x) { return kmath::tanh(x); });
}
TEST(JitMath, LogEqualsKmath) {
  expectCompiledEqualsKmath<float>("log", [](float x) { return kmath::log(x); });
  expectCompiledEqualsKmath<double>("log", [](double x) { return kmath::log(x); });
}

} // namespace
} // namespace kiln::codegen
