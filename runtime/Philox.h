// Philox 4x32-10: kiln's counter-based random number generator.
//
// Counter-based means a draw is a pure function of (key, counter): element i
// of a random tensor does not depend on which thread computes it, in which
// order, whether the run was resumed from a checkpoint, or whether the
// interpreter or JIT'ed code computes it. This is what makes kiln's runs
// bitwise reproducible (DESIGN.md, "Determinism").
//
// Algorithm: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
// as 1, 2, 3" (SC'11), Philox4x32 with 10 rounds, as in Random123; checked
// against Random123's published known-answer vectors (tests/unit/runtime).
//
// The arithmetic (the Philox rounds, words -> uniform floats) is defined once,
// as generators, in runtime/MathGen.h, which codegen instantiates too; the
// functions below are their scalar instantiations plus the mapping of element
// offsets to counters and words. The random kernels take the words of many
// blocks at once from PhiloxBlocks.h (hand-vectorized, tested against
// block() below).
//
// How kiln maps its draws onto Philox (the JIT must do exactly the same):
//   key     = { low32(seed), high32(seed) }
//   counter = { low32(block), high32(block), low32(stream), high32(stream) }
// A random op's draws are numbered by an element offset `o` (the VM keeps a
// counter per op and advances it by the number of elements drawn, so one
// draw of n+m elements equals a draw of n followed by a draw of m):
//   uniform f32 at o : block o/4, word o%4, (w >> 8) * 2^-24       in [0, 1)
//   uniform f64 at o : block o/2, words 2(o%2) (low) and 2(o%2)+1 (high),
//                      (u64 >> 11) * 2^-53                          in [0, 1)
//   normal f32 at o  : f32 Box-Muller (mathgen::normal_pair_f32) on block
//                      o/4, pair (o%4)/2 = words (wa, wb) = (0, 1) or
//                      (2, 3): u1 = sitofp(wa >> 1) * 2^-31 + 2^-32 in
//                      (0, 1], u2 = (wb >> 8) * 2^-24 in [0, 1),
//                      r = sqrt(-2 log(u1)), o even -> r*cos(2 pi u2),
//                      o odd -> r*sin(2 pi u2), every step in f32 with
//                      kiln's log_f32 and sincos2pi_f32 (four normals a
//                      block; until 2026-12-04 f32 normals were the f64
//                      ones below rounded)
//   normal f64 at o  : Box-Muller on block o/2 with the two f64 uniforms
//                      u1 = 1 - U(words 0,1) in (0, 1], u2 = U(words 2,3):
//                      r = sqrt(-2 log(u1)), o even -> r*cos(2 pi u2),
//                      o odd -> r*sin(2 pi u2), in f64 with kiln's own log
//                      and sincos2pi_f64
//   (MathGen.h: no libm, so the same bits on every machine and in compiled
//   kernels)
//   bernoulli(p) at o: (uniform of p's type at o) < p ? 1 : 0
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "runtime/KilnMath.h"
#include "runtime/MathGen.h"
#include "runtime/MathScalar.h"

namespace kiln::runtime::philox {

using Counter = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

/// One Philox4x32 bijection: 10 rounds of S-box + key schedule
/// (mathgen::philox4x32_10, the definition codegen shares).
inline Counter philox4x32_10(Counter c, Key k) {
  mathgen::ScalarEval b;
  std::array<int32_t, 4> w = mathgen::philox4x32_10(b, int32_t(c[0]), int32_t(c[1]), int32_t(c[2]),
                                                    int32_t(c[3]), int32_t(k[0]), int32_t(k[1]));
  return {uint32_t(w[0]), uint32_t(w[1]), uint32_t(w[2]), uint32_t(w[3])};
}

inline Key keyFor(uint64_t seed) {
  return {uint32_t(seed), uint32_t(seed >> 32)};
}
inline Counter counterFor(uint64_t stream, uint64_t block) {
  return {uint32_t(block), uint32_t(block >> 32), uint32_t(stream), uint32_t(stream >> 32)};
}
/// The four words of block `block` of stream (seed, stream).
inline Counter block(uint64_t seed, uint64_t stream, uint64_t block) {
  return philox4x32_10(counterFor(stream, block), keyFor(seed));
}

/// Top 24 bits of a word as a float in [0, 1).
inline float toUnitF32(uint32_t w) {
  mathgen::ScalarEval b;
  return mathgen::uniform_f32_from_word(b, int32_t(w));
}
/// Top 53 bits of (hi:lo) as a double in [0, 1).
inline double toUnitF64(uint32_t lo, uint32_t hi) {
  mathgen::ScalarEval b;
  return mathgen::uniform_f64_from_words(b, int32_t(lo), int32_t(hi));
}

/// Uniform f32 in [0, 1) at element offset `o` of (seed, stream).
inline float uniformF32(uint64_t seed, uint64_t stream, uint64_t o) {
  return toUnitF32(block(seed, stream, o / 4)[o % 4]);
}
/// Uniform f64 in [0, 1) at element offset `o` of (seed, stream).
inline double uniformF64(uint64_t seed, uint64_t stream, uint64_t o) {
  Counter w = block(seed, stream, o / 2);
  unsigned j = unsigned(o % 2) * 2;
  return toUnitF64(w[j], w[j + 1]);
}

/// The Box-Muller pair of block `blk` (elements 2*blk and 2*blk+1).
inline std::array<double, 2> normalPair(uint64_t seed, uint64_t stream, uint64_t blk) {
  Counter w = block(seed, stream, blk);
  mathgen::ScalarEval b;
  return mathgen::normal_pair_f64(b, int32_t(w[0]), int32_t(w[1]), int32_t(w[2]),
                                  int32_t(w[3]));
}
/// Standard normal (f64) at element offset `o` of (seed, stream).
inline double normalF64(uint64_t seed, uint64_t stream, uint64_t o) {
  return normalPair(seed, stream, o / 2)[o % 2];
}

/// The four f32 normals of block `blk` (elements 4*blk .. 4*blk+3).
inline std::array<float, 4> normalQuadF32(uint64_t seed, uint64_t stream, uint64_t blk) {
  Counter w = block(seed, stream, blk);
  mathgen::ScalarEval b;
  std::array<float, 2> lo = mathgen::normal_pair_f32(b, int32_t(w[0]), int32_t(w[1]));
  std::array<float, 2> hi = mathgen::normal_pair_f32(b, int32_t(w[2]), int32_t(w[3]));
  return {lo[0], lo[1], hi[0], hi[1]};
}
/// Standard normal (f32) at element offset `o` of (seed, stream).
inline float normalF32(uint64_t seed, uint64_t stream, uint64_t o) {
  Counter w = block(seed, stream, o / 4);
  unsigned j = unsigned(o % 4) & 2u;
  mathgen::ScalarEval b;
  return mathgen::normal_pair_f32(b, int32_t(w[j]), int32_t(w[j + 1]))[o % 2];
}

} // namespace kiln::runtime::philox
