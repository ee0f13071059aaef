#include "ir/Builder.h"

#include "ir/ShapeInference.h"
#include "ir/Support.h"

namespace kiln::ir {

Operation *Builder::insert(std::unique_ptr<Operation> op) {
  KILN_ASSERT(region_, "builder has no insertion point");
  return region_->insert(pos_, std::move(op));
}

Operation *Builder::create(OpKind kind, std::vector<Value *> operands,
                           std::vector<Type> resultTypes,
                           std::vector<NamedAttribute> attrs, unsigned numRegions) {
  return insert(Operation::create(kind, std::move(operands), std::move(resultTypes),
                                  std::move(attrs), numRegions, loc_));
}

Operation *Builder::component(std::string symName, std::string typeName,
                              std::vector<NamedAttribute> config) {
  std::vector<NamedAttribute> attrs{{"sym_name", Attribute::symbol(std::move(symName))},
                                    {"type_name", Attribute::string(std::move(typeName))}};
  for (auto &c : config)
    attrs.push_back(std::move(c));
  return create(OpKind::Component, {}, {}, std::move(attrs));
}

Operation *Builder::func(std::string symName,
                         const std::vector<std::pair<std::string, Type>> &params,
                         const std::vector<Type> &resultTypes) {
  Attribute::Array results;
  for (const Type &t : resultTypes)
    results.push_back(Attribute::type(t));
  Operation *f = create(OpKind::Func, {}, {},
                        {{"sym_name", Attribute::symbol(std::move(symName))},
                         {"result_types", Attribute::array(std::move(results))}},
                        1);
  for (const auto &[name, type] : params)
    f->region(0).addArgument(type, name);
  return f;
}

Operation *Builder::ret(std::vector<Value *> values) {
  return create(OpKind::Return, std::move(values), {});
}

Operation *Builder::yield(std::vector<Value *> values) {
  return create(OpKind::Yield, std::move(values), {});
}

Operation *Builder::call(std::string callee, std::vector<Value *> args,
                         std::vector<Type> resultTypes,
                         std::vector<NamedAttribute> kwargs) {
  std::vector<NamedAttribute> attrs{{"callee", Attribute::symbol(std::move(callee))}};
  for (auto &k : kwargs)
    attrs.push_back(std::move(k));
  return create(OpKind::Call, std::move(args), std::move(resultTypes), std::move(attrs));
}

Value *Builder::componentRef(std::string component, std::string typeName) {
  return create(OpKind::ComponentRef, {}, {Type::component(std::move(typeName))},
                {{"component", Attribute::symbol(std::move(component))}})
      ->result();
}

Value *Builder::stateLoad(Value *handle, std::string field, Type type) {
  return create(OpKind::StateLoad, {handle}, {std::move(type)},
                {{"field", Attribute::string(std::move(field))}})
      ->result();
}

Operation *Builder::stateStore(Value *handle, std::string field, Value *value) {
  return create(OpKind::StateStore, {handle, value}, {},
                {{"field", Attribute::string(std::move(field))}});
}

Operation *Builder::seq(std::vector<Type> resultTypes) {
  return create(OpKind::Seq, {}, std::move(resultTypes), {}, 1);
}

Operation *Builder::repeat(int64_t count, std::vector<Type> resultTypes) {
  return create(OpKind::Repeat, {}, std::move(resultTypes),
                {{"count", Attribute::integer(count)}}, 1);
}

Operation *Builder::bufferRepeat(int64_t count, Type elemType) {
  return create(OpKind::BufferRepeat, {}, {stackType(elemType, count)},
                {{"count", Attribute::integer(count)}}, 1);
}

Operation *Builder::loop() { return create(OpKind::Loop, {}, {}, {}, 1); }

Operation *Builder::whileLoop() { return create(OpKind::While, {}, {}, {}, 2); }

Operation *Builder::switchOp(Value *selector, std::vector<int64_t> cases,
                             std::vector<Type> resultTypes) {
  auto numRegions = static_cast<unsigned>(cases.size() + 1);
  return create(OpKind::Switch, {selector}, std::move(resultTypes),
                {{"cases", Attribute::intArray(cases)}}, numRegions);
}

Operation *Builder::weave(int64_t nRequired, unsigned numChildren) {
  return create(OpKind::Weave, {}, {}, {{"n_required", Attribute::integer(nRequired)}},
                numChildren);
}

Value *Builder::constant(double value, Type type) {
  Attribute a = (type.isNumeric() && !isFloat(type.elem()))
                    ? Attribute::integer(static_cast<int64_t>(value))
                    : Attribute::real(value);
  return create(OpKind::Constant, {}, {std::move(type)}, {{"value", a}})->result();
}

Value *Builder::constant(const std::vector<double> &values, Type type) {
  Attribute::Array elems;
  bool fp = isFloat(type.elem());
  for (double v : values)
    elems.push_back(fp ? Attribute::real(v) : Attribute::integer(static_cast<int64_t>(v)));
  return create(OpKind::Constant, {}, {std::move(type)},
                {{"value", Attribute::array(std::move(elems))}})
      ->result();
}

Value *Builder::unary(OpKind kind, Value *x) {
  return create(kind, {x}, {x->type()})->result();
}

static bool isComparison(OpKind k) {
  return k == OpKind::Eq || k == OpKind::Ne || k == OpKind::Lt || k == OpKind::Le ||
         k == OpKind::Gt || k == OpKind::Ge;
}

Value *Builder::binary(OpKind kind, Value *a, Value *b) {
  std::string why;
  auto t = broadcastTypes(a->type(), b->type(), &why);
  KILN_ASSERT(t, why.c_str());
  Type result = isComparison(kind) ? t->withElem(ElemType::I1) : *t;
  return create(kind, {a, b}, {std::move(result)})->result();
}

Value *Builder::select(Value *cond, Value *a, Value *b) {
  std::string why;
  auto t = broadcastTypes(a->type(), b->type(), &why);
  KILN_ASSERT(t, why.c_str());
  auto c = broadcastTypes(cond->type().withElem(t->elem()), *t, &why);
  KILN_ASSERT(c, why.c_str());
  return create(OpKind::Select, {cond, a, b}, {*c})->result();
}

Value *Builder::cast(Value *x, ElemType to) {
  return create(OpKind::Cast, {x}, {x->type().withElem(to)})->result();
}

Value *Builder::reduce(OpKind kind, Value *x, std::optional<int64_t> axis) {
  std::string why;
  auto t = reduceType(x->type(), axis, kind == OpKind::ReduceArgmax, &why);
  KILN_ASSERT(t, why.c_str());
  std::vector<NamedAttribute> attrs;
  if (axis)
    attrs.push_back({"axis", Attribute::integer(*axis)});
  return create(kind, {x}, {*t}, std::move(attrs))->result();
}

Value *Builder::matmul(Value *a, Value *b, bool transposeA, bool transposeB) {
  std::string why;
  auto t = matmulType(a->type(), b->type(), transposeA, transposeB, &why);
  KILN_ASSERT(t, why.c_str());
  std::vector<NamedAttribute> attrs;
  if (transposeA)
    attrs.push_back({"transpose_a", Attribute::boolean(true)});
  if (transposeB)
    attrs.push_back({"transpose_b", Attribute::boolean(true)});
  return create(OpKind::Matmul, {a, b}, {*t}, std::move(attrs))->result();
}

Value *Builder::transpose(Value *x) {
  std::string why;
  auto t = transposeType(x->type(), &why);
  KILN_ASSERT(t, why.c_str());
  return create(OpKind::Transpose, {x}, {*t})->result();
}

Value *Builder::reshape(Value *x, Type to) {
  return create(OpKind::Reshape, {x}, {std::move(to)})->result();
}

Value *Builder::dim(Value *x, int64_t axis) {
  return create(OpKind::Dim, {x}, {Type::i64()}, {{"axis", Attribute::integer(axis)}})
      ->result();
}

Value *Builder::random(OpKind kind, Type type, int64_t seed, int64_t stream, Value *like) {
  std::vector<Value *> operands;
  if (like)
    operands.push_back(like);
  return create(kind, std::move(operands), {std::move(type)},
                {{"seed", Attribute::integer(seed)}, {"stream", Attribute::integer(stream)}})
      ->result();
}

} // namespace kiln::ir
