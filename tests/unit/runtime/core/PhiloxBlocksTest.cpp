// The hand-vectorized Philox (runtime/PhiloxBlocks.h) at every level this CPU
// runs: bitwise philox::block over many seeds, streams, counters (carries
// into the high word, wrap modulo 2^64), lengths (every tail) and unaligned
// outputs; and the random kernels built on it equal the scalar element
// functions at every level.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "runtime/Kernels.h"
#include "runtime/Philox.h"
#include "runtime/PhiloxBlocks.h"

namespace philox = kiln::runtime::philox;
namespace kernels = kiln::runtime::kernels;
using philox::BlocksIsa;

namespace {

struct IsaGuard {
  BlocksIsa saved = philox::activeBlocksIsa();
  ~IsaGuard() { philox::setBlocksIsaForTesting(saved); }
};

std::vector<BlocksIsa> supportedIsas() {
  std::vector<BlocksIsa> v;
  for (BlocksIsa isa : {BlocksIsa::Scalar, BlocksIsa::Avx2, BlocksIsa::Avx512})
    if (philox::blocksIsaSupported(isa))
      v.push_back(isa);
  return v;
}

uint64_t splitmix(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// blockWordsWith(isa, ...) and uniformF32BlocksWith(isa, ...) written
/// `shift` words past an aligned start, with guard words on both sides,
/// against philox::block and philox::toUnitF32; returns the number of
/// mismatching words (and reports the first few).
int checkWords(BlocksIsa isa, uint64_t seed, uint64_t stream, uint64_t first, int64_t count,
               int shift) {
  constexpr uint32_t kGuard = 0xA5A5A5A5u;
  std::vector<uint32_t> buf(size_t(4 * count + 32), kGuard);
  uint32_t *out = buf.data() + 16 + shift;
  philox::blockWordsWith(isa, seed, stream, first, count, out);
  int bad = 0;
  for (int64_t i = 0; i < count; ++i) {
    philox::Counter w = philox::block(seed, stream, first + uint64_t(i));
    for (unsigned j = 0; j < 4; ++j)
      if (out[4 * i + j] != w[j] && bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " seed " << seed << " stream " << stream
                      << " block " << first + uint64_t(i) << " word " << j;
  }
  for (uint32_t *p = buf.data(); p < out; ++p)
    if (*p != kGuard && bad++ < 3)
      ADD_FAILURE() << philox::blocksIsaName(isa) << " wrote before the output";
  for (uint32_t *p = out + 4 * count; p < buf.data() + buf.size(); ++p)
    if (*p != kGuard && bad++ < 3)
      ADD_FAILURE() << philox::blocksIsaName(isa) << " wrote past the output (count " << count
                    << ")";
  const float kGuardF = -7.0f;
  std::vector<float> fbuf(size_t(4 * count + 32), kGuardF);
  float *fout = fbuf.data() + 16 + shift;
  philox::uniformF32BlocksWith(isa, seed, stream, first, count, fout);
  for (int64_t i = 0; i < count; ++i) {
    philox::Counter w = philox::block(seed, stream, first + uint64_t(i));
    for (unsigned j = 0; j < 4; ++j)
      if (std::bit_cast<uint32_t>(fout[4 * i + j]) !=
              std::bit_cast<uint32_t>(philox::toUnitF32(w[j])) &&
          bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " uniform at block "
                      << first + uint64_t(i) << " word " << j;
  }
  for (float *p = fbuf.data(); p < fout; ++p)
    if (*p != kGuardF && bad++ < 3)
      ADD_FAILURE() << philox::blocksIsaName(isa) << " uniform wrote before the output";
  for (float *p = fout + 4 * count; p < fbuf.data() + fbuf.size(); ++p)
    if (*p != kGuardF && bad++ < 3)
      ADD_FAILURE() << philox::blocksIsaName(isa) << " uniform wrote past the output";
  return bad;
}

} // namespace

TEST(PhiloxBlocks, TheWidestLevelIsActive) {
  std::vector<BlocksIsa> isas = supportedIsas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), BlocksIsa::Scalar);
  EXPECT_EQ(philox::activeBlocksIsa(), isas.back());
}

TEST(PhiloxBlocks, EveryLevelEqualsTheScalarDefinitionAtEdgeCounters) {
  const uint64_t seeds[] = {0, 1, 42, 0xFFFFFFFFull, 0x100000000ull, 0x123456789ABCDEF0ull,
                            ~0ull};
  const uint64_t streams[] = {0, 3, 0x700000001ull, ~0ull};
  // Block numbers whose low word carries into the high word, and that wrap
  // modulo 2^64, inside one vector and across vectors.
  const uint64_t firsts[] = {0, 5, 0xFFFFFFFFull - 2, 0xFFFFFFFFull - 40, ~0ull - 6,
                             ~0ull - 70, 0xDEADBEEFCAFEull};
  // Every tail length of both levels' 32- and 8-block iterations.
  const int64_t counts[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257};
  for (BlocksIsa isa : supportedIsas()) {
    int bad = 0;
    for (uint64_t seed : seeds)
      for (uint64_t stream : streams)
        for (uint64_t first : firsts)
          for (int64_t count : counts)
            bad += checkWords(isa, seed, stream, first, count, int((first + count) % 4));
    EXPECT_EQ(bad, 0) << philox::blocksIsaName(isa);
  }
}

TEST(PhiloxBlocks, EveryLevelEqualsTheScalarDefinitionAtRandomCounters) {
  for (BlocksIsa isa : supportedIsas()) {
    uint64_t s = 2026;
    int bad = 0;
    for (int trial = 0; trial < 3000 && bad == 0; ++trial) {
      const uint64_t seed = splitmix(s), stream = splitmix(s), first = splitmix(s);
      const int64_t count = int64_t(splitmix(s) % 97);
      bad += checkWords(isa, seed, stream, first, count, int(trial % 7));
    }
    EXPECT_EQ(bad, 0) << philox::blocksIsaName(isa);
  }
}

TEST(PhiloxBlocks, KernelsAtEveryLevelEqualTheScalarElementFunctions) {
  // Long enough for the tiles, the job pool's chunks and the partial blocks
  // at both ends; an offset that is not a block boundary, an output that is
  // not vector aligned.
  IsaGuard guard;
  const int64_t n = 70001;
  const uint64_t seed = 0x5EEDull << 33, stream = 7, counter = (1ull << 32) * 4 - 4003;
  for (BlocksIsa isa : supportedIsas()) {
    ASSERT_TRUE(philox::setBlocksIsaForTesting(isa));
    std::vector<float> f(size_t(n) + 1);
    std::vector<double> d(size_t(n) + 1);
    int bad = 0;
    kiln_rt_random_uniform_f32(f.data() + 1, n, seed, stream, counter);
    for (int64_t i = 0; i < n; ++i)
      if (std::bit_cast<uint32_t>(f[size_t(i) + 1]) !=
              std::bit_cast<uint32_t>(philox::uniformF32(seed, stream, counter + uint64_t(i))) &&
          bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " uniform f32 at " << i;
    kiln_rt_random_normal_f32(f.data() + 1, n, seed, stream, counter);
    for (int64_t i = 0; i < n; ++i)
      if (std::bit_cast<uint32_t>(f[size_t(i) + 1]) !=
              std::bit_cast<uint32_t>(philox::normalF32(seed, stream, counter + uint64_t(i))) &&
          bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " normal f32 at " << i;
    kernels::fillNormalF32(f.data() + 1, n, seed, stream, counter, 0.02f);
    for (int64_t i = 0; i < n; ++i)
      if (std::bit_cast<uint32_t>(f[size_t(i) + 1]) !=
              std::bit_cast<uint32_t>(philox::normalF32(seed, stream, counter + uint64_t(i)) *
                                      0.02f) &&
          bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " scaled normal f32 at " << i;
    kiln_rt_random_uniform_f64(d.data() + 1, n, seed, stream, counter + 1);
    for (int64_t i = 0; i < n; ++i)
      if (std::bit_cast<uint64_t>(d[size_t(i) + 1]) !=
              std::bit_cast<uint64_t>(philox::uniformF64(seed, stream, counter + 1 + uint64_t(i))) &&
          bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " uniform f64 at " << i;
    kiln_rt_random_normal_f64(d.data() + 1, n, seed, stream, counter + 1);
    for (int64_t i = 0; i < n; ++i)
      if (std::bit_cast<uint64_t>(d[size_t(i) + 1]) !=
              std::bit_cast<uint64_t>(philox::normalF64(seed, stream, counter + 1 + uint64_t(i))) &&
          bad++ < 3)
        ADD_FAILURE() << philox::blocksIsaName(isa) << " normal f64 at " << i;
    EXPECT_EQ(bad, 0) << philox::blocksIsaName(isa);
  }
}
