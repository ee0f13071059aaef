// Emitting a fused kernel as LLVM IR (see KernelEmitter.h for the shape of
// the generated code). The semantics of every op are those of the reference
// kernels in runtime/Kernels*.cpp; each case below says which line of the
// reference it mirrors where that is not plain IEEE arithmetic.
#include "codegen/KernelEmitter.h"

#include <algorithm>
#include <array>
#include <functional>
#include <unordered_map>

#include "codegen/IrEval.h"
#include "codegen/KernelAbi.h"
#include "ir/Support.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/TargetParser/Triple.h"
#include "runtime/MathGen.h"

namespace kiln::codegen {

using ir::ElemType;
using ir::OpKind;
using llvm::Value;

unsigned vectorBitsFor(const std::string &features) {
  auto has = [&](const char *f) {
    std::string p = std::string("+") + f;
    size_t at = 0;
    while ((at = features.find(p, at)) != std::string::npos) {
      size_t end = at + p.size();
      if (end == features.size() || features[end] == ',')
        return true;
      at = end;
    }
    return false;
  };
  if (has("avx512f"))
    return 512;
  if (has("avx"))
    return 256;
  return 128;
}

namespace {

// ---- draws at element offsets (runtime/Philox.h's numbering) ------------------
// Written over the evaluator concept, like runtime/MathGen.h, from its
// Philox, uniform and normal generators: element o of (seed, stream) of a
// f32 uniform uses block o/4, word o%4; of f64, block o/2, words 2(o%2) and
// 2(o%2)+1; a f32 normal, block o/4, words 2((o%4)/2) and 2((o%4)/2)+1.

template <class B>
std::array<typename B::I32, 4> philoxBlock(B &b, typename B::I64 seed, typename B::I64 stream,
                                           typename B::I64 block) {
  return runtime::mathgen::philox4x32_10(b, b.itrunc(block), b.itrunc(b.lshr(block, 32)),
                                         b.itrunc(stream), b.itrunc(b.lshr(stream, 32)),
                                         b.itrunc(seed), b.itrunc(b.lshr(seed, 32)));
}

template <class B>
typename B::F32 uniformF32At(B &b, typename B::I64 seed, typename B::I64 stream,
                             typename B::I64 o) {
  auto w = philoxBlock(b, seed, stream, b.lshr(o, 2));
  auto j = b.itrunc(b.iand(o, b.i64(3)));
  auto lo = b.select(b.ieq(j, b.i32(0)), w[0], w[1]);
  auto hi = b.select(b.ieq(j, b.i32(2)), w[2], w[3]);
  return runtime::mathgen::uniform_f32_from_word(b, b.select(b.ilt(j, b.i32(2)), lo, hi));
}

template <class B>
typename B::F64 uniformF64At(B &b, typename B::I64 seed, typename B::I64 stream,
                             typename B::I64 o) {
  auto w = philoxBlock(b, seed, stream, b.lshr(o, 1));
  auto odd = b.ieq(b.iand(o, b.i64(1)), b.i64(1));
  return runtime::mathgen::uniform_f64_from_words(b, b.select(odd, w[2], w[0]),
                                                  b.select(odd, w[3], w[1]));
}

/// Standard normal at element o: the Box-Muller pair of block o/2 (MathGen's
/// normal_pair_f64), r*cos for even o, r*sin for odd o, in f64.
template <class B>
typename B::F64 normalF64At(B &b, typename B::I64 seed, typename B::I64 stream,
                            typename B::I64 o) {
  auto w = philoxBlock(b, seed, stream, b.lshr(o, 1));
  auto z = runtime::mathgen::normal_pair_f64(b, w[0], w[1], w[2], w[3]);
  return b.select(b.ieq(b.iand(o, b.i64(1)), b.i64(1)), z[1], z[0]);
}

/// Standard normal f32 at element o: the f32 Box-Muller pair (MathGen's
/// normal_pair_f32) of words (0, 1) or (2, 3) of block o/4, chosen by bit 1
/// of o; r*cos for even o, r*sin for odd o.
template <class B>
typename B::F32 normalF32At(B &b, typename B::I64 seed, typename B::I64 stream, typename B::I64 o) {
  auto w = philoxBlock(b, seed, stream, b.lshr(o, 2));
  auto upper = b.ieq(b.iand(o, b.i64(2)), b.i64(2));
  auto z = runtime::mathgen::normal_pair_f32(b, b.select(upper, w[2], w[0]),
                                             b.select(upper, w[3], w[1]));
  return b.select(b.ieq(b.iand(o, b.i64(1)), b.i64(1)), z[1], z[0]);
}

/// The f32 Box-Muller pair number q (elements 2q, 2q+1): words (0, 1) or
/// (2, 3), by bit 0 of q, of block q/2; {r cos, r sin}.
template <class B>
std::array<typename B::F32, 2> normalPairF32At(B &b, typename B::I64 seed, typename B::I64 stream,
                                               typename B::I64 q) {
  auto w = philoxBlock(b, seed, stream, b.lshr(q, 1));
  auto upper = b.ieq(b.iand(q, b.i64(1)), b.i64(1));
  return runtime::mathgen::normal_pair_f32(b, b.select(upper, w[2], w[0]),
                                           b.select(upper, w[3], w[1]));
}

/// Elements of work per parallel task: ~100 µs of elementwise math.
constexpr int64_t kTaskElems = 64 * 1024;
/// Bytes of map-nest results from which the nest writes them with streaming
/// (non-temporal) stores: results this large do not stay in a 32 MiB L3 for
/// their consumer anyway, and a normal store first reads the line it writes
/// (16 bytes of traffic per float of a + 3b instead of 12). Only for nests
/// without MathGen functions or random draws: those run from memory at their
/// in-cache speed (compute-bound), and there streaming stores measured ~6%
/// slower (docs/performance.md, "Elementwise chain").
constexpr int64_t kStreamBytes = int64_t(16) << 20;
/// The reference's block of the fixed-order sum (runtime/Kernels.h, kReduceBlock).
constexpr int64_t kSumBlock = 4096;
/// Interleaved accumulators of the fixed-order sum.
constexpr unsigned kSumLanes = 8;

/// Everything a nest function needs, loaded from the kernel's state array.
struct Env {
  std::vector<Value *> in, out, dims, rngBase, seed, stream;
  Value *cbuf = nullptr;  // the (last) matmul's output buffer (M x N, contiguous)
  Value *p1buf = nullptr; // the first of two products (M x N, contiguous)
  Value *streaming = nullptr; // i1: the map nest streams its stores (kStreamBytes)
};

class Emitter {
public:
  Emitter(const KernelPlan &plan, const TargetInfo &target, const std::string &symbol,
          llvm::Module &module)
      : P(plan), T(target), sym_(symbol), M(module), ctx_(module.getContext()), b(ctx_) {
    lanes_ = std::max(1u, T.vectorBits / 32);
    i64_ = b.getInt64Ty();
    ptr_ = b.getPtrTy();
    layoutState();
    streams_ = !P.matmul && canStream();
  }

  void emit() {
    llvm::Function *mapFn = P.matmul ? nullptr : emitMapNest();
    std::vector<llvm::Function *> redFns;
    for (size_t r = 0; r < P.results.size(); ++r)
      redFns.push_back(isReduction(P.results[r]) ? emitReductionNest(r) : nullptr);
    llvm::Function *epiFn = P.matmul && needsEpilogue() ? emitEpilogue() : nullptr;
    emitEntry(mapFn, redFns, epiFn);
  }

private:
  // ---- plan queries -------------------------------------------------------------

  bool isReduction(const ir::Value *v) const {
    return v->definingOp() && v->definingOp()->has(ir::kReduction);
  }
  int rank() const { return P.rank(); }
  bool hasFullResults() const {
    for (const ir::Value *v : P.results)
      if (!isReduction(v))
        return true;
    return false;
  }
  /// The epilogue writes every full-shape result (the product itself too,
  /// in place, so its NaNs are canonical like every other result's).
  bool needsEpilogue() const { return hasFullResults(); }
  /// The result whose buffer the GEMM writes (-1: scratch).
  int gemmOutput() const {
    for (size_t r = 0; r < P.results.size(); ++r)
      if (P.results[r] == P.matmul->result())
        return static_cast<int>(r);
    if (!P.reductions.empty())
      return -1; // reductions read the raw product: no in-place epilogue
    for (size_t r = 0; r < P.results.size(); ++r)
      if (!isReduction(P.results[r]) &&
          (P.matmuls.size() < 2 || P.results[r] != P.matmuls.front()->result()))
        return static_cast<int>(r);
    return -1;
  }

  /// Where the first of two products is computed: the output of a result
  /// the epilogue computes in place from it (no temporary), -1: scratch.
  int firstProductOutput() const {
    const ir::Value *p1 = P.matmuls.front()->result();
    for (size_t r = 0; r < P.results.size(); ++r)
      if (P.results[r] == p1)
        return static_cast<int>(r);
    if (!P.reductions.empty())
      return -1; // reductions read the raw products
    int g = gemmOutput();
    for (size_t r = 0; r < P.results.size(); ++r)
      if (!isReduction(P.results[r]) && static_cast<int>(r) != g &&
          P.results[r] != P.matmul->result())
        return static_cast<int>(r);
    return -1;
  }

  // ---- types and constants ------------------------------------------------------

  llvm::Type *elemTy(ElemType e) {
    switch (e) {
    case ElemType::F32: return b.getFloatTy();
    case ElemType::F64: return b.getDoubleTy();
    case ElemType::I64: return b.getInt64Ty();
    case ElemType::I1: return b.getInt8Ty();
    }
    KILN_UNREACHABLE("bad ElemType");
  }
  llvm::Type *vecTy(ElemType e, unsigned lanes) {
    llvm::Type *t = elemTy(e);
    return lanes == 1 ? t : llvm::FixedVectorType::get(t, lanes);
  }
  Value *c64(int64_t v) { return b.getInt64(static_cast<uint64_t>(v)); }
  Value *splat(Value *v, unsigned lanes) {
    return lanes == 1 ? v : b.CreateVectorSplat(lanes, v);
  }
  /// The constant of a `constant` op, converted as Tensor::full converts.
  Value *constantValue(const ir::Operation &op, unsigned lanes) {
    const ir::Attribute &a = *op.attr("value");
    ElemType e = op.result()->type().elem();
    double x = a.isBool() ? (a.getBool() ? 1.0 : 0.0) : a.getNumber();
    Value *c = nullptr;
    switch (e) {
    case ElemType::F32: c = llvm::ConstantFP::get(b.getFloatTy(), static_cast<float>(x)); break;
    case ElemType::F64: c = llvm::ConstantFP::get(b.getDoubleTy(), x); break;
    case ElemType::I64: {
      int64_t v = a.isInt() && op.result()->type().isScalar() ? a.getInt() : toI64(x);
      c = c64(v);
      break;
    }
    case ElemType::I1: c = b.getInt8(x != 0.0 ? 1 : 0); break;
    }
    return splat(c, lanes);
  }
  // Tensor.cpp's toI64 (double -> i64: truncate, saturate, NaN -> 0).
  static int64_t toI64(double v) {
    if (v != v)
      return 0;
    if (v >= 9223372036854775808.0)
      return INT64_MAX;
    if (v < -9223372036854775808.0)
      return INT64_MIN;
    return static_cast<int64_t>(v);
  }

  // ---- functions, loops ---------------------------------------------------------

