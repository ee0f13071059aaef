// The verbs of the `kiln` command. Each lives in its own Cmd*.cpp file and
// is listed in Main.cpp's table.
//
// Exit codes: 0 success, 1 the input was bad (a diagnostic was printed),
// 2 the command line was bad, 3 the run was interrupted (SIGINT/SIGTERM/SIGHUP).
#pragma once

#include <string>
#include <vector>

namespace kiln::tools {

using Args = std::vector<std::string>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 3;

int cmdOpt(const Args &args);
int cmdPrint(const Args &args);
int cmdIr(const Args &args);
int cmdRun(const Args &args);
int cmdResume(const Args &args);
int cmdInspect(const Args &args);
int cmdExport(const Args &args);
int cmdLlvm(const Args &args);

} // namespace kiln::tools
