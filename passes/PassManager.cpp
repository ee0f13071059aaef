// PassManager: registry, pipeline parsing and printing, running pipelines.
#include "passes/PassManager.h"

#include <algorithm>
#include <cctype>

#include "ir/Support.h"
#include "ir/Verifier.h"
#include "passes/Passes.h"

namespace kiln::passes {

// ---- statistics ------------------------------------------------------------

void PassStatistics::add(std::string_view singular, std::string_view plural, int64_t n) {
  for (Counter &c : counters_)
    if (c.plural == plural) {
      c.value += n;
      return;
    }
  counters_.push_back({std::string(singular), std::string(plural), n});
}

int64_t PassStatistics::get(std::string_view plural) const {
  for (const Counter &c : counters_)
    if (c.plural == plural)
      return c.value;
  return 0;
}

void PassStatistics::note(std::string text) {
  if (std::find(notes_.begin(), notes_.end(), text) == notes_.end())
    notes_.push_back(std::move(text));
}

std::string PassStatistics::str() const {
  std::string out;
  for (const Counter &c : counters_) {
    if (!out.empty())
      out += ", ";
    out += std::to_string(c.value) + " " + (c.value == 1 ? c.singular : c.plural);
  }
  for (const std::string &n : notes_) {
    if (!out.empty())
      out += "; ";
    out += n;
  }
  return out.empty() ? "nothing to report" : out;
}

// ---- registry ----------------------------------------------------------------

namespace {

// The one table of passes, sorted by name.
const PassInfo kPasses[] = {
    {"bulk-read", "replace buffer_repeat loops of one component read by one bulk read",
     createBulkReadPass},
    {"canonicalize", "fold constants and algebraic identities (x*1, x+(-0), transpose(transpose(x)))",
     createCanonicalizePass},
    {"cse", "merge identical pure ops and repeated state reads", createCSEPass},
    {"dce", "delete ops whose results are unused and that have no effects", createDCEPass},
    {"fuse", "group runs of tensor ops into fused kernels", createFusePass},
    {"inline-kernels", "replace calls of kernel functions by their tensor-op bodies",
     createInlineKernelsPass},
    {"licm", "hoist loop-invariant tensor computations out of loops", createLICMPass},
    {"refine-types", "replace ? dimensions of result types by the static ones inferred from "
                     "the operands",
     createRefineTypesPass},
};

} // namespace

std::span<const PassInfo> registeredPasses() { return kPasses; }

const PassInfo *lookupPass(std::string_view name) {
  for (const PassInfo &p : kPasses)
    if (p.name == name)
      return &p;
  return nullptr;
}

std::string knownPassNames() {
  std::string out;
  for (const PassInfo &p : kPasses) {
    if (!out.empty())
      out += ", ";
    out += p.name;
  }
  return out;
}

// ---- pipeline text -------------------------------------------------------------

static void appendElements(const std::vector<PipelineElement> &elements, std::string &out) {
  bool first = true;
  for (const PipelineElement &e : elements) {
    if (!first)
      out += ",";
    first = false;
    if (e.isGroup()) {
      out += "fixpoint(";
      appendElements(e.fixpoint, out);
      out += ")";
    } else {
      out += e.pass->name();
    }
  }
}

std::string Pipeline::str() const {
  std::string out;
  appendElements(elements, out);
  return out;
}

namespace {

// Recursive-descent parser over the pipeline grammar in PassManager.h.
class PipelineParser {
public:
  PipelineParser(std::string_view text, std::string *error) : text_(text), error_(error) {}

  std::optional<Pipeline> parse() {
    Pipeline p;
    skipSpace();
    if (pos_ == text_.size())
      return p; // the empty pipeline
    if (!parseList(p.elements, /*depth=*/0))
      return std::nullopt;
    if (pos_ != text_.size())
      return fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    return p;
  }

private:
  bool parseList(std::vector<PipelineElement> &out, unsigned depth) {
    while (true) {
      skipSpace();
      if (pos_ == text_.size() || text_[pos_] == ',' || text_[pos_] == ')') {
        fail(out.empty() ? "empty pipeline element" : "empty pipeline element (trailing or doubled comma?)");
        return false;
      }
      PipelineElement e;
      if (!parseElement(e, depth))
        return false;
      out.push_back(std::move(e));
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return true;
    }
  }

