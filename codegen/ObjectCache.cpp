#include "codegen/ObjectCache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "llvm/Support/SHA256.h"

namespace kiln::codegen {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'O', 'B', 'J', '1'};
constexpr size_t kHeaderSize = 8 + 8 + 32 + 32;
/// Objects of compiled kernels are small; anything larger is not ours.
constexpr uint64_t kMaxObjectBytes = uint64_t(256) << 20;

std::array<uint8_t, 32> sha256(llvm::StringRef s) {
  return llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(s.data()), s.size()));
}

std::string hex(const std::array<uint8_t, 32> &h) {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : h) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

bool mkdirs(const std::string &dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      cur = dir.substr(0, i);
      if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
        return false;
    }
  }
  struct stat st{};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool writeAll(int fd, const void *data, size_t n) {
  const char *p = static_cast<const char *>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

} // namespace

std::string ObjectCache::defaultDir() {
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x == '/')
    return std::string(x) + "/kiln";
  if (const char *h = std::getenv("HOME"); h && *h == '/')
    return std::string(h) + "/.cache/kiln";
  return {};
}

std::string ObjectCache::pathFor(const std::string &keyText) const {
  return dir_ + "/" + hex(sha256(keyText)) + ".kobj";
}

std::unique_ptr<llvm::MemoryBuffer> ObjectCache::load(const std::string &keyText) const {
  if (dir_.empty())
    return nullptr;
  std::string path = pathFor(keyText);
  // A regular file only (never block on a FIFO or read a device).
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return nullptr;
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < off_t(kHeaderSize) ||
      uint64_t(st.st_size) > kMaxObjectBytes + kHeaderSize) {
    ::close(fd);
    return nullptr;
  }
  auto buf = llvm::MemoryBuffer::getOpenFile(fd, path, st.st_size, false);
  ::close(fd);
  if (!buf)
    return nullptr;
  llvm::StringRef all = (*buf)->getBuffer();
  if (all.size() < kHeaderSize || std::memcmp(all.data(), kMagic, 8) != 0)
    return nullptr;
  uint64_t size = 0;
  std::memcpy(&size, all.data() + 8, 8);
  if (size != all.size() - kHeaderSize)
    return nullptr;
  auto keyHash = sha256(keyText);
  if (std::memcmp(all.data() + 16, keyHash.data(), 32) != 0)
    return nullptr;
  llvm::StringRef object = all.drop_front(kHeaderSize);
  auto objHash = sha256(object);
  if (std::memcmp(all.data() + 48, objHash.data(), 32) != 0)
    return nullptr;
  return llvm::MemoryBuffer::getMemBufferCopy(object, path);
}

bool ObjectCache::store(const std::string &keyText, llvm::StringRef object) const {
  if (dir_.empty() || !mkdirs(dir_))
    return false;
  std::string path = pathFor(keyText);
  std::random_device rd;
  std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd() ^ (rd() << 1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return false;
  uint64_t size = object.size();
  auto keyHash = sha256(keyText), objHash = sha256(object);
  bool ok = writeAll(fd, kMagic, 8) && writeAll(fd, &size, 8) && writeAll(fd, keyHash.data(), 32) &&
            writeAll(fd, objHash.data(), 32) && writeAll(fd, object.data(), object.size());
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0)
    return true;
  ::unlink(tmp.c_str());
  return false;
}

} // namespace kiln::codegen
