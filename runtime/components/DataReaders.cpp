// DataReaders: CSV, .npy and IDX parsing with every size validated before
// allocation (see DataReaders.h for the formats accepted).
#include "runtime/components/DataReaders.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string_view>

#include "ir/FileRead.h"
#include "ir/Types.h"
#include "runtime/components/Config.h"

namespace kiln::runtime {
namespace {

// ---- helpers ------------------------------------------------------------------

/// A bound for a data file that grows while it is read.
constexpr size_t kMaxDataFileBytes = size_t(64) << 30;

/// The whole file, or false with "cannot open 'path': why".
bool readFileBytes(const std::string &path, std::string &bytes, std::string &error) {
  if (ir::readFile(path, bytes, error, {.maxBytes = kMaxDataFileBytes}))
    return true;
  error = "cannot open" + error.substr(std::strlen("cannot read"));
  return false;
}

/// Reads at most `limit` leading bytes (for header-only probes) and the size
/// of the whole file.
bool readFilePrefix(const std::string &path, size_t limit, std::string &bytes,
                    uint64_t &fileSize, std::string &error) {
  if (ir::readFile(path, bytes, error, {.prefix = limit}, &fileSize))
    return true;
  error = "cannot open" + error.substr(std::strlen("cannot read"));
  return false;
}

/// a * b, or false on overflow of int64.
bool checkedMul(int64_t a, int64_t b, int64_t &out) {
  return !__builtin_mul_overflow(a, b, &out);
}

/// Elements above which we refuse a data set outright: a guard against
/// absurd but self-consistent files.
constexpr int64_t kMaxElements = ir::kMaxTensorElements;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// FNV-1a over 8-byte words (then the tail bytes): 8x fewer multiplies than
/// the bytewise form, which matters for MNIST-sized data (188 MB of f32).
uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h ^= w;
    h *= 1099511628211ull;
  }
  for (; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

// ---- CSV ------------------------------------------------------------------------

struct CsvLine {
  std::string_view text;
  int64_t number; // 1-based
};

/// Splits `bytes` into non-blank lines, keeping their 1-based numbers.
/// Stops after `maxLines` non-blank lines when given.
std::vector<CsvLine> splitLines(std::string_view bytes, size_t maxLines) {
  std::vector<CsvLine> lines;
  // A UTF-8 byte order mark is not part of the first field.
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF")
    bytes.remove_prefix(3);
  int64_t number = 0;
  size_t pos = 0;
  while (pos < bytes.size() && lines.size() < maxLines) {
    size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos)
      end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    ++number;
    if (!trim(line).empty())
      lines.push_back({line, number});
    pos = end + 1;
  }
  return lines;
}

/// Splits a line at commas; each field keeps its 1-based column (byte offset).
void splitFields(std::string_view line, std::vector<std::pair<std::string_view, int64_t>> &out) {
  out.clear();
  size_t pos = 0;
  while (true) {
    size_t end = line.find(',', pos);
    if (end == std::string_view::npos)
      end = line.size();
    out.emplace_back(line.substr(pos, end - pos), static_cast<int64_t>(pos) + 1);
    if (end == line.size())
      break;
    pos = end + 1;
  }
}

bool parseNumber(std::string_view field, double &value) {
  field = trim(field);
  if (field.empty())
    return false;
  if (field.front() == '+')
    field.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc() && ptr == field.data() + field.size();
}

} // namespace

uint64_t DataMatrix::contentHash() const {
  uint64_t h = 14695981039346656037ull;
  h = fnv1a(h, &rows, sizeof rows);
  h = fnv1a(h, &cols, sizeof cols);
  h = fnv1a(h, values.data(), values.size() * sizeof(float));
  int64_t nLabels = static_cast<int64_t>(labels.size());
  h = fnv1a(h, &nLabels, sizeof nLabels);
  h = fnv1a(h, labels.data(), labels.size() * sizeof(int64_t));
  return h;
}

