// kiln inspect CKPT [--json]
//
// Prints what a checkpoint holds: the program position (step count, the
// stack tree of frames with the op each frame stands at), every component's
// state tensors and every SSA value live in a frame, each with dtype, shape
// and the SHA-256 of its bytes (so two runs can be compared by digest), and
// the random stream counters. The file is validated as `resume` would (a
// bad file is refused, exit 1), except that no data file it names is opened,
// so a data set's content hash is not compared with its file.
#include <cstdio>
#include <iostream>
#include <sstream>

#include <llvm/Support/FormatVariadic.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_os_ostream.h>

#include "ir/Attributes.h"
#include "runtime/Checkpoint.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"
#include "runtime/vm/Sha256.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

namespace {

using runtime::Fiber;
using runtime::Tensor;

std::string digest(const Tensor &t) { return runtime::Sha256::hex(t.raw(), t.nbytes()); }

/// A JSON string value: names and locations come from files and may hold
/// any bytes; invalid UTF-8 is replaced (llvm::json requires valid UTF-8).
llvm::json::Value jsonString(std::string s) {
  if (!llvm::json::isUTF8(s))
    s = llvm::json::fixUTF8(s);
  return llvm::json::Value(std::move(s));
}

llvm::json::Object tensorJson(const Tensor &t) {
  llvm::json::Array shape;
  for (int64_t i = 0; i < t.rank(); ++i)
    shape.push_back(t.dim(i));
  return llvm::json::Object{{"dtype", std::string(ir::elemTypeName(t.dtype()))},
                            {"shape", std::move(shape)},
                            {"sha256", digest(t)}};
}

/// Text for a terminal: control bytes (from a file name or a quoted IR
/// name) as \xNN, so a crafted checkpoint cannot drive the terminal.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out;
}

struct FrameLine {
  std::string fiber;
  unsigned index;
  const runtime::Frame *frame;
};

/// The live frames of the stack tree, parents before children; a fiber's
/// path is "root", "root/1", "root/1/0", ...
void collectFrames(const Fiber &f, const std::string &path, std::vector<FrameLine> &out,
                   std::vector<std::pair<std::string, const Fiber *>> &fibers) {
  fibers.push_back({path, &f});
  for (uint32_t d = 0; d < f.depth; ++d)
    out.push_back({path, d, &f.frames[d]});
  for (size_t k = 0; k < f.children.size(); ++k)
    if (!f.childDone[k])
      collectFrames(f.children[k], path + "/" + std::to_string(k), out, fibers);
}

} // namespace

