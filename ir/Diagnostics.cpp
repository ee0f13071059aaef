#include "ir/Diagnostics.h"

#include <sstream>

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
    // Quote only printable lines; binary garbage would garble the terminal.
    bool printable = !line.empty() && line.size() < 400;
    for (char c : line)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        printable = false;
    if (printable) {
      out += line;
      out += '\n';
      uint32_t col = d.loc.col == 0 ? 1 : d.loc.col;
      for (uint32_t i = 1; i < col && i <= line.size(); ++i)
        out += line[i - 1] == '\t' ? '\t' : ' ';
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
