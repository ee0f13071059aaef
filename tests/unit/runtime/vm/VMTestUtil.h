// Helpers for the VM tests: a small test component type ("Recorder") whose
// native methods log what the program did, a registry holding it plus a few
// natives, and a parse-verify-create helper for textual IR.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"

namespace kiln::runtime::vmtest {

/// State: field "w" (f32[2]), private "count" (i64 scalar), "trace" (f64[n],
/// every value passed to record(), in call order), "last" (whatever take()
/// got). Methods:
///   tick()          ++count
///   next() -> f32[1]  returns [count] then ++count
///   record(x)       appends x.item() (or kwarg `v`) to trace
///   take(x)         last = x
///   below() -> i1   count < kwarg n
///   count() -> i64  count
///   fail()          a native error
class Recorder : public Component {
public:
  std::string_view typeName() const override { return "Recorder"; }
  int fieldIndex(std::string_view name) const override { return name == "w" ? 0 : -1; }
  const Tensor &field(int) const override { return w_; }
  void setField(int, Tensor v) override { w_ = std::move(v); }
  int methodIndex(std::string_view name) const override {
    static const char *kNames[] = {"tick", "next", "record", "take", "below", "count", "fail"};
    for (int i = 0; i < 7; ++i)
      if (name == kNames[i])
        return i;
    return -1;
  }
  bool invoke(int method, std::span<const Tensor> args,
              const std::vector<ir::NamedAttribute> &kwargs, CallContext &ctx,
              std::vector<Tensor> &results, NativeError &error) override {
    auto kw = [&](const char *n, double d) {
      for (const auto &a : kwargs)
        if (a.name == n)
          return a.value.getNumber();
      return d;
    };
    switch (method) {
    case 0: ++count_; return true;
    case 1: results.push_back(Tensor::full(ElemType::F32, {1}, double(count_++))); return true;
    case 2: trace_.push_back(args.empty() ? kw("v", 0) : args[0].item()); return true;
    case 3:
      if (args.empty())
        return false;
      last_ = args[0];
      return true;
    case 4: results.push_back(Tensor::scalar(ElemType::I1, count_ < kw("n", 0) ? 1 : 0)); return true;
    case 5: results.push_back(Tensor::scalarI64(count_)); return true;
    default: error.message = "recorder failed on purpose"; return false;
    }
  }
  std::unique_ptr<Component> clone() const override { return std::make_unique<Recorder>(*this); }
  std::vector<NamedTensor> saveState() const override {
    std::vector<NamedTensor> s{{"w", w_}, {"count", Tensor::scalarI64(count_)},
                               {"trace", Tensor::fromDoubles(ElemType::F64, {int64_t(trace_.size())}, trace_)}};
    if (last_.defined())
      s.push_back({"last", last_});
    return s;
  }
  bool loadState(const std::vector<NamedTensor> &s, std::string &error) override {
    if (s.size() < 3 || s[0].name != "w" || s[1].name != "count" || s[2].name != "trace" ||
        s[0].value.dtype() != ElemType::F32 || s[0].value.shape() != std::vector<int64_t>{2} ||
        s[1].value.dtype() != ElemType::I64 || s[1].value.rank() != 0 ||
        s[2].value.dtype() != ElemType::F64 || s[2].value.rank() != 1) {
      error = "bad Recorder state";
      return false;
    }
    w_ = s[0].value;
    count_ = int64_t(s[1].value.item());
    trace_.clear();
    for (int64_t i = 0; i < s[2].value.numel(); ++i)
      trace_.push_back(s[2].value.at(i));
    last_ = s.size() > 3 ? s[3].value : Tensor();
    return true;
  }
  std::string describe() const override { return "count=" + std::to_string(count_); }

  int64_t count_ = 0;
  std::vector<double> trace_;
  Tensor w_ = Tensor::zeros(ElemType::F32, {2});
  Tensor last_;
};

class RecorderType : public ComponentType {
public:
  std::string_view name() const override { return "Recorder"; }
  std::optional<ir::ComponentSchema> resolve(std::string_view, const std::vector<ir::NamedAttribute> &,
                                             std::string &) const override {
    ir::ComponentSchema s;
    s.typeName = "Recorder";
    s.fields.push_back({"w", ir::Type::tensor(ElemType::F32, {2})});
    return s;
  }
  std::unique_ptr<Component> create(std::string_view, const std::vector<ir::NamedAttribute> &,
                                    std::string &) const override {
    return std::make_unique<Recorder>();
  }
};

inline Registry testRegistry() {
  Registry r;
  r.registerComponentType(std::make_unique<RecorderType>());
  ir::FunctionSchema echo;
  echo.name = "echo";
  echo.variadic = true;
  r.registerFunction(echo, [](std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &,
                              CallContext &ctx, std::vector<Tensor> &, NativeError &) {
    for (const Tensor &t : args)
      *ctx.out << t.str() << "\n";
    return true;
  });
  return r;
}

inline std::shared_ptr<const ir::Module> parseIR(const std::string &text) {
  ir::SourceManager sm;
  ir::DiagnosticEngine diag(&sm);
  auto m = ir::parseModule(text, "test.kir", sm, diag);
  if (!m || !ir::verifyModule(*m, diag)) {
    ADD_FAILURE() << diag.str();
    return nullptr;
  }
  return std::shared_ptr<const ir::Module>(std::move(m));
}

inline std::unique_ptr<VM> makeVM(const std::string &text, const Registry &reg,
                                  std::string_view entry = "main") {
  auto m = parseIR(text);
  if (!m)
    return nullptr;
  ir::SourceManager sm;
  ir::DiagnosticEngine diag(&sm);
  auto vm = VM::create(m, reg, diag, entry);
  if (!vm)
    ADD_FAILURE() << diag.str();
  return vm;
}

inline Recorder &rec(VM &vm, std::string_view name = "rec") {
  return static_cast<Recorder &>(*vm.component(name));
}

/// Every component's saveState(), flattened, for bitwise comparisons.
inline bool sameState(const VM &a, const VM &b, std::string *why = nullptr) {
  if (a.numComponents() != b.numComponents() || a.stepCount() != b.stepCount() ||
      a.status() != b.status() || a.rngCounters() != b.rngCounters()) {
    if (why)
      *why = "step count, status, rng or component count differ";
    return false;
  }
  for (size_t i = 0; i < a.numComponents(); ++i) {
    auto sa = a.component(i).saveState(), sb = b.component(i).saveState();
    if (sa.size() != sb.size())
      return false;
    for (size_t k = 0; k < sa.size(); ++k)
      if (sa[k].name != sb[k].name || !sa[k].value.bitwiseEqual(sb[k].value)) {
        if (why)
          *why = "component " + a.componentName(i) + " tensor " + sa[k].name + " differs";
        return false;
      }
  }
  return true;
}

} // namespace kiln::runtime::vmtest