  llvm::Function *makeFunction(const std::string &name, llvm::Type *ret,
                               std::vector<llvm::Type *> params, bool external) {
    auto *ft = llvm::FunctionType::get(ret, params, false);
    auto *fn = llvm::Function::Create(ft,
                                      external ? llvm::Function::ExternalLinkage
                                               : llvm::Function::InternalLinkage,
                                      name, &M);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    if (!T.cpu.empty())
      fn->addFnAttr("target-cpu", T.cpu);
    if (!T.features.empty())
      fn->addFnAttr("target-features", T.features);
    std::string bits = std::to_string(T.vectorBits);
    fn->addFnAttr("prefer-vector-width", bits);
    fn->addFnAttr("min-legal-vector-width", bits);
    return fn;
  }

  llvm::Function *runtimeFn(const std::string &name, llvm::Type *ret,
                            std::vector<llvm::Type *> params) {
    auto *ft = llvm::FunctionType::get(ret, params, false);
    auto callee = M.getOrInsertFunction(name, ft);
    auto *fn = llvm::cast<llvm::Function>(callee.getCallee());
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    return fn;
  }

  llvm::BasicBlock *block(const char *name) {
    return llvm::BasicBlock::Create(ctx_, name, b.GetInsertBlock()->getParent());
  }

  /// What LLVM may do to a loop. Unrolling is what costs compile time (the
  /// unroller copies whole row loops with their inner loops, and codegen's
  /// loop strength reduction then works on every copy: 3-5x the time of the
  /// rolled kernel, docs/codegen.md "Compile time"), and it pays only on a
  /// loop of whole vectors, the innermost: every other loop stays rolled.
  enum class LoopKind {
    Rolled,     // rows, tasks, blocks, scans: never unrolled
    Vector,     // the innermost loop over whole vectors: LLVM's choice
    ScalarTail, // fewer iterations than one vector: neither vectorized nor unrolled
  };

  /// for (iv = begin; iv < end; iv += step) body(iv, carried) -> carried'.
  /// Returns the carried values after the loop.
  std::vector<Value *>
  loop(Value *begin, Value *end, Value *step, std::vector<Value *> init,
       const std::function<std::vector<Value *>(Value *, const std::vector<Value *> &)> &body,
       LoopKind kind = LoopKind::Rolled) {
    llvm::BasicBlock *pre = b.GetInsertBlock();
    llvm::BasicBlock *head = block("loop"), *bodyBB = block("body"), *exit = block("exit");
    b.CreateBr(head);
    b.SetInsertPoint(head);
    llvm::PHINode *iv = b.CreatePHI(i64_, 2, "iv");
    iv->addIncoming(begin, pre);
    std::vector<llvm::PHINode *> phis;
    std::vector<Value *> carried;
    for (Value *v : init) {
      llvm::PHINode *p = b.CreatePHI(v->getType(), 2);
      p->addIncoming(v, pre);
      phis.push_back(p);
      carried.push_back(p);
    }
    b.CreateCondBr(b.CreateICmpSLT(iv, end), bodyBB, exit);
    b.SetInsertPoint(bodyBB);
    std::vector<Value *> next = body(iv, carried);
    Value *ivNext = b.CreateAdd(iv, step);
    llvm::BasicBlock *latch = b.GetInsertBlock();
    llvm::BranchInst *back = b.CreateBr(head);
    if (kind != LoopKind::Vector)
      back->setMetadata(llvm::LLVMContext::MD_loop, rolledLoop(kind == LoopKind::ScalarTail));
    iv->addIncoming(ivNext, latch);
    for (size_t k = 0; k < phis.size(); ++k)
      phis[k]->addIncoming(next[k], latch);
    b.SetInsertPoint(exit);
    return carried;
  }
  void loop(Value *begin, Value *end, Value *step, const std::function<void(Value *)> &body,
            LoopKind kind = LoopKind::Rolled) {
    loop(
        begin, end, step, {},
        [&](Value *iv, const std::vector<Value *> &) {
          body(iv);
          return std::vector<Value *>{};
        },
        kind);
  }
  /// Loop metadata: never unroll, and with `noVectorize` never vectorize.
  llvm::MDNode *rolledLoop(bool noVectorize) {
    std::vector<llvm::Metadata *> ops{
        nullptr,
        llvm::MDNode::get(ctx_, {llvm::MDString::get(ctx_, "llvm.loop.unroll.disable")})};
    if (noVectorize)
      ops.push_back(llvm::MDNode::get(ctx_, {llvm::MDString::get(ctx_, "llvm.loop.vectorize.enable"),
                                             llvm::ConstantAsMetadata::get(b.getInt1(false))}));
    llvm::MDNode *self = llvm::MDNode::getDistinct(ctx_, ops);
    self->replaceOperandWith(0, self);
    return self;
  }
  /// [c0, c1) in vectors of `lanes` then one by one: body(j, lanes). With
  /// `masked` on an AVX-512 target, instead one loop of vectors whose lanes
  /// past c1 are masked off (mask_ is set while its body is emitted, and
  /// loadAt, storeAt and the product reads then use masked loads and
  /// stores, which AVX-512 does at the speed of plain ones): one copy of the
  /// body instead of a vector and a scalar one, which halves the IR of a
  /// long body (Philox draws, exp) and the compile time with it. Each lane
  /// computes what it computes in a full vector, so the values are the same.
  /// Without mask registers (AVX2 masked stores are slow, SSE2 has none) the
  /// scalar tail stays.
  void vectorLoop(Value *c0, Value *c1, unsigned lanes,
                  const std::function<void(Value *, unsigned)> &body, bool masked = false) {
    if (masked && lanes > 1 && T.vectorBits >= 512) {
      std::vector<uint32_t> iota(lanes);
      for (unsigned l = 0; l < lanes; ++l)
        iota[l] = l;
      Value *lanesIota = llvm::ConstantDataVector::get(ctx_, iota);
      loop(
          c0, c1, c64(lanes),
          [&](Value *j) {
            Value *left = b.CreateTrunc(minV(b.CreateSub(c1, j), c64(lanes)), b.getInt32Ty());
            mask_ = b.CreateICmpULT(lanesIota, splat(left, lanes));
            body(j, lanes);
            mask_ = nullptr;
          },
          LoopKind::Vector);
      return;
    }
    Value *n = b.CreateSub(c1, c0);
    Value *vend = b.CreateAdd(c0, b.CreateMul(b.CreateSDiv(n, c64(lanes)), c64(lanes)));
    if (lanes > 1)
      loop(c0, vend, c64(lanes), [&](Value *j) { body(j, lanes); }, LoopKind::Vector);
    loop(vend, c1, c64(1), [&](Value *j) { body(j, 1); },
         lanes > 1 ? LoopKind::ScalarTail : LoopKind::Vector);
  }
  /// A vector load at addr, masked under mask_.
  Value *vectorLoad(llvm::Type *vt, Value *addr, llvm::Align al) {
    if (mask_)
      return b.CreateMaskedLoad(vt, addr, al, mask_, llvm::Constant::getNullValue(vt));
    return b.CreateAlignedLoad(vt, addr, al);
  }
  /// A vector store at addr, masked under mask_.
  void vectorStore(Value *v, Value *addr, llvm::Align al) {
    if (mask_)
      b.CreateMaskedStore(v, addr, al, mask_);
    else
      b.CreateAlignedStore(v, addr, al);
  }

  // ---- the state array ------------------------------------------------------------
  // The entry stores operand/result pointers, space dims and random bases in
  // an array of 8-byte slots; nest functions (run on any thread) load them.

  /// Draws a map nest takes from strips (stripDraws): kStripDraws a call,
  /// the buffers (per random op, null if inline) and the strip's first
  /// last-dimension index while its vector loop is emitted.
  static constexpr int64_t kStripDraws = 1024, kMinStripRow = 32;
  std::vector<Value *> stripBuf_;
  Value *strip0_ = nullptr;

  unsigned sIn_ = 0, sOut_ = 0, sDims_ = 0, sRng_ = 0, sKey_ = 0, sC_ = 0, sP1_ = 0, sStream_ = 0,
           nSlots_ = 0;

  void layoutState() {
    sIn_ = 0;
    sOut_ = sIn_ + P.fused->numOperands();
    sDims_ = sOut_ + static_cast<unsigned>(P.results.size());
    sRng_ = sDims_ + static_cast<unsigned>(rank());
    sKey_ = sRng_ + static_cast<unsigned>(P.randomOps.size());
    sC_ = sKey_ + 2 * static_cast<unsigned>(P.numRandomKeys);
    sP1_ = sC_ + 1;
    sStream_ = sP1_ + 1;
    nSlots_ = sStream_ + 1;
  }
  Value *slot(Value *state, unsigned i) { return b.CreateConstGEP1_64(i64_, state, i); }
  void storeEnv(const Env &e, Value *state) {
    for (size_t k = 0; k < e.in.size(); ++k)
      b.CreateStore(e.in[k], slot(state, sIn_ + unsigned(k)));
    for (size_t k = 0; k < e.out.size(); ++k)
      b.CreateStore(e.out[k], slot(state, sOut_ + unsigned(k)));
    for (size_t k = 0; k < e.dims.size(); ++k)
      b.CreateStore(e.dims[k], slot(state, sDims_ + unsigned(k)));
    for (size_t k = 0; k < e.rngBase.size(); ++k)
      b.CreateStore(e.rngBase[k], slot(state, sRng_ + unsigned(k)));
    for (size_t k = 0; k < e.seed.size(); ++k) {
      b.CreateStore(e.seed[k], slot(state, sKey_ + 2 * unsigned(k)));
      b.CreateStore(e.stream[k], slot(state, sKey_ + 2 * unsigned(k) + 1));
    }
    b.CreateStore(e.cbuf ? e.cbuf : llvm::ConstantPointerNull::get(ptr_), slot(state, sC_));
    b.CreateStore(e.p1buf ? e.p1buf : llvm::ConstantPointerNull::get(ptr_), slot(state, sP1_));
    if (e.streaming)
      b.CreateStore(b.CreateZExt(e.streaming, i64_), slot(state, sStream_));
  }
  Env loadEnv(Value *state) {
    Env e;
    for (unsigned k = 0; k < P.fused->numOperands(); ++k)
      e.in.push_back(b.CreateLoad(ptr_, slot(state, sIn_ + k)));
    for (unsigned k = 0; k < P.results.size(); ++k)
      e.out.push_back(b.CreateLoad(ptr_, slot(state, sOut_ + k)));
    for (unsigned k = 0; k < unsigned(rank()); ++k) // static sizes stay constants
      e.dims.push_back(P.space[k].size != ir::kDynamic
                           ? c64(P.space[k].size)
                           : b.CreateLoad(i64_, slot(state, sDims_ + k)));
    for (unsigned k = 0; k < P.randomOps.size(); ++k)
      e.rngBase.push_back(b.CreateLoad(i64_, slot(state, sRng_ + k)));
    for (unsigned k = 0; k < unsigned(P.numRandomKeys); ++k) {
      e.seed.push_back(b.CreateLoad(i64_, slot(state, sKey_ + 2 * k)));
      e.stream.push_back(b.CreateLoad(i64_, slot(state, sKey_ + 2 * k + 1)));
    }
    e.cbuf = b.CreateLoad(ptr_, slot(state, sC_));
    e.p1buf = b.CreateLoad(ptr_, slot(state, sP1_));
    return e;
  }

  // ---- pointwise evaluation -----------------------------------------------------

