// NpyWriter: a tensor as a NumPy .npy file (format version 1.0), the one
// writer behind `kiln export` and the `save_npy` native function.
//
// Layout (numpy.lib.format): "\x93NUMPY", version bytes 1 0, u16
// little-endian header length, then the header: the dict text
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n' so the data starts at a multiple of
// 64 bytes; then the elements, little-endian, C (row-major) order. dtypes:
// f32 '<f4', f64 '<f8', i64 '<i8', i1 '|b1' (one byte, 0 or 1). A 0-d
// tensor has shape (), a 1-d one (n,).
#pragma once

#include <string>
#include <string_view>

#include "runtime/Tensor.h"

namespace kiln::runtime {

/// The .npy descr of an element type ("<f4", "<f8", "<i8", "|b1").
std::string_view npyDescr(ElemType dtype);

/// The header of a .npy file for `t`: magic, version, length and dict text,
/// a multiple of 64 bytes long. Returns false (with `error`) only when the
/// dict does not fit version 1.0's 16-bit length (a rank in the thousands).
bool npyHeader(const Tensor &t, std::string &header, std::string &error);

/// The whole file: npyHeader() followed by the tensor's bytes.
bool encodeNpy(const Tensor &t, std::string &bytes, std::string &error);

/// Writes `t` to `path` with writeFileAtomically (runtime/Checkpoint.h):
/// a temporary file beside it, then a rename, so a reader never sees half
/// a file and a symlink planted at `path` is replaced, not written through;
/// an existing non-regular file (a FIFO, a device, a folder) is refused.
/// The folder must exist.
bool writeNpy(const std::string &path, const Tensor &t, std::string &error);

} // namespace kiln::runtime
