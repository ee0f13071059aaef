// Lowering a verified module to the VM's instruction array (see Program.h).
//
// One Lowerer walks each func body once, in module order; nested regions are
// laid out inline after the op that owns them, with forward jumps patched
// when the region's end is known. Anything the verifier let through but the
// VM cannot run is reported as an error at the op's location.
#include "runtime/vm/Program.h"

#include <map>
#include <sstream>
#include <unordered_map>

#include "ir/Printer.h"
#include "ir/Support.h"
#include "runtime/Component.h"
#include "runtime/Registry.h"
#include "runtime/vm/Sha256.h"

namespace kiln::runtime {

const char *opcodeName(Opcode op) {
  switch (op) {
  case Opcode::Jump: return "jump";
  case Opcode::Move: return "move";
  case Opcode::RepeatInit: return "repeat_init";
  case Opcode::RepeatNext: return "repeat_next";
  case Opcode::BufferInit: return "buffer_init";
  case Opcode::BufferNext: return "buffer_next";
  case Opcode::WhileCond: return "while_cond";
  case Opcode::Switch: return "switch";
  case Opcode::Weave: return "weave";
  case Opcode::WeaveEnd: return "weave_end";
  case Opcode::Call: return "call";
  case Opcode::Return: return "return";
  case Opcode::CallMethod: return "call_method";
  case Opcode::CallNative: return "call_native";
  case Opcode::ComponentRef: return "component_ref";
  case Opcode::StateLoad: return "state_load";
  case Opcode::StateStore: return "state_store";
  case Opcode::Constant: return "constant";
  case Opcode::TensorOp: return "tensor_op";
  case Opcode::Random: return "random";
  case Opcode::Fused: return "fused";
  case Opcode::FusedYield: return "fused_yield";
  case Opcode::Step: return "step";
  }
  return "?";
}

namespace {

using ir::OpKind;
using ir::Operation;
using ir::Region;

class Lowerer {
public:
  Lowerer(Program &p, const std::vector<std::unique_ptr<Component>> &comps,
          const Registry &reg, ir::DiagnosticEngine &diag)
      : p_(p), comps_(comps), reg_(reg), diag_(diag) {}

  bool run(std::string_view entry);

private:
  bool fail(const Operation &op, std::string msg) {
    diag_.error(op.loc(), std::move(msg));
    ok_ = false;
    return false;
  }
  uint32_t pc() const { return static_cast<uint32_t>(p_.code.size()); }
  uint32_t emit(const Operation &op, Instr i) {
    p_.code.push_back(i);
    p_.opOf.push_back(&op);
    return pc() - 1;
  }
  uint32_t slot(const ir::Value *v) {
    auto [it, fresh] = slotOf_.try_emplace(v, cur_->numSlots);
    if (fresh) {
      ++cur_->numSlots;
      cur_->slotTypes.push_back(v->type());
    }
    return it->second;
  }
  uint32_t slotList(const std::vector<ir::Value *> &vs) {
    auto off = static_cast<uint32_t>(p_.slotPool.size());
    for (const ir::Value *v : vs)
      p_.slotPool.push_back(slot(v));
    return off;
  }
  Instr make(Opcode opc, const Operation &op, const std::vector<ir::Value *> &in,
             const std::vector<ir::Value *> &out) {
    Instr i;
    i.opcode = opc;
    i.kind = op.kind();
    i.nIn = static_cast<uint16_t>(in.size());
    i.nOut = static_cast<uint16_t>(out.size());
    i.in = slotList(in);
    i.out = slotList(out);
    i.types = static_cast<uint32_t>(p_.typePool.size());
    for (const ir::Value *v : out)
      p_.typePool.push_back(v->type());
    return i;
  }