  /// One point (or `lanes` consecutive points along the last dimension) of
  /// the space: idx[d] per dimension (the last: the first lane's index).
  struct Point {
    const Env *env = nullptr;
    unsigned lanes = 1;
    /// The dimension the lanes run along: the last, or a reduced axis all of
    /// whose later dimensions have size 1 (so its elements are contiguous).
    int laneDim = -1;
    std::vector<Value *> idx;
    std::unordered_map<const ir::Value *, Value *> memo;
    /// Where the matmul's value of this point is read (epilogue or C).
    std::function<Value *()> matmulValue;
  };

  /// Element offset of a value with shape `vs` at point p (its own layout).
  Value *offsetOf(const ValueShape &vs, const Point &p) {
    Value *off = c64(0);
    Value *stride = c64(1);
    for (int d = rank() - 1; d >= rank() - vs.rank; --d) {
      if (!vs.full[size_t(d)])
        continue;
      off = b.CreateAdd(off, b.CreateMul(p.idx[size_t(d)], stride));
      stride = b.CreateMul(stride, p.env->dims[size_t(d)]);
    }
    return off;
  }
  /// Loads a value of shape vs from base at point p (vector along the last
  /// dimension when it varies there, else a broadcast scalar).
  Value *loadAt(Value *base, const ValueShape &vs, const Point &p) {
    llvm::Type *et = elemTy(vs.elem);
    Value *addr = b.CreateGEP(et, base, offsetOf(vs, p));
    llvm::Align al(ir::elemTypeSize(vs.elem));
    if (p.lanes > 1 && alongLanes(vs, p))
      return vectorLoad(vecTy(vs.elem, p.lanes), addr, al);
    return splat(b.CreateAlignedLoad(et, addr, al), p.lanes);
  }
  bool alongLanes(const ValueShape &vs, const Point &p) const {
    int d = p.laneDim >= 0 ? p.laneDim : rank() - 1;
    return d >= 0 && vs.full[size_t(d)];
  }
  /// kiln's NaN rule (docs/runtime-core.md): every float a kernel writes
  /// has the canonical quiet NaN bits, because LLVM (like any compiler)
  /// does not preserve the sign or payload of NaNs it computes or folds.
  Value *canonicalNaN(Value *v, ElemType e) {
    if (!ir::isFloat(e))
      return v;
    Value *q = llvm::ConstantFP::getQNaN(v->getType());
    return b.CreateSelect(b.CreateFCmpUNO(v, v), q, v);
  }
  void storeAt(Value *base, ElemType e, Value *flatOff, Value *v) {
    v = canonicalNaN(v, e);
    Value *addr = b.CreateGEP(elemTy(e), base, flatOff);
    if (mapEnv_ && mapEnv_->streaming && v->getType()->isVectorTy()) {
      // A full vector of a map nest that may stream: a branch on the
      // entry's choice (the same for the whole call, so predicted) instead
      // of a second copy of the nest, which cost ~50% more compile time.
      // When streaming, the entry checked that every result buffer is
      // vector-aligned and every row a whole number of vectors, so this
      // address is aligned (x86 splits less aligned streaming stores into
      // scalar ones).
      llvm::Function *fn = b.GetInsertBlock()->getParent();
      auto *nt = llvm::BasicBlock::Create(ctx_, "stream", fn);
      auto *plain = llvm::BasicBlock::Create(ctx_, "store", fn);
      auto *done = llvm::BasicBlock::Create(ctx_, "stored", fn);
      b.CreateCondBr(mapEnv_->streaming, nt, plain);
      b.SetInsertPoint(nt);
      auto *st = b.CreateAlignedStore(v, addr, llvm::Align(T.vectorBits / 8));
      st->setMetadata(llvm::LLVMContext::MD_nontemporal,
                      llvm::MDNode::get(ctx_, llvm::ConstantAsMetadata::get(b.getInt32(1))));
      b.CreateBr(done);
      // (Streaming also means the mask, if any, has every lane set.)
      b.SetInsertPoint(plain);
      vectorStore(v, addr, llvm::Align(ir::elemTypeSize(e)));
      b.CreateBr(done);
      b.SetInsertPoint(done);
      return;
    }
    if (v->getType()->isVectorTy())
      vectorStore(v, addr, llvm::Align(ir::elemTypeSize(e)));
    else
      b.CreateAlignedStore(v, addr, llvm::Align(ir::elemTypeSize(e)));
  }
  /// Flat offset of point p in a full-shape (space-shaped) buffer.
  Value *flatOffset(const Point &p) {
    Value *off = c64(0);
    for (int d = 0; d < rank(); ++d)
      off = d == 0 ? p.idx[0] : b.CreateAdd(b.CreateMul(off, p.env->dims[size_t(d)]),
                                            p.idx[size_t(d)]);
    return off;
  }

  Value *eval(const ir::Value *v, Point &p) {
    if (auto it = p.memo.find(v); it != p.memo.end())
      return it->second;
    Value *r = nullptr;
    if (auto it = P.operandIndex.find(v); it != P.operandIndex.end()) {
      r = loadAt(p.env->in[size_t(it->second)], P.shapes.at(v), p);
    } else {
      const ir::Operation &op = *v->definingOp();
      if (op.is(OpKind::Constant))
        r = constantValue(op, p.lanes);
      else if (&op == P.matmul)
        r = p.matmulValue();
      else if (op.is(OpKind::Matmul)) // the first of two products, computed before
        r = productAt(p.env->p1buf, op.result()->type().elem(), p);
      else if (op.has(ir::kRandom))
        r = evalRandom(op, p);
      else {
        std::vector<Value *> xs;
        for (const ir::Value *o : op.operands())
          xs.push_back(eval(o, p));
        r = elementwise(op, xs, p.lanes);
      }
    }
    p.memo[v] = r;
    return r;
  }

  Value *evalRandom(const ir::Operation &op, Point &p) {
    size_t k = size_t(std::find(P.randomOps.begin(), P.randomOps.end(), &op) - P.randomOps.begin());
    int key = P.randomKeyOf[k];
    const ValueShape &vs = P.shapes.at(op.result());
    // Element offset of each lane: base + own flat index (+ lane).
    Value *o = b.CreateAdd(p.env->rngBase[k], offsetOf(vs, p));
    bool f32 = vs.elem == ElemType::F32;
    Value *seed1 = p.env->seed[size_t(key)], *stream1 = p.env->stream[size_t(key)];
    if (strip0_ && k < stripBuf_.size() && stripBuf_[k]) { // map nest, fillStrips
      Value *at = b.CreateGEP(b.getFloatTy(), stripBuf_[k], b.CreateSub(p.idx.back(), strip0_));
      if (p.lanes == 1)
        return b.CreateLoad(b.getFloatTy(), at);
      return vectorLoad(vecTy(ElemType::F32, p.lanes), at, llvm::Align(4));
    }
    // Lanes along consecutive elements share Philox blocks (4 f32 or 2 f64
    // draws a block): computed once per block instead of once per lane.
    bool blockLanes = p.lanes >= 4 && p.lanes % 4 == 0 && alongLanes(vs, p);
    if (op.is(OpKind::RandomNormal) && blockLanes)
      return f32 ? normalF32Lanes(o, seed1, stream1, p.lanes)
                 : normalF64Lanes(o, seed1, stream1, p.lanes);
    if (!op.is(OpKind::RandomNormal) && blockLanes) {
      Value *u = f32 ? uniformF32Lanes(o, seed1, stream1, p.lanes)
                     : uniformF64Lanes(o, seed1, stream1, p.lanes);
      return op.is(OpKind::RandomUniform) ? u : bernoulli(u, eval(op.operand(0), p), f32, p.lanes);
    }
    o = splat(o, p.lanes);
    if (p.lanes > 1 && alongLanes(vs, p)) {
      std::vector<uint64_t> iota(p.lanes);
      for (unsigned l = 0; l < p.lanes; ++l)
        iota[l] = l;
      o = b.CreateAdd(o, llvm::ConstantDataVector::get(ctx_, iota));
    }
    IrEval ev(b, p.lanes);
    Value *seed = splat(seed1, p.lanes);
    Value *stream = splat(stream1, p.lanes);
    if (op.is(OpKind::RandomNormal)) {
      return f32 ? normalF32At(ev, seed, stream, o) : normalF64At(ev, seed, stream, o);
    }
    Value *u = f32 ? uniformF32At(ev, seed, stream, o) : uniformF64At(ev, seed, stream, o);
    if (op.is(OpKind::RandomUniform))
      return u;
    return bernoulli(u, eval(op.operand(0), p), f32, p.lanes);
  }
  /// bernoulli (KernelsRandom.cpp): u < p ? 1 : 0. The probability is
  /// evaluated by the caller after the draws' branches (evalRandom), so
  /// its memoized value dominates every later use.
  Value *bernoulli(Value *u, Value *prob, bool f32, unsigned lanes) {
    IrEval ev(b, lanes);
    return b.CreateSelect(b.CreateFCmpOLT(u, prob), f32 ? ev.f32(1.0f) : ev.f64(1.0),
                          f32 ? ev.f32(0.0f) : ev.f64(0.0));
  }

