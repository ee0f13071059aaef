// Registry: the names under which component types and native C++ functions
// are known to a kiln process.
//
// The frontend and the passes see it as an ir::ComponentCatalog (schemas
// only: field and method types, kernel sources, bulk forms); the VM uses it
// to create live Components and to find native functions. A checkpoint
// refers to component types and native functions by name, so a process that
// resumes one must have registered the same names; a missing name is a
// user-facing error ("unknown component type 'Foo' (not registered in this
// process)"), never a crash.
//
// A Registry is a plain value (copyable, movable): there is no process-wide
// registry. `Registry::withBuiltins()` returns a fresh one holding the
// built-in types (Dataset, Tensor, PCA, RBM, LogisticRegression, KMeans) and
// functions (print, log, save_npy); users add their own with registerComponentType()
// and registerFunction(). Registered types are immutable and shared between
// copies.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Attributes.h"
#include "ir/ComponentSchema.h"
#include "runtime/Component.h"
#include "runtime/Tensor.h"

namespace kiln::runtime {

/// A native function: positional tensor arguments, the call's keyword
/// attributes, results appended to `results`. Returns false with
/// `error.message` set on a user-facing failure (the VM reports it at the
/// call's source location). Plain functions, lambdas and member functions
/// (through a capturing lambda) all fit.
using NativeFn = std::function<bool(std::span<const Tensor> args,
                                    const std::vector<ir::NamedAttribute> &kwargs,
                                    CallContext &ctx, std::vector<Tensor> &results,
                                    NativeError &error)>;

struct NativeFunction {
  ir::FunctionSchema schema;
  NativeFn fn;
  /// The direct entry the VM calls instead of `fn` (DirectCall), with
  /// `directSelf` as its `self`; null for a function registered with
  /// registerFunction(). `fn` then adapts the same function to NativeFn.
  DirectFn direct = nullptr;
  void *directSelf = nullptr;
};

/// A component type: its schema for a configuration, and instances.
///
/// `constructor` is the named constructor ("randn" in `Dataset.randn(...)`,
/// empty for `Dataset(...)`); `config` the keyword arguments. Both functions
/// validate the configuration the same way and, on an invalid one, return
/// nothing with a user-facing message naming the offending key in `error`.
class ComponentType {
public:
  virtual ~ComponentType() = default;

  /// The name programs use ("Dataset").
  virtual std::string_view name() const = 0;

  /// Fields, methods (with concrete shapes) and kernel source for `config`.
  virtual std::optional<ir::ComponentSchema>
  resolve(std::string_view constructor, const std::vector<ir::NamedAttribute> &config,
          std::string &error) const = 0;

  /// A fresh instance in its initial state. Instances created from the same
  /// (constructor, config) behave identically, which is what lets a
  /// checkpoint store only (type, constructor, config, saveState()).
  virtual std::unique_ptr<Component>
  create(std::string_view constructor, const std::vector<ir::NamedAttribute> &config,
         std::string &error) const = 0;

  /// The configuration keys that name files (see ir::ComponentCatalog).
  virtual std::vector<std::string> pathKeys() const { return {}; }

  /// An instance for looking at a checkpoint (`kiln inspect`): like create()
  /// but it must not open any file its configuration names (a checkpoint may
  /// name any path). Only saveState()/loadState() are used on it. Types
  /// that read no files keep the default, create().
  virtual std::unique_ptr<Component>
  createDetached(std::string_view constructor, const std::vector<ir::NamedAttribute> &config,
                 std::string &error) const {
    return create(constructor, config, error);
  }
};


class Registry : public ir::ComponentCatalog {
public:
  /// An empty registry (no built-ins).
  Registry() = default;
  Registry(const Registry &) = default;
  Registry(Registry &&) noexcept = default;
  Registry &operator=(const Registry &) = default;
  Registry &operator=(Registry &&) noexcept = default;
  ~Registry() override = default;

  /// A fresh registry with every built-in component type and function.
  static Registry withBuiltins();

  /// Adds a component type under type->name(). Returns false (and sets
  /// `error` if given) when the name is empty or already registered.
  bool registerComponentType(std::unique_ptr<ComponentType> type,
                             std::string *error = nullptr);

  /// Adds a native function under schema.name. Returns false (and sets
  /// `error` if given) when the name is empty, already registered, or `fn`
  /// is empty.
  bool registerFunction(ir::FunctionSchema schema, NativeFn fn,
                        std::string *error = nullptr);

  /// Adds a native function with a direct entry (runtime/Component.h,
  /// DirectCall): the VM calls `fn(self, ...)` with the caller's slots, no
  /// argument or result vectors. For the functions a program calls every
  /// step. `self` must outlive every VM that runs the function. Same
  /// errors as registerFunction().
  bool registerDirectFunction(ir::FunctionSchema schema, DirectFn fn, void *self = nullptr,
                              std::string *error = nullptr);

  /// The component type registered under `name`, or nullptr.
  const ComponentType *lookupComponentType(std::string_view name) const;

  /// A new instance, or nullptr with a user-facing reason in `error`
  /// (unknown type, invalid configuration, unreadable data file).
  std::unique_ptr<Component> createComponent(std::string_view typeName,
                                             std::string_view constructor,
                                             const std::vector<ir::NamedAttribute> &config,
                                             std::string &error,
                                             DataFiles data = DataFiles::Open) const;

  /// The native function registered under `name`, or nullptr. The pointer
  /// stays valid until this registry is destroyed or assigned to.
  const NativeFunction *lookupNative(std::string_view name) const;

  /// The message used whenever a name is not registered, e.g. when a
  /// checkpoint written by another process refers to it.
  static std::string unknownTypeMessage(std::string_view typeName);
  static std::string unknownFunctionMessage(std::string_view name);

  /// Registered names, sorted.
  std::vector<std::string> componentTypeNames() const;
  std::vector<std::string> functionNames() const;

  // ---- ir::ComponentCatalog ----
  bool hasComponentType(std::string_view typeName) const override;
  std::vector<std::string> pathKeys(std::string_view typeName) const override;
  std::optional<ir::ComponentSchema>
  resolveComponent(std::string_view typeName, std::string_view constructor,
                   const std::vector<ir::NamedAttribute> &config,
                   std::string *error) const override;
  const ir::FunctionSchema *lookupFunction(std::string_view name) const override;

private:
  // Types are immutable once registered, so copies of a registry share them.
  std::map<std::string, std::shared_ptr<const ComponentType>, std::less<>> types_;
  std::map<std::string, NativeFunction, std::less<>> functions_;
};

} // namespace kiln::runtime
