// DataReaders: CSV, NumPy .npy and MNIST IDX files into a row-major f32
// matrix (the Dataset component's storage).
//
// Every reader treats the file as untrusted input: sizes in headers are
// checked against the file's real size (with overflow checks) before
// anything is allocated, every field is validated, and a failure returns
// false with a message that names the file (and line:column for CSV). None
// of them throws or aborts.
//
// NaN policy: a non-finite value (nan, inf) in a CSV or float .npy file is an
// error naming its position, unless the caller allows it (`allow_nan=true`):
// one NaN silently poisons a whole training run, so it must be opted into.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::runtime {

/// A table of rows, each `cols` f32 values, plus an optional integer label
/// per row (CSV label column, or an IDX labels file).
struct DataMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values; // rows * cols, row-major
  std::vector<int64_t> labels; // empty, or one per row

  /// FNV-1a (over 8-byte words) of the shape, values and labels: identifies
  /// the content, so a checkpoint can refuse a data file that changed since
  /// it was written.
  uint64_t contentHash() const;
};

struct CsvOptions {
  /// The first non-empty line holds column names (skipped).
  bool header = false;
  /// Column holding an integer class label (negative counts from the end:
  /// -1 is the last column); it is removed from the features.
  std::optional<int64_t> labelColumn;
  bool allowNonFinite = false;
};

/// Reads a CSV file of numbers: fields separated by ',', surrounding spaces
/// and tabs ignored, blank lines skipped, '\r\n' accepted, every row with the
/// same number of fields. With `shapeOnly`, only the first data row is
/// parsed and `out` gets cols (rows = -1, unknown): enough for a schema.
bool readCsv(const std::string &path, const CsvOptions &options, bool shapeOnly,
             DataMatrix &out, std::string &error);

/// Reads a .npy file (format versions 1-3): dtype <f4, <f8, <i8, <i4 or |u1,
/// C order, shape (n,) (n rows of one column) or (n, m). With `shapeOnly`,
/// only the header is parsed (and checked against the file size).
bool readNpy(const std::string &path, bool allowNonFinite, bool shapeOnly, DataMatrix &out,
             std::string &error);

/// Reads an IDX file of unsigned bytes (MNIST images: magic 0x00000803,
/// dims n x 28 x 28) as n rows of the remaining dimensions flattened, each
/// byte scaled to [0, 1] (v / 255). A 1-D file gives n rows of one column.
bool readIdx(const std::string &path, bool shapeOnly, DataMatrix &out, std::string &error);

/// Reads a 1-D IDX file of unsigned bytes (MNIST labels: magic 0x00000801)
/// as integer labels.
bool readIdxLabels(const std::string &path, std::vector<int64_t> &labels, std::string &error);

} // namespace kiln::runtime
