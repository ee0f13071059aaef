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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/Types.h"

namespace kiln::runtime {

using ir::ElemType;

class Storage;

class Tensor {
public:
  /// A null tensor (no storage, no shape); `defined()` is false.
  Tensor() = default;

  /// Uninitialized contents.
  static Tensor empty(ElemType dtype, std::vector<int64_t> shape);
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
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const;
  size_t nbytes() const;
  /// The IR type of this tensor (scalar type for rank 0).
  ir::Type type() const;

  void *raw();
  const void *raw() const;
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
  std::shared_ptr<Storage> storage_;
  ElemType dtype_ = ElemType::F32;
  std::vector<int64_t> shape_;
};

} // namespace kiln::runtime
