// SHA-256 (FIPS 180-4), used by `kiln inspect` to print a digest of every
// tensor's bytes and by the checkpoint to fingerprint the lowered program.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::runtime {

class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> finish();
  /// finish() as 64 lowercase hex digits.
  std::string hexDigest();

  static std::string hex(const void *data, size_t size);

private:
  void block(const uint8_t *p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t bufLen_ = 0;
  uint64_t total_ = 0;
};

} // namespace kiln::runtime
