// IrEval: the LLVM evaluator of kiln's math generator (runtime/MathGen.h).
//
// The generator writes each function (exp, log, tanh, sigmoid, pow, sin/cos,
// Philox, ...) once, as a template over an evaluator. The interpreter
// instantiates it with the scalar C++ evaluator (runtime/MathScalar.h); the
// code generator instantiates it with this one, which emits the same
// operations, in the same order, as LLVM IR over `lanes` lanes. No fast-math
// flags, no contraction: every IEEE operation rounds exactly as its C++
// twin, so compiled kernels and the interpreter agree bit for bit.
//
// All value types are llvm::Value*: scalars when lanes == 1, else vectors of
// `lanes` elements (constants are splats).
#pragma once

#include <cstdint>

#include "llvm/IR/IRBuilder.h"

namespace kiln::codegen {

class IrEval {
public:
  using F32 = llvm::Value *;
  using F64 = llvm::Value *;
  using I32 = llvm::Value *;
  using I64 = llvm::Value *;
  using Mask = llvm::Value *;

  IrEval(llvm::IRBuilder<> &b, unsigned lanes) : b_(b), lanes_(lanes) {}
  unsigned lanes() const { return lanes_; }
  llvm::IRBuilder<> &builder() { return b_; }

  // ---- constants ----
  llvm::Value *f32(float v) { return splat(llvm::ConstantFP::get(b_.getFloatTy(), v)); }
  llvm::Value *f64(double v) { return splat(llvm::ConstantFP::get(b_.getDoubleTy(), v)); }
  llvm::Value *i32(int32_t v) { return splat(b_.getInt32(static_cast<uint32_t>(v))); }
  llvm::Value *i64(int64_t v) { return splat(b_.getInt64(static_cast<uint64_t>(v))); }
  /// A splat of `c` over the lanes (c itself when lanes == 1).
  llvm::Value *splat(llvm::Value *c) {
    return lanes_ == 1 ? c : b_.CreateVectorSplat(lanes_, c);
  }
  /// The type of `elem` over the lanes.
  llvm::Type *vec(llvm::Type *elem) const {
    return lanes_ == 1 ? elem : llvm::FixedVectorType::get(elem, lanes_);
  }

  // ---- floats ----
  llvm::Value *add(llvm::Value *a, llvm::Value *b) { return b_.CreateFAdd(a, b); }
  llvm::Value *sub(llvm::Value *a, llvm::Value *b) { return b_.CreateFSub(a, b); }
  llvm::Value *mul(llvm::Value *a, llvm::Value *b) { return b_.CreateFMul(a, b); }
  llvm::Value *div(llvm::Value *a, llvm::Value *b) { return b_.CreateFDiv(a, b); }
  llvm::Value *neg(llvm::Value *a) { return b_.CreateFNeg(a); }
  llvm::Value *sqrt(llvm::Value *a) { return unaryIntrinsic(llvm::Intrinsic::sqrt, a); }
  llvm::Value *fabs(llvm::Value *a) { return unaryIntrinsic(llvm::Intrinsic::fabs, a); }
  llvm::Value *copysign(llvm::Value *mag, llvm::Value *sign) {
    return b_.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, mag, sign);
  }
  llvm::Value *fma(llvm::Value *a, llvm::Value *b, llvm::Value *c) {
    return b_.CreateIntrinsic(llvm::Intrinsic::fma, {a->getType()}, {a, b, c});
  }
  llvm::Value *lt(llvm::Value *a, llvm::Value *b) { return b_.CreateFCmpOLT(a, b); }
  llvm::Value *le(llvm::Value *a, llvm::Value *b) { return b_.CreateFCmpOLE(a, b); }
  llvm::Value *gt(llvm::Value *a, llvm::Value *b) { return b_.CreateFCmpOGT(a, b); }
  llvm::Value *ge(llvm::Value *a, llvm::Value *b) { return b_.CreateFCmpOGE(a, b); }
  llvm::Value *eq(llvm::Value *a, llvm::Value *b) { return b_.CreateFCmpOEQ(a, b); }
  llvm::Value *ne(llvm::Value *a, llvm::Value *b) { return b_.CreateFCmpUNE(a, b); }
  llvm::Value *isnan(llvm::Value *a) { return b_.CreateFCmpUNO(a, a); }

