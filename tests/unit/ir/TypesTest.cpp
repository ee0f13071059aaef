// Types: construction, spelling, compatibility, and the textual round trip.
#include <limits>

#include <gtest/gtest.h>

#include "ir/Parser.h"
#include "ir/Types.h"

namespace kiln::ir {
namespace {

TEST(TypesTest, Spelling) {
  EXPECT_EQ(Type::none().str(), "none");
  EXPECT_EQ(Type::f32().str(), "f32");
  EXPECT_EQ(Type::i1().str(), "i1");
  EXPECT_EQ(Type::tensor(ElemType::F32, {kDynamic, 784}).str(), "f32[?, 784]");
  EXPECT_EQ(Type::tensor(ElemType::I64, {3}).str(), "i64[3]");
  EXPECT_EQ(Type::component("RBM").str(), "!RBM");
}

TEST(TypesTest, ShapeQueries) {
  Type t = Type::tensor(ElemType::F64, {2, 3, 4});
  EXPECT_EQ(t.rank(), 3);
  EXPECT_EQ(t.numElements(), 24);
  EXPECT_TRUE(t.hasStaticShape());
  Type d = Type::tensor(ElemType::F32, {kDynamic, 4});
  EXPECT_EQ(d.numElements(), kDynamic);
  // The parser takes any i64 dimension: the count saturates, never wraps.
  Type huge = Type::tensor(ElemType::F32, {int64_t(1) << 62, 8});
  EXPECT_EQ(huge.numElements(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Type::tensor(ElemType::F32, {int64_t(1) << 62, 8, 0}).numElements(), 0);
  EXPECT_FALSE(d.hasStaticShape());
  EXPECT_EQ(Type::shaped(ElemType::F32, {}), Type::f32());
  EXPECT_EQ(d.withElem(ElemType::I1).str(), "i1[?, 4]");
}

TEST(TypesTest, Compatibility) {
  Type a = Type::tensor(ElemType::F32, {kDynamic, 4});
  Type b = Type::tensor(ElemType::F32, {10, 4});
  EXPECT_TRUE(typesCompatible(a, b));
  EXPECT_FALSE(typesCompatible(a, Type::tensor(ElemType::F32, {10, 5})));
  EXPECT_FALSE(typesCompatible(a, Type::tensor(ElemType::F64, {10, 4})));
  EXPECT_FALSE(typesCompatible(Type::component("A"), Type::component("B")));
  EXPECT_NE(a, b);
}

TEST(TypesTest, ParseRoundTrip) {
  for (const char *text : {"none", "f32", "f64", "i64", "i1", "f32[?, 784]", "i1[1, 2, 3]",
                           "!Dataset", "f32[0]"}) {
    auto t = parseTypeString(text);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(t->str(), text);
  }
}

TEST(TypesTest, ParseRejectsMalformed) {
  for (const char *text : {"", "f16", "f32[]", "f32[-1]", "f32[3", "f32[3,]", "!", "f32 f32",
                           "f32[99999999999999999999]", "[3]"})
    EXPECT_FALSE(parseTypeString(text)) << text;
}

} // namespace
} // namespace kiln::ir
