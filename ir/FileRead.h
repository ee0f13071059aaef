//===- ir/FileRead.h - Reading files named by untrusted input ---*- C++ -*-===//
//
// Every file kiln reads is named by a program, a checkpoint or a command
// line, none of which is trusted (docs/reliability.md). readFile opens it
// without blocking (a FIFO with no writer would block open(2) forever),
// refuses anything that is not a regular file (FIFOs, devices, directories,
// sockets), reads with read(2) so that an I/O error (`/proc/self/mem` at
// offset 0 gives EIO) is an error message, not an exception, and stops at a
// size bound instead of reading without end.
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln::ir {

struct ReadLimits {
  /// More bytes than this is an error ("larger than N MiB").
  size_t maxBytes = size_t(256) << 20;
  /// Read at most this many leading bytes, without error (header probes);
  /// 0: the whole file.
  size_t prefix = 0;
};

/// Reads `path` into `bytes`. On failure returns false and sets `error` to
/// "cannot read 'PATH': REASON" (never the file's contents). `fileSize`, if
/// given, receives the file's size as fstat reports it.
bool readFile(const std::string &path, std::string &bytes, std::string &error,
              ReadLimits limits = {}, uint64_t *fileSize = nullptr);

} // namespace kiln::ir