  /// Lowers every op of `r` except its terminator, which it returns (or
  /// nullptr when the region has none).
  const Operation *lowerBody(const Region &r);
  void lowerOp(const Operation &op);
  void lowerCall(const Operation &op);
  void lowerMath(const Operation &op);
  void lowerFused(const Operation &op);
  std::vector<ir::Value *> yieldValues(const Operation *term) {
    return term && term->is(OpKind::Yield) ? term->operands() : std::vector<ir::Value *>{};
  }
  bool checkYield(const Operation &owner, const Operation *term, size_t n) {
    size_t got = yieldValues(term).size();
    if (got != n)
      return fail(owner, std::string(owner.name()) + " region yields " + std::to_string(got) +
                             " values, expected " + std::to_string(n));
    return true;
  }
  uint32_t fieldId(std::string_view name);
  /// Running `r` once surely begins a program step (docs/vm.md, "Steps"):
  /// a program call, a `step`, or control flow that surely runs one. LOOP
  /// and WHILE bodies must, or they could spin without a step forever (a
  /// WEAVE child doing so would never end its turn).
  bool mustStep(const Region &r);
  /// The program steps a call begins (Instr::steps).
  uint32_t stepsOfCall(const Operation &call) const;
  bool mustStep(const Operation &op);
  std::vector<const Operation *> stepFuncsInProgress_;
  std::optional<Tensor> decodeConstant(const Operation &op);

