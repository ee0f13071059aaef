// Tensor: storage from the BufferPool, element access, copies, printing.
#include "runtime/Tensor.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "ir/Support.h"
#include "runtime/BufferPool.h"

namespace kiln::runtime {

Storage::Storage(size_t bytes)
    : data_(BufferPool::global().allocate(bytes)), bytes_(bytes), pooled_(true) {}

Storage::~Storage() {
  if (pooled_)
    BufferPool::global().release(data_, bytes_);
}

/// Storage of at most one pool block's minimum (64 bytes) inside the
/// shared_ptr's own allocation: a row of a few numbers (Dataset.next, a
/// scalar) costs one allocation instead of an allocation and two locks of
/// the pool's mutex per step. Same alignment and capacity as the pool's
/// smallest block, so kernels see no difference.
class InlineStorage final : public Storage {
public:
  static constexpr size_t kBytes = BufferPool::kMinClassBytes;
  explicit InlineStorage(size_t bytes) : Storage(aligned(buf_), bytes) {}

private:
  // Aligned by hand: an alignas(64) member would make make_shared go
  // through aligned operator new, which is slower than the pool.
  static void *aligned(unsigned char *p) {
    auto a = reinterpret_cast<uintptr_t>(p);
    return p + ((BufferPool::kAlignment - a % BufferPool::kAlignment) % BufferPool::kAlignment);
  }
  unsigned char buf_[kBytes + BufferPool::kAlignment - 1];
};

namespace {

int64_t countElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    KILN_ASSERT(d >= 0, "Tensor: negative or dynamic dimension");
    n *= d;
  }
  return n;
}

/// double -> i64 without undefined behaviour: truncation toward zero,
/// saturation at the i64 range, NaN -> 0.
int64_t toI64(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9223372036854775808.0)
    return std::numeric_limits<int64_t>::max();
  if (v < -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

void storeDouble(void *base, ElemType dtype, int64_t i, double v) {
  switch (dtype) {
  case ElemType::F32: static_cast<float *>(base)[i] = static_cast<float>(v); return;
  case ElemType::F64: static_cast<double *>(base)[i] = v; return;
  case ElemType::I64: static_cast<int64_t *>(base)[i] = toI64(v); return;
  case ElemType::I1: static_cast<uint8_t *>(base)[i] = v != 0.0 ? 1 : 0; return;
  }
  KILN_UNREACHABLE("bad ElemType");
}

void appendNumber(std::string &out, const Tensor &t, int64_t i) {
  char buf[64];
  std::to_chars_result r{};
  switch (t.dtype()) {
  case ElemType::F32: {
    float v = t.data<float>()[i];
    if (std::isnan(v)) { out += "nan"; return; }
    if (std::isinf(v)) { out += v > 0 ? "inf" : "-inf"; return; }
    r = std::to_chars(buf, buf + sizeof buf, v);
    break;
  }
  case ElemType::F64: {
    double v = t.data<double>()[i];
    if (std::isnan(v)) { out += "nan"; return; }
    if (std::isinf(v)) { out += v > 0 ? "inf" : "-inf"; return; }
    r = std::to_chars(buf, buf + sizeof buf, v);
    break;
  }
  case ElemType::I64: r = std::to_chars(buf, buf + sizeof buf, t.data<int64_t>()[i]); break;
  case ElemType::I1: out += t.data<uint8_t>()[i] ? "true" : "false"; return;
  }
  out.append(buf, r.ptr);
}

} // namespace

Tensor Tensor::empty(ElemType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  size_t bytes = static_cast<size_t>(countElements(t.shape_)) * ir::elemTypeSize(dtype);
  if (bytes <= InlineStorage::kBytes)
    t.storage_ = std::make_shared<InlineStorage>(bytes);
  else
    t.storage_ = std::make_shared<Storage>(bytes);
  return t;
}

