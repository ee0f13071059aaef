// kiln's GEMM (runtime/Gemm.h) against the definition it promises: every
// output element is one std::fma chain over k in increasing order from
// +0.0. Bitwise, for many shapes (tails around every ISA level's MR, NR, MC,
// KC and chunk bounds), all transpose flags, padded leading dimensions,
// special values, f32 and f64, every ISA level this CPU has, 1 and 2
// threads; and the epilogue contract (each element once, final values).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <omp.h>
#include <set>
#include <thread>
#include <vector>

#include "runtime/Gemm.h"
#include "runtime/JobPool.h"
#include "runtime/Kernels.h"
#include "tests/unit/runtime/core/PoolTestUtil.h"

namespace gemm = kiln::runtime::gemm;
using gemm::Isa;

namespace {

/// A matrix stored row-major with a leading dimension (>= its width).
template <class T> struct Mat {
  int64_t rows = 0, cols = 0, ld = 0;
  std::vector<T> data;
  Mat(int64_t r, int64_t c, int64_t pad, T fill = T(0))
      : rows(r), cols(c), ld(c + pad), data(static_cast<size_t>(std::max<int64_t>(1, r * (c + pad))), fill) {}
  T &at(int64_t i, int64_t j) { return data[static_cast<size_t>(i * ld + j)]; }
  T at(int64_t i, int64_t j) const { return data[static_cast<size_t>(i * ld + j)]; }
};

/// Deterministic values in [-1, 1) with a few exact small integers mixed in
/// (so some products cancel exactly and produce zeros of either sign).
template <class T> void fillRandom(Mat<T> &x, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < x.rows; ++i)
    for (int64_t j = 0; j < x.cols; ++j) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t r = s >> 11;
      x.at(i, j) = (r % 7 == 0) ? T(int64_t(r % 5) - 2) : T(double(r) * 0x1p-52 - 1.0);
    }
}

/// The definition: acc = +0; acc = fma(opA(i,p), opB(p,j), acc) for p = 0..k-1.
template <class T>
Mat<T> reference(int64_t m, int64_t n, int64_t k, const Mat<T> &a, bool ta, const Mat<T> &b,
                 bool tb) {
  Mat<T> c(m, n, 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T acc = T(0);
      for (int64_t p = 0; p < k; ++p)
        acc = std::fma(ta ? a.at(p, i) : a.at(i, p), tb ? b.at(j, p) : b.at(p, j), acc);
      c.at(i, j) = acc;
    }
  return c;
}

template <class T> bool sameBits(T x, T y) {
  if (std::isnan(x) && std::isnan(y))
    return true; // which NaN is not pinned (Gemm.h)
  return std::memcmp(&x, &y, sizeof(T)) == 0;
}

template <class T>
void run(int64_t m, int64_t n, int64_t k, const Mat<T> &a, bool ta, const Mat<T> &b, bool tb,
         Mat<T> &c, const gemm::BasicEpilogue<T> *epi = nullptr) {
  if constexpr (std::is_same_v<T, float>)
    gemm::sgemm(m, n, k, a.data.data(), a.ld, ta, b.data.data(), b.ld, tb, c.data.data(), c.ld, epi);
  else
    gemm::dgemm(m, n, k, a.data.data(), a.ld, ta, b.data.data(), b.ld, tb, c.data.data(), c.ld, epi);
}

/// op(A) and op(B) for the flags, with `pad` extra elements per row.
template <class T> struct Operands {
  Mat<T> a, b;
  Operands(int64_t m, int64_t n, int64_t k, bool ta, bool tb, int64_t pad, uint64_t seed)
      : a(ta ? k : m, ta ? m : k, pad), b(tb ? n : k, tb ? k : n, pad) {
    fillRandom(a, seed);
    fillRandom(b, seed + 1);
  }
};

/// Runs the product into a C whose padding and initial values are NaN
/// sentinels, checks every element against the reference bitwise and that
/// the padding is untouched. Returns C.
template <class T>
Mat<T> checkAgainstReference(int64_t m, int64_t n, int64_t k, const Mat<T> &a, bool ta,
                             const Mat<T> &b, bool tb, int64_t cpad) {
  const T sentinel = std::numeric_limits<T>::quiet_NaN();
  Mat<T> c(m, n, cpad, sentinel);
  run(m, n, k, a, ta, b, tb, c);
  const Mat<T> want = reference(m, n, k, a, ta, b, tb);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      if (!sameBits(c.at(i, j), want.at(i, j))) {
        ADD_FAILURE() << gemm::isaName(gemm::activeIsa()) << " " << m << "x" << n << "x" << k
                      << " ta=" << ta << " tb=" << tb << ": C(" << i << "," << j << ") = " << c.at(i, j)
                      << ", want " << want.at(i, j);
        return c;
      }
    }
    for (int64_t j = n; j < n + cpad; ++j)
      if (!std::isnan(c.at(i, j))) {
        ADD_FAILURE() << "padding of C row " << i << " was written";
        return c;
      }
  }
  return c;
}

