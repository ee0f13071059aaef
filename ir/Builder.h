// Builder: creates ops at an insertion point, with a current location.
//
//   Module m("train");
//   Builder b(m.body());
//   b.component("dataset", "Dataset", {{"rows", Attribute::integer(13)}});
//   Operation *main = b.func("main", {}, {});
//   b.setInsertionPointToEnd(main->region(0));
//   Value *x = b.call("dataset.next", {}, {Type::tensor(ElemType::F32, {1})})->result();
//   ...
//
// Typed helpers infer result types with ir/ShapeInference.h and assert that
// the operands are well-typed (they are for internal use; the frontend checks
// user programs and reports errors before calling them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/IR.h"

namespace kiln::ir {

class Builder {
public:
  Builder() = default;
  explicit Builder(Region &region) { setInsertionPointToEnd(region); }

  void setInsertionPointToEnd(Region &region) {
    region_ = &region;
    pos_ = region.ops().end();
  }
  void setInsertionPointToStart(Region &region) {
    region_ = &region;
    pos_ = region.ops().begin();
  }
  void setInsertionPointBefore(Operation *op) {
    region_ = op->parentRegion();
    pos_ = region_->find(op);
  }
  void setInsertionPointAfter(Operation *op) {
    region_ = op->parentRegion();
    pos_ = std::next(region_->find(op));
  }
  Region *insertionRegion() const { return region_; }

  void setLoc(SourceLoc loc) { loc_ = std::move(loc); }
  const SourceLoc &loc() const { return loc_; }

  /// Inserts a fully built op at the insertion point.
  Operation *insert(std::unique_ptr<Operation> op);
  /// Creates and inserts an op at the current location.
  Operation *create(OpKind kind, std::vector<Value *> operands,
                    std::vector<Type> resultTypes,
                    std::vector<NamedAttribute> attrs = {}, unsigned numRegions = 0);

  // ---- structure ----
  Operation *component(std::string symName, std::string typeName,
                       std::vector<NamedAttribute> config = {});
  /// A func whose body region has one argument per parameter. An empty body
  /// is a declaration; callers fill it and end it with ret().
  Operation *func(std::string symName, const std::vector<std::pair<std::string, Type>> &params,
                  const std::vector<Type> &resultTypes);
  Operation *ret(std::vector<Value *> values = {});
  Operation *yield(std::vector<Value *> values = {});

  // ---- calls and state ----
  Operation *call(std::string callee, std::vector<Value *> args,
                  std::vector<Type> resultTypes, std::vector<NamedAttribute> kwargs = {});
  Value *componentRef(std::string component, std::string typeName);
  Value *stateLoad(Value *handle, std::string field, Type type);
  Operation *stateStore(Value *handle, std::string field, Value *value);

  // ---- control flow (regions are created empty; fill them, end with yield) ----
  Operation *seq(std::vector<Type> resultTypes = {});
  Operation *repeat(int64_t count, std::vector<Type> resultTypes = {});
  Operation *bufferRepeat(int64_t count, Type elemType);
  Operation *loop();
  Operation *whileLoop();
  Operation *switchOp(Value *selector, std::vector<int64_t> cases,
                      std::vector<Type> resultTypes = {});
  Operation *weave(int64_t nRequired, unsigned numChildren);

  // ---- tensor math ----
  Value *constant(double value, Type type);
  Value *constant(const std::vector<double> &values, Type type);
  Value *unary(OpKind kind, Value *x);
  Value *binary(OpKind kind, Value *a, Value *b);
  Value *select(Value *cond, Value *a, Value *b);
  Value *cast(Value *x, ElemType to);
  Value *reduce(OpKind kind, Value *x, std::optional<int64_t> axis);
  Value *matmul(Value *a, Value *b, bool transposeA = false, bool transposeB = false);
  Value *transpose(Value *x);
  Value *reshape(Value *x, Type to);
  Value *dim(Value *x, int64_t axis);
  Value *random(OpKind kind, Type type, int64_t seed, int64_t stream, Value *like = nullptr);

private:
  Region *region_ = nullptr;
  Region::iterator pos_;
  SourceLoc loc_;
};

} // namespace kiln::ir