  // ---- masks and selects ----
  llvm::Value *mand(llvm::Value *a, llvm::Value *b) { return b_.CreateAnd(a, b); }
  llvm::Value *mor(llvm::Value *a, llvm::Value *b) { return b_.CreateOr(a, b); }
  llvm::Value *mnot(llvm::Value *a) { return b_.CreateNot(a); }
  llvm::Value *select(llvm::Value *m, llvm::Value *a, llvm::Value *b) {
    return b_.CreateSelect(m, a, b);
  }

  // ---- bit casts ----
  llvm::Value *bits(llvm::Value *f) {
    llvm::Type *e = f->getType()->getScalarType()->isFloatTy() ? b_.getInt32Ty() : b_.getInt64Ty();
    return b_.CreateBitCast(f, vec(e));
  }
  llvm::Value *fromBits(llvm::Value *i) {
    llvm::Type *e = i->getType()->getScalarType()->isIntegerTy(32) ? b_.getFloatTy()
                                                                    : b_.getDoubleTy();
    return b_.CreateBitCast(i, vec(e));
  }

  // ---- integers (wrapping) ----
  llvm::Value *iadd(llvm::Value *a, llvm::Value *b) { return b_.CreateAdd(a, b); }
  llvm::Value *isub(llvm::Value *a, llvm::Value *b) { return b_.CreateSub(a, b); }
  llvm::Value *imul(llvm::Value *a, llvm::Value *b) { return b_.CreateMul(a, b); }
  llvm::Value *iand(llvm::Value *a, llvm::Value *b) { return b_.CreateAnd(a, b); }
  llvm::Value *ior(llvm::Value *a, llvm::Value *b) { return b_.CreateOr(a, b); }
  llvm::Value *ixor(llvm::Value *a, llvm::Value *b) { return b_.CreateXor(a, b); }
  llvm::Value *shl(llvm::Value *a, int n) { return b_.CreateShl(a, shiftCount(a, n)); }
  llvm::Value *lshr(llvm::Value *a, int n) { return b_.CreateLShr(a, shiftCount(a, n)); }
  llvm::Value *ashr(llvm::Value *a, int n) { return b_.CreateAShr(a, shiftCount(a, n)); }
  llvm::Value *ilt(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpSLT(a, b); }
  llvm::Value *ile(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpSLE(a, b); }
  llvm::Value *igt(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpSGT(a, b); }
  llvm::Value *ige(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpSGE(a, b); }
  llvm::Value *ieq(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpEQ(a, b); }
  llvm::Value *ine(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpNE(a, b); }
  llvm::Value *ult(llvm::Value *a, llvm::Value *b) { return b_.CreateICmpULT(a, b); }
  /// High 32 bits of the unsigned 64-bit product of two I32.
  llvm::Value *umulhi(llvm::Value *a, llvm::Value *b) {
    llvm::Type *w = vec(b_.getInt64Ty());
    llvm::Value *p = b_.CreateMul(b_.CreateZExt(a, w), b_.CreateZExt(b, w));
    return b_.CreateTrunc(b_.CreateLShr(p, shiftCount(p, 32)), vec(b_.getInt32Ty()));
  }
  /// Low 32 bits of the product of two I32.
  llvm::Value *umullo(llvm::Value *a, llvm::Value *b) { return b_.CreateMul(a, b); }

  // ---- conversions ----
  llvm::Value *sitofp32(llvm::Value *i) { return b_.CreateSIToFP(i, vec(b_.getFloatTy())); }
  llvm::Value *sitofp64(llvm::Value *i) { return b_.CreateSIToFP(i, vec(b_.getDoubleTy())); }
  llvm::Value *fpext(llvm::Value *f) { return b_.CreateFPExt(f, vec(b_.getDoubleTy())); }
  llvm::Value *fptrunc(llvm::Value *f) { return b_.CreateFPTrunc(f, vec(b_.getFloatTy())); }
  llvm::Value *sext(llvm::Value *i) { return b_.CreateSExt(i, vec(b_.getInt64Ty())); }
  llvm::Value *zext(llvm::Value *i) { return b_.CreateZExt(i, vec(b_.getInt64Ty())); }
  llvm::Value *itrunc(llvm::Value *i) { return b_.CreateTrunc(i, vec(b_.getInt32Ty())); }

private:
  llvm::Value *unaryIntrinsic(llvm::Intrinsic::ID id, llvm::Value *a) {
    return b_.CreateUnaryIntrinsic(id, a);
  }
  llvm::Value *shiftCount(llvm::Value *a, int n) {
    return llvm::ConstantInt::get(a->getType(), static_cast<uint64_t>(n));
  }

  llvm::IRBuilder<> &b_;
  unsigned lanes_;
};

} // namespace kiln::codegen