  /// Words 0..3 of the nb Philox blocks blk0 .. blk0+nb-1 in element order:
  /// lane 4i + j of the 4nb-lane result is word j of block blk0 + i, as
  /// MathGen's philox4x32_10 (runtime/Philox.h's key and counter) computes
  /// it. The rounds keep a block's four words in four lanes, ordered
  /// (c0 c3 c2 c1) as in runtime/PhiloxBlocks.cpp: one 32x32->64 multiply
  /// of the even lanes gives both products of a round and both halves of
  /// each (lanes lo0 hi0 lo1 hi1), so a round is a multiply, an and, two
  /// xors and a shuffle for nb blocks in one full-width vector. Per lane
  /// (a block a lane, one word used) it was ~12 ops for a quarter-filled
  /// vector (umulhi and imul apart, docs/performance.md "CD-1 update").
  /// Integer arithmetic: the same bits at every width; FusedDifferential
  /// and FusedDifferentialDraws (every start offset mod 4) compare it with
  /// the interpreter, lit codegen/draw-blocks.kir its width per target.
  Value *blockWordsLanes(Value *seed, Value *stream, Value *blk0, unsigned nb) {
    const unsigned n = 4 * nb;
    llvm::Type *i32 = b.getInt32Ty();
    auto *v32 = llvm::FixedVectorType::get(i32, n);
    auto *v64 = llvm::FixedVectorType::get(i64_, 2 * nb);
    auto word = [&](Value *x, bool high) {
      return b.CreateTrunc(high ? b.CreateLShr(x, c64(32)) : x, i32);
    };
    // A vector whose quad lanes are (a, b, c, d) for scalars a..d.
    auto quads = [&](Value *a, Value *bv, Value *c, Value *d) {
      Value *q = llvm::PoisonValue::get(llvm::FixedVectorType::get(i32, 4));
      Value *xs[4] = {a, bv, c, d};
      for (unsigned j = 0; j < 4; ++j)
        q = b.CreateInsertElement(q, xs[j], uint64_t(j));
      std::vector<int> rep(n);
      for (unsigned l = 0; l < n; ++l)
        rep[l] = int(l % 4);
      return b.CreateShuffleVector(q, rep);
    };
    // Counters (c0 c3 c2 c1) = (lo(block), hi(stream), lo(stream), hi(block)).
    Value *blk = splat(blk0, nb);
    if (nb > 1) {
      std::vector<uint64_t> iota(nb);
      for (unsigned l = 0; l < nb; ++l)
        iota[l] = l;
      blk = b.CreateAdd(blk, llvm::ConstantDataVector::get(ctx_, iota));
    }
    if (nb == 1) // shuffles need vectors
      blk = b.CreateVectorSplat(1, blk);
    auto *vnb = llvm::FixedVectorType::get(i32, nb);
    Value *lo = b.CreateTrunc(blk, vnb);
    Value *hi = b.CreateTrunc(b.CreateLShr(blk, b.CreateVectorSplat(nb, c64(32))), vnb);
    std::vector<int> place(n), merge(n);
    for (unsigned i = 0; i < nb; ++i)
      for (unsigned j = 0; j < 4; ++j) {
        place[4 * i + j] = j == 0 ? int(i) : j == 3 ? int(nb + i) : -1;
        merge[4 * i + j] = j == 0 || j == 3 ? int(4 * i + j) : int(n + 4 * i + j);
      }
    Value *blocks = b.CreateShuffleVector(lo, hi, place);
    Value *streams = quads(b.getInt32(0), word(stream, true), word(stream, false), b.getInt32(0));
    Value *c = b.CreateShuffleVector(blocks, streams, merge);
    // Multipliers in the even lanes (M0 for c0, M1 for c2), as 64-bit lanes.
    std::vector<uint64_t> mult(2 * nb);
    for (unsigned l = 0; l < 2 * nb; ++l)
      mult[l] = l % 2 ? 0xCD9E8D57u : 0xD2511F53u;
    Value *multv = llvm::ConstantDataVector::get(ctx_, mult);
    Value *low32 = b.CreateVectorSplat(2 * nb, c64(0xffffffffll));
    std::vector<uint32_t> oddBits(n);
    for (unsigned l = 0; l < n; ++l)
      oddBits[l] = l % 2 ? 0xffffffffu : 0u;
    Value *odd = llvm::ConstantDataVector::get(ctx_, oddBits);
    std::vector<int> rotate(n), reverse(n);
    for (unsigned l = 0; l < n; ++l) {
      rotate[l] = int(l / 4 * 4 + (l + 3) % 4); // (q3 q0 q1 q2): the next (c0 c3 c2 c1)
      reverse[l] = int(l / 4 * 4 + 3 - l % 4);  // (q3 q2 q1 q0): (c0 c1 c2 c3)
    }
    Value *k0 = word(seed, false), *k1 = word(seed, true);
    for (int round = 0; round < 10; ++round) {
      // p = lanes (lo0 hi0 lo1 hi1) of (M0 * c0, M1 * c2).
      Value *c64v = b.CreateBitCast(c, v64);
      Value *p = b.CreateBitCast(b.CreateMul(b.CreateAnd(c64v, low32), multv), v32);
      // q = (lo0, hi0 ^ c3 ^ k1, lo1, hi1 ^ c1 ^ k0)
      Value *q = b.CreateXor(p, b.CreateXor(b.CreateAnd(c, odd),
                                            quads(b.getInt32(0), k1, b.getInt32(0), k0)));
      c = b.CreateShuffleVector(q, round < 9 ? rotate : reverse);
      k0 = b.CreateAdd(k0, b.getInt32(0x9E3779B9u));
      k1 = b.CreateAdd(k1, b.getInt32(0xBB67AE85u));
    }
    return c;
  }
  /// Words w0 .. w0+L-1 of the Philox stream (word w = word w%4 of block
  /// w/4; L = lanes, a multiple of 4) at any w0: the L/4 blocks from w0/4
  /// (blockWordsLanes), and when w0 starts no block, shifted down by w0 % 4
  /// lanes with the words of the block after them (a branch: draws
  /// usually start aligned). One copy of the full-width rounds: the form
  /// before (a Philox block a lane when unaligned, as uniformF32At) was
  /// most of a sampling kernel's compile time (docs/performance.md,
  /// "Kernel compile time").
  Value *wordsAt(Value *seed, Value *stream, Value *w0, unsigned lanes) {
    Value *blk = b.CreateLShr(w0, 2);
    Value *w = blockWordsLanes(seed, stream, blk, lanes / 4);
    return ifBlockAligned(
        w0, 4, [&] { return w; },
        [&] {
          Value *next = blockWordsLanes(seed, stream, b.CreateAdd(blk, c64(lanes / 4)), 1);
          std::vector<int> widen(lanes, -1);
          for (unsigned l = 0; l < 4; ++l)
            widen[l] = int(l);
          next = b.CreateShuffleVector(next, widen);
          Value *off = b.CreateAnd(w0, c64(3));
          Value *r = nullptr;
          for (unsigned s = 1; s < 4; ++s) {
            std::vector<int> down(lanes); // lanes s.. of w, then lanes 0..s-1 of next
            for (unsigned l = 0; l < lanes; ++l)
              down[l] = int(l + s);
            Value *shifted = b.CreateShuffleVector(w, next, down);
            r = r ? b.CreateSelect(b.CreateICmpEQ(off, c64(s)), shifted, r) : shifted;
          }
          return r;
        });
  }
  /// Lanes 0, 2, 4, ... (odd: 1, 3, 5, ...) of v, half as many.
  Value *everyOther(Value *v, bool odd) {
    unsigned n = unsigned(llvm::cast<llvm::FixedVectorType>(v->getType())->getNumElements());
    std::vector<int> m(n / 2);
    for (unsigned l = 0; l < n / 2; ++l)
      m[l] = int(2 * l + (odd ? 1 : 0));
    return b.CreateShuffleVector(v, m);
  }
  /// fast() when the first element o0 of the lanes starts a block of
  /// `perBlock` draws (so the lanes' draws are whole blocks), else slow().
  /// A branch, not a select: the slow form is the per-lane one and costs
  /// several times more. Draws start aligned unless an earlier draw of the
  /// same op had a length that is no multiple of the block, or a row's
  /// length is not; then the branch alternates, still correctly.
  Value *ifBlockAligned(Value *o0, unsigned perBlock, const std::function<Value *()> &fast,
                        const std::function<Value *()> &slow) {
    Value *aligned = b.CreateICmpEQ(b.CreateAnd(o0, c64(perBlock - 1)), c64(0));
    llvm::BasicBlock *fastBB = block("draw.blocks"), *slowBB = block("draw.lanes"),
                     *done = block("draw.done");
    b.CreateCondBr(aligned, fastBB, slowBB);
    b.SetInsertPoint(fastBB);
    Value *vf = fast();
    llvm::BasicBlock *fastEnd = b.GetInsertBlock();
    b.CreateBr(done);
    b.SetInsertPoint(slowBB);
    Value *vs = slow();
    llvm::BasicBlock *slowEnd = b.GetInsertBlock();
    b.CreateBr(done);
    b.SetInsertPoint(done);
    llvm::PHINode *phi = b.CreatePHI(vf->getType(), 2);
    phi->addIncoming(vf, fastEnd);
    phi->addIncoming(vs, slowEnd);
    return phi;
  }
  Value *laneOffsets(Value *o0, unsigned lanes) {
    std::vector<uint64_t> iota(lanes);
    for (unsigned l = 0; l < lanes; ++l)
      iota[l] = l;
    return b.CreateAdd(splat(o0, lanes), llvm::ConstantDataVector::get(ctx_, iota));
  }
  /// f32 uniforms at o0 .. o0+L-1 (L a multiple of 4): word o%4 of block
  /// o/4 as uniformF32At, from the stream's words o0 .. (wordsAt).
  Value *uniformF32Lanes(Value *o0, Value *seed, Value *stream, unsigned lanes) {
    IrEval ev(b, lanes);
    return runtime::mathgen::uniform_f32_from_word(ev, wordsAt(seed, stream, o0, lanes));
  }
  /// f64 uniforms at o0 .. o0+L-1 (L a multiple of 4): words 2(o%2) and
  /// 2(o%2)+1 of block o/2 as uniformF64At, i.e. the stream's words 2o0 ..
  /// 2o0+2L-1 (wordsAt at 2L lanes), paired.
  Value *uniformF64Lanes(Value *o0, Value *seed, Value *stream, unsigned lanes) {
    IrEval ev(b, lanes);
    Value *w = wordsAt(seed, stream, b.CreateShl(o0, 1), 2 * lanes);
    return runtime::mathgen::uniform_f64_from_words(ev, everyOther(w, false), everyOther(w, true));
  }

  /// f64 normals at o0 .. o0+L-1 (L even): when o0 is even, the Box-Muller
  /// pairs of the L/2 blocks o0/2 .. (MathGen's normal_pair_f64 of words
  /// 0..3) on L/2 lanes, interleaved r cos, r sin, so each block and pair is
  /// computed once; else per lane (normalF64At: each lane its own pair).
  Value *normalF64Lanes(Value *o0, Value *seed, Value *stream, unsigned lanes) {
    return ifBlockAligned(
        o0, 2,
        [&] {
          const unsigned half = lanes / 2;
          Value *w = blockWordsLanes(seed, stream, b.CreateLShr(o0, 1), half);
          auto word = [&](unsigned j) {
            std::vector<int> m(half);
            for (unsigned i = 0; i < half; ++i)
              m[i] = int(4 * i + j);
            return b.CreateShuffleVector(w, m);
          };
          IrEval evh(b, half);
          auto z = runtime::mathgen::normal_pair_f64(evh, word(0), word(1), word(2), word(3));
          std::vector<int> inter(lanes);
          for (unsigned l = 0; l < lanes; ++l)
            inter[l] = int(l % 2 ? half + l / 2 : l / 2);
          return b.CreateShuffleVector(z[0], z[1], inter);
        },
        [&] {
          IrEval ev(b, lanes);
          return normalF64At(ev, splat(seed, lanes), splat(stream, lanes),
                             laneOffsets(o0, lanes));
        });
  }

  /// f32 normals at the consecutive offsets o0 .. o0+L-1 (L = lanes, a
  /// multiple of 4), each Box-Muller pair computed once (the per-lane form
  /// computes a pair in both of its lanes) from the stream's words: pair q
  /// (elements 2q, 2q+1) is words 2q, 2q+1, so the L/2 pairs from q0 = o0/2
  /// are the L words from 2q0 (wordsAt: each block's Philox once), on L/2
  /// lanes, interleaved cos, sin = elements 2q0 .. 2q0+L-1. When o0 is odd
  /// (behind a branch) those are shifted by one and the last lane is the
  /// pair q0 + L/2's cos, computed on one lane. One copy of the Box-Muller
  /// code a draw (there were two: aligned and not). The same generator at
  /// other widths gives the same bits, so this equals normalF32At lane by
  /// lane.
  Value *normalF32Lanes(Value *o0, Value *seed, Value *stream, unsigned lanes) {
    const unsigned half = lanes / 2;
    Value *w = wordsAt(seed, stream, b.CreateAnd(o0, c64(~int64_t(1))), lanes);
    IrEval evh(b, half);
    auto z = runtime::mathgen::normal_pair_f32(evh, everyOther(w, false), everyOther(w, true));
    std::vector<int> inter(lanes);
    for (unsigned l = 0; l < lanes; ++l)
      inter[l] = int(l % 2 ? half + l / 2 : l / 2);
    Value *even = b.CreateShuffleVector(z[0], z[1], inter);
    return ifBlockAligned(
        o0, 2, [&] { return even; },
        [&] {
          IrEval ev1(b, 1);
          auto extra =
              normalPairF32At(ev1, seed, stream, b.CreateAdd(b.CreateLShr(o0, 1), c64(half)));
          std::vector<int> shifted(lanes);
          for (unsigned l = 0; l < lanes; ++l)
            shifted[l] = int(l + 1); // lane lanes - 1 takes element 0 of the extra splat
          return b.CreateShuffleVector(even, splat(extra[0], lanes), shifted);
        });
  }

  // ---- op semantics (runtime/KernelsElementwise.cpp) ------------------------------

