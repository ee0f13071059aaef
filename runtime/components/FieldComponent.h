// FieldComponent: the common shape of the model components (Tensor, PCA,
// RBM, LogisticRegression, KMeans): an ordered list of named state tensors,
// of which the first `numFields` are the kernel-visible fields of the
// schema and the rest private state (e.g. a KMeans's draw counter), plus a
// fixed list of native methods.
//
// saveState() is the whole list; loadState() accepts exactly the same names,
// dtypes and shapes (which the configuration fixes), so a checkpoint for an
// RBM(visible=784, hidden=256) cannot be loaded into an RBM(hidden=128).
// Tensors follow runtime/Tensor.h's value convention: state is replaced,
// never written in place, so clone() is a shallow copy of the list.
#pragma once

#include <string>
#include <vector>

#include "ir/ComponentSchema.h"
#include "runtime/Component.h"

namespace kiln::runtime {

class FieldComponent : public Component {
public:
  std::string_view typeName() const override { return typeName_; }

  int fieldIndex(std::string_view name) const override;
  const Tensor &field(int index) const override;
  void setField(int index, Tensor value) override;

  int methodIndex(std::string_view name) const override;
  bool invoke(int method, std::span<const Tensor> args,
              const std::vector<ir::NamedAttribute> &kwargs, CallContext &ctx,
              std::vector<Tensor> &results, NativeError &error) override;

  std::vector<NamedTensor> saveState() const override { return state_; }
  bool loadState(const std::vector<NamedTensor> &state, std::string &error) override;

protected:
  FieldComponent(std::string typeName, std::vector<std::string> nativeMethods)
      : typeName_(std::move(typeName)), nativeMethods_(std::move(nativeMethods)) {}

  /// Appends a state tensor; fields must be added before private state. A
  /// counter (an i64 tensor of counts: a PCA's sample count, a KMeans's draw
  /// counter) is checked on load to lie in [0, kMaxSavedCount], so a
  /// crafted checkpoint cannot make it overflow (see loadState).
  void addState(std::string name, Tensor value, bool isField, bool isCounter = false);
  Tensor &state(size_t i) { return state_[i].value; }
  const Tensor &state(size_t i) const { return state_[i].value; }

  /// Runs native method `method` (an index into the constructor's list).
  virtual bool invokeNative(int method, std::span<const Tensor> args,
                            const std::vector<ir::NamedAttribute> &kwargs, CallContext &ctx,
                            std::vector<Tensor> &results, NativeError &error);

private:
  std::string typeName_;
  std::vector<std::string> nativeMethods_;
  std::vector<NamedTensor> state_;
  std::vector<uint8_t> isCounter_; // per state tensor
  size_t numFields_ = 0;
};

/// "kernel <type>.<method>(self: <type>, <params>) {\n<body>}\n\n"; `body`
/// lines are indented by the caller.
std::string kernelText(const std::string &typeName, const ir::MethodSchema &method,
                       const std::string &body);

/// scale * N(0, 1) draws from Philox stream (seed, stream), element i at
/// offset i: for f32, float(scale) times the f32 normal (runtime/Philox.h),
/// one f32 multiply; for other dtypes the f64 normal times scale in f64,
/// rounded to dtype.
Tensor randomNormal(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                    uint64_t stream, double scale);
/// low + (high - low) * U[0, 1) draws, as randomNormal.
Tensor randomUniform(ir::ElemType dtype, std::vector<int64_t> shape, uint64_t seed,
                     uint64_t stream, double low, double high);

/// 64 random bits, number k of Philox stream (seed, stream) (two per block).
uint64_t philoxBits(uint64_t seed, uint64_t stream, uint64_t k);

/// A user-facing error when a type without named constructors is given one.
bool rejectConstructor(std::string_view typeName, std::string_view constructor,
                       std::string &error);

/// Checks that `t` is an f32 matrix with `cols` columns (native methods'
/// argument checks); sets a message naming `what` otherwise.
bool checkF32Matrix(const Tensor &t, int64_t cols, const std::string &what, std::string &error);

} // namespace kiln::runtime
