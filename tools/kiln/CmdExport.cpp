// kiln export CKPT DIR [--format npy|safetensors|both] [--quiet]
//
// Writes every component's state tensors (Component::saveState()) of a
// checkpoint so that other tools can read the trained weights:
//
//   DIR/<component>.<tensor>.npy      one NumPy .npy file per tensor
//                                     (runtime/components/NpyWriter.h)
//   DIR/<stem>.safetensors            all of them in one safetensors file
//                                     (<stem>: the checkpoint's file name
//                                     without its extension, or "model")
//
// The checkpoint is loaded as `inspect` loads it: validated, but no data
// file it names is opened. Names become file names only if they consist of
// [A-Za-z0-9_.-] (a checkpoint is untrusted: a name with '/' could point
// outside DIR); any other name is refused before anything is written.
// DIR is created if missing (one level); every file is written atomically
// (runtime::writeFileAtomically), so a symlink planted at a target name is
// replaced, not followed.
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include "runtime/Checkpoint.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"
#include "runtime/components/NpyWriter.h"
#include "tools/kiln/Commands.h"
#include "tools/kiln/Common.h"

namespace kiln::tools {

namespace {

using runtime::Tensor;

struct Exported {
  std::string key; // "<component>.<tensor>"
  Tensor value;
};

/// Only these characters reach a file name: no '/', no NUL, nothing a
/// shell or another OS would treat specially.
bool safeName(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

/// `s` for an error message: printable ASCII as is, other bytes as \xNN (a
/// refused name may hold a newline or an escape sequence).
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

const char *safetensorsDtype(ir::ElemType dtype) {
  switch (dtype) {
  case ir::ElemType::F32: return "F32";
  case ir::ElemType::F64: return "F64";
  case ir::ElemType::I64: return "I64";
  case ir::ElemType::I1: return "BOOL";
  }
  return "BOOL";
}

/// The safetensors file: u64 little-endian header length N, N bytes of JSON
/// (padded with spaces to a multiple of 8), then the tensors' bytes in
/// order; each header entry gives dtype, shape and [begin, end) offsets
/// into the data.
std::string safetensorsBytes(const std::vector<Exported> &tensors, const runtime::VM &vm) {
  namespace json = llvm::json;
  json::Object header;
  uint64_t offset = 0;
  for (const Exported &e : tensors) {
    json::Array shape;
    for (int64_t d : e.value.shape())
      shape.push_back(d);
    uint64_t end = offset + e.value.nbytes();
    header[e.key] = json::Object{{"dtype", safetensorsDtype(e.value.dtype())},
                                 {"shape", std::move(shape)},
                                 {"data_offsets", json::Array{offset, end}}};
    offset = end;
  }
  header["__metadata__"] = json::Object{{"format", "kiln"},
                                        {"steps", std::to_string(vm.stepCount())},
                                        {"program_hash", vm.program().hash()}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << json::Value(std::move(header));
  os.flush();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string bytes;
  for (int i = 0; i < 8; ++i)
    bytes += static_cast<char>((uint64_t(text.size()) >> (8 * i)) & 0xff);
  bytes += text;
  for (const Exported &e : tensors)
    if (e.value.nbytes() > 0)
      bytes.append(static_cast<const char *>(e.value.raw()), e.value.nbytes());
  return bytes;
}

/// Creates `dir` if missing (not its parents); false with `error` if that
/// fails or it exists and is not a directory.
bool ensureDirectory(const std::string &dir, std::string &error) {
  if (::mkdir(dir.c_str(), 0777) == 0)
    return true;
  int why = errno;
  struct stat st {};
  if (why == EEXIST && ::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return true;
    error = "cannot export to " + dir + ": it exists and is not a directory";
    return false;
  }
  error = "cannot create directory " + dir + ": " + std::strerror(why);
  return false;
}

} // namespace

int cmdExport(const Args &args) {
  std::string file, dir, format = "both";
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (takeOption(a, "format", format, args, i))
      continue;
    if (a == "--format")
      return usageError("export", "--format needs a value (npy, safetensors or both)");
    if (a == "--quiet")
      quiet = true;
    else if (!a.empty() && a[0] == '-')
      return usageError("export", "unknown option '" + a + "'");
    else if (file.empty())
      file = a;
    else if (dir.empty())
      dir = a;
    else
      return usageError("export", "more than one output directory");
  }
  if (format != "npy" && format != "safetensors" && format != "both")
    return usageError("export", "--format must be npy, safetensors or both, got '" + format + "'");
  if (file.empty())
    return usageError("export", "no checkpoint file");
  if (dir.empty())
    return usageError("export", "no output directory");
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();

  auto fail = [](const std::string &message) {
    std::cerr << "kiln export: error: " << message << "\n";
    return kExitInputError;
  };
  runtime::Registry registry = runtime::Registry::withBuiltins();
  std::string err;
  // As for inspect: no file the checkpoint names is opened.
  auto vm = runtime::VM::load(file, registry, err, runtime::DataFiles::NotOpened);
  if (!vm)
    return fail(err);

  // Every name is checked before anything is written, so a refused
  // checkpoint leaves DIR as it was.
  std::vector<Exported> tensors;
  std::set<std::string> keys;
  for (size_t c = 0; c < vm->numComponents(); ++c) {
    const std::string &component = vm->componentName(c);
    if (!safeName(component))
      return fail("component name '" + printable(component) +
                  "' cannot be a file name (allowed: A-Z a-z 0-9 _ . -)");
    for (const runtime::NamedTensor &nt : vm->component(c).saveState()) {
      if (!safeName(nt.name))
        return fail("tensor name '" + printable(nt.name) + "' of @" + component +
                    " cannot be a file name (allowed: A-Z a-z 0-9 _ . -)");
      std::string key = component + "." + nt.name;
      if (!keys.insert(key).second)
        return fail("two tensors are both named '" + key + "'");
      tensors.push_back({std::move(key), nt.value});
    }
  }
  if (!ensureDirectory(dir, err))
    return fail(err);

  auto wrote = [&](const std::string &path) {
    if (!quiet)
      std::cout << path << "\n";
  };
  if (format != "safetensors")
    for (const Exported &e : tensors) {
      std::string path = dir + "/" + e.key + ".npy";
      if (!runtime::writeNpy(path, e.value, err))
        return fail(err);
      wrote(path);
    }
  if (format != "npy") {
    std::string stem = std::filesystem::path(file).stem().string();
    if (!safeName(stem) || stem[0] == '.')
      stem = "model";
    std::string path = dir + "/" + stem + ".safetensors";
    if (!runtime::writeFileAtomically(path, safetensorsBytes(tensors, *vm), err,
                                      "safetensors file"))
      return fail(err);
    wrote(path);
  }
  return kExitOk;
}

} // namespace kiln::tools
