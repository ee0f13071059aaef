// KilnMath: kiln's own exp, log, tanh and sigmoid for f32 and f64, as the
// interpreter calls them.
//
// Why not std::exp: the interpreter (these functions) and JIT'ed kernels must
// agree bit for bit, and libm's results are neither specified nor
// reproducible in LLVM IR. The algorithms are defined once, as generators, in
// runtime/MathGen.h (which documents every step and constant); these are the
// scalar instantiations (runtime/MathScalar.h), and codegen instantiates the
// same generators with its LLVM IR evaluator.
//
// Accuracy (measured by the unit tests over sweeps against libm in higher
// precision): see docs/runtime-core.md; all are within a few ulp.
#pragma once

#include "runtime/MathGen.h"
#include "runtime/MathScalar.h"

namespace kiln::runtime::kmath {

inline float exp(float x) {
  mathgen::ScalarEval b;
  return mathgen::exp_f32(b, x);
}
inline double exp(double x) {
  mathgen::ScalarEval b;
  return mathgen::exp_f64(b, x);
}

inline float log(float x) {
  mathgen::ScalarEval b;
  return mathgen::log_f32(b, x);
}
inline double log(double x) {
  mathgen::ScalarEval b;
  return mathgen::log_f64(b, x);
}

inline float tanh(float x) {
  mathgen::ScalarEval b;
  return mathgen::tanh_f32(b, x);
}
inline double tanh(double x) {
  mathgen::ScalarEval b;
  return mathgen::tanh_f64(b, x);
}

/// IEEE pow for floats (C99 Annex F special cases), computed in f64.
inline float pow(float x, float y) {
  mathgen::ScalarEval b;
  return mathgen::pow_f32(b, x, y);
}

inline float sigmoid(float x) {
  mathgen::ScalarEval b;
  return mathgen::sigmoid_f32(b, x);
}
inline double sigmoid(double x) {
  mathgen::ScalarEval b;
  return mathgen::sigmoid_f64(b, x);
}

} // namespace kiln::runtime::kmath
