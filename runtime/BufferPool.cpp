// BufferPool: size-class free lists over aligned operator new.
#include "runtime/BufferPool.h"

#include <new>

#include "ir/Support.h"

namespace kiln::runtime {

BufferPool &BufferPool::global() {
  // Never destroyed: tensors held by other static objects may be released
  // after main returns, and must still find their pool.
  static BufferPool *pool = new BufferPool();
  return *pool;
}

BufferPool::~BufferPool() { trim(); }

size_t BufferPool::blockSize(size_t bytes) {
  if (bytes <= kMinClassBytes)
    return kMinClassBytes;
  if (bytes > kMaxClassBytes)
    return (bytes + kHugeGranule - 1) / kHugeGranule * kHugeGranule;
  size_t s = kMinClassBytes;
  while (s < bytes)
    s <<= 1;
  return s;
}

int BufferPool::classIndex(size_t blockBytes) {
  int i = 0;
  for (size_t s = kMinClassBytes; s < blockBytes; s <<= 1)
    ++i;
  return i;
}

void *BufferPool::allocate(size_t bytes) {
  size_t size = blockSize(bytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    void *block = nullptr;
    if (size <= kMaxClassBytes) {
      auto &list = free_[classIndex(size)];
      if (!list.empty()) {
        block = list.back();
        list.pop_back();
      }
    } else {
      auto it = hugeFree_.find(size);
      if (it != hugeFree_.end()) {
        block = it->second;
        hugeFree_.erase(it);
      }
    }
    if (block) {
      ++stats_.hits;
      stats_.bytesHeld -= size;
      stats_.bytesInUse += size;
      return block;
    }
    ++stats_.misses;
    stats_.bytesInUse += size;
    stats_.bytesFromOS += size;
  }
  // Outside the lock: the OS allocation may be slow.
  return ::operator new(size, std::align_val_t(kAlignment));
}

void BufferPool::release(void *block, size_t bytes) {
  if (!block)
    return;
  size_t size = blockSize(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  KILN_ASSERT(stats_.bytesInUse >= size, "BufferPool: release of a block it did not hand out");
  ++stats_.releases;
  stats_.bytesInUse -= size;
  stats_.bytesHeld += size;
  if (size <= kMaxClassBytes)
    free_[classIndex(size)].push_back(block);
  else
    hugeFree_.emplace(size, block);
}

BufferPoolStats BufferPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void BufferPool::trim() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto &list : free_) {
    for (void *p : list)
      ::operator delete(p, std::align_val_t(kAlignment));
    list.clear();
  }
  for (auto &[size, p] : hugeFree_)
    ::operator delete(p, std::align_val_t(kAlignment));
  hugeFree_.clear();
  stats_.bytesHeld = 0;
}

} // namespace kiln::runtime
