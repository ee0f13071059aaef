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
//
// A helper the OS deschedules in the middle of a job still holds that job,
// and the caller must wait for it: a whole time slice (milliseconds) when
// the helper shares a core with a busy neighbour, or turns on the caller's
// own core when the wakeup put it there. Two things bound that cost:
//   - once a running helper would have finished, the caller stops spinning
//     and sleeps on the done counter, so a helper that shares its core
//     gets the core instead of taking turns with a spinning caller;
//   - a batch whose caller waited a time slice longer than its jobs take
//     (the helper was not running) puts the pool in solo mode for a back-off
//     period: batches run on the caller alone, helpers are not woken. The
//     period doubles with every late batch (up to kMaxBackoff) and shrinks
//     by 1/16 with every batch a helper took part in on time, so on a
//     machine where helpers are often descheduled the pool probes them a
//     few times a second and otherwise runs like one thread.
// Which thread runs a job never changes a result, so neither does this.
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
// The caller stops spinning for the helpers once it has waited twice its
// own mean job time plus kSleepSlack (a running helper is done by then:
// the scheduler's wakeup latency with both threads running is a few
// microseconds), and counts the batch late once it has waited that plus
// kLateSlack: about a time slice, what a descheduled helper costs. Shorter
// stalls (a helper briefly preempted by a neighbour's task) measured
// cheaper to wait out than a solo period, which gives up the helpers'
// share of the next batches.
constexpr auto kSleepSlack = std::chrono::microseconds(50);
constexpr auto kLateSlack = std::chrono::milliseconds(1);
constexpr auto kMinBackoff = std::chrono::milliseconds(2);
constexpr auto kMaxBackoff = std::chrono::milliseconds(256);
constexpr int kBackoffDecay = 16; // a batch on time shortens it by 1/16

using Clock = std::chrono::steady_clock;

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
  std::atomic<bool> callerAsleep{false}; // the caller waits on `done`
  std::mutex inUse;                      // one batch at a time; guards the fields below
  int helpers = 0;
  Clock::time_point soloUntil{};         // batches before this run solo
  Clock::duration backoff = kMinBackoff; // the next solo period
  // Written under inUse, read by poolStats from any thread (even a job).
  std::atomic<int64_t> lateBatches{0}, soloBatches{0};
};

// Never destroyed: detached helpers may still be looking at it while the
// process exits.
Pool &pool() {
  static Pool *p = new Pool;
  return *p;
}

/// Claims and runs jobs of the batch whose state was `s` until none is left
/// or another batch has replaced it; returns how many it ran.
int64_t drain(Pool &p, uint64_t s) {
  const uint64_t gen = generationOf(s);
  int64_t ran = 0;
  while (generationOf(s) == gen && nextOf(s) < countOf(s)) {
    if (p.state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      p.job.load(std::memory_order_acquire)(p.ctx.load(std::memory_order_acquire), nextOf(s));
      p.done.fetch_add(1); // seq_cst: ordered against the callerAsleep check
      if (p.callerAsleep.load())
        p.done.notify_all();
      ++ran;
      s = p.state.load(std::memory_order_acquire);
    }
  }
  return ran;
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

/// Waits until the helpers have finished every claimed job of a batch of
/// `count`: spinning until `sleepAt` (a running helper finishes by then),
/// then asleep on the done counter.
void awaitDone(Pool &p, int64_t count, Clock::time_point sleepAt) {
  for (int spin = 0; p.done.load(std::memory_order_acquire) < count; ++spin) {
    _mm_pause();
    if ((spin & 63) == 63 && Clock::now() > sleepAt)
      break;
  }
  if (p.done.load(std::memory_order_acquire) >= count)
    return;
  p.callerAsleep.store(true);
  for (int64_t d = p.done.load(); d < count; d = p.done.load())
    p.done.wait(d);
  p.callerAsleep.store(false);
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
  const auto start = Clock::now();
  if (start < p.soloUntil) {
    p.soloBatches.fetch_add(1, std::memory_order_relaxed);
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
  const int64_t ran = drain(p, s), mine = std::max<int64_t>(1, ran);
  tInJob = false;
  // Only jobs that a helper has claimed are left to wait for.
  if (ran == count)
    return; // the helpers took nothing: this batch says nothing about them
  const auto drained = Clock::now();
  const auto fair = 2 * (drained - start) / mine; // a running helper's share
  awaitDone(p, count, drained + fair + kSleepSlack);
  if (Clock::now() - drained > fair + kLateSlack) {
    p.lateBatches.fetch_add(1, std::memory_order_relaxed);
    p.soloUntil = Clock::now() + p.backoff;
    p.backoff = std::min<Clock::duration>(kMaxBackoff, p.backoff * 2);
  } else {
    // Slowly, so that where late batches keep coming the pool stays
    // mostly solo.
    p.backoff = std::max<Clock::duration>(kMinBackoff, p.backoff - p.backoff / kBackoffDecay);
  }
}

PoolStats poolStats() {
  const Pool &p = pool();
  return {p.lateBatches.load(std::memory_order_relaxed),
          p.soloBatches.load(std::memory_order_relaxed)};
}

} // namespace kiln::runtime
