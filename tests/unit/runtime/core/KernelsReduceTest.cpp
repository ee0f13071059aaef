// Reductions: every op along each axis and over everything, against naive
// loops in the documented order; empty extents; NaN; thread independence.
#include <cmath>

#include "KernelTestUtil.h"

using namespace kiln::runtime;
using namespace kiln::runtime::testing;
using kiln::ir::ElemType;
using R = kernels::ReduceOp;

namespace {
// The documented fixed order of reduceSumRun, written out naively.
float naiveRun(const float *x, int64_t n) {
  float total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kernels::kReduceBlock) {
    int64_t len = std::min(kernels::kReduceBlock, n - b0);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < len; ++i)
      acc[i % 8] += x[b0 + i];
    total += ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  }
  return total;
}
} // namespace

TEST(KernelsReduce, SmallByHand) {
  Tensor m = T32({2, 3}, {1, 5, 3, 4, 2, 6});
  EXPECT_EQ(values(kernels::reduce(R::Sum, m, 0).value), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(values(kernels::reduce(R::Sum, m, 1).value), (std::vector<double>{9, 12}));
  EXPECT_EQ(values(kernels::reduce(R::Sum, m, std::nullopt).value), (std::vector<double>{21}));
  EXPECT_EQ(kernels::reduce(R::Sum, m, std::nullopt).value.rank(), 0);
  EXPECT_EQ(values(kernels::reduce(R::Mean, m, 0).value), (std::vector<double>{2.5, 3.5, 4.5}));
  EXPECT_EQ(values(kernels::reduce(R::Max, m, 1).value), (std::vector<double>{5, 6}));
  EXPECT_EQ(values(kernels::reduce(R::Min, m, 0).value), (std::vector<double>{1, 2, 3}));
  Tensor am = kernels::reduce(R::Argmax, m, 1).value;
  EXPECT_EQ(am.dtype(), ElemType::I64);
  EXPECT_EQ(values(am), (std::vector<double>{1, 2}));
  EXPECT_EQ(values(kernels::reduce(R::Argmax, m, 0).value), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(values(kernels::reduce(R::Argmax, m, std::nullopt).value), (std::vector<double>{5}));
}

TEST(KernelsReduce, ArgmaxTiesAndNaN) {
  Tensor t = T32({5}, {1, 3, 3, 0, 3});
  EXPECT_EQ(kernels::reduce(R::Argmax, t, 0).value.at(0), 1.0);
  Tensor n = T32({4}, {1, std::nan(""), 9, std::nan("")});
  EXPECT_EQ(kernels::reduce(R::Argmax, n, 0).value.at(0), 1.0);
  EXPECT_TRUE(std::isnan(kernels::reduce(R::Max, n, 0).value.at(0)));
  EXPECT_TRUE(std::isnan(kernels::reduce(R::Min, n, std::nullopt).value.at(0)));
  Tensor col = T32({3, 2}, {1, std::nan(""), 2, 0, 0, 5});
  EXPECT_EQ(values(kernels::reduce(R::Argmax, col, 0).value), (std::vector<double>{1, 0}));
}

TEST(KernelsReduce, IntegerAndBoolean) {
  Tensor i = TI({2, 2}, {1, 2, 3, 5});
  EXPECT_EQ(values(kernels::reduce(R::Sum, i, 0).value), (std::vector<double>{4, 7}));
  EXPECT_EQ(values(kernels::reduce(R::Mean, i, 1).value), (std::vector<double>{1, 4})); // truncates
  Tensor b = TB({2, 3}, {0, 0, 1, 1, 1, 1});
  EXPECT_EQ(values(kernels::reduce(R::Sum, b, 1).value), (std::vector<double>{1, 1})); // any
  EXPECT_EQ(values(kernels::reduce(R::Min, b, 1).value), (std::vector<double>{0, 1})); // all
  EXPECT_EQ(kernels::reduce(R::Sum, b, 1).value.dtype(), ElemType::I1);
}

TEST(KernelsReduce, EmptyExtentsAndBadAxes) {
  Tensor e = Tensor::empty(ElemType::F32, {0, 3});
  EXPECT_EQ(values(kernels::reduce(R::Sum, e, 0).value), (std::vector<double>{0, 0, 0}));
  EXPECT_TRUE(std::isnan(kernels::reduce(R::Mean, e, 0).value.at(0)));
  auto mx = kernels::reduce(R::Max, e, 0);
  EXPECT_FALSE(mx.ok());
  EXPECT_NE(mx.error.find("empty"), std::string::npos);
  EXPECT_FALSE(kernels::reduce(R::Argmax, e, std::nullopt).ok());
  EXPECT_EQ(kernels::reduce(R::Max, e, 1).value.shape(), (std::vector<int64_t>{0}));
  auto bad = kernels::reduce(R::Sum, T32({2}, {1, 2}), 1);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error, "reduce_sum: axis 1 out of range for shape [2]");
}

TEST(KernelsReduce, FixedOrderMatchesTheDocumentedAlgorithm) {
  // Lengths around the 8-lane and block boundaries, and a multi-block run.
  for (int64_t n : {1, 7, 8, 9, 4095, 4096, 4097, 100003}) {
    Tensor x = randomF32({n}, 10 + uint64_t(n));
    float want = naiveRun(x.data<float>(), n);
    EXPECT_EQ(kernels::reduceSumRun(x.data<float>(), n), want) << n;
    EXPECT_EQ(kernels::reduce(R::Sum, x, std::nullopt).value.at(0), want) << n;
    EXPECT_EQ(kernels::reduce(R::Sum, x.reshaped({1, n}), 1).value.at(0), want) << n;
    EXPECT_EQ(float(kernels::reduce(R::Mean, x, 0).value.at(0)), want / float(n)) << n;
  }
}

TEST(KernelsReduce, StridedAxesAddInIndexOrder) {
  Tensor x = randomF32({3, 50, 7}, 20);
  Tensor s = kernels::reduce(R::Sum, x, 1).value;
  Tensor mx = kernels::reduce(R::Max, x, 1).value;
  ASSERT_EQ(s.shape(), (std::vector<int64_t>{3, 7}));
  for (int o = 0; o < 3; ++o)
    for (int j = 0; j < 7; ++j) {
      float acc = 0, m = -INFINITY;
      for (int r = 0; r < 50; ++r) {
        float v = x.data<float>()[(o * 50 + r) * 7 + j];
        acc += v;
        m = std::max(m, v);
      }
      EXPECT_EQ(s.data<float>()[o * 7 + j], acc);
      EXPECT_EQ(mx.data<float>()[o * 7 + j], m);
    }
}

TEST(KernelsReduce, ThreadIndependent) {
  Tensor big = randomF32({300000}, 30);
  Tensor mat = randomF32({600, 257}, 31);
  for (R op : {R::Sum, R::Mean, R::Max, R::Min, R::Argmax}) {
    expectThreadIndependent([&] { return kernels::reduce(op, big, std::nullopt).value; });
    expectThreadIndependent([&] { return kernels::reduce(op, mat, 0).value; });
    expectThreadIndependent([&] { return kernels::reduce(op, mat, 1).value; });
  }
}