/// Restores the ISA level when a test is done with forcing one.
struct IsaGuard {
  Isa saved = gemm::activeIsa();
  ~IsaGuard() { gemm::setIsaForTesting(saved); }
};

std::vector<Isa> supportedIsas() {
  std::vector<Isa> v;
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
    if (gemm::isaSupported(isa))
      v.push_back(isa);
  return v;
}

// Shapes around the blocking of every level: MR 4/6/12, NR 4/8/16/32,
// MC 64/72/144, KC 128/256, chunks of 8 MC rows, 1024 columns, 1024 steps;
// and of the small-product kernels: blocks of 4 rows x 2 vectors (4/8/16
// lanes), a last block of one vector, the 64^3 multiply-add bound.
struct Shape {
  int64_t m, n, k;
};
const Shape kShapes[] = {
    {1, 1, 1},     {1, 1, 7},     {2, 3, 1},     {3, 5, 2},       {4, 4, 4},     {5, 3, 17},
    {6, 16, 9},    {7, 17, 13},   {11, 31, 29},  {12, 32, 31},    {13, 33, 37},  {5, 8, 257},
    {6, 15, 256},  {19, 9, 129},  {23, 47, 128}, {37, 41, 255},   {64, 1, 3},    {65, 2, 5},
    {73, 19, 11},  {145, 18, 7},  {143, 50, 3},  {71, 65, 97},    {1, 1025, 3},  {3, 1100, 2},
    {2, 3, 1030},  {1160, 3, 2},  {1, 64, 2049}, {150, 130, 140},
    {8, 7, 5},     {9, 9, 3},     {3, 15, 8},    {4, 16, 2},      {10, 17, 6},   {5, 31, 9},
    {7, 33, 4},    {6, 65, 3},    {32, 8, 16},   {64, 64, 64},    {64, 64, 65},  {1, 4096, 64},
};

/// Turns the small-product path off for a test, and back on after.
struct PackedOnly {
  PackedOnly() { gemm::setSmallProductsForTesting(false); }
  ~PackedOnly() { gemm::setSmallProductsForTesting(true); }
};

template <class T> void checkAllShapes() {
  uint64_t seed = 1;
  for (const Shape &s : kShapes)
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      const int64_t pad = (seed % 3 == 0) ? 0 : int64_t(seed % 5);
      Operands<T> op(s.m, s.n, s.k, ta, tb, pad, seed++);
      checkAgainstReference(s.m, s.n, s.k, op.a, ta, op.b, tb, pad + int64_t(flags));
    }
}

} // namespace

TEST(Gemm, EveryLevelMatchesTheFmaChainF32) {
  IsaGuard guard;
  for (Isa isa : supportedIsas()) {
    ASSERT_TRUE(gemm::setIsaForTesting(isa));
    checkAllShapes<float>();
  }
}

TEST(Gemm, EveryLevelMatchesTheFmaChainF64) {
  IsaGuard guard;
  for (Isa isa : supportedIsas()) {
    ASSERT_TRUE(gemm::setIsaForTesting(isa));
    checkAllShapes<double>();
  }
}

// The same shapes with the small-product path off: the small ones then go
// through packing and partial register tiles, which must give the same
// bits (both are the definition).
TEST(Gemm, PackedPathMatchesTheFmaChainAtEverySize) {
  IsaGuard guard;
  PackedOnly packed;
  for (Isa isa : supportedIsas()) {
    ASSERT_TRUE(gemm::setIsaForTesting(isa));
    checkAllShapes<float>();
    checkAllShapes<double>();
  }
}

