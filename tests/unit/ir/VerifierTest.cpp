// Unit tests of the IR verifier (ir/Verifier.cpp, ir/OpVerifiers.cpp), built
// through ir::Builder and Operation::create so they cover IR the parser
// cannot produce (null operands, wrong counts, values from other modules).
//
// The table `allCases()` holds, for every op kind, at least one valid and one
// invalid case with the exact message expected; VerifierCoverage checks that
// every op of ir/Ops.def has both, so a new op cannot be added untested.
#include <cctype>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/Builder.h"
#include "ir/IR.h"
#include "ir/OpVerifiers.h"
#include "ir/Verifier.h"

namespace kiln::ir {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

Type f32() { return Type::f32(); }
Type i64() { return Type::i64(); }
Type i1() { return Type::i1(); }
Type tf(std::vector<int64_t> d) { return Type::tensor(ElemType::F32, std::move(d)); }
Type ti(std::vector<int64_t> d) { return Type::tensor(ElemType::I64, std::move(d)); }
Type tb(std::vector<int64_t> d) { return Type::tensor(ElemType::I1, std::move(d)); }
Type handle(std::string name) { return Type::component(std::move(name)); }
NamedAttribute iattr(std::string n, int64_t v) { return {std::move(n), Attribute::integer(v)}; }
NamedAttribute sattr(std::string n, std::string v) { return {std::move(n), Attribute::symbol(std::move(v))}; }
constexpr int64_t Q = kDynamic;

/// A module `@m` with a func `@main`; `b` appends to main's body.
struct Ctx {
  Module m{"m"};
  Builder top;
  Builder b;
  Operation *main = nullptr;
  bool autoReturn = true; // end main with `return` before verifying
  DiagnosticEngine diag;

  Ctx() {
    top.setInsertionPointToEnd(m.body());
    main = top.func("main", {}, {});
    b.setInsertionPointToEnd(main->region(0));
  }

  /// A value of type t: a new parameter of @main.
  Value *arg(Type t) { return main->region(0).addArgument(std::move(t)); }

  /// A builder appending to `r`.
  static Builder in(Region &r) { return Builder(r); }

  /// Error messages (notes left out).
  std::vector<std::string> verify() {
    if (autoReturn && !main->region(0).terminator())
      Builder(main->region(0)).ret();
    verifyModule(m, diag);
    std::vector<std::string> out;
    for (const Diagnostic &d : diag.diagnostics())
      if (d.severity == Severity::Error)
        out.push_back(d.message);
    return out;
  }
};

struct Case {
  std::string op;      // the mnemonic this case covers
  std::string name;    // test name suffix
  std::function<void(Ctx &)> build;
  std::string expected; // "" = valid, else one of the error messages
};

std::vector<Case> allCases() {
  std::vector<Case> cs;
  auto valid = [&](std::string op, std::string name, std::function<void(Ctx &)> f) {
    cs.push_back({std::move(op), std::move(name), std::move(f), ""});
  };
  auto invalid = [&](std::string op, std::string name, std::function<void(Ctx &)> f,
                     std::string msg) {
    cs.push_back({std::move(op), std::move(name), std::move(f), std::move(msg)});
  };

  // ---- module ----
  valid("module", "empty_main", [](Ctx &) {});
  invalid("module", "nested", [](Ctx &c) {
    c.b.insert(Operation::create(OpKind::Module, {}, {}, {sattr("sym_name", "inner")}, 1));
  }, "'module' op must be the top-level op");
  invalid("module", "no_name", [](Ctx &c) { c.m.op().removeAttr("sym_name"); },
          "'module' op requires symbol attribute 'sym_name'");
  invalid("module", "tensor_op_in_body", [](Ctx &c) {
    Builder(c.m.body()).constant(1.0, f32());
  }, "'constant' op cannot appear directly in a module (a module holds only 'component' and 'func' ops)");

  // ---- component ----
  valid("component", "dataset", [](Ctx &c) {
    c.top.component("ds", "Dataset", {iattr("rows", 13), {"constructor", Attribute::string("randn")}});
  });
  invalid("component", "empty_type", [](Ctx &c) { c.top.component("ds", ""); },
          "'component' op requires non-empty string attribute 'type_name'");
  invalid("component", "in_func", [](Ctx &c) { c.b.component("ds", "Dataset"); },
          "'component' op must appear directly in a module");
  invalid("component", "duplicate", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.top.component("ds", "PCA");
  }, "'component' op redefinition of symbol @ds");

  // ---- func ----
  valid("func", "with_body", [](Ctx &c) {
    Operation *f = c.top.func("f", {{"x", tf({3})}}, {tf({3})});
    Ctx::in(f->region(0)).ret({f->region(0).argument(0)});
  });
  valid("func", "native_declaration", [](Ctx &c) {
    c.top.func("print", {}, {})->setAttr("native", Attribute::boolean(true));
  });
  invalid("func", "declaration_not_native", [](Ctx &c) { c.top.func("f", {}, {}); },
          "'func' op @f has no body; a declaration must have attribute native = true");
  invalid("func", "native_with_body", [](Ctx &c) {
    Operation *f = c.top.func("f", {}, {});
    f->setAttr("native", Attribute::boolean(true));
    Ctx::in(f->region(0)).ret();
  }, "'func' op @f is native (native = true) but has a body");
  invalid("func", "missing_return", [](Ctx &c) {
    c.autoReturn = false;
    c.b.constant(1.0, f32());
  }, "'func' op region #0 must end with 'return', found 'constant'");
  invalid("func", "duplicate", [](Ctx &c) {
    c.top.func("main", {}, {})->setAttr("native", Attribute::boolean(true));
  }, "'func' op redefinition of symbol @main");
  invalid("func", "bad_result_types", [](Ctx &c) {
    c.main->setAttr("result_types", Attribute::intArray({1}));
  }, "'func' op attribute 'result_types' must be an array of types, got [1]");
  invalid("func", "nested", [](Ctx &c) {
    c.b.func("inner", {}, {})->setAttr("native", Attribute::boolean(true));
  }, "'func' op must appear directly in a module");

  // ---- return ----
  valid("return", "value", [](Ctx &c) {
    c.main->setAttr("result_types", Attribute::array({Attribute::type(tf({Q, 3}))}));
    c.b.ret({c.arg(tf({5, 3}))});
  });
  invalid("return", "wrong_type", [](Ctx &c) {
    c.main->setAttr("result_types", Attribute::array({Attribute::type(f32())}));
    c.b.ret({c.arg(tf({3}))});
  }, "'return' op operand #0 has type f32[3] but function @main expects f32");
  invalid("return", "wrong_count", [](Ctx &c) { c.b.ret({c.arg(f32())}); },
          "'return' op has 1 operands but function @main expects 0");
  invalid("return", "in_seq", [](Ctx &c) {
    Operation *s = c.b.seq();
    Ctx::in(s->region(0)).ret();
  }, "'return' op expects parent op 'func', got 'seq'");
  invalid("return", "not_last", [](Ctx &c) {
    c.b.ret();
    c.b.constant(1.0, f32());
    c.b.ret();
  }, "'return' op must be the last op in its region");

