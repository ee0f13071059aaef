// Fuzz target: the Dataset component's file readers (CSV, .npy, MNIST IDX
// images and labels), through their real path-based entry points.
//
// The first input byte picks the reader and its options; the rest is the
// file. The file lives in an anonymous in-memory file (memfd) opened by its
// /proc/self/fd path, so the readers' own file handling (size probe,
// header-only prefix reads) is exercised without touching the disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/components/DataReaders.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

/// One memfd for the whole run, rewritten per input.
int dataFd() {
  static int fd = memfd_create("kiln-fuzz-data", 0);
  return fd;
}

bool writeAll(int fd, const uint8_t *data, size_t size) {
  if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
    return false;
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln::runtime;
  if (size < 1)
    return 0;
  uint8_t selector = data[0];
  int fd = dataFd();
  kiln::fuzz::check(fd >= 0, "memfd_create failed");
  kiln::fuzz::check(writeAll(fd, data + 1, size - 1), "writing the memfd failed");
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  bool shapeOnly = selector & 0x10;
  bool allowNonFinite = selector & 0x20;
  DataMatrix m;
  std::string error;
  bool ok = false;
  switch (selector & 0x7) {
  case 0:
  case 1: {
    CsvOptions opts;
    opts.header = selector & 0x1;
    opts.allowNonFinite = allowNonFinite;
    if (selector & 0x40)
      opts.labelColumn = (selector & 0x80) ? -1 : 0;
    ok = readCsv(path, opts, shapeOnly, m, error);
    break;
  }
  case 2:
  case 3:
    ok = readNpy(path, allowNonFinite, shapeOnly, m, error);
    break;
  case 4:
  case 5:
    ok = readIdx(path, shapeOnly, m, error);
    break;
  default: {
    std::vector<int64_t> labels;
    if (!readIdxLabels(path, labels, error))
      kiln::fuzz::check(!error.empty(), "a rejected file must come with a message");
    return 0;
  }
  }
  if (!ok) {
    kiln::fuzz::check(!error.empty(), "a rejected file must come with a message");
    return 0;
  }
  // What a reader accepts must be internally consistent.
  kiln::fuzz::check(m.cols > 0, "accepted data has no columns");
  if (!shapeOnly) {
    kiln::fuzz::check(m.rows > 0 && static_cast<int64_t>(m.values.size()) == m.rows * m.cols,
                      "accepted data's size does not match its shape");
    kiln::fuzz::check(m.labels.empty() || static_cast<int64_t>(m.labels.size()) == m.rows,
                      "accepted labels do not match the rows");
    (void)m.contentHash();
  }
  return 0;
}
