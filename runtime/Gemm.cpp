// The GEMM driver: ISA dispatch, packing, output tiles, threads, epilogues,
// and the C entry points for JIT'ed code (the contract is in runtime/Gemm.h).
//
// The product is computed in chunks of at most kChunkRowBlocks * MC rows,
// kChunkCols columns and kChunkDepth steps of k (so the packed copies stay
// a few MiB whatever the shape). For each chunk:
//   1. pack op(A) into MR-row panels and op(B) into NR-column panels, both
//      cut into k blocks of at most KC and zero-padded to whole panels;
//   2. compute the output tiles (at most MC rows x a multiple of NR columns,
//      chosen from the shape alone): for each k block, for each NR panel,
//      for each MR panel, run the micro-kernel, which starts from +0.0 in
//      the first k block of k and from the stored C afterwards; after the
//      last k block of k, hand each finished MC x NR panel to the epilogue
//      while it is in cache.
// Both run as batches of jobs for the threads (runtime/JobPool.h): either
// one batch packing everything and one with a job per tile, or, when the
// chunk has enough rows (columns) of tiles, one batch packing the smaller
// operand and one whose jobs are whole strips of tiles, each packing its
// own panels of the larger operand first (chooseStrips says why).
// Products of at most kSmallMacs multiply-adds skip all this: the level's
// small kernel reads A and B in place (smallProduct).
// Each output element is thus one fma chain in increasing k whichever
// path, chunk, tile, strip, thread or ISA level computes it (Gemm.h): no
// choice made here can change a bit, only the speed.
#include "runtime/Gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <emmintrin.h>
#include <new>
#include <string_view>

#include "ir/Support.h"
#include "runtime/GemmInternal.h"
#include "runtime/JobPool.h"
#include "runtime/OpenMP.h"
#include "runtime/Kernels.h"

namespace kiln::runtime::gemm {

// ---- ISA selection --------------------------------------------------------------

namespace {

Isa bestIsa() {
  static const Isa best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
      return Isa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      return Isa::Avx2;
    return Isa::Scalar;
  }();
  return best;
}

/// The level KILN_GEMM_ISA asks for (checked once), else the best one.
Isa initialIsa() {
  const char *env = std::getenv("KILN_GEMM_ISA");
  if (env == nullptr || *env == '\0')
    return bestIsa();
  const std::string_view want(env);
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    if (want != isaName(isa))
      continue;
    if (isaSupported(isa))
      return isa;
    std::fprintf(stderr, "kiln: KILN_GEMM_ISA=%s: this CPU cannot run it; using %s\n", env,
                 isaName(bestIsa()));
    return bestIsa();
  }
  std::fprintf(stderr, "kiln: KILN_GEMM_ISA=%s is not one of scalar, avx2, avx512; using %s\n",
               env, isaName(bestIsa()));
  return bestIsa();
}

// Process-wide like the CPU it describes: which kernels every product uses.
// -1 until the first product (or setIsaForTesting) decides.
std::atomic<int> gActiveIsa{-1};

} // namespace

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Scalar: return "scalar";
  case Isa::Avx2: return "avx2";
  case Isa::Avx512: return "avx512";
  }
  KILN_UNREACHABLE("bad Isa");
}

bool isaSupported(Isa isa) {
  switch (isa) {
  case Isa::Scalar: return true;
  case Isa::Avx2:
    bestIsa(); // runs __builtin_cpu_init
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case Isa::Avx512: return bestIsa() == Isa::Avx512;
  }
  KILN_UNREACHABLE("bad Isa");
}

Isa activeIsa() {
  int v = gActiveIsa.load(std::memory_order_relaxed);
  if (v < 0) {
    static const Isa initial = initialIsa();
    v = static_cast<int>(initial);
    int expected = -1;
    if (!gActiveIsa.compare_exchange_strong(expected, v))
      v = expected;
  }
  return static_cast<Isa>(v);
}

namespace {
// Off only while a test asks for the packed path at every size.
std::atomic<bool> gSmallProducts{true};
} // namespace