// Small products, directly: the small path and the packed one agree bit for
// bit on every level (and across levels), all flags, with special values
// (the definition check above uses finite values only).
TEST(Gemm, SmallPathAgreesBitwiseWithThePackedPath) {
  IsaGuard guard;
  const Shape shapes[] = {{32, 8, 16}, {5, 33, 7}, {17, 20, 64}, {64, 64, 64}, {1, 1, 300}};
  for (const Shape &s : shapes)
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      Operands<float> op(s.m, s.n, s.k, ta, tb, 1, 70 + uint64_t(flags));
      op.a.data[1] = std::numeric_limits<float>::infinity();
      op.b.data[2] = -0.0f;
      op.b.data[0] = std::numeric_limits<float>::denorm_min();
      std::vector<Mat<float>> results;
      for (Isa isa : supportedIsas()) {
        ASSERT_TRUE(gemm::setIsaForTesting(isa));
        for (bool small : {true, false}) {
          gemm::setSmallProductsForTesting(small);
          Mat<float> c(s.m, s.n, 2, -1.0f);
          run(s.m, s.n, s.k, op.a, ta, op.b, tb, c);
          results.push_back(std::move(c));
        }
      }
      gemm::setSmallProductsForTesting(true);
      for (const Mat<float> &r : results)
        for (int64_t i = 0; i < s.m; ++i)
          for (int64_t j = 0; j < s.n + 2; ++j)
            ASSERT_TRUE(sameBits(r.at(i, j), results[0].at(i, j)))
                << s.m << "x" << s.n << "x" << s.k << " ta=" << ta << " tb=" << tb << " at " << i
                << "," << j;
    }
}

TEST(Gemm, Avx512RunsWhenTheCpuHasIt) {
  if (!gemm::isaSupported(Isa::Avx512))
    GTEST_SKIP() << "this CPU has no AVX-512F: the AVX-512 kernels are compiled but not run";
  IsaGuard guard;
  ASSERT_TRUE(gemm::setIsaForTesting(Isa::Avx512));
  EXPECT_EQ(gemm::activeIsa(), Isa::Avx512);
  Operands<float> op(100, 256, 784, false, false, 0, 7);
  checkAgainstReference(int64_t(100), int64_t(256), int64_t(784), op.a, false, op.b, false, 0);
}

TEST(Gemm, LevelsSelection) {
  IsaGuard guard;
  EXPECT_TRUE(gemm::isaSupported(Isa::Scalar));
  EXPECT_STREQ(gemm::isaName(Isa::Avx2), "avx2");
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
    EXPECT_EQ(gemm::setIsaForTesting(isa), gemm::isaSupported(isa)) << gemm::isaName(isa);
    if (gemm::isaSupported(isa)) {
      EXPECT_EQ(gemm::activeIsa(), isa);
    }
  }
}

TEST(Gemm, EveryLevelAgreesBitwiseOnALargeProduct) {
  IsaGuard guard;
  // The RBM shapes: v0 @ W and the weight update v0.T @ h (transA).
  for (int flags = 0; flags < 4; ++flags) {
    const bool ta = flags & 1, tb = flags & 2;
    const int64_t m = ta ? 256 : 100, n = 256, k = ta ? 100 : 784;
    Operands<float> op(m, n, k, ta, tb, 0, 11 + uint64_t(flags));
    std::vector<float> first;
    for (Isa isa : supportedIsas()) {
      ASSERT_TRUE(gemm::setIsaForTesting(isa));
      Mat<float> c(m, n, 0);
      run(m, n, k, op.a, ta, op.b, tb, c);
      if (first.empty()) {
        first = c.data;
        // The scalar level is the definition, on the whole product too.
        const Mat<float> want = reference(m, n, k, op.a, ta, op.b, tb);
        EXPECT_EQ(std::memcmp(first.data(), want.data.data(), sizeof(float) * first.size()), 0)
            << "flags " << flags;
      } else
        EXPECT_EQ(std::memcmp(first.data(), c.data.data(), sizeof(float) * first.size()), 0)
            << gemm::isaName(isa) << " differs from scalar, flags " << flags;
    }
  }
}

TEST(Gemm, SpecialValues) {
  IsaGuard guard;
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float denorm = std::numeric_limits<float>::denorm_min();
  const float specials[] = {nan, inf, -inf, -0.0f, 0.0f, denorm, -denorm * 3, 1e-30f, 3e38f, -2.5e38f,
                            std::numeric_limits<float>::min()};
  for (Isa isa : supportedIsas()) {
    ASSERT_TRUE(gemm::setIsaForTesting(isa));
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      const int64_t m = 29, n = 37, k = 41;
      Operands<float> op(m, n, k, ta, tb, 1, 100 + uint64_t(flags));
      // Sprinkle specials, keeping most elements ordinary so that NaN does
      // not swallow everything.
      int s = 0;
      for (size_t i = 0; i < op.a.data.size(); i += 13)
        op.a.data[i] = specials[s++ % std::size(specials)];
      for (size_t i = 5; i < op.b.data.size(); i += 17)
        op.b.data[i] = specials[s++ % std::size(specials)];
      checkAgainstReference(m, n, k, op.a, ta, op.b, tb, 2);
      // Denormal-only operands: products underflow; no flush to zero.
      Operands<float> tiny(m, n, k, ta, tb, 0, 200 + uint64_t(flags));
      for (float &x : tiny.a.data)
        x *= 1e-20f;
      for (float &x : tiny.b.data)
        x *= 1e-19f;
      checkAgainstReference(m, n, k, tiny.a, ta, tiny.b, tb, 0);
    }
    // Every product -0.0: the chain starts at +0.0, so the result is +0.0.
    Mat<double> a(7, 5, 0, -0.0), b(5, 9, 0, 1.0);
    Mat<double> c = checkAgainstReference(int64_t(7), int64_t(9), int64_t(5), a, false, b, false, 0);
    EXPECT_FALSE(std::signbit(c.at(3, 4)));
  }
}