  Value *bit(Value *raw) { // i1 storage byte -> 0/1 byte
    return b.CreateZExt(b.CreateICmpNE(raw, llvm::Constant::getNullValue(raw->getType())),
                        raw->getType());
  }
  Value *boolByte(Value *cond, unsigned lanes) { return b.CreateZExt(cond, vecTy(ElemType::I1, lanes)); }

  Value *elementwise(const ir::Operation &op, const std::vector<Value *> &x, unsigned lanes) {
    IrEval ev(b, lanes);
    ElemType in = op.operand(op.is(OpKind::Select) ? 1 : 0)->type().elem();
    ElemType out = op.result()->type().elem();
    OpKind k = op.kind();
    if (k == OpKind::Select) // c[i] ? x[i] : y[i], any nonzero byte is true
      return b.CreateSelect(b.CreateICmpNE(x[0], llvm::Constant::getNullValue(x[0]->getType())),
                            x[1], x[2]);
    if (k == OpKind::Cast)
      return cast(x[0], in, out, lanes);
    if (ir::isFloat(in))
      return floatOp(k, x, in == ElemType::F32, ev, lanes);
    if (in == ElemType::I64)
      return intOp(k, x, lanes);
    return boolOp(k, x, lanes);
  }

  Value *floatOp(OpKind k, const std::vector<Value *> &x, bool f32, IrEval &ev, unsigned lanes) {
    namespace mg = runtime::mathgen;
    Value *zero = f32 ? ev.f32(0.0f) : ev.f64(0.0);
    switch (k) {
    case OpKind::Neg: return b.CreateFNeg(x[0]);
    case OpKind::Abs: return ev.fabs(x[0]);
    case OpKind::Sqrt: return ev.sqrt(x[0]);
    case OpKind::Relu: return b.CreateSelect(b.CreateFCmpOLT(x[0], zero), zero, x[0]);
    case OpKind::Exp: return f32 ? mg::exp_f32(ev, x[0]) : mg::exp_f64(ev, x[0]);
    case OpKind::Log: return f32 ? mg::log_f32(ev, x[0]) : mg::log_f64(ev, x[0]);
    case OpKind::Tanh: return f32 ? mg::tanh_f32(ev, x[0]) : mg::tanh_f64(ev, x[0]);
    case OpKind::Sigmoid: return f32 ? mg::sigmoid_f32(ev, x[0]) : mg::sigmoid_f64(ev, x[0]);
    case OpKind::Add: return b.CreateFAdd(x[0], x[1]);
    case OpKind::Sub: return b.CreateFSub(x[0], x[1]);
    case OpKind::Mul: return b.CreateFMul(x[0], x[1]);
    case OpKind::Div: return b.CreateFDiv(x[0], x[1]);
    case OpKind::Pow: // f32 only (KernelPlan: f64 pow stays interpreted)
      KILN_ASSERT(f32, "f64 pow is not compiled");
      return mg::pow_f32(ev, x[0], x[1]);
    case OpKind::Max: // (x > y || x != x) ? x : y
      return b.CreateSelect(b.CreateOr(b.CreateFCmpOGT(x[0], x[1]), b.CreateFCmpUNO(x[0], x[0])),
                            x[0], x[1]);
    case OpKind::Min: // (x < y || x != x) ? x : y
      return b.CreateSelect(b.CreateOr(b.CreateFCmpOLT(x[0], x[1]), b.CreateFCmpUNO(x[0], x[0])),
                            x[0], x[1]);
    case OpKind::Eq: return boolByte(b.CreateFCmpOEQ(x[0], x[1]), lanes);
    case OpKind::Ne: return boolByte(b.CreateFCmpUNE(x[0], x[1]), lanes);
    case OpKind::Lt: return boolByte(b.CreateFCmpOLT(x[0], x[1]), lanes);
    case OpKind::Le: return boolByte(b.CreateFCmpOLE(x[0], x[1]), lanes);
    case OpKind::Gt: return boolByte(b.CreateFCmpOGT(x[0], x[1]), lanes);
    case OpKind::Ge: return boolByte(b.CreateFCmpOGE(x[0], x[1]), lanes);
    default: break;
    }
    KILN_UNREACHABLE("float op without codegen");
  }

  Value *intOp(OpKind k, const std::vector<Value *> &x, unsigned lanes) {
    Value *zero = llvm::Constant::getNullValue(x[0]->getType());
    switch (k) {
    case OpKind::Neg: return b.CreateSub(zero, x[0]);
    case OpKind::Abs: // |INT64_MIN| wraps to itself
      return b.CreateSelect(b.CreateICmpSLT(x[0], zero), b.CreateSub(zero, x[0]), x[0]);
    case OpKind::Relu: return b.CreateSelect(b.CreateICmpSLT(x[0], zero), zero, x[0]);
    case OpKind::Add: return b.CreateAdd(x[0], x[1]);
    case OpKind::Sub: return b.CreateSub(x[0], x[1]);
    case OpKind::Mul: return b.CreateMul(x[0], x[1]);
    case OpKind::Div: { // y == 0 ? 0 : (y == -1 ? 0 - x : x / y), without UB
      Value *minus1 = llvm::Constant::getAllOnesValue(x[1]->getType());
      Value *y0 = b.CreateICmpEQ(x[1], zero), *ym1 = b.CreateICmpEQ(x[1], minus1);
      Value *safe = b.CreateSelect(b.CreateOr(y0, ym1), splat(c64(1), lanes), x[1]);
      Value *q = b.CreateSDiv(x[0], safe);
      return b.CreateSelect(y0, zero, b.CreateSelect(ym1, b.CreateSub(zero, x[0]), q));
    }
    case OpKind::Max: return b.CreateSelect(b.CreateICmpSGT(x[0], x[1]), x[0], x[1]);
    case OpKind::Min: return b.CreateSelect(b.CreateICmpSLT(x[0], x[1]), x[0], x[1]);
    case OpKind::Eq: return boolByte(b.CreateICmpEQ(x[0], x[1]), lanes);
    case OpKind::Ne: return boolByte(b.CreateICmpNE(x[0], x[1]), lanes);
    case OpKind::Lt: return boolByte(b.CreateICmpSLT(x[0], x[1]), lanes);
    case OpKind::Le: return boolByte(b.CreateICmpSLE(x[0], x[1]), lanes);
    case OpKind::Gt: return boolByte(b.CreateICmpSGT(x[0], x[1]), lanes);
    case OpKind::Ge: return boolByte(b.CreateICmpSGE(x[0], x[1]), lanes);
    default: break;
    }
    KILN_UNREACHABLE("i64 op without codegen");
  }

  // i1 values are bytes; arithmetic is mod 2 on bit(v) = v != 0, comparisons
  // compare the raw bytes as the reference's uint8_t comparisons do.
  Value *boolOp(OpKind k, const std::vector<Value *> &x, unsigned lanes) {
    switch (k) {
    case OpKind::Neg:
    case OpKind::Abs:
    case OpKind::Relu: return bit(x[0]);
    case OpKind::Add:
    case OpKind::Sub: return b.CreateXor(bit(x[0]), bit(x[1]));
    case OpKind::Mul:
    case OpKind::Min:
    case OpKind::Div: return b.CreateAnd(bit(x[0]), bit(x[1]));
    case OpKind::Max: return b.CreateOr(bit(x[0]), bit(x[1]));
    case OpKind::Pow: // x^0 = 1, x^1 = x
      return b.CreateSelect(b.CreateICmpNE(bit(x[1]), llvm::Constant::getNullValue(x[1]->getType())),
                            bit(x[0]), splat(b.getInt8(1), lanes));
    case OpKind::Eq: return boolByte(b.CreateICmpEQ(x[0], x[1]), lanes);
    case OpKind::Ne: return boolByte(b.CreateICmpNE(x[0], x[1]), lanes);
    case OpKind::Lt: return boolByte(b.CreateICmpULT(x[0], x[1]), lanes);
    case OpKind::Le: return boolByte(b.CreateICmpULE(x[0], x[1]), lanes);
    case OpKind::Gt: return boolByte(b.CreateICmpUGT(x[0], x[1]), lanes);
    case OpKind::Ge: return boolByte(b.CreateICmpUGE(x[0], x[1]), lanes);
    default: break;
    }
    KILN_UNREACHABLE("i1 op without codegen");
  }

  // KernelsInternal.h's convertElem.
  Value *cast(Value *v, ElemType from, ElemType to, unsigned lanes) {
    if (from == to)
      return v;
    llvm::Type *dst = vecTy(to, lanes);
    if (to == ElemType::I1) { // v != 0 (NaN counts as nonzero)
      Value *nz = ir::isFloat(from)
                      ? b.CreateFCmpUNE(v, llvm::Constant::getNullValue(v->getType()))
                      : b.CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
      return boolByte(nz, lanes);
    }
    if (from == ElemType::I1) {
      Value *one = bit(v);
      return ir::isFloat(to) ? b.CreateUIToFP(one, dst) : b.CreateZExt(one, dst);
    }
    if (to == ElemType::I64) // truncate toward zero, saturate, NaN -> 0
      return b.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {dst, v->getType()}, {v});
    if (from == ElemType::I64)
      return b.CreateSIToFP(v, dst);
    return to == ElemType::F64 ? b.CreateFPExt(v, dst) : b.CreateFPTrunc(v, dst);
  }

  // ---- task geometry ----------------------------------------------------------------

  struct Tiles {
    Value *rows, *inner, *rowsPerTask, *colChunk, *colBlocks, *tasks;
  };
  /// Rows (all dims but the last) x the last dim, cut into tasks of about
  /// kTaskElems elements (the same formulas in the entry and in the nests).
  Tiles tiles(const Env &e, int64_t vecLanes) {
    Tiles t;
    t.rows = c64(1);
    for (int d = 0; d + 1 < rank(); ++d)
      t.rows = b.CreateMul(t.rows, e.dims[size_t(d)]);
    t.inner = rank() ? e.dims[size_t(rank() - 1)] : c64(1);
    Value *big = b.CreateICmpSGE(t.inner, c64(kTaskElems));
    Value *one = c64(1);
    Value *innerOr1 = b.CreateSelect(b.CreateICmpSGT(t.inner, one), t.inner, one);
    Value *rpt = b.CreateSDiv(c64(kTaskElems), innerOr1);
    t.rowsPerTask = b.CreateSelect(big, one, b.CreateSelect(b.CreateICmpSGT(rpt, one), rpt, one));
    Value *chunk = c64((kTaskElems / vecLanes) * vecLanes);
    t.colChunk = b.CreateSelect(big, chunk, innerOr1);
    t.colBlocks = ceilDiv(t.inner, t.colChunk);
    t.tasks = b.CreateMul(ceilDiv(t.rows, t.rowsPerTask), t.colBlocks);
    return t;
  }
  Value *ceilDiv(Value *a, Value *d) {
    return b.CreateSDiv(b.CreateAdd(a, b.CreateSub(d, c64(1))), d);
  }
  Value *minV(Value *a, Value *c) { return b.CreateSelect(b.CreateICmpSLT(a, c), a, c); }
  /// idx[0 .. last) from a flat row index over dims[0 .. last).
  void decodeRow(Value *row, const Env &e, int first, int last, std::vector<Value *> &idx) {
    for (int d = last - 1; d >= first; --d) {
      if (d == first) {
        idx[size_t(d)] = row;
        break;
      }
      idx[size_t(d)] = b.CreateURem(row, e.dims[size_t(d)]);
      row = b.CreateUDiv(row, e.dims[size_t(d)]);
    }
  }

  // ---- the map nest -------------------------------------------------------------------

