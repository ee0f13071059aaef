// kiln inspect CKPT [--json]
//
// Prints what a checkpoint holds: the program position (step count, the
// stack tree of frames with the op each frame stands at), every component's
// state tensors and every SSA value live in a frame, each with dtype, shape
// and the SHA-256 of its bytes (so two runs can be compared by digest), and
// the random stream counters. The file is validated exactly as `resume`
// would (a bad file is refused, exit 1).
#include <iostream>
#include <sstream>

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

std::string shapeJson(const Tensor &t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.rank(); ++i)
    s += (i ? ", " : "") + std::to_string(t.dim(i));
  return s + "]";
}

std::string tensorJson(const Tensor &t) {
  return "\"dtype\": \"" + std::string(ir::elemTypeName(t.dtype())) + "\", \"shape\": " +
         shapeJson(t) + ", \"sha256\": \"" + digest(t) + "\"";
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
  auto vm = runtime::VM::load(file, registry, err);
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
    os << "{\n  \"format_version\": " << runtime::kCheckpointVersion << ",\n  \"entry\": "
       << ir::quoteString(vm->entryName()) << ",\n  \"steps\": " << vm->stepCount()
       << ",\n  \"status\": \"" << status << "\",\n  \"program_hash\": \"" << prog.hash()
       << "\",\n  \"frames\": [";
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto &fl = frames[i];
      os << (i ? "," : "") << "\n    {\"fiber\": \"" << fl.fiber << "\", \"depth\": " << fl.index
         << ", \"func\": " << ir::quoteString(prog.funcs[fl.frame->func].name)
         << ", \"pc\": " << fl.frame->pc << ", \"at\": " << ir::quoteString(where(*fl.frame))
         << "}";
    }
    os << "\n  ],\n  \"components\": [";
    for (size_t c = 0; c < vm->numComponents(); ++c) {
      os << (c ? "," : "") << "\n    {\"name\": " << ir::quoteString(vm->componentName(c))
         << ", \"type\": " << ir::quoteString(prog.components[c].typeName)
         << ", \"tensors\": [";
      auto st = vm->component(c).saveState();
      for (size_t t = 0; t < st.size(); ++t)
        os << (t ? "," : "") << "\n      {\"name\": " << ir::quoteString(st[t].name) << ", "
           << tensorJson(st[t].value) << "}";
      os << "]}";
    }
    os << "\n  ],\n  \"values\": [";
    bool first = true;
    for (const auto &fl : frames)
      for (size_t s = 0; s < fl.frame->slots.size(); ++s) {
        const Tensor &t = fl.frame->slots[s].tensor;
        if (!t.defined())
          continue;
        os << (first ? "" : ",") << "\n    {\"fiber\": \"" << fl.fiber << "\", \"depth\": "
           << fl.index << ", \"slot\": " << s << ", " << tensorJson(t) << "}";
        first = false;
      }
    os << "\n  ],\n  \"rng\": [";
    for (size_t i = 0; i < prog.randomStreams.size(); ++i)
      os << (i ? ", " : "") << "{\"seed\": " << prog.randomStreams[i].seed
         << ", \"stream\": " << prog.randomStreams[i].stream
         << ", \"counter\": " << vm->rngCounters()[i] << "}";
    os << "]\n}\n";
  } else {
    os << "checkpoint " << file << " (format version " << runtime::kCheckpointVersion << ")\n"
       << "entry @" << vm->entryName() << ", " << vm->stepCount() << " steps, " << status
       << "\nprogram hash " << prog.hash() << "\nframes:\n";
    for (const auto &fl : frames)
      os << "  " << fl.fiber << " #" << fl.index << " @" << prog.funcs[fl.frame->func].name
         << " pc " << fl.frame->pc << ": " << where(*fl.frame) << "\n";
    os << "components:\n";
    for (size_t c = 0; c < vm->numComponents(); ++c) {
      os << "  @" << vm->componentName(c) << " : " << prog.components[c].typeName << "\n";
      for (const auto &nt : vm->component(c).saveState())
        os << "    " << nt.name << " " << nt.value.type().str() << " sha256 " << digest(nt.value)
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
