// Parser for the `.kiln` notation (the grammar is in docs/notation.md).
//
// Never crashes and never recurses without bound: any malformed input gives
// one `file:line:col: error: ...` diagnostic and an empty result. Nesting of
// elements and expressions deeper than kMaxNotationNesting is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "frontend/Program.h"
#include "ir/Diagnostics.h"

namespace kiln::frontend {

inline constexpr unsigned kMaxNotationNesting = 200;
inline constexpr unsigned kMaxImportDepth = 32;
/// An imported file larger than this, or not a regular file (a FIFO,
/// /dev/zero), is refused: reading it could block or allocate without bound.
inline constexpr uintmax_t kMaxImportBytes = uintmax_t(64) << 20;

/// Parses the text of a program. `fileName` names the buffer (registered with
/// `sources`) and is the base for `import "..."` paths (relative imports are
/// read from the file's directory; each file is imported once).
std::optional<Program> parseProgram(std::string_view text, const std::string &fileName,
                                    ir::SourceManager &sources, ir::DiagnosticEngine &diag);

/// Reads and parses a program file.
std::optional<Program> parseProgramFile(const std::string &path, ir::SourceManager &sources,
                                        ir::DiagnosticEngine &diag);

/// Parses a single element, e.g. a hook's replacement. With `allowWildcards`
/// `*` may stand for an element, a callee segment, a count or a keyword value
/// (hook patterns).
std::optional<Element> parseElement(std::string_view text, const std::string &bufferName,
                                    ir::SourceManager &sources, ir::DiagnosticEngine &diag,
                                    bool allowWildcards);

/// A command-line hook: `after PATTERN: ELEMENT`, `before PATTERN: ELEMENT`,
/// `replace PATTERN: ELEMENT`.
struct HookSpec {
  enum class Mode { After, Before, Replace };
  Mode mode = Mode::After;
  Element pattern;
  Element element;
  SourceLoc patternLoc;
};
std::optional<HookSpec> parseHookSpec(std::string_view text, const std::string &bufferName,
                                      ir::SourceManager &sources, ir::DiagnosticEngine &diag);

/// True for the reserved element names (CALL, SEQ, ..., CASE, DEFAULT).
bool isElementKeyword(std::string_view name);

} // namespace kiln::frontend
