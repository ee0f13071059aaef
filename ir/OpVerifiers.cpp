// PLACEHOLDER (accepts everything): the verifier work replaces this file.
#include "ir/OpVerifiers.h"
#include "ir/IR.h"
namespace kiln::ir {
bool verifyModuleOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyComponentOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyFuncOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyReturnOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyYieldOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyCallOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyKernelCallOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyComponentRefOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyStateLoadOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyStateStoreOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifySeqOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyRepeatOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyBufferRepeatOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyLoopOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyWhileOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifySwitchOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyWeaveOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyConstantOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyUnaryOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyUnaryFloatOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyBinaryOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyBinaryFloatOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyCompareOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifySelectOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyCastOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyReduceOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyMatmulOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyTransposeOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyReshapeOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifySliceOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyConcatOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyDimOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyRandomOp(const Operation &, DiagnosticEngine &) { return true; }
bool verifyFusedOp(const Operation &, DiagnosticEngine &) { return true; }
} // namespace kiln::ir