  Program &p_;
  const std::vector<std::unique_ptr<Component>> &comps_;
  const Registry &reg_;
  ir::DiagnosticEngine &diag_;
  bool ok_ = true;
  FuncInfo *cur_ = nullptr;
  std::unordered_map<const ir::Value *, uint32_t> slotOf_;
  std::map<std::string, uint32_t, std::less<>> funcByName_;
  std::map<std::string, uint32_t, std::less<>> compByName_;
  std::map<std::string, uint32_t, std::less<>> nativeByName_;
  std::map<std::string, uint32_t, std::less<>> fieldByName_;
  std::map<std::pair<int64_t, int64_t>, uint32_t> streamByKey_;
  std::vector<std::pair<uint32_t, uint32_t>> callPatches_; // (pc, func)
};

uint32_t Lowerer::stepsOfCall(const Operation &call) const {
  // A call the program makes is one program step (a bulk read N); the calls
  // inside a kernel, or copied from one by inline-kernels (`origin`), are
  // part of their caller's step. A call of a plain func enters a
  // sub-program: its own calls are the steps.
  if (cur_->op->boolAttr("kernel") || call.attr("origin"))
    return 0;
  if (auto f = funcByName_.find(call.symbolAttr("callee"));
      f != funcByName_.end() && !p_.funcs[f->second].op->boolAttr("kernel"))
    return 0;
  return static_cast<uint32_t>(call.intAttr("bulk_steps", 1));
}

bool Lowerer::mustStep(const Region &r) {
  for (const auto &op : r.ops())
    if (mustStep(*op))
      return true;
  return false;
}

bool Lowerer::mustStep(const Operation &op) {
  switch (op.kind()) {
  case OpKind::Step:
    return true;
  case OpKind::Call:
  case OpKind::KernelCall: {
    if (stepsOfCall(op))
      return true;
    auto f = funcByName_.find(op.symbolAttr("callee"));
    if (cur_->op->boolAttr("kernel") || op.attr("origin") || f == funcByName_.end())
      return false;
    const Operation *func = p_.funcs[f->second].op;
    // A plain func: its body's steps (a recursive one is taken to step).
    if (std::find(stepFuncsInProgress_.begin(), stepFuncsInProgress_.end(), func) !=
        stepFuncsInProgress_.end())
      return true;
    stepFuncsInProgress_.push_back(func);
    bool steps = func->numRegions() && mustStep(func->region(0));
    stepFuncsInProgress_.pop_back();
    return steps;
  }
  case OpKind::Seq:
  case OpKind::Loop:
    return mustStep(op.region(0));
  case OpKind::Repeat:
  case OpKind::BufferRepeat:
    return op.intAttr("count") > 0 && mustStep(op.region(0));
  case OpKind::While:
    return mustStep(op.region(0));
  case OpKind::Switch:
    for (unsigned i = 0; i < op.numRegions(); ++i)
      if (!mustStep(op.region(i)))
        return false;
    return op.numRegions() > 0;
  case OpKind::Weave: {
    // The first child's first turn comes before any finish is counted; with
    // every child required, each runs.
    int64_t n = op.intAttr("n_required");
    if (n < 1 || op.numRegions() == 0)
      return false;
    if (mustStep(op.region(0)))
      return true;
    if (n < int64_t(op.numRegions()))
      return false;
    for (unsigned i = 1; i < op.numRegions(); ++i)
      if (mustStep(op.region(i)))
        return true;
    return false;
  }
  default:
    return false;
  }
}

uint32_t Lowerer::fieldId(std::string_view name) {
  auto it = fieldByName_.find(name);
  if (it != fieldByName_.end())
    return it->second;
  auto id = static_cast<uint32_t>(p_.fieldNames.size());
  p_.fieldNames.emplace_back(name);
  fieldByName_.emplace(std::string(name), id);
  for (const auto &c : comps_)
    p_.fieldIndex.push_back(c->fieldIndex(name));
  return id;
}

bool Lowerer::run(std::string_view entry) {
  const ir::Module &m = *p_.module;
  for (Operation *c : m.components()) {
    auto idx = static_cast<uint32_t>(p_.components.size());
    ComponentInfo ci;
    ci.name = std::string(c->symbolAttr("sym_name"));
    ci.typeName = std::string(c->stringAttr("type_name"));
    ci.op = c;
    compByName_.emplace(ci.name, idx);
    p_.components.push_back(std::move(ci));
  }
  KILN_ASSERT(p_.components.size() == comps_.size(), "one instance per component");
  // Funcs with a body get an index; declarations are natives.
  std::vector<Operation *> bodies;
  for (Operation *f : m.funcs()) {
    if (ir::isFuncDeclaration(*f))
      continue;
    FuncInfo fi;
    fi.name = std::string(f->symbolAttr("sym_name"));
    fi.op = f;
    funcByName_.emplace(fi.name, static_cast<uint32_t>(p_.funcs.size()));
    p_.funcs.push_back(std::move(fi));
    bodies.push_back(f);
  }
  auto e = funcByName_.find(entry);
  if (e == funcByName_.end()) {
    diag_.error(m.op().loc(), "no function @" + std::string(entry) + " to run");
    return false;
  }
  p_.entryFunc = e->second;
  for (size_t fi = 0; fi < bodies.size(); ++fi) {
    cur_ = &p_.funcs[fi];
    slotOf_.clear();
    const Region &body = bodies[fi]->region(0);
    cur_->entry = pc();
    for (ir::Value *a : body.arguments())
      cur_->paramSlots.push_back(slot(a));
    const Operation *term = lowerBody(body);
    std::vector<ir::Value *> rets;
    if (term && term->is(OpKind::Return))
      rets = term->operands();
    else if (term)
      fail(*term, "a func body must end with return");
    size_t nres = ir::funcResultTypes(*bodies[fi]).size();
    if (rets.size() != nres)
      fail(term ? *term : *bodies[fi], "func @" + cur_->name + " returns " +
                                           std::to_string(rets.size()) + " values, expected " +
                                           std::to_string(nres));
    emit(term ? *term : *bodies[fi], make(Opcode::Return, term ? *term : *bodies[fi], rets, {}));
    cur_->end = pc();
  }
  if (p_.funcs[p_.entryFunc].paramSlots.size() != 0) {
    diag_.error(p_.funcs[p_.entryFunc].op->loc(),
                "entry function @" + std::string(entry) + " must take no parameters");
    return false;
  }
  return ok_;
}

const Operation *Lowerer::lowerBody(const Region &r) {
  const Operation *term = r.terminator();
  for (const auto &op : r.ops()) {
    if (op.get() == term)
      break;
    lowerOp(*op);
  }
  return term;
}

void Lowerer::lowerOp(const Operation &op) {
  switch (op.kind()) {
  case OpKind::Module:
  case OpKind::Component:
  case OpKind::Func:
    fail(op, std::string(op.name()) + " may only appear at the top of a module");
    return;
  case OpKind::Return:
  case OpKind::Yield:
    fail(op, std::string(op.name()) + " must be the last op of its region");
    return;
  case OpKind::Seq: {
    const Operation *t = lowerBody(op.region(0));
    if (!checkYield(op, t, op.numResults()))
      return;
    if (op.numResults()) {
      Instr i = make(Opcode::Move, t ? *t : op, yieldValues(t), op.results());
      i.a = pc() + 1;
      emit(t ? *t : op, i);
    }
    return;
  }
  case OpKind::Repeat: {
    int64_t n = op.intAttr("count", -1);
    if (n < 0)
      fail(op, "repeat count must be >= 0");
    if (n == 0 && op.numResults())
      fail(op, "repeat 0 times has no value to yield");
    uint32_t ctr = cur_->numCounters++;
    Instr init = make(Opcode::RepeatInit, op, {}, {});
    init.b = ctr;
    init.imm = n;
    uint32_t initPc = emit(op, init);
    uint32_t body = pc();
    const Operation *t = lowerBody(op.region(0));
    if (!checkYield(op, t, op.numResults()))
      return;
    Instr next = make(Opcode::RepeatNext, t ? *t : op, yieldValues(t), op.results());
    next.b = ctr;
    next.imm = n;
    next.c = body;
    uint32_t nextPc = emit(t ? *t : op, next);
    p_.code[initPc].a = p_.code[nextPc].a = pc();
    return;
  }
  case OpKind::BufferRepeat: {
    int64_t n = op.intAttr("count", -1);
    if (n < 0 || n > (int64_t(1) << 40)) {
      fail(op, "buffer_repeat count must be between 0 and 2^40");
      return;
    }
    // One buffer (with its counter) per result: buffer_init/buffer_next
    // pairs chained so that each iteration stacks every yielded value; the
    // last buffer_next loops back to the body or leaves.
    unsigned k = op.numResults();
    if (k == 0) {
      fail(op, "buffer_repeat must have at least one result");
      return;
    }
    for (const ir::Value *r : op.results())
      if (!r->type().isTensor()) {
        fail(op, "buffer_repeat results must be tensors");
        return;
      }
    std::vector<uint32_t> ctrs, bufs, initPcs, nextPcs;
    for (unsigned j = 0; j < k; ++j) {
      ctrs.push_back(cur_->numCounters++);
      bufs.push_back(cur_->numBuffers++);
      cur_->bufferInstr.push_back(0);
      Instr init = make(Opcode::BufferInit, op, {}, {op.result(j)});
      init.b = ctrs[j];
      init.c = bufs[j];
      init.imm = n;
      initPcs.push_back(emit(op, init));
    }
    uint32_t body = pc();
    const Operation *t = lowerBody(op.region(0));
    if (!checkYield(op, t, k))
      return;
    std::vector<ir::Value *> rows = yieldValues(t);
    for (unsigned j = 0; j < k; ++j) {
      Instr next = make(Opcode::BufferNext, *t, {rows[j]}, {op.result(j)});
      next.b = ctrs[j];
      next.c = bufs[j];
      next.d = j + 1 < k ? pc() + 1 : body;
      next.imm = n;
      nextPcs.push_back(emit(*t, next));
      cur_->bufferInstr[bufs[j]] = nextPcs[j];
    }
    uint32_t exit = pc();
    for (unsigned j = 0; j < k; ++j) {
      p_.code[initPcs[j]].a = j + 1 < k ? initPcs[j] + 1 : exit;
      p_.code[nextPcs[j]].a = j + 1 < k ? nextPcs[j] + 1 : exit;
    }
    return;
  }
  case OpKind::Loop: {
    if (!mustStep(op.region(0))) {
      fail(op, "this loop's body may run without a program step (a CALL or FILT): the loop "
               "could spin forever without one (and starve the WEAVE it is in)");
      return;
    }
    uint32_t body = pc();
    const Operation *t = lowerBody(op.region(0));
    Instr j = make(Opcode::Jump, t ? *t : op, {}, {});
    j.a = body;
    emit(t ? *t : op, j);
    return;
  }
  case OpKind::While: {
    if (!mustStep(op.region(0)) && !mustStep(op.region(1))) {
      fail(op, "an iteration of this while may make no program step (a CALL or FILT) in its "
               "condition or its body: it could run forever without one");
      return;
    }
    uint32_t cond = pc();
    const Operation *ct = lowerBody(op.region(0));
    auto cv = yieldValues(ct);
    if (cv.size() != 1 || !cv[0]->type().isScalar()) {
      fail(op, "while condition region must yield one scalar");
      return;
    }
    uint32_t condPc = emit(*ct, make(Opcode::WhileCond, *ct, cv, {}));
    const Operation *bt = lowerBody(op.region(1));
    Instr j = make(Opcode::Jump, bt ? *bt : op, {}, {});
    j.a = cond;
    emit(bt ? *bt : op, j);
    p_.code[condPc].a = pc();
    return;
  }
  case OpKind::Switch: {
    const ir::Attribute *cases = op.attr("cases");
    if (!cases || !cases->isIntArray() || op.numRegions() != cases->getArray().size() + 1 ||
        op.numOperands() != 1 || !op.operand(0)->type().isScalar()) {
      fail(op, "switch needs one scalar selector, an int array `cases` and one region per "
               "case plus a default region");
      return;
    }
    Instr sw = make(Opcode::Switch, op, op.operands(), {});
    sw.a = static_cast<uint32_t>(p_.casePool.size());
    for (int64_t c : cases->getIntArray())
      p_.casePool.push_back(c);
    sw.b = static_cast<uint32_t>(cases->getArray().size());
    sw.c = static_cast<uint32_t>(p_.slotPool.size()); // jump targets
    p_.slotPool.resize(p_.slotPool.size() + op.numRegions());
    uint32_t swPc = emit(op, sw);
    std::vector<uint32_t> exits;
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      p_.slotPool[p_.code[swPc].c + r] = pc();
      const Operation *t = lowerBody(op.region(r));
      if (!checkYield(op, t, op.numResults()))
        return;
      exits.push_back(emit(t ? *t : op, make(Opcode::Move, t ? *t : op, yieldValues(t),
                                              op.results())));
    }
    for (uint32_t x : exits)
      p_.code[x].a = pc();
    return;
  }
  case OpKind::Weave: {
    int64_t req = op.intAttr("n_required", -1);
    if (req < 0 || req > int64_t(op.numRegions())) {
      fail(op, "weave n_required must be between 0 and the number of children (" +
                   std::to_string(op.numRegions()) + ")");
      return;
    }
    Instr w = make(Opcode::Weave, op, {}, {});
    w.b = op.numRegions();
    w.c = static_cast<uint32_t>(p_.slotPool.size());
    w.imm = req;
    p_.slotPool.resize(p_.slotPool.size() + op.numRegions());
    uint32_t wPc = emit(op, w);
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      p_.slotPool[p_.code[wPc].c + r] = pc();
      const Operation *t = lowerBody(op.region(r));
      emit(t ? *t : op, make(Opcode::WeaveEnd, t ? *t : op, {}, {}));
    }
    p_.code[wPc].a = pc();
    return;
  }
  case OpKind::Call:
  case OpKind::KernelCall:
    lowerCall(op);
    return;
  case OpKind::Step: {
    Instr i = make(Opcode::Step, op, {}, {});
    i.steps = 1;
    emit(op, i);
    return;
  }
  case OpKind::ComponentRef: {
    auto it = compByName_.find(op.symbolAttr("component"));
    if (it == compByName_.end() || op.numResults() != 1) {
      fail(op, "unknown component @" + std::string(op.symbolAttr("component")));
      return;
    }
    Instr i = make(Opcode::ComponentRef, op, {}, op.results());
    i.a = it->second;
    emit(op, i);
    return;
  }
  case OpKind::StateLoad:
  case OpKind::StateStore: {
    bool load = op.is(OpKind::StateLoad);
    if (op.numOperands() != (load ? 1u : 2u) || op.numResults() != (load ? 1u : 0u) ||
        !op.operand(0)->type().isComponent() || op.stringAttr("field").empty()) {
      fail(op, std::string(op.name()) + " needs a component handle and a field name");
      return;
    }
    Instr i = make(load ? Opcode::StateLoad : Opcode::StateStore, op, op.operands(),
                   op.results());
    i.a = fieldId(op.stringAttr("field"));
    emit(op, i);
    return;
  }
  case OpKind::Fused:
    lowerFused(op);
    return;
  default:
    if (op.has(ir::kTensorMath)) {
      lowerMath(op);
      return;
    }
    fail(op, "the VM cannot run op '" + std::string(op.name()) + "'");
  }
}

