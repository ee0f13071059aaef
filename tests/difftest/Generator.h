// The random program generator: seeded, deterministic on every machine (its
// own PRNG, no <random> distributions), every program valid and finite by
// construction (docs/difftest.md lists the rules).
#pragma once

#include <cstdint>

#include "Program.h"

namespace kiln::difftest {

/// SplitMix64: the same numbers on every platform and standard library.
class Rng {
public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n), n > 0.
  int64_t below(int64_t n) { return static_cast<int64_t>(next() % static_cast<uint64_t>(n)); }
  /// Uniform in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }
  /// True with probability num/den.
  bool chance(int64_t num, int64_t den) { return below(den) < num; }

private:
  uint64_t s_;
};

struct GeneratorOptions {
  bool weave = true;     // generate WEAVE (and LOOP, which only occurs as a weave's child)
  unsigned maxDepth = 4; // nesting of compound elements
  int fuel = 28;         // roughly the number of elements
  /// Also a Tensor of another rank, updated by a shape-agnostic kernel that
  /// gets both kinds: notation.md promises one instantiation per distinct
  /// field types (issue #10 says kiln types it from one instance).
  bool mixedShapes = false;
};

/// The program of `seed`: the same on every machine.
Program generateProgram(uint64_t seed, const GeneratorOptions &options);

} // namespace kiln::difftest
