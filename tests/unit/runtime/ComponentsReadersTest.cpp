// Data readers (CSV, .npy, IDX) on tiny good files and on bad ones:
// truncated at every length, wrong magic, lying header sizes, bad fields.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "runtime/components/DataReaders.h"
#include "tests/unit/runtime/ComponentsTestUtil.h"

namespace kiln::runtime {
namespace {

using namespace kiln::runtime::testing;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string csvError(const ScratchDir &dir, const std::string &text, CsvOptions opts = {}) {
  std::string path = dir.write("bad.csv", text);
  DataMatrix m;
  std::string error;
  EXPECT_FALSE(readCsv(path, opts, false, m, error)) << text;
  EXPECT_THAT(error, HasSubstr(path)) << "errors name the file";
  return error;
}

TEST(CsvReader, HeaderAndLabelColumn) {
  CsvOptions opts;
  opts.header = true;
  opts.labelColumn = -1; // last column
  DataMatrix m;
  std::string error;
  ASSERT_TRUE(readCsv(dataPath("iris_tiny.csv"), opts, false, m, error)) << error;
  EXPECT_EQ(m.rows, 5);
  EXPECT_EQ(m.cols, 2);
  EXPECT_THAT(m.values, ElementsAre(5.1f, 3.5f, 4.9f, 3.0f, 7.0f, 3.2f, 6.4f, 3.2f, 6.3f, 3.3f));
  EXPECT_THAT(m.labels, ElementsAre(0, 0, 1, 1, 2));

  opts.labelColumn = 0; // now the first column is the "label": 5.1 is not an integer
  EXPECT_FALSE(readCsv(dataPath("iris_tiny.csv"), opts, false, m, error));
  EXPECT_THAT(error, HasSubstr("iris_tiny.csv:2:1: label must be a non-negative integer, got '5.1'"));

  // The shape of a big file comes from its first lines only: garbage after
  // the first 4 MiB is not even read.
  ScratchDir dir;
  std::string big = "1,2,3\n";
  big.resize(size_t(5) << 20, '#');
  DataMatrix probe;
  ASSERT_TRUE(readCsv(dir.write("big.csv", big), {}, true, probe, error)) << error;
  EXPECT_EQ(probe.cols, 3);
  std::string longLine(size_t(5) << 20, '1');
  EXPECT_FALSE(readCsv(dir.write("long.csv", longLine), {}, true, probe, error));
  EXPECT_THAT(error, HasSubstr("the first line is longer than 4 MiB"));

  DataMatrix shape;
  opts.labelColumn = 2;
  ASSERT_TRUE(readCsv(dataPath("iris_tiny.csv"), opts, true, shape, error)) << error;
  EXPECT_EQ(shape.cols, 2);
  EXPECT_EQ(shape.rows, -1);
}

TEST(CsvReader, CrlfBlankLinesAndBom) {
  DataMatrix m;
  std::string error;
  ASSERT_TRUE(readCsv(dataPath("plain_crlf.csv"), {}, false, m, error)) << error;
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 3);
  EXPECT_THAT(m.values, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9));
  EXPECT_TRUE(m.labels.empty());

  ScratchDir dir;
  std::string path = dir.write("bom.csv", "\xEF\xBB\xBF 1.5 ,\t-2e3\n+3, 4\n");
  ASSERT_TRUE(readCsv(path, {}, false, m, error)) << error;
  EXPECT_THAT(m.values, ElementsAre(1.5f, -2000.0f, 3.0f, 4.0f));
}

TEST(CsvReader, BadFilesNameFileLineAndColumn) {
  ScratchDir dir;
  EXPECT_THAT(csvError(dir, "1,2\n3,x\n"), HasSubstr("bad.csv:2:3: field is not a number (1 character)"));
  EXPECT_THAT(csvError(dir, "1,2\n3\n"), HasSubstr("bad.csv:2:1: expected 2 fields, got 1"));
  EXPECT_THAT(csvError(dir, "1,2\n3,4,5\n"), HasSubstr("bad.csv:2:1: expected 2 fields, got 3"));
  EXPECT_THAT(csvError(dir, "1,,2\n"), HasSubstr("bad.csv:1:3: empty field"));
  EXPECT_THAT(csvError(dir, ""), HasSubstr("no data rows"));
  EXPECT_THAT(csvError(dir, "\n\n  \n"), HasSubstr("no data rows"));
  EXPECT_THAT(csvError(dir, "1,2\n3,nan\n"),
              HasSubstr("bad.csv:2:3: non-finite value 'nan' (pass allow_nan=true to accept it)"));
  EXPECT_THAT(csvError(dir, "inf\n"), HasSubstr("non-finite value 'inf'"));
  EXPECT_THAT(csvError(dir, "1e39\n"), HasSubstr("out of the f32 range"));
  EXPECT_THAT(csvError(dir, "\"1\",2\n"), HasSubstr("bad.csv:1:1: field is quoted"));
  // No error quotes a file's text (a checkpoint may point a data set at any file).
  EXPECT_THAT(csvError(dir, "root:x:0:0:root:/root:/bin/bash\n"),
              AllOf(HasSubstr("bad.csv:1:1: field is not a number"), Not(HasSubstr("bin/bash"))));
  CsvOptions header;
  header.header = true;
  EXPECT_THAT(csvError(dir, "a,b,c\n1,2\n", header),
              HasSubstr("bad.csv:1:1: header has 3 columns but the first data row has 2"));
  EXPECT_THAT(csvError(dir, "a,b\n", header), HasSubstr("no data rows"));
  CsvOptions label;
  label.labelColumn = 2;
  EXPECT_THAT(csvError(dir, "1,2\n", label), HasSubstr("label column 2 is out of range"));
  label.labelColumn = 0;
  EXPECT_THAT(csvError(dir, "1\n", label), HasSubstr("no feature columns"));
  label.labelColumn = 1;
  EXPECT_THAT(csvError(dir, "1,-1\n", label), HasSubstr("label must be a non-negative integer"));
  EXPECT_THAT(csvError(dir, "1,nan\n", label), HasSubstr("label must be a non-negative integer"));

  CsvOptions allow;
  allow.allowNonFinite = true;
  DataMatrix m;
  std::string error;
  ASSERT_TRUE(readCsv(dir.write("nan.csv", "nan,inf\n"), allow, false, m, error)) << error;
  EXPECT_TRUE(std::isnan(m.values[0]));
  EXPECT_TRUE(std::isinf(m.values[1]));
}

