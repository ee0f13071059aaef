// Types of SSA values.
//
//   none                   no value
//   f32 f64 i64 i1         scalars (rank 0)
//   f32[1000, 64]          tensors, row-major; `?` is a dynamic dimension
//   !Dataset               a handle to a component of that type
//
// A tensor has rank >= 1; a scalar is the rank-0 case. Types are small value
// objects compared structurally.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::ir {

enum class ElemType : uint8_t { F32, F64, I64, I1 };

/// The spelling of an element type: "f32", "f64", "i64", "i1".
std::string_view elemTypeName(ElemType e);
std::optional<ElemType> parseElemType(std::string_view s);
/// Size in bytes of one element (i1 is stored as one byte).
unsigned elemTypeSize(ElemType e);
inline bool isFloat(ElemType e) { return e == ElemType::F32 || e == ElemType::F64; }

/// Marks a dynamic dimension (`?`).
inline constexpr int64_t kDynamic = -1;

/// The most elements one tensor may have (2^32: 16 GiB of f32). The verifier
/// refuses a type whose static dimensions (a `?` counts as 1) hold more, and
/// components and data readers refuse configurations and files that would
/// need more, so such a program stops with an error naming where before it
/// runs rather than failing an allocation half-way.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 32;

class Type {
public:
  enum class Kind : uint8_t { None, Scalar, Tensor, Component };

  Type() = default; // none
  static Type none() { return Type(); }
  static Type scalar(ElemType e);
  static Type tensor(ElemType e, std::vector<int64_t> dims);
  static Type component(std::string typeName);
  static Type f32() { return scalar(ElemType::F32); }
  static Type f64() { return scalar(ElemType::F64); }
  static Type i64() { return scalar(ElemType::I64); }
  static Type i1() { return scalar(ElemType::I1); }

  Kind kind() const { return kind_; }
  bool isNone() const { return kind_ == Kind::None; }
  bool isScalar() const { return kind_ == Kind::Scalar; }
  bool isTensor() const { return kind_ == Kind::Tensor; }
  bool isComponent() const { return kind_ == Kind::Component; }
  /// Scalar or tensor: something tensor ops accept.
  bool isNumeric() const { return isScalar() || isTensor(); }

  /// Element type of a scalar or tensor.
  ElemType elem() const { return elem_; }
  /// Dimensions of a tensor (empty for a scalar).
  const std::vector<int64_t> &dims() const { return dims_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t dim(int64_t i) const { return dims_[static_cast<size_t>(i)]; }
  bool hasStaticShape() const;
  /// Number of elements; kDynamic if any dimension is dynamic.
  int64_t numElements() const;
  /// Component type name of a handle type.
  const std::string &componentName() const { return name_; }

  /// The same shape with another element type (scalar stays scalar).
  Type withElem(ElemType e) const;
  /// Scalar of `elem` if dims is empty, else a tensor.
  static Type shaped(ElemType e, std::vector<int64_t> dims);

  bool operator==(const Type &o) const {
    return kind_ == o.kind_ && elem_ == o.elem_ && dims_ == o.dims_ &&
           name_ == o.name_;
  }
  bool operator!=(const Type &o) const { return !(*this == o); }

  /// Textual form, e.g. "f32[?, 784]".
  std::string str() const;

private:
  Kind kind_ = Kind::None;
  ElemType elem_ = ElemType::F32;
  std::vector<int64_t> dims_;
  std::string name_;
};

/// Two dimensions are compatible when equal or when either is dynamic.
inline bool dimsCompatible(int64_t a, int64_t b) {
  return a == b || a == kDynamic || b == kDynamic;
}
/// Same kind and element type, and every dimension compatible.
bool typesCompatible(const Type &a, const Type &b);

} // namespace kiln::ir
