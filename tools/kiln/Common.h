// Helpers shared by the verbs: reading input files, reporting usage errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::runtime {
class Registry;
class VM;
} // namespace kiln::runtime

namespace kiln::tools {

/// Reads a whole file; on failure prints "kiln: error: cannot read PATH: why"
/// to stderr and returns nullopt. "-" reads standard input.
std::optional<std::string> readInputFile(const std::string &path);

/// Prints "kiln VERB: error: message" and a hint to stderr; returns kExitUsage.
int usageError(std::string_view verb, std::string_view message);

/// True if `arg` is `--name=value` (value stored) or `--name` followed by a
/// value in args[i+1] (i advanced, value stored).
bool takeOption(const std::string &arg, std::string_view name, std::string &value,
                const std::vector<std::string> &args, size_t &i);

/// The data files `vm`'s components read, as (component name, path), from
/// the configuration keys the registry calls paths (ComponentType::pathKeys).
std::vector<std::pair<std::string, std::string>> dataFilesOf(const runtime::VM &vm,
                                                             const runtime::Registry &registry);

/// The files `vm`'s program may write with save_npy or checkpoint (which
/// also deletes its own older files), as (callee, the call's `path`):
/// relative paths are relative to the current folder; `{step}` is replaced
/// by the step count when written.
std::vector<std::pair<std::string, std::string>> writeTargetsOf(const runtime::VM &vm);

} // namespace kiln::tools