int cmdInspect(const Args &args) {
  std::string file;
  bool json = false;
  for (const std::string &a : args) {
    if (a == "--json")
      json = true;
    else if (!a.empty() && a[0] == '-')
      return usageError("inspect", "unknown option '" + a + "'");
    else if (!file.empty())
      return usageError("inspect", "more than one checkpoint");
    else
      file = a;
  }
  if (file.empty())
    return usageError("inspect", "no checkpoint file");
  runtime::Registry registry = runtime::Registry::withBuiltins();
  std::string err;
  // No file the checkpoint names is opened (a crafted checkpoint may name
  // any path): data components are created detached.
  auto vm = runtime::VM::load(file, registry, err, runtime::DataFiles::NotOpened);
  if (!vm) {
    std::cerr << "kiln inspect: error: " << err << "\n";
    return kExitInputError;
  }
  const runtime::Program &prog = vm->program();
  std::vector<FrameLine> frames;
  std::vector<std::pair<std::string, const Fiber *>> fibers;
  collectFrames(vm->rootFiber(), "root", frames, fibers);
  auto where = [&](const runtime::Frame &fr) {
    const ir::Operation *op = prog.opOf[fr.pc];
    return std::string(ir::mnemonic(op->kind())) + " at " + op->loc().str();
  };
  const char *status = vm->done() ? "done" : "running";
  std::ostringstream os;
  if (json) {
    // Written with llvm::json, so every string is escaped as JSON requires
    // (a control byte in a file name is \u0001, not a C escape).
    namespace json = llvm::json;
    json::Array jframes;
    for (const auto &fl : frames)
      jframes.push_back(json::Object{{"fiber", fl.fiber},
                                     {"depth", fl.index},
                                     {"func", jsonString(prog.funcs[fl.frame->func].name)},
                                     {"pc", fl.frame->pc},
                                     {"at", jsonString(where(*fl.frame))}});
    json::Array jcomponents;
    for (size_t c = 0; c < vm->numComponents(); ++c) {
      json::Array tensors;
      for (const auto &nt : vm->component(c).saveState()) {
        json::Object t = tensorJson(nt.value);
        t["name"] = jsonString(nt.name);
        tensors.push_back(std::move(t));
      }
      jcomponents.push_back(json::Object{{"name", jsonString(vm->componentName(c))},
                                         {"type", jsonString(prog.components[c].typeName)},
                                         {"tensors", std::move(tensors)}});
    }
    json::Array jvalues;
    for (const auto &fl : frames)
      for (size_t s = 0; s < fl.frame->slots.size(); ++s) {
        const Tensor &t = fl.frame->slots[s].tensor;
        if (!t.defined())
          continue;
        json::Object v = tensorJson(t);
        v["fiber"] = fl.fiber;
        v["depth"] = fl.index;
        v["slot"] = int64_t(s);
        jvalues.push_back(std::move(v));
      }
    json::Array jrng;
    for (size_t i = 0; i < prog.randomStreams.size(); ++i)
      jrng.push_back(json::Object{{"seed", prog.randomStreams[i].seed},
                                  {"stream", prog.randomStreams[i].stream},
                                  {"counter", int64_t(vm->rngCounters()[i])}});
    json::Object root{{"format_version", int64_t(runtime::kCheckpointVersion)},
                      {"entry", jsonString(vm->entryName())},
                      {"steps", vm->stepCount()},
                      {"instructions", vm->instructionCount()},
                      {"at_step_boundary", vm->atStepBoundary()},
                      {"status", status},
                      {"program_hash", prog.hash()},
                      {"frames", std::move(jframes)},
                      {"components", std::move(jcomponents)},
                      {"values", std::move(jvalues)},
                      {"rng", std::move(jrng)}};
    llvm::raw_os_ostream out(os);
    out << llvm::formatv("{0:2}", json::Value(std::move(root))) << "\n";
  } else {
    os << "checkpoint " << printable(file) << " (format version "
       << runtime::kCheckpointVersion << ")\n"
       << "entry " << ir::formatSymbol(vm->entryName()) << ", " << vm->stepCount()
       << " steps, " << status << " (" << vm->instructionCount() << " instructions"
       << (vm->atStepBoundary() ? "" : ", inside a step") << ")\nprogram hash " << prog.hash()
       << "\nframes:\n";
    for (const auto &fl : frames)
      os << "  " << fl.fiber << " #" << fl.index << " "
         << ir::formatSymbol(prog.funcs[fl.frame->func].name) << " pc " << fl.frame->pc << ": "
         << printable(where(*fl.frame)) << "\n";
    os << "components:\n";
    for (size_t c = 0; c < vm->numComponents(); ++c) {
      os << "  " << ir::formatSymbol(vm->componentName(c)) << " : "
         << printable(prog.components[c].typeName) << "\n";
      for (const auto &nt : vm->component(c).saveState())
        os << "    " << printable(nt.name) << " " << nt.value.type().str() << " sha256 "
           << digest(nt.value)
           << "\n";
    }
    os << "values:\n";
    for (const auto &fl : frames)
      for (size_t s = 0; s < fl.frame->slots.size(); ++s) {
        const Tensor &t = fl.frame->slots[s].tensor;
        if (t.defined())
          os << "  " << fl.fiber << " #" << fl.index << " slot " << s << " " << t.type().str()
             << " sha256 " << digest(t) << "\n";
      }
    os << "rng:\n";
    for (size_t i = 0; i < prog.randomStreams.size(); ++i)
      os << "  seed " << prog.randomStreams[i].seed << " stream "
         << prog.randomStreams[i].stream << " counter " << vm->rngCounters()[i] << "\n";
  }
  std::cout << os.str();
  return kExitOk;
}

} // namespace kiln::tools
