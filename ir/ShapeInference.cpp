#include "ir/ShapeInference.h"

#include <algorithm>

namespace kiln::ir {

static std::optional<Type> fail(std::string *why, std::string msg) {
  if (why)
    *why = std::move(msg);
  return std::nullopt;
}

std::optional<Type> broadcastTypes(const Type &a, const Type &b, std::string *why) {
  if (!a.isNumeric() || !b.isNumeric())
    return fail(why, "operands must be scalars or tensors, got " + a.str() + " and " + b.str());
  if (a.elem() != b.elem())
    return fail(why, "element types differ: " + a.str() + " and " + b.str());
  int64_t rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) {
    int64_t ia = a.rank() - rank + i, ib = b.rank() - rank + i;
    int64_t da = ia >= 0 ? a.dim(ia) : 1;
    int64_t db = ib >= 0 ? b.dim(ib) : 1;
    int64_t d;
    if (da == db)
      d = da;
    else if (da == 1)
      d = db;
    else if (db == 1)
      d = da;
    else if (da == kDynamic)
      d = db;
    else if (db == kDynamic)
      d = da;
    else
      return fail(why, "shapes " + a.str() + " and " + b.str() + " do not broadcast");
    dims[static_cast<size_t>(i)] = d;
  }
  return Type::shaped(a.elem(), std::move(dims));
}

std::optional<Type> matmulType(const Type &a, const Type &b, bool ta, bool tb,
                               std::string *why) {
  if (!a.isTensor() || !b.isTensor() || a.rank() != 2 || b.rank() != 2)
    return fail(why, "matmul needs rank-2 tensors, got " + a.str() + " and " + b.str());
  if (a.elem() != b.elem())
    return fail(why, "element types differ: " + a.str() + " and " + b.str());
  if (!isFloat(a.elem()))
    return fail(why, "matmul needs f32 or f64 operands, got " + a.str());
  int64_t m = ta ? a.dim(1) : a.dim(0), ka = ta ? a.dim(0) : a.dim(1);
  int64_t kb = tb ? b.dim(1) : b.dim(0), n = tb ? b.dim(0) : b.dim(1);
  if (!dimsCompatible(ka, kb))
    return fail(why, "inner dimensions differ: " + std::to_string(ka) + " and " +
                         std::to_string(kb) + " (" + a.str() + (ta ? ".T" : "") +
                         " @ " + b.str() + (tb ? ".T" : "") + ")");
  return Type::tensor(a.elem(), {m, n});
}

std::optional<Type> reduceType(const Type &in, std::optional<int64_t> axis,
                               bool isArgmax, std::string *why) {
  if (!in.isNumeric())
    return fail(why, "cannot reduce " + in.str());
  ElemType e = isArgmax ? ElemType::I64 : in.elem();
  if (!axis)
    return Type::scalar(e);
  if (*axis < 0 || *axis >= in.rank())
    return fail(why, "axis " + std::to_string(*axis) + " out of range for " + in.str());
  std::vector<int64_t> dims = in.dims();
  dims.erase(dims.begin() + *axis);
  return Type::shaped(e, std::move(dims));
}

std::optional<Type> transposeType(const Type &in, std::string *why) {
  if (!in.isTensor() || in.rank() != 2)
    return fail(why, "transpose needs a rank-2 tensor, got " + in.str());
  return Type::tensor(in.elem(), {in.dim(1), in.dim(0)});
}

Type stackType(const Type &elem, int64_t n) {
  std::vector<int64_t> dims{n};
  dims.insert(dims.end(), elem.dims().begin(), elem.dims().end());
  return Type::tensor(elem.elem(), std::move(dims));
}

} // namespace kiln::ir
