// The textual IR parser. Never crashes: any malformed input yields
// `file:line:col: error: ...` diagnostics and a null module.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ir/Diagnostics.h"
#include "ir/IR.h"

namespace kiln::ir {

/// Parses a module. `fileName` names the buffer in diagnostics and in the
/// locations of ops (unless the text carries explicit loc(...) trailers).
/// The text is registered with `sources` so errors can quote it.
std::unique_ptr<Module> parseModule(std::string_view text, const std::string &fileName,
                                    SourceManager &sources, DiagnosticEngine &diag);

/// Parses a standalone type ("f32[?, 3]"), or nullopt.
std::optional<Type> parseTypeString(std::string_view text);
/// Parses a standalone attribute ("[1, 2.5]"), or nullopt.
std::optional<Attribute> parseAttributeString(std::string_view text);

/// Nesting deeper than this (regions, arrays) is rejected with an error
/// rather than risking the host stack.
inline constexpr unsigned kMaxParseNesting = 256;

} // namespace kiln::ir
