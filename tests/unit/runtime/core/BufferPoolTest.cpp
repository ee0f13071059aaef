// BufferPool: size classes, alignment, reuse, and the steady-state promise
// (a training step that allocates the same tensors every time gets all of
// them from the pool after the first step).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "runtime/BufferPool.h"
#include "runtime/Kernels.h"
#include "runtime/Tensor.h"

using kiln::ir::ElemType;
using kiln::runtime::BufferPool;
using kiln::runtime::Tensor;
namespace kernels = kiln::runtime::kernels;

TEST(BufferPool, SizeClasses) {
  EXPECT_EQ(BufferPool::blockSize(0), 64u);
  EXPECT_EQ(BufferPool::blockSize(1), 64u);
  EXPECT_EQ(BufferPool::blockSize(64), 64u);
  EXPECT_EQ(BufferPool::blockSize(65), 128u);
  EXPECT_EQ(BufferPool::blockSize(1000), 1024u);
  EXPECT_EQ(BufferPool::blockSize(BufferPool::kMaxClassBytes), BufferPool::kMaxClassBytes);
  // Huge blocks: exact, rounded to 4 KiB.
  EXPECT_EQ(BufferPool::blockSize(BufferPool::kMaxClassBytes + 1),
            BufferPool::kMaxClassBytes + 4096);
}

TEST(BufferPool, AlignedAndReused) {
  BufferPool pool;
  void *a = pool.allocate(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % BufferPool::kAlignment, 0u);
  pool.release(a, 100);
  void *b = pool.allocate(120); // same 128-byte class
  EXPECT_EQ(a, b);
  auto s = pool.stats();
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.bytesInUse, 128u);
  EXPECT_EQ(s.bytesHeld, 0u);
  pool.release(b, 120);
  EXPECT_EQ(pool.stats().bytesHeld, 128u);
  pool.trim();
  EXPECT_EQ(pool.stats().bytesHeld, 0u);
}

TEST(BufferPool, HugeBlocksAreCachedByExactSize) {
  BufferPool pool;
  size_t big = BufferPool::kMaxClassBytes + 12345;
  void *a = pool.allocate(big);
  pool.release(a, big);
  void *b = pool.allocate(big + 1); // same 4 KiB-rounded size
  EXPECT_EQ(a, b);
  pool.release(b, big + 1);
  void *c = pool.allocate(big + 8192); // different size: a new block
  EXPECT_NE(c, a);
  pool.release(c, big + 8192);
  EXPECT_EQ(pool.stats().misses, 2u);
}

TEST(BufferPool, ThreadSafe) {
  BufferPool pool;
  auto work = [&] {
    for (int i = 0; i < 2000; ++i) {
      size_t n = 64u << (i % 6);
      void *p = pool.allocate(n);
      static_cast<char *>(p)[0] = 1;
      pool.release(p, n);
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  auto s = pool.stats();
  EXPECT_EQ(s.hits + s.misses, 4000u);
  EXPECT_EQ(s.releases, 4000u);
  EXPECT_EQ(s.bytesInUse, 0u);
}

// A stand-in for one training step: a matmul, elementwise math, a reduction,
// and a random draw, all producing fresh tensors that die at the end.
static double oneStep(const Tensor &x, const Tensor &w, uint64_t counter) {
  Tensor h = kernels::matmul(x, w, false, false).value;
  Tensor s = kernels::unary(kernels::UnaryOp::Sigmoid, h);
  Tensor b = kernels::randomBernoulli(s, 7, 1, counter);
  Tensor d = kernels::binary(kernels::BinaryOp::Sub, s, b).value;
  Tensor m = kernels::reduce(kernels::ReduceOp::Mean, d, 0).value;
  return m.at(0);
}

TEST(BufferPool, SteadyStateAllocatesNothingNew) {
  BufferPool &pool = BufferPool::global();
  Tensor x = kernels::randomUniform(ElemType::F32, {64, 100}, 1, 0, 0);
  Tensor w = kernels::randomUniform(ElemType::F32, {100, 32}, 1, 1, 0);
  oneStep(x, w, 0); // warm-up: the pool learns the step's sizes
  auto before = pool.stats();
  double sum = 0;
  for (int step = 1; step <= 20; ++step)
    sum += oneStep(x, w, uint64_t(step) * 64 * 32);
  auto after = pool.stats();
  EXPECT_EQ(after.misses, before.misses) << "steady-state steps went to the OS";
  EXPECT_EQ(after.bytesFromOS, before.bytesFromOS);
  EXPECT_GE(after.hits - before.hits, 20u * 5u);
  EXPECT_EQ(after.bytesInUse, before.bytesInUse); // nothing leaked per step
  EXPECT_TRUE(std::isfinite(sum));
}