TEST(Gemm, EmptyDimensions) {
  // k == 0: +0.0 everywhere (over NaN garbage), padding untouched; m or n
  // == 0: nothing is written.
  Mat<float> a(4, 0, 2), b(0, 3, 3);
  checkAgainstReference(int64_t(4), int64_t(3), int64_t(0), a, false, b, false, 2);
  Mat<float> c(2, 2, 0, 5.0f);
  gemm::sgemm(0, 2, 3, nullptr, 3, false, nullptr, 2, false, c.data.data(), 2);
  gemm::sgemm(2, 0, 3, nullptr, 3, false, nullptr, 0, false, c.data.data(), 2);
  EXPECT_EQ(c.data, std::vector<float>(4, 5.0f));
}

TEST(Gemm, ThreadCountDoesNotChangeBits) {
  // Above the parallel threshold (a few MFLOP), f32 and f64, all flags.
  const int saved = omp_get_max_threads();
  for (int flags = 0; flags < 4; ++flags) {
    const bool ta = flags & 1, tb = flags & 2;
    Operands<float> op(300, 200, 150, ta, tb, 3, 300 + uint64_t(flags));
    Operands<double> opd(210, 130, 170, ta, tb, 1, 400 + uint64_t(flags));
    Mat<float> one(300, 200, 0), two(300, 200, 0);
    Mat<double> oned(210, 130, 2), twod(210, 130, 2);
    omp_set_num_threads(1);
    run(300, 200, 150, op.a, ta, op.b, tb, one);
    run(210, 130, 170, opd.a, ta, opd.b, tb, oned);
    omp_set_num_threads(2);
    run(300, 200, 150, op.a, ta, op.b, tb, two);
    run(210, 130, 170, opd.a, ta, opd.b, tb, twod);
    EXPECT_EQ(std::memcmp(one.data.data(), two.data.data(), sizeof(float) * one.data.size()), 0);
    EXPECT_EQ(std::memcmp(oned.data.data(), twod.data.data(), sizeof(double) * oned.data.size()), 0);
    // Right after a batch whose helper stalled (the job pool then runs some
    // batches on the caller alone, JobPool.cpp): the same bits, whichever
    // batches of the product ran solo.
    kiln::runtime::pooltest::stallAHelper(); // the pool goes solo for a while
    Mat<float> three(300, 200, 0);
    Mat<double> threed(210, 130, 2);
    run(300, 200, 150, op.a, ta, op.b, tb, three);
    run(210, 130, 170, opd.a, ta, opd.b, tb, threed);
    EXPECT_EQ(std::memcmp(one.data.data(), three.data.data(), sizeof(float) * one.data.size()), 0);
    EXPECT_EQ(std::memcmp(oned.data.data(), threed.data.data(), sizeof(double) * oned.data.size()),
              0);
    // And both are the definition.
    checkAgainstReference(int64_t(210), int64_t(130), int64_t(170), opd.a, ta, opd.b, tb, 0);
  }
  omp_set_num_threads(saved);
}

namespace {

/// Records, per element of C, how often the epilogue saw it and the value
/// it saw; then rewrites it as 2c + 1 (so a call before the final value
/// would show up in the result).
template <class T> struct Recorder {
  int64_t n = 0;
  std::vector<std::atomic<int>> counts;
  std::vector<T> seen;
  std::mutex mu;
  std::set<std::thread::id> threads;
  Recorder(int64_t m, int64_t n_) : n(n_), counts(static_cast<size_t>(m * n_)), seen(static_cast<size_t>(m * n_)) {}

  static void call(void *ctx, T *c, int64_t ldc, int64_t row0, int64_t col0, int64_t rows,
                   int64_t cols) {
    auto *self = static_cast<Recorder *>(ctx);
    {
      std::lock_guard<std::mutex> lock(self->mu);
      self->threads.insert(std::this_thread::get_id());
    }
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        const size_t at = static_cast<size_t>((row0 + i) * self->n + col0 + j);
        self->counts[at].fetch_add(1);
        self->seen[at] = c[i * ldc + j];
        c[i * ldc + j] = 2 * c[i * ldc + j] + 1;
      }
  }
};