void Lowerer::lowerCall(const Operation &op) {
  std::string_view callee = op.symbolAttr("callee");
  std::vector<ir::NamedAttribute> kw;
  for (const auto &a : op.attrs())
    if (a.name != "callee" && a.name != "origin" && a.name != "bulk_steps")
      kw.push_back(a);
  const uint32_t steps = stepsOfCall(op);
  auto emitCall = [&](Instr i) {
    i.steps = steps;
    emit(op, i);
  };
  auto kwIndex = [&] {
    p_.kwargs.push_back(kw);
    return static_cast<uint32_t>(p_.kwargs.size() - 1);
  };
  auto noHandles = [&] {
    for (const ir::Value *v : op.operands())
      if (v->type().isComponent())
        return fail(op, "a component handle cannot be passed to native @" +
                            std::string(callee));
    return true;
  };
  if (auto f = funcByName_.find(callee); f != funcByName_.end()) {
    const FuncInfo &fi = p_.funcs[f->second];
    const Region &body = fi.op->region(0);
    if (body.numArguments() != op.numOperands() ||
        ir::funcResultTypes(*fi.op).size() != op.numResults()) {
      fail(op, "call to @" + std::string(callee) + " has the wrong number of arguments or results");
      return;
    }
    Instr i = make(Opcode::Call, op, op.operands(), op.results());
    i.a = f->second;
    emitCall(i);
    return;
  }
  if (op.is(OpKind::KernelCall)) {
    fail(op, "kernel_call to unknown kernel @" + std::string(callee));
    return;
  }
  auto dot = callee.find('.');
  if (dot != std::string_view::npos) {
    if (auto c = compByName_.find(callee.substr(0, dot)); c != compByName_.end()) {
      std::string_view method = callee.substr(dot + 1);
      int mi = comps_[c->second]->methodIndex(method);
      if (mi < 0) {
        fail(op, "component @" + c->first + " (" + std::string(comps_[c->second]->typeName()) +
                     ") has no native method '" + std::string(method) + "'");
        return;
      }
      if (!noHandles())
        return;
      Instr i = make(Opcode::CallMethod, op, op.operands(), op.results());
      i.a = c->second;
      i.b = static_cast<uint32_t>(mi);
      i.c = kwIndex();
      emitCall(i);
      return;
    }
  }
  auto n = nativeByName_.find(callee);
  if (n == nativeByName_.end()) {
    const NativeFunction *fn = reg_.lookupNative(callee);
    if (!fn) {
      fail(op, Registry::unknownFunctionMessage(callee));
      return;
    }
    n = nativeByName_.emplace(std::string(callee), static_cast<uint32_t>(p_.natives.size())).first;
    p_.natives.push_back(fn);
    p_.nativeNames.emplace_back(callee);
  }
  if (!noHandles())
    return;
  Instr i = make(Opcode::CallNative, op, op.operands(), op.results());
  i.a = n->second;
  i.c = kwIndex();
  emitCall(i);
}