TEST(NpyReader, GoodFiles) {
  DataMatrix m;
  std::string error;
  ASSERT_TRUE(readNpy(dataPath("f4_3x2.npy"), false, false, m, error)) << error;
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 2);
  EXPECT_THAT(m.values, ElementsAre(1.5f, -2.0f, 3.25f, 4.0f, -0.5f, 6.0f));

  ASSERT_TRUE(readNpy(dataPath("f8_2x3.npy"), false, false, m, error)) << error;
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  EXPECT_THAT(m.values, ElementsAre(0.1f, 0.2f, 0.3f, 1e10f, -1e-10f, 7.0f));

  ASSERT_TRUE(readNpy(dataPath("i8_4.npy"), false, false, m, error)) << error;
  EXPECT_EQ(m.rows, 4); // 1-D: one column
  EXPECT_EQ(m.cols, 1);
  EXPECT_THAT(m.values, ElementsAre(1.0f, -2.0f, 3.0f, float(int64_t(1) << 40)));

  DataMatrix shape;
  ASSERT_TRUE(readNpy(dataPath("f4_3x2.npy"), false, true, shape, error)) << error;
  EXPECT_EQ(shape.rows, 3);
  EXPECT_EQ(shape.cols, 2);
  EXPECT_TRUE(shape.values.empty());
}

/// Rewrites the header of a good .npy (keeping its length by padding).
std::string withHeader(const std::string &good, std::string dict) {
  uint16_t len;
  std::memcpy(&len, good.data() + 8, 2);
  EXPECT_LE(dict.size() + 1, len);
  dict.resize(len - 1, ' ');
  dict += '\n';
  return good.substr(0, 10) + dict + good.substr(10 + len);
}

TEST(NpyReader, BadFiles) {
  ScratchDir dir;
  const std::string good = readBytes(dataPath("f4_3x2.npy"));
  ASSERT_EQ(good.size(), 128u + 24u);
  auto err = [&](const std::string &bytes) {
    std::string path = dir.write("bad.npy", bytes);
    for (bool shapeOnly : {false, true}) {
      DataMatrix m;
      std::string error;
      EXPECT_FALSE(readNpy(path, false, shapeOnly, m, error));
      EXPECT_THAT(error, HasSubstr(path));
      if (shapeOnly)
        return error;
    }
    return std::string();
  };
  // Truncated at every length (inside the magic, the header, the data).
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(err(good.substr(0, n)).empty()) << n;
  EXPECT_THAT(err(good.substr(0, 140)), HasSubstr("needs 24 data bytes but the file has 12 (truncated)"));
  EXPECT_THAT(err(good + "xx"), HasSubstr("needs 24 data bytes but the file has 26"));
  EXPECT_THAT(err("\x93NUMPZ" + good.substr(6)), HasSubstr("wrong magic"));
  EXPECT_THAT(err(good.substr(0, 6) + "\x07" + good.substr(7)), HasSubstr("unsupported format version 7"));
  // A header length beyond the file.
  EXPECT_THAT(err(good.substr(0, 8) + "\xff\x7f" + good.substr(10)), HasSubstr("truncated header"));
  // Lying shapes: larger than the file, overflowing, negative.
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': False, 'shape': (3000, 2), }")),
              HasSubstr("needs 24000 data bytes but the file has 24 (truncated)"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                                   "(9223372036854775807, 9223372036854775807), }")),
              HasSubstr("too large"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 2), }")),
              HasSubstr("'shape' must be a tuple"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2), }")),
              HasSubstr("unsupported dtype '>f4'"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<c8', 'fortran_order': False, 'shape': (3, 2), }")),
              HasSubstr("unsupported dtype '<c8'"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }")),
              HasSubstr("Fortran-order"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1, 2), }")),
              HasSubstr("expected a 1-D or 2-D array, got shape [3, 1, 2]"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }")),
              HasSubstr("expected a 1-D or 2-D array"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'shape': (3, 2), }")), HasSubstr("missing"));
  EXPECT_THAT(err(withHeader(good, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)")),
              HasSubstr("expected ',' or '}'"));
  EXPECT_THAT(err(withHeader(good, "[]")), HasSubstr("expected '{'"));

  // Non-finite values are refused unless allowed.
  std::string withNan = good;
  float nan = NAN;
  std::memcpy(withNan.data() + 128 + 12, &nan, 4);
  std::string path = dir.write("nan.npy", withNan);
  DataMatrix m;
  std::string error;
  EXPECT_FALSE(readNpy(path, false, false, m, error));
  EXPECT_THAT(error, HasSubstr("non-finite value at row 1, column 1"));
  EXPECT_TRUE(readNpy(path, true, false, m, error));
  EXPECT_TRUE(std::isnan(m.values[3]));
}

