// A seeded generator of random fused groups, as whole programs in textual IR:
// random inputs (with broadcast dimensions and, sometimes, a `?` dimension),
// one `fused` op with a random chain of elementwise ops, casts, comparisons
// and selects, random draws, and optionally a matrix product first and
// reductions last; its results stored into Tensor components. Running such a
// program interpreted and compiled must give bitwise the same component state
// and random counters (FusedDifferentialTest.cpp).
//
// The generator is deterministic for a seed on every platform (its own
// splitmix64, no std:: distributions).
#pragma once

#include <cstdint>
#include <string>

namespace kiln::codegen::testing {

struct GeneratedCase {
  std::string text;      // the module
  bool expectCompiled;   // every fused op is within what codegen handles
  bool expectDecline;    // a `?` that is 1 at run time: the kernel declines
};

/// The case for `seed`. `matmul` forces (1) or forbids (0) a product; -1: random.
/// `big` makes spaces of ~100K-300K elements and products of several MFLOP,
/// large enough for kernels and the GEMM to split work between threads.
GeneratedCase generateFusedCase(uint64_t seed, int matmul = -1, bool big = false);

} // namespace kiln::codegen::testing
