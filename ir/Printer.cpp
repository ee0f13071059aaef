// The textual IR printer. Generic ops are laid out by the Format column of
// ir/Ops.def; module, component and func (kCustom) have hand-written forms.
// The format is documented in docs/ir.md; the parser (ir/Parser.cpp) reads
// exactly what this writes, so print(parse(text)) == text for printed text.
//
// The printer must also survive invalid IR (it prints diagnostics and
// --print-ir-after-all output of buggy passes), so it never asserts on the
// shape of an op: a missing directive attribute prints as <<missing NAME>>.
#include "ir/Printer.h"

#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/IRLexer.h"

namespace kiln::ir {

namespace {

/// Names the values of one top-level op (a func, usually): name hints that
/// are identifiers are kept (made unique with _1, _2, ...), the rest are
/// numbered in order of definition.
class ValueNamer {
public:
  /// Assigns names to every value defined in `op`, in textual order:
  /// results first, then each region's arguments and ops.
  void assignAll(const Operation &op) {
    for (unsigned i = 0; i < op.numResults(); ++i)
      assign(op.result(i));
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      const Region &region = op.region(r);
      for (unsigned a = 0; a < region.numArguments(); ++a)
        assign(region.argument(a));
      for (const auto &child : region.ops())
        assignAll(*child);
    }
  }

  std::string name(const Value *v) const {
    if (!v)
      return "%<null>";
    auto it = names_.find(v);
    return it == names_.end() ? std::string("%<unknown>") : "%" + it->second;
  }

private:
  void assign(const Value *v) {
    if (names_.count(v))
      return;
    std::string name;
    const std::string &hint = v->nameHint();
    if (isIRIdentifier(hint)) {
      name = hint;
      for (unsigned k = 1; used_.count(name); ++k)
        name = hint + "_" + std::to_string(k);
    } else {
      name = std::to_string(next_++);
    }
    used_.insert(name);
    names_.emplace(v, std::move(name));
  }

  std::unordered_map<const Value *, std::string> names_;
  std::unordered_set<std::string> used_;
  unsigned next_ = 0;
};

std::string attrName(std::string_view name) {
  return isIRIdentifier(name) ? std::string(name) : quoteString(name);
}

/// True for a name made only of [A-Za-z0-9_$] that starts like an
/// identifier (no dots): component type names printed bare.
bool isPlainName(std::string_view s) {
  return isIRIdentifier(s) && s.find('.') == std::string_view::npos;
}

class Printer {
public:
  Printer(std::ostream &os, const PrintOptions &opts) : os_(os), opts_(opts) {}

  /// Prints `op` starting at the current column (the caller wrote the
  /// indentation); nested lines are indented relative to `indent`.
  void printOp(const Operation &op, unsigned indent, ValueNamer &namer) {
    switch (op.kind()) {
    case OpKind::Module: printModuleOp(op, indent); break;
    case OpKind::Component: printComponentOp(op); break;
    case OpKind::Func: printFuncOp(op, indent, namer); break;
    default: printGenericOp(op, indent, namer); break;
    }
    printLoc(op);
  }

private:
  void spaces(unsigned n) {
    for (unsigned i = 0; i < n; ++i)
      os_ << ' ';
  }

  void printLoc(const Operation &op) {
    if (!opts_.printLocations || !op.loc().known())
      return;
    os_ << " loc(" << quoteString(*op.loc().file) << ':' << op.loc().line << ':'
        << op.loc().col << ')';
  }

  /// ` {k = v, ...}` of the attributes not in `skip`; nothing when empty.
  void printAttrDict(const Operation &op, const std::unordered_set<std::string> &skip,
                     std::string_view prefix = " ") {
    bool first = true;
    for (const NamedAttribute &a : op.attrs()) {
      if (skip.count(a.name))
        continue;
      os_ << (first ? std::string(prefix) + "{" : std::string(", ")) << attrName(a.name)
          << " = " << a.value.str();
      first = false;
    }
    if (!first)
      os_ << '}';
  }

  void printValueList(const std::vector<Value *> &values, const ValueNamer &namer) {
    for (size_t i = 0; i < values.size(); ++i)
      os_ << (i ? ", " : "") << namer.name(values[i]);
  }

  /// The terminator the parser re-inserts at the end of a region of `parent`
  /// that ends without one: return in a func body, yield elsewhere, none in
  /// a module.
  static std::optional<OpKind> implicitTerminator(const Operation &parent) {
    if (parent.is(OpKind::Module))
      return std::nullopt;
    return parent.is(OpKind::Func) ? OpKind::Return : OpKind::Yield;
  }

  /// An operand-less return/yield that ends a region is elided when the
  /// parser would add exactly that op back.
  static bool isElided(const Region &region, const Operation &op) {
    auto implicit = implicitTerminator(*region.parentOp());
    if (!implicit || &op != region.back() || !op.is(*implicit))
      return false;
    if (op.numOperands() || op.numResults() || op.numRegions() || !op.attrs().empty())
      return false;
    if (region.size() == 1)
      return true;
    const Operation *prev = std::prev(region.ops().end(), 2)->get();
    return !prev->has(kTerminator);
  }