void setSmallProductsForTesting(bool enabled) {
  gSmallProducts.store(enabled, std::memory_order_relaxed);
}

bool setIsaForTesting(Isa isa) {
  if (!isaSupported(isa))
    return false;
  gActiveIsa.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

namespace {

const detail::KernelSet &kernelsFor(Isa isa) {
  switch (isa) {
  case Isa::Scalar: return detail::scalarKernels();
  case Isa::Avx2: return detail::avx2Kernels();
  case Isa::Avx512: return detail::avx512Kernels();
  }
  KILN_UNREACHABLE("bad Isa");
}

template <class T> const detail::KernelSpec<T> &specFor(Isa isa) {
  if constexpr (std::is_same_v<T, float>)
    return kernelsFor(isa).f32;
  else
    return kernelsFor(isa).f64;
}

// ---- shape-only decisions -----------------------------------------------------------

// Below this many flops (~100 us on one core of the project's machine) a
// product runs on the calling thread: waking helpers costs more than it saves.
constexpr double kParallelFlops = 8e6;
// Aim for output tiles of about this much work (~25 us on one core), at
// most kMaxTiles per chunk. Tiles are claimed one at a time from the job
// pool, so many small tiles are what lets a second thread help: the caller
// only ever waits for a tile a running helper has claimed, and with 2
// tiles per chunk (the old minimum width of 4 NR panels, at 256 columns
// and NR 32) a helper that starts late finds nothing left, while one that
// claimed half the chunk holds the caller for half of it.
constexpr double kTileFlops = 2e6;
constexpr int64_t kMaxTiles = 64;
// A tile is at least one NR panel wide and kMinTileRowPanels MR panels
// high. Narrow tiles cost no cache reuse here: a tile's packed A block (at
// most MC x KC, <= 144 KiB) stays in L2 between the panels and tiles one
// thread runs, and its B micro-panel in L1 (measured: 1 thread runs as fast
// with 1-panel tiles as with 4-panel ones, docs/performance.md).
constexpr int64_t kMinTileRowPanels = 3;
// Chunk bounds, in elements: packed A is at most (8 MC) x 1024, packed B
// 1024 x 1024 (4 MiB of f32). The depth is a number of steps, not of KC
// blocks, so every level cuts the RBM shapes (k = 784) into one chunk
// (AVX-512's KC of 128 used to make two, each with its own two job batches
// and a store and reload of C).
constexpr int64_t kChunkRowBlocks = 8, kChunkCols = 1024, kChunkDepth = 1024;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// n split into ceil(n / maxPart) parts of nearly equal size, each a
/// multiple of `unit` except the last: the size of every part but the last.
int64_t balancedPart(int64_t n, int64_t maxPart, int64_t unit) {
  const int64_t parts = ceilDiv(n, maxPart);
  return std::min(maxPart, roundUp(ceilDiv(n, parts), unit));
}

/// Scratch memory that lives with its thread: the packed panels of one
/// product. It grows to the largest chunk seen and is then reused, so a
/// training loop does not fault fresh pages every step.
class Scratch {
public:
  Scratch() = default;
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  ~Scratch() { release(); }

  void *get(size_t bytes) {
    if (bytes > bytes_) {
      const size_t grown = std::max(bytes, bytes_ + bytes_ / 2);
      release();
      ptr_ = ::operator new(grown, std::align_val_t(64));
      bytes_ = grown;
    }
    return ptr_;
  }

private:
  void release() {
    if (ptr_ != nullptr)
      ::operator delete(ptr_, std::align_val_t(64));
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void *ptr_ = nullptr;
  size_t bytes_ = 0;
};

// ---- one product ------------------------------------------------------------------

template <class T> struct Problem {
  int64_t m, n, k;
  const T *a;
  int64_t lda;
  bool ta;
  const T *b;
  int64_t ldb;
  bool tb;
  T *c;
  int64_t ldc;
  const BasicEpilogue<T> *epilogue;
  const detail::KernelSpec<T> &spec;
};

/// A rectangle of the product: rows [r0, r0+rows) x cols [c0, c0+cols) of C
/// over k steps [p0, p0+depth), with its packed panels and tiles.
struct Chunk {
  int64_t r0, rows, c0, cols, p0, depth;
  bool firstK, lastK;  // first / last chunk along k
  int64_t kb;          // k block size (all but the last block)
  int64_t rowsPad, colsPad;
  int64_t tileRows, tileCols, tilesDown, tilesAcross;
  enum class Strips : uint8_t { None, Rows, Cols } strips; // see chooseStrips
  int64_t stripTiles; // tiles across (Cols) or down (Rows) per strip
};

/// The k block holding step p of a chunk: [start, start + size).
int64_t kBlockSize(const Chunk &ch, int64_t start) { return std::min(ch.kb, ch.depth - start); }

/// One operand of a chunk as the packer sees it: panels of `width`
/// (MR rows of op(A), or NR columns of op(B)) across `extent` lanes, padded
/// to `padded`. Lane w at step p (both relative to the chunk) is
/// base[p * ld + w] when `contiguous` (op(A) stored transposed, op(B)
/// plain), else base[w * ld + p].
template <class T> struct PackSource {
  const T *base;
  int64_t ld;
  bool contiguous;
  int width;
  int64_t extent, padded;
};

// Packing jobs (for threads): one k block of up to kPackGroup panels.
constexpr int64_t kPackGroup = 16;
// A contiguous source is copied kStreamPanels panels at a time along k: a
// few read streams of whole cache lines and a few write streams (all 16
// panels at once measured ~5% slower on the RBM shape: too many write
// streams; one at a time, ~8% slower: a new cache line per step).
constexpr int64_t kStreamPanels = 4;

/// The strided packing loop's fast part: d[p * W + w] = lane[w * ld + p]
/// for p below a multiple of the SSE2 width, by in-register transposes of
/// 4 x 4 floats / 2 x 2 doubles (SSE2 is baseline x86-64). Returns the
/// first step it did not pack.
template <int W> int64_t transposeSteps(const float *lane, int64_t ld, int64_t kc, float *d) {
  static_assert(W % 2 == 0, "float panels have an even width");
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    int w = 0;
    for (; w + 4 <= W; w += 4) {
      __m128 r0 = _mm_loadu_ps(lane + w * ld + p), r1 = _mm_loadu_ps(lane + (w + 1) * ld + p);
      __m128 r2 = _mm_loadu_ps(lane + (w + 2) * ld + p), r3 = _mm_loadu_ps(lane + (w + 3) * ld + p);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      _mm_storeu_ps(d + p * W + w, r0);
      _mm_storeu_ps(d + (p + 1) * W + w, r1);
      _mm_storeu_ps(d + (p + 2) * W + w, r2);
      _mm_storeu_ps(d + (p + 3) * W + w, r3);
    }
    if (w < W) { // two lanes left (W = 6)
      const __m128 x = _mm_loadu_ps(lane + w * ld + p), y = _mm_loadu_ps(lane + (w + 1) * ld + p);
      const __m128 lo = _mm_unpacklo_ps(x, y), hi = _mm_unpackhi_ps(x, y);
      _mm_storel_pi(reinterpret_cast<__m64 *>(d + p * W + w), lo);
      _mm_storeh_pi(reinterpret_cast<__m64 *>(d + (p + 1) * W + w), lo);
      _mm_storel_pi(reinterpret_cast<__m64 *>(d + (p + 2) * W + w), hi);
      _mm_storeh_pi(reinterpret_cast<__m64 *>(d + (p + 3) * W + w), hi);
    }
  }
  return p;
}
template <int W> int64_t transposeSteps(const double *lane, int64_t ld, int64_t kc, double *d) {
  static_assert(W % 2 == 0, "double panels have an even width");
  int64_t p = 0;
  for (; p + 2 <= kc; p += 2)
    for (int w = 0; w < W; w += 2) {
      const __m128d x = _mm_loadu_pd(lane + w * ld + p), y = _mm_loadu_pd(lane + (w + 1) * ld + p);
      _mm_storeu_pd(d + p * W + w, _mm_unpacklo_pd(x, y));
      _mm_storeu_pd(d + (p + 1) * W + w, _mm_unpackhi_pd(x, y));
    }
  return p;
}

/// Packs panels [q0, q1) of k block [s, s+kc) into the chunk's packed
/// buffer: panel q at dst[padded * s + q * W * kc], lane w of step p at
/// offset p * W + w, lanes past the extent zero. Contiguous sources are
/// read row by row across several panels, so the reads stream through
/// memory (one panel at a time would touch a new cache line per step).
/// W is a template parameter so the copies are fixed-size and unrolled:
/// packing is a large share of a product of RBM size.
template <int W, class T>
void packPanels(const PackSource<T> &src, int64_t s, int64_t kc, int64_t q0, int64_t q1, T *dst) {
  T *block = dst + src.padded * s;
  if (src.contiguous) {
    for (int64_t qs = q0; qs < q1; qs += kStreamPanels) {
      const int64_t qe = std::min(q1, qs + kStreamPanels);
      for (int64_t p = 0; p < kc; ++p) {
        const T *row = src.base + (s + p) * src.ld;
        for (int64_t q = qs; q < qe; ++q) {
          T *d = block + q * W * kc + p * W;
          const int64_t w0 = q * W, live = std::min<int64_t>(W, src.extent - w0);
          if (live == W) {
            std::memcpy(d, row + w0, sizeof(T) * W);
          } else {
            for (int64_t w = 0; w < W; ++w)
              d[w] = w < live ? row[w0 + w] : T(0);
          }
        }
      }
    }
    return;
  }
  for (int64_t q = q0; q < q1; ++q) {
    T *d = block + q * W * kc;
    const int64_t w0 = q * W, live = std::min<int64_t>(W, src.extent - w0);
    const T *lane = src.base + w0 * src.ld + s;
    if (live < W) {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t w = 0; w < W; ++w)
          d[p * W + w] = w < live ? lane[w * src.ld + p] : T(0);
      continue;
    }
    int64_t p = transposeSteps<W>(lane, src.ld, kc, d);
    for (; p < kc; ++p)
      for (int w = 0; w < W; ++w)
        d[p * W + w] = lane[w * src.ld + p];
  }
}

/// packPanels for the panel width known at run time (a level's MR or NR).
template <class T>
void packPanelsOfWidth(const PackSource<T> &src, int64_t s, int64_t kc, int64_t q0, int64_t q1,
                       T *dst) {
  switch (src.width) {
  case 4: return packPanels<4>(src, s, kc, q0, q1, dst);
  case 6: return packPanels<6>(src, s, kc, q0, q1, dst);
  case 8: return packPanels<8>(src, s, kc, q0, q1, dst);
  case 12: return packPanels<12>(src, s, kc, q0, q1, dst);
  case 16: return packPanels<16>(src, s, kc, q0, q1, dst);
  case 32: return packPanels<32>(src, s, kc, q0, q1, dst);
  }
  KILN_UNREACHABLE("gemm: no packer for this panel width");
}

/// op(A) rows and op(B) columns of a chunk as pack sources.
template <class T> PackSource<T> sourceA(const Problem<T> &pr, const Chunk &ch) {
  const T *base = pr.ta ? pr.a + ch.p0 * pr.lda + ch.r0 : pr.a + ch.r0 * pr.lda + ch.p0;
  return {base, pr.lda, pr.ta, pr.spec.mr, ch.rows, ch.rowsPad};
}
template <class T> PackSource<T> sourceB(const Problem<T> &pr, const Chunk &ch) {
  const T *base = pr.tb ? pr.b + ch.c0 * pr.ldb + ch.p0 : pr.b + ch.p0 * pr.ldb + ch.c0;
  return {base, pr.ldb, !pr.tb, pr.spec.nr, ch.cols, ch.colsPad};
}


template <class T> struct PackJobs {
  PackSource<T> src;
  int64_t groups, count;
  PackJobs(const PackSource<T> &s, const Chunk &ch)
      : src(s), groups(ceilDiv(s.padded / s.width, kPackGroup)),
        count(groups * ceilDiv(ch.depth, ch.kb)) {}
  void run(const Chunk &ch, int64_t job, T *dst) const {
    const int64_t s = (job / groups) * ch.kb, q0 = (job % groups) * kPackGroup;
    const int64_t q1 = std::min(src.padded / src.width, q0 + kPackGroup);
    packPanelsOfWidth(src, s, kBlockSize(ch, s), q0, q1, dst);
  }
};

/// One micro-kernel call; a partial tile (at the chunk's bottom or right
/// edge) goes through a scratch tile so the kernel always stores MR x NR.
template <class T>
void runKernel(const detail::KernelSpec<T> &spec, int64_t kc, const T *pa, const T *pb, T *c,
               int64_t ldc, bool accumulate, int64_t rows, int64_t cols) {
  if (rows == spec.mr && cols == spec.nr) {
    spec.kernel(kc, pa, pb, c, ldc, accumulate);
    return;
  }
  alignas(64) T tile[detail::kMaxMr * detail::kMaxNr];
  const int nr = spec.nr;
  if (accumulate) {
    std::fill(tile, tile + spec.mr * nr, T(0));
    for (int64_t i = 0; i < rows; ++i)
      std::memcpy(tile + i * nr, c + i * ldc, sizeof(T) * static_cast<size_t>(cols));
  }
  spec.kernel(kc, pa, pb, tile, nr, accumulate);
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(c + i * ldc, tile + i * nr, sizeof(T) * static_cast<size_t>(cols));
}

/// Output tile t of the chunk (row-major over the tile grid).
template <class T> void computeTile(const Problem<T> &pr, const Chunk &ch, const T *pa,
                                    const T *pb, int64_t t) {
  const auto &spec = pr.spec;
  const int64_t tr0 = (t / ch.tilesAcross) * ch.tileRows;
  const int64_t tc0 = (t % ch.tilesAcross) * ch.tileCols;
  const int64_t tr1 = std::min(ch.rows, tr0 + ch.tileRows);
  const int64_t tc1 = std::min(ch.cols, tc0 + ch.tileCols);
  T *cChunk = pr.c + ch.r0 * pr.ldc + ch.c0;
  for (int64_t s = 0; s < ch.depth; s += ch.kb) {
    const int64_t kc = kBlockSize(ch, s);
    const bool accumulate = !(ch.firstK && s == 0);
    const bool finished = ch.lastK && s + kc == ch.depth;
    const T *paBlock = pa + ch.rowsPad * s, *pbBlock = pb + ch.colsPad * s;
    for (int64_t j = tc0; j < tc1; j += spec.nr) {
      const int64_t cols = std::min<int64_t>(spec.nr, tc1 - j);
      for (int64_t i = tr0; i < tr1; i += spec.mr)
        runKernel(spec, kc, paBlock + i * kc, pbBlock + j * kc, cChunk + i * pr.ldc + j, pr.ldc,
                  accumulate, std::min<int64_t>(spec.mr, tr1 - i), cols);
      if (finished && pr.epilogue != nullptr && pr.epilogue->fn != nullptr)
        pr.epilogue->fn(pr.epilogue->ctx, cChunk + tr0 * pr.ldc + j, pr.ldc, ch.r0 + tr0,
                        ch.c0 + j, tr1 - tr0, cols);
    }
  }
}

/// The tile grid of a chunk, from its shape and the kernel's blocking only
/// (never the thread count): about flops / kTileFlops tiles (at most
/// kMaxTiles), split first across columns (down to one NR panel per tile),
/// then down rows (MC-bounded, at least kMinTileRowPanels MR panels, nearly
/// equal heights).
template <class T> void chooseTiles(const detail::KernelSpec<T> &spec, Chunk &ch) {
  const double flops = 2.0 * double(ch.rows) * double(ch.cols) * double(ch.depth);
  const int64_t want = std::clamp<int64_t>(static_cast<int64_t>(flops / kTileFlops), 1, kMaxTiles);
  const int64_t panels = ceilDiv(ch.cols, spec.nr);
  const int64_t minDown = ceilDiv(ch.rows, spec.mc);
  const int64_t across = std::clamp<int64_t>(ceilDiv(want, minDown), 1, panels);
  ch.tileCols = ceilDiv(panels, across) * spec.nr;
  ch.tilesAcross = ceilDiv(ch.cols, ch.tileCols);
  const int64_t maxDown =
      std::max(minDown, ceilDiv(ch.rows, int64_t(kMinTileRowPanels) * spec.mr));
  const int64_t down = std::clamp<int64_t>(ceilDiv(want, ch.tilesAcross), minDown, maxDown);
  ch.tileRows = std::min(spec.mc, roundUp(ceilDiv(ch.rows, down), spec.mr));
  ch.tilesDown = ceilDiv(ch.rows, ch.tileRows);
}

// A chunk is computed in strips (below) when that gives at least this many
// jobs: enough to share among a few threads.
constexpr int64_t kMinStrips = 4;

/// Whether the chunk runs as strips, and which way. A strip is a whole row
/// (or column) of tiles; its job packs the strip's own panels of the larger
/// operand and then computes the strip's tiles, so those panels are
/// written and read by the same core, while still in its cache, and their
/// packing overlaps the other threads' computing. Only the smaller
/// operand is packed in the first batch. Measured at 100 x 256 x 784 with
/// both threads running: with every panel packed up front by whichever
/// thread claimed the job (so half of each tile's panels come from the
/// other core's cache), the first tile finished 70-120 us into a ~290 us
/// product; as strips, 40-55 us. Too few strips (a narrow or short
/// chunk): the tiles, after one batch that packs everything.
///
/// A strip is several tiles wide when that still leaves kMinStrips strips,
/// so that it packs at least kStreamPanels panels: a contiguous source is
/// copied row by row across the strip's panels, and one 32-float panel per
/// row (a new cache line per step) measured ~1% slower on one thread at
/// 100 x 256 x 784 than packing up front.
template <class T> void chooseStrips(const detail::KernelSpec<T> &spec, Chunk &ch) {
  using S = Chunk::Strips;
  const bool rows = ch.rowsPad > ch.colsPad;
  const int64_t count = rows ? ch.tilesDown : ch.tilesAcross;
  const int64_t perTile = rows ? ch.tileRows / spec.mr : ch.tileCols / spec.nr;
  ch.strips = count < kMinStrips ? S::None : rows ? S::Rows : S::Cols;
  ch.stripTiles = std::clamp<int64_t>(ceilDiv(kStreamPanels, perTile), 1,
                                      std::max<int64_t>(1, count / kMinStrips));
}

/// Packs every k block of panels [q0, q1) of one operand.
template <class T> void packStrip(const PackSource<T> &src, const Chunk &ch, int64_t q0, int64_t q1,
                                  T *dst) {
  for (int64_t s = 0; s < ch.depth; s += ch.kb)
    packPanelsOfWidth(src, s, kBlockSize(ch, s), q0, q1, dst);
}

template <class T> void runChunk(const Problem<T> &pr, Chunk &ch, Scratch &sa, Scratch &sb) {
  using S = Chunk::Strips;
  const auto &spec = pr.spec;
  ch.kb = balancedPart(ch.depth, spec.kc, 1);
  ch.rowsPad = roundUp(ch.rows, spec.mr);
  ch.colsPad = roundUp(ch.cols, spec.nr);
  chooseTiles(spec, ch);
  chooseStrips(spec, ch);
  T *pa = static_cast<T *>(sa.get(sizeof(T) * static_cast<size_t>(ch.rowsPad * ch.depth)));
  T *pb = static_cast<T *>(sb.get(sizeof(T) * static_cast<size_t>(ch.colsPad * ch.depth)));
  const PackJobs<T> packA(sourceA(pr, ch), ch), packB(sourceB(pr, ch), ch);
  const int64_t tiles = ch.tilesDown * ch.tilesAcross;
  const double flops = 2.0 * double(ch.rows) * double(ch.cols) * double(ch.depth);
  // OMP_NUM_THREADS / omp_set_num_threads decide the thread count, as for
  // every other kernel; the pool, not an OpenMP team, runs the jobs.
  const int threads = flops >= kParallelFlops && tiles > 1 ? omp_get_max_threads() : 1;
  switch (ch.strips) {
  case S::Cols:
    runJobs(packA.count, threads, [&](int64_t job) { packA.run(ch, job, pa); });
    runJobs(ceilDiv(ch.tilesAcross, ch.stripTiles), threads, [&](int64_t strip) {
      const int64_t t0 = strip * ch.stripTiles, t1 = std::min(ch.tilesAcross, t0 + ch.stripTiles);
      const int64_t per = ch.tileCols / spec.nr;
      packStrip(packB.src, ch, t0 * per, std::min(ch.colsPad / spec.nr, t1 * per), pb);
      for (int64_t r = 0; r < ch.tilesDown; ++r)
        for (int64_t c = t0; c < t1; ++c)
          computeTile(pr, ch, pa, pb, r * ch.tilesAcross + c);
    });
    return;
  case S::Rows:
    runJobs(packB.count, threads, [&](int64_t job) { packB.run(ch, job, pb); });
    runJobs(ceilDiv(ch.tilesDown, ch.stripTiles), threads, [&](int64_t strip) {
      const int64_t t0 = strip * ch.stripTiles, t1 = std::min(ch.tilesDown, t0 + ch.stripTiles);
      const int64_t per = ch.tileRows / spec.mr;
      packStrip(packA.src, ch, t0 * per, std::min(ch.rowsPad / spec.mr, t1 * per), pa);
      for (int64_t r = t0; r < t1; ++r)
        for (int64_t c = 0; c < ch.tilesAcross; ++c)
          computeTile(pr, ch, pa, pb, r * ch.tilesAcross + c);
    });
    return;
  case S::None:
    // Two batches: every panel is packed before any tile runs.
    runJobs(packA.count + packB.count, threads, [&](int64_t job) {
      if (job < packA.count)
        packA.run(ch, job, pa);
      else
        packB.run(ch, job - packA.count, pb);
    });
    runJobs(tiles, threads, [&](int64_t t) { computeTile(pr, ch, pa, pb, t); });
    return;
  }
}

/// Hands C to the epilogue in tiles of at most MC rows x NR columns, for
/// the paths that compute C whole (k == 0, small products).
template <class T> void epilogueByTiles(const Problem<T> &pr) {
  if (pr.epilogue == nullptr || pr.epilogue->fn == nullptr)
    return;
  for (int64_t i = 0; i < pr.m; i += pr.spec.mc)
    for (int64_t j = 0; j < pr.n; j += pr.spec.nr)
      pr.epilogue->fn(pr.epilogue->ctx, pr.c + i * pr.ldc + j, pr.ldc, i, j,
                      std::min(pr.spec.mc, pr.m - i), std::min<int64_t>(pr.spec.nr, pr.n - j));
}

/// k == 0: C is +0.0, and the epilogue still sees every element once.
template <class T> void emptyProduct(const Problem<T> &pr) {
  for (int64_t i = 0; i < pr.m; ++i)
    std::fill(pr.c + i * pr.ldc, pr.c + i * pr.ldc + pr.n, T(0));
  epilogueByTiles(pr);
}

// Products of at most this many multiply-adds (64^3; ~3 us on one core)
// skip packing: the level's small kernel reads A and B where they are.
// For them, packing, the per-chunk setup and the scratch tiles of partial
// panels cost more than the packed kernel's speed saves (32 x 8 x 16 ran
// at 0.18x OpenBLAS through the packed path). They are far below
// kParallelFlops, so they run on the calling thread either way.
constexpr int64_t kSmallMacs = 64 * 64 * 64;

/// The small path: one call of the level's small kernel (each element the
/// same fma chain as through the packed path, so the same bits), after
/// copying a transposed B to plain rows (the kernel vectorizes along a
/// row of B); then the epilogue.
template <class T> void smallProduct(const Problem<T> &pr) {
  const T *b = pr.b;
  int64_t ldb = pr.ldb;
  if (pr.tb) {
    thread_local Scratch copy;
    T *plain = static_cast<T *>(copy.get(sizeof(T) * static_cast<size_t>(pr.k * pr.n)));
    for (int64_t j = 0; j < pr.n; ++j)
      for (int64_t p = 0; p < pr.k; ++p)
        plain[p * pr.n + j] = pr.b[j * pr.ldb + p];
    b = plain;
    ldb = pr.n;
  }
  const int64_t rsa = pr.ta ? 1 : pr.lda, csa = pr.ta ? pr.lda : 1;
  pr.spec.small(pr.m, pr.n, pr.k, pr.a, rsa, csa, b, ldb, pr.c, pr.ldc);
  epilogueByTiles(pr);
}

template <class T>
void gemmImpl(int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, bool ta, const T *b,
              int64_t ldb, bool tb, T *c, int64_t ldc, const BasicEpilogue<T> *epilogue) {
  KILN_ASSERT(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension");
  KILN_ASSERT(lda >= (ta ? m : k) && ldb >= (tb ? k : n) && ldc >= n,
              "gemm: a leading dimension is smaller than its matrix's row");
  if (m == 0 || n == 0)
    return;
  const Problem<T> pr{m, n, k, a, lda, ta, b, ldb, tb, c, ldc, epilogue, specFor<T>(activeIsa())};
  if (k == 0) {
    emptyProduct(pr);
    return;
  }
  if (double(m) * double(n) * double(k) <= double(kSmallMacs) &&
      gSmallProducts.load(std::memory_order_relaxed)) {
    smallProduct(pr);
    return;
  }
  const auto &spec = pr.spec;
  const int64_t rowStep = balancedPart(m, kChunkRowBlocks * spec.mc, spec.mc);
  const int64_t colStep = balancedPart(n, kChunkCols, spec.nr);
  const int64_t kStep = balancedPart(k, kChunkDepth, 1);
  thread_local Scratch packedA, packedB;
  for (int64_t r0 = 0; r0 < m; r0 += rowStep)
    for (int64_t c0 = 0; c0 < n; c0 += colStep)
      for (int64_t p0 = 0; p0 < k; p0 += kStep) {
        Chunk ch{};
        ch.r0 = r0;
        ch.rows = std::min(rowStep, m - r0);
        ch.c0 = c0;
        ch.cols = std::min(colStep, n - c0);
        ch.p0 = p0;
        ch.depth = std::min(kStep, k - p0);
        ch.firstK = p0 == 0;
        ch.lastK = p0 + ch.depth == k;
        runChunk(pr, ch, packedA, packedB);
      }
}

} // namespace

void sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, bool transA,
           const float *b, int64_t ldb, bool transB, float *c, int64_t ldc,
           const Epilogue *epilogue) {
  gemmImpl(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, epilogue);
}

void dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, bool transA,
           const double *b, int64_t ldb, bool transB, double *c, int64_t ldc,
           const EpilogueF64 *epilogue) {
  gemmImpl(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, epilogue);
}

} // namespace kiln::runtime::gemm

extern "C" {
void kiln_rt_sgemm(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, int32_t transA,
                   const float *b, int64_t ldb, int32_t transB, float *c, int64_t ldc,
                   kiln_rt_sgemm_epilogue epilogue, void *ctx) {
  const kiln::runtime::gemm::Epilogue e{epilogue, ctx};
  kiln::runtime::gemm::sgemm(m, n, k, a, lda, transA != 0, b, ldb, transB != 0, c, ldc,
                             epilogue != nullptr ? &e : nullptr);
}
void kiln_rt_dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, int32_t transA,
                   const double *b, int64_t ldb, int32_t transB, double *c, int64_t ldc,
                   kiln_rt_dgemm_epilogue epilogue, void *ctx) {
  const kiln::runtime::gemm::EpilogueF64 e{epilogue, ctx};
  kiln::runtime::gemm::dgemm(m, n, k, a, lda, transA != 0, b, ldb, transB != 0, c, ldc,
                             epilogue != nullptr ? &e : nullptr);
}
}
