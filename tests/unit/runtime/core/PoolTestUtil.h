// Helpers for tests of what runs on the job pool (runtime/JobPool.h).
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/JobPool.h"

namespace kiln::runtime::pooltest {

/// Runs two-job batches whose helper job sleeps (a helper the OS stopped
/// running, as beside a busy process) until one was late, which sends the
/// pool solo for a while. Returns false if no helper ever claimed a job.
inline bool stallAHelper() {
  const int64_t late = poolStats().lateBatches;
  const auto caller = std::this_thread::get_id();
  for (int round = 0; round < 200 && poolStats().lateBatches == late; ++round) {
    // The caller's job waits (a few ms at most) for a helper to claim the
    // other one, then the helper's job sleeps.
    std::atomic<bool> helperIn{false};
    runJobs(2, 2, [&](int64_t) {
      if (std::this_thread::get_id() != caller) {
        helperIn = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return;
      }
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
      while (!helperIn && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
    });
  }
  return poolStats().lateBatches > late;
}

} // namespace kiln::runtime::pooltest
