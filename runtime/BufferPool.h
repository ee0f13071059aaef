// BufferPool: where the storage of every tensor larger than 64 bytes comes from
// (smaller ones keep their bytes inside their shared_ptr's block: Tensor.h).
//
// Why a pool: on these machines the first touch of fresh memory costs a page
// fault per 4 KiB, which dominates small training steps. A step allocates the
// same sizes every time, so caching freed blocks by size class makes
// steady-state steps allocate nothing from the OS.
//
// Size classes: powers of two from 64 B up to 64 MiB (a request is rounded up
// to its class, so a freed block fits every later request of that class);
// requests above 64 MiB are "huge" and cached by their exact size rounded up
// to 4 KiB. Every block is 64-byte aligned (a cache line, and the widest
// vector register), so kernels and JIT'ed code may assume aligned loads.
//
// BufferPool::global() is the one process-wide pool: tensors outlive any
// particular VM (they are shared between VM clones, components and the
// caller), so their storage cannot belong to one of them. It is the one
// piece of global mutable state in the runtime; it is thread-safe (one
// mutex; a lock is a few tens of ns against kernels that touch kilobytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace kiln::runtime {

struct BufferPoolStats {
  uint64_t hits = 0;       // requests served from a free list
  uint64_t misses = 0;     // requests that went to the OS allocator
  uint64_t releases = 0;   // blocks given back to the pool
  uint64_t bytesHeld = 0;  // bytes sitting in free lists (cached, unused)
  uint64_t bytesInUse = 0; // bytes handed out and not yet released (class sizes)
  uint64_t bytesFromOS = 0; // total bytes ever obtained from the OS (class sizes)
};

class BufferPool {
public:
  static constexpr size_t kAlignment = 64;
  static constexpr size_t kMinClassBytes = 64;
  static constexpr size_t kMaxClassBytes = size_t(64) << 20; // 64 MiB
  static constexpr size_t kHugeGranule = 4096;

  BufferPool() = default;
  ~BufferPool(); // frees every cached block (blocks in use must be gone)
  BufferPool(const BufferPool &) = delete;
  BufferPool &operator=(const BufferPool &) = delete;

  /// The process-wide pool tensors use (see the file comment).
  static BufferPool &global();

  /// A 64-byte aligned block of at least `bytes` bytes (0 is allowed and
  /// returns a minimal block). Contents are unspecified. Never returns null
  /// (aborts like operator new on exhaustion).
  void *allocate(size_t bytes);
  /// Gives back a block from allocate(); `bytes` is the size that was asked.
  void release(void *block, size_t bytes);

  /// The bytes actually reserved for a request of `bytes`.
  static size_t blockSize(size_t bytes);

  BufferPoolStats stats() const;
  /// Returns every cached (free) block to the OS.
  void trim();

private:
  static constexpr int kNumClasses = 21; // 64 B .. 64 MiB
  static int classIndex(size_t blockBytes);

  mutable std::mutex mu_;
  std::vector<void *> free_[kNumClasses];
  std::multimap<size_t, void *> hugeFree_;
  BufferPoolStats stats_;
};

} // namespace kiln::runtime
