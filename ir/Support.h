// Support: internal assertions for kiln's own bugs.
//
// Two error channels, as in Halide: user mistakes (bad programs, IR, files)
// go through the DiagnosticEngine with a location and never abort; broken
// invariants inside kiln hit KILN_ASSERT, which prints and aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace kiln {

[[noreturn]] inline void internalError(const char *file, int line,
                                       const char *cond, const char *msg) {
  std::fprintf(stderr, "kiln internal error: %s:%d: %s (%s)\n", file, line,
               msg, cond);
  std::abort();
}

} // namespace kiln

#define KILN_ASSERT(cond, msg)                                                 \
  do {                                                                         \
    if (!(cond))                                                               \
      ::kiln::internalError(__FILE__, __LINE__, #cond, msg);                   \
  } while (0)

#define KILN_UNREACHABLE(msg) ::kiln::internalError(__FILE__, __LINE__, "unreachable", msg)
