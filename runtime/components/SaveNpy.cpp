// The built-in native function `save_npy`: writes the tensor it is given to
// a .npy file (runtime/components/NpyWriter.h), e.g.
//
//   FILT(save_npy, path="out/w_{step}.npy")
//
// `path` is a literal string, relative to the current folder (not to the
// program's file); each `{step}` in it becomes the VM's step counter, so a
// save inside a loop does not overwrite the previous one. The write is
// atomic and only replaces a regular file; the folder must exist. It
// returns nothing, so the value flowing through a FILT is unchanged.
#include <string>

#include "runtime/components/Builtins.h"
#include "runtime/components/NpyWriter.h"

namespace kiln::runtime {
namespace {

bool saveNpy(std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &kwargs,
             CallContext &ctx, std::vector<Tensor> &, NativeError &error) {
  auto fail = [&](std::string message) {
    error.message = "save_npy: " + std::move(message);
    return false;
  };
  if (args.size() != 1)
    return fail("expects one tensor (the value a FILT passes), got " + std::to_string(args.size()) +
                " arguments");
  const ir::Attribute *path = nullptr;
  for (const ir::NamedAttribute &a : kwargs) {
    if (a.name != "path")
      return fail("unknown keyword argument '" + a.name + "' (valid: path)");
    path = &a.value;
  }
  if (!path)
    return fail("missing keyword argument 'path' (e.g. path=\"out/x_{step}.npy\")");
  if (!path->isString())
    return fail("'path' must be a string, got " + path->str());
  if (path->getString().empty())
    return fail("'path' is empty");
  std::string why;
  if (!writeNpy(substituteStep(path->getString(), ctx.step), args[0], why))
    return fail(why);
  return true;
}

} // namespace

std::string substituteStep(std::string path, int64_t step) {
  static constexpr std::string_view kStep = "{step}";
  const std::string n = std::to_string(step);
  for (size_t at = path.find(kStep); at != std::string::npos; at = path.find(kStep, at + n.size()))
    path.replace(at, kStep.size(), n);
  return path;
}

void registerSaveNpyFunction(Registry &registry) {
  ir::FunctionSchema schema;
  schema.name = "save_npy";
  schema.params = {{"value", std::nullopt}, {"path", std::nullopt}};
  registry.registerFunction(schema, saveNpy);
}

} // namespace kiln::runtime
