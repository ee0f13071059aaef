// Builtins: factories for kiln's built-in component types and native
// functions, collected by Registry::withBuiltins(). One .cpp per type.
#pragma once

#include <memory>

#include "runtime/Registry.h"

namespace kiln::runtime {

std::unique_ptr<ComponentType> makeDatasetType();
std::unique_ptr<ComponentType> makeTensorType();
std::unique_ptr<ComponentType> makePCAType();
std::unique_ptr<ComponentType> makeRBMType();
std::unique_ptr<ComponentType> makeLogisticRegressionType();
std::unique_ptr<ComponentType> makeKMeansType();

/// Adds `print` and `log` (runtime/components/Printing.cpp).
void registerPrintingFunctions(Registry &registry);
/// Adds `save_npy` (runtime/components/SaveNpy.cpp).
void registerSaveNpyFunction(Registry &registry);
/// Adds `checkpoint` (runtime/components/CheckpointCall.cpp).
void registerCheckpointFunction(Registry &registry);

} // namespace kiln::runtime
