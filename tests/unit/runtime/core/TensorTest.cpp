// Tensor: construction, element access, copies, views, printing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "runtime/BufferPool.h"
#include "runtime/Tensor.h"

using kiln::ir::ElemType;
using kiln::runtime::Tensor;

TEST(Tensor, NullByDefault) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_TRUE(t.bitwiseEqual(Tensor()));
  EXPECT_EQ(t.str(), "<null tensor>");
}

TEST(Tensor, FullAndAccess) {
  Tensor t = Tensor::full(ElemType::F32, {2, 3}, 1.5);
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_EQ(t.type().str(), "f32[2, 3]");
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(t.at(i), 1.5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
}

TEST(Tensor, DtypesStoreTheirValues) {
  std::vector<double> v{-2.75, 0.0, 3.0};
  Tensor f = Tensor::fromDoubles(ElemType::F64, {3}, v);
  EXPECT_EQ(f.data<double>()[0], -2.75);
  Tensor i = Tensor::fromDoubles(ElemType::I64, {3}, v);
  EXPECT_EQ(i.data<int64_t>()[0], -2); // truncation toward zero
  Tensor b = Tensor::fromDoubles(ElemType::I1, {3}, v);
  EXPECT_EQ(b.data<uint8_t>()[0], 1);
  EXPECT_EQ(b.data<uint8_t>()[1], 0);
  EXPECT_EQ(Tensor::scalarI64(-7).item(), -7.0);
  EXPECT_EQ(Tensor::scalar(ElemType::F32, 2.0).rank(), 0);
  // Out-of-range conversions saturate instead of being undefined.
  std::vector<double> big{1e300, -1e300, std::nan("")};
  Tensor s = Tensor::fromDoubles(ElemType::I64, {3}, big);
  EXPECT_EQ(s.data<int64_t>()[0], INT64_MAX);
  EXPECT_EQ(s.data<int64_t>()[1], INT64_MIN);
  EXPECT_EQ(s.data<int64_t>()[2], 0);
}

TEST(Tensor, CopyIsDeepReshapeIsAView) {
  Tensor a = Tensor::zeros(ElemType::F32, {2, 2});
  Tensor c = a.copy();
  Tensor v = a.reshaped({4});
  a.data<float>()[3] = 9.0f;
  EXPECT_EQ(c.at(3), 0.0);
  EXPECT_EQ(v.at(3), 9.0);
  EXPECT_EQ(v.shape(), (std::vector<int64_t>{4}));
  EXPECT_FALSE(a.bitwiseEqual(c));
  EXPECT_FALSE(a.bitwiseEqual(v)); // same bytes, different shape
  EXPECT_TRUE(a.bitwiseEqual(v.reshaped({2, 2})));
}

TEST(Tensor, BitwiseEqualSeesSignedZeroAndNaNPayload) {
  Tensor a = Tensor::full(ElemType::F32, {1}, 0.0);
  Tensor b = Tensor::full(ElemType::F32, {1}, -0.0);
  EXPECT_FALSE(a.bitwiseEqual(b));
  Tensor n = Tensor::full(ElemType::F64, {1}, std::nan(""));
  EXPECT_TRUE(n.bitwiseEqual(n.copy()));
}

TEST(Tensor, EmptyShapes) {
  Tensor t = Tensor::empty(ElemType::F32, {0, 5});
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.str(), "f32[0, 5] []");
}

TEST(Tensor, Printing) {
  std::vector<double> v{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(Tensor::fromDoubles(ElemType::F32, {2, 3}, v).str(),
            "f32[2, 3] [[1, 2, 3], [4, 5, 6]]");
  EXPECT_EQ(Tensor::fromDoubles(ElemType::I64, {2, 3}, v).str(4),
            "i64[2, 3] [[1, 2, 3], [4, ...]]");
  EXPECT_EQ(Tensor::scalar(ElemType::F64, 0.1).str(), "f64 0.1");
  EXPECT_EQ(Tensor::scalar(ElemType::I1, 1).str(), "i1 true");
  EXPECT_EQ(Tensor::full(ElemType::F32, {2}, -INFINITY).str(), "f32[2] [-inf, -inf]");
}
