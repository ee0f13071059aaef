#include "tools/kiln/Common.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "tools/kiln/Commands.h"

namespace kiln::tools {

std::optional<std::string> readInputFile(const std::string &path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "kiln: error: cannot read " << path << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    std::cerr << "kiln: error: cannot read " << path << "\n";
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

} // namespace kiln::tools