  // ---- yield ----
  valid("yield", "seq_result", [](Ctx &c) {
    Value *x = c.arg(tf({3}));
    Operation *s = c.b.seq({tf({Q})});
    Ctx::in(s->region(0)).yield({x});
  });
  invalid("yield", "seq_type", [](Ctx &c) {
    Value *x = c.arg(tf({4}));
    Operation *s = c.b.seq({tf({3})});
    Ctx::in(s->region(0)).yield({x});
  }, "'yield' op operand #0 has type f32[4] but parent 'seq' expects f32[3]");
  invalid("yield", "in_func", [](Ctx &c) {
    c.autoReturn = false;
    c.b.yield();
  }, "'yield' op expects parent op to be a control-flow or 'fused' op, got 'func'");

  // ---- call ----
  valid("call", "func", [](Ctx &c) {
    Operation *f = c.top.func("f", {{"x", tf({Q, 3})}}, {f32()});
    Builder fb(f->region(0));
    fb.ret({fb.reduce(OpKind::ReduceSum, f->region(0).argument(0), std::nullopt)});
    c.b.call("f", {c.arg(tf({8, 3}))}, {f32()}, {iattr("lr", 1)});
  });
  valid("call", "native_any_args", [](Ctx &c) {
    c.top.func("print", {}, {})->setAttr("native", Attribute::boolean(true));
    c.b.call("print", {c.arg(tf({3})), c.arg(i64())}, {});
  });
  valid("call", "component_method", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.call("ds.next", {}, {tf({1})});
  });
  invalid("call", "undefined", [](Ctx &c) { c.b.call("nope", {}, {}); },
          "'call' op call to undefined symbol @nope");
  invalid("call", "undefined_method_root", [](Ctx &c) { c.b.call("nope.next", {}, {}); },
          "'call' op call to undefined symbol @nope.next");
  invalid("call", "arg_type", [](Ctx &c) {
    Operation *f = c.top.func("f", {{"x", tf({3})}}, {});
    Ctx::in(f->region(0)).ret();
    c.b.call("f", {c.arg(tf({4}))}, {});
  }, "'call' op argument #0 has type f32[4] but @f expects f32[3]");
  invalid("call", "arg_count", [](Ctx &c) {
    Operation *f = c.top.func("f", {{"x", tf({3})}}, {});
    Ctx::in(f->region(0)).ret();
    c.b.call("f", {}, {});
  }, "'call' op passes 0 arguments but @f takes 1");
  invalid("call", "result_type", [](Ctx &c) {
    Operation *f = c.top.func("f", {}, {f32()});
    Builder fb(f->region(0));
    fb.ret({fb.constant(0.0, f32())});
    c.b.call("f", {}, {i64()});
  }, "'call' op result #0 has type i64 but @f returns f32");
  invalid("call", "component_callee", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.call("ds", {}, {});
  }, "'call' op callee @ds is a component, not a function");
  invalid("call", "no_callee", [](Ctx &c) { c.b.create(OpKind::Call, {}, {}); },
          "'call' op requires symbol attribute 'callee'");

  // ---- kernel_call ----
  auto kernel = [](Ctx &c, bool isKernel) {
    Operation *k = c.top.func("k", {{"x", tf({Q, 4})}}, {tf({Q, 4})});
    if (isKernel)
      k->setAttr("kernel", Attribute::boolean(true));
    Builder kb(k->region(0));
    kb.ret({kb.unary(OpKind::Exp, k->region(0).argument(0))});
  };
  valid("kernel_call", "kernel", [kernel](Ctx &c) {
    kernel(c, true);
    c.b.create(OpKind::KernelCall, {c.arg(tf({2, 4}))}, {tf({2, 4})}, {sattr("callee", "k")});
  });
  invalid("kernel_call", "not_kernel", [kernel](Ctx &c) {
    kernel(c, false);
    c.b.create(OpKind::KernelCall, {c.arg(tf({2, 4}))}, {tf({2, 4})}, {sattr("callee", "k")});
  }, "'kernel_call' op callee @k is not a kernel (needs attribute kernel = true)");
  invalid("kernel_call", "component_method", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.create(OpKind::KernelCall, {}, {}, {sattr("callee", "ds.next")});
  }, "'kernel_call' op call to undefined symbol @ds.next");
  invalid("kernel_call", "arg_type", [kernel](Ctx &c) {
    kernel(c, true);
    c.b.create(OpKind::KernelCall, {c.arg(tf({2, 5}))}, {tf({2, 4})}, {sattr("callee", "k")});
  }, "'kernel_call' op argument #0 has type f32[2, 5] but @k expects f32[?, 4]");

  // ---- step (and call's bulk_steps) ----
  valid("step", "in_program", [](Ctx &c) { c.b.create(OpKind::Step, {}, {}); });
  invalid("step", "in_kernel", [](Ctx &c) {
    Operation *k = c.top.func("k", {}, {});
    k->setAttr("kernel", Attribute::boolean(true));
    Builder kb(k->region(0));
    kb.create(OpKind::Step, {}, {});
    kb.ret();
  }, "'step' op cannot be inside a kernel function");
  invalid("step", "in_fused", [](Ctx &c) {
    Operation *f = c.b.create(OpKind::Fused, {}, {}, {sattr("name", "k0")}, 1);
    Builder fb(f->region(0));
    fb.create(OpKind::Step, {}, {});
    fb.yield();
  }, "'step' op cannot be inside a fused op");
  valid("call", "bulk_steps", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.call("ds.next_batch", {c.arg(i64())}, {tf({16, 1})}, {iattr("bulk_steps", 16)});
  });
  invalid("call", "bulk_steps_zero", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.call("ds.next_batch", {c.arg(i64())}, {tf({16, 1})}, {iattr("bulk_steps", 0)});
  }, "'call' op attribute 'bulk_steps' must be an integer in [1, 2147483648]");
  invalid("call", "bulk_steps_native", [](Ctx &c) {
    c.top.func("print", {}, {})->setAttr("native", Attribute::boolean(true));
    c.b.call("print", {}, {}, {iattr("bulk_steps", 3)});
  }, "'call' op attribute 'bulk_steps' is only for a component's bulk read (@component.method)");

  // ---- component_ref ----
  valid("component_ref", "ok", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.componentRef("ds", "Dataset");
  });
  invalid("component_ref", "type_mismatch", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.componentRef("ds", "RBM");
  }, "'component_ref' op result type !RBM does not match component @ds of type Dataset");
  invalid("component_ref", "not_component", [](Ctx &c) { c.b.componentRef("main", "RBM"); },
          "'component_ref' op @main does not name a component");
  invalid("component_ref", "not_handle", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    c.b.create(OpKind::ComponentRef, {}, {f32()}, {sattr("component", "ds")});
  }, "'component_ref' op result must be a component handle type, got f32");

  // ---- state_load / state_store ----
  valid("state_load", "ok", [](Ctx &c) { c.b.stateLoad(c.arg(handle("RBM")), "W", tf({784, 256})); });
  invalid("state_load", "not_handle", [](Ctx &c) { c.b.stateLoad(c.arg(f32()), "W", f32()); },
          "'state_load' op operand #0 must be a component handle, got f32");
  invalid("state_load", "empty_field", [](Ctx &c) { c.b.stateLoad(c.arg(handle("RBM")), "", f32()); },
          "'state_load' op requires non-empty string attribute 'field'");
  invalid("state_load", "handle_result", [](Ctx &c) {
    c.b.stateLoad(c.arg(handle("RBM")), "W", handle("RBM"));
  }, "'state_load' op result must be a scalar or tensor, got !RBM");
  valid("state_store", "ok", [](Ctx &c) { c.b.stateStore(c.arg(handle("RBM")), "W", c.arg(tf({3}))); });
  invalid("state_store", "handle_value", [](Ctx &c) {
    c.b.stateStore(c.arg(handle("RBM")), "W", c.arg(handle("RBM")));
  }, "'state_store' op operand #1 must be a scalar or tensor, got !RBM");
  invalid("state_store", "not_handle", [](Ctx &c) { c.b.stateStore(c.arg(f32()), "W", c.arg(f32())); },
          "'state_store' op operand #0 must be a component handle, got f32");

  // ---- seq ----
  valid("seq", "no_result", [](Ctx &c) { Ctx::in(c.b.seq()->region(0)).yield(); });
  invalid("seq", "missing_yield", [](Ctx &c) { c.b.seq(); },
          "'seq' op region #0 must end with 'yield'");
  invalid("seq", "region_argument", [](Ctx &c) {
    Operation *s = c.b.seq();
    s->region(0).addArgument(f32());
    Ctx::in(s->region(0)).yield();
  }, "'seq' op region #0 must not have arguments");
  invalid("seq", "two_regions", [](Ctx &c) { c.b.create(OpKind::Seq, {}, {}, {}, 2); },
          "'seq' op expects 1 regions, got 2");

  // ---- repeat ----
  valid("repeat", "with_result", [](Ctx &c) {
    Value *x = c.arg(f32());
    Ctx::in(c.b.repeat(10, {f32()})->region(0)).yield({x});
  });
  invalid("repeat", "negative", [](Ctx &c) { Ctx::in(c.b.repeat(-1)->region(0)).yield(); },
          "'repeat' op count must be >= 0, got -1");
  invalid("repeat", "no_count", [](Ctx &c) {
    Ctx::in(c.b.create(OpKind::Repeat, {}, {}, {}, 1)->region(0)).yield();
  }, "'repeat' op requires integer attribute 'count'");
  invalid("repeat", "zero_with_result", [](Ctx &c) {
    Value *x = c.arg(f32());
    Ctx::in(c.b.repeat(0, {f32()})->region(0)).yield({x});
  }, "'repeat' op with count 0 cannot have results (no iteration yields them)");

  // ---- buffer_repeat ----
  valid("buffer_repeat", "stack", [](Ctx &c) {
    c.top.component("ds", "Dataset");
    Operation *br = c.b.bufferRepeat(1000, tf({1}));
    Builder rb(br->region(0));
    rb.yield({rb.call("ds.next", {}, {tf({1})})->result()});
  });
  invalid("buffer_repeat", "yield_type", [](Ctx &c) {
    Value *x = c.arg(tf({2}));
    Ctx::in(c.b.bufferRepeat(1000, tf({1}))->region(0)).yield({x});
  }, "'yield' op yields f32[2], which stacked 1000 times is f32[1000, 2], but parent "
     "'buffer_repeat' result is f32[1000, 1]");
  invalid("buffer_repeat", "zero", [](Ctx &c) {
    Value *x = c.arg(f32());
    Operation *br = c.b.create(OpKind::BufferRepeat, {}, {tf({1})}, {iattr("count", 0)}, 1);
    Ctx::in(br->region(0)).yield({x});
  }, "'buffer_repeat' op count must be >= 1, got 0");
  invalid("buffer_repeat", "leading_dim", [](Ctx &c) {
    Value *x = c.arg(f32());
    Operation *br = c.b.create(OpKind::BufferRepeat, {}, {tf({10})}, {iattr("count", 5)}, 1);
    Ctx::in(br->region(0)).yield({x});
  }, "'buffer_repeat' op result type f32[10] must be a tensor with leading dimension 5");
  invalid("buffer_repeat", "yield_nothing", [](Ctx &c) {
    Ctx::in(c.b.bufferRepeat(3, f32())->region(0)).yield();
  }, "'yield' op in 'buffer_repeat' must yield one value per result (1), got 0");
  // Several results: one yielded value each, each stacked.
  valid("buffer_repeat", "two_results", [](Ctx &c) {
    Value *x = c.arg(tf({2})), *y = c.arg(f32());
    Operation *br = c.b.create(OpKind::BufferRepeat, {}, {tf({4, 2}), tf({4})},
                               {iattr("count", 4)}, 1);
    Ctx::in(br->region(0)).yield({x, y});
  });
  invalid("buffer_repeat", "two_results_one_yielded", [](Ctx &c) {
    Value *x = c.arg(tf({2}));
    Operation *br = c.b.create(OpKind::BufferRepeat, {}, {tf({4, 2}), tf({4})},
                               {iattr("count", 4)}, 1);
    Ctx::in(br->region(0)).yield({x});
  }, "'yield' op in 'buffer_repeat' must yield one value per result (2), got 1");
  invalid("buffer_repeat", "second_result_type", [](Ctx &c) {
    Value *x = c.arg(tf({2})), *y = c.arg(f32());
    Operation *br = c.b.create(OpKind::BufferRepeat, {}, {tf({4, 2}), tf({4, 2})},
                               {iattr("count", 4)}, 1);
    Ctx::in(br->region(0)).yield({x, y});
  }, "'yield' op yields f32, which stacked 4 times is f32[4], but parent 'buffer_repeat' "
     "result is f32[4, 2]");
  invalid("buffer_repeat", "no_results", [](Ctx &c) {
    Operation *br = c.b.create(OpKind::BufferRepeat, {}, {}, {iattr("count", 4)}, 1);
    Ctx::in(br->region(0)).yield();
  }, "'buffer_repeat' op needs at least one result (the stacked values)");

  // ---- loop ----
  valid("loop", "ok", [](Ctx &c) { Ctx::in(c.b.loop()->region(0)).yield(); });
  invalid("loop", "yield_value", [](Ctx &c) {
    Value *x = c.arg(f32());
    Ctx::in(c.b.loop()->region(0)).yield({x});
  }, "'yield' op has 1 operands but parent 'loop' expects 0");
  invalid("loop", "result", [](Ctx &c) {
    Ctx::in(c.b.create(OpKind::Loop, {}, {f32()}, {}, 1)->region(0)).yield();
  }, "'loop' op expects 0 results, got 1");

  // ---- while ----
  auto whileWith = [](Ctx &c, Type condType, bool bodyYieldsValue) {
    c.top.func("more", {}, {})->setAttr("native", Attribute::boolean(true));
    Operation *w = c.b.whileLoop();
    Builder cb(w->region(0));
    cb.yield({cb.call("more", {}, {condType})->result()});
    Builder bb(w->region(1));
    if (bodyYieldsValue)
      bb.yield({bb.constant(1.0, f32())});
    else
      bb.yield();
  };
  valid("while", "ok", [whileWith](Ctx &c) { whileWith(c, i1(), false); });
  invalid("while", "cond_f32", [whileWith](Ctx &c) { whileWith(c, f32(), false); },
          "'yield' op in the condition region of 'while' must yield one i1 scalar");
  invalid("while", "body_value", [whileWith](Ctx &c) { whileWith(c, i1(), true); },
          "'yield' op has 1 operands but the body region of 'while' expects 0");

  // ---- switch ----
  auto switchWith = [](Ctx &c, Type selType, std::vector<int64_t> cases, unsigned regions) {
    Value *sel = c.arg(selType);
    Value *x = c.arg(f32());
    Operation *s = c.b.create(OpKind::Switch, {sel}, {f32()},
                              {{"cases", Attribute::intArray(cases)}}, regions);
    for (unsigned i = 0; i < regions; ++i)
      Ctx::in(s->region(i)).yield({x});
  };
  valid("switch", "i64", [switchWith](Ctx &c) { switchWith(c, i64(), {0, 1}, 3); });
  valid("switch", "i1", [switchWith](Ctx &c) { switchWith(c, i1(), {1}, 2); });
  valid("switch", "default_only", [switchWith](Ctx &c) { switchWith(c, i64(), {}, 1); });
  invalid("switch", "f32_selector", [switchWith](Ctx &c) { switchWith(c, f32(), {0}, 2); },
          "'switch' op selector must be an i64 or i1 scalar, got f32");
  invalid("switch", "duplicate", [switchWith](Ctx &c) { switchWith(c, i64(), {1, 1}, 3); },
          "'switch' op duplicate case value 1");
  invalid("switch", "case_count", [switchWith](Ctx &c) { switchWith(c, i64(), {1, 2}, 2); },
          "'switch' op has 2 cases and 2 regions; expects one region per case plus a default region");
  invalid("switch", "no_region", [switchWith](Ctx &c) { switchWith(c, i64(), {}, 0); },
          "'switch' op expects at least one region (the default)");
  invalid("switch", "i1_case_2", [switchWith](Ctx &c) { switchWith(c, i1(), {2}, 2); },
          "'switch' op case value 2 can never match an i1 selector");

  // ---- weave ----
  valid("weave", "ok", [](Ctx &c) {
    Operation *w = c.b.weave(1, 2);
    Ctx::in(w->region(0)).yield();
    Ctx::in(w->region(1)).yield();
  });
  invalid("weave", "too_many_required", [](Ctx &c) {
    Operation *w = c.b.weave(3, 2);
    Ctx::in(w->region(0)).yield();
    Ctx::in(w->region(1)).yield();
  }, "'weave' op n_required 3 is not in [0, 2] (the number of regions)");
  invalid("weave", "child_missing_yield", [](Ctx &c) {
    Operation *w = c.b.weave(1, 2);
    Ctx::in(w->region(0)).yield();
  }, "'weave' op region #1 must end with 'yield'");

  // ---- constant ----
  valid("constant", "scalar", [](Ctx &c) { c.b.constant(1.5, f32()); });
  valid("constant", "splat", [](Ctx &c) { c.b.constant(0.0, tf({3, 4})); });
  valid("constant", "elements", [](Ctx &c) { c.b.constant({1, 2, 3, 4}, ti({2, 2})); });
  valid("constant", "i1_bool", [](Ctx &c) {
    c.b.create(OpKind::Constant, {}, {i1()}, {{"value", Attribute::boolean(true)}});
  });
  invalid("constant", "float_for_int", [](Ctx &c) {
    c.b.create(OpKind::Constant, {}, {i64()}, {{"value", Attribute::real(1.5)}});
  }, "'constant' op value 1.5 is not an integer, but the element type is i64");
  invalid("constant", "count", [](Ctx &c) { c.b.constant({1, 2, 3}, tf({2, 2})); },
          "'constant' op value has 3 elements but f32[2, 2] has 4");
  invalid("constant", "dynamic_elements", [](Ctx &c) { c.b.constant({1, 2}, tf({Q})); },
          "'constant' op an element-by-element value needs a static tensor result type, got f32[?]");
  invalid("constant", "i1_two", [](Ctx &c) {
    c.b.create(OpKind::Constant, {}, {tb({2})}, {{"value", Attribute::integer(2)}});
  }, "'constant' op value 2 is not valid for i1 (use 0, 1, true or false)");
  invalid("constant", "string", [](Ctx &c) {
    c.b.create(OpKind::Constant, {}, {f32()}, {{"value", Attribute::string("x")}});
  }, "'constant' op value must be a number or an array of numbers, got \"x\"");
  invalid("constant", "no_value", [](Ctx &c) { c.b.create(OpKind::Constant, {}, {f32()}); },
          "'constant' op requires attribute 'value'");

  // ---- unary ----
  for (OpKind k : {OpKind::Neg, OpKind::Abs, OpKind::Relu, OpKind::Exp, OpKind::Log,
                   OpKind::Sqrt, OpKind::Sigmoid, OpKind::Tanh}) {
    std::string m(mnemonic(k));
    valid(m, "ok", [k](Ctx &c) { c.b.unary(k, c.arg(tf({Q, 3}))); });
    invalid(m, "result_type", [k](Ctx &c) { c.b.create(k, {c.arg(tf({3}))}, {tf({4})}); },
            "'" + m + "' op result type f32[4] is incompatible with the inferred type f32[3]");
    invalid(m, "handle", [k](Ctx &c) { c.b.create(k, {c.arg(handle("RBM"))}, {f32()}); },
            "'" + m + "' op operand #0 must be a scalar or tensor, got !RBM");
    if (opInfo(k).verify == &verifyUnaryFloatOp)
      invalid(m, "int", [k](Ctx &c) { c.b.unary(k, c.arg(ti({3}))); },
              "'" + m + "' op needs an f32 or f64 operand, got i64[3]");
    else
      valid(m, "int", [k](Ctx &c) { c.b.unary(k, c.arg(ti({3}))); });
  }

  // ---- binary and compare ----
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max,
                   OpKind::Min, OpKind::Pow, OpKind::Eq, OpKind::Ne, OpKind::Lt, OpKind::Le,
                   OpKind::Gt, OpKind::Ge}) {
    std::string m(mnemonic(k));
    bool cmp = opInfo(k).verify == &verifyCompareOp;
    valid(m, "broadcast", [k](Ctx &c) { c.b.binary(k, c.arg(tf({Q, 3})), c.arg(tf({1, 3}))); });
    valid(m, "scalar", [k](Ctx &c) { c.b.binary(k, c.arg(tf({4, 3})), c.arg(f32())); });
    invalid(m, "shapes", [k, cmp](Ctx &c) {
      c.b.create(k, {c.arg(tf({3})), c.arg(tf({4}))}, {cmp ? tb({3}) : tf({3})});
    }, "'" + m + "' op operand shapes f32[3] and f32[4] do not broadcast");
    invalid(m, "elem", [k](Ctx &c) {
      c.b.create(k, {c.arg(tf({3})), c.arg(ti({3}))}, {tf({3})});
    }, "'" + m + "' op operand element types differ: f32[3] and i64[3]");
    invalid(m, "result", [k, cmp](Ctx &c) {
      c.b.create(k, {c.arg(tf({3})), c.arg(tf({3}))}, {cmp ? tf({3}) : tf({4})});
    }, "'" + m + "' op result type " + std::string(cmp ? "f32[3]" : "f32[4]") +
           " is incompatible with the inferred type " + (cmp ? "i1[3]" : "f32[3]"));
    if (k == OpKind::Pow)
      invalid(m, "int", [k](Ctx &c) { c.b.binary(k, c.arg(ti({3})), c.arg(ti({3}))); },
              "'pow' op needs f32 or f64 operands, got i64[3]");
  }

  // ---- select ----
  valid("select", "broadcast", [](Ctx &c) {
    c.b.select(c.arg(tb({4, 1})), c.arg(tf({4, 3})), c.arg(f32()));
  });
  invalid("select", "cond_f32", [](Ctx &c) {
    c.b.create(OpKind::Select, {c.arg(tf({4})), c.arg(tf({4})), c.arg(tf({4}))}, {tf({4})});
  }, "'select' op condition must have element type i1, got f32[4]");
  invalid("select", "cond_shape", [](Ctx &c) {
    c.b.create(OpKind::Select, {c.arg(tb({5})), c.arg(tf({4})), c.arg(tf({4}))}, {tf({4})});
  }, "'select' op condition i1[5] does not broadcast with f32[4]");
  invalid("select", "elem", [](Ctx &c) {
    c.b.create(OpKind::Select, {c.arg(tb({4})), c.arg(tf({4})), c.arg(ti({4}))}, {tf({4})});
  }, "'select' op operand element types differ: f32[4] and i64[4]");

  // ---- cast ----
  valid("cast", "ok", [](Ctx &c) { c.b.cast(c.arg(tf({Q, 3})), ElemType::I64); });
  invalid("cast", "shape", [](Ctx &c) { c.b.create(OpKind::Cast, {c.arg(tf({3}))}, {ti({4})}); },
          "'cast' op changes the shape: operand f32[3], result i64[4]");

  // ---- reductions ----
  for (OpKind k : {OpKind::ReduceSum, OpKind::ReduceMean, OpKind::ReduceMax, OpKind::ReduceMin,
                   OpKind::ReduceArgmax}) {
    std::string m(mnemonic(k));
    bool argmax = k == OpKind::ReduceArgmax;
    valid(m, "axis", [k](Ctx &c) { c.b.reduce(k, c.arg(tf({Q, 4})), 1); });
    valid(m, "all", [k](Ctx &c) { c.b.reduce(k, c.arg(tf({3, 4})), std::nullopt); });
    invalid(m, "axis_range", [k](Ctx &c) {
      c.b.create(k, {c.arg(tf({3, 4}))}, {f32()}, {iattr("axis", 2)});
    }, "'" + m + "' op axis 2 out of range for f32[3, 4]");
    invalid(m, "result", [k, argmax](Ctx &c) {
      c.b.create(k, {c.arg(tf({3, 4}))}, {argmax ? tf({3}) : tf({4})}, {iattr("axis", 1)});
    }, "'" + m + "' op result type " + std::string(argmax ? "f32[3]" : "f32[4]") +
           " is incompatible with the inferred type " + (argmax ? "i64[3]" : "f32[3]"));
    invalid(m, "axis_kind", [k](Ctx &c) {
      c.b.create(k, {c.arg(tf({3, 4}))}, {f32()}, {{"axis", Attribute::string("x")}});
    }, "'" + m + "' op attribute 'axis' must be an integer, got \"x\"");
  }

  // ---- matmul / transpose ----
  valid("matmul", "plain", [](Ctx &c) { c.b.matmul(c.arg(tf({Q, 784})), c.arg(tf({784, 256}))); });
  valid("matmul", "transposed", [](Ctx &c) {
    c.b.matmul(c.arg(tf({784, 5})), c.arg(tf({256, 784})), true, true);
  });
  invalid("matmul", "inner", [](Ctx &c) {
    c.b.create(OpKind::Matmul, {c.arg(tf({3, 4})), c.arg(tf({5, 6}))}, {tf({3, 6})});
  }, "'matmul' op inner dimensions differ: 4 and 5 (f32[3, 4] @ f32[5, 6])");
  invalid("matmul", "transpose_attr", [](Ctx &c) {
    c.b.create(OpKind::Matmul, {c.arg(tf({3, 4})), c.arg(tf({4, 6}))}, {tf({3, 6})},
               {iattr("transpose_a", 1)});
  }, "'matmul' op attribute 'transpose_a' must be true or false, got 1");
  invalid("matmul", "result", [](Ctx &c) {
    c.b.create(OpKind::Matmul, {c.arg(tf({3, 4})), c.arg(tf({4, 6}))}, {tf({3, 7})});
  }, "'matmul' op result type f32[3, 7] is incompatible with the inferred type f32[3, 6]");
  valid("transpose", "ok", [](Ctx &c) { c.b.transpose(c.arg(tf({3, Q}))); });
  invalid("transpose", "rank1", [](Ctx &c) {
    c.b.create(OpKind::Transpose, {c.arg(tf({3}))}, {tf({3})});
  }, "'transpose' op transpose needs a rank-2 tensor, got f32[3]");
  invalid("transpose", "result", [](Ctx &c) {
    c.b.create(OpKind::Transpose, {c.arg(tf({3, 4}))}, {tf({3, 4})});
  }, "'transpose' op result type f32[3, 4] is incompatible with the inferred type f32[4, 3]");

  // ---- reshape ----
  valid("reshape", "static", [](Ctx &c) { c.b.reshape(c.arg(tf({3, 4})), tf({12})); });
  valid("reshape", "one_dynamic", [](Ctx &c) { c.b.reshape(c.arg(tf({3, 4})), tf({Q, 6})); });
  valid("reshape", "dynamic_in", [](Ctx &c) { c.b.reshape(c.arg(tf({Q, 4})), tf({2, 2})); });
  invalid("reshape", "count", [](Ctx &c) { c.b.reshape(c.arg(tf({3, 4})), tf({5})); },
          "'reshape' op cannot reshape f32[3, 4] (12 elements) to f32[5]");
  invalid("reshape", "not_divisible", [](Ctx &c) { c.b.reshape(c.arg(tf({3, 4})), tf({Q, 5})); },
          "'reshape' op cannot reshape f32[3, 4] (12 elements) to f32[?, 5]");
  invalid("reshape", "two_dynamic", [](Ctx &c) { c.b.reshape(c.arg(tf({3, 4})), tf({Q, Q})); },
          "'reshape' op result type f32[?, ?] has more than one dynamic dimension");
  invalid("reshape", "elem", [](Ctx &c) { c.b.reshape(c.arg(tf({3, 4})), ti({12})); },
          "'reshape' op changes the element type (f32[3, 4] to i64[12]); use 'cast'");

  // ---- slice ----
  auto slice = [](Ctx &c, Type in, int64_t axis, int64_t start, int64_t size, Type out) {
    c.b.create(OpKind::Slice, {c.arg(std::move(in))}, {std::move(out)},
               {iattr("axis", axis), iattr("start", start), iattr("size", size)});
  };
  valid("slice", "ok", [slice](Ctx &c) { slice(c, tf({5, 4}), 0, 2, 3, tf({3, 4})); });
  valid("slice", "dynamic", [slice](Ctx &c) { slice(c, tf({Q, 4}), 0, 2, 3, tf({3, 4})); });
  invalid("slice", "range", [slice](Ctx &c) { slice(c, tf({4, 4}), 0, 2, 3, tf({3, 4})); },
          "'slice' op slice [2, 2 + 3) exceeds dimension 0 of f32[4, 4]");
  invalid("slice", "axis", [slice](Ctx &c) { slice(c, tf({4, 4}), 2, 0, 1, tf({4, 4})); },
          "'slice' op axis 2 out of range for f32[4, 4]");
  invalid("slice", "result", [slice](Ctx &c) { slice(c, tf({5, 4}), 1, 0, 2, tf({5, 4})); },
          "'slice' op result type f32[5, 4] is incompatible with the inferred type f32[5, 2]");
  invalid("slice", "missing", [](Ctx &c) {
    c.b.create(OpKind::Slice, {c.arg(tf({5}))}, {tf({2})}, {iattr("axis", 0), iattr("size", 2)});
  }, "'slice' op requires integer attribute 'start'");

  // ---- concat ----
  valid("concat", "ok", [](Ctx &c) {
    c.b.create(OpKind::Concat, {c.arg(tf({2, 4})), c.arg(tf({4, 4}))}, {tf({6, 4})},
               {iattr("axis", 0)});
  });
  valid("concat", "dynamic", [](Ctx &c) {
    c.b.create(OpKind::Concat, {c.arg(tf({2, Q})), c.arg(tf({Q, 4}))}, {tf({Q, 4})},
               {iattr("axis", 0)});
  });
  invalid("concat", "other_dim", [](Ctx &c) {
    c.b.create(OpKind::Concat, {c.arg(tf({2, 4})), c.arg(tf({2, 5}))}, {tf({4, 4})},
               {iattr("axis", 0)});
  }, "'concat' op operand #1 type f32[2, 5] differs from operand #0 type f32[2, 4] in dimension 1 (not the axis)");
  invalid("concat", "result", [](Ctx &c) {
    c.b.create(OpKind::Concat, {c.arg(tf({2, 4})), c.arg(tf({2, 4}))}, {tf({2, 8})},
               {iattr("axis", 0)});
  }, "'concat' op result type f32[2, 8] is incompatible with the inferred type f32[4, 4]");
  invalid("concat", "no_operands", [](Ctx &c) {
    c.b.create(OpKind::Concat, {}, {tf({2})}, {iattr("axis", 0)});
  }, "'concat' op expects at least one operand");
  invalid("concat", "rank", [](Ctx &c) {
    c.b.create(OpKind::Concat, {c.arg(tf({2, 4})), c.arg(tf({4}))}, {tf({6, 4})},
               {iattr("axis", 0)});
  }, "'concat' op operand #1 type f32[4] does not match operand #0 type f32[2, 4] in rank and element type");

  // ---- dim ----
  valid("dim", "ok", [](Ctx &c) { c.b.dim(c.arg(tf({Q, 4})), 0); });
  invalid("dim", "axis", [](Ctx &c) { c.b.dim(c.arg(tf({3})), 1); },
          "'dim' op axis 1 out of range for f32[3]");
  invalid("dim", "result", [](Ctx &c) {
    c.b.create(OpKind::Dim, {c.arg(tf({3}))}, {f32()}, {iattr("axis", 0)});
  }, "'dim' op result must be i64, got f32");

  // ---- random ----
  for (OpKind k : {OpKind::RandomUniform, OpKind::RandomNormal}) {
    std::string m(mnemonic(k));
    valid(m, "shape", [k](Ctx &c) { c.b.random(k, tf({10, 20}), 7, 1); });
    valid(m, "like", [k](Ctx &c) { c.b.random(k, tf({Q, 20}), 7, 1, c.arg(ti({5, 20}))); });
    invalid(m, "int_result", [k](Ctx &c) { c.b.random(k, ti({10}), 7, 1); },
            "'" + m + "' op result must have element type f32 or f64, got i64[10]");
    invalid(m, "like_shape", [k](Ctx &c) { c.b.random(k, tf({3}), 7, 1, c.arg(tf({4}))); },
            "'" + m + "' op result shape f32[3] does not match the operand shape f32[4]");
    invalid(m, "two_operands", [k](Ctx &c) {
      c.b.create(k, {c.arg(tf({3})), c.arg(tf({3}))}, {tf({3})},
                 {iattr("seed", 1), iattr("stream", 1)});
    }, "'" + m + "' op expects 0 or 1 operands, got 2");
    invalid(m, "no_seed", [k](Ctx &c) { c.b.create(k, {}, {tf({3})}, {iattr("stream", 1)}); },
            "'" + m + "' op requires integer attribute 'seed'");
  }
  valid("random_bernoulli", "ok", [](Ctx &c) {
    c.b.random(OpKind::RandomBernoulli, tf({Q, 256}), 7, 3, c.arg(tf({Q, 256})));
  });
  invalid("random_bernoulli", "int_probs", [](Ctx &c) {
    c.b.random(OpKind::RandomBernoulli, tf({4}), 7, 3, c.arg(ti({4})));
  }, "'random_bernoulli' op probabilities must have element type f32 or f64, got i64[4]");
  invalid("random_bernoulli", "shape", [](Ctx &c) {
    c.b.random(OpKind::RandomBernoulli, tf({4}), 7, 3, c.arg(tf({5})));
  }, "'random_bernoulli' op result type f32[4] must equal the operand type f32[5]");
  invalid("random_bernoulli", "no_operand", [](Ctx &c) {
    c.b.random(OpKind::RandomBernoulli, tf({4}), 7, 3);
  }, "'random_bernoulli' op expects 1 operands, got 0");

  // ---- fused ----
  auto fused = [](Ctx &c, std::function<void(Builder &, Operation *)> body) {
    Value *a = c.arg(tf({Q, 4})), *b = c.arg(tf({Q, 4}));
    Operation *f = c.b.create(OpKind::Fused, {a, b}, {tf({Q, 4})}, {sattr("name", "k0")}, 1);
    f->region(0).addArgument(tf({Q, 4}), "a");
    f->region(0).addArgument(tf({Q, 4}), "b");
    Builder fb(f->region(0));
    body(fb, f);
  };
  valid("fused", "ok", [fused](Ctx &c) {
    fused(c, [](Builder &fb, Operation *f) {
      Value *s = fb.binary(OpKind::Add, f->region(0).argument(0), f->region(0).argument(1));
      fb.yield({fb.unary(OpKind::Sigmoid, s)});
    });
  });
  valid("fused", "state", [fused](Ctx &c) {
    c.top.component("w", "Tensor");
    fused(c, [](Builder &fb, Operation *f) {
      Value *h = fb.componentRef("w", "Tensor");
      Value *w = fb.stateLoad(h, "value", tf({Q, 4}));
      Value *s = fb.binary(OpKind::Add, w, f->region(0).argument(0));
      fb.stateStore(h, "value", s);
      fb.yield({s});
    });
  });
  invalid("fused", "call_inside", [fused](Ctx &c) {
    c.top.func("print", {}, {})->setAttr("native", Attribute::boolean(true));
    fused(c, [](Builder &fb, Operation *f) {
      fb.call("print", {}, {});
      fb.yield({f->region(0).argument(0)});
    });
  }, "'call' op cannot appear inside 'fused' (only tensor math, state_load, state_store and "
     "component_ref)");
  invalid("fused", "outside_value", [fused](Ctx &c) {
    Value *outside = c.arg(tf({Q, 4}));
    fused(c, [outside](Builder &fb, Operation *f) {
      fb.yield({fb.binary(OpKind::Add, f->region(0).argument(0), outside)});
    });
  }, "'add' op operand #1 uses a value defined outside the isolated 'fused' op it is used in");
  invalid("fused", "yield_type", [fused](Ctx &c) {
    fused(c, [](Builder &fb, Operation *) { fb.yield({fb.constant(1.0, f32())}); });
  }, "'yield' op operand #0 has type f32 but parent 'fused' expects f32[?, 4]");
  invalid("fused", "arg_count", [](Ctx &c) {
    Value *a = c.arg(tf({4}));
    Operation *f = c.b.create(OpKind::Fused, {a}, {}, {sattr("name", "k0")}, 1);
    Ctx::in(f->region(0)).yield();
  }, "'fused' op region has 0 arguments but the op has 1 operands");
  invalid("fused", "arg_type", [](Ctx &c) {
    Value *a = c.arg(tf({4}));
    Operation *f = c.b.create(OpKind::Fused, {a}, {}, {sattr("name", "k0")}, 1);
    f->region(0).addArgument(tf({5}));
    Ctx::in(f->region(0)).yield();
  }, "'fused' op region argument #0 has type f32[5] but operand #0 has type f32[4]");
  invalid("fused", "no_name", [](Ctx &c) {
    Operation *f = c.b.create(OpKind::Fused, {}, {}, {}, 1);
    Ctx::in(f->region(0)).yield();
  }, "'fused' op requires symbol attribute 'name'");
  return cs;
}

