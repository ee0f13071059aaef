// The built-in native function `checkpoint`: the program saves its own run,
// e.g. every 50 iterations of a training loop, keeping the last three:
//
//   REPEAT(1000, SEQ([REPEAT(50, train), CALL(checkpoint, path="run/ckpt_{step}.ckpt", keep=3)]))
//
// A native runs inside the VM's step and cannot save the VM it runs in, so
// it only checks its arguments and records a request in its CallContext;
// the VM writes the checkpoint right after the call, at the instruction
// boundary where the call is over (runtime/vm/VM.cpp,
// writeRequestedCheckpoint): resuming it continues after the call, which
// does not run again. `path` is relative to the current folder, as
// save_npy's; each `{step}` becomes the step count the checkpoint holds.
// `keep=k` (k >= 1) keeps the last k files this call wrote and deletes the
// older ones it wrote (never any other file); without it nothing is deleted.
// A FILT may pass a value: it flows on unchanged.
#include <string>

#include "runtime/components/Builtins.h"

namespace kiln::runtime {
namespace {

bool checkpointCall(std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &kwargs,
                    CallContext &ctx, std::vector<Tensor> &, NativeError &error) {
  auto fail = [&](std::string message) {
    error.message = "checkpoint: " + std::move(message);
    return false;
  };
  if (args.size() > 1)
    return fail("expects at most the value a FILT passes, got " + std::to_string(args.size()) +
                " arguments");
  const ir::Attribute *path = nullptr, *keep = nullptr;
  for (const ir::NamedAttribute &a : kwargs) {
    if (a.name == "path")
      path = &a.value;
    else if (a.name == "keep")
      keep = &a.value;
    else
      return fail("unknown keyword argument '" + a.name + "' (valid: path, keep)");
  }
  if (!path)
    return fail("missing keyword argument 'path' (e.g. path=\"run/ckpt_{step}.ckpt\")");
  if (!path->isString())
    return fail("'path' must be a string, got " + path->str());
  if (path->getString().empty())
    return fail("'path' is empty");
  if (keep && (!keep->isInt() || keep->getInt() < 1))
    return fail("'keep' must be an integer >= 1 (the files to keep), got " + keep->str());
  if (!ctx.checkpoint)
    return fail("the caller cannot save the VM (called outside a VM)");
  ctx.checkpoint->requested = true;
  ctx.checkpoint->path = path->getString();
  ctx.checkpoint->keep = keep ? keep->getInt() : 0;
  return true;
}

} // namespace

void registerCheckpointFunction(Registry &registry) {
  ir::FunctionSchema schema;
  schema.name = "checkpoint";
  schema.params = {{"value", std::nullopt}, {"path", std::nullopt}, {"keep", std::nullopt}};
  registry.registerFunction(schema, checkpointCall);
}

} // namespace kiln::runtime
