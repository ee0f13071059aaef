// Matmul (all transpose flags, against a naive triple loop; thread
// independence) and the shape kernels: transpose, reshape, slice, concat,
// dim, stack.
#include <cmath>

#include "KernelTestUtil.h"

using namespace kiln::runtime;
using namespace kiln::runtime::testing;
using kiln::ir::ElemType;

TEST(KernelsMatmul, SmallByHand) {
  Tensor a = T32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T32({3, 2}, {7, 8, 9, 10, 11, 12});
  EXPECT_EQ(values(kernels::matmul(a, b, false, false).value),
            (std::vector<double>{58, 64, 139, 154}));
  // a^T a : [3, 3]
  EXPECT_EQ(values(kernels::matmul(a, a, true, false).value),
            (std::vector<double>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
  // a a^T : [2, 2]
  EXPECT_EQ(values(kernels::matmul(a, a, false, true).value), (std::vector<double>{14, 32, 32, 77}));
  EXPECT_EQ(values(kernels::matmul(b, a, true, true).value),
            (std::vector<double>{7 + 18 + 33, 28 + 45 + 66, 8 + 20 + 36, 32 + 50 + 72}));
}

TEST(KernelsMatmul, AgainstNaiveLoopsAllFlags) {
  const int64_t m = 70, k = 33, n = 45;
  for (int flags = 0; flags < 4; ++flags) {
    bool ta = flags & 1, tb = flags & 2;
    Tensor a = Tensor::fromDoubles(ElemType::F64, ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k},
                                   values(randomF32({m * k}, 40)));
    Tensor b = Tensor::fromDoubles(ElemType::F64, tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n},
                                   values(randomF32({k * n}, 41)));
    Tensor c = kernels::matmul(a, b, ta, tb).value;
    ASSERT_EQ(c.shape(), (std::vector<int64_t>{m, n}));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double want = 0;
        for (int64_t p = 0; p < k; ++p)
          want += (ta ? a.at(p * m + i) : a.at(i * k + p)) * (tb ? b.at(j * k + p) : b.at(p * n + j));
        ASSERT_NEAR(c.at(i * n + j), want, 1e-12) << flags << " " << i << "," << j;
      }
  }
}

TEST(KernelsMatmul, ErrorsAndEdgeCases) {
  auto r = kernels::matmul(T32({2, 3}, {1, 2, 3, 4, 5, 6}), T32({2, 3}, {1, 2, 3, 4, 5, 6}), false, false);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, "matmul: inner dimensions differ: 3 and 2 (shapes [2, 3] @ [2, 3])");
  EXPECT_FALSE(kernels::matmul(T32({3}, {1, 2, 3}), T32({3}, {1, 2, 3}), false, false).ok());
  Tensor z = kernels::matmul(Tensor::empty(ElemType::F32, {2, 0}), Tensor::empty(ElemType::F32, {0, 3}),
                             false, false).value;
  EXPECT_EQ(values(z), (std::vector<double>(6, 0.0)));
}

TEST(KernelsMatmul, ThreadIndependent) {
  Tensor a = randomF32({300, 200}, 42);
  Tensor b = randomF32({200, 150}, 43);
  Tensor bt = randomF32({150, 200}, 44);
  expectThreadIndependent([&] { return kernels::matmul(a, b, false, false).value; });
  expectThreadIndependent([&] { return kernels::matmul(a, bt, false, true).value; });
  expectThreadIndependent([&] { return kernels::matmul(a, a, true, false).value; });
  // The raw gemm is the same computation.
  Tensor c = Tensor::empty(ElemType::F32, {300, 150});
  kernels::gemm(a.data<float>(), b.data<float>(), c.data<float>(), 300, 150, 200, false, false);
  EXPECT_TRUE(c.bitwiseEqual(kernels::matmul(a, b, false, false).value));
}

TEST(KernelsShape, Transpose) {
  Tensor a = T32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor t = kernels::transpose(a).value;
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values(t), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  Tensor big = randomF32({333, 517}, 50);
  Tensor bt = kernels::transpose(big).value;
  for (int64_t i = 0; i < 333; i += 7)
    for (int64_t j = 0; j < 517; j += 5)
      ASSERT_EQ(bt.at(j * 333 + i), big.at(i * 517 + j));
  EXPECT_TRUE(kernels::transpose(bt).value.bitwiseEqual(big));
  EXPECT_FALSE(kernels::transpose(T32({2}, {1, 2})).ok());
}