bool readCsv(const std::string &path, const CsvOptions &options, bool shapeOnly,
             DataMatrix &out, std::string &error) {
  out = DataMatrix();
  std::string bytes;
  if (shapeOnly) {
    // A schema needs only the first line(s): read a prefix, not the file.
    constexpr size_t kPrefix = size_t(4) << 20;
    uint64_t fileSize = 0;
    if (!readFilePrefix(path, kPrefix, bytes, fileSize, error))
      return false;
    if (bytes.size() < fileSize) {
      size_t lastNewline = bytes.rfind('\n');
      if (lastNewline == std::string::npos) {
        error = "'" + path + "': the first line is longer than 4 MiB";
        return false;
      }
      bytes.resize(lastNewline + 1);
    }
  } else if (!readFileBytes(path, bytes, error)) {
    return false;
  }
  size_t maxLines = shapeOnly ? (options.header ? 2 : 1) : std::numeric_limits<size_t>::max();
  std::vector<CsvLine> lines = splitLines(bytes, maxLines);
  size_t first = options.header ? 1 : 0;
  if (lines.size() <= first) {
    error = "'" + path + "': no data rows";
    return false;
  }
  auto where = [&](int64_t line, int64_t col) {
    return path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  };

  std::vector<std::pair<std::string_view, int64_t>> fields;
  splitFields(lines[first].text, fields);
  int64_t width = static_cast<int64_t>(fields.size());
  if (options.header) {
    splitFields(lines[0].text, fields);
    if (static_cast<int64_t>(fields.size()) != width) {
      error = where(lines[0].number, 1) + "header has " + std::to_string(fields.size()) +
              " columns but the first data row has " + std::to_string(width);
      return false;
    }
  }
  int64_t labelCol = -1;
  if (options.labelColumn) {
    labelCol = *options.labelColumn < 0 ? width + *options.labelColumn : *options.labelColumn;
    if (labelCol < 0 || labelCol >= width) {
      error = "'" + path + "': label column " + std::to_string(*options.labelColumn) +
              " is out of range for " + std::to_string(width) + " columns";
      return false;
    }
  }
  out.cols = labelCol >= 0 ? width - 1 : width;
  if (out.cols == 0) {
    error = "'" + path + "': no feature columns (the only column is the label)";
    return false;
  }
  if (shapeOnly) {
    out.rows = -1;
    return true;
  }

  int64_t nRows = static_cast<int64_t>(lines.size() - first);
  int64_t total;
  if (!checkedMul(nRows, out.cols, total) || total > kMaxElements) {
    error = "'" + path + "': too many values";
    return false;
  }
  out.rows = nRows;
  out.values.reserve(static_cast<size_t>(total));
  if (labelCol >= 0)
    out.labels.reserve(static_cast<size_t>(nRows));
  for (size_t li = first; li < lines.size(); ++li) {
    const CsvLine &line = lines[li];
    splitFields(line.text, fields);
    if (static_cast<int64_t>(fields.size()) != width) {
      error = where(line.number, 1) + "expected " + std::to_string(width) + " fields, got " +
              std::to_string(fields.size());
      return false;
    }
    for (int64_t c = 0; c < width; ++c) {
      auto [text, col] = fields[static_cast<size_t>(c)];
      double v;
      if (!parseNumber(text, v)) {
        // The position only, never the text: a path from a crafted
        // checkpoint may name any file, and its contents stay out of errors.
        std::string_view field = trim(text);
        error = where(line.number, col) +
                (field.empty()         ? std::string("empty field")
                 : field[0] == '"'     ? std::string("field is quoted (CSV quotes are not supported)")
                                       : "field is not a number (" +
                                             std::to_string(field.size()) +
                                             (field.size() == 1 ? " character)" : " characters)"));
        return false;
      }
      if (c == labelCol) {
        if (!(v >= 0 && v <= 2147483647.0) || v != std::floor(v)) {
          error = where(line.number, col) + "label must be a non-negative integer, got '" +
                  std::string(trim(text)) + "'";
          return false;
        }
        out.labels.push_back(static_cast<int64_t>(v));
        continue;
      }
      if (!options.allowNonFinite && !std::isfinite(v)) {
        error = where(line.number, col) + "non-finite value '" + std::string(trim(text)) +
                "' (pass allow_nan=true to accept it)";
        return false;
      }
      // Values beyond f32's range would silently become inf.
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        error = where(line.number, col) + "value '" + std::string(trim(text)) +
                "' is out of the f32 range";
        return false;
      }
      out.values.push_back(static_cast<float>(v));
    }
  }
  return true;
}

