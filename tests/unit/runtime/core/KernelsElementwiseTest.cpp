// Elementwise kernels: every unary/binary/compare op, select, cast and
// constants against naive loops; broadcasting; run-time shape errors;
// thread-count independence.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "KernelTestUtil.h"
#include "runtime/KilnMath.h"

using namespace kiln::runtime;
using namespace kiln::runtime::testing;
using kiln::ir::ElemType;
using kiln::ir::OpKind;

TEST(KernelsElementwise, OpKindMapping) {
  EXPECT_EQ(kernels::unaryOpFor(OpKind::Tanh), kernels::UnaryOp::Tanh);
  EXPECT_EQ(kernels::binaryOpFor(OpKind::Pow), kernels::BinaryOp::Pow);
  EXPECT_EQ(kernels::compareOpFor(OpKind::Ge), kernels::CompareOp::Ge);
  EXPECT_EQ(kernels::reduceOpFor(OpKind::ReduceArgmax), kernels::ReduceOp::Argmax);
  EXPECT_FALSE(kernels::unaryOpFor(OpKind::Add));
  EXPECT_FALSE(kernels::binaryOpFor(OpKind::Matmul));
}

TEST(KernelsElementwise, Constants) {
  Tensor s = kernels::constantSplat(ElemType::I64, {2, 2}, 3.9);
  EXPECT_EQ(values(s), (std::vector<double>{3, 3, 3, 3}));
  std::vector<double> v{1, 2, 3, 4, 5, 6};
  auto r = kernels::constantValues(ElemType::F64, {2, 3}, v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(values(r.value), v);
  auto bad = kernels::constantValues(ElemType::F32, {4}, v);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("6 values for shape [4]"), std::string::npos) << bad.error;
}

TEST(KernelsElementwise, UnaryMatchesNaiveLoops) {
  Tensor x = randomF32({1000}, 1, -5, 5);
  Tensor pos = randomF32({1000}, 2, 0.001, 50);
  using U = kernels::UnaryOp;
  struct Case { U op; const Tensor *in; float (*ref)(float); };
  Case cases[] = {
      {U::Neg, &x, [](float v) { return -v; }},
      {U::Exp, &x, [](float v) { return kmath::exp(v); }},
      {U::Log, &pos, [](float v) { return kmath::log(v); }},
      {U::Sqrt, &pos, [](float v) { return std::sqrt(v); }},
      {U::Abs, &x, [](float v) { return std::fabs(v); }},
      {U::Sigmoid, &x, [](float v) { return kmath::sigmoid(v); }},
      {U::Tanh, &x, [](float v) { return kmath::tanh(v); }},
      {U::Relu, &x, [](float v) { return v < 0 ? 0.0f : v; }},
  };
  for (const Case &c : cases) {
    Tensor y = kernels::unary(c.op, *c.in);
    ASSERT_EQ(y.shape(), c.in->shape());
    for (int64_t i = 0; i < 1000; ++i)
      ASSERT_EQ(y.data<float>()[i], c.ref(c.in->data<float>()[i])) << int(c.op) << " at " << i;
  }
  // The same through the raw entry point used by benchmarks.
  Tensor y = Tensor::empty(ElemType::F32, {1000});
  kernels::unaryF32(U::Sigmoid, x.data<float>(), y.data<float>(), 1000);
  EXPECT_TRUE(y.bitwiseEqual(kernels::unary(U::Sigmoid, x)));
}

