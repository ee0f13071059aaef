// Proves LLVM 19's LLJIT links and runs here: builds a vectorizable loop with
// IRBuilder, JIT-compiles it for the host, and calls it.
#include <gtest/gtest.h>

#include <vector>

#include "codegen/JitEngine.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"

namespace {

// void axpy(float *y, const float *x, float a, i64 n) { for i: y[i] += a*x[i] }
std::unique_ptr<llvm::Module> buildAxpy(llvm::LLVMContext &ctx, const kiln::codegen::JitEngine &jit) {
  auto m = std::make_unique<llvm::Module>("smoke", ctx);
  m->setDataLayout(jit.dataLayout());
  m->setTargetTriple(jit.targetTriple().str());
  llvm::IRBuilder<> b(ctx);
  auto *ptrTy = b.getPtrTy();
  auto *fnTy = llvm::FunctionType::get(b.getVoidTy(), {ptrTy, ptrTy, b.getFloatTy(), b.getInt64Ty()}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::Function::ExternalLinkage, "axpy", m.get());
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto *loop = llvm::BasicBlock::Create(ctx, "loop", fn);
  auto *exit = llvm::BasicBlock::Create(ctx, "exit", fn);
  llvm::Value *y = fn->getArg(0), *x = fn->getArg(1), *a = fn->getArg(2), *n = fn->getArg(3);
  b.SetInsertPoint(entry);
  b.CreateCondBr(b.CreateICmpSGT(n, b.getInt64(0)), loop, exit);
  b.SetInsertPoint(loop);
  auto *i = b.CreatePHI(b.getInt64Ty(), 2);
  i->addIncoming(b.getInt64(0), entry);
  auto *px = b.CreateGEP(b.getFloatTy(), x, i);
  auto *py = b.CreateGEP(b.getFloatTy(), y, i);
  auto *sum = b.CreateFAdd(b.CreateLoad(b.getFloatTy(), py),
                           b.CreateFMul(a, b.CreateLoad(b.getFloatTy(), px)));
  b.CreateStore(sum, py);
  auto *next = b.CreateAdd(i, b.getInt64(1));
  i->addIncoming(next, loop);
  b.CreateCondBr(b.CreateICmpSLT(next, n), loop, exit);
  b.SetInsertPoint(exit);
  b.CreateRetVoid();
  return m;
}

TEST(JitSmoke, CompilesAndRunsALoop) {
  auto jit = kiln::codegen::JitEngine::create();
  ASSERT_TRUE(bool(jit)) << llvm::toString(jit.takeError());
  EXPECT_FALSE((*jit)->cpuName().empty());

  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto module = buildAxpy(*ctx, **jit);
  ASSERT_FALSE(llvm::verifyModule(*module, &llvm::errs()));
  auto err = (*jit)->addModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx)));
  ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
  auto sym = (*jit)->lookup("axpy");
  ASSERT_TRUE(bool(sym)) << llvm::toString(sym.takeError());

  using Fn = void (*)(float *, const float *, float, int64_t);
  auto axpy = reinterpret_cast<Fn>(*sym);
  std::vector<float> x(1000), y(1000);
  for (int k = 0; k < 1000; ++k) {
    x[k] = static_cast<float>(k);
    y[k] = 1.0f;
  }
  axpy(y.data(), x.data(), 0.5f, 1000);
  for (int k = 0; k < 1000; ++k)
    ASSERT_EQ(y[k], 1.0f + 0.5f * static_cast<float>(k)) << "at " << k;
}

TEST(JitSmoke, LookupOfMissingSymbolIsAnError) {
  auto jit = kiln::codegen::JitEngine::create();
  ASSERT_TRUE(bool(jit)) << llvm::toString(jit.takeError());
  auto sym = (*jit)->lookup("no_such_function");
  ASSERT_FALSE(bool(sym));
  llvm::consumeError(sym.takeError());
}

TEST(JitSmoke, DescribesTheHost) {
  std::string d = kiln::codegen::describeJitHost();
  EXPECT_NE(d.find("LLVM 19"), std::string::npos) << d;
}

} // namespace
