#include "runtime/Parallel.h"

#include "runtime/JobPool.h"
#include "runtime/OpenMP.h"

namespace kiln::runtime {

// On the job pool (runtime/JobPool.h), not an OpenMP team: beside a busy
// process a team's join barrier waits a whole time slice for a descheduled
// thread, while the pool's caller only waits for tasks a running helper has
// already claimed.
void parallelFor(int64_t tasks, void (*fn)(void *, int64_t, int64_t), void *ctx) {
  if (tasks <= 0)
    return;
  int threads = omp_get_max_threads();
  if (tasks == 1 || threads == 1) {
    fn(ctx, 0, tasks);
    return;
  }
  runJobs(tasks, threads, [&](int64_t i) { fn(ctx, i, i + 1); });
}

} // namespace kiln::runtime

extern "C" void kiln_rt_parallel_for(int64_t tasks, void (*fn)(void *, int64_t, int64_t),
                                     void *ctx) {
  kiln::runtime::parallelFor(tasks, fn, ctx);
}
