// The IR: SSA values, operations with regions, and the module.
//
// Structured control flow in the style of MLIR's generic form, restricted to
// single-block regions: an Operation has operands (Values defined earlier),
// results (Values it defines), attributes, and Regions; a Region is an
// ordered list of Operations plus its arguments (Values bound on entry, used
// by func and fused). A Value is defined either by an op result or by a
// region argument, and may be used by any op after its definition in the same
// region or in a nested region (unless an op in between is kIsolated).
//
// Ownership: a Region owns its ops and arguments; an Operation owns its
// results and regions; the Module owns the root `module` op. Pointers to
// Values and Operations stay valid until the owner is erased.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/Attributes.h"
#include "ir/Diagnostics.h"
#include "ir/OpKind.h"
#include "ir/Types.h"

namespace kiln::ir {

class Operation;
class Region;

class Value {
public:
  const Type &type() const { return type_; }
  void setType(Type t) { type_ = std::move(t); }

  /// The op whose result this is, or nullptr for a region argument.
  Operation *definingOp() const { return def_; }
  /// The region whose argument this is, or nullptr for an op result.
  Region *ownerRegion() const { return region_; }
  /// Result number, or argument number.
  unsigned index() const { return index_; }
  bool isRegionArgument() const { return region_ != nullptr; }

  /// A name the printer uses when it can (e.g. a kernel parameter name);
  /// empty means "number me".
  const std::string &nameHint() const { return name_; }
  void setNameHint(std::string n) { name_ = std::move(n); }

private:
  friend class Operation;
  friend class Region;
  Value(Type t, Operation *def, Region *region, unsigned index)
      : type_(std::move(t)), def_(def), region_(region), index_(index) {}
  Type type_;
  Operation *def_;
  Region *region_;
  unsigned index_;
  std::string name_;
};

class Region {
public:
  using OpList = std::list<std::unique_ptr<Operation>>;
  using iterator = OpList::iterator;

  explicit Region(Operation *parent) : parent_(parent) {}
  Region(const Region &) = delete;
  Region &operator=(const Region &) = delete;

  Operation *parentOp() const { return parent_; }

  // Arguments.
  Value *addArgument(Type t, std::string nameHint = {});
  unsigned numArguments() const { return static_cast<unsigned>(args_.size()); }
  Value *argument(unsigned i) const { return args_[i].get(); }
  std::vector<Value *> arguments() const;

  // Ops.
  OpList &ops() { return ops_; }
  const OpList &ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  Operation *front() const { return ops_.empty() ? nullptr : ops_.front().get(); }
  Operation *back() const { return ops_.empty() ? nullptr : ops_.back().get(); }
  /// The last op if it is a terminator, else nullptr.
  Operation *terminator() const;

  /// Appends `op` and returns it.
  Operation *push_back(std::unique_ptr<Operation> op);
  /// Inserts `op` before `pos` and returns it.
  Operation *insert(iterator pos, std::unique_ptr<Operation> op);
  /// Inserts `op` before `before` (which must be in this region).
  Operation *insertBefore(Operation *before, std::unique_ptr<Operation> op);
  Operation *insertAfter(Operation *after, std::unique_ptr<Operation> op);
  /// The iterator of `op` (which must be in this region).
  iterator find(const Operation *op);
  /// Unlinks `op` and hands it back.
  std::unique_ptr<Operation> take(Operation *op);
  /// Deletes `op`. Its results must be unused.
  void erase(Operation *op);

private:
  friend class Operation;
  Operation *parent_;
  std::vector<std::unique_ptr<Value>> args_;
  OpList ops_;
};

/// Maps original values to their copies while cloning.
class IRMapping {
public:
  void map(const Value *from, Value *to) { values_[from] = to; }
  /// The copy of v, or v itself if it was not cloned (defined outside).
  Value *lookup(Value *v) const {
    auto it = values_.find(v);
    return it == values_.end() ? v : it->second;
  }
  bool contains(const Value *v) const { return values_.count(v) != 0; }

private:
  std::unordered_map<const Value *, Value *> values_;
};

class Operation {
public:
  /// Creates a detached op with `numRegions` empty regions.
  static std::unique_ptr<Operation>
  create(OpKind kind, std::vector<Value *> operands, std::vector<Type> resultTypes,
         std::vector<NamedAttribute> attrs = {}, unsigned numRegions = 0,
         SourceLoc loc = {});

  Operation(const Operation &) = delete;
  Operation &operator=(const Operation &) = delete;

  OpKind kind() const { return kind_; }
  const OpInfo &info() const { return opInfo(kind_); }
  std::string_view name() const { return info().mnemonic; }
  bool has(OpTrait t) const { return info().has(t); }
  bool is(OpKind k) const { return kind_ == k; }

