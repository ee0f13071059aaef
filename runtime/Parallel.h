// Parallel: the one way kiln's kernels (reference and JIT'ed) run work on
// several threads.
//
// Work is cut into tasks whose boundaries depend only on the shapes (callers
// choose them), and each task's result depends only on its inputs, so the
// result is bitwise the same whatever the number of threads. parallelFor
// hands the tasks out one at a time through the job pool (runtime/JobPool.h):
// which thread runs which task is not fixed, and need not be.
#pragma once

#include <cstdint>

namespace kiln::runtime {

/// Calls fn(ctx, begin, end) on ranges that partition [0, tasks), in
/// parallel when there is more than one task and more than one thread.
void parallelFor(int64_t tasks, void (*fn)(void *ctx, int64_t begin, int64_t end), void *ctx);

/// Tasks worth a thread each: the number of tasks of `grain` units of work
/// over `units` units, at least 1. Used with a grain of about 100 µs of work
/// so that a parallel region never costs more than it saves.
inline int64_t tasksFor(int64_t units, int64_t grain) {
  return units <= grain ? 1 : (units + grain - 1) / grain;
}

} // namespace kiln::runtime

extern "C" {
/// parallelFor for JIT'ed kernels.
void kiln_rt_parallel_for(int64_t tasks, void (*fn)(void *, int64_t, int64_t), void *ctx);
}