std::optional<Tensor> Lowerer::decodeConstant(const Operation &op) {
  const ir::Attribute *v = op.attr("value");
  if (op.numResults() != 1 || !v || !op.result()->type().isNumeric() ||
      !op.result()->type().hasStaticShape()) {
    fail(op, "constant needs a value and a static numeric result type");
    return std::nullopt;
  }
  const ir::Type &t = op.result()->type();
  if (v->isNumber() || v->isBool()) {
    double x = v->isBool() ? (v->getBool() ? 1.0 : 0.0) : v->getNumber();
    if (t.isScalar() && t.elem() == ir::ElemType::I64 && v->isInt())
      return Tensor::scalarI64(v->getInt());
    return t.isScalar() ? Tensor::scalar(t.elem(), x) : Tensor::full(t.elem(), t.dims(), x);
  }
  if (v->isArray()) {
    std::vector<double> xs;
    for (const ir::Attribute &e : v->getArray()) {
      if (!e.isNumber() && !e.isBool()) {
        fail(op, "constant elements must be numbers");
        return std::nullopt;
      }
      xs.push_back(e.isBool() ? (e.getBool() ? 1.0 : 0.0) : e.getNumber());
    }
    if (int64_t(xs.size()) != t.numElements()) {
      fail(op, "constant has " + std::to_string(xs.size()) + " elements, its type " + t.str() +
                   " needs " + std::to_string(t.numElements()));
      return std::nullopt;
    }
    return Tensor::fromDoubles(t.elem(), t.dims(), xs);
  }
  fail(op, "constant value must be a number or an array of numbers");
  return std::nullopt;
}