  /// Stores the yielded full-shape values at point p (computing all before
  /// storing any: the epilogue may write in place over the product).
  void storeResults(Point &p, int skipResult) {
    std::vector<std::pair<size_t, Value *>> vals;
    for (size_t r = 0; r < P.results.size(); ++r)
      if (!isReduction(P.results[r]) && static_cast<int>(r) != skipResult)
        vals.emplace_back(r, eval(P.results[r], p));
    Value *off = flatOffset(p);
    for (auto &[r, v] : vals)
      storeAt(p.env->out[r], P.shapes.at(P.results[r]).elem, off, v);
  }

  /// Whether the map nest may stream its stores: x86 (its sfence ends a
  /// task), vectors of at least 4 lanes, a memory-bound body (kStreamBytes)
  /// and results that may reach kStreamBytes (the entry decides at run time).
  bool canStream() const {
    if (lanes_ < 4 || llvm::Triple(T.triple).getArch() != llvm::Triple::x86_64 ||
        !P.randomOps.empty())
      return false;
    for (const ir::Operation *op : P.members)
      if (op->is(OpKind::Exp) || op->is(OpKind::Log) || op->is(OpKind::Tanh) ||
          op->is(OpKind::Sigmoid) || op->is(OpKind::Pow))
        return false;
    int64_t elems = 1;
    for (const auto &d : P.space) {
      if (d.size == ir::kDynamic)
        return true;
      elems *= d.size;
    }
    return elems * resultBytesPerPoint() >= kStreamBytes;
  }
  /// Bytes the map nest writes per point of the iteration space.
  int64_t resultBytesPerPoint() const {
    int64_t n = 0;
    for (const ir::Value *r : P.results)
      if (!isReduction(r))
        n += int64_t(ir::elemTypeSize(P.shapes.at(r).elem));
    return n;
  }

  /// The random ops whose draws a map nest takes from strips: f32 normals
  /// along the last dimension (consecutive offsets within a row), unless
  /// rows are known to be shorter than kMinStripRow (a call costs about
  /// what two inline vectors do). Their inline form is a latency chain of
  /// ten Philox rounds, log, sincos and sqrt a vector that the core does
  /// not overlap across iterations: 0.4x the runtime's generator, which
  /// goes by whole tiles of blocks (docs/performance.md, "Random tensor
  /// initialization").
  std::vector<size_t> stripDraws() const {
    std::vector<size_t> ks;
    if (rank() == 0 ||
        (P.space.back().size != ir::kDynamic && P.space.back().size < kMinStripRow))
      return ks;
    for (size_t k = 0; k < P.randomOps.size(); ++k) {
      const ir::Operation &op = *P.randomOps[k];
      const ValueShape &vs = P.shapes.at(op.result());
      if (op.is(OpKind::RandomNormal) && vs.elem == ElemType::F32 && vs.full[size_t(rank() - 1)])
        ks.push_back(k);
    }
    return ks;
  }
  /// Fills each strip op's buffer with its n draws from the element at
  /// index idx (last index s0): kiln_rt_random_normal_f32, the interpreter's
  /// kernel (runtime/KernelsRandom.cpp).
  void fillStrips(const std::vector<size_t> &ks, const Env &e, const std::vector<Value *> &idx,
                  Value *s0, Value *n) {
    llvm::Function *fill = runtimeFn("kiln_rt_random_normal_f32", b.getVoidTy(),
                                     {ptr_, i64_, i64_, i64_, i64_});
    Point p;
    p.env = &e;
    p.idx = idx;
    p.idx.back() = s0;
    for (size_t k : ks) {
      const ValueShape &vs = P.shapes.at(P.randomOps[k]->result());
      Value *o = b.CreateAdd(e.rngBase[k], offsetOf(vs, p));
      int key = P.randomKeyOf[k];
      b.CreateCall(fill, {stripBuf_[k], n, e.seed[size_t(key)], e.stream[size_t(key)], o});
    }
  }

  /// The map nest. When the entry chose to stream (see kStreamBytes), its
  /// full vectors are streaming stores, fenced at the end of each call so
  /// that whoever waits for the task (runtime/JobPool.cpp's done counter)
  /// sees them: x86's usual store ordering does not cover them.
  llvm::Function *emitMapNest() {
    if (!hasFullResults())
      return nullptr;
    llvm::Function *fn = makeFunction(sym_ + ".map", b.getVoidTy(), {ptr_, i64_, i64_}, false);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
    Env e = loadEnv(fn->getArg(0));
    if (streams_)
      e.streaming = b.CreateICmpNE(b.CreateLoad(i64_, slot(fn->getArg(0), sStream_)), c64(0));
    mapEnv_ = &e;
    // f32 normals along the rows come from the runtime's generator (the
    // interpreter's own kernel, so the same bits) in strips of
    // kStripDraws, into buffers the vector loop reads.
    std::vector<size_t> strips = stripDraws();
    stripBuf_.assign(P.randomOps.size(), nullptr);
    for (size_t k : strips)
      stripBuf_[k] = b.CreateAlloca(b.getFloatTy(), c64(kStripDraws), "strip");
    Tiles t = tiles(e, lanes_);
    loop(fn->getArg(1), fn->getArg(2), c64(1), [&](Value *task) {
      Value *rb = b.CreateSDiv(task, t.colBlocks), *cb = b.CreateSRem(task, t.colBlocks);
      Value *r0 = b.CreateMul(rb, t.rowsPerTask);
      Value *r1 = minV(b.CreateAdd(r0, t.rowsPerTask), t.rows);
      Value *c0 = b.CreateMul(cb, t.colChunk);
      Value *c1 = minV(b.CreateAdd(c0, t.colChunk), t.inner);
      loop(r0, r1, c64(1), [&](Value *row) {
        std::vector<Value *> idx(size_t(rank()), nullptr);
        if (rank() > 1)
          decodeRow(row, e, 0, rank() - 1, idx);
        auto vectors = [&](Value *j0, Value *j1) {
          vectorLoop(
              j0, j1, rank() ? lanes_ : 1,
              [&](Value *j, unsigned lanes) {
                Point p;
                p.env = &e;
                p.lanes = lanes;
                p.idx = idx;
                if (rank())
                  p.idx.back() = j;
                storeResults(p, -1);
              },
              /*masked=*/true);
        };
        if (strips.empty()) {
          vectors(c0, c1);
          return;
        }
        loop(c0, c1, c64(kStripDraws), [&](Value *s0) {
          Value *s1 = minV(b.CreateAdd(s0, c64(kStripDraws)), c1);
          fillStrips(strips, e, idx, s0, b.CreateSub(s1, s0));
          strip0_ = s0;
          vectors(s0, s1);
          strip0_ = nullptr;
        });
      });
    });
    mapEnv_ = nullptr;
    stripBuf_.clear();
    if (e.streaming) {
      auto *fence = llvm::BasicBlock::Create(ctx_, "fence", fn);
      auto *ret = llvm::BasicBlock::Create(ctx_, "ret", fn);
      b.CreateCondBr(e.streaming, fence, ret);
      b.SetInsertPoint(fence);
      b.CreateCall(llvm::Intrinsic::getDeclaration(&M, llvm::Intrinsic::x86_sse_sfence));
      b.CreateBr(ret);
      b.SetInsertPoint(ret);
    }
    b.CreateRetVoid();
    return fn;
  }

  // ---- the matmul epilogue --------------------------------------------------------------

  /// void epi(state, c, ldc, row0, col0, rows, cols): the elementwise
  /// epilogue over one finished tile of the product.
  llvm::Function *emitEpilogue() {
    llvm::Function *fn = makeFunction(sym_ + ".epi", b.getVoidTy(),
                                      {ptr_, ptr_, i64_, i64_, i64_, i64_, i64_}, false);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
    Env e = loadEnv(fn->getArg(0));
    Value *c = fn->getArg(1), *ldc = fn->getArg(2), *row0 = fn->getArg(3), *col0 = fn->getArg(4);
    Value *rows = fn->getArg(5), *cols = fn->getArg(6);
    ElemType ce = P.matmul->result()->type().elem();
    const int skip = -1;
    loop(c64(0), rows, c64(1), [&](Value *i) {
      Value *rowPtr = b.CreateGEP(elemTy(ce), c, b.CreateMul(i, ldc));
      vectorLoop(
          c64(0), cols, lanes_,
          [&](Value *j, unsigned lanes) {
            Point p;
            p.env = &e;
            p.lanes = lanes;
            p.idx = {b.CreateAdd(row0, i), b.CreateAdd(col0, j)};
            p.matmulValue = [&, j, lanes]() -> Value * {
              Value *addr = b.CreateGEP(elemTy(ce), rowPtr, j);
              return vectorLoad(vecTy(ce, lanes), addr, llvm::Align(ir::elemTypeSize(ce)));
            };
            storeResults(p, skip);
          },
          /*masked=*/true);
    });
    b.CreateRetVoid();
    return fn;
  }

  // ---- reduction nests ------------------------------------------------------------------

  /// A product's value at p, read from its contiguous M x N buffer. Lanes run
  /// along the last dimension, or along the first when the last has size 1:
  /// contiguous either way.
  Value *productAt(Value *buf, ElemType ce, Point &p) {
    Value *off = b.CreateAdd(b.CreateMul(p.idx[0], p.env->dims[1]), p.idx[1]);
    Value *addr = b.CreateGEP(elemTy(ce), buf, off);
    if (p.lanes == 1)
      return b.CreateAlignedLoad(elemTy(ce), addr, llvm::Align(ir::elemTypeSize(ce)));
    return vectorLoad(vecTy(ce, p.lanes), addr, llvm::Align(ir::elemTypeSize(ce)));
  }

  /// The product's value at p when it is read back from the C buffer.
  void readProductFromC(Point &p) {
    if (!P.matmul)
      return;
    ElemType ce = P.matmul->result()->type().elem();
    p.matmulValue = [this, &p, ce]() -> Value * { return productAt(p.env->cbuf, ce, p); };
  }

  Value *tree8(Value *acc) { // ((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7))
    auto lane = [&](unsigned l) { return b.CreateExtractElement(acc, uint64_t(l)); };
    Value *s01 = b.CreateFAdd(lane(0), lane(1)), *s23 = b.CreateFAdd(lane(2), lane(3));
    Value *s45 = b.CreateFAdd(lane(4), lane(5)), *s67 = b.CreateFAdd(lane(6), lane(7));
    return b.CreateFAdd(b.CreateFAdd(s01, s23), b.CreateFAdd(s45, s67));
  }
  Value *maxStep(OpKind k, Value *acc, Value *v) { // (v > acc || v != v) ? v : acc
    Value *better = k == OpKind::ReduceMax ? b.CreateFCmpOGT(v, acc) : b.CreateFCmpOLT(v, acc);
    return b.CreateSelect(b.CreateOr(better, b.CreateFCmpUNO(v, v)), v, acc);
  }

  /// Whether every dimension after `axis` has size 1: statically (1), not
  /// statically (0), or only known at run time (-1).
  int trailingOnes(int axis) const {
    int r = 1;
    for (int d = axis + 1; d < rank(); ++d) {
      int64_t s = P.space[size_t(d)].size;
      if (s == ir::kDynamic)
        r = r == 1 ? -1 : r;
      else if (s != 1)
        return 0;
    }
    return r;
  }
  Value *trailingProduct(const Env &e, int axis) {
    Value *n = c64(1);
    for (int d = axis + 1; d < rank(); ++d)
      n = b.CreateMul(n, e.dims[size_t(d)]);
    return n;
  }