  void printRegion(const Region &region, unsigned indent, ValueNamer &namer,
                   bool printArgs) {
    os_ << "{\n";
    if (printArgs && region.numArguments() != 0) {
      spaces(indent);
      os_ << "^bb0(";
      for (unsigned i = 0; i < region.numArguments(); ++i) {
        Value *arg = region.argument(i);
        os_ << (i ? ", " : "") << namer.name(arg) << ": " << arg->type().str();
      }
      os_ << "):\n";
    }
    bool isModuleBody = region.parentOp() && region.parentOp()->is(OpKind::Module);
    for (const auto &child : region.ops()) {
      if (isElided(region, *child))
        continue;
      spaces(indent + 2);
      if (isModuleBody) {
        // Each top-level op (func) numbers its values from 0.
        ValueNamer fresh;
        fresh.assignAll(*child);
        printOp(*child, indent + 2, fresh);
      } else {
        printOp(*child, indent + 2, namer);
      }
      os_ << '\n';
    }
    spaces(indent);
    os_ << '}';
  }

  void printSymbolAttr(const Operation &op, std::string_view name) {
    const Attribute *a = op.attr(name);
    if (a && a->isSymbol())
      os_ << formatSymbol(a->getSymbol().name);
    else
      os_ << "<<missing " << name << ">>";
  }

  void printModuleOp(const Operation &op, unsigned indent) {
    os_ << "module ";
    printSymbolAttr(op, "sym_name");
    printAttrDict(op, {"sym_name"}, " attributes ");
    ValueNamer unused;
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      os_ << ' ';
      printRegion(op.region(r), indent, unused, true);
    }
  }

  void printComponentOp(const Operation &op) {
    os_ << "component ";
    printSymbolAttr(op, "sym_name");
    os_ << " : ";
    std::unordered_set<std::string> skip{"sym_name"};
    const Attribute *type = op.attr("type_name");
    const Attribute *ctor = op.attr("constructor");
    if (type && type->isString()) {
      skip.insert("type_name");
      const std::string &t = type->getString();
      bool ctorBare = ctor && ctor->isString() && isIRIdentifier(ctor->getString());
      if (isPlainName(t)) {
        os_ << t;
        if (ctorBare) {
          os_ << '.' << ctor->getString();
          skip.insert("constructor");
        }
      } else {
        // An unusual type name is quoted; its constructor then stays in
        // the config dictionary.
        os_ << quoteString(t);
      }
    } else {
      os_ << "<<missing type_name>>";
    }
    printAttrDict(op, skip);
  }

  void printFuncOp(const Operation &op, unsigned indent, ValueNamer &namer) {
    os_ << "func ";
    printSymbolAttr(op, "sym_name");
    std::unordered_set<std::string> skip{"sym_name"};
    os_ << '(';
    if (op.numRegions() >= 1) {
      const Region &body = op.region(0);
      for (unsigned i = 0; i < body.numArguments(); ++i) {
        Value *arg = body.argument(i);
        os_ << (i ? ", " : "") << namer.name(arg) << ": " << arg->type().str();
      }
    }
    os_ << ')';
    const Attribute *results = op.attr("result_types");
    bool typesOnly = results && results->isArray();
    if (typesOnly)
      for (const Attribute &t : results->getArray())
        typesOnly = typesOnly && t.isType();
    if (typesOnly) {
      skip.insert("result_types");
      const auto &arr = results->getArray();
      if (!arr.empty()) {
        os_ << " -> (";
        for (size_t i = 0; i < arr.size(); ++i)
          os_ << (i ? ", " : "") << arr[i].getType().str();
        os_ << ')';
      }
    }
    printAttrDict(op, skip, " attributes ");
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      const Region &region = op.region(r);
      if (r == 0 && region.empty())
        continue; // a declaration
      os_ << ' ';
      // The params of region 0 are printed in the signature.
      printRegion(region, indent, namer, r != 0);
    }
  }

  void printGenericOp(const Operation &op, unsigned indent, ValueNamer &namer) {
    if (op.numResults() != 0) {
      printValueList(op.results(), namer);
      os_ << " = ";
    }
    os_ << op.name();
    std::unordered_set<std::string> consumed;
    for (std::string_view d : formatDirectives(op.info().format)) {
      if (d == "operands") {
        if (op.numOperands() != 0) {
          os_ << ' ';
          printValueList(op.operands(), namer);
        }
      } else if (d == "(operands)") {
        os_ << '(';
        printValueList(op.operands(), namer);
        os_ << ')';
      } else {
        size_t colon = d.find(':');
        std::string_view kind = d.substr(0, colon);
        std::string name(d.substr(colon + 1));
        const Attribute *a = op.attr(name);
        os_ << ' ';
        if (!a) {
          os_ << "<<missing " << name << ">>";
          continue;
        }
        consumed.insert(name);
        if (kind == "sym" && a->isSymbol())
          os_ << formatSymbol(a->getSymbol().name);
        else
          os_ << a->str();
      }
    }
    printAttrDict(op, consumed);
    if (op.numResults() != 0) {
      os_ << " : ";
      for (unsigned i = 0; i < op.numResults(); ++i)
        os_ << (i ? ", " : "") << op.result(i)->type().str();
    }
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      os_ << ' ';
      printRegion(op.region(r), indent, namer, true);
    }
  }

  std::ostream &os_;
  const PrintOptions &opts_;
};

} // namespace

void printModule(const Module &module, std::ostream &os, const PrintOptions &opts) {
  Printer printer(os, opts);
  ValueNamer namer;
  printer.printOp(module.op(), 0, namer);
  os << '\n';
}

std::string printModule(const Module &module, const PrintOptions &opts) {
  std::ostringstream os;
  printModule(module, os, opts);
  return os.str();
}

std::string printOp(const Operation &op, const PrintOptions &opts) {
  std::ostringstream os;
  Printer printer(os, opts);
  ValueNamer namer;
  namer.assignAll(op);
  printer.printOp(op, 0, namer);
  return os.str();
}

} // namespace kiln::ir