class VerifierCase : public ::testing::TestWithParam<Case> {};

TEST_P(VerifierCase, Verify) {
  const Case &tc = GetParam();
  Ctx c;
  tc.build(c);
  std::vector<std::string> errors = c.verify();
  if (tc.expected.empty())
    EXPECT_THAT(errors, IsEmpty()) << c.diag.str();
  else
    EXPECT_THAT(errors, Contains(tc.expected)) << c.diag.str();
}

std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  std::string n = info.param.op + "_" + (info.param.expected.empty() ? "valid_" : "invalid_") +
                  info.param.name;
  for (char &ch : n)
    if (!isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(AllOps, VerifierCase, ::testing::ValuesIn(allCases()), caseName);

TEST(VerifierCoverage, EveryOpHasAValidAndAnInvalidCase) {
  std::set<std::string> validOps, invalidOps;
  for (const Case &c : allCases())
    (c.expected.empty() ? validOps : invalidOps).insert(c.op);
  for (const OpInfo &info : allOps()) {
    std::string m(info.mnemonic);
    EXPECT_TRUE(validOps.count(m)) << "no valid verifier case for '" << m << "'";
    EXPECT_TRUE(invalidOps.count(m)) << "no invalid verifier case for '" << m << "'";
  }
}

// ---- generic rules not tied to one op kind ----

TEST(Verifier, UseBeforeDefinition) {
  Ctx c;
  Value *x = c.arg(tf({3}));
  Value *n = c.b.unary(OpKind::Neg, x);
  Operation *negOp = n->definingOp();
  // Move the producer after its user.
  Value *user = c.b.unary(OpKind::Abs, n);
  auto owned = c.main->region(0).take(negOp);
  c.main->region(0).insertAfter(user->definingOp(), std::move(owned));
  EXPECT_THAT(c.verify(), Contains("'abs' op operand #0 does not dominate this use"));
}

TEST(Verifier, UseOfValueFromClosedRegion) {
  Ctx c;
  Operation *s = c.b.seq();
  Builder sb(s->region(0));
  Value *inner = sb.constant(1.0, f32());
  sb.yield();
  c.b.unary(OpKind::Neg, inner);
  EXPECT_THAT(c.verify(), Contains("'neg' op operand #0 does not dominate this use"));
}

TEST(Verifier, NestedRegionSeesEnclosingValues) {
  Ctx c;
  Value *x = c.arg(tf({3}));
  Operation *r = c.b.repeat(4);
  Builder rb(r->region(0));
  Operation *s = rb.seq({tf({3})});
  Builder sb(s->region(0));
  sb.yield({sb.unary(OpKind::Neg, x)});
  rb.yield();
  EXPECT_THAT(c.verify(), IsEmpty()) << c.diag.str();
}

TEST(Verifier, FuncIsIsolated) {
  Ctx c;
  Value *x = c.arg(tf({3}));
  Operation *f = c.top.func("f", {}, {});
  Builder fb(f->region(0));
  fb.unary(OpKind::Neg, x);
  fb.ret();
  EXPECT_THAT(c.verify(),
              Contains("'neg' op operand #0 uses a value defined outside the isolated 'func' op "
                       "it is used in"));
}

TEST(Verifier, SelfUseDoesNotDominate) {
  Ctx c;
  Value *x = c.b.unary(OpKind::Neg, c.arg(f32()));
  x->definingOp()->setOperand(0, x);
  EXPECT_THAT(c.verify(), Contains("'neg' op operand #0 does not dominate this use"));
}

TEST(Verifier, ValueFromAnotherModule) {
  Module other("other");
  Value *foreign = other.body().addArgument(f32());
  Ctx c;
  c.b.unary(OpKind::Neg, foreign);
  EXPECT_THAT(c.verify(), Contains("'neg' op operand #0 is not defined in this module"));
}

TEST(Verifier, NullOperandAndWrongCountsDoNotCrash) {
  Ctx c;
  c.b.create(OpKind::Add, {c.arg(f32()), nullptr}, {f32()});
  c.b.create(OpKind::Add, {c.arg(f32())}, {f32()});
  c.b.create(OpKind::Matmul, {}, {}, {}, 3);
  c.b.create(OpKind::Yield, {nullptr}, {});
  c.b.create(OpKind::Func, {}, {});
  std::vector<std::string> errors = c.verify();
  EXPECT_THAT(errors, Contains("'add' op operand #1 is null"));
  EXPECT_THAT(errors, Contains("'add' op expects 2 operands, got 1"));
  EXPECT_THAT(errors, Contains("'matmul' op expects 2 operands, got 0"));
  EXPECT_THAT(errors, Contains("'matmul' op expects 1 results, got 0"));
  EXPECT_THAT(errors, Contains("'matmul' op expects 0 regions, got 3"));
  EXPECT_THAT(errors, Contains("'yield' op operand #0 is null"));
  EXPECT_THAT(errors, Contains("'func' op expects 1 regions, got 0"));
}

TEST(Verifier, HooksCalledDirectlyOnMalformedOpsDoNotCrash) {
  DiagnosticEngine diag;
  for (const OpInfo &info : allOps()) {
    auto op = Operation::create(info.kind, {nullptr, nullptr, nullptr, nullptr}, {}, {}, 0);
    EXPECT_FALSE(info.verify(*op, diag)) << info.mnemonic;
  }
}

TEST(Verifier, ReportsEveryError) {
  Ctx c;
  c.b.create(OpKind::Add, {c.arg(tf({3})), c.arg(tf({4}))}, {tf({3})});
  c.b.call("missing", {}, {});
  c.b.dim(c.arg(tf({3})), 5);
  std::vector<std::string> errors = c.verify();
  EXPECT_EQ(errors.size(), 3u) << c.diag.str();
}

TEST(Verifier, TerminatorInTheMiddle) {
  Ctx c;
  Operation *s = c.b.seq();
  Builder sb(s->region(0));
  sb.yield();
  sb.constant(1.0, f32());
  sb.yield();
  EXPECT_THAT(c.verify(), Contains("'yield' op must be the last op in its region"));
}

TEST(Verifier, DuplicateSymbolNotesThePreviousDefinition) {
  Ctx c;
  auto file = std::make_shared<const std::string>("t.kir");
  c.top.setLoc({file, 2, 3});
  c.top.component("ds", "Dataset");
  c.top.setLoc({file, 3, 3});
  c.top.component("ds", "Dataset");
  c.verify();
  std::string text = c.diag.str();
  EXPECT_NE(text.find("t.kir:3:3: error: 'component' op redefinition of symbol @ds"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("t.kir:2:3: note: previous definition of @ds is here"), std::string::npos)
      << text;
}

TEST(Verifier, ErrorsCarryTheOpLocation) {
  Ctx c;
  auto file = std::make_shared<const std::string>("x.kir");
  c.b.setLoc({file, 4, 10});
  c.b.create(OpKind::Add, {c.arg(tf({3})), c.arg(tf({4}))}, {tf({3})});
  c.verify();
  ASSERT_FALSE(c.diag.diagnostics().empty());
  EXPECT_EQ(c.diag.render(c.diag.diagnostics().front()),
            "x.kir:4:10: error: 'add' op operand shapes f32[3] and f32[4] do not broadcast\n");
}

TEST(Verifier, ReturnsTrueWithEarlierUnrelatedErrors) {
  Ctx c;
  c.diag.error({}, "earlier problem");
  Builder(c.main->region(0)).ret();
  EXPECT_TRUE(verifyModule(c.m, c.diag));
}

TEST(Verifier, ReturnDirectlyInModule) {
  // A Module can only wrap a module op (KILN_ASSERT), so build a module whose
  // body holds a misplaced return and a stray op instead.
  Ctx c;
  Builder(c.m.body()).ret();
  std::vector<std::string> errors = c.verify();
  EXPECT_THAT(errors, Contains("'return' op cannot appear directly in a module (a module holds "
                               "only 'component' and 'func' ops)"));
  EXPECT_THAT(errors, Contains("'return' op expects parent op 'func', got 'module'"));
}

TEST(Verifier, TensorSizeLimit) {
  // 2^32 elements is allowed; one more row is not; a `?` counts as 1.
  Ctx ok;
  ok.b.create(OpKind::RandomNormal, {}, {tf({65536, 65536})},
              {iattr("seed", 1), iattr("stream", 1)});
  ok.arg(tf({Q, kMaxTensorElements}));
  EXPECT_THAT(ok.verify(), IsEmpty());
  EXPECT_TRUE(verifyTensorSizes(ok.m, ok.diag));

  Ctx big;
  big.b.create(OpKind::RandomNormal, {}, {tf({65537, 65536})},
               {iattr("seed", 1), iattr("stream", 1)});
  big.arg(tf({Q, 2, kMaxTensorElements}));
  const std::string result = "'random_normal' op result #0 of type f32[65537, 65536] has more "
                             "elements than kiln's limit of 2^32 per tensor";
  const std::string argument = "'func' op region #0 argument #0 of type f32[?, 2, 4294967296] "
                               "has more elements than kiln's limit of 2^32 per tensor";
  std::vector<std::string> errors = big.verify();
  EXPECT_THAT(errors, Contains(result));
  EXPECT_THAT(errors, Contains(argument));

  DiagnosticEngine only;
  EXPECT_FALSE(verifyTensorSizes(big.m, only));
  EXPECT_EQ(only.numErrors(), 2u);
}

} // namespace
} // namespace kiln::ir
