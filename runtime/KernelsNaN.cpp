// kiln's NaN rule: every float a tensor op writes carries the canonical quiet
// NaN bits (positive, payload zero). IEEE 754 leaves the sign and payload of
// a computed NaN open, x86 and LLVM's constant folder pick differently, and
// the order in which a compiler feeds two NaNs to an add decides which
// payload survives; with this rule interpreted and compiled kernels agree
// bit for bit (the JIT canonicalizes where it stores). A value that is not
// a NaN never depends on a NaN's payload, so canonicalizing where results
// are written is enough.
#include <cstring>

#include "runtime/KernelsInternal.h"

namespace kiln::runtime::kernels {

namespace {

template <class T, class U> int64_t canonicalizeTyped(T *x, int64_t n, U qnanBits) {
  int64_t changed = 0;
  for (int64_t i = 0; i < n; ++i) {
    U bits;
    std::memcpy(&bits, &x[i], sizeof bits);
    if (x[i] != x[i] && bits != qnanBits) {
      std::memcpy(&x[i], &qnanBits, sizeof bits);
      ++changed;
    }
  }
  return changed;
}

template <class T, class U> bool hasOtherNaN(const T *x, int64_t n, U qnanBits) {
  for (int64_t i = 0; i < n; ++i) {
    U bits;
    std::memcpy(&bits, &x[i], sizeof bits);
    if (x[i] != x[i] && bits != qnanBits)
      return true;
  }
  return false;
}

constexpr uint32_t kQNaN32 = 0x7FC00000u;
constexpr uint64_t kQNaN64 = 0x7FF8000000000000ull;

} // namespace

bool hasNonCanonicalNaN(const Tensor &t) {
  if (t.dtype() == ir::ElemType::F32)
    return hasOtherNaN(t.data<float>(), t.numel(), kQNaN32);
  if (t.dtype() == ir::ElemType::F64)
    return hasOtherNaN(t.data<double>(), t.numel(), kQNaN64);
  return false;
}

void canonicalizeNaNs(Tensor &t) {
  if (t.dtype() == ir::ElemType::F32)
    canonicalizeTyped(t.data<float>(), t.numel(), kQNaN32);
  else if (t.dtype() == ir::ElemType::F64)
    canonicalizeTyped(t.data<double>(), t.numel(), kQNaN64);
}

} // namespace kiln::runtime::kernels
