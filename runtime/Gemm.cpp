// The GEMM driver: ISA dispatch, packing, output tiles, threads, epilogues,
// and the C entry points for JIT'ed code (the contract is in runtime/Gemm.h).
//
// The product is computed in chunks of at most kChunkRowBlocks * MC rows,
// kChunkColPanels * NR columns and kChunkKBlocks * KC steps of k (so the
// packed copies stay a few MiB whatever the shape). For each chunk:
//   1. pack op(A) into MR-row panels and op(B) into NR-column panels, both
//      cut into k blocks of at most KC and zero-padded to whole panels
//      (parallel over panels);
//   2. compute the output tiles (at most MC rows x a multiple of NR columns,
//      chosen from the shape alone; parallel, static schedule over tiles):
//      for each k block, for each NR panel, for each MR panel, run the
//      micro-kernel, which starts from +0.0 in the first k block of k and
//      from the stored C afterwards; after the last k block of k, hand each
//      finished MC x NR panel to the epilogue while it is in cache.
// Each output element is thus one fma chain in increasing k whichever
// chunk, tile, thread or ISA level computes it (Gemm.h): no choice made
// here can change a bit, only the speed.
#include "runtime/Gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <omp.h>
#include <string_view>

#include "ir/Support.h"
#include "runtime/GemmInternal.h"
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
// product runs on the calling thread: waking a team costs more than it saves.
constexpr double kParallelFlops = 8e6;
// Aim for output tiles of at least this much work, and at most kMaxTiles
// tiles per chunk: enough to spread over a few cores with a static schedule.
constexpr double kTileFlops = 2e6;
constexpr int64_t kMaxTiles = 64;
// A tile is at least this many NR panels wide, so the packed A block each
// tile streams from L3 into L2 is reused over several panels.
constexpr int64_t kMinTilePanels = 4;
// Chunk bounds: packed A is at most (8 MC) x (4 KC), packed B (4 KC) x (64 NR).
constexpr int64_t kChunkRowBlocks = 8, kChunkColPanels = 64, kChunkKBlocks = 4;

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
      release();
      bytes_ = std::max(bytes, bytes_ + bytes_ / 2);
      ptr_ = ::operator new(bytes_, std::align_val_t(64));
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
};

/// The k block holding step p of a chunk: [start, start + size).
int64_t kBlockSize(const Chunk &ch, int64_t start) { return std::min(ch.kb, ch.depth - start); }

/// Packs MR-row panel `panel` of op(A) over every k block of the chunk: in
/// block [s, s+kc) the panel occupies pa[rowsPad * s + panel * MR * kc ...],
/// element (i, p) at offset p * MR + i; rows past the chunk are zero.
template <class T> void packAPanel(const Problem<T> &pr, const Chunk &ch, int64_t panel, T *pa) {
  const int mr = pr.spec.mr;
  const int64_t i0 = panel * mr, live = std::min<int64_t>(mr, ch.rows - i0);
  for (int64_t s = 0; s < ch.depth; s += ch.kb) {
    const int64_t kc = kBlockSize(ch, s);
    T *dst = pa + ch.rowsPad * s + i0 * kc;
    const int64_t row = ch.r0 + i0, p0 = ch.p0 + s;
    if (pr.ta) {
      // op(A)(i, p) = a[p * lda + i]: MR contiguous elements per p.
      for (int64_t p = 0; p < kc; ++p) {
        const T *src = pr.a + (p0 + p) * pr.lda + row;
        T *d = dst + p * mr;
        for (int64_t i = 0; i < live; ++i)
          d[i] = src[i];
        for (int64_t i = live; i < mr; ++i)
          d[i] = T(0);
      }
    } else {
      for (int64_t i = 0; i < live; ++i) {
        const T *src = pr.a + (row + i) * pr.lda + p0;
        for (int64_t p = 0; p < kc; ++p)
          dst[p * mr + i] = src[p];
      }
      for (int64_t i = live; i < mr; ++i)
        for (int64_t p = 0; p < kc; ++p)
          dst[p * mr + i] = T(0);
    }
  }
}

/// Packs NR-column panel `panel` of op(B): in block [s, s+kc) it occupies
/// pb[colsPad * s + panel * NR * kc ...], element (p, j) at p * NR + j;
/// columns past the chunk are zero.
template <class T> void packBPanel(const Problem<T> &pr, const Chunk &ch, int64_t panel, T *pb) {
  const int nr = pr.spec.nr;
  const int64_t j0 = panel * nr, live = std::min<int64_t>(nr, ch.cols - j0);
  for (int64_t s = 0; s < ch.depth; s += ch.kb) {
    const int64_t kc = kBlockSize(ch, s);
    T *dst = pb + ch.colsPad * s + j0 * kc;
    const int64_t col = ch.c0 + j0, p0 = ch.p0 + s;
    if (!pr.tb) {
      // op(B)(p, j) = b[p * ldb + j]: NR contiguous elements per p.
      for (int64_t p = 0; p < kc; ++p) {
        const T *src = pr.b + (p0 + p) * pr.ldb + col;
        T *d = dst + p * nr;
        for (int64_t j = 0; j < live; ++j)
          d[j] = src[j];
        for (int64_t j = live; j < nr; ++j)
          d[j] = T(0);
      }
    } else {
      for (int64_t j = 0; j < live; ++j) {
        const T *src = pr.b + (col + j) * pr.ldb + p0;
        for (int64_t p = 0; p < kc; ++p)
          dst[p * nr + j] = src[p];
      }
      for (int64_t j = live; j < nr; ++j)
        for (int64_t p = 0; p < kc; ++p)
          dst[p * nr + j] = T(0);
    }
  }
}

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

