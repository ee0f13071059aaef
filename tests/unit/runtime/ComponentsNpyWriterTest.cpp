// The .npy writer (runtime/components/NpyWriter.h): header bytes as the
// NumPy format spec gives them, every dtype at rank 0, 1 and 2, read back
// with the project's own reader (readNpy) where it reads the dtype and rank
// and byte-compared everywhere; atomic writes that refuse a non-file target
// and replace (never follow) a symlink.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "runtime/components/DataReaders.h"
#include "runtime/components/NpyWriter.h"
#include "tests/unit/runtime/ComponentsTestUtil.h"

namespace kiln::runtime {
namespace {

using namespace kiln::runtime::testing;
using ::testing::HasSubstr;

/// The dict text of a file: between the 10-byte prefix and the padding.
std::string dictOf(const std::string &file) {
  size_t len = size_t(uint8_t(file[8])) | size_t(uint8_t(file[9])) << 8;
  std::string text = file.substr(10, len);
  return text.substr(0, text.find('}') + 1);
}

std::string encoded(const Tensor &t) {
  std::string bytes, error;
  EXPECT_TRUE(encodeNpy(t, bytes, error)) << error;
  return bytes;
}

/// A tensor of `dtype` and `shape` holding values every reader keeps exactly
/// (small integers, halves, -0.0, for f32 a subnormal and the largest finite).
Tensor sample(ElemType dtype, std::vector<int64_t> shape) {
  Tensor t = Tensor::empty(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (dtype) {
    case ElemType::F32: {
      const float special[] = {-0.0f, 1e-40f, 3.4028235e38f, -1.5f};
      t.data<float>()[i] = i < 4 ? special[i] : float(i) * 0.5f - 3.0f;
      break;
    }
    case ElemType::F64: t.data<double>()[i] = i == 0 ? -0.0 : double(i) * 0.25 - 1.0; break;
    case ElemType::I64: t.data<int64_t>()[i] = i * 1000 - 7; break;
    case ElemType::I1: t.data<uint8_t>()[i] = uint8_t(i % 3 == 0); break;
    }
  }
  return t;
}

TEST(NpyWriter, HeaderBytesFollowTheFormatSpec) {
  std::string file = encoded(sample(ElemType::F32, {2, 3}));
  ASSERT_GE(file.size(), 10u);
  EXPECT_EQ(file.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(file[6], '\x01') << "major version 1";
  EXPECT_EQ(file[7], '\x00') << "minor version 0";
  size_t headerLen = size_t(uint8_t(file[8])) | size_t(uint8_t(file[9])) << 8;
  size_t dataStart = 10 + headerLen;
  EXPECT_EQ(dataStart % 64, 0u) << "data starts at a multiple of 64";
  EXPECT_EQ(dataStart, 128u) << "the smallest aligned header (the dict is 59 bytes)";
  EXPECT_EQ(file.size(), dataStart + 6 * 4);
  std::string header = file.substr(10, headerLen);
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(header.substr(0, dict.size()), dict);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(header.substr(dict.size(), headerLen - dict.size() - 1),
            std::string(headerLen - dict.size() - 1, ' '))
      << "padded with spaces";
}

TEST(NpyWriter, DescrAndShapeOfEveryDtypeAndRank) {
  const std::pair<ElemType, const char *> dtypes[] = {{ElemType::F32, "<f4"},
                                                      {ElemType::F64, "<f8"},
                                                      {ElemType::I64, "<i8"},
                                                      {ElemType::I1, "|b1"}};
  const std::pair<std::vector<int64_t>, const char *> shapes[] = {{{}, "()"},
                                                                  {{5}, "(5,)"},
                                                                  {{2, 3}, "(2, 3)"},
                                                                  {{0}, "(0,)"},
                                                                  {{1, 2, 70000}, "(1, 2, 70000)"}};
  for (auto [dtype, descr] : dtypes)
    for (const auto &[shape, shapeText] : shapes) {
      Tensor t = sample(dtype, shape);
      std::string file = encoded(t);
      SCOPED_TRACE(std::string(descr) + " " + shapeText);
      EXPECT_EQ(npyDescr(dtype), descr);
      EXPECT_EQ(dictOf(file), std::string("{'descr': '") + descr +
                                  "', 'fortran_order': False, 'shape': " + shapeText + ", }");
      std::string header, error;
      ASSERT_TRUE(npyHeader(t, header, error)) << error;
      EXPECT_EQ(header.size() % 64, 0u);
      EXPECT_EQ(header.back(), '\n');
      ASSERT_EQ(file.size(), header.size() + t.nbytes());
      EXPECT_EQ(file.substr(0, header.size()), header);
      EXPECT_EQ(std::memcmp(file.data() + header.size(), t.raw(), t.nbytes()), 0)
          << "the data is the tensor's bytes, bit for bit";
    }
}

TEST(NpyWriter, ReadBackByReadNpyBitExactly) {
  ScratchDir dir;
  for (ElemType dtype : {ElemType::F32, ElemType::F64, ElemType::I64})
    for (const std::vector<int64_t> &shape :
         {std::vector<int64_t>{7}, std::vector<int64_t>{3, 4}}) {
      Tensor t = sample(dtype, shape);
      std::string path = dir.path("t.npy"), error;
      SCOPED_TRACE(std::string(ir::elemTypeName(dtype)) + " rank " + std::to_string(shape.size()));
      ASSERT_TRUE(writeNpy(path, t, error)) << error;
      EXPECT_EQ(readBytes(path), encoded(t));
      DataMatrix m;
      ASSERT_TRUE(readNpy(path, /*allowNonFinite=*/false, /*shapeOnly=*/false, m, error)) << error;
      EXPECT_EQ(m.rows, shape[0]);
      EXPECT_EQ(m.cols, shape.size() == 2 ? shape[1] : 1);
      ASSERT_EQ(int64_t(m.values.size()), t.numel());
      for (int64_t i = 0; i < t.numel(); ++i) {
        // readNpy stores f32; every sample value is an f32, so the round
        // trip is exact: compare bits (-0.0 and the subnormal included).
        float want = float(t.at(i)), got = m.values[size_t(i)];
        uint32_t wantBits, gotBits;
        std::memcpy(&wantBits, &want, 4);
        std::memcpy(&gotBits, &got, 4);
        EXPECT_EQ(gotBits, wantBits) << "element " << i;
      }
    }
}

TEST(NpyWriter, BoolAndScalarBytes) {
  // readNpy reads neither |b1 nor 0-d arrays: check the bytes directly.
  Tensor b = sample(ElemType::I1, {2, 3});
  std::string file = encoded(b);
  EXPECT_EQ(file.substr(128), std::string("\x01\x00\x00\x01\x00\x00", 6));
  Tensor s = Tensor::scalar(ElemType::F64, 2.5);
  file = encoded(s);
  ASSERT_EQ(file.size(), 128u + 8u);
  double v;
  std::memcpy(&v, file.data() + 128, 8);
  EXPECT_EQ(v, 2.5);
}

TEST(NpyWriter, ATooLongHeaderIsAnError) {
  // Version 1.0 has a 16-bit header length: a rank that needs more is refused.
  Tensor t = Tensor::empty(ElemType::F32, std::vector<int64_t>(30000, 1));
  std::string bytes, error;
  EXPECT_FALSE(encodeNpy(t, bytes, error));
  EXPECT_THAT(error, HasSubstr("format version 1.0"));
}

TEST(NpyWriter, WritesAtomicallyAndOnlyOverRegularFiles) {
  ScratchDir dir;
  Tensor t = sample(ElemType::F32, {4});
  std::string error;
  // A folder at the target is refused, with the path in the message.
  std::filesystem::create_directory(dir.path("sub"));
  EXPECT_FALSE(writeNpy(dir.path("sub"), t, error));
  EXPECT_THAT(error, HasSubstr("cannot write .npy file " + dir.path("sub")));
  EXPECT_THAT(error, HasSubstr("not a regular file"));
  // A missing folder is an error, not a crash.
  EXPECT_FALSE(writeNpy(dir.path("missing/x.npy"), t, error));
  EXPECT_THAT(error, HasSubstr("No such file"));
  // A symlink planted at the target is replaced; the file it points to is
  // left alone.
  std::string victim = dir.write("victim", "keep");
  std::filesystem::create_symlink(victim, dir.path("link.npy"));
  ASSERT_TRUE(writeNpy(dir.path("link.npy"), t, error)) << error;
  EXPECT_EQ(readBytes(victim), "keep");
  EXPECT_FALSE(std::filesystem::is_symlink(dir.path("link.npy")));
  EXPECT_EQ(readBytes(dir.path("link.npy")), encoded(t));
  // No temporary is left behind.
  int entries = 0;
  for (const auto &e : std::filesystem::directory_iterator(dir.path("")))
    entries += e.path().filename().string().find(".tmp.") == std::string::npos ? 1 : 100;
  EXPECT_EQ(entries, 3) << "sub, victim, link.npy";
}

} // namespace
} // namespace kiln::runtime
