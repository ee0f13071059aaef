// Fuzz target: the checkpoint loader — what `kiln resume` and `kiln inspect`
// do with a file that may be truncated, corrupted or hostile.
//
// parseCheckpoint decodes and validates the byte image; VM::restore parses
// and verifies the IR it carries, re-lowers it and checks every index,
// shape and dtype of the saved state against it. A checkpoint that loads is
// then stepped a little (the restored state must be safe to run: that is the
// point of validating it), and saved again, and the new image must load.
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <sstream>
#include <string>

#include "runtime/Checkpoint.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"
#include "tests/fuzz/FuzzSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace kiln;
  static const runtime::Registry registry = runtime::Registry::withBuiltins();
  std::string error;
  auto ckpt = runtime::parseCheckpoint(std::span<const uint8_t>(data, size), error);
  if (!ckpt) {
    fuzz::check(!error.empty(), "a rejected checkpoint must come with a message");
    return 0;
  }
  auto vm = runtime::VM::restore(*ckpt, registry, error);
  if (!vm) {
    fuzz::check(!error.empty(), "a rejected checkpoint must come with a message");
    return 0;
  }
  std::ostringstream sink;
  vm->setOutput(&sink);
  // A few steps only: the point is that restored state is safe to run, not
  // to run the program (which may be long).
  vm->run(64);
  std::string image = runtime::serializeCheckpoint(vm->snapshot());
  std::string error2;
  auto again = runtime::parseCheckpoint(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(image.data()), image.size()),
      error2);
  fuzz::check(again.has_value(), "a re-saved checkpoint does not parse", error2);
  auto vm2 = runtime::VM::restore(*again, registry, error2);
  fuzz::check(vm2 != nullptr, "a re-saved checkpoint does not restore", error2);
  return 0;
}
