// Registry: name -> component type / native function tables, and the
// built-in set.
#include "runtime/Registry.h"

#include "ir/Support.h"
#include "runtime/components/Builtins.h"

namespace kiln::runtime {

Registry Registry::withBuiltins() {
  Registry r;
  std::unique_ptr<ComponentType> builtins[] = {
      makeDatasetType(), makeTensorType(),           makePCAType(),
      makeRBMType(),     makeLogisticRegressionType(), makeKMeansType(),
  };
  for (std::unique_ptr<ComponentType> &t : builtins) {
    std::string error;
    bool ok = r.registerComponentType(std::move(t), &error);
    KILN_ASSERT(ok, "built-in component types have distinct names");
  }
  registerPrintingFunctions(r);
  registerSaveNpyFunction(r);
  registerCheckpointFunction(r);
  return r;
}

bool Registry::registerComponentType(std::unique_ptr<ComponentType> type, std::string *error) {
  auto fail = [&](std::string msg) {
    if (error)
      *error = std::move(msg);
    return false;
  };
  if (!type)
    return fail("cannot register a null component type");
  std::string name(type->name());
  if (name.empty())
    return fail("cannot register a component type with an empty name");
  if (types_.count(name))
    return fail("component type '" + name + "' is already registered");
  types_.emplace(std::move(name), std::shared_ptr<const ComponentType>(std::move(type)));
  return true;
}

bool Registry::registerFunction(ir::FunctionSchema schema, NativeFn fn, std::string *error) {
  auto fail = [&](std::string msg) {
    if (error)
      *error = std::move(msg);
    return false;
  };
  if (schema.name.empty())
    return fail("cannot register a native function with an empty name");
  if (!fn)
    return fail("native function '" + schema.name + "' has no implementation");
  if (functions_.count(schema.name))
    return fail("native function '" + schema.name + "' is already registered");
  std::string name = schema.name;
  functions_.emplace(std::move(name), NativeFunction{std::move(schema), std::move(fn)});
  return true;
}

bool Registry::registerDirectFunction(ir::FunctionSchema schema, DirectFn fn, void *self,
                                      std::string *error) {
  if (!fn) {
    if (error)
      *error = "native function '" + schema.name + "' has no implementation";
    return false;
  }
  // The NativeFn form of the same function, for callers outside the VM:
  // results are fresh slots, appended on success.
  const size_t nOut = schema.results.size();
  NativeFn generic = [fn, self, nOut](std::span<const Tensor> args,
                                      const std::vector<ir::NamedAttribute> &kwargs,
                                      CallContext &ctx, std::vector<Tensor> &results,
                                      NativeError &err) {
    // The arguments copied next to fresh result tensors: one array that
    // DirectCall indexes (arguments first, then results).
    std::vector<Tensor> all(args.begin(), args.end());
    all.resize(args.size() + nOut);
    std::vector<uint32_t> index(all.size());
    for (uint32_t i = 0; i < index.size(); ++i)
      index[i] = i;
    CallContext inner = ctx;
    inner.spare = {};
    DirectCall call{reinterpret_cast<std::byte *>(all.data()), sizeof(Tensor), index.data(),
                    index.data() + args.size(), &kwargs, &inner};
    if (!fn(self, call, err))
      return false;
    for (size_t k = args.size(); k < all.size(); ++k)
      results.push_back(std::move(all[k]));
    return true;
  };
  std::string name = schema.name;
  if (!registerFunction(std::move(schema), std::move(generic), error))
    return false;
  NativeFunction &f = functions_.find(name)->second;
  f.direct = fn;
  f.directSelf = self;
  return true;
}

const ComponentType *Registry::lookupComponentType(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second.get();
}

std::string Registry::unknownTypeMessage(std::string_view typeName) {
  return "unknown component type '" + std::string(typeName) + "' (not registered in this process)";
}

std::string Registry::unknownFunctionMessage(std::string_view name) {
  return "unknown native function '" + std::string(name) + "' (not registered in this process)";
}

std::unique_ptr<Component> Registry::createComponent(std::string_view typeName,
                                                     std::string_view constructor,
                                                     const std::vector<ir::NamedAttribute> &config,
                                                     std::string &error, DataFiles data) const {
  const ComponentType *type = lookupComponentType(typeName);
  if (!type) {
    error = unknownTypeMessage(typeName);
    return nullptr;
  }
  std::string message;
  std::unique_ptr<Component> c = data == DataFiles::Open
                                     ? type->create(constructor, config, message)
                                     : type->createDetached(constructor, config, message);
  // A user-registered type may fail without saying why; still report it.
  if (!c)
    error = message.empty()
                ? "component type '" + std::string(typeName) + "' could not create an instance"
                : std::move(message);
  return c;
}

const NativeFunction *Registry::lookupNative(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::componentTypeNames() const {
  std::vector<std::string> names;
  for (const auto &[name, type] : types_)
    names.push_back(name);
  return names;
}

std::vector<std::string> Registry::functionNames() const {
  std::vector<std::string> names;
  for (const auto &[name, fn] : functions_)
    names.push_back(name);
  return names;
}

bool Registry::hasComponentType(std::string_view typeName) const {
  return types_.find(typeName) != types_.end();
}

std::vector<std::string> Registry::pathKeys(std::string_view typeName) const {
  const ComponentType *type = lookupComponentType(typeName);
  return type ? type->pathKeys() : std::vector<std::string>{};
}

std::optional<ir::ComponentSchema>
Registry::resolveComponent(std::string_view typeName, std::string_view constructor,
                           const std::vector<ir::NamedAttribute> &config,
                           std::string *error) const {
  const ComponentType *type = lookupComponentType(typeName);
  std::string message;
  std::optional<ir::ComponentSchema> schema;
  if (!type)
    message = unknownTypeMessage(typeName);
  else
    schema = type->resolve(constructor, config, message);
  if (!schema && message.empty())
    message = "component type '" + std::string(typeName) + "' rejected its configuration";
  if (!schema && error)
    *error = std::move(message);
  return schema;
}

const ir::FunctionSchema *Registry::lookupFunction(std::string_view name) const {
  const NativeFunction *f = lookupNative(name);
  return f ? &f->schema : nullptr;
}

} // namespace kiln::runtime
