// Random kernels: Philox draws at element offsets (runtime/Philox.h gives the
// exact mapping), parallel over Philox blocks; each element depends only on
// (seed, stream, counter + i), so threads cannot change the result.
#include "runtime/KernelsInternal.h"
#include "runtime/Philox.h"

namespace kiln::runtime::kernels {

namespace {

/// Calls body(block) for every Philox block that holds an element offset in
/// [c0, c0 + n), with perBlock elements per block, so each block is
/// computed once.
template <class Body>
void forEachBlock(uint64_t c0, int64_t n, unsigned perBlock, Body &&body) {
  if (n <= 0)
    return;
  const uint64_t first = c0 / perBlock, last = (c0 + uint64_t(n) - 1) / perBlock;
  const int64_t blocks = static_cast<int64_t>(last - first + 1);
  if (n >= kParallelThreshold / 4) {
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; ++b)
      body(first + uint64_t(b));
  } else {
    for (int64_t b = 0; b < blocks; ++b)
      body(first + uint64_t(b));
  }
}

} // namespace

Tensor randomUniform(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                     uint64_t stream, uint64_t counter) {
  KILN_ASSERT(ir::isFloat(dtype), "random_uniform: f32 or f64 only");
  Tensor out = Tensor::empty(dtype, std::move(shape));
  const int64_t n = out.numel();
  const uint64_t end = counter + uint64_t(n);
  if (dtype == ir::ElemType::F32) {
    float *y = out.data<float>();
    forEachBlock(counter, n, 4, [&](uint64_t blk) {
      philox::Counter w = philox::block(seed, stream, blk);
      for (unsigned j = 0; j < 4; ++j) {
        uint64_t o = blk * 4 + j;
        if (o >= counter && o < end)
          y[o - counter] = philox::toUnitF32(w[j]);
      }
    });
  } else {
    double *y = out.data<double>();
    forEachBlock(counter, n, 2, [&](uint64_t blk) {
      philox::Counter w = philox::block(seed, stream, blk);
      for (unsigned j = 0; j < 2; ++j) {
        uint64_t o = blk * 2 + j;
        if (o >= counter && o < end)
          y[o - counter] = philox::toUnitF64(w[2 * j], w[2 * j + 1]);
      }
    });
  }
  return out;
}

Tensor randomNormal(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                    uint64_t stream, uint64_t counter) {
  KILN_ASSERT(ir::isFloat(dtype), "random_normal: f32 or f64 only");
  Tensor out = Tensor::empty(dtype, std::move(shape));
  const int64_t n = out.numel();
  const uint64_t end = counter + uint64_t(n);
  const bool f32 = dtype == ir::ElemType::F32;
  forEachBlock(counter, n, 2, [&](uint64_t blk) {
    std::array<double, 2> z = philox::normalPair(seed, stream, blk);
    for (unsigned j = 0; j < 2; ++j) {
      uint64_t o = blk * 2 + j;
      if (o >= counter && o < end) {
        if (f32)
          out.data<float>()[o - counter] = static_cast<float>(z[j]);
        else
          out.data<double>()[o - counter] = z[j];
      }
    }
  });
  return out;
}

Tensor randomBernoulli(const Tensor &p, uint64_t seed, uint64_t stream, uint64_t counter) {
  KILN_ASSERT(ir::isFloat(p.dtype()), "random_bernoulli: f32 or f64 probabilities only");
  Tensor u = randomUniform(p.dtype(), p.shape(), seed, stream, counter);
  const int64_t n = p.numel();
  if (p.dtype() == ir::ElemType::F32) {
    const float *pp = p.data<float>();
    float *y = u.data<float>();
    for (int64_t i = 0; i < n; ++i)
      y[i] = y[i] < pp[i] ? 1.0f : 0.0f;
  } else {
    const double *pp = p.data<double>();
    double *y = u.data<double>();
    for (int64_t i = 0; i < n; ++i)
      y[i] = y[i] < pp[i] ? 1.0 : 0.0;
  }
  return u;
}

} // namespace kiln::runtime::kernels

namespace {
template <class T>
void copyDraw(T *out, int64_t n, const kiln::runtime::Tensor &t) {
  const T *src = t.data<T>();
  for (int64_t i = 0; i < n; ++i)
    out[i] = src[i];
}
} // namespace

// The C entry points draw into a pooled tensor and copy: one extra pass, but
// exactly the same numbers as the kernels, by construction.
extern "C" {
void kiln_rt_random_uniform_f32(float *out, int64_t n, uint64_t seed, uint64_t stream,
                                uint64_t counter) {
  copyDraw(out, n, kiln::runtime::kernels::randomUniform(kiln::ir::ElemType::F32, {n}, seed,
                                                          stream, counter));
}
void kiln_rt_random_uniform_f64(double *out, int64_t n, uint64_t seed, uint64_t stream,
                                uint64_t counter) {
  copyDraw(out, n, kiln::runtime::kernels::randomUniform(kiln::ir::ElemType::F64, {n}, seed,
                                                          stream, counter));
}
void kiln_rt_random_normal_f32(float *out, int64_t n, uint64_t seed, uint64_t stream,
                               uint64_t counter) {
  copyDraw(out, n, kiln::runtime::kernels::randomNormal(kiln::ir::ElemType::F32, {n}, seed,
                                                         stream, counter));
}
void kiln_rt_random_normal_f64(double *out, int64_t n, uint64_t seed, uint64_t stream,
                               uint64_t counter) {
  copyDraw(out, n, kiln::runtime::kernels::randomNormal(kiln::ir::ElemType::F64, {n}, seed,
                                                         stream, counter));
}
}
