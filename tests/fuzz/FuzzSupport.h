// Helpers shared by the fuzz targets (tests/fuzz/): an oracle check that
// aborts with context, so libFuzzer records the input as a crash and the
// replay test fails loudly.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kiln::fuzz {

/// Aborts (a finding) when `ok` is false, printing what broke and up to two
/// pieces of context (e.g. the printed text and the diagnostics).
inline void check(bool ok, const char *what, std::string_view ctx1 = {},
                  std::string_view ctx2 = {}) {
  if (ok)
    return;
  std::fprintf(stderr, "fuzz oracle failed: %s\n", what);
  if (!ctx1.empty())
    std::fprintf(stderr, "---\n%.*s\n", static_cast<int>(ctx1.size()), ctx1.data());
  if (!ctx2.empty())
    std::fprintf(stderr, "---\n%.*s\n", static_cast<int>(ctx2.size()), ctx2.data());
  std::abort();
}

} // namespace kiln::fuzz
