#include "tools/kiln/Common.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "ir/FileRead.h"
#include "ir/IR.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"
#include "tools/kiln/Commands.h"

namespace kiln::tools {

namespace {

// Programs and IR are text that a person or a tool wrote; more than this is
// refused instead of being read without bound (`kiln run /dev/zero`).
constexpr size_t kMaxInputBytes = size_t(256) << 20;

/// Appends `in` to `out`; false if it holds more than kMaxInputBytes.
bool readBounded(std::istream &in, std::string &out) {
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxInputBytes)
      return false;
  }
  return true;
}

} // namespace

std::optional<std::string> readInputFile(const std::string &path) {
  std::string text;
  auto tooLarge = [&]() {
    std::cerr << "kiln: error: cannot read " << path << ": larger than "
              << (kMaxInputBytes >> 20) << " MiB\n";
    return std::nullopt;
  };
  if (path == "-") {
    if (!readBounded(std::cin, text))
      return tooLarge();
    return text;
  }
  std::string error;
  if (!ir::readFile(path, text, error, {.maxBytes = kMaxInputBytes})) {
    std::cerr << "kiln: error: " << error << "\n";
    return std::nullopt;
  }
  return text;
}

int usageError(std::string_view verb, std::string_view message) {
  std::cerr << "kiln " << verb << ": error: " << message << "\n"
            << "(see 'kiln --help')\n";
  return kExitUsage;
}

bool takeOption(const std::string &arg, std::string_view name, std::string &value,
                const std::vector<std::string> &args, size_t &i) {
  std::string flag = "--" + std::string(name);
  if (arg.rfind(flag + "=", 0) == 0) {
    value = arg.substr(flag.size() + 1);
    return true;
  }
  if (arg == flag && i + 1 < args.size()) {
    value = args[++i];
    return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> dataFilesOf(const runtime::VM &vm,
                                                             const runtime::Registry &registry) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const ir::Operation *c : vm.module().components()) {
    std::vector<std::string> keys = registry.pathKeys(c->stringAttr("type_name"));
    for (const ir::NamedAttribute &a : c->attrs())
      if (a.value.isString() && std::find(keys.begin(), keys.end(), a.name) != keys.end())
        files.emplace_back(std::string(c->symbolAttr("sym_name")), a.value.getString());
  }
  return files;
}

std::vector<std::pair<std::string, std::string>> writeTargetsOf(const runtime::VM &vm) {
  std::vector<std::pair<std::string, std::string>> targets;
  vm.module().op().walk([&](const ir::Operation &op) {
    if (!op.is(ir::OpKind::Call))
      return;
    std::string callee(op.symbolAttr("callee"));
    if (callee == "save_npy" || callee == "checkpoint")
      if (const ir::Attribute *a = op.attr("path"); a && a->isString())
        targets.emplace_back(std::move(callee), a->getString());
  });
  return targets;
}

} // namespace kiln::tools