  const SourceLoc &loc() const { return loc_; }
  void setLoc(SourceLoc l) { loc_ = std::move(l); }

  // Operands.
  unsigned numOperands() const { return static_cast<unsigned>(operands_.size()); }
  Value *operand(unsigned i) const { return operands_[i]; }
  const std::vector<Value *> &operands() const { return operands_; }
  void setOperand(unsigned i, Value *v) { operands_[i] = v; }
  void addOperand(Value *v) { operands_.push_back(v); }
  void setOperands(std::vector<Value *> v) { operands_ = std::move(v); }

  // Results.
  unsigned numResults() const { return static_cast<unsigned>(results_.size()); }
  Value *result(unsigned i = 0) const { return results_[i].get(); }
  std::vector<Value *> results() const;
  /// Appends a result of type t.
  Value *addResult(Type t);

  // Attributes (ordered).
  const std::vector<NamedAttribute> &attrs() const { return attrs_; }
  const Attribute *attr(std::string_view name) const;
  bool hasAttr(std::string_view name) const { return attr(name) != nullptr; }
  /// Sets (replacing in place, or appending) an attribute.
  void setAttr(std::string_view name, Attribute value);
  bool removeAttr(std::string_view name);
  // Typed accessors with defaults, for attributes of a known kind.
  int64_t intAttr(std::string_view name, int64_t dflt = 0) const;
  bool boolAttr(std::string_view name, bool dflt = false) const;
  std::string_view stringAttr(std::string_view name) const; // "" if absent
  std::string_view symbolAttr(std::string_view name) const; // "" if absent

  // Regions.
  unsigned numRegions() const { return static_cast<unsigned>(regions_.size()); }
  Region &region(unsigned i) const { return *regions_[i]; }
  Region &addRegion();

  // Position.
  Region *parentRegion() const { return parent_; }
  Operation *parentOp() const;
  /// True if this op is (transitively) inside `other`.
  bool isInside(const Operation *other) const;

  /// Deep copy. Operands not mapped in `mapping` are used as they are (values
  /// from outside the cloned op); results and region arguments are recorded
  /// in `mapping`.
  std::unique_ptr<Operation> clone(IRMapping &mapping) const;
  std::unique_ptr<Operation> clone() const {
    IRMapping m;
    return clone(m);
  }

  /// Calls fn on every op nested in this op's regions (pre-order), not on
  /// this op itself.
  void walkNested(const std::function<void(Operation &)> &fn);
  /// Calls fn on this op, then on every nested op (pre-order).
  void walk(const std::function<void(Operation &)> &fn);
  /// The same, read-only.
  void walk(const std::function<void(const Operation &)> &fn) const;

private:
  friend class Region;
  Operation(OpKind kind, SourceLoc loc) : kind_(kind), loc_(std::move(loc)) {}

  OpKind kind_;
  SourceLoc loc_;
  std::vector<Value *> operands_;
  std::vector<std::unique_ptr<Value>> results_;
  std::vector<NamedAttribute> attrs_;
  std::vector<std::unique_ptr<Region>> regions_;
  Region *parent_ = nullptr;
};

/// Replaces every use of `from` by `to` among the ops nested in `scope`
/// (including scope itself). Returns the number of operands changed.
unsigned replaceAllUsesWith(Value *from, Value *to, Operation &scope);
/// True if some op nested in `scope` uses `v`.
bool hasUses(const Value *v, Operation &scope);
/// Counts, for every value used in `scope`, how many operands refer to it.
std::unordered_map<const Value *, unsigned> countUses(Operation &scope);

/// A compilation unit: owns a `module` op holding components and funcs.
class Module {
public:
  explicit Module(std::string name = "main", SourceLoc loc = {});
  explicit Module(std::unique_ptr<Operation> moduleOp);

  Operation &op() const { return *op_; }
  Region &body() const { return op_->region(0); }
  std::string_view name() const { return op_->symbolAttr("sym_name"); }

  /// The component or func with sym_name `name`, or nullptr.
  Operation *lookupSymbol(std::string_view name) const;
  Operation *lookupFunc(std::string_view name) const;
  Operation *lookupComponent(std::string_view name) const;
  std::vector<Operation *> funcs() const;
  std::vector<Operation *> components() const;

  std::unique_ptr<Module> clone() const;

private:
  std::unique_ptr<Operation> op_;
};

// Helpers for func ops: the signature lives in the body region's arguments
// (parameter types) and in attribute `result_types` (an array of types).
std::vector<Type> funcResultTypes(const Operation &func);
/// A func with an empty body region: an external (native) function.
bool isFuncDeclaration(const Operation &func);

} // namespace kiln::ir