  // The reference reduces a contiguous run (everything, the last axis, or an
  // axis whose later dimensions are all 1) in the fixed blocked order, and
  // any other axis element by element: the same choice here, at run time
  // when a later dimension is dynamic.
  llvm::Function *emitReductionNest(size_t result) {
    const ir::Operation &red = *P.results[result]->definingOp();
    int axis = KernelPlan::reductionAxis(red);
    int runAxis = axis < 0 ? rank() - 1 : axis;
    llvm::Function *fn = makeFunction(sym_ + ".red" + std::to_string(result), b.getVoidTy(),
                                      {ptr_, i64_, i64_}, false);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
    Env e = loadEnv(fn->getArg(0));
    int ones = axis < 0 ? 1 : trailingOnes(axis);
    if (ones == 1) {
      emitRunReduction(red, runAxis, e, result, fn->getArg(1), fn->getArg(2));
    } else if (ones == 0) {
      emitInnerAxisReduction(red, axis, e, result, fn->getArg(1), fn->getArg(2));
    } else {
      llvm::BasicBlock *run = block("run"), *inner = block("inner"), *done = block("done");
      b.CreateCondBr(b.CreateICmpEQ(trailingProduct(e, axis), c64(1)), run, inner);
      b.SetInsertPoint(run);
      emitRunReduction(red, runAxis, e, result, fn->getArg(1), fn->getArg(2));
      b.CreateBr(done);
      b.SetInsertPoint(inner);
      emitInnerAxisReduction(red, axis, e, result, fn->getArg(1), fn->getArg(2));
      b.CreateBr(done);
      b.SetInsertPoint(done);
    }
    b.CreateRetVoid();
    return fn;
  }

  /// Tasks of a run reduction along `axis` (later dims all 1): blocks of rows.
  Value *runRowsPerTask(const Env &e, int axis) {
    Value *inner = rank() ? e.dims[size_t(axis)] : c64(1);
    Value *innerOr1 = b.CreateSelect(b.CreateICmpSGT(inner, c64(1)), inner, c64(1));
    Value *rpt = b.CreateSDiv(c64(kTaskElems), innerOr1);
    return b.CreateSelect(b.CreateICmpSGT(rpt, c64(1)), rpt, c64(1));
  }
  Value *runRows(const Env &e, int axis) {
    Value *rows = c64(1);
    for (int d = 0; d < axis; ++d)
      rows = b.CreateMul(rows, e.dims[size_t(d)]);
    return rows;
  }

  /// Reduces contiguous runs along `axis` (every later dimension is 1): one
  /// output per row of the dimensions before it.
  void emitRunReduction(const ir::Operation &red, int axis, const Env &e, size_t result,
                        Value *tb, Value *te) {
    OpKind k = red.kind();
    const ir::Value *x = red.operand(0);
    ElemType et = P.shapes.at(x).elem;
    Value *rows = runRows(e, axis);
    Value *R = rank() ? e.dims[size_t(axis)] : c64(1);
    Value *rpt = runRowsPerTask(e, axis);
    Value *zero = llvm::ConstantFP::get(elemTy(et), 0.0);
    loop(b.CreateMul(tb, rpt), minV(b.CreateMul(te, rpt), rows), c64(1), [&](Value *row) {
      std::vector<Value *> idx(size_t(rank()), c64(0));
      if (axis > 0)
        decodeRow(row, e, 0, axis, idx);
      auto at = [&](Value *j, unsigned lanes) {
        Point p;
        p.env = &e;
        p.lanes = lanes;
        p.laneDim = axis;
        p.idx = idx;
        if (rank())
          p.idx[size_t(axis)] = j;
        readProductFromC(p);
        return eval(x, p);
      };
      Value *res = nullptr;
      if (k == OpKind::ReduceSum || k == OpKind::ReduceMean) {
        // Blocks of 4096 from the row start; 8 accumulators, element i of a
        // block into lane i % 8; block sums added in order from +0.
        Value *accZero = llvm::Constant::getNullValue(vecTy(et, kSumLanes));
        auto total = loop(c64(0), R, c64(kSumBlock), {zero}, [&](Value *b0, const auto &c) {
          Value *b1 = minV(b.CreateAdd(b0, c64(kSumBlock)), R);
          Value *vend = b.CreateAdd(
              b0, b.CreateMul(b.CreateSDiv(b.CreateSub(b1, b0), c64(kSumLanes)), c64(kSumLanes)));
          auto acc = loop(
              b0, vend, c64(kSumLanes), {accZero},
              [&](Value *j, const auto &a) {
                return std::vector<Value *>{b.CreateFAdd(a[0], at(j, kSumLanes))};
              },
              LoopKind::Vector);
          auto acc2 = loop(vend, b1, c64(1), {acc[0]}, [&](Value *j, const auto &a) {
            Value *lane = b.CreateSub(j, vend);
            Value *old = b.CreateExtractElement(a[0], lane);
            return std::vector<Value *>{
                b.CreateInsertElement(a[0], b.CreateFAdd(old, at(j, 1)), lane)};
          });
          return std::vector<Value *>{b.CreateFAdd(c[0], tree8(acc2[0]))};
        });
        res = total[0];
        if (k == OpKind::ReduceMean)
          res = b.CreateFDiv(res, b.CreateSIToFP(R, elemTy(et)));
      } else if (k == OpKind::ReduceArgmax) {
        // best = x[0]; take v when v > best || (v != v && best == best)
        Value *first = at(c64(0), 1);
        auto r = loop(c64(1), R, c64(1), {first, c64(0)}, [&](Value *j, const auto &c) {
          Value *v = at(j, 1);
          Value *take = b.CreateOr(b.CreateFCmpOGT(v, c[0]),
                                   b.CreateAnd(b.CreateFCmpUNO(v, v), b.CreateFCmpORD(c[0], c[0])));
          return std::vector<Value *>{b.CreateSelect(take, v, c[0]), b.CreateSelect(take, j, c[1])};
        });
        res = r[1];
      } else { // max/min: sequential from x[0]
        Value *first = at(c64(0), 1);
        auto r = loop(c64(1), R, c64(1), {first}, [&](Value *j, const auto &c) {
          return std::vector<Value *>{maxStep(k, c[0], at(j, 1))};
        });
        res = r[0];
      }
      ElemType oe = red.result()->type().elem();
      storeAt(e.out[result], oe, row, res);
    });
  }

  /// Tasks of an inner-axis reduction: outer index x column chunks of the last dim.
  struct InnerTiles {
    Value *outer, *innerRows, *len, *colChunk, *colBlocks, *tasks;
  };
  InnerTiles innerTiles(const Env &e, int axis) {
    InnerTiles t;
    t.outer = c64(1);
    for (int d = 0; d < axis; ++d)
      t.outer = b.CreateMul(t.outer, e.dims[size_t(d)]);
    t.innerRows = c64(1);
    for (int d = axis + 1; d + 1 < rank(); ++d)
      t.innerRows = b.CreateMul(t.innerRows, e.dims[size_t(d)]);
    t.len = e.dims[size_t(rank() - 1)];
    Value *work = b.CreateMul(e.dims[size_t(axis)], t.innerRows);
    Value *workOr1 = b.CreateSelect(b.CreateICmpSGT(work, c64(1)), work, c64(1));
    Value *chunk = b.CreateSDiv(c64(kTaskElems), workOr1);
    chunk = b.CreateMul(ceilDiv(chunk, c64(lanes_)), c64(lanes_));
    chunk = b.CreateSelect(b.CreateICmpSGT(chunk, c64(lanes_)), chunk, c64(lanes_));
    Value *lenOr1 = b.CreateSelect(b.CreateICmpSGT(t.len, c64(1)), t.len, c64(1));
    t.colChunk = minV(chunk, lenOr1);
    t.colBlocks = ceilDiv(t.len, t.colChunk);
    t.tasks = b.CreateMul(t.outer, t.colBlocks);
    return t;
  }

  void emitInnerAxisReduction(const ir::Operation &red, int axis, const Env &e, size_t result,
                              Value *tb, Value *te) {
    OpKind k = red.kind();
    const ir::Value *x = red.operand(0);
    ElemType et = P.shapes.at(x).elem;
    InnerTiles t = innerTiles(e, axis);
    Value *R = e.dims[size_t(axis)];
    Value *outBase = e.out[result];
    loop(tb, te, c64(1), [&](Value *task) {
      Value *o = b.CreateSDiv(task, t.colBlocks), *cb = b.CreateSRem(task, t.colBlocks);
      Value *c0 = b.CreateMul(cb, t.colChunk);
      Value *c1 = minV(b.CreateAdd(c0, t.colChunk), t.len);
      std::vector<Value *> idx(size_t(rank()), nullptr);
      if (axis > 0)
        decodeRow(o, e, 0, axis, idx);
      // Output offset: the flat index over every dim but the axis.
      auto outOffset = [&](const std::vector<Value *> &ix) {
        Value *off = c64(0);
        for (int d = 0; d < rank(); ++d)
          if (d != axis)
            off = b.CreateAdd(b.CreateMul(off, e.dims[size_t(d)]), ix[size_t(d)]);
        return off;
      };
      // One pass over the output elements of this task: f(point, outAddr).
      auto pass = [&](Value *r, const std::function<void(Point &, Value *, unsigned)> &f) {
        loop(c64(0), t.innerRows, c64(1), [&](Value *ir) {
          std::vector<Value *> ix = idx;
          ix[size_t(axis)] = r;
          if (axis + 1 < rank() - 1)
            decodeRow(ir, e, axis + 1, rank() - 1, ix);
          vectorLoop(c0, c1, lanes_, [&](Value *j, unsigned lanes) {
            Point p;
            p.env = &e;
            p.lanes = lanes;
            p.idx = ix;
            p.idx.back() = j;
            readProductFromC(p);
            Value *addr = b.CreateGEP(elemTy(et), outBase, outOffset(p.idx));
            f(p, addr, lanes);
          });
        });
      };
      llvm::Align al(ir::elemTypeSize(et));
      bool sum = k == OpKind::ReduceSum || k == OpKind::ReduceMean;
      // Initialize: sums from +0, max/min from the first element.
      pass(c64(0), [&](Point &p, Value *addr, unsigned lanes) {
        Value *init = sum ? llvm::Constant::getNullValue(vecTy(et, lanes)) : eval(x, p);
        b.CreateAlignedStore(canonicalNaN(init, et), addr, al);
      });
      loop(sum ? c64(0) : c64(1), R, c64(1), [&](Value *r) {
        pass(r, [&](Point &p, Value *addr, unsigned lanes) {
          Value *acc = b.CreateAlignedLoad(vecTy(et, lanes), addr, al);
          Value *v = eval(x, p);
          b.CreateAlignedStore(canonicalNaN(sum ? b.CreateFAdd(acc, v) : maxStep(k, acc, v), et),
                               addr, al);
        });
      });
      if (k == OpKind::ReduceMean) {
        pass(c64(0), [&](Point &, Value *addr, unsigned lanes) {
          Value *acc = b.CreateAlignedLoad(vecTy(et, lanes), addr, al);
          Value *n = splat(b.CreateSIToFP(R, elemTy(et)), lanes);
          b.CreateAlignedStore(canonicalNaN(b.CreateFDiv(acc, n), et), addr, al);
        });
      }
    });
  }

  // ---- the entry ------------------------------------------------------------------------

