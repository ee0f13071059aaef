// Factories of the optimization passes, one per file (passes/<Name>.cpp).
// The pass manager's registry (passes/PassManager.cpp) lists them by name.
#pragma once

#include <memory>

#include "passes/Pass.h"

namespace kiln::passes {

std::unique_ptr<Pass> createBulkReadPass();      // bulk-read
std::unique_ptr<Pass> createInlineKernelsPass(); // inline-kernels
std::unique_ptr<Pass> createFusePass();          // fuse
std::unique_ptr<Pass> createCanonicalizePass();  // canonicalize
std::unique_ptr<Pass> createCSEPass();           // cse
std::unique_ptr<Pass> createDCEPass();           // dce
std::unique_ptr<Pass> createLICMPass();          // licm
std::unique_ptr<Pass> createRefineTypesPass();   // refine-types

} // namespace kiln::passes
