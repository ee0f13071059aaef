// Shape kernels: transpose, reshape (a view), slice, concat, dim, stack.
#include <cstring>

#include "runtime/KernelsInternal.h"

namespace kiln::runtime::kernels {

namespace {

template <class T> void transposeTyped(const T *x, T *y, int64_t rows, int64_t cols) {
  // 32x32 tiles keep both the reads and the writes within a few cache lines.
  const int64_t tile = 32;
  const int64_t tilesR = (rows + tile - 1) / tile, tilesC = (cols + tile - 1) / tile;
  auto one = [&](int64_t t) {
    int64_t i0 = (t / tilesC) * tile, j0 = (t % tilesC) * tile;
    int64_t i1 = std::min(rows, i0 + tile), j1 = std::min(cols, j0 + tile);
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t j = j0; j < j1; ++j)
        y[j * rows + i] = x[i * cols + j];
  };
  const int64_t tiles = tilesR * tilesC;
  detail::forTasks(tiles, rows * cols >= kParallelThreshold, one);
}

} // namespace

KernelResult transpose(const Tensor &x) {
  if (x.rank() != 2)
    return KernelResult::failure("transpose needs a rank-2 tensor, got shape " +
                                 detail::shapeStr(x.shape()));
  const int64_t rows = x.dim(0), cols = x.dim(1);
  Tensor out = Tensor::empty(x.dtype(), {cols, rows});
  detail::dispatchDtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    transposeTyped(x.data<T>(), out.data<T>(), rows, cols);
  });
  return KernelResult::success(std::move(out));
}

KernelResult reshape(const Tensor &x, std::span<const int64_t> shape) {
  std::vector<int64_t> dims(shape.begin(), shape.end());
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == ir::kDynamic) {
      if (inferred >= 0)
        return KernelResult::failure("reshape: more than one inferred dimension in " +
                                     detail::shapeStr(shape));
      inferred = static_cast<int>(i);
    } else if (dims[i] < 0) {
      return KernelResult::failure("reshape: negative dimension in " + detail::shapeStr(shape));
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0)
      return KernelResult::failure("reshape: cannot reshape shape " +
                                   detail::shapeStr(x.shape()) + " to " +
                                   detail::shapeStr(shape));
    dims[static_cast<size_t>(inferred)] = x.numel() / known;
    known = x.numel();
  }
  if (known != x.numel())
    return KernelResult::failure("reshape: cannot reshape shape " + detail::shapeStr(x.shape()) +
                                 " (" + std::to_string(x.numel()) + " elements) to " +
                                 detail::shapeStr(shape));
  return KernelResult::success(x.reshaped(std::move(dims)));
}

KernelResult slice(const Tensor &x, int64_t axis, int64_t start, int64_t size) {
  if (axis < 0 || axis >= x.rank())
    return KernelResult::failure("slice: axis " + std::to_string(axis) +
                                 " out of range for shape " + detail::shapeStr(x.shape()));
  const int64_t d = x.dim(axis);
  if (start < 0 || size < 0 || start > d || size > d - start)
    return KernelResult::failure("slice: [" + std::to_string(start) + ", " +
                                 std::to_string(start) + " + " + std::to_string(size) +
                                 ") out of range for axis " + std::to_string(axis) +
                                 " of shape " + detail::shapeStr(x.shape()));
  std::vector<int64_t> outShape = x.shape();
  outShape[static_cast<size_t>(axis)] = size;
  Tensor out = Tensor::empty(x.dtype(), outShape);
  int64_t outer = 1, inner = ir::elemTypeSize(x.dtype());
  for (int64_t i = 0; i < axis; ++i)
    outer *= x.dim(i);
  for (int64_t i = axis + 1; i < x.rank(); ++i)
    inner *= x.dim(i);
  const auto *src = static_cast<const char *>(x.raw());
  auto *dst = static_cast<char *>(out.raw());
  const size_t run = static_cast<size_t>(size * inner);
  if (run)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + o * size * inner, src + (o * d + start) * inner, run);
  return KernelResult::success(std::move(out));
}

KernelResult concat(std::span<const Tensor> xs, int64_t axis) {
  if (xs.empty())
    return KernelResult::failure("concat needs at least one operand");
  const Tensor &first = xs[0];
  if (axis < 0 || axis >= first.rank())
    return KernelResult::failure("concat: axis " + std::to_string(axis) +
                                 " out of range for shape " + detail::shapeStr(first.shape()));
  std::vector<int64_t> outShape = first.shape();
  int64_t total = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor &t = xs[i];
    KILN_ASSERT(t.dtype() == first.dtype(), "concat: element types differ (the verifier rules it out)");
    bool ok = t.rank() == first.rank();
    for (int64_t d = 0; ok && d < t.rank(); ++d)
      ok = d == axis || t.dim(d) == first.dim(d);
    if (!ok)
      return KernelResult::failure("concat: operand " + std::to_string(i) + " has shape " +
                                   detail::shapeStr(t.shape()) + ", incompatible with " +
                                   detail::shapeStr(first.shape()) + " along axis " +
                                   std::to_string(axis));
    total += t.dim(axis);
  }
  outShape[static_cast<size_t>(axis)] = total;
  Tensor out = Tensor::empty(first.dtype(), outShape);
  int64_t outer = 1, inner = ir::elemTypeSize(first.dtype());
  for (int64_t i = 0; i < axis; ++i)
    outer *= first.dim(i);
  for (int64_t i = axis + 1; i < first.rank(); ++i)
    inner *= first.dim(i);
  auto *dst = static_cast<char *>(out.raw());
  const int64_t outRow = total * inner;
  int64_t offset = 0;
  for (const Tensor &t : xs) {
    const int64_t run = t.dim(axis) * inner;
    const auto *src = static_cast<const char *>(t.raw());
    if (run)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + o * outRow + offset, src + o * run, static_cast<size_t>(run));
    offset += run;
  }
  return KernelResult::success(std::move(out));
}

KernelResult dim(const Tensor &x, int64_t axis) {
  if (axis < 0 || axis >= x.rank())
    return KernelResult::failure("dim: axis " + std::to_string(axis) +
                                 " out of range for shape " + detail::shapeStr(x.shape()));
  return KernelResult::success(Tensor::scalarI64(x.dim(axis)));
}

KernelResult stack(std::span<const Tensor> xs) {
  if (xs.empty())
    return KernelResult::failure("stack needs at least one value");
  const Tensor &first = xs[0];
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i].dtype() != first.dtype() || xs[i].shape() != first.shape())
      return KernelResult::failure("stack: value " + std::to_string(i) + " is " +
                                   xs[i].type().str() + ", value 0 is " + first.type().str());
  std::vector<int64_t> shape{static_cast<int64_t>(xs.size())};
  shape.insert(shape.end(), first.shape().begin(), first.shape().end());
  Tensor out = Tensor::empty(first.dtype(), std::move(shape));
  const size_t bytes = first.nbytes();
  auto *dst = static_cast<char *>(out.raw());
  if (bytes)
    for (size_t i = 0; i < xs.size(); ++i)
      std::memcpy(dst + i * bytes, xs[i].raw(), bytes);
  return KernelResult::success(std::move(out));
}

} // namespace kiln::runtime::kernels