/// The tile grid of a chunk: MC-bounded row tiles of nearly equal height;
/// column tiles of at least kMinTilePanels panels, as many as make tiles of
/// about kTileFlops (at most kMaxTiles tiles in all).
template <class T> void chooseTiles(const detail::KernelSpec<T> &spec, Chunk &ch) {
  ch.tileRows = balancedPart(ch.rows, spec.mc, spec.mr);
  ch.tilesDown = ceilDiv(ch.rows, ch.tileRows);
  const double flops = 2.0 * double(ch.rows) * double(ch.cols) * double(ch.depth);
  const int64_t want = std::clamp<int64_t>(static_cast<int64_t>(flops / kTileFlops), 1, kMaxTiles);
  const int64_t maxAcross = std::max<int64_t>(1, ceilDiv(ch.cols, kMinTilePanels * spec.nr));
  const int64_t across = std::clamp<int64_t>(ceilDiv(want, ch.tilesDown), 1, maxAcross);
  ch.tileCols = roundUp(ceilDiv(ch.cols, across), spec.nr);
  ch.tilesAcross = ceilDiv(ch.cols, ch.tileCols);
}

template <class T> void runChunk(const Problem<T> &pr, Chunk &ch, Scratch &sa, Scratch &sb) {
  const auto &spec = pr.spec;
  ch.kb = balancedPart(ch.depth, spec.kc, 1);
  ch.rowsPad = roundUp(ch.rows, spec.mr);
  ch.colsPad = roundUp(ch.cols, spec.nr);
  chooseTiles(spec, ch);
  T *pa = static_cast<T *>(sa.get(sizeof(T) * static_cast<size_t>(ch.rowsPad * ch.depth)));
  T *pb = static_cast<T *>(sb.get(sizeof(T) * static_cast<size_t>(ch.colsPad * ch.depth)));
  const int64_t aPanels = ch.rowsPad / spec.mr, bPanels = ch.colsPad / spec.nr;
  const int64_t tiles = ch.tilesDown * ch.tilesAcross;
  const double flops = 2.0 * double(ch.rows) * double(ch.cols) * double(ch.depth);
  if (flops >= kParallelFlops && tiles > 1 && omp_get_max_threads() > 1) {
#pragma omp parallel
    {
#pragma omp for schedule(static) nowait
      for (int64_t i = 0; i < aPanels; ++i)
        packAPanel(pr, ch, i, pa);
#pragma omp for schedule(static)
      for (int64_t j = 0; j < bPanels; ++j)
        packBPanel(pr, ch, j, pb);
      // (the barrier above: every panel is packed before any tile runs)
#pragma omp for schedule(static)
      for (int64_t t = 0; t < tiles; ++t)
        computeTile(pr, ch, pa, pb, t);
    }
  } else {
    for (int64_t i = 0; i < aPanels; ++i)
      packAPanel(pr, ch, i, pa);
    for (int64_t j = 0; j < bPanels; ++j)
      packBPanel(pr, ch, j, pb);
    for (int64_t t = 0; t < tiles; ++t)
      computeTile(pr, ch, pa, pb, t);
  }
}

/// k == 0: C is +0.0, and the epilogue still sees every element once.
template <class T> void emptyProduct(const Problem<T> &pr) {
  for (int64_t i = 0; i < pr.m; ++i)
    std::fill(pr.c + i * pr.ldc, pr.c + i * pr.ldc + pr.n, T(0));
  if (pr.epilogue == nullptr || pr.epilogue->fn == nullptr)
    return;
  for (int64_t i = 0; i < pr.m; i += pr.spec.mc)
    for (int64_t j = 0; j < pr.n; j += pr.spec.nr)
      pr.epilogue->fn(pr.epilogue->ctx, pr.c + i * pr.ldc + j, pr.ldc, i, j,
                      std::min(pr.spec.mc, pr.m - i), std::min<int64_t>(pr.spec.nr, pr.n - j));
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
  const auto &spec = pr.spec;
  const int64_t rowStep = balancedPart(m, kChunkRowBlocks * spec.mc, spec.mc);
  const int64_t colStep = balancedPart(n, kChunkColPanels * spec.nr, spec.nr);
  const int64_t kStep = balancedPart(k, kChunkKBlocks * spec.kc, 1);
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
