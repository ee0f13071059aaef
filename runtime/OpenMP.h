//===- runtime/OpenMP.h - The OpenMP runtime calls kiln makes ---*- C++ -*-===//
//
// kiln asks the OpenMP runtime only for its thread count (OMP_NUM_THREADS,
// omp_set_num_threads) and whether a call is inside a parallel region. A
// build without OpenMP's header (the clang fuzz build links GCC's libgomp
// but has no omp.h of its own, Makefile `fuzz`) runs serially: one thread,
// never inside a region.
//
//===----------------------------------------------------------------------===//
#pragma once

#if __has_include(<omp.h>)
#include <omp.h>
#else
inline int omp_get_max_threads() { return 1; }
inline int omp_in_parallel() { return 0; }
#endif