void Lowerer::lowerMath(const Operation &op) {
  if (op.numResults() != 1 || !op.result()->type().isNumeric()) {
    fail(op, std::string(op.name()) + " must have one numeric result");
    return;
  }
  for (const ir::Value *v : op.operands())
    if (!v->type().isNumeric()) {
      fail(op, std::string(op.name()) + " operands must be numeric");
      return;
    }
  if (op.is(OpKind::Constant)) {
    auto t = decodeConstant(op);
    if (!t)
      return;
    Instr i = make(Opcode::Constant, op, {}, op.results());
    i.a = static_cast<uint32_t>(p_.constants.size());
    p_.constants.push_back(std::move(*t));
    emit(op, i);
    return;
  }
  KernelAttrs ka;
  ka.resultType = op.result()->type();
  if (const ir::Attribute *ax = op.attr("axis"); ax && ax->isInt()) {
    ka.hasAxis = true;
    ka.axis = ax->getInt();
  }
  ka.transposeA = op.boolAttr("transpose_a");
  ka.transposeB = op.boolAttr("transpose_b");
  ka.start = op.intAttr("start");
  ka.size = op.intAttr("size");
  if (op.has(ir::kRandom)) {
    auto key = std::make_pair(op.intAttr("seed"), op.intAttr("stream"));
    auto [it, fresh] = streamByKey_.try_emplace(key, static_cast<uint32_t>(p_.randomStreams.size()));
    if (fresh)
      p_.randomStreams.push_back({key.first, key.second});
    Instr i = make(Opcode::Random, op, op.operands(), op.results());
    i.a = it->second;
    i.b = static_cast<uint32_t>(p_.attrs.size());
    p_.attrs.push_back(std::move(ka));
    emit(op, i);
    return;
  }
  Instr i = make(Opcode::TensorOp, op, op.operands(), op.results());
  i.a = static_cast<uint32_t>(p_.attrs.size());
  p_.attrs.push_back(std::move(ka));
  emit(op, i);
}

