// Result-type rules for tensor ops, shared by the builder (to infer result
// types), the verifier (to check them) and the frontend (to type kernels).
// Each returns the result type, or an empty optional with a reason in `why`.
#pragma once

#include <optional>
#include <string>

#include "ir/Types.h"

namespace kiln::ir {

/// Numpy broadcasting of two numeric types with the same element type:
/// trailing dimensions are aligned; a pair matches when equal or when one is
/// 1; a dynamic dimension matches anything (checked at run time). A scalar
/// broadcasts against anything.
std::optional<Type> broadcastTypes(const Type &a, const Type &b, std::string *why = nullptr);

/// matmul of rank-2 a and b, after optional transposes: [m,k] x [k,n] -> [m,n].
std::optional<Type> matmulType(const Type &a, const Type &b, bool transposeA,
                               bool transposeB, std::string *why = nullptr);

/// A reduction along `axis` (std::nullopt: all axes -> scalar). Result elem is
/// the input's, or i64 for argmax.
std::optional<Type> reduceType(const Type &in, std::optional<int64_t> axis,
                               bool isArgmax, std::string *why = nullptr);

/// Transpose of a rank-2 tensor.
std::optional<Type> transposeType(const Type &in, std::string *why = nullptr);

/// Shape of `stacked` n copies of `elem` along a new leading axis (buffer_repeat).
Type stackType(const Type &elem, int64_t n);

} // namespace kiln::ir
