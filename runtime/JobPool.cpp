// JobPool (see JobPool.h): one shared batch slot, claimed through a single
// atomic word, and helpers that spin briefly and then sleep between batches.
//
// The state word holds the whole batch description, so one compare-and-swap
// both checks that a batch is still the current one and claims its next job:
//   bits 46..63 generation (changes with every batch)
//   bits 38..45 number of helpers allowed to take part
//   bits 19..37 job count, bits 0..18 next unclaimed job.
// The caller writes the job function, its context and the done counter
// before publishing a batch, and only touches them again after every
// claimed job has finished, so a helper that claimed job i can read them
// safely; a helper that claims nothing touches nothing but the state word.
#include "runtime/JobPool.h"
#include "runtime/OpenMP.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <emmintrin.h>
#include <mutex>
#include <system_error>
#include <thread>

namespace kiln::runtime {

namespace {

constexpr int kIndexBits = 19, kAllowedBits = 8;
constexpr uint64_t kIndexMask = (uint64_t(1) << kIndexBits) - 1;
constexpr int kCountShift = kIndexBits, kAllowedShift = 2 * kIndexBits,
              kGenShift = 2 * kIndexBits + kAllowedBits;
constexpr int kMaxHelpers = (1 << kAllowedBits) - 1;
constexpr int64_t kMaxJobs = int64_t(kIndexMask);
// How long an idle helper spins before it sleeps: long enough to bridge the
// gap between the packing and the compute batch of one product and between
// the products of one training step, short enough not to burn a core.
constexpr auto kSpinTime = std::chrono::microseconds(200);

uint64_t generationOf(uint64_t s) { return s >> kGenShift; }
int allowedOf(uint64_t s) { return int((s >> kAllowedShift) & ((1u << kAllowedBits) - 1)); }
int64_t countOf(uint64_t s) { return int64_t((s >> kCountShift) & kIndexMask); }
int64_t nextOf(uint64_t s) { return int64_t(s & kIndexMask); }

struct Pool {
  std::atomic<uint64_t> state{0};
  std::atomic<void (*)(void *, int64_t)> job{nullptr};
  std::atomic<void *> ctx{nullptr};
  std::atomic<int64_t> done{0};
  std::atomic<int> sleepers{0};
  std::mutex inUse; // one batch at a time; guards `helpers`
  int helpers = 0;
};

// Never destroyed: detached helpers may still be looking at it while the
// process exits.
Pool &pool() {
  static Pool *p = new Pool;
  return *p;
}

/// Claims and runs jobs of the batch whose state was `s` until none is left
/// or another batch has replaced it.
void drain(Pool &p, uint64_t s) {
  const uint64_t gen = generationOf(s);
  while (generationOf(s) == gen && nextOf(s) < countOf(s)) {
    if (p.state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      p.job.load(std::memory_order_acquire)(p.ctx.load(std::memory_order_acquire), nextOf(s));
      p.done.fetch_add(1, std::memory_order_release);
      s = p.state.load(std::memory_order_acquire);
    }
  }
}

/// Returns the first state whose generation differs from `seen`'s.
uint64_t awaitBatch(Pool &p, uint64_t seen) {
  const auto until = std::chrono::steady_clock::now() + kSpinTime;
  for (int spin = 0;; ++spin) {
    const uint64_t s = p.state.load(std::memory_order_acquire);
    if (generationOf(s) != generationOf(seen))
      return s;
    _mm_pause();
    if ((spin & 127) == 127 && std::chrono::steady_clock::now() > until)
      break;
  }
  for (;;) {
    p.sleepers.fetch_add(1);
    const uint64_t s = p.state.load();
    if (generationOf(s) == generationOf(seen))
      p.state.wait(s);
    p.sleepers.fetch_sub(1);
    const uint64_t now = p.state.load(std::memory_order_acquire);
    if (generationOf(now) != generationOf(seen))
      return now;
  }
}

// Set on a thread while it runs jobs: a job that calls runJobs again (a
// kernel inside a parallel kernel) runs that batch itself, serially, instead
// of locking the pool it is already part of.
thread_local bool tInJob = false;

void helperMain(int index) {
  tInJob = true;
  Pool &p = pool();
  uint64_t seen = p.state.load(std::memory_order_acquire);
  for (;;) {
    seen = awaitBatch(p, seen);
    if (index < allowedOf(seen))
      drain(p, seen);
  }
}

/// Starts helpers up to `want` (fewer if the OS refuses threads).
void ensureHelpers(Pool &p, int want) {
  while (p.helpers < want) {
    try {
      std::thread(helperMain, p.helpers).detach();
    } catch (const std::system_error &) {
      return;
    }
    ++p.helpers;
  }
}

void runAll(int64_t count, void (*job)(void *, int64_t), void *ctx) {
  for (int64_t i = 0; i < count; ++i)
    job(ctx, i);
}

} // namespace

void runJobs(int64_t count, int threads, void (*job)(void *ctx, int64_t i), void *ctx) {
  if (count <= 0)
    return;
  const int64_t useful = std::min<int64_t>(count, std::min(threads, kMaxHelpers + 1));
  if (useful <= 1 || count > kMaxJobs || tInJob || omp_in_parallel()) {
    runAll(count, job, ctx);
    return;
  }
  Pool &p = pool();
  std::unique_lock<std::mutex> lock(p.inUse, std::try_to_lock);
  if (!lock.owns_lock()) {
    runAll(count, job, ctx);
    return;
  }
  ensureHelpers(p, int(useful) - 1);
  const int allowed = std::min(p.helpers, int(useful) - 1);
  p.job.store(job, std::memory_order_relaxed);
  p.ctx.store(ctx, std::memory_order_relaxed);
  p.done.store(0, std::memory_order_relaxed);
  const uint64_t gen = generationOf(p.state.load(std::memory_order_relaxed)) + 1;
  const uint64_t s = (gen << kGenShift) | (uint64_t(allowed) << kAllowedShift) |
                     (uint64_t(count) << kCountShift);
  p.state.store(s); // seq_cst: ordered against the sleepers check below
  if (p.sleepers.load() > 0)
    p.state.notify_all();
  tInJob = true;
  drain(p, s);
  tInJob = false;
  // Only jobs that a running helper has claimed are left to wait for.
  for (int spin = 0; p.done.load(std::memory_order_acquire) < count; ++spin) {
    _mm_pause();
    if ((spin & 1023) == 1023)
      std::this_thread::yield();
  }
}

} // namespace kiln::runtime
