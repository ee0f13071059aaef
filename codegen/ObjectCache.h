// ObjectCache: compiled kernels on disk, so a second run of a program (or
// another program with the same fused groups) skips LLVM altogether.
//
// An entry is one file `<dir>/<key>.kobj` where <key> is the hex SHA-256 of
// everything the object depends on (the kernel's canonical IR text, the
// target triple, CPU and features, the LLVM, kiln and kernel-ABI versions,
// and a hash of codegen's own sources): a change of any of them is another
// key, so an entry never has to be invalidated. The file is
//   magic "KILNOBJ1" | u64 object size | 32-byte SHA-256 of the key text |
//   32-byte SHA-256 of the object | the object bytes
// and is checked in full before it is used: a truncated, corrupt or foreign
// file is ignored (the kernel is recompiled and the entry rewritten), never
// loaded. Writes go to a fresh temporary file in the same folder (O_EXCL,
// mode 0600) that is renamed over the entry, so two processes compiling the
// same kernel at once both succeed and a reader never sees half a file.
// Threat model: the cache protects against corruption, not against someone
// who can write your cache folder (they could as well replace kiln itself).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "llvm/Support/MemoryBuffer.h"

namespace kiln::codegen {

class ObjectCache {
public:
  /// A cache in `dir` (created on first store).
  explicit ObjectCache(std::string dir) : dir_(std::move(dir)) {}

  /// `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`; empty if neither is set.
  static std::string defaultDir();

  /// The object stored for `keyText`, if a valid entry exists.
  std::unique_ptr<llvm::MemoryBuffer> load(const std::string &keyText) const;
  /// Stores `object` for `keyText`. Failures (read-only folder, disk full)
  /// are not errors: the cache is an optimization. Returns whether it stored.
  bool store(const std::string &keyText, llvm::StringRef object) const;

  const std::string &dir() const { return dir_; }
  /// The entry file for `keyText`.
  std::string pathFor(const std::string &keyText) const;

private:
  std::string dir_;
};

} // namespace kiln::codegen