void Lowerer::lowerFused(const Operation &op) {
  const Region &r = op.region(0);
  if (r.numArguments() != op.numOperands()) {
    fail(op, "fused region must have one argument per operand");
    return;
  }
  Instr f = make(Opcode::Fused, op, op.operands(), op.results());
  f.b = slotList(r.arguments());
  uint32_t fPc = emit(op, f);
  const Operation *term = r.terminator();
  for (const auto &inner : r.ops()) {
    if (inner.get() == term)
      break;
    if (!inner->has(ir::kTensorMath)) {
      fail(*inner, "only tensor math may appear inside fused (found '" +
                       std::string(inner->name()) + "')");
      return;
    }
    lowerMath(*inner);
  }
  if (!checkYield(op, term, op.numResults()))
    return;
  Instr y = make(Opcode::FusedYield, *term, yieldValues(term), {});
  y.c = fPc;
  p_.code[fPc].a = emit(*term, y);
}

} // namespace

std::unique_ptr<Program> Program::lower(std::shared_ptr<const ir::Module> module,
                                        std::string_view entry,
                                        const std::vector<std::unique_ptr<Component>> &comps,
                                        const Registry &registry, ir::DiagnosticEngine &diag) {
  auto p = std::make_unique<Program>();
  p->module = std::move(module);
  Lowerer l(*p, comps, registry, diag);
  if (!l.run(entry))
    return nullptr;
  // Superinstructions: a native or method call runs the jump or
  // repeat_next right after it (LOOP(CALL(..)), REPEAT(n, CALL(..)) and
  // any body that ends in a call). The followed instruction stays in place
  // for the other paths that reach it.
  for (size_t pc = 0; pc + 1 < p->code.size(); ++pc) {
    Instr &I = p->code[pc];
    Opcode next = p->code[pc + 1].opcode;
    I.thenNext = (I.opcode == Opcode::CallMethod || I.opcode == Opcode::CallNative) &&
                 (next == Opcode::Jump || next == Opcode::RepeatNext);
  }
  for (size_t pc = 0; pc < p->code.size(); ++pc) {
    Instr &I = p->code[pc];
    if (I.opcode == Opcode::CallMethod)
      I.direct = comps[I.a]->directMethod(static_cast<int>(I.b));
    else if (I.opcode == Opcode::CallNative)
      I.direct = p->natives[I.a]->direct;
    if (I.direct && I.thenNext) {
      const Instr &N = p->code[pc + 1];
      I.selfLoop = (N.opcode == Opcode::Jump && N.a == pc) ||
                   (N.opcode == Opcode::RepeatNext && N.c == pc);
    }
  }
  p->resultChecks.reserve(p->typePool.size());
  for (const ir::Type &t : p->typePool)
    p->resultChecks.emplace_back(t);
  return p;
}

