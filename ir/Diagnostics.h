// Diagnostics: source locations, source buffers, and the error reporter.
//
// Every user-facing error renders as
//     file:line:col: error: message
//       <the source line>
//       ^
// A control byte in the quoted line (a NUL, an escape) is shown as `<0x00>`,
// so a diagnostic is always plain text; the caret still lines up.
// Library code reports into a DiagnosticEngine and returns a failure value;
// only tools decide to print and exit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::ir {

/// A position in a source buffer. Line and column are 1-based; line 0 means
/// "unknown". The file name is shared between all locations of one buffer.
struct SourceLoc {
  std::shared_ptr<const std::string> file;
  uint32_t line = 0;
  uint32_t col = 0;

  bool known() const { return file && line != 0; }
  std::string str() const; // "file:line:col" or "<unknown>"
  bool operator==(const SourceLoc &o) const {
    return line == o.line && col == o.col &&
           (file == o.file || (file && o.file && *file == *o.file));
  }
};

/// Owns the text of every buffer read, so diagnostics can quote a line.
class SourceManager {
public:
  /// Registers a buffer; returns the shared file name to put in SourceLocs.
  std::shared_ptr<const std::string> addBuffer(std::string name,
                                               std::string text);
  /// The text of line `line` (1-based) of `file`, without newline; empty if
  /// unknown.
  std::string_view lineText(const std::string &file, uint32_t line) const;
  /// The whole text of a registered buffer, or nullptr.
  const std::string *bufferText(const std::string &file) const;
  /// Every registered buffer as (name, text), in name order.
  std::vector<std::pair<std::string, std::string>> buffers() const;

private:
  struct Buffer {
    std::shared_ptr<const std::string> name;
    std::string text;
    std::vector<size_t> lineStarts;
  };
  std::map<std::string, Buffer, std::less<>> buffers_;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity;
  SourceLoc loc;
  std::string message;
};

class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceManager *sources = nullptr)
      : sources_(sources) {}

  void error(const SourceLoc &loc, std::string message);
  void warning(const SourceLoc &loc, std::string message);
  void note(const SourceLoc &loc, std::string message);

  bool hasErrors() const { return numErrors_ != 0; }
  unsigned numErrors() const { return numErrors_; }
  const std::vector<Diagnostic> &diagnostics() const { return diags_; }
  void clear() {
    diags_.clear();
    numErrors_ = 0;
  }

  /// Renders one diagnostic with the quoted source line and a caret.
  std::string render(const Diagnostic &d) const;
  /// Renders every diagnostic, in order.
  void print(std::ostream &os) const;
  std::string str() const;

  void setSourceManager(const SourceManager *sm) { sources_ = sm; }

private:
  const SourceManager *sources_;
  std::vector<Diagnostic> diags_;
  unsigned numErrors_ = 0;
};

} // namespace kiln::ir
