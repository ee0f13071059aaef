#include "runtime/components/NpyWriter.h"

#include <bit>
#include <cstdint>

#include "runtime/Checkpoint.h"

namespace kiln::runtime {

// Tensors hold their elements in host order; .npy and safetensors files are
// little-endian, so the bytes are copied as they are.
static_assert(std::endian::native == std::endian::little,
              "the .npy writer copies tensor bytes as little-endian");

std::string_view npyDescr(ElemType dtype) {
  switch (dtype) {
  case ElemType::F32: return "<f4";
  case ElemType::F64: return "<f8";
  case ElemType::I64: return "<i8";
  case ElemType::I1: return "|b1";
  }
  return "|b1";
}

bool npyHeader(const Tensor &t, std::string &header, std::string &error) {
  std::string dict =
      "{'descr': '" + std::string(npyDescr(t.dtype())) + "', 'fortran_order': False, 'shape': (";
  for (int64_t i = 0; i < t.rank(); ++i) {
    if (i > 0)
      dict += ", ";
    dict += std::to_string(t.dim(i));
  }
  if (t.rank() == 1)
    dict += ",";
  dict += "), }";
  // magic (6) + version (2) + length (2) + dict + padding + '\n' = 64k.
  constexpr size_t kPrefix = 10, kAlign = 64;
  size_t unpadded = kPrefix + dict.size() + 1;
  size_t pad = (kAlign - unpadded % kAlign) % kAlign;
  size_t headerLen = dict.size() + pad + 1;
  if (headerLen > 0xffff) {
    error = "the .npy header of a rank-" + std::to_string(t.rank()) +
            " tensor does not fit format version 1.0";
    return false;
  }
  header.assign("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(headerLen & 0xff);
  header += static_cast<char>(headerLen >> 8);
  header += dict;
  header.append(pad, ' ');
  header += '\n';
  return true;
}

bool encodeNpy(const Tensor &t, std::string &bytes, std::string &error) {
  if (!npyHeader(t, bytes, error))
    return false;
  if (t.nbytes() > 0)
    bytes.append(static_cast<const char *>(t.raw()), t.nbytes());
  return true;
}

bool writeNpy(const std::string &path, const Tensor &t, std::string &error) {
  std::string bytes;
  if (!encodeNpy(t, bytes, error)) {
    error = "cannot write .npy file " + path + ": " + error;
    return false;
  }
  return writeFileAtomically(path, bytes, error, ".npy file");
}

} // namespace kiln::runtime