ResultCheck::ResultCheck(const ir::Type &t) {
  if (!t.isNumeric() || t.rank() > int64_t(Shape::kInline))
    return;
  rank = static_cast<int8_t>(t.rank());
  elem = t.elem();
  for (int64_t d = 0; d < t.rank(); ++d)
    dims[d] = t.dim(d);
}

std::string Program::hash() const {
  Sha256 h;
  auto put = [&](const auto &v) { h.update(&v, sizeof(v)); };
  auto putStr = [&](const std::string &s) {
    put(s.size());
    h.update(s);
  };
  put(code.size());
  for (const Instr &i : code) {
    put(i.opcode);
    put(i.kind);
    put(i.nIn);
    put(i.nOut);
    put(i.in);
    put(i.out);
    put(i.a);
    put(i.b);
    put(i.c);
    put(i.d);
    put(i.types);
    put(i.steps);
    put(i.thenNext);
    put(i.imm);
  }
  put(slotPool.size());
  h.update(slotPool.data(), slotPool.size() * sizeof(uint32_t));
  put(casePool.size());
  h.update(casePool.data(), casePool.size() * sizeof(int64_t));
  for (const ir::Type &t : typePool)
    putStr(t.str());
  for (const FuncInfo &f : funcs) {
    putStr(f.name);
    put(f.entry);
    put(f.numSlots);
    put(f.numCounters);
    put(f.numBuffers);
  }
  put(entryFunc);
  for (const ComponentInfo &c : components)
    putStr(c.name);
  for (const std::string &n : nativeNames)
    putStr(n);
  for (const std::string &n : fieldNames)
    putStr(n);
  for (const RandomStream &r : randomStreams) {
    put(r.seed);
    put(r.stream);
  }
  return h.hexDigest();
}

std::string Program::dump() const {
  std::ostringstream os;
  for (size_t f = 0; f < funcs.size(); ++f) {
    const FuncInfo &fi = funcs[f];
    os << "func @" << fi.name << " entry=" << fi.entry << " slots=" << fi.numSlots
       << " counters=" << fi.numCounters << " buffers=" << fi.numBuffers << "\n";
  }
  for (size_t pc = 0; pc < code.size(); ++pc) {
    const Instr &i = code[pc];
    os << pc << ": " << opcodeName(i.opcode) << " (" << ir::mnemonic(i.kind) << ")";
    if (i.nIn) {
      os << " in=[";
      for (unsigned k = 0; k < i.nIn; ++k)
        os << (k ? "," : "") << slotPool[i.in + k];
      os << "]";
    }
    if (i.nOut) {
      os << " out=[";
      for (unsigned k = 0; k < i.nOut; ++k)
        os << (k ? "," : "") << slotPool[i.out + k];
      os << "]";
    }
    os << " a=" << i.a << " b=" << i.b << " c=" << i.c << " d=" << i.d << " imm=" << i.imm;
    if (i.steps)
      os << " steps=" << i.steps;
    if (i.thenNext)
      os << " +next";
    os << "\n";
  }
  return os.str();
}

} // namespace kiln::runtime
