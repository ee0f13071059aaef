#include "runtime/Parallel.h"

#include <omp.h>

namespace kiln::runtime {

void parallelFor(int64_t tasks, void (*fn)(void *, int64_t, int64_t), void *ctx) {
  if (tasks <= 0)
    return;
  if (tasks == 1 || omp_get_max_threads() == 1 || omp_in_parallel()) {
    fn(ctx, 0, tasks);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t begin = tasks * t / nt, end = tasks * (t + 1) / nt;
    if (begin < end)
      fn(ctx, begin, end);
  }
}

} // namespace kiln::runtime

extern "C" void kiln_rt_parallel_for(int64_t tasks, void (*fn)(void *, int64_t, int64_t),
                                     void *ctx) {
  kiln::runtime::parallelFor(tasks, fn, ctx);
}