  bool parseElement(PipelineElement &e, unsigned depth) {
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '-' || text_[pos_] == '_'))
      ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    if (name.empty()) {
      fail("expected a pass name, got '" + std::string(1, text_[pos_]) + "'");
      return false;
    }
    skipSpace();
    if (name == "fixpoint" && pos_ < text_.size() && text_[pos_] == '(') {
      if (depth >= 8) {
        fail("fixpoint groups nested too deeply");
        return false;
      }
      ++pos_;
      if (!parseList(e.fixpoint, depth + 1))
        return false;
      skipSpace();
      if (pos_ == text_.size() || text_[pos_] != ')') {
        fail("expected ')' to close 'fixpoint('");
        return false;
      }
      ++pos_;
      return true;
    }
    const PassInfo *info = lookupPass(name);
    if (!info) {
      pos_ = start;
      fail("unknown pass '" + std::string(name) + "' (known passes: " + knownPassNames() +
           ", and fixpoint(...))");
      return false;
    }
    e.pass = info->create();
    return true;
  }

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }

  std::nullopt_t fail(const std::string &msg) {
    if (error_)
      *error_ = "invalid pipeline '" + std::string(text_) + "' at column " +
                std::to_string(pos_ + 1) + ": " + msg;
    return std::nullopt;
  }

  std::string_view text_;
  std::string *error_;
  size_t pos_ = 0;
};

} // namespace

std::optional<Pipeline> parsePipeline(std::string_view text, std::string *error) {
  return PipelineParser(text, error).parse();
}

std::string_view defaultPipelineText(int level) {
  switch (level) {
  case 0:
    return "";
  case 1:
    return "inline-kernels,canonicalize,cse,dce";
  default:
    // Reads become bulk first (fewer loop iterations for everything after);
    // kernels are inlined so the cleanups see their math; their ops get the
    // static types of the now static operands (refine-types); the cleanups feed
    // each other (folding exposes common subexpressions, hoisting exposes
    // dead code), hence the fixed point; fusion comes last, on the cleaned
    // ops, and dce removes the constants fusion copied into its groups.
    return "bulk-read,inline-kernels,refine-types,fixpoint(canonicalize,cse,licm,dce),fuse,dce";
  }
}

Pipeline defaultPipeline(int level) {
  std::string error;
  auto p = parsePipeline(defaultPipelineText(level), &error);
  KILN_ASSERT(p, "default pipeline does not parse");
  return std::move(*p);
}

// ---- running -------------------------------------------------------------------

PassStatistics &PassManager::statsFor(std::string_view pass) {
  for (auto &[name, s] : stats_)
    if (name == pass)
      return s;
  stats_.emplace_back(std::string(pass), PassStatistics{});
  return stats_.back().second;
}

PassResult PassManager::runOne(Pass &pass, ir::Module &module, PassContext &ctx) {
  ctx.stats = &statsFor(pass.name());
  PassResult r = pass.run(module, ctx);
  ctx.stats = nullptr;
  if (r == PassResult::Failed)
    return r;
  if (options_.afterPass)
    options_.afterPass(pass, module);
  if (options_.verifyEach && !ir::verifyModule(module, *ctx.diag)) {
    ctx.diag->error(module.op().loc(), "internal error: the IR after pass '" +
                                           std::string(pass.name()) + "' does not verify");
    return PassResult::Failed;
  }
  return r;
}

PassResult PassManager::runElements(std::vector<PipelineElement> &elements,
                                    ir::Module &module, PassContext &ctx) {
  bool changed = false;
  for (PipelineElement &e : elements) {
    PassResult r = PassResult::Unchanged;
    if (!e.isGroup()) {
      r = runOne(*e.pass, module, ctx);
    } else {
      for (unsigned round = 0; round < options_.maxFixpointIterations; ++round) {
        PassResult g = runElements(e.fixpoint, module, ctx);
        if (g == PassResult::Failed)
          return g;
        if (g == PassResult::Unchanged)
          break;
        r = PassResult::Changed;
      }
    }
    if (r == PassResult::Failed)
      return r;
    changed |= r == PassResult::Changed;
  }
  return changed ? PassResult::Changed : PassResult::Unchanged;
}

bool PassManager::run(ir::Module &module, const ir::ComponentCatalog *catalog,
                      ir::DiagnosticEngine &diag) {
  PassContext ctx;
  ctx.catalog = catalog;
  ctx.diag = &diag;
  return runElements(pipeline_.elements, module, ctx) != PassResult::Failed;
}

std::string PassManager::statisticsText() const {
  std::string out;
  for (const auto &[name, s] : stats_)
    out += name + ": " + s.str() + "\n";
  return out;
}

} // namespace kiln::passes
