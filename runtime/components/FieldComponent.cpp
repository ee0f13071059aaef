// FieldComponent: named state, checked restore, and kernel-text helpers
// shared by the model components.
#include "runtime/components/FieldComponent.h"

#include "ir/Support.h"
#include "runtime/Kernels.h"
#include "runtime/Philox.h"
#include "runtime/components/Config.h"

namespace kiln::runtime {

void FieldComponent::addState(std::string name, Tensor value, bool isField, bool isCounter) {
  KILN_ASSERT(!isField || numFields_ == state_.size(), "fields must come before private state");
  KILN_ASSERT(!isCounter || value.dtype() == ElemType::I64, "a counter is an i64 tensor");
  state_.push_back({std::move(name), std::move(value)});
  isCounter_.push_back(isCounter ? 1 : 0);
  if (isField)
    ++numFields_;
}

int FieldComponent::fieldIndex(std::string_view name) const {
  for (size_t i = 0; i < numFields_; ++i)
    if (state_[i].name == name)
      return static_cast<int>(i);
  return -1;
}

const Tensor &FieldComponent::field(int index) const {
  KILN_ASSERT(index >= 0 && static_cast<size_t>(index) < numFields_, "bad field index");
  return state_[static_cast<size_t>(index)].value;
}

void FieldComponent::setField(int index, Tensor value) {
  KILN_ASSERT(index >= 0 && static_cast<size_t>(index) < numFields_, "bad field index");
  Tensor &slot = state_[static_cast<size_t>(index)].value;
  KILN_ASSERT(value.dtype() == slot.dtype() && value.shape() == slot.shape(),
              "setField with a tensor of the wrong type");
  slot = std::move(value);
}

int FieldComponent::methodIndex(std::string_view name) const {
  for (size_t i = 0; i < nativeMethods_.size(); ++i)
    if (nativeMethods_[i] == name)
      return static_cast<int>(i);
  return -1;
}

bool FieldComponent::invoke(int method, std::span<const Tensor> args,
                            const std::vector<ir::NamedAttribute> &kwargs, CallContext &ctx,
                            std::vector<Tensor> &results, NativeError &error) {
  KILN_ASSERT(method >= 0 && static_cast<size_t>(method) < nativeMethods_.size(),
              "bad native method index");
  return invokeNative(method, args, kwargs, ctx, results, error);
}

bool FieldComponent::invokeNative(int, std::span<const Tensor>,
                                  const std::vector<ir::NamedAttribute> &, CallContext &,
                                  std::vector<Tensor> &, NativeError &) {
  KILN_UNREACHABLE("component with native methods must override invokeNative");
}

bool FieldComponent::loadState(const std::vector<NamedTensor> &state, std::string &error) {
  if (state.size() != state_.size()) {
    error = typeName_ + ": checkpoint has " + std::to_string(state.size()) +
            " state tensors, expected " + std::to_string(state_.size());
    return false;
  }
  for (size_t i = 0; i < state.size(); ++i) {
    const NamedTensor &got = state[i];
    const NamedTensor &want = state_[i];
    if (got.name != want.name) {
      error = typeName_ + ": checkpoint state " + std::to_string(i) + " is '" + got.name +
              "', expected '" + want.name + "'";
      return false;
    }
    if (!got.value.defined() || got.value.dtype() != want.value.dtype() ||
        got.value.shape() != want.value.shape()) {
      error = typeName_ + ": checkpoint state '" + got.name + "' has type " +
              (got.value.defined() ? got.value.type().str() : std::string("<none>")) +
              ", expected " + want.value.type().str() +
              " (was the component configured differently?)";
      return false;
    }
    if (isCounter_[i]) {
      const int64_t *v = got.value.data<int64_t>();
      for (int64_t k = 0; k < got.value.numel(); ++k)
        if (v[k] < 0 || v[k] > kMaxSavedCount) {
          error = typeName_ + ": checkpoint state '" + got.name + "' holds the count " +
                  std::to_string(v[k]) + ", outside [0, 2^62]";
          return false;
        }
    }
  }
  for (size_t i = 0; i < state.size(); ++i)
    state_[i].value = state[i].value;
  return true;
}

std::string kernelText(const std::string &typeName, const ir::MethodSchema &method,
                       const std::string &body) {
  std::string s = "kernel " + typeName + "." + method.name + "(self: " + typeName;
  for (const ir::ParamSchema &p : method.params) {
    KILN_ASSERT(p.type.has_value(), "kernel parameters are typed");
    s += ", " + p.name + ": " + p.type->str();
  }
  return s + ") {\n" + body + "}\n\n";
}

namespace {
int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}
} // namespace

Tensor randomNormal(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                    uint64_t stream, double scale) {
  if (dtype == ElemType::F32) { // the runtime's f32 draws, straight into the tensor
    Tensor t = Tensor::empty(dtype, std::move(shape));
    kernels::fillNormalF32(t.data<float>(), t.numel(), seed, stream, 0, float(scale));
    return t;
  }
  // Other types: the f64 draws of the runtime's kernels (philox::normalF64 at
  // offsets 0, 1, ...), scaled in f64 and converted.
  std::vector<double> v(static_cast<size_t>(product(shape)));
  kiln_rt_random_normal_f64(v.data(), int64_t(v.size()), seed, stream, 0);
  for (double &x : v)
    x = scale * x;
  return Tensor::fromDoubles(dtype, std::move(shape), v);
}

Tensor randomUniform(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                     uint64_t stream, double low, double high) {
  // The runtime's f64 uniform draws (philox::uniformF64 at offsets 0, 1, ...).
  std::vector<double> v(static_cast<size_t>(product(shape)));
  kiln_rt_random_uniform_f64(v.data(), int64_t(v.size()), seed, stream, 0);
  for (double &x : v)
    x = low + (high - low) * x;
  return Tensor::fromDoubles(dtype, std::move(shape), v);
}

uint64_t philoxBits(uint64_t seed, uint64_t stream, uint64_t k) {
  philox::Counter w = philox::block(seed, stream, k / 2);
  unsigned j = unsigned(k % 2) * 2;
  return uint64_t(w[j + 1]) << 32 | w[j];
}

bool rejectConstructor(std::string_view typeName, std::string_view constructor,
                       std::string &error) {
  if (constructor.empty())
    return true;
  error = std::string(typeName) + " has no constructor '" + std::string(constructor) +
          "' (write " + std::string(typeName) + "(...))";
  return false;
}

bool checkF32Matrix(const Tensor &t, int64_t cols, const std::string &what, std::string &error) {
  if (t.defined() && t.dtype() == ir::ElemType::F32 && t.rank() == 2 && t.dim(1) == cols)
    return true;
  error = what + " expects f32[?, " + std::to_string(cols) + "], got " +
          (t.defined() ? t.type().str() : std::string("nothing"));
  return false;
}

} // namespace kiln::runtime