TEST(KernelsShape, ReshapeIsAView) {
  Tensor a = T32({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<int64_t> s{3, -1};
  auto r = kernels::reshape(a, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(r.value.raw(), a.raw());
  std::vector<int64_t> bad{4, 2};
  auto e = kernels::reshape(a, bad);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error, "reshape: cannot reshape shape [2, 3] (6 elements) to [4, 2]");
  std::vector<int64_t> bad2{4, -1};
  EXPECT_FALSE(kernels::reshape(a, bad2).ok());
  std::vector<int64_t> two{-1, -1};
  EXPECT_FALSE(kernels::reshape(a, two).ok());
}

TEST(KernelsShape, Slice) {
  Tensor a = T32({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_EQ(values(kernels::slice(a, 0, 1, 2).value),
            (std::vector<double>{4, 5, 6, 7, 8, 9, 10, 11}));
  Tensor c = kernels::slice(a, 1, 1, 2).value;
  EXPECT_EQ(c.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values(c), (std::vector<double>{1, 2, 5, 6, 9, 10}));
  EXPECT_EQ(kernels::slice(a, 1, 4, 0).value.numel(), 0);
  auto e = kernels::slice(a, 0, 2, 2);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error, "slice: [2, 2 + 2) out of range for axis 0 of shape [3, 4]");
  EXPECT_FALSE(kernels::slice(a, 2, 0, 1).ok());
  EXPECT_FALSE(kernels::slice(a, 0, -1, 1).ok());
}

TEST(KernelsShape, Concat) {
  Tensor a = T32({2, 2}, {1, 2, 3, 4});
  Tensor b = T32({2, 1}, {5, 6});
  Tensor xs[] = {a, b};
  Tensor c = kernels::concat(xs, 1).value;
  EXPECT_EQ(c.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values(c), (std::vector<double>{1, 2, 5, 3, 4, 6}));
  Tensor ys[] = {a, a};
  EXPECT_EQ(values(kernels::concat(ys, 0).value), (std::vector<double>{1, 2, 3, 4, 1, 2, 3, 4}));
  auto e = kernels::concat(xs, 0);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error, "concat: operand 1 has shape [2, 1], incompatible with [2, 2] along axis 0");
  EXPECT_FALSE(kernels::concat(std::span<const Tensor>(), 0).ok());
}

TEST(KernelsShape, DimAndStack) {
  Tensor a = T32({2, 5}, std::vector<double>(10, 1.0));
  Tensor d = kernels::dim(a, 1).value;
  EXPECT_EQ(d.dtype(), ElemType::I64);
  EXPECT_EQ(d.rank(), 0);
  EXPECT_EQ(d.item(), 5.0);
  EXPECT_FALSE(kernels::dim(a, 2).ok());
  Tensor xs[] = {T32({2}, {1, 2}), T32({2}, {3, 4}), T32({2}, {5, 6})};
  Tensor s = kernels::stack(xs).value;
  EXPECT_EQ(s.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values(s), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  Tensor scalars[] = {Tensor::scalarF32(1), Tensor::scalarF32(2)};
  EXPECT_EQ(kernels::stack(scalars).value.shape(), (std::vector<int64_t>{2}));
  Tensor bad[] = {T32({2}, {1, 2}), T32({3}, {1, 2, 3})};
  auto e = kernels::stack(bad);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error, "stack: value 1 is f32[3], value 0 is f32[2]");
}

TEST(KernelsABI, CEntryPointsMatchTheKernels) {
  Tensor a = randomF32({70, 40}, 60), b = randomF32({40, 30}, 61);
  Tensor c = Tensor::empty(ElemType::F32, {70, 30});
  kiln_rt_sgemm(70, 30, 40, a.data<float>(), 40, 0, b.data<float>(), 30, 0, c.data<float>(), 30,
                nullptr, nullptr);
  EXPECT_TRUE(c.bitwiseEqual(kernels::matmul(a, b, false, false).value));
  Tensor x = randomF32({10000}, 62);
  EXPECT_EQ(kiln_rt_sum_run_f32(x.data<float>(), 10000),
            kernels::reduce(kernels::ReduceOp::Sum, x, std::nullopt).value.at(0));
  std::vector<float> u(37), z(37);
  std::vector<double> ud(37), zd(37);
  kiln_rt_random_uniform_f32(u.data(), 37, 5, 6, 7);
  kiln_rt_random_normal_f32(z.data(), 37, 5, 6, 7);
  kiln_rt_random_uniform_f64(ud.data(), 37, 5, 6, 7);
  kiln_rt_random_normal_f64(zd.data(), 37, 5, 6, 7);
  Tensor tu = kernels::randomUniform(ElemType::F32, {37}, 5, 6, 7);
  Tensor tz = kernels::randomNormal(ElemType::F32, {37}, 5, 6, 7);
  Tensor tud = kernels::randomUniform(ElemType::F64, {37}, 5, 6, 7);
  Tensor tzd = kernels::randomNormal(ElemType::F64, {37}, 5, 6, 7);
  for (int i = 0; i < 37; ++i) {
    EXPECT_EQ(u[i], tu.data<float>()[i]);
    EXPECT_EQ(z[i], tz.data<float>()[i]);
    EXPECT_EQ(ud[i], tud.data<double>()[i]);
    EXPECT_EQ(zd[i], tzd.data<double>()[i]);
  }
}