// ---- .npy -----------------------------------------------------------------------

namespace {

/// The three keys of a .npy header dict, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// A minimal parser for the Python literal dict numpy writes.
class NpyHeaderParser {
public:
  explicit NpyHeaderParser(std::string_view text) : s_(text) {}

  bool parse(NpyHeader &h, std::string &why) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return fail(why, "expected '{'");
    while (true) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail(why, "expected a quoted key");
      skipSpace();
      if (!eat(':'))
        return fail(why, "expected ':' after '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (!parseString(h.descr))
          return fail(why, "'descr' must be a string");
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (s_.substr(pos_, 4) == "True") {
          h.fortranOrder = true;
          pos_ += 4;
        } else if (s_.substr(pos_, 5) == "False") {
          h.fortranOrder = false;
          pos_ += 5;
        } else {
          return fail(why, "'fortran_order' must be True or False");
        }
        haveOrder = true;
      } else if (key == "shape") {
        if (!parseShape(h.shape))
          return fail(why, "'shape' must be a tuple of non-negative integers");
        haveShape = true;
      } else {
        return fail(why, "unexpected key '" + key + "'");
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat('}'))
        break;
      return fail(why, "expected ',' or '}'");
    }
    if (!haveDescr || !haveOrder || !haveShape)
      return fail(why, "missing 'descr', 'fortran_order' or 'shape'");
    return true;
  }

