#include "ir/IR.h"

#include <algorithm>

#include "ir/Support.h"

namespace kiln::ir {

// ---- Region -------------------------------------------------------------

Value *Region::addArgument(Type t, std::string nameHint) {
  auto idx = static_cast<unsigned>(args_.size());
  args_.push_back(std::unique_ptr<Value>(new Value(std::move(t), nullptr, this, idx)));
  args_.back()->setNameHint(std::move(nameHint));
  return args_.back().get();
}

std::vector<Value *> Region::arguments() const {
  std::vector<Value *> out;
  out.reserve(args_.size());
  for (const auto &a : args_)
    out.push_back(a.get());
  return out;
}

Operation *Region::terminator() const {
  Operation *last = back();
  return last && last->has(kTerminator) ? last : nullptr;
}

Operation *Region::push_back(std::unique_ptr<Operation> op) {
  return insert(ops_.end(), std::move(op));
}

Operation *Region::insert(iterator pos, std::unique_ptr<Operation> op) {
  KILN_ASSERT(op && op->parent_ == nullptr, "inserting an attached op");
  op->parent_ = this;
  return ops_.insert(pos, std::move(op))->get();
}

Region::iterator Region::find(const Operation *op) {
  auto it = std::find_if(ops_.begin(), ops_.end(),
                         [&](const auto &p) { return p.get() == op; });
  KILN_ASSERT(it != ops_.end(), "op not in this region");
  return it;
}

Operation *Region::insertBefore(Operation *before, std::unique_ptr<Operation> op) {
  return insert(find(before), std::move(op));
}

Operation *Region::insertAfter(Operation *after, std::unique_ptr<Operation> op) {
  return insert(std::next(find(after)), std::move(op));
}

std::unique_ptr<Operation> Region::take(Operation *op) {
  auto it = find(op);
  std::unique_ptr<Operation> owned = std::move(*it);
  ops_.erase(it);
  owned->parent_ = nullptr;
  return owned;
}

void Region::erase(Operation *op) { take(op); }

// ---- Operation ----------------------------------------------------------

std::unique_ptr<Operation>
Operation::create(OpKind kind, std::vector<Value *> operands,
                  std::vector<Type> resultTypes, std::vector<NamedAttribute> attrs,
                  unsigned numRegions, SourceLoc loc) {
  std::unique_ptr<Operation> op(new Operation(kind, std::move(loc)));
  op->operands_ = std::move(operands);
  for (Type &t : resultTypes)
    op->addResult(std::move(t));
  op->attrs_ = std::move(attrs);
  for (unsigned i = 0; i < numRegions; ++i)
    op->addRegion();
  return op;
}

std::vector<Value *> Operation::results() const {
  std::vector<Value *> out;
  out.reserve(results_.size());
  for (const auto &r : results_)
    out.push_back(r.get());
  return out;
}

Value *Operation::addResult(Type t) {
  auto idx = static_cast<unsigned>(results_.size());
  results_.push_back(std::unique_ptr<Value>(new Value(std::move(t), this, nullptr, idx)));
  return results_.back().get();
}

const Attribute *Operation::attr(std::string_view name) const {
  for (const NamedAttribute &a : attrs_)
    if (a.name == name)
      return &a.value;
  return nullptr;
}

void Operation::setAttr(std::string_view name, Attribute value) {
  for (NamedAttribute &a : attrs_)
    if (a.name == name) {
      a.value = std::move(value);
      return;
    }
  attrs_.push_back({std::string(name), std::move(value)});
}

bool Operation::removeAttr(std::string_view name) {
  auto it = std::find_if(attrs_.begin(), attrs_.end(),
                         [&](const NamedAttribute &a) { return a.name == name; });
  if (it == attrs_.end())
    return false;
  attrs_.erase(it);
  return true;
}

int64_t Operation::intAttr(std::string_view name, int64_t dflt) const {
  const Attribute *a = attr(name);
  return a && a->isInt() ? a->getInt() : dflt;
}

bool Operation::boolAttr(std::string_view name, bool dflt) const {
  const Attribute *a = attr(name);
  return a && a->isBool() ? a->getBool() : dflt;
}

std::string_view Operation::stringAttr(std::string_view name) const {
  const Attribute *a = attr(name);
  return a && a->isString() ? std::string_view(a->getString()) : std::string_view();
}

std::string_view Operation::symbolAttr(std::string_view name) const {
  const Attribute *a = attr(name);
  return a && a->isSymbol() ? std::string_view(a->getSymbol().name) : std::string_view();
}

Region &Operation::addRegion() {
  regions_.push_back(std::make_unique<Region>(this));
  return *regions_.back();
}

Operation *Operation::parentOp() const {
  return parent_ ? parent_->parentOp() : nullptr;
}

bool Operation::isInside(const Operation *other) const {
  for (Operation *p = parentOp(); p; p = p->parentOp())
    if (p == other)
      return true;
  return false;
}

std::unique_ptr<Operation> Operation::clone(IRMapping &mapping) const {
  std::vector<Value *> newOperands;
  newOperands.reserve(operands_.size());
  for (Value *v : operands_)
    newOperands.push_back(mapping.lookup(v));
  std::vector<Type> types;
  for (const auto &r : results_)
    types.push_back(r->type());
  auto copy = create(kind_, std::move(newOperands), std::move(types), attrs_, 0, loc_);
  for (unsigned i = 0; i < results_.size(); ++i) {
    copy->results_[i]->setNameHint(results_[i]->nameHint());
    mapping.map(results_[i].get(), copy->results_[i].get());
  }
  for (const auto &region : regions_) {
    Region &newRegion = copy->addRegion();
    for (const auto &arg : region->args_)
      mapping.map(arg.get(), newRegion.addArgument(arg->type(), arg->nameHint()));
    for (const auto &op : region->ops_)
      newRegion.push_back(op->clone(mapping));
  }
  return copy;
}

void Operation::walkNested(const std::function<void(Operation &)> &fn) {
  for (auto &region : regions_)
    for (auto it = region->ops_.begin(); it != region->ops_.end();) {
      // Advance first so fn may not invalidate our position by erasing
      // ops after this one; erasing the current op itself is not allowed.
      Operation &op = **it;
      ++it;
      op.walk(fn);
    }
}

void Operation::walk(const std::function<void(Operation &)> &fn) {
  fn(*this);
  walkNested(fn);
}

void Operation::walk(const std::function<void(const Operation &)> &fn) const {
  fn(*this);
  for (const auto &region : regions_)
    for (const auto &op : region->ops_)
      static_cast<const Operation &>(*op).walk(fn);
}

unsigned replaceAllUsesWith(Value *from, Value *to, Operation &scope) {
  unsigned n = 0;
  scope.walk([&](Operation &op) {
    for (unsigned i = 0; i < op.numOperands(); ++i)
      if (op.operand(i) == from) {
        op.setOperand(i, to);
        ++n;
      }
  });
  return n;
}

bool hasUses(const Value *v, Operation &scope) {
  bool used = false;
  scope.walk([&](Operation &op) {
    for (Value *o : op.operands())
      if (o == v)
        used = true;
  });
  return used;
}

std::unordered_map<const Value *, unsigned> countUses(Operation &scope) {
  std::unordered_map<const Value *, unsigned> uses;
  scope.walk([&](Operation &op) {
    for (Value *o : op.operands())
      ++uses[o];
  });
  return uses;
}

// ---- Module -------------------------------------------------------------

Module::Module(std::string name, SourceLoc loc) {
  op_ = Operation::create(OpKind::Module, {}, {},
                          {{"sym_name", Attribute::symbol(std::move(name))}}, 1,
                          std::move(loc));
}

Module::Module(std::unique_ptr<Operation> moduleOp) : op_(std::move(moduleOp)) {
  KILN_ASSERT(op_ && op_->is(OpKind::Module), "Module wraps a module op");
}

Operation *Module::lookupSymbol(std::string_view name) const {
  for (const auto &op : body().ops())
    if (op->has(kSymbol) && op->symbolAttr("sym_name") == name)
      return op.get();
  return nullptr;
}

Operation *Module::lookupFunc(std::string_view name) const {
  Operation *op = lookupSymbol(name);
  return op && op->is(OpKind::Func) ? op : nullptr;
}

Operation *Module::lookupComponent(std::string_view name) const {
  Operation *op = lookupSymbol(name);
  return op && op->is(OpKind::Component) ? op : nullptr;
}

std::vector<Operation *> Module::funcs() const {
  std::vector<Operation *> out;
  for (const auto &op : body().ops())
    if (op->is(OpKind::Func))
      out.push_back(op.get());
  return out;
}

std::vector<Operation *> Module::components() const {
  std::vector<Operation *> out;
  for (const auto &op : body().ops())
    if (op->is(OpKind::Component))
      out.push_back(op.get());
  return out;
}

std::unique_ptr<Module> Module::clone() const {
  return std::make_unique<Module>(op_->clone());
}

std::vector<Type> funcResultTypes(const Operation &func) {
  std::vector<Type> out;
  if (const Attribute *a = func.attr("result_types"); a && a->isArray())
    for (const Attribute &t : a->getArray())
      if (t.isType())
        out.push_back(t.getType());
  return out;
}

bool isFuncDeclaration(const Operation &func) {
  return func.numRegions() == 1 && func.region(0).empty();
}

} // namespace kiln::ir
