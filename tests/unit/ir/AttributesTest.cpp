// Attributes: spelling, and that every printed attribute parses back equal
// (in particular doubles, which must survive bit for bit).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "ir/Attributes.h"
#include "ir/Parser.h"

namespace kiln::ir {
namespace {

double roundTripDouble(double d) {
  std::string s = formatDouble(d);
  auto a = parseAttributeString(s);
  EXPECT_TRUE(a) << s;
  if (!a)
    return std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(a->isFloat()) << s << " must not read back as an integer";
  return a->isFloat() ? a->getFloat() : std::numeric_limits<double>::quiet_NaN();
}

TEST(AttributesTest, FormatDoubleRoundTripsBitForBit) {
  const double values[] = {0.0,
                           1.0,
                           -2.0,
                           0.1,
                           static_cast<double>(0.1f), // 0.10000000149011612
                           1.0 / 3.0,
                           1e300,
                           -1e-300,
                           5e-324, // smallest subnormal
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           123456789012345678.0};
  for (double d : values) {
    double back = roundTripDouble(d);
    EXPECT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(d)) << formatDouble(d);
  }
}

TEST(AttributesTest, FormatDoubleSpecialValues) {
  EXPECT_EQ(formatDouble(-0.0), "-0.0");
  EXPECT_TRUE(std::signbit(roundTripDouble(-0.0)));
  EXPECT_EQ(formatDouble(1.0), "1.0");
  EXPECT_EQ(formatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(formatDouble(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(roundTripDouble(std::numeric_limits<double>::infinity()),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(roundTripDouble(-std::numeric_limits<double>::infinity()),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(formatDouble(std::nan("")), "nan");
  EXPECT_TRUE(std::isnan(roundTripDouble(std::nan(""))));
  EXPECT_EQ(formatDouble(static_cast<double>(0.1f)), "0.10000000149011612");
}

TEST(AttributesTest, Spelling) {
  EXPECT_EQ(Attribute::boolean(true).str(), "true");
  EXPECT_EQ(Attribute::integer(-7).str(), "-7");
  EXPECT_EQ(Attribute::string("a\"b\\c\n\x01").str(), "\"a\\\"b\\\\c\\n\\x01\"");
  EXPECT_EQ(Attribute::symbol("dataset.next").str(), "@dataset.next");
  EXPECT_EQ(Attribute::symbol("a b").str(), "@\"a b\"");
  EXPECT_EQ(Attribute::symbol("").str(), "@\"\"");
  EXPECT_EQ(Attribute::type(Type::tensor(ElemType::F32, {kDynamic, 3})).str(), "f32[?, 3]");
  EXPECT_EQ(Attribute::intArray({1, 2}).str(), "[1, 2]");
  EXPECT_EQ(Attribute::array({}).str(), "[]");
}

TEST(AttributesTest, EveryKindRoundTrips) {
  std::vector<Attribute> attrs = {
      Attribute::boolean(false),
      Attribute::integer(std::numeric_limits<int64_t>::min()),
      Attribute::integer(std::numeric_limits<int64_t>::max()),
      Attribute::real(2.5),
      Attribute::string(""),
      Attribute::string(std::string("nul\0byte \xff\t", 11)),
      Attribute::symbol("pca.analyze"),
      Attribute::symbol("weird name.x"),
      Attribute::type(Type::component("RBM")),
      Attribute::type(Type::none()),
      Attribute::array({Attribute::integer(1), Attribute::real(2.0), Attribute::string("x"),
                        Attribute::array({Attribute::array({})})}),
  };
  for (const Attribute &a : attrs) {
    auto back = parseAttributeString(a.str());
    ASSERT_TRUE(back) << a.str();
    EXPECT_EQ(*back, a) << a.str();
    EXPECT_EQ(back->str(), a.str());
  }
}

TEST(AttributesTest, ParseRejectsMalformed) {
  for (const char *text : {"", "[1, 2", "\"abc", "\"\\q\"", "9223372036854775808", "1e999",
                           "@", "foo", "[1 2]", "1.5e", "12ab", "-"})
    EXPECT_FALSE(parseAttributeString(text)) << text;
}

TEST(AttributesTest, Accessors) {
  Attribute a = Attribute::intArray({3, 4});
  EXPECT_TRUE(a.isIntArray());
  EXPECT_EQ(a.getIntArray(), (std::vector<int64_t>{3, 4}));
  EXPECT_DOUBLE_EQ(Attribute::integer(3).getNumber(), 3.0);
  SymbolRef s{"dataset.next"};
  EXPECT_EQ(s.root(), "dataset");
  EXPECT_EQ(s.leaf(), "next");
}

} // namespace
} // namespace kiln::ir
