#include "ir/Types.h"

#include <limits>

#include "ir/Support.h"

namespace kiln::ir {

std::string_view elemTypeName(ElemType e) {
  switch (e) {
  case ElemType::F32: return "f32";
  case ElemType::F64: return "f64";
  case ElemType::I64: return "i64";
  case ElemType::I1: return "i1";
  }
  KILN_UNREACHABLE("bad ElemType");
}

std::optional<ElemType> parseElemType(std::string_view s) {
  if (s == "f32") return ElemType::F32;
  if (s == "f64") return ElemType::F64;
  if (s == "i64") return ElemType::I64;
  if (s == "i1") return ElemType::I1;
  return std::nullopt;
}

unsigned elemTypeSize(ElemType e) {
  switch (e) {
  case ElemType::F32: return 4;
  case ElemType::F64: return 8;
  case ElemType::I64: return 8;
  case ElemType::I1: return 1;
  }
  KILN_UNREACHABLE("bad ElemType");
}

Type Type::scalar(ElemType e) {
  Type t;
  t.kind_ = Kind::Scalar;
  t.elem_ = e;
  return t;
}

Type Type::tensor(ElemType e, std::vector<int64_t> dims) {
  KILN_ASSERT(!dims.empty(), "a tensor type has rank >= 1");
  Type t;
  t.kind_ = Kind::Tensor;
  t.elem_ = e;
  t.dims_ = std::move(dims);
  return t;
}

Type Type::component(std::string typeName) {
  Type t;
  t.kind_ = Kind::Component;
  t.name_ = std::move(typeName);
  return t;
}

Type Type::shaped(ElemType e, std::vector<int64_t> dims) {
  return dims.empty() ? scalar(e) : tensor(e, std::move(dims));
}

Type Type::withElem(ElemType e) const {
  KILN_ASSERT(isNumeric(), "withElem on a non-numeric type");
  Type t = *this;
  t.elem_ = e;
  return t;
}

bool Type::hasStaticShape() const {
  for (int64_t d : dims_)
    if (d == kDynamic)
      return false;
  return true;
}

int64_t Type::numElements() const {
  // Saturates at INT64_MAX: the parser accepts any i64 dimension, and the
  // verifier's size rule reports such types after hooks have asked.
  int64_t n = 1;
  bool saturated = false;
  for (int64_t d : dims_) {
    if (d == kDynamic)
      return kDynamic;
    if (d == 0)
      return 0;
    if (n > std::numeric_limits<int64_t>::max() / d)
      saturated = true;
    else
      n *= d;
  }
  return saturated ? std::numeric_limits<int64_t>::max() : n;
}

std::string Type::str() const {
  switch (kind_) {
  case Kind::None: return "none";
  case Kind::Component: return "!" + name_;
  case Kind::Scalar: return std::string(elemTypeName(elem_));
  case Kind::Tensor: {
    std::string s(elemTypeName(elem_));
    s += '[';
    for (size_t i = 0; i < dims_.size(); ++i) {
      if (i) s += ", ";
      s += dims_[i] == kDynamic ? std::string("?") : std::to_string(dims_[i]);
    }
    s += ']';
    return s;
  }
  }
  KILN_UNREACHABLE("bad Type kind");
}

bool typesCompatible(const Type &a, const Type &b) {
  if (a.kind() != b.kind())
    return false;
  if (a.isComponent())
    return a.componentName() == b.componentName();
  if (a.isNone())
    return true;
  if (a.elem() != b.elem() || a.rank() != b.rank())
    return false;
  for (int64_t i = 0; i < a.rank(); ++i)
    if (!dimsCompatible(a.dim(i), b.dim(i)))
      return false;
  return true;
}

} // namespace kiln::ir