TEST(IdxReader, GoodFiles) {
  DataMatrix m;
  std::string error;
  ASSERT_TRUE(readIdx(dataPath("images_3x2x2.idx"), false, m, error)) << error;
  EXPECT_EQ(m.rows, 3);
  EXPECT_EQ(m.cols, 4);
  EXPECT_EQ(m.values[0], 0.0f);
  EXPECT_EQ(m.values[1], 1.0f);
  EXPECT_EQ(m.values[2], 51.0f / 255.0f);
  EXPECT_EQ(m.values[11], 0.0f);
  std::vector<int64_t> labels;
  ASSERT_TRUE(readIdxLabels(dataPath("labels_3.idx"), labels, error)) << error;
  EXPECT_THAT(labels, ElementsAre(7, 0, 9));
  // A 1-D file read as images is one column.
  ASSERT_TRUE(readIdx(dataPath("labels_3.idx"), false, m, error)) << error;
  EXPECT_EQ(m.cols, 1);
  EXPECT_FALSE(readIdxLabels(dataPath("images_3x2x2.idx"), labels, error));
  EXPECT_THAT(error, HasSubstr("must be 1-D"));
}

TEST(IdxReader, BadFiles) {
  ScratchDir dir;
  const std::string good = readBytes(dataPath("images_3x2x2.idx"));
  auto err = [&](const std::string &bytes) {
    std::string path = dir.write("bad.idx", bytes);
    DataMatrix m, shape;
    std::string error, shapeError;
    EXPECT_FALSE(readIdx(path, false, m, error));
    EXPECT_FALSE(readIdx(path, true, shape, shapeError));
    EXPECT_EQ(error, shapeError);
    EXPECT_THAT(error, HasSubstr(path));
    return error;
  };
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(err(good.substr(0, n)).empty()) << n;
  EXPECT_THAT(err(good.substr(0, 20)), HasSubstr("need 12 data bytes but the file has 4 (truncated)"));
  EXPECT_THAT(err(good + "x"), HasSubstr("need 12 data bytes but the file has 13"));
  EXPECT_THAT(err("\x01" + good.substr(1)), HasSubstr("wrong magic"));
  EXPECT_THAT(err(good.substr(0, 2) + "\x0D" + good.substr(3)),
              HasSubstr("unsupported IDX element type 0x0D"));
  EXPECT_THAT(err(good.substr(0, 3) + std::string(1, '\0') + good.substr(4)), HasSubstr("zero dimensions"));
  // Lying dimensions: 2^24 - 1 images in a 28-byte file, 2^32 - 1 images
  // (above the element limit), and a product overflowing int64.
  std::string lying = good;
  lying[5] = lying[6] = lying[7] = '\xff';
  EXPECT_THAT(err(lying), HasSubstr("need 67108860 data bytes but the file has 12 (truncated)"));
  std::string huge = good;
  huge[4] = huge[5] = huge[6] = huge[7] = '\xff';
  EXPECT_THAT(err(huge), HasSubstr("dimensions [4294967295, 2] are too large"));
  std::string many = std::string("\0\0\x08\x05", 4);
  for (int i = 0; i < 5; ++i)
    many += "\xff\xff\xff\xff";
  EXPECT_THAT(err(many), HasSubstr("too large"));
  std::string empty = good;
  empty[7] = '\0'; // 0 images
  EXPECT_THAT(err(empty.substr(0, 16)), HasSubstr("empty"));
}

TEST(DataMatrix, ContentHashSeesEveryPart) {
  DataMatrix a;
  a.rows = 2;
  a.cols = 1;
  a.values = {1, 2};
  DataMatrix b = a;
  EXPECT_EQ(a.contentHash(), b.contentHash());
  b.values[1] = 3;
  EXPECT_NE(a.contentHash(), b.contentHash());
  b = a;
  b.labels = {0, 1};
  EXPECT_NE(a.contentHash(), b.contentHash());
  b = a;
  b.rows = 1;
  b.cols = 2;
  EXPECT_NE(a.contentHash(), b.contentHash());
}

} // namespace
} // namespace kiln::runtime
