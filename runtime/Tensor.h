// Tensor: the runtime's n-dimensional array.
//
// Row-major, contiguous, 64-byte aligned storage taken from a BufferPool
// (runtime/BufferPool.h), so steady-state steps allocate nothing from the OS;
// tensors of at most 64 bytes keep their bytes in the shared_ptr's own block
// instead (one malloc from the thread's cache, no pool lock).
// Rank 0 is a scalar. Element types are those of the IR (f32, f64, i64, i1;
// i1 is stored as one byte, 0 or 1).
//
// Tensors are values: copying a Tensor shares its storage, and by convention
// a tensor is never written after it has been handed to someone else (SSA
// values and state fields are replaced, not mutated). Code that owns a fresh
// tensor (an op's output it just allocated) writes into it; code that must
// mutate shared data calls `copy()` first. This is what makes VM::clone()
// cheap and correct.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/Types.h"

namespace kiln::runtime {

using ir::ElemType;

/// A tensor's bytes: a block of the global BufferPool, given back when the
/// last Tensor that refers to it (including reshaped views) dies; or, for
/// the smallest tensors, the bytes of an InlineStorage (Tensor.cpp). Its
/// data pointer is here so Tensor::raw() is inline (a VM step asks for it).
class Storage {
public:
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage &) = delete;
  Storage &operator=(const Storage &) = delete;
  void *data() const { return data_; }
  size_t bytes() const { return bytes_; }

protected:
  Storage(void *inlineData, size_t bytes) : data_(inlineData), bytes_(bytes), pooled_(false) {}

private:
  void *data_;
  size_t bytes_;
  bool pooled_;
};

/// A tensor's dimensions: up to kInline of them inside the object, more on
/// the heap, so copying a tensor of rank <= kInline (every row, matrix and
/// scalar a program makes) allocates nothing. Reads like a
/// `std::vector<int64_t>` and converts to one.
class Shape {
public:
  static constexpr size_t kInline = 5;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.size()); }
  Shape(const std::vector<int64_t> &dims) { assign(dims.data(), dims.size()); }
  Shape(std::span<const int64_t> dims) { assign(dims.data(), dims.size()); }
  // Copies and moves take the whole inline array (a fixed-size copy the
  // compiler inlines: no memmove call) and the heap array only past kInline.
  // A tensor is moved a few times a VM step, so this is the VM's hot path.
  Shape(const Shape &o) : size_(o.size_) {
    copyInline(o);
    if (size_ > kInline)
      heap_ = copyHeap(o);
  }
  Shape &operator=(const Shape &o) {
    if (this == &o)
      return *this;
    size_ = o.size_;
    copyInline(o);
    if (size_ > kInline)
      heap_ = copyHeap(o);
    else
      heap_.reset();
    return *this;
  }
  Shape(Shape &&o) noexcept : size_(o.size_), heap_(std::move(o.heap_)) { copyInline(o); }
  Shape &operator=(Shape &&o) noexcept {
    size_ = o.size_;
    heap_ = std::move(o.heap_);
    copyInline(o);
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const int64_t *data() const { return size_ <= kInline ? inline_ : heap_.get(); }
  const int64_t *begin() const { return data(); }
  const int64_t *end() const { return data() + size_; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t back() const { return data()[size_ - 1]; }
  operator std::vector<int64_t>() const { return std::vector<int64_t>(begin(), end()); }
  operator std::span<const int64_t>() const { return {data(), size_}; }
  std::vector<int64_t> vec() const { return *this; }

  friend bool operator==(const Shape &a, const Shape &b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator==(const Shape &a, const std::vector<int64_t> &b) {
    return a.size_ == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

private:
  void assign(const int64_t *d, size_t n) {
    size_ = n;
    if (n <= kInline) {
      for (size_t i = 0; i < kInline; ++i)
        inline_[i] = i < n ? d[i] : 0;
      heap_.reset();
    } else {
      heap_.reset(new int64_t[n]);
      std::copy(d, d + n, heap_.get());
    }
  }
  void copyInline(const Shape &o) {
    for (size_t i = 0; i < kInline; ++i)
      inline_[i] = o.inline_[i];
  }
  static std::unique_ptr<int64_t[]> copyHeap(const Shape &o) {
    std::unique_ptr<int64_t[]> h(new int64_t[o.size_]);
    std::copy(o.heap_.get(), o.heap_.get() + o.size_, h.get());
    return h;
  }
  size_t size_ = 0;
  int64_t inline_[kInline] = {};
  std::unique_ptr<int64_t[]> heap_; // the dimensions when size_ > kInline
};

class Tensor {
public:
  /// A null tensor (no storage, no shape); `defined()` is false.
  Tensor() = default;

  /// Uninitialized contents. (A Shape, not a vector: no heap for the dims
  /// of a rank <= Shape::kInline tensor, the allocation of every op result.)
  static Tensor empty(ElemType dtype, Shape shape);
  static Tensor zeros(ElemType dtype, std::vector<int64_t> shape);
  static Tensor full(ElemType dtype, std::vector<int64_t> shape, double value);
  static Tensor scalar(ElemType dtype, double value);
  static Tensor scalarF32(float v) { return scalar(ElemType::F32, v); }
  static Tensor scalarI64(int64_t v);
  /// Copies `values` (converted to dtype).
  static Tensor fromDoubles(ElemType dtype, std::vector<int64_t> shape,
                            std::span<const double> values);

  bool defined() const { return storage_ != nullptr; }
  /// Defined, and the only tensor (view or copy) that refers to its
  /// storage: its owner may write into it without anyone seeing.
  bool isUnique() const { return storage_ && storage_.use_count() == 1; }
  ElemType dtype() const { return dtype_; }
  const Shape &shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const;
  size_t nbytes() const;
  /// The IR type of this tensor (scalar type for rank 0).
  ir::Type type() const;

  void *raw() {
    if (!storage_) [[unlikely]]
      nullAccess();
    return storage_->data();
  }
  const void *raw() const {
    if (!storage_) [[unlikely]]
      nullAccess();
    return storage_->data();
  }
  template <class T> T *data() { return static_cast<T *>(raw()); }
  template <class T> const T *data() const { return static_cast<const T *>(raw()); }

  /// Element i (flat, row-major) converted to double; for tests and printing.
  double at(int64_t flatIndex) const;
  /// The value of a rank-0 (or one-element) tensor as a double.
  double item() const { return at(0); }

  /// A deep copy with its own storage.
  Tensor copy() const;
  /// Same bytes as `other`, with the same dtype and shape (0.0 != -0.0, NaN
  /// payloads compared bitwise).
  bool bitwiseEqual(const Tensor &other) const;
  /// The same storage, seen with another shape of the same number of elements.
  Tensor reshaped(std::vector<int64_t> shape) const;

  /// "f32[2, 3] [[1, 2, 3], [4, 5, 6]]", elided past `maxElems` elements.
  std::string str(int64_t maxElems = 64) const;

private:
  [[noreturn, gnu::cold]] static void nullAccess();

  std::shared_ptr<Storage> storage_;
  ElemType dtype_ = ElemType::F32;
  Shape shape_;
};

} // namespace kiln::runtime
