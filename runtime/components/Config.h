// Config: validated reading of a component's configuration (the keyword
// arguments of `RBM(visible=784, hidden=256, seed=1)`).
//
// Every component type reads its keys through a ConfigReader so that the
// user-facing errors are uniform and name the key:
//   RBM: missing required key 'hidden'
//   RBM: key 'hidden' must be an integer, got "256"
//   RBM: unknown key 'hiden' (valid keys: visible, hidden, seed, lr, init_scale)
// Reading never throws; the first error is kept and reported by finish().
// Public (not an implementation detail) so that users' own component types
// can validate their configuration the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Attributes.h"

namespace kiln::runtime {

class ConfigReader {
public:
  /// `what` prefixes every message, e.g. "Dataset.csv" or "RBM".
  ConfigReader(std::string what, const std::vector<ir::NamedAttribute> &config);

  /// Integer key; `fallback` when absent, an error when absent and required.
  int64_t integer(std::string_view key, std::optional<int64_t> fallback = std::nullopt);
  /// Integer key that must be >= minValue.
  int64_t integerAtLeast(std::string_view key, int64_t minValue,
                         std::optional<int64_t> fallback = std::nullopt);
  /// Number key (an integer literal is accepted and converted).
  double number(std::string_view key, std::optional<double> fallback = std::nullopt);
  bool boolean(std::string_view key, std::optional<bool> fallback = std::nullopt);
  std::string string(std::string_view key, std::optional<std::string> fallback = std::nullopt);
  /// Array of integers (e.g. shape=[784, 10]).
  std::vector<int64_t> intArray(std::string_view key);
  /// True if `key` was given (and marks it as known).
  bool has(std::string_view key);

  /// Records a user-facing error about `key` (first error wins).
  void fail(std::string message);
  bool ok() const { return error_.empty(); }

  /// Checks for unknown or repeated keys; returns false with the first error
  /// (prefixed by `what`) in `error`. Call after reading every valid key.
  bool finish(std::string &error);

private:
  const ir::Attribute *find(std::string_view key);
  void typeError(std::string_view key, std::string_view expected, const ir::Attribute &got);

  std::string what_;
  const std::vector<ir::NamedAttribute> &config_;
  std::vector<std::string> known_;
  std::string error_;
};

/// `[1, 2, 3]`-style text of a shape, for messages.
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace kiln::runtime