/// Same bits, or both NaN.
template <class T> bool sameOrBothNaN(T a, T b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

/// The interpreter's elementwise loops run as host-ISA clones (AVX-512 or
/// AVX2 copies picked at load time: KernelsInternal.h KILN_HOST_CLONES).
/// They must give the bits of the plain per-element code this test file
/// compiles for baseline x86-64, on any machine: special values and random
/// ones, sizes that split into parallel chunks with a ragged end.
template <class T> void expectBaselineBits() {
  const int64_t n = 3 * kernels::kParallelThreshold + 1234;
  const ElemType et = std::is_same_v<T, float> ? ElemType::F32 : ElemType::F64;
  Tensor a = Tensor::empty(et, {n}), b = Tensor::empty(et, {n});
  const T special[] = {T(0), -T(0), T(1), T(-1), T(0.5), T(2), T(-2.5), T(3),
                       std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                       std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::denorm_min(),
                       std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T(88.7),
                       T(-104), T(1e-30)};
  Tensor ra = kernels::randomNormal(et, {n}, 3, 1, 0), rb = kernels::randomNormal(et, {n}, 3, 2, 0);
  for (int64_t i = 0; i < n; ++i) {
    a.data<T>()[i] = i < 17 * 17 ? special[i % 17] : ra.data<T>()[i] * T(8);
    b.data<T>()[i] = i < 17 * 17 ? special[i / 17] : rb.data<T>()[i] * T(3);
  }
  using U = kernels::UnaryOp;
  const std::pair<U, T (*)(T)> unary[] = {
      {U::Neg, [](T v) { return -v; }},
      {U::Exp, [](T v) { return kmath::exp(v); }},
      {U::Log, [](T v) { return kmath::log(v); }},
      {U::Sqrt, [](T v) { return std::sqrt(v); }},
      {U::Abs, [](T v) { return std::fabs(v); }},
      {U::Sigmoid, [](T v) { return kmath::sigmoid(v); }},
      {U::Tanh, [](T v) { return kmath::tanh(v); }},
      {U::Relu, [](T v) { return v < 0 ? T(0) : v; }}};
  for (const auto &[op, ref] : unary) {
    Tensor y = kernels::unary(op, a);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_TRUE(sameOrBothNaN(y.data<T>()[i], ref(a.data<T>()[i])))
          << "unary " << int(op) << " of " << a.data<T>()[i] << " at " << i;
  }
  using Bop = kernels::BinaryOp;
  std::vector<std::pair<Bop, T (*)(T, T)>> binary = {
      {Bop::Add, [](T x, T y) { return x + y; }},
      {Bop::Sub, [](T x, T y) { return x - y; }},
      {Bop::Mul, [](T x, T y) { return x * y; }},
      {Bop::Div, [](T x, T y) { return x / y; }},
      {Bop::Max, [](T x, T y) { return (x > y || x != x) ? x : y; }},
      {Bop::Min, [](T x, T y) { return (x < y || x != x) ? x : y; }}};
  if constexpr (std::is_same_v<T, float>)
    binary.push_back({Bop::Pow, [](T x, T y) { return kmath::pow(x, y); }});
  for (const auto &[op, ref] : binary) {
    Tensor y = kernels::binary(op, a, b).value;
    for (int64_t i = 0; i < n; ++i)
      ASSERT_TRUE(sameOrBothNaN(y.data<T>()[i], ref(a.data<T>()[i], b.data<T>()[i])))
          << "binary " << int(op) << " of " << a.data<T>()[i] << ", " << b.data<T>()[i];
  }
}

TEST(KernelsElementwise, HostClonesGiveTheBaselineBits) {
#if defined(__x86_64__)
  std::printf("host clone: %s\n", __builtin_cpu_supports("avx512f") ? "x86-64-v4 (AVX-512)"
                                   : __builtin_cpu_supports("avx2")  ? "x86-64-v3 (AVX2)"
                                                                     : "baseline");
#endif
  expectBaselineBits<float>();
  expectBaselineBits<double>();
}

TEST(KernelsElementwise, UnaryOnF64AndIntegers) {
  Tensor d = T64({3}, {-1.5, 0.0, 2.0});
  EXPECT_EQ(values(kernels::unary(kernels::UnaryOp::Exp, d)),
            (std::vector<double>{kmath::exp(-1.5), 1.0, kmath::exp(2.0)}));
  Tensor i = TI({3}, {-4, 0, 7});
  EXPECT_EQ(values(kernels::unary(kernels::UnaryOp::Neg, i)), (std::vector<double>{4, 0, -7}));
  EXPECT_EQ(values(kernels::unary(kernels::UnaryOp::Abs, i)), (std::vector<double>{4, 0, 7}));
  EXPECT_EQ(values(kernels::unary(kernels::UnaryOp::Relu, i)), (std::vector<double>{0, 0, 7}));
  Tensor n = T32({2}, {std::nan(""), -0.0});
  Tensor r = kernels::unary(kernels::UnaryOp::Relu, n);
  EXPECT_TRUE(std::isnan(r.at(0)));
}

TEST(KernelsElementwise, BinarySameShape) {
  Tensor a = T32({4}, {1, -2, 3, 8});
  Tensor b = T32({4}, {2, 5, -1, 2});
  using B = kernels::BinaryOp;
  EXPECT_EQ(values(kernels::binary(B::Add, a, b).value), (std::vector<double>{3, 3, 2, 10}));
  EXPECT_EQ(values(kernels::binary(B::Sub, a, b).value), (std::vector<double>{-1, -7, 4, 6}));
  EXPECT_EQ(values(kernels::binary(B::Mul, a, b).value), (std::vector<double>{2, -10, -3, 16}));
  EXPECT_EQ(values(kernels::binary(B::Div, a, b).value), (std::vector<double>{0.5, -0.4f, -3, 4}));
  EXPECT_EQ(values(kernels::binary(B::Max, a, b).value), (std::vector<double>{2, 5, 3, 8}));
  EXPECT_EQ(values(kernels::binary(B::Min, a, b).value), (std::vector<double>{1, -2, -1, 2}));
  EXPECT_EQ(values(kernels::binary(B::Pow, a, b).value),
            (std::vector<double>{1, -32, 1.0f / 3.0f, 64}));
}

TEST(KernelsElementwise, MaxMinPropagateNaN) {
  Tensor a = T32({2}, {std::nan(""), 1});
  Tensor b = T32({2}, {1, std::nan("")});
  for (auto op : {kernels::BinaryOp::Max, kernels::BinaryOp::Min}) {
    Tensor r = kernels::binary(op, a, b).value;
    EXPECT_TRUE(std::isnan(r.at(0)));
    EXPECT_TRUE(std::isnan(r.at(1)));
  }
}

TEST(KernelsElementwise, IntegerArithmeticNeverTraps) {
  const double mn = double(std::numeric_limits<int64_t>::min());
  Tensor a = TI({4}, {7, -7, mn, 5});
  Tensor b = TI({4}, {2, 2, -1, 0});
  Tensor q = kernels::binary(kernels::BinaryOp::Div, a, b).value;
  EXPECT_EQ(q.data<int64_t>()[0], 3);
  EXPECT_EQ(q.data<int64_t>()[1], -3); // toward zero
  EXPECT_EQ(q.data<int64_t>()[2], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(q.data<int64_t>()[3], 0); // x / 0 = 0
  Tensor p = kernels::binary(kernels::BinaryOp::Pow, TI({3}, {3, 2, -1}), TI({3}, {4, -1, 3})).value;
  EXPECT_EQ(values(p), (std::vector<double>{81, 0, -1}));
  Tensor big = TI({1}, {double(std::numeric_limits<int64_t>::max())});
  Tensor w = kernels::binary(kernels::BinaryOp::Add, big, TI({1}, {1})).value;
  EXPECT_EQ(w.data<int64_t>()[0], std::numeric_limits<int64_t>::min()); // wraps
}

TEST(KernelsElementwise, BooleanArithmetic) {
  Tensor a = TB({4}, {0, 0, 1, 1});
  Tensor b = TB({4}, {0, 1, 0, 1});
  using B = kernels::BinaryOp;
  EXPECT_EQ(values(kernels::binary(B::Add, a, b).value), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(values(kernels::binary(B::Mul, a, b).value), (std::vector<double>{0, 0, 0, 1}));
  EXPECT_EQ(values(kernels::binary(B::Max, a, b).value), (std::vector<double>{0, 1, 1, 1}));
  EXPECT_EQ(values(kernels::binary(B::Min, a, b).value), (std::vector<double>{0, 0, 0, 1}));
}

TEST(KernelsElementwise, Broadcasting) {
  // [2, 3] + [3] -> row broadcast; [2, 1] * [1, 3] -> outer product;
  // scalar with tensor; rank-3 with a middle broadcast dimension.
  Tensor m = T32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor row = T32({3}, {10, 20, 30});
  EXPECT_EQ(values(kernels::binary(kernels::BinaryOp::Add, m, row).value),
            (std::vector<double>{11, 22, 33, 14, 25, 36}));
  Tensor col = T32({2, 1}, {1, 2});
  Tensor r = kernels::binary(kernels::BinaryOp::Mul, col, T32({1, 3}, {1, 2, 3})).value;
  EXPECT_EQ(r.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values(r), (std::vector<double>{1, 2, 3, 2, 4, 6}));
  Tensor s = kernels::binary(kernels::BinaryOp::Sub, Tensor::scalarF32(1), m).value;
  EXPECT_EQ(values(s), (std::vector<double>{0, -1, -2, -3, -4, -5}));
  // [2, 1, 3] - [4, 1] -> [2, 4, 3], checked against a naive index loop.
  Tensor a = randomF32({2, 1, 3}, 3);
  Tensor b = randomF32({4, 1}, 4);
  Tensor c = kernels::binary(kernels::BinaryOp::Sub, a, b).value;
  ASSERT_EQ(c.shape(), (std::vector<int64_t>{2, 4, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(c.at((i * 4 + j) * 3 + k), double(float(a.at(i * 3 + k)) - float(b.at(j))));
  EXPECT_EQ(kernels::broadcastShapes(std::vector<int64_t>{5, 1, 3}, std::vector<int64_t>{4, 1}),
            (std::vector<int64_t>{5, 4, 3}));
}

TEST(KernelsElementwise, BroadcastShapeErrorsAreMessages) {
  auto r = kernels::binary(kernels::BinaryOp::Add, T32({2, 3}, {1, 2, 3, 4, 5, 6}),
                           T32({2}, {1, 2}));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.value.defined());
  EXPECT_EQ(r.error, "shapes [2, 3] and [2] do not broadcast");
  auto c = kernels::compare(kernels::CompareOp::Lt, T32({3}, {1, 2, 3}), T32({4}, {1, 2, 3, 4}));
  EXPECT_FALSE(c.ok());
  auto s = kernels::select(TB({2}, {1, 0}), T32({3}, {1, 2, 3}), T32({3}, {1, 2, 3}));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error.find("select"), std::string::npos);
}

TEST(KernelsElementwise, Comparisons) {
  Tensor a = T32({5}, {1, 2, 3, std::nan(""), 5});
  Tensor b = T32({5}, {1, 3, 2, std::nan(""), 5});
  using C = kernels::CompareOp;
  auto v = [&](C op) {
    Tensor r = kernels::compare(op, a, b).value;
    EXPECT_EQ(r.dtype(), ElemType::I1);
    return values(r);
  };
  EXPECT_EQ(v(C::Eq), (std::vector<double>{1, 0, 0, 0, 1}));
  EXPECT_EQ(v(C::Ne), (std::vector<double>{0, 1, 1, 1, 0}));
  EXPECT_EQ(v(C::Lt), (std::vector<double>{0, 1, 0, 0, 0}));
  EXPECT_EQ(v(C::Le), (std::vector<double>{1, 1, 0, 0, 1}));
  EXPECT_EQ(v(C::Gt), (std::vector<double>{0, 0, 1, 0, 0}));
  EXPECT_EQ(v(C::Ge), (std::vector<double>{1, 0, 1, 0, 1}));
  Tensor ri = kernels::compare(C::Gt, TI({3}, {1, 5, 9}), TI({}, {5})).value;
  EXPECT_EQ(values(ri), (std::vector<double>{0, 0, 1}));
}

TEST(KernelsElementwise, Select) {
  Tensor c = TB({2, 1}, {1, 0});
  Tensor a = T32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T32({}, {-1});
  Tensor r = kernels::select(c, a, b).value;
  EXPECT_EQ(values(r), (std::vector<double>{1, 2, 3, -1, -1, -1}));
  Tensor same = kernels::select(TB({3}, {0, 1, 0}), T64({3}, {1, 2, 3}), T64({3}, {4, 5, 6})).value;
  EXPECT_EQ(values(same), (std::vector<double>{4, 2, 6}));
}

TEST(KernelsElementwise, Cast) {
  Tensor f = T64({6}, {1.9, -1.9, std::nan(""), 1e300, -1e300, 0.0});
  Tensor i = kernels::cast(f, ElemType::I64);
  EXPECT_EQ(i.data<int64_t>()[0], 1);
  EXPECT_EQ(i.data<int64_t>()[1], -1);
  EXPECT_EQ(i.data<int64_t>()[2], 0);
  EXPECT_EQ(i.data<int64_t>()[3], std::numeric_limits<int64_t>::max());
  EXPECT_EQ(i.data<int64_t>()[4], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(values(kernels::cast(f, ElemType::I1)), (std::vector<double>{1, 1, 1, 1, 1, 0}));
  Tensor b = TB({2}, {1, 0});
  EXPECT_EQ(values(kernels::cast(b, ElemType::F32)), (std::vector<double>{1, 0}));
  Tensor g = kernels::cast(T64({1}, {0.1}), ElemType::F32);
  EXPECT_EQ(g.data<float>()[0], 0.1f);
  EXPECT_EQ(kernels::cast(g, ElemType::F32).raw(), g.raw()); // same type: shared
}

TEST(KernelsElementwise, LargeOpsAreThreadIndependentAndCorrect) {
  // Above the parallel threshold, with broadcasting along rows.
  Tensor a = randomF32({512, 300}, 5);
  Tensor b = randomF32({300}, 6);
  expectThreadIndependent([&] { return kernels::binary(kernels::BinaryOp::Mul, a, b).value; });
  expectThreadIndependent([&] { return kernels::unary(kernels::UnaryOp::Tanh, a); });
  Tensor big = randomF32({200000}, 7);
  expectThreadIndependent([&] { return kernels::binary(kernels::BinaryOp::Add, big, big).value; });
  Tensor r = kernels::binary(kernels::BinaryOp::Mul, a, b).value;
  for (int64_t i = 0; i < 512 * 300; i += 997)
    ASSERT_EQ(r.data<float>()[i], a.data<float>()[i] * b.data<float>()[i % 300]);
}
