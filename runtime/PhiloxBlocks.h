// Philox words of many consecutive blocks at once, hand-vectorized.
//
// philox::block (Philox.h, the scalar instantiation of mathgen::philox4x32_10)
// is the definition; blockWords gives exactly its words, four a block in
// block order, for `count` blocks starting at `first`, with AVX-512 or AVX2
// code picked at run time (GCC builds the rounds of the auto-vectorized
// loop from 64-bit products, vpmullq, instead of the 32x32->64 vpmuludq the
// algorithm needs, which held the random kernels to ~0.2x of a fill).
// Integer arithmetic only, so every level gives the same bits; tests check
// each level against philox::block.
#pragma once

#include <cstdint>

namespace kiln::runtime::philox {

/// The implementations; dispatch picks the widest one the CPU has.
enum class BlocksIsa : uint8_t {
  Scalar, // philox::block per block (the reference)
  Avx2,   // 256-bit vectors, two blocks a vector
  Avx512, // AVX-512F, four blocks a vector
};

/// "scalar", "avx2", "avx512".
const char *blocksIsaName(BlocksIsa isa);
/// Whether this CPU can run `isa`.
bool blocksIsaSupported(BlocksIsa isa);
/// The level blockWords uses (the widest supported unless a test chose one).
BlocksIsa activeBlocksIsa();
/// Makes blockWords use `isa` (process-wide); false (and no change) if the
/// CPU cannot run it. Tests only: the numbers are the same at every level.
bool setBlocksIsaForTesting(BlocksIsa isa);

/// out[4*i + j] = word j of philox::block(seed, stream, first + i) for i in
/// [0, count) (block numbers wrap modulo 2^64 like the scalar definition).
void blockWords(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, uint32_t *out);
/// The same with a given level (which the CPU must support).
void blockWordsWith(BlocksIsa isa, uint64_t seed, uint64_t stream, uint64_t first, int64_t count,
                    uint32_t *out);

/// out[4*i + j] = toUnitF32(word j of philox::block(seed, stream, first +
/// i)): the uniform f32 draws of whole blocks, converted in registers (the
/// conversion is exact, so the same bits as philox::uniformF32).
void uniformF32Blocks(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, float *out);
void uniformF32BlocksWith(BlocksIsa isa, uint64_t seed, uint64_t stream, uint64_t first,
                          int64_t count, float *out);

} // namespace kiln::runtime::philox
