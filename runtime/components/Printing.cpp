// The built-in native functions `print` and `log`: opaque calls (barriers to
// fusion) that write their arguments compactly to the VM's output stream.
//
//   print(x, y, note="loss")   ->  f32[2] [0.5, 1.5] 0.25 note="loss"
//   log(x)                     ->  [step 120] f32[2] [0.5, 1.5]
//
// Scalars print as bare numbers; tensors as Tensor::str() elided past 16
// elements, so printing a 784x256 weight matrix stays one short line.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "runtime/components/Builtins.h"

namespace kiln::runtime {
namespace {

constexpr int64_t kMaxPrintedElems = 16;

std::string compact(const Tensor &t) {
  if (!t.defined())
    return "none";
  if (t.rank() > 0)
    return t.str(kMaxPrintedElems);
  switch (t.dtype()) {
  case ElemType::I1:
    return t.item() != 0 ? "true" : "false";
  case ElemType::I64:
    return std::to_string(static_cast<int64_t>(t.item()));
  default: {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7g", t.item());
    return buf;
  }
  }
}

std::string line(std::string_view prefix, std::span<const Tensor> args,
                 const std::vector<ir::NamedAttribute> &kwargs) {
  std::string s(prefix);
  bool first = prefix.empty();
  auto sep = [&] {
    if (!first)
      s += ' ';
    first = false;
  };
  for (const Tensor &t : args) {
    sep();
    s += compact(t);
  }
  for (const ir::NamedAttribute &a : kwargs) {
    sep();
    s += a.name + "=" + a.value.str();
  }
  return s + "\n";
}

std::ostream &outOf(CallContext &ctx) { return ctx.out ? *ctx.out : std::cout; }

} // namespace

void registerPrintingFunctions(Registry &registry) {
  ir::FunctionSchema print;
  print.name = "print";
  print.variadic = true;
  registry.registerFunction(
      print, [](std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &kwargs,
                CallContext &ctx, std::vector<Tensor> &, NativeError &) {
        outOf(ctx) << line("", args, kwargs);
        return true;
      });

  ir::FunctionSchema log;
  log.name = "log";
  log.variadic = true;
  registry.registerFunction(
      log, [](std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &kwargs,
              CallContext &ctx, std::vector<Tensor> &, NativeError &) {
        outOf(ctx) << line("[step " + std::to_string(ctx.step) + "]", args, kwargs);
        return true;
      });
}

} // namespace kiln::runtime