private:
  bool fail(std::string &why, std::string msg) {
    why = std::move(msg);
    return false;
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n'))
      ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool parseString(std::string &out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
      return false;
    char q = s_[pos_++];
    size_t end = s_.find(q, pos_);
    if (end == std::string_view::npos)
      return false;
    out = std::string(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    if (!eat('('))
      return false;
    while (true) {
      skipSpace();
      if (eat(')'))
        return true;
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
      if (ec != std::errc() || v < 0)
        return false;
      pos_ = static_cast<size_t>(ptr - s_.data());
      // Python writes 3L for longs in old files.
      if (pos_ < s_.size() && s_[pos_] == 'L')
        ++pos_;
      shape.push_back(v);
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (eat(')'))
        return true;
      return false;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

enum class NpyKind { F4, F8, I8, I4, U1 };

} // namespace

bool readNpy(const std::string &path, bool allowNonFinite, bool shapeOnly, DataMatrix &out,
             std::string &error) {
  out = DataMatrix();
  auto bad = [&](const std::string &why) {
    error = "'" + path + "': not a valid .npy file: " + why;
    return false;
  };
  std::string bytes;
  uint64_t fileSize = 0;
  // Headers are small; a header-only probe reads 64 KiB at most.
  if (shapeOnly ? !readFilePrefix(path, 65536 + 12, bytes, fileSize, error)
                : !readFileBytes(path, bytes, error))
    return false;
  if (!shapeOnly)
    fileSize = bytes.size();
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return bad("wrong magic (expected \\x93NUMPY)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, prefix;
  const unsigned char *b = reinterpret_cast<const unsigned char *>(bytes.data());
  if (major == 1) {
    headerLen = size_t(b[8]) | size_t(b[9]) << 8;
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return bad("truncated header");
    headerLen = size_t(b[8]) | size_t(b[9]) << 8 | size_t(b[10]) << 16 | size_t(b[11]) << 24;
    prefix = 12;
  } else {
    return bad("unsupported format version " + std::to_string(major));
  }
  if (headerLen > 65536 || prefix + headerLen > bytes.size())
    return bad("truncated header (header length " + std::to_string(headerLen) + ")");
  NpyHeader h;
  std::string why;
  if (!NpyHeaderParser(std::string_view(bytes).substr(prefix, headerLen)).parse(h, why))
    return bad(why);

  NpyKind kind;
  size_t itemSize;
  if (h.descr == "<f4") {
    kind = NpyKind::F4, itemSize = 4;
  } else if (h.descr == "<f8") {
    kind = NpyKind::F8, itemSize = 8;
  } else if (h.descr == "<i8") {
    kind = NpyKind::I8, itemSize = 8;
  } else if (h.descr == "<i4") {
    kind = NpyKind::I4, itemSize = 4;
  } else if (h.descr == "|u1" || h.descr == "<u1") {
    kind = NpyKind::U1, itemSize = 1;
  } else {
    error = "'" + path + "': unsupported dtype '" + h.descr +
            "' (supported: <f4, <f8, <i8, <i4, |u1; little-endian)";
    return false;
  }
  if (h.fortranOrder) {
    error = "'" + path + "': Fortran-order arrays are not supported (save with C order)";
    return false;
  }
  if (h.shape.empty() || h.shape.size() > 2) {
    error = "'" + path + "': expected a 1-D or 2-D array, got shape " + shapeString(h.shape);
    return false;
  }
  int64_t rows = h.shape[0];
  int64_t cols = h.shape.size() == 2 ? h.shape[1] : 1;
  int64_t total, totalBytes;
  if (!checkedMul(rows, cols, total) || total > kMaxElements ||
      !checkedMul(total, static_cast<int64_t>(itemSize), totalBytes))
    return bad("shape " + shapeString(h.shape) + " is too large");
  uint64_t dataStart = prefix + headerLen;
  if (fileSize - dataStart != static_cast<uint64_t>(totalBytes)) {
    return bad("shape " + shapeString(h.shape) + " needs " + std::to_string(totalBytes) +
               " data bytes but the file has " + std::to_string(fileSize - dataStart) +
               (fileSize - dataStart < static_cast<uint64_t>(totalBytes) ? " (truncated)" : ""));
  }
  if (rows == 0 || cols == 0) {
    error = "'" + path + "': the array is empty (shape " + shapeString(h.shape) + ")";
    return false;
  }
  out.rows = rows;
  out.cols = cols;
  if (shapeOnly)
    return true;

  out.values.resize(static_cast<size_t>(total));
  const char *data = bytes.data() + dataStart;
  for (int64_t i = 0; i < total; ++i) {
    double v = 0;
    const char *p = data + static_cast<size_t>(i) * itemSize;
    switch (kind) {
    case NpyKind::F4: {
      float f;
      std::memcpy(&f, p, 4);
      v = f;
      break;
    }
    case NpyKind::F8:
      std::memcpy(&v, p, 8);
      break;
    case NpyKind::I8: {
      int64_t x;
      std::memcpy(&x, p, 8);
      v = static_cast<double>(x);
      break;
    }
    case NpyKind::I4: {
      int32_t x;
      std::memcpy(&x, p, 4);
      v = x;
      break;
    }
    case NpyKind::U1:
      v = static_cast<unsigned char>(*p);
      break;
    }
    if (!allowNonFinite && !std::isfinite(v)) {
      error = "'" + path + "': non-finite value at row " + std::to_string(i / cols) +
              ", column " + std::to_string(i % cols) + " (pass allow_nan=true to accept it)";
      return false;
    }
    if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
      error = "'" + path + "': value at row " + std::to_string(i / cols) + ", column " +
              std::to_string(i % cols) + " is out of the f32 range";
      return false;
    }
    out.values[static_cast<size_t>(i)] = static_cast<float>(v);
  }
  return true;
}

// ---- IDX ------------------------------------------------------------------------

namespace {

/// Parses and validates an IDX header: magic 0x00 0x00 0x08 ndim, then ndim
/// big-endian u32 dimensions; the file must hold exactly their product bytes.
bool parseIdxHeader(const std::string &path, std::string_view bytes, uint64_t fileSize,
                    std::vector<int64_t> &dims, uint64_t &dataStart, std::string &error) {
  auto bad = [&](const std::string &why) {
    error = "'" + path + "': not a valid IDX file: " + why;
    return false;
  };
  if (bytes.size() < 4)
    return bad("truncated header");
  const unsigned char *b = reinterpret_cast<const unsigned char *>(bytes.data());
  if (b[0] != 0 || b[1] != 0)
    return bad("wrong magic (first two bytes must be zero)");
  if (b[2] != 0x08) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", b[2]);
    error = "'" + path + "': unsupported IDX element type " + buf +
            " (only unsigned bytes, 0x08, as in MNIST)";
    return false;
  }
  unsigned ndim = b[3];
  if (ndim == 0)
    return bad("zero dimensions");
  dataStart = 4 + 4 * uint64_t(ndim);
  if (bytes.size() < dataStart)
    return bad("truncated header (" + std::to_string(ndim) + " dimensions)");
  int64_t total = 1;
  for (unsigned i = 0; i < ndim; ++i) {
    const unsigned char *d = b + 4 + 4 * i;
    int64_t v = int64_t(d[0]) << 24 | int64_t(d[1]) << 16 | int64_t(d[2]) << 8 | int64_t(d[3]);
    dims.push_back(v);
    if (!checkedMul(total, v, total) || total > kMaxElements)
      return bad("dimensions " + shapeString(dims) + " are too large");
  }
  if (fileSize - dataStart != static_cast<uint64_t>(total))
    return bad("dimensions " + shapeString(dims) + " need " + std::to_string(total) +
               " data bytes but the file has " + std::to_string(fileSize - dataStart) +
               (fileSize - dataStart < static_cast<uint64_t>(total) ? " (truncated)" : ""));
  return true;
}

} // namespace

bool readIdx(const std::string &path, bool shapeOnly, DataMatrix &out, std::string &error) {
  out = DataMatrix();
  std::string bytes;
  uint64_t fileSize = 0;
  if (shapeOnly ? !readFilePrefix(path, 4 + 4 * 255, bytes, fileSize, error)
                : !readFileBytes(path, bytes, error))
    return false;
  if (!shapeOnly)
    fileSize = bytes.size();
  std::vector<int64_t> dims;
  uint64_t dataStart = 0;
  if (!parseIdxHeader(path, bytes, fileSize, dims, dataStart, error))
    return false;
  int64_t rows = dims[0];
  int64_t cols = 1;
  // The header check bounds the full product, but a zero dimension makes
  // that product 0 whatever the others are: bound the columns on their own.
  for (size_t i = 1; i < dims.size(); ++i)
    if (!checkedMul(cols, dims[i], cols) || cols > kMaxElements) {
      error = "'" + path + "': not a valid IDX file: dimensions " + shapeString(dims) +
              " are too large";
      return false;
    }
  if (rows == 0 || cols == 0) {
    error = "'" + path + "': the IDX array is empty (dimensions " + shapeString(dims) + ")";
    return false;
  }
  out.rows = rows;
  out.cols = cols;
  if (shapeOnly)
    return true;
  size_t total = static_cast<size_t>(rows * cols);
  out.values.resize(total);
  const unsigned char *data = reinterpret_cast<const unsigned char *>(bytes.data()) + dataStart;
  for (size_t i = 0; i < total; ++i)
    out.values[i] = static_cast<float>(data[i]) / 255.0f;
  return true;
}

bool readIdxLabels(const std::string &path, std::vector<int64_t> &labels, std::string &error) {
  labels.clear();
  std::string bytes;
  if (!readFileBytes(path, bytes, error))
    return false;
  std::vector<int64_t> dims;
  uint64_t dataStart = 0;
  if (!parseIdxHeader(path, bytes, bytes.size(), dims, dataStart, error))
    return false;
  if (dims.size() != 1) {
    error = "'" + path + "': a labels file must be 1-D, got dimensions " + shapeString(dims);
    return false;
  }
  labels.resize(static_cast<size_t>(dims[0]));
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = static_cast<unsigned char>(bytes[dataStart + i]);
  return true;
}

} // namespace kiln::runtime
