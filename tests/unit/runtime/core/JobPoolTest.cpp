// JobPool: every job runs exactly once, whatever the thread count, the
// number of callers or an enclosing OpenMP region; helpers really help; a
// helper that stalls in a job sends the pool solo for a while.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <omp.h>
#include <set>
#include <thread>
#include <vector>

#include "runtime/JobPool.h"
#include "tests/unit/runtime/core/PoolTestUtil.h"

using kiln::runtime::poolStats;
using kiln::runtime::runJobs;
using kiln::runtime::pooltest::stallAHelper;

namespace {

/// Runs `count` jobs on `threads` threads; checks each ran once. Returns
/// how many distinct threads ran jobs.
size_t runAndCount(int64_t count, int threads) {
  std::vector<std::atomic<int>> runs(static_cast<size_t>(count));
  std::mutex mu;
  std::set<std::thread::id> who;
  runJobs(count, threads, [&](int64_t i) {
    runs[static_cast<size_t>(i)].fetch_add(1);
    // Long enough for a spinning helper to get a share.
    volatile double x = 0;
    for (int k = 0; k < 20000; ++k)
      x = x + 1;
    std::lock_guard<std::mutex> lock(mu);
    who.insert(std::this_thread::get_id());
  });
  for (int64_t i = 0; i < count; ++i)
    EXPECT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "job " << i << " of " << count;
  return who.size();
}


} // namespace

TEST(JobPool, EveryJobOnceForAnyThreadCount) {
  for (int threads : {1, 2, 3, 8})
    for (int64_t count : {0, 1, 2, 7, 64, 1000})
      runAndCount(count, threads);
}

TEST(JobPool, OneThreadRunsOnTheCaller) {
  EXPECT_EQ(runAndCount(50, 1), size_t(1));
}

TEST(JobPool, HelpersTakePart) {
  // Over many batches a helper must get some jobs (unless the OS never
  // schedules it, which would make this machine useless for the suite).
  // On a loaded machine late batches send the pool solo for up to 256 ms at
  // a time, so the rounds are bounded by time, not by count.
  size_t most = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (most < 2 && std::chrono::steady_clock::now() < until)
    most = std::max(most, runAndCount(64, 2));
  EXPECT_EQ(most, size_t(2));
}

TEST(JobPool, AStalledHelperSendsThePoolSolo) {
  // A helper that stops in the middle of a job makes its batch late; the
  // batches after it run on the caller alone until the back-off ends, and
  // every job still runs exactly once.
  if (!stallAHelper())
    GTEST_SKIP() << "no helper claimed a job in 200 batches (a loaded machine)";
  const auto caller = std::this_thread::get_id();
  bool sawSolo = false;
  for (int round = 0; round < 100 && !sawSolo; ++round) {
    const int64_t solo = poolStats().soloBatches;
    std::vector<std::atomic<int>> runs(64);
    std::atomic<bool> elsewhere{false};
    runJobs(64, 2, [&](int64_t i) {
      runs[size_t(i)].fetch_add(1);
      if (std::this_thread::get_id() != caller)
        elsewhere = true;
    });
    for (const auto &r : runs)
      ASSERT_EQ(r.load(), 1);
    if (poolStats().soloBatches > solo) {
      sawSolo = true;
      EXPECT_FALSE(elsewhere.load()) << "a solo batch ran a job on a helper";
    }
  }
  EXPECT_TRUE(sawSolo);
  // And the helpers come back once the back-off is over (at most 256 ms).
  size_t most = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (most < 2 && std::chrono::steady_clock::now() < until)
    most = std::max(most, runAndCount(64, 2));
  EXPECT_EQ(most, size_t(2));
}

TEST(JobPool, ConcurrentCallersAndOpenMPRegions) {
  // Two callers at once: one gets the pool, the other runs alone; both
  // complete every job.
  std::thread other([] {
    for (int r = 0; r < 20; ++r)
      runAndCount(40, 2);
  });
  for (int r = 0; r < 20; ++r)
    runAndCount(40, 2);
  other.join();
  // Inside an OpenMP region the calls run on their own thread.
#pragma omp parallel num_threads(2)
  runAndCount(30, 4);
}

TEST(JobPool, AJobThatRunsJobsRunsThemItself) {
  // A kernel inside a parallel kernel: the inner batch runs on the thread of
  // the outer job (the pool is busy with the outer batch), every job once.
  constexpr int64_t kOuter = 16, kInner = 37;
  std::vector<std::atomic<int>> hits(kOuter * kInner);
  for (int round = 0; round < 20; ++round) {
    for (auto &h : hits)
      h = 0;
    runJobs(kOuter, 2, [&](int64_t o) {
      runJobs(kInner, 2, [&](int64_t i) { hits[size_t(o * kInner + i)].fetch_add(1); });
    });
    for (const auto &h : hits)
      ASSERT_EQ(h.load(), 1);
  }
}
