#include "ir/Diagnostics.h"

#include <cstdio>
#include <optional>
#include <sstream>
#include <utility>

namespace kiln::ir {

std::string SourceLoc::str() const {
  if (!known())
    return "<unknown>";
  return *file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::shared_ptr<const std::string>
SourceManager::addBuffer(std::string name, std::string text) {
  Buffer buf;
  buf.name = std::make_shared<const std::string>(name);
  buf.text = std::move(text);
  buf.lineStarts.push_back(0);
  for (size_t i = 0; i < buf.text.size(); ++i)
    if (buf.text[i] == '\n')
      buf.lineStarts.push_back(i + 1);
  auto shared = buf.name;
  buffers_[name] = std::move(buf);
  return shared;
}

const std::string *SourceManager::bufferText(const std::string &file) const {
  auto it = buffers_.find(file);
  return it == buffers_.end() ? nullptr : &it->second.text;
}

std::vector<std::pair<std::string, std::string>> SourceManager::buffers() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &[name, buffer] : buffers_)
    out.emplace_back(name, buffer.text);
  return out;
}

std::string_view SourceManager::lineText(const std::string &file,
                                         uint32_t line) const {
  auto it = buffers_.find(file);
  if (it == buffers_.end() || line == 0 ||
      line > it->second.lineStarts.size())
    return {};
  const Buffer &b = it->second;
  size_t start = b.lineStarts[line - 1];
  size_t end = line < b.lineStarts.size() ? b.lineStarts[line] - 1
                                          : b.text.size();
  if (end > start && b.text[end - 1] == '\r')
    --end;
  return std::string_view(b.text).substr(start, end - start);
}

void DiagnosticEngine::error(const SourceLoc &loc, std::string message) {
  diags_.push_back({Severity::Error, loc, std::move(message)});
  ++numErrors_;
}
void DiagnosticEngine::warning(const SourceLoc &loc, std::string message) {
  diags_.push_back({Severity::Warning, loc, std::move(message)});
}
void DiagnosticEngine::note(const SourceLoc &loc, std::string message) {
  diags_.push_back({Severity::Note, loc, std::move(message)});
}

namespace {

/// A source line as it is quoted under a diagnostic, and how many columns
/// each of its bytes takes there; nullopt when it is not worth quoting.
/// Control bytes (a NUL, an escape) must not reach the terminal: they are
/// shown as `<0x00>`, and so is every byte >= 0x80 of such a line (it may not
/// be text at all). A line with more than 16 such bytes (binary garbage) or
/// a very long line is not quoted.
std::optional<std::pair<std::string, std::vector<uint8_t>>> quoteLine(std::string_view line) {
  if (line.empty() || line.size() >= 400)
    return std::nullopt;
  auto control = [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; };
  size_t controls = 0, high = 0;
  for (char c : line) {
    controls += control(static_cast<unsigned char>(c));
    high += static_cast<unsigned char>(c) >= 0x80;
  }
  size_t escaped = controls == 0 ? 0 : controls + high;
  if (escaped > 16)
    return std::nullopt;
  std::pair<std::string, std::vector<uint8_t>> q;
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if (controls != 0 && (control(u) || u >= 0x80)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02x>", u);
      q.first += buf;
      q.second.push_back(6);
    } else {
      q.first += c;
      q.second.push_back(1);
    }
  }
  return q;
}

} // namespace

std::string DiagnosticEngine::render(const Diagnostic &d) const {
  std::string out;
  out += d.loc.known() ? d.loc.str() : std::string("<unknown>");
  switch (d.severity) {
  case Severity::Error: out += ": error: "; break;
  case Severity::Warning: out += ": warning: "; break;
  case Severity::Note: out += ": note: "; break;
  }
  out += d.message;
  out += '\n';
  if (sources_ && d.loc.known()) {
    std::string_view line = sources_->lineText(*d.loc.file, d.loc.line);
    if (auto quoted = quoteLine(line)) {
      out += quoted->first;
      out += '\n';
      // The caret goes under the column's byte, however it was shown.
      uint32_t col = d.loc.col == 0 ? 1 : d.loc.col;
      for (uint32_t i = 1; i < col && i <= line.size(); ++i)
        out += line[i - 1] == '\t' ? std::string("\t") : std::string(quoted->second[i - 1], ' ');
      out += "^\n";
    }
  }
  return out;
}

void DiagnosticEngine::print(std::ostream &os) const {
  for (const Diagnostic &d : diags_)
    os << render(d);
}

std::string DiagnosticEngine::str() const {
  std::ostringstream os;
  print(os);
  return os.str();
}

} // namespace kiln::ir