Tensor Tensor::zeros(ElemType dtype, std::vector<int64_t> shape) {
  Tensor t = empty(dtype, std::move(shape));
  std::memset(t.raw(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(ElemType dtype, std::vector<int64_t> shape, double value) {
  Tensor t = empty(dtype, std::move(shape));
  int64_t n = t.numel();
  switch (dtype) {
  case ElemType::F32: {
    float v = static_cast<float>(value), *p = t.data<float>();
    for (int64_t i = 0; i < n; ++i) p[i] = v;
    break;
  }
  case ElemType::F64: {
    double *p = t.data<double>();
    for (int64_t i = 0; i < n; ++i) p[i] = value;
    break;
  }
  case ElemType::I64: {
    int64_t v = toI64(value), *p = t.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = v;
    break;
  }
  case ElemType::I1:
    std::memset(t.raw(), value != 0.0 ? 1 : 0, t.nbytes());
    break;
  }
  return t;
}

Tensor Tensor::scalar(ElemType dtype, double value) { return full(dtype, {}, value); }

Tensor Tensor::scalarI64(int64_t v) {
  Tensor t = empty(ElemType::I64, {});
  *t.data<int64_t>() = v;
  return t;
}

Tensor Tensor::fromDoubles(ElemType dtype, std::vector<int64_t> shape,
                           std::span<const double> values) {
  Tensor t = empty(dtype, std::move(shape));
  KILN_ASSERT(static_cast<int64_t>(values.size()) == t.numel(),
              "Tensor::fromDoubles: value count does not match the shape");
  for (int64_t i = 0; i < t.numel(); ++i)
    storeDouble(t.raw(), dtype, i, values[static_cast<size_t>(i)]);
  return t;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

size_t Tensor::nbytes() const {
  return static_cast<size_t>(numel()) * ir::elemTypeSize(dtype_);
}

ir::Type Tensor::type() const { return ir::Type::shaped(dtype_, shape_); }

void Tensor::nullAccess() { KILN_UNREACHABLE("Tensor::raw on a null tensor"); }

double Tensor::at(int64_t i) const {
  KILN_ASSERT(i >= 0 && i < numel(), "Tensor::at: index out of range");
  switch (dtype_) {
  case ElemType::F32: return data<float>()[i];
  case ElemType::F64: return data<double>()[i];
  case ElemType::I64: return static_cast<double>(data<int64_t>()[i]);
  case ElemType::I1: return data<uint8_t>()[i] ? 1.0 : 0.0;
  }
  KILN_UNREACHABLE("bad ElemType");
}

Tensor Tensor::copy() const {
  if (!defined())
    return Tensor();
  Tensor t = empty(dtype_, shape_);
  std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

bool Tensor::bitwiseEqual(const Tensor &other) const {
  if (defined() != other.defined())
    return false;
  if (!defined())
    return true;
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         std::memcmp(raw(), other.raw(), nbytes()) == 0;
}

Tensor Tensor::reshaped(std::vector<int64_t> shape) const {
  KILN_ASSERT(defined(), "Tensor::reshaped on a null tensor");
  KILN_ASSERT(countElements(shape) == numel(), "Tensor::reshaped: element count differs");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

std::string Tensor::str(int64_t maxElems) const {
  if (!defined())
    return "<null tensor>";
  std::string out = type().str();
  out += ' ';
  if (shape_.empty()) {
    appendNumber(out, *this, 0);
    return out;
  }
  // Nested brackets in row-major order; past maxElems print "..." and close.
  int64_t printed = 0;
  bool elided = false;
  auto rec = [&](auto &self, size_t axis, int64_t offset, int64_t stride) -> void {
    out += '[';
    int64_t n = shape_[axis];
    int64_t inner = stride / (n == 0 ? 1 : n);
    for (int64_t i = 0; i < n && !elided; ++i) {
      if (i)
        out += ", ";
      if (axis + 1 == shape_.size()) {
        if (printed == maxElems) {
          out += "...";
          elided = true;
          break;
        }
        appendNumber(out, *this, offset + i);
        ++printed;
      } else {
        self(self, axis + 1, offset + i * inner, inner);
      }
    }
    out += ']';
  };
  rec(rec, 0, 0, numel());
  return out;
}

} // namespace kiln::runtime