/// Checks the contract for one product; returns how many threads called the epilogue.
template <class T>
size_t checkEpilogue(int64_t m, int64_t n, int64_t k, bool ta, bool tb, int threads) {
  Operands<T> op(m, n, k, ta, tb, 2, uint64_t(m + n + k));
  Recorder<T> rec(m, n);
  const gemm::BasicEpilogue<T> epi{&Recorder<T>::call, &rec};
  Mat<T> c(m, n, 3, T(-7));
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  run(m, n, k, op.a, ta, op.b, tb, c, &epi);
  omp_set_num_threads(saved);
  const Mat<T> want = reference(m, n, k, op.a, ta, op.b, tb);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const size_t at = static_cast<size_t>(i * n + j);
      EXPECT_EQ(rec.counts[at].load(), 1) << "element " << i << "," << j;
      EXPECT_TRUE(sameBits(rec.seen[at], want.at(i, j))) << "element " << i << "," << j;
      EXPECT_TRUE(sameBits(c.at(i, j), T(2 * want.at(i, j) + 1))) << "element " << i << "," << j;
      if (::testing::Test::HasFailure())
        return 0;
    }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < n + 3; ++j)
      EXPECT_EQ(c.at(i, j), T(-7)) << "padding written";
  return rec.threads.size();
}

} // namespace

TEST(Gemm, EpilogueSeesEveryElementOnceWithItsFinalValue) {
  IsaGuard guard;
  for (Isa isa : supportedIsas()) {
    ASSERT_TRUE(gemm::setIsaForTesting(isa));
    checkEpilogue<float>(37, 45, 300, false, false, 1); // several k blocks
    checkEpilogue<float>(150, 70, 30, true, true, 1);   // several row tiles
    checkEpilogue<double>(41, 23, 9, false, true, 1);
    checkEpilogue<float>(9, 11, 0, false, false, 1);    // k == 0
    checkEpilogue<float>(5, 7, 2100, true, false, 1);   // several k chunks
    checkEpilogue<float>(20, 70, 9, false, true, 1);    // the small path
    checkEpilogue<double>(33, 9, 40, true, false, 1);   // the small path
  }
  // From several threads (the default level). A helper thread that the OS
  // does not run takes no tiles (runtime/JobPool.h), so on a loaded machine
  // one product may run on the caller alone: repeat until one did not. The
  // results are checked on every round; that a second thread took part is
  // a scheduling fact, so a machine too busy to show it skips that part
  // (seen under `ctest -j 2` beside a build) instead of failing.
  gemm::setIsaForTesting(guard.saved);
  size_t most = 0;
  for (int round = 0; round < 40 && most < 2 && !HasFailure(); ++round) {
    most = std::max(most, checkEpilogue<float>(500, 300, 400, false, false, 2));
    most = std::max(most, checkEpilogue<double>(300, 260, 300, true, false, 2));
  }
  if (!HasFailure() && most < 2)
    GTEST_SKIP() << "every product ran on one thread (a loaded machine): results checked, "
                    "the epilogue's parallel path not observed";
}

TEST(Gemm, CEntryPoints) {
  Operands<float> op(33, 21, 17, true, false, 1, 900);
  Mat<float> c(33, 21, 0), want(33, 21, 0);
  kiln_rt_sgemm(33, 21, 17, op.a.data.data(), op.a.ld, 1, op.b.data.data(), op.b.ld, 0,
                c.data.data(), c.ld, nullptr, nullptr);
  run(33, 21, 17, op.a, true, op.b, false, want);
  EXPECT_EQ(c.data, want.data);
  Operands<double> opd(19, 26, 40, false, true, 0, 901);
  Recorder<double> rec(19, 26);
  Mat<double> cd(19, 26, 0);
  kiln_rt_dgemm(19, 26, 40, opd.a.data.data(), opd.a.ld, 0, opd.b.data.data(), opd.b.ld, 1,
                cd.data.data(), cd.ld, &Recorder<double>::call, &rec);
  const Mat<double> wantd = reference(int64_t(19), int64_t(26), int64_t(40), opd.a, false, opd.b, true);
  for (int64_t i = 0; i < 19 * 26; ++i) {
    EXPECT_EQ(rec.counts[size_t(i)].load(), 1);
    EXPECT_EQ(cd.data[size_t(i)], 2 * wantd.data[size_t(i)] + 1);
  }
}
