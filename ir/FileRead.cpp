#include "ir/FileRead.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln::ir {

namespace {

/// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

const char *kindOf(mode_t m) {
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISCHR(m) || S_ISBLK(m))
    return "a device";
  if (S_ISSOCK(m))
    return "a socket";
  return "not a regular file";
}

} // namespace

bool readFile(const std::string &path, std::string &bytes, std::string &error,
              ReadLimits limits, uint64_t *fileSize) {
  auto fail = [&](const std::string &why) {
    error = "cannot read '" + path + "': " + why;
    return false;
  };
  bytes.clear();
  Fd f;
  do
    f.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  while (f.fd < 0 && errno == EINTR);
  if (f.fd < 0)
    return fail(std::strerror(errno));
  struct stat st{};
  if (::fstat(f.fd, &st) != 0)
    return fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    const char *kind = kindOf(st.st_mode);
    return fail(std::strncmp(kind, "not", 3) == 0 ? std::string(kind)
                                                 : std::string("it is ") + kind);
  }
  if (fileSize)
    *fileSize = static_cast<uint64_t>(st.st_size);
  // A regular file does not block; reads go on in blocking mode all the same.
  int flags = ::fcntl(f.fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
  size_t want = limits.prefix ? limits.prefix : limits.maxBytes + 1;
  if (st.st_size > 0)
    bytes.reserve(std::min<size_t>(want, static_cast<size_t>(st.st_size)));
  char buf[1 << 16];
  while (bytes.size() < want) {
    size_t n = std::min(sizeof buf, want - bytes.size());
    ssize_t got = ::read(f.fd, buf, n);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      bytes.clear();
      return fail(std::strerror(errno));
    }
    if (got == 0)
      break;
    bytes.append(buf, static_cast<size_t>(got));
  }
  if (!limits.prefix && bytes.size() > limits.maxBytes) {
    bytes.clear();
    return fail("larger than " + std::to_string(limits.maxBytes >> 20) + " MiB");
  }
  return true;
}

} // namespace kiln::ir
