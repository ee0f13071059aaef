// ComponentSchema: the type-level description of components and native
// functions, as the compiler sees them.
//
// The frontend needs it to type calls (`CALL(dataset.next)` returns
// f32[cols]) and to find the kernel bodies of kernel-exporting methods; the
// passes need it to know which calls have a bulk form. The runtime owns the
// registry of component types and native functions and implements
// ComponentCatalog; the `kiln` tool hands that catalog to the frontend and
// the passes, so neither depends on the runtime.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Attributes.h"
#include "ir/Types.h"

namespace kiln::ir {

/// One parameter of a method or native function. An unset type accepts any
/// value (e.g. print).
struct ParamSchema {
  std::string name;
  std::optional<Type> type;
};

struct MethodSchema {
  std::string name;
  /// Parameters after the implicit component handle.
  std::vector<ParamSchema> params;
  std::vector<Type> results;
  /// True if the method's math is a kernel: its body is a `kernel` named
  /// "<TypeName>.<method>" in ComponentSchema::kernelSource, with the
  /// component handle as its first parameter.
  bool isKernel = false;
  /// True if the method only reads (never writes) component state.
  bool readOnly = false;
  /// Name of a method taking one i64 count n whose result equals stacking
  /// the results of n calls of this method (the bulk-read protocol), or
  /// empty when there is none for this configuration.
  std::string bulkForm;
};

struct StateFieldSchema {
  std::string name;
  Type type;
};

/// A component type resolved for one configuration: shapes are concrete.
struct ComponentSchema {
  std::string typeName;
  std::vector<StateFieldSchema> fields;
  std::vector<MethodSchema> methods;
  /// Kernel definitions in the program notation for the isKernel methods.
  std::string kernelSource;

  const MethodSchema *method(std::string_view name) const {
    for (const MethodSchema &m : methods)
      if (m.name == name)
        return &m;
    return nullptr;
  }
  const StateFieldSchema *field(std::string_view name) const {
    for (const StateFieldSchema &f : fields)
      if (f.name == name)
        return &f;
    return nullptr;
  }
};

/// A native (opaque) function callable from programs.
struct FunctionSchema {
  std::string name;
  std::vector<ParamSchema> params;
  bool variadic = false; // accepts extra arguments of any type
  std::vector<Type> results;
};

class ComponentCatalog {
public:
  virtual ~ComponentCatalog() = default;

  /// True if `typeName` names a registered component type.
  virtual bool hasComponentType(std::string_view typeName) const = 0;

  /// Resolves a component type for a configuration: `constructor` is the
  /// named constructor ("randn" in `Dataset.randn(...)`, empty for plain
  /// `Dataset(...)`) and `config` the keyword arguments. Returns nullopt with
  /// a user-facing reason in `error` when the configuration is invalid
  /// (unknown key, missing key, wrong type).
  virtual std::optional<ComponentSchema>
  resolveComponent(std::string_view typeName, std::string_view constructor,
                   const std::vector<NamedAttribute> &config, std::string *error) const = 0;

  /// The native function registered under `name`, or nullptr.
  virtual const FunctionSchema *lookupFunction(std::string_view name) const = 0;

  /// The configuration keys of `typeName` that name files (a Dataset's
  /// `path` and `labels`). The frontend resolves a relative one against the
  /// folder of the file that declares the component, so the IR (and a
  /// checkpoint) holds a path that does not depend on the current folder.
  virtual std::vector<std::string> pathKeys(std::string_view typeName) const {
    (void)typeName;
    return {};
  }
};

} // namespace kiln::ir
