// JobPool: runs a batch of independent jobs on the calling thread plus a
// few helper threads, such that the caller never waits for a thread that is
// not running.
//
// Why not an OpenMP parallel region: its join barrier waits for every
// thread of the team. Beside a busy process, a team member that the OS has
// descheduled holds the barrier for a whole time slice (milliseconds), and
// GOMP's spin-waiting makes that the common case: a 250 us GEMM measured
// 40-70x slower with 2 threads than with 1 (docs/runtime-core.md). Here the
// caller claims jobs itself from a shared counter and only waits for jobs a
// helper has already claimed; a helper that is not scheduled claims nothing,
// and the caller does the work alone. Which thread runs which job is not
// fixed, so jobs must not care (GEMM tiles do not: Gemm.h).
//
// The thread count is omp_get_max_threads() at the time of the call, so
// OMP_NUM_THREADS and omp_set_num_threads still decide it. A call made
// while another thread is using the pool, or from inside an OpenMP
// parallel region, runs all its jobs on the calling thread; so does a call
// made shortly after batches whose caller had to wait for a helper the OS
// was not running (solo mode, JobPool.cpp): beside a busy process the
// caller works alone rather than wait milliseconds for a claimed job.
#pragma once

#include <cstdint>
#include <type_traits>

namespace kiln::runtime {

/// Calls job(ctx, i) once for each i in [0, count), on the calling thread
/// and up to `threads - 1` helpers, and returns when all calls are done.
void runJobs(int64_t count, int threads, void (*job)(void *ctx, int64_t i), void *ctx);

/// What the pool did since the process started: batches whose caller waited
/// for a helper that was not running (late), and batches run on the caller
/// alone because of them (solo). See JobPool.cpp.
struct PoolStats {
  int64_t lateBatches = 0, soloBatches = 0;
};
PoolStats poolStats();

/// The same for a callable taking the job index.
template <class F> void runJobs(int64_t count, int threads, F &&f) {
  using Fn = std::remove_reference_t<F>;
  runJobs(count, threads, [](void *ctx, int64_t i) { (*static_cast<Fn *>(ctx))(i); },
          const_cast<void *>(static_cast<const void *>(&f)));
}

} // namespace kiln::runtime
