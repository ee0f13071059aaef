// Component: a live instance of a component type (a Dataset, an RBM, a user
// type registered from C++), as the VM sees it.
//
// State the compiler can see (fields kernels read and write with
// state_load/state_store) is a list of named tensors; private state (a
// dataset's position, a PCA's accumulators) is also exposed as named tensors
// by saveState(), so checkpoints, `kiln inspect` and clone() treat every
// component the same way. Native (opaque) methods are resolved to an index
// once, when the VM lowers the program, and invoked by index on the hot path.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Attributes.h"
#include "runtime/Tensor.h"

namespace kiln::runtime {

/// The largest count a checkpoint may hold: the step count, a random
/// stream's counter, a loop counter, a data set's epoch, a model's sample
/// count. 2^62 is beyond any run (146 years at a step a nanosecond) and
/// leaves room to keep counting, so a loaded checkpoint can run and be saved
/// again without overflow; loading refuses anything larger.
inline constexpr int64_t kMaxSavedCount = int64_t(1) << 62;

/// Whether a VM's components may open the files their configuration names
/// (`kiln inspect` creates them detached: ComponentType::createDetached).
enum class DataFiles { Open, NotOpened };

struct NamedTensor {
  std::string name;
  Tensor value;
};

/// A native's request that the VM save itself (the `checkpoint` callable,
/// runtime/components/CheckpointCall.cpp): right after the call, the VM
/// writes a checkpoint to `path` (each `{step}` replaced by the step count
/// the checkpoint holds) and deletes the oldest files that call wrote
/// beyond the last `keep` (0: none). docs/vm.md, "Checkpoints from the
/// program".
struct CheckpointRequest {
  bool requested = false;
  std::string path;
  int64_t keep = 0;
};

/// What a native method or function may use besides its arguments.
struct CallContext {
  std::ostream *out = nullptr; // where print/log write (the VM's output stream)
  int64_t step = 0;            // the VM's step counter when called
  /// Where a native asks the VM to save itself; null when the caller
  /// cannot (a native called outside a VM).
  CheckpointRequest *checkpoint = nullptr;
  /// Per result k, the slot result k goes to when its previous value is
  /// held by no one else (Tensor::isUnique), else null: a native may move
  /// *spare[k] out and return it as result k, with every byte rewritten, if
  /// its dtype and shape are those of the result (a loop that reads a row a
  /// step then allocates nothing and touches no reference count). Ignoring
  /// it is always correct; reading it for anything else is not.
  std::span<Tensor *const> spare;
};

/// `pattern` with each `{step}` replaced by `step` (the file names of
/// save_npy and checkpoint).
std::string substituteStep(std::string pattern, int64_t step);

/// A user-facing failure of a native call (bad argument, I/O error). The VM
/// reports it with the call's source location and stops.
struct NativeError {
  std::string message;
};

/// A native's direct entry, the VM's fast path for a call a program makes
/// every step (a row read, a counter): the arguments are the caller's slot
/// tensors and the results are written straight into the caller's result
/// slots, so a call allocates nothing, copies no tensor and touches no
/// reference count when a result slot's old tensor can take the new value.
///
/// The contract, which the VM does not re-check (docs/vm.md, "Direct
/// calls"): `results[k]` holds the slot's previous value (maybe undefined,
/// maybe shared: reuse its buffer only if Tensor::isUnique() and its dtype
/// and shape are the result's); on success every results[k] is set to a
/// tensor of the declared result type k with every byte written; on a
/// failure (false, `error.message` set) no result has been written. The
/// arguments stay valid for the call and are never results.
struct DirectCall {
  /// Argument k (in[k]) and result slot k (out[k]) of the call.
  const Tensor &arg(unsigned k) const { return tensorAt(in[k]); }
  Tensor &result(unsigned k) const { return tensorAt(out[k]); }

  /// The caller's tensors: tensor i is at base + i * stride bytes (the VM
  /// passes its frame's slots, each a tensor and more, without building a
  /// pointer list a call).
  std::byte *base;
  size_t stride;
  const uint32_t *in, *out;                      // argument / result indices
  const std::vector<ir::NamedAttribute> *kwargs; // the call's keyword attributes
  CallContext *ctx;                              // ctx->spare is empty: results are the slots

  Tensor &tensorAt(uint32_t i) const {
    return *std::launder(reinterpret_cast<Tensor *>(base + size_t(i) * stride));
  }
};
/// `self` is the component (for a method) or the pointer the native was
/// registered with (Registry::registerDirectFunction).
using DirectFn = bool (*)(void *self, const DirectCall &call, NativeError &error);

class Component {
public:
  virtual ~Component() = default;

  virtual std::string_view typeName() const = 0;

  // ---- fields visible to kernels ----
  /// Index of state field `name`, or -1.
  virtual int fieldIndex(std::string_view name) const = 0;
  virtual const Tensor &field(int index) const = 0;
  /// Replaces a field (the VM has checked dtype and shape against the schema).
  virtual void setField(int index, Tensor value) = 0;

  // ---- native methods ----
  /// Index of native method `name`, or -1 (kernel methods are not native).
  virtual int methodIndex(std::string_view name) const = 0;
  /// Runs a native method. `kwargs` are the call's keyword attributes.
  /// Returns false and sets `error` on a user-facing failure.
  virtual bool invoke(int method, std::span<const Tensor> args,
                      const std::vector<ir::NamedAttribute> &kwargs, CallContext &ctx,
                      std::vector<Tensor> &results, NativeError &error) = 0;

  /// Method `method`'s direct entry (DirectCall), or null: the VM then
  /// calls invoke(). Both must behave identically.
  virtual DirectFn directMethod(int method) const {
    (void)method;
    return nullptr;
  }

  // ---- copying and checkpoints ----
  /// An independent copy (VM::clone forks an experiment mid-run).
  virtual std::unique_ptr<Component> clone() const = 0;
  /// Every piece of state (fields and private state) as named tensors, in a
  /// fixed order. Restoring it with loadState() into a component created
  /// from the same configuration gives bitwise the same future behaviour.
  virtual std::vector<NamedTensor> saveState() const = 0;
  /// Restores saveState()'s output; validates names, dtypes and shapes and
  /// returns false with a message on mismatch (never trusts the input).
  virtual bool loadState(const std::vector<NamedTensor> &state, std::string &error) = 0;

  /// A human-readable summary printed at the end of `kiln run` (e.g. a PCA's
  /// learned components); empty for nothing to say.
  virtual std::string describe() const { return {}; }
};

} // namespace kiln::runtime
