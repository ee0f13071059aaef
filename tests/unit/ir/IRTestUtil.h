// Helpers shared by the IR unit tests: parsing text into a module with its
// diagnostics at hand, and a sample module that uses every op of the table.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ir/Diagnostics.h"
#include "ir/IR.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

namespace kiln::ir::test {

struct Parsed {
  std::unique_ptr<SourceManager> sources = std::make_unique<SourceManager>();
  std::unique_ptr<DiagnosticEngine> diag = std::make_unique<DiagnosticEngine>(sources.get());
  std::unique_ptr<Module> module;
  std::string errors() const { return diag->str(); }
};

inline Parsed parse(std::string_view text, const std::string &file = "test.kir") {
  Parsed p;
  p.module = parseModule(text, file, *p.sources, *p.diag);
  return p;
}

/// Every op of ir/Ops.def at least once, in printed (canonical) form.
inline constexpr std::string_view kAllOpsText = R"(module @all {
  component @dataset : Dataset.randn {rows = 13, cols = 4, seed = 123}
  component @layer : RBM {visible = 4, hidden = 3}
  func @print(%v: f32[4]) attributes {native = true}
  func @more() -> (i1) attributes {native = true}
  func @control() {
    %0 = buffer_repeat 10 : f32[10, 4] {
      %1 = call @dataset.next() : f32[4]
      yield %1
    }
    repeat 3 {
      %v = call @dataset.next() : f32[4]
      call @print(%v)
    }
    loop {
    }
    while {
      %2 = call @more() : i1
      yield %2
    } {
    }
    %3 = constant 1 : i64
    switch %3 {cases = [0, 1]} {
    } {
    } {
    }
    weave 1 {
    } {
    }
    %4 = seq : f32[4] {
      %5 = call @dataset.next() : f32[4]
      yield %5
    }
    step {origin = "k"}
    %6 = constant 16 : i64
    %7 = call @dataset.next_batch(%6) {bulk_steps = 16} : f32[16, 4]
  }
  func @math(%x: f32[4, 3], %y: f32[4, 3], %c: i1[4, 3]) -> (f32[4, 3]) {
    %0 = neg %x : f32[4, 3]
    %1 = exp %0 : f32[4, 3]
    %2 = log %1 : f32[4, 3]
    %3 = sqrt %2 : f32[4, 3]
    %4 = abs %3 : f32[4, 3]
    %5 = sigmoid %4 : f32[4, 3]
    %6 = tanh %5 : f32[4, 3]
    %7 = relu %6 : f32[4, 3]
    %8 = add %7, %y : f32[4, 3]
    %9 = sub %8, %y : f32[4, 3]
    %10 = mul %9, %y : f32[4, 3]
    %11 = div %10, %y : f32[4, 3]
    %12 = max %11, %y : f32[4, 3]
    %13 = min %12, %y : f32[4, 3]
    %14 = pow %13, %y : f32[4, 3]
    %15 = eq %14, %y : i1[4, 3]
    %16 = ne %14, %y : i1[4, 3]
    %17 = lt %14, %y : i1[4, 3]
    %18 = le %14, %y : i1[4, 3]
    %19 = gt %14, %y : i1[4, 3]
    %20 = ge %14, %y : i1[4, 3]
    %21 = select %c, %14, %y : f32[4, 3]
    %22 = cast %21 : f64[4, 3]
    %23 = reduce_sum %x {axis = 0} : f32[3]
    %24 = reduce_mean %x {axis = 0} : f32[3]
    %25 = reduce_max %x {axis = 1} : f32[4]
    %26 = reduce_min %x {axis = 1} : f32[4]
    %27 = reduce_argmax %x {axis = 1} : i64[4]
    %28 = matmul %x, %y {transpose_b = true} : f32[4, 4]
    %29 = transpose %x : f32[3, 4]
    %30 = reshape %x : f32[12]
    %31 = slice %x {axis = 0, start = 1, size = 2} : f32[2, 3]
    %32 = concat %x, %y {axis = 0} : f32[8, 3]
    %33 = dim %x {axis = 0} : i64
    %34 = random_uniform {seed = 7, stream = 1} : f32[4, 3]
    %35 = random_normal %x {seed = 7, stream = 2} : f32[4, 3]
    %36 = random_bernoulli %34 {seed = 7, stream = 3} : f32[4, 3]
    %37 = constant [1.0, 2.5, -0.0] : f32[3]
    %38 = fused @k0(%x, %y) : f32[4, 3] {
    ^bb0(%a: f32[4, 3], %b: f32[4, 3]):
      %39 = mul %a, %b : f32[4, 3]
      yield %39
    }
    %40 = kernel_call @k0(%x, %y) : f32[4, 3]
    return %40
  }
  func @state() {
    %layer = component_ref @layer : !RBM
    %W = state_load %layer {field = "W"} : f32[4, 3]
    state_store %layer, %W {field = "W"}
  }
}
)";

} // namespace kiln::ir::test