  void emitEntry(llvm::Function *mapFn, const std::vector<llvm::Function *> &redFns,
                 llvm::Function *epi) {
    llvm::Function *fn = makeFunction(sym_, b.getInt32Ty(), {ptr_}, true);
    llvm::BasicBlock *entry = llvm::BasicBlock::Create(ctx_, "entry", fn);
    llvm::BasicBlock *decline = llvm::BasicBlock::Create(ctx_, "decline", fn);
    llvm::BasicBlock *nomem = llvm::BasicBlock::Create(ctx_, "nomem", fn);
    b.SetInsertPoint(decline);
    b.CreateRet(b.getInt32(KILN_KERNEL_DECLINE));
    b.SetInsertPoint(nomem);
    b.CreateRet(b.getInt32(KILN_KERNEL_NOMEM));
    b.SetInsertPoint(entry);

    Value *args = fn->getArg(0);
    auto field = [&](unsigned f) {
      return b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, args, f));
    };
    Value *inArr = field(kArgIn), *dimsArr = field(kArgInDims), *outArr = field(kArgOut);
    Value *rngArr = field(kArgRng), *keyArr = field(kArgRngKey), *rt = field(kArgRt);
    Value *allocFn = field(kArgAlloc), *scratchFn = field(kArgScratch);

    Env e;
    std::vector<Value *> opDims;
    for (unsigned k = 0; k < P.fused->numOperands(); ++k) {
      e.in.push_back(b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, inArr, k)));
      opDims.push_back(b.CreateLoad(ptr_, b.CreateConstGEP1_64(ptr_, dimsArr, k)));
    }
    auto operandDim = [&](int k, int d) {
      return b.CreateLoad(i64_, b.CreateConstGEP1_64(i64_, opDims[size_t(k)], uint64_t(d)));
    };
    for (const SpaceDim &s : P.space)
      e.dims.push_back(s.size != ir::kDynamic ? c64(s.size)
                       : s.operand >= 0        ? operandDim(s.operand, s.dim)
                                               : c64(1));
    // Checks: decline before any write.
    auto require = [&](Value *ok) {
      llvm::BasicBlock *next = llvm::BasicBlock::Create(ctx_, "ok", fn);
      b.CreateCondBr(ok, next, decline);
      b.SetInsertPoint(next);
    };
    for (const DimCheck &c : P.checks) {
      Value *v = c.operand >= 0 ? operandDim(c.operand, c.dim) : c64(c.size);
      require(b.CreateICmpEQ(v, e.dims[size_t(c.spaceDim)]));
    }
    for (const ir::Operation *red : P.reductions) {
      if (red->is(OpKind::ReduceSum) || red->is(OpKind::ReduceMean))
        continue; // max/min/argmax of nothing is the interpreter's error
      int axis = KernelPlan::reductionAxis(*red);
      Value *extent = axis >= 0 ? e.dims[size_t(axis)] : c64(1);
      if (axis < 0)
        for (Value *d : e.dims)
          extent = b.CreateMul(extent, d);
      require(b.CreateICmpSGT(extent, c64(0)));
    }
    std::vector<Value *> K; // inner dimension of each product
    for (const ir::Operation *mm : P.matmuls) {
      bool ta = mm->boolAttr("transpose_a"), tb = mm->boolAttr("transpose_b");
      int a = P.operandIndex.at(mm->operand(0)), bb = P.operandIndex.at(mm->operand(1));
      K.push_back(operandDim(a, ta ? 0 : 1));
      require(b.CreateICmpEQ(K.back(), operandDim(bb, tb ? 1 : 0)));
    }

    // Results.
    for (size_t r = 0; r < P.results.size(); ++r) {
      const ir::Value *v = P.results[r];
      std::vector<Value *> dims;
      if (isReduction(v)) {
        int axis = KernelPlan::reductionAxis(*v->definingOp());
        if (axis >= 0)
          for (int d = 0; d < rank(); ++d)
            if (d != axis)
              dims.push_back(e.dims[size_t(d)]);
      } else {
        dims = e.dims;
      }
      Value *dimArr = b.CreateAlloca(i64_, c64(std::max<int64_t>(1, int64_t(dims.size()))));
      for (size_t d = 0; d < dims.size(); ++d)
        b.CreateStore(dims[d], b.CreateConstGEP1_64(i64_, dimArr, d));
      auto *allocTy = llvm::FunctionType::get(ptr_, {ptr_, b.getInt32Ty(), ptr_}, false);
      Value *data = b.CreateCall(allocTy, allocFn, {rt, b.getInt32(uint32_t(r)), dimArr});
      llvm::BasicBlock *ok = llvm::BasicBlock::Create(ctx_, "allocated", fn);
      b.CreateCondBr(b.CreateIsNull(data), nomem, ok);
      b.SetInsertPoint(ok);
      b.CreateStore(data, b.CreateConstGEP1_64(ptr_, outArr, r));
      e.out.push_back(data);
    }
    if (P.matmul) {
      auto productBuffer = [&](int result) -> Value * {
        if (result >= 0)
          return e.out[size_t(result)];
        ElemType ce = P.matmul->result()->type().elem();
        Value *bytes = b.CreateMul(b.CreateMul(e.dims[0], e.dims[1]), c64(ir::elemTypeSize(ce)));
        auto *scratchTy = llvm::FunctionType::get(ptr_, {ptr_, i64_}, false);
        Value *data = b.CreateCall(scratchTy, scratchFn, {rt, bytes});
        llvm::BasicBlock *ok = llvm::BasicBlock::Create(ctx_, "scratch", fn);
        b.CreateCondBr(b.CreateIsNull(data), nomem, ok);
        b.SetInsertPoint(ok);
        return data;
      };
      e.cbuf = productBuffer(gemmOutput());
      if (P.matmuls.size() == 2)
        e.p1buf = productBuffer(firstProductOutput());
    }

    // Random bases: each op draws at its key's counter, which then advances
    // by the op's element count (in op order, as the interpreter does).
    std::vector<Value *> counter;
    for (int k = 0; k < P.numRandomKeys; ++k) {
      counter.push_back(b.CreateLoad(i64_, b.CreateConstGEP1_64(i64_, rngArr, uint64_t(k))));
      e.seed.push_back(b.CreateLoad(i64_, b.CreateConstGEP1_64(i64_, keyArr, uint64_t(2 * k))));
      e.stream.push_back(
          b.CreateLoad(i64_, b.CreateConstGEP1_64(i64_, keyArr, uint64_t(2 * k + 1))));
    }
    for (size_t i = 0; i < P.randomOps.size(); ++i) {
      int key = P.randomKeyOf[i];
      const ValueShape &vs = P.shapes.at(P.randomOps[i]->result());
      Value *n = c64(1);
      for (int d = rank() - vs.rank; d < rank(); ++d)
        if (vs.full[size_t(d)])
          n = b.CreateMul(n, e.dims[size_t(d)]);
      e.rngBase.push_back(counter[size_t(key)]);
      counter[size_t(key)] = b.CreateAdd(counter[size_t(key)], n);
    }

    if (mapFn && streams_) {
      // Streaming when the results are large, every row is whole vectors
      // and every result buffer is vector-aligned (BufferPool blocks are
      // 64-byte aligned, but the check costs nothing).
      Tiles t = tiles(e, lanes_);
      Value *points = b.CreateMul(t.rows, t.inner);
      Value *ok = b.CreateICmpSGE(b.CreateMul(points, c64(resultBytesPerPoint())),
                                  c64(kStreamBytes));
      ok = b.CreateAnd(ok, b.CreateICmpEQ(b.CreateSRem(t.inner, c64(lanes_)), c64(0)));
      const int64_t mask = int64_t(T.vectorBits / 8 - 1);
      for (size_t r = 0; r < P.results.size(); ++r)
        if (!isReduction(P.results[r]))
          ok = b.CreateAnd(ok, b.CreateICmpEQ(b.CreateAnd(b.CreatePtrToInt(e.out[r], i64_),
                                                          c64(mask)),
                                              c64(0)));
      e.streaming = ok;
    }
    Value *state = b.CreateAlloca(i64_, c64(nSlots_), "state");
    storeEnv(e, state);
    llvm::Function *pfor = runtimeFn("kiln_rt_parallel_for", b.getVoidTy(), {i64_, ptr_, ptr_});
    if (mapFn) {
      Tiles t = tiles(e, lanes_);
      b.CreateCall(pfor, {t.tasks, mapFn, state});
    }
    // The runtime GEMM (runtime/Gemm.h) calls the epilogue on each output
    // tile of the last product as soon as it is final, while it is in cache;
    // a first product is computed before it, into its own buffer.
    for (size_t i = 0; i < P.matmuls.size(); ++i) {
      const ir::Operation &mm = *P.matmuls[i];
      bool last = &mm == P.matmul;
      ElemType ce = mm.result()->type().elem();
      bool ta = mm.boolAttr("transpose_a"), tb = mm.boolAttr("transpose_b");
      int a = P.operandIndex.at(mm.operand(0)), bb = P.operandIndex.at(mm.operand(1));
      llvm::Function *gemm = runtimeFn(
          ce == ElemType::F32 ? "kiln_rt_sgemm" : "kiln_rt_dgemm", b.getVoidTy(),
          {i64_, i64_, i64_, ptr_, i64_, b.getInt32Ty(), ptr_, i64_, b.getInt32Ty(), ptr_, i64_,
           ptr_, ptr_});
      Value *m = e.dims[0], *n = e.dims[1], *k = K[i];
      Value *lda = ta ? m : k, *ldb = tb ? k : n;
      Value *epiPtr = last && epi ? static_cast<Value *>(epi) : llvm::ConstantPointerNull::get(ptr_);
      b.CreateCall(gemm, {m, n, k, e.in[size_t(a)], lda, b.getInt32(ta), e.in[size_t(bb)], ldb,
                          b.getInt32(tb), last ? e.cbuf : e.p1buf, n, epiPtr, state});
    }
    for (size_t r = 0; r < redFns.size(); ++r) {
      if (!redFns[r])
        continue;
      const ir::Operation &red = *P.results[r]->definingOp();
      int axis = KernelPlan::reductionAxis(red);
      int runAxis = axis < 0 ? rank() - 1 : axis;
      Value *runTasks = ceilDiv(runRows(e, runAxis), runRowsPerTask(e, runAxis));
      int ones = axis < 0 ? 1 : trailingOnes(axis);
      Value *tasks = ones == 1 ? runTasks
                     : ones == 0
                         ? innerTiles(e, axis).tasks
                         : b.CreateSelect(b.CreateICmpEQ(trailingProduct(e, axis), c64(1)),
                                          runTasks, innerTiles(e, axis).tasks);
      b.CreateCall(pfor, {tasks, redFns[r], state});
    }
    for (int k = 0; k < P.numRandomKeys; ++k)
      b.CreateStore(counter[size_t(k)], b.CreateConstGEP1_64(i64_, rngArr, uint64_t(k)));
    b.CreateRet(b.getInt32(KILN_KERNEL_OK));
  }

  const KernelPlan &P;
  const TargetInfo &T;
  std::string sym_;
  llvm::Module &M;
  llvm::LLVMContext &ctx_;
  llvm::IRBuilder<> b;
  unsigned lanes_ = 4;
  bool streams_ = false;   // the map nest may stream (canStream)
  const Env *mapEnv_ = nullptr; // while emitting the map nest
  Value *mask_ = nullptr;       // <lanes x i1> while emitting a masked vector loop
  llvm::Type *i64_ = nullptr;
  llvm::PointerType *ptr_ = nullptr;
};

} // namespace

void emitKernel(const KernelPlan &plan, const TargetInfo &target, const std::string &symbol,
                llvm::Module &module) {
  Emitter(plan, target, symbol, module).emit();
}

} // namespace kiln::codegen
