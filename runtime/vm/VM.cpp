// The VM's stepping loop over an explicit tree of fibers: program steps,
// WEAVE turns, instructions (see runtime/VM.h and docs/vm.md).
#include "runtime/VM.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "ir/Support.h"
#include "runtime/Kernels.h"
#include "runtime/Registry.h"

namespace kiln::runtime {

namespace {

/// Splits `Dataset.randn` into ("Dataset", "randn"); an explicit
/// `constructor` attribute wins over the dotted form.
void componentTypeOf(const ir::Operation &op, std::string &type, std::string &ctor) {
  type = std::string(op.stringAttr("type_name"));
  ctor = std::string(op.stringAttr("constructor"));
  if (ctor.empty()) {
    auto dot = type.find('.');
    if (dot != std::string::npos) {
      ctor = type.substr(dot + 1);
      type.resize(dot);
    }
  }
}

std::vector<ir::NamedAttribute> componentConfig(const ir::Operation &op) {
  std::vector<ir::NamedAttribute> cfg;
  for (const auto &a : op.attrs())
    if (a.name != "sym_name" && a.name != "type_name" && a.name != "constructor")
      cfg.push_back(a);
  return cfg;
}

std::string shapeStr(const Tensor &t) { return t.type().str(); }

} // namespace

std::unique_ptr<VM> VM::create(std::shared_ptr<const ir::Module> module,
                               const Registry &registry, ir::DiagnosticEngine &diag,
                               std::string_view entry, DataFiles data) {
  std::unique_ptr<VM> vm(new VM());
  vm->registry_ = &registry;
  for (ir::Operation *c : module->components()) {
    std::string type, ctor, err;
    componentTypeOf(*c, type, ctor);
    auto inst = registry.createComponent(type, ctor, componentConfig(*c), err, data);
    if (!inst) {
      diag.error(c->loc(), "cannot create component @" + std::string(c->symbolAttr("sym_name")) +
                               ": " + err);
      return nullptr;
    }
    vm->components_.push_back(std::move(inst));
  }
  auto prog = Program::lower(std::move(module), entry, vm->components_, registry, diag);
  if (!prog)
    return nullptr;
  vm->program_ = std::move(prog);
  vm->rng_.assign(vm->program_->randomStreams.size(), 0);
  vm->startEntry();
  return vm;
}

void VM::startEntry() {
  root_ = Fiber();
  status_ = Status::Running;
  steps_ = 0;
  instructions_ = 0;
  pushFrame(root_, program_->entryFunc);
}

Component *VM::component(std::string_view name) {
  for (size_t i = 0; i < components_.size(); ++i)
    if (program_->components[i].name == name)
      return components_[i].get();
  return nullptr;
}

bool VM::fail(uint32_t pc, std::string message) {
  error_ = ir::Diagnostic{ir::Severity::Error, program_->opOf[pc]->loc(), std::move(message)};
  status_ = Status::Error;
  return false;
}

bool VM::pushFrame(Fiber &f, uint32_t func) {
  if (f.depth >= kMaxCallDepth)
    return false;
  const FuncInfo &fi = program_->funcs[func];
  if (f.depth == f.frames.size())
    f.frames.emplace_back();
  Frame &fr = f.frames[f.depth++];
  fr.func = func;
  fr.pc = fi.entry;
  fr.slots.assign(fi.numSlots, Slot{});
  fr.counters.assign(fi.numCounters, 0);
  fr.buffers.assign(fi.numBuffers, Tensor());
  return true;
}

void VM::popFrame(Fiber &f) {
  Frame &fr = f.frames[--f.depth];
  // Keep the vectors' capacity for the next call; drop the values.
  fr.slots.clear();
  fr.buffers.clear();
}

bool VM::checkResultFully(uint32_t pc, unsigned k, const Tensor &t) {
  const Instr &I = program_->code[pc];
  const ir::Type &want = program_->typePool[I.types + k];
  bool ok = t.defined() && want.isNumeric() && t.dtype() == want.elem() &&
            t.rank() == want.rank();
  for (int64_t d = 0; ok && d < want.rank(); ++d)
    ok = want.dim(d) == ir::kDynamic || want.dim(d) == t.dim(d);
  if (ok)
    return true;
  return fail(pc, std::string(ir::mnemonic(I.kind)) + " result " + std::to_string(k) +
                      (t.defined() ? " is " + shapeStr(t) : std::string(" is missing")) +
                      ", expected " + want.str());
}

bool VM::storeResults(Frame &fr, uint32_t pc) {
  // Check every result before storing any, so a failed call leaves the
  // frame as it was.
  const Instr &I = program_->code[pc];
  for (unsigned k = 0; k < I.nOut; ++k)
    if (!checkResult(pc, k, results_[k]))
      return false;
  const uint32_t *out = program_->outs(I);
  for (unsigned k = 0; k < I.nOut; ++k)
    fr.slots[out[k]].tensor = std::move(results_[k]);
  results_.clear();
  return true;
}

void VM::finishWeave(Fiber &f) {
  f.weaving = false;
  f.current = -1;
  f.children.clear();
  f.childDone.clear();
  f.finishedAt.clear();
  f.top().pc = program_->code[f.top().pc].a;
}

void VM::setKernelExecutor(KernelExecutor *ex) {
  executor_ = ex;
  fused_.clear();
  fusedAt_.assign(ex ? program_->code.size() : 0, -1);
  if (!ex)
    return;
  const Program &P = *program_;
  for (uint32_t pc = 0; pc < P.code.size(); ++pc) {
    const Instr &I = P.code[pc];
    if (I.opcode != Opcode::Fused)
      continue;
    FusedBinding fb;
    fb.kernel = ex->prepare(*P.opOf[pc]);
    // The random streams of the region in order of first use: the order of
    // randomStreamsOf(), because both walk the region's ops in order.
    for (uint32_t p = pc + 1; p < I.a; ++p)
      if (P.code[p].opcode == Opcode::Random &&
          std::find(fb.streams.begin(), fb.streams.end(), P.code[p].a) == fb.streams.end())
        fb.streams.push_back(P.code[p].a);
    fusedAt_[pc] = static_cast<int32_t>(fused_.size());
    fused_.push_back(std::move(fb));
  }
}

std::vector<RandomKey> randomStreamsOf(const ir::Operation &fused) {
  std::vector<RandomKey> keys;
  for (const auto &op : fused.region(0).ops()) {
    if (!op->has(ir::kRandom))
      continue;
    RandomKey k{op->intAttr("seed"), op->intAttr("stream")};
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      keys.push_back(k);
  }
  return keys;
}

// ---- stepping ---------------------------------------------------------------
//
// A program step begins at an instruction with `steps` > 0 (Program.h) and
// lasts until the next one begins. Inside a WEAVE, a child's turn is one
// program step of that child (a nested WEAVE's turn, if it waits on one);
// the child with the fewest steps goes next, ties to the lower index, so a
// bulk read of N rows takes the place of N single turns. A child's finish
// counts (towards n_required) once every running sibling's next step lies
// after its last one: the same moment as when its steps were taken one by
// one. See docs/vm.md, "Steps".

namespace {
/// (steps, index) order of a WEAVE's schedule.
bool before(uint64_t stepsA, uint32_t a, uint64_t stepsB, uint32_t b) {
  return stepsA < stepsB || (stepsA == stepsB && a < b);
}

/// The running child whose turn comes next (fewest steps, then lowest
/// index), or -1 when none runs.
int64_t nextRunning(const Fiber &f) {
  int64_t run = -1;
  for (uint32_t k = 0; k < f.children.size(); ++k)
    if (f.childDone[k] == 0 &&
        (run < 0 || before(f.children[k].steps, k, f.children[size_t(run)].steps, uint32_t(run))))
      run = k;
  return run;
}
} // namespace

bool VM::settleWeave(Fiber &f) {
  auto n = static_cast<uint32_t>(f.children.size());
  for (;;) {
    int64_t run = nextRunning(f), fin = -1;
    for (uint32_t k = 0; k < n; ++k)
      if (f.childDone[k] == 1 &&
          (fin < 0 || before(f.finishedAt[k], k, f.finishedAt[size_t(fin)], uint32_t(fin))))
        fin = k;
    if (fin < 0 || (run >= 0 && !before(f.finishedAt[size_t(fin)], uint32_t(fin),
                                        f.children[size_t(run)].steps, uint32_t(run))))
      return false;
    f.childDone[size_t(fin)] = 2;
    if (++f.nDone >= f.nRequired) {
      finishWeave(f);
      return true;
    }
  }
}

bool VM::stepLimitReached(uint32_t pc) {
  return fail(pc, "the step count reached kiln's limit of 2^62");
}

int64_t VM::scheduleIndex() const {
  // path_ is root .. the fiber running this instruction (advance()). Each
  // WEAVE level numbers its children's steps in (steps, index) order: the
  // current child's step at key (s, c) comes after every sibling's steps
  // with a smaller key, which may be fewer than the sibling has taken (a
  // bulk read takes N at once).
  if (path_.empty() || path_.front() != &root_)
    return steps_;
  auto idx = static_cast<int64_t>(path_.back()->steps);
  for (size_t i = path_.size() - 1; i-- > 0;) {
    const Fiber &w = *path_[i];
    auto c = static_cast<uint32_t>(w.current);
    uint64_t s = w.children[c].steps, inChildren = 0, before = 0;
    for (uint32_t j = 0; j < w.children.size(); ++j) {
      inChildren += w.children[j].steps;
      if (j != c)
        before += std::min<uint64_t>(w.children[j].steps, s + (j < c ? 1 : 0));
    }
    idx += static_cast<int64_t>(w.steps - inChildren + before);
  }
  return idx;
}

VM::Advance VM::endTurn() {
  for (Fiber *p : path_) {
    p->inStep = false;
    p->current = -1;
  }
  return Advance::Boundary;
}

VM::Advance VM::advance() {
  const Program &P = *program_;
  path_.clear();
  Fiber *f = &root_;
  for (;;) {
    path_.push_back(f);
    if (!f->weaving)
      break;
    if (f->current < 0) {
      if (settleWeave(*f))
        break; // the weave is over: f goes on after it, in this turn
      if (f->inStep)
        return endTurn(); // this turn had its step; the next child's is the next step
      f->current = static_cast<int32_t>(nextRunning(*f)); // settleWeave left one running
    }
    f = &f->children[size_t(f->current)];
  }
  Fiber &leaf = *f;
  const uint32_t pc = leaf.top().pc;
  if (P.code[pc].steps && leaf.inStep)
    return endTurn();
  if (!execCounted(leaf, pc))
    return Advance::Stopped;
  if (leaf.done) {
    if (path_.size() == 1) {
      status_ = Status::Done;
      return Advance::Stopped;
    }
    Fiber &parent = *path_[path_.size() - 2];
    auto k = static_cast<size_t>(parent.current);
    parent.childDone[k] = 1;
    parent.finishedAt[k] = leaf.inStep ? leaf.steps - 1 : leaf.steps;
    leaf.inStep = false;
    parent.current = -1;
  }
  return Advance::Ran;
}

bool VM::execCounted(Fiber &leaf, uint32_t pc) {
  const Instr &I = program_->code[pc];
  if (!stepsFit(I, pc))
    return false;
  exec(leaf);
  if (status_ == Status::Error)
    return false;
  ++instructions_;
  if (I.steps) {
    steps_ += I.steps;
    for (Fiber *p : path_) {
      p->inStep = true;
      p->steps += I.steps;
    }
  }
  return !checkpointRequest_.requested || writeRequestedCheckpoint(pc);
}

bool VM::writeRequestedCheckpoint(uint32_t pc) {
  // The call is over and counted: the checkpoint holds the position right
  // after it (inside its step, which has only control flow left), so a
  // resumed run goes on from there and never repeats the call.
  CheckpointRequest request = std::move(checkpointRequest_);
  checkpointRequest_ = CheckpointRequest{};
  const std::string path = substituteStep(std::move(request.path), steps_);
  // The folder is created if missing (one level, as `kiln export` does).
  const std::string folder = std::filesystem::path(path).parent_path().string();
  if (!folder.empty() && ::mkdir(folder.c_str(), 0777) != 0 && errno != EEXIST)
    return fail(pc, "checkpoint: cannot create the folder " + folder + " for " + path + ": " +
                        std::strerror(errno));
  std::string error;
  if (!save(path, error))
    return fail(pc, "checkpoint: " + error);
  if (request.keep <= 0)
    return true; // nothing to delete, nothing to remember
  auto site = std::find_if(checkpointFiles_.begin(), checkpointFiles_.end(),
                           [&](const auto &s) { return s.first == pc; });
  if (site == checkpointFiles_.end())
    site = checkpointFiles_.insert(site, {pc, {}});
  std::vector<std::string> &files = site->second;
  std::erase(files, path);
  files.push_back(path);
  struct stat written {};
  if (::stat(path.c_str(), &written) != 0)
    return fail(pc, "checkpoint: cannot stat " + path + " after writing it: " + std::strerror(errno));
  while (files.size() > size_t(request.keep)) {
    const std::string old = std::move(files.front());
    files.erase(files.begin());
    // Only a regular file that is not the one just written (another name
    // for it, e.g. through `..`) is deleted; one that went away is fine.
    struct stat st {};
    if (::lstat(old.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        (st.st_dev == written.st_dev && st.st_ino == written.st_ino))
      continue;
    if (::unlink(old.c_str()) != 0 && errno != ENOENT)
      return fail(pc, "checkpoint: cannot delete the older checkpoint " + old + ": " +
                          std::strerror(errno));
  }
  return true;
}

VM::Status VM::stepInstruction() {
  while (status_ == Status::Running && advance() == Advance::Boundary) {
  }
  return status_;
}

VM::Status VM::step() {
  run(1);
  return status_;
}

inline void VM::repeatNext(Frame &fr, const Instr &I) const {
  // The repeat's results are the last iteration's values, and nothing
  // reads them before the loop is over: moved once, at the exit. (Moving
  // every iteration cost a tensor copy a step and kept each row shared,
  // so a native could not reuse its buffer.)
  if (++fr.counters[I.b] < I.imm) {
    fr.pc = I.c;
    return;
  }
  moveValues(fr, I);
  fr.pc = I.a;
}

inline void VM::nextAfterCall(Frame &fr, uint32_t pc, const Instr &I) {
  if (!I.thenNext) {
    fr.pc = pc + 1;
    return;
  }
  // The superinstruction's second half (Program::lower): the jump or
  // repeat_next that follows the call, as exec runs them alone.
  const Instr &N = program_->code[pc + 1];
  if (N.opcode == Opcode::Jump)
    fr.pc = N.a;
  else
    repeatNext(fr, N);
}

// Inlined into run()'s loop: the call of a row read is a third of its step.
[[gnu::always_inline]] inline bool VM::execDirect(Frame &fr, uint32_t pc, const Instr &I) {
  // The callee reads the argument slots and writes the result slots itself
  // (DirectCall): no tensor is copied, no result checked again.
  const Program &P = *program_;
  const uint32_t *in = P.ins(I);
  for (unsigned k = 0; k < I.nIn; ++k)
    if (!fr.slots[in[k]].tensor.defined()) [[unlikely]]
      return fail(pc, "call argument " + std::to_string(k) + " has no value");
  ctx_.out = out_ ? out_ : &std::cout;
  ctx_.step = root_.weaving ? scheduleIndex() : steps_;
  ctx_.checkpoint = &checkpointRequest_;
  ctx_.spare = {};
  void *self = I.opcode == Opcode::CallMethod ? static_cast<void *>(components_[I.a].get())
                                              : P.natives[I.a]->directSelf;
  // Slot k's tensor is at &slots[0].tensor + k * sizeof(Slot) bytes.
  auto *base = fr.slots.empty() ? nullptr : reinterpret_cast<std::byte *>(&fr.slots[0].tensor);
  const DirectCall call{base, sizeof(Slot), in, P.outs(I), &P.kwargs[I.c], &ctx_};
  if (!I.direct(self, call, err_)) [[unlikely]]
    return callFailed(pc);
  nextAfterCall(fr, pc, I);
  return true;
}

bool VM::runSelfLoop(uint32_t pc, const Instr &I, int64_t start, int64_t maxSteps,
                     int64_t &budget) {
  // The direct call at pc just ran and its loop half sent pc back to it:
  // LOOP(CALL(f)) or a REPEAT whose body is the call. The next calls are
  // the same instruction with the same arguments, so everything run()
  // checks and counts per call is decided for k calls at once: k is what
  // the step target, the instruction budget, the 2^62 limits and the
  // repeat's count leave, exactly as many as run()'s loop would make before
  // one of them stopped it. Per call there is the call and its step count
  // (its context's step); counts are brought up to date before anything
  // can look at them (an error, a checkpoint the callee asked for) and at
  // the end. The same steps, values and counts as the general loop
  // (VMStepping tests compare the two).
  Frame &fr = root_.top();
  const Program &P = *program_;
  const Instr &N = P.code[pc + 1];
  const bool repeat = N.opcode == Opcode::RepeatNext;
  const int64_t s = I.steps;
  int64_t k = std::min(budget, kMaxSavedCount - instructions_);
  if (s > 0) {
    // A call may begin while the steps begun stay below maxSteps.
    const int64_t left = maxSteps - (steps_ - start);
    if (left <= 0)
      return true;
    k = std::min({k, left / s + (left % s != 0), (kMaxSavedCount - steps_) / s});
  }
  if (repeat)
    k = std::min(k, N.imm - fr.counters[N.b]);
  if (k <= 0)
    return true; // run()'s loop decides (and stops where it must)
  ctx_.out = out_ ? out_ : &std::cout;
  ctx_.checkpoint = &checkpointRequest_;
  ctx_.spare = {};
  void *self = I.opcode == Opcode::CallMethod ? static_cast<void *>(components_[I.a].get())
                                              : P.natives[I.a]->directSelf;
  auto *base = fr.slots.empty() ? nullptr : reinterpret_cast<std::byte *>(&fr.slots[0].tensor);
  const DirectCall call{base, sizeof(Slot), P.ins(I), P.outs(I), &P.kwargs[I.c], &ctx_};
  int64_t done = 0; // calls made and not yet counted but in steps_
  // Brings the counts up to date with the calls made; a repeat whose last
  // call that was exits, as repeat_next does.
  auto count = [&] {
    instructions_ += done;
    budget -= done;
    root_.steps += uint64_t(done * s);
    if (s)
      root_.inStep = true;
    if (repeat && (fr.counters[N.b] += done) >= N.imm) {
      moveValues(fr, N);
      fr.pc = N.a;
    }
    done = 0;
  };
  for (int64_t j = 0; j < k; ++j) {
    ctx_.step = steps_;
    if (!I.direct(self, call, err_)) [[unlikely]] {
      count();
      root_.inStep = false; // the failed call began no step: the last one ended
      return callFailed(pc);
    }
    steps_ += s;
    ++done;
    if (checkpointRequest_.requested) [[unlikely]] {
      count();
      if (!writeRequestedCheckpoint(pc))
        return false;
    }
  }
  count();
  return true;
}

int64_t VM::run(int64_t maxSteps, int64_t maxInstructions) {
  const int64_t start = steps_;
  if (maxSteps <= 0 && !root_.inStep)
    return 0;
  const Program &P = *program_;
  int64_t budget = maxInstructions;
  while (status_ == Status::Running && budget > 0) {
    if (root_.weaving || !fastPath_) {
      Advance a = advance();
      if (a == Advance::Ran)
        --budget;
      else if (a == Advance::Boundary && steps_ - start >= maxSteps)
        break;
      continue;
    }
    // The root fiber runs alone: advance() without the descent, for as long
    // as it does not start a weave. Same steps, errors and done status.
    // execCounted() inlined by hand for the root alone: calling it here
    // costs ~100 machine instructions a step (callgrind, REPEAT of next).
    while (budget > 0) {
      const uint32_t pc = root_.top().pc;
      const Instr &I = P.code[pc];
      if (I.steps && root_.inStep) {
        root_.inStep = false;
        if (steps_ - start >= maxSteps)
          return steps_ - start;
      }
      if (!stepsFit(I, pc))
        return steps_ - start;
      if (I.opcode == Opcode::CallMethod || I.opcode == Opcode::CallNative) {
        // The hot instruction, without exec's dispatch. A call neither
        // ends the root fiber nor starts a weave.
        if (!(I.direct ? execDirect(root_.top(), pc, I) : execCall(root_.top(), pc)) ||
            !countRootInstr(I, pc, budget))
          return steps_ - start;
        if (I.selfLoop && root_.top().pc == pc && !runSelfLoop(pc, I, start, maxSteps, budget))
          return steps_ - start;
        continue;
      }
      exec(root_);
      if (status_ == Status::Error || !countRootInstr(I, pc, budget))
        return steps_ - start;
      if (root_.done) {
        status_ = Status::Done;
        break;
      }
      if (root_.weaving)
        break;
    }
  }
  return steps_ - start;
}

namespace {
/// kiln's NaN rule (runtime/KernelsNaN.cpp) for the ops codegen also
/// compiles: elementwise math, reductions, matmul. (Shape ops move bits and
/// are never compiled.) A same-type cast returns its operand, which may be
/// shared: it is copied before it is rewritten.
void canonicalizeResult(ir::OpKind kind, Tensor &t) {
  const ir::OpInfo &info = ir::opInfo(kind);
  if (!ir::isFloat(t.dtype()) ||
      !(info.has(ir::kElementwise) || info.has(ir::kReduction) || kind == ir::OpKind::Matmul))
    return;
  if (!kernels::hasNonCanonicalNaN(t))
    return;
  if (kind == ir::OpKind::Cast)
    t = t.copy();
  kernels::canonicalizeNaNs(t);
}
} // namespace

bool VM::execMath(Frame &fr, uint32_t pc) {
  const Program &P = *program_;
  const Instr &I = P.code[pc];
  const uint32_t *in = P.ins(I);
  Slot &out = fr.slots[P.outs(I)[0]];
  for (unsigned k = 0; k < I.nIn; ++k)
    if (!fr.slots[in[k]].tensor.defined())
      return fail(pc, std::string(ir::mnemonic(I.kind)) + " operand " + std::to_string(k) +
                          " has no value");
  auto arg = [&](unsigned k) -> const Tensor & { return fr.slots[in[k]].tensor; };
  if (I.opcode == Opcode::Constant) {
    out.tensor = P.constants[I.a];
    return true;
  }
  using namespace kernels;
  using K = ir::OpKind;
  if (I.opcode == Opcode::Random) {
    const KernelAttrs &ka = P.attrs[I.b];
    const RandomStream &rs = P.randomStreams[I.a];
    uint64_t &ctr = rng_[I.a];
    std::vector<int64_t> shape =
        I.nIn ? arg(0).shape().vec() : ka.resultType.dims();
    for (int64_t d : shape)
      if (d < 0)
        return fail(pc, "random op needs a static result shape or a shape operand");
    Tensor t;
    auto seed = static_cast<uint64_t>(rs.seed), stream = static_cast<uint64_t>(rs.stream);
    if (I.kind == K::RandomBernoulli) {
      if (!I.nIn)
        return fail(pc, "random_bernoulli needs a probability operand");
      if (!ir::isFloat(arg(0).dtype()))
        return fail(pc, "random_bernoulli probabilities must be floats");
      t = randomBernoulli(arg(0), seed, stream, ctr);
    } else if (!ir::isFloat(ka.resultType.elem())) {
      return fail(pc, "random draws must be f32 or f64");
    } else if (I.kind == K::RandomUniform) {
      t = randomUniform(ka.resultType.elem(), std::move(shape), seed, stream, ctr);
    } else {
      t = randomNormal(ka.resultType.elem(), std::move(shape), seed, stream, ctr);
    }
    // The counter never passes what a checkpoint may hold, even on the error
    // (a stopped VM's state still serializes to a file that loads).
    if (uint64_t(t.numel()) > uint64_t(kMaxSavedCount) - ctr)
      return fail(pc, "random stream (seed " + std::to_string(rs.seed) + ", stream " +
                          std::to_string(rs.stream) + ") would draw more than 2^62 numbers");
    ctr += static_cast<uint64_t>(t.numel());
    if (!checkResult(pc, 0, t))
      return false;
    out.tensor = std::move(t);
    return true;
  }
  const KernelAttrs &ka = P.attrs[I.a];
  KernelResult r;
  switch (I.kind) {
  case K::Neg: r.value = unary(UnaryOp::Neg, arg(0)); break;
  case K::Exp: r.value = unary(UnaryOp::Exp, arg(0)); break;
  case K::Log: r.value = unary(UnaryOp::Log, arg(0)); break;
  case K::Sqrt: r.value = unary(UnaryOp::Sqrt, arg(0)); break;
  case K::Abs: r.value = unary(UnaryOp::Abs, arg(0)); break;
  case K::Sigmoid: r.value = unary(UnaryOp::Sigmoid, arg(0)); break;
  case K::Tanh: r.value = unary(UnaryOp::Tanh, arg(0)); break;
  case K::Relu: r.value = unary(UnaryOp::Relu, arg(0)); break;
  case K::Add: r = binary(BinaryOp::Add, arg(0), arg(1)); break;
  case K::Sub: r = binary(BinaryOp::Sub, arg(0), arg(1)); break;
  case K::Mul: r = binary(BinaryOp::Mul, arg(0), arg(1)); break;
  case K::Div: r = binary(BinaryOp::Div, arg(0), arg(1)); break;
  case K::Max: r = binary(BinaryOp::Max, arg(0), arg(1)); break;
  case K::Min: r = binary(BinaryOp::Min, arg(0), arg(1)); break;
  case K::Pow: r = binary(BinaryOp::Pow, arg(0), arg(1)); break;
  case K::Eq: r = compare(CompareOp::Eq, arg(0), arg(1)); break;
  case K::Ne: r = compare(CompareOp::Ne, arg(0), arg(1)); break;
  case K::Lt: r = compare(CompareOp::Lt, arg(0), arg(1)); break;
  case K::Le: r = compare(CompareOp::Le, arg(0), arg(1)); break;
  case K::Gt: r = compare(CompareOp::Gt, arg(0), arg(1)); break;
  case K::Ge: r = compare(CompareOp::Ge, arg(0), arg(1)); break;
  case K::Select: r = select(arg(0), arg(1), arg(2)); break;
  case K::Cast: r.value = cast(arg(0), ka.resultType.elem()); break;
  case K::ReduceSum:
  case K::ReduceMean:
  case K::ReduceMax:
  case K::ReduceMin:
  case K::ReduceArgmax: {
    ReduceOp ro = I.kind == K::ReduceSum    ? ReduceOp::Sum
                  : I.kind == K::ReduceMean ? ReduceOp::Mean
                  : I.kind == K::ReduceMax  ? ReduceOp::Max
                  : I.kind == K::ReduceMin  ? ReduceOp::Min
                                            : ReduceOp::Argmax;
    r = reduce(ro, arg(0), ka.hasAxis ? std::optional<int64_t>(ka.axis) : std::nullopt);
    break;
  }
  case K::Matmul: r = matmul(arg(0), arg(1), ka.transposeA, ka.transposeB); break;
  case K::Transpose: r = transpose(arg(0)); break;
  case K::Reshape: r = reshape(arg(0), ka.resultType.dims()); break;
  case K::Slice: r = slice(arg(0), ka.axis, ka.start, ka.size); break;
  case K::Concat: {
    args_.clear();
    for (unsigned k = 0; k < I.nIn; ++k)
      args_.push_back(arg(k));
    r = concat(args_, ka.axis);
    args_.clear();
    break;
  }
  case K::Dim: r = dim(arg(0), ka.axis); break;
  default:
    KILN_UNREACHABLE("tensor op without a kernel");
  }
  if (!r.ok())
    return fail(pc, r.error);
  if (!checkResult(pc, 0, r.value))
    return false;
  canonicalizeResult(I.kind, r.value);
  out.tensor = std::move(r.value);
  return true;
}

void VM::moveValues(Frame &fr, const Instr &I) const {
  const uint32_t *in = program_->ins(I), *out = program_->outs(I);
  for (unsigned k = 0; k < I.nIn && k < I.nOut; ++k)
    fr.slots[out[k]] = fr.slots[in[k]];
}

bool VM::execCall(Frame &fr, uint32_t pc) {
  const Program &P = *program_;
  const Instr &I = P.code[pc];
  if (I.direct)
    return execDirect(fr, pc, I);
  const uint32_t *in = P.ins(I), *out = P.outs(I);
  args_.clear();
  results_.clear();
  for (unsigned k = 0; k < I.nIn; ++k) {
    if (!fr.slots[in[k]].tensor.defined()) [[unlikely]]
      return fail(pc, "call argument " + std::to_string(k) + " has no value");
    args_.push_back(fr.slots[in[k]].tensor);
  }
  // The result slots whose old values only they hold: the native may take
  // those tensors for its results (CallContext::spare): no allocation, no
  // reference count changes hands.
  if (spare_.size() < I.nOut)
    spare_.resize(I.nOut);
  for (unsigned k = 0; k < I.nOut; ++k) {
    Tensor &t = fr.slots[out[k]].tensor;
    spare_[k] = t.isUnique() ? &t : nullptr;
  }
  ctx_.out = out_ ? out_ : &std::cout;
  ctx_.step = root_.weaving ? scheduleIndex() : steps_;
  ctx_.checkpoint = &checkpointRequest_;
  ctx_.spare = std::span<Tensor *const>(spare_.data(), I.nOut);
  bool ok = I.opcode == Opcode::CallMethod
                ? components_[I.a]->invoke(static_cast<int>(I.b), args_, P.kwargs[I.c], ctx_,
                                           results_, err_)
                : P.natives[I.a]->fn(args_, P.kwargs[I.c], ctx_, results_, err_);
  args_.clear();
  // (A failed call leaves its result slots as they were, but for a spare
  // the native took.)
  if (!ok) [[unlikely]]
    return callFailed(pc);
  if (results_.size() < I.nOut) [[unlikely]]
    return fail(pc, "call returned " + std::to_string(results_.size()) + " values, expected " +
                        std::to_string(I.nOut));
  if (I.nOut && !storeResults(fr, pc))
    return false;
  nextAfterCall(fr, pc, I);
  return true;
}

bool VM::callFailed(uint32_t pc) {
  std::string message = std::move(err_.message);
  err_.message.clear();
  return fail(pc, message.empty() ? "native call failed" : std::move(message));
}


void VM::exec(Fiber &f) {
  const Program &P = *program_;
  Frame &fr = f.top();
  const uint32_t pc = fr.pc;
  const Instr &I = P.code[pc];
  const uint32_t *in = P.ins(I);
  const uint32_t *out = P.outs(I);
  switch (I.opcode) {
  case Opcode::Jump:
    fr.pc = I.a;
    return;
  case Opcode::Move:
    moveValues(fr, I);
    fr.pc = I.a;
    return;
  case Opcode::RepeatInit:
    fr.counters[I.b] = 0;
    fr.pc = I.imm > 0 ? pc + 1 : I.a;
    return;
  case Opcode::RepeatNext:
    repeatNext(fr, I);
    return;
  case Opcode::BufferInit:
    fr.counters[I.b] = 0;
    fr.buffers[I.c] = Tensor();
    if (I.imm > 0) {
      fr.pc = pc + 1;
      return;
    }
    {
      const ir::Type &t = P.typePool[I.types];
      if (!t.hasStaticShape()) {
        fail(pc, "buffer_repeat 0 of a row of unknown shape " + t.str());
        return;
      }
      fr.slots[out[0]].tensor = Tensor::zeros(t.elem(), t.dims());
      fr.pc = I.a;
    }
    return;
  case Opcode::BufferNext: {
    const Tensor &row = fr.slots[in[0]].tensor;
    int64_t i = fr.counters[I.b];
    Tensor &buf = fr.buffers[I.c];
    const ir::Type &want = P.typePool[I.types];
    if (!row.defined()) {
      fail(pc, "buffer_repeat row has no value");
      return;
    }
    if (i < 0 || i >= I.imm || (i > 0 && (!buf.defined() || buf.rank() < 1 ||
                                          buf.dim(0) != I.imm))) {
      fail(pc, "buffer_repeat state is inconsistent (row " + std::to_string(i) + ")");
      return;
    }
    if (i == 0) {
      // Allocate the whole output at the first row, when its shape is known.
      bool ok = row.dtype() == want.elem() && row.rank() + 1 == want.rank();
      for (int64_t d = 0; ok && d < row.rank(); ++d)
        ok = want.dim(d + 1) == ir::kDynamic || want.dim(d + 1) == row.dim(d);
      if (!ok) {
        fail(pc, "buffer_repeat row is " + shapeStr(row) + ", which does not stack into " +
                     want.str());
        return;
      }
      std::vector<int64_t> shape{I.imm};
      shape.insert(shape.end(), row.shape().begin(), row.shape().end());
      buf = Tensor::empty(row.dtype(), std::move(shape));
    } else if (row.dtype() != buf.dtype() || row.rank() + 1 != buf.rank() ||
               !std::equal(row.shape().begin(), row.shape().end(), buf.shape().begin() + 1)) {
      fail(pc, "buffer_repeat row " + std::to_string(i) + " is " + shapeStr(row) +
                   ", the first row was " + Tensor::empty(buf.dtype(), std::vector<int64_t>(
                                                buf.shape().begin() + 1, buf.shape().end()))
                                                .type()
                                                .str());
      return;
    }
    std::memcpy(static_cast<char *>(buf.raw()) + size_t(i) * row.nbytes(), row.raw(),
                row.nbytes());
    if (++fr.counters[I.b] < I.imm) {
      fr.pc = I.d;
    } else {
      fr.slots[out[0]].tensor = std::move(buf);
      buf = Tensor();
      fr.pc = I.a;
    }
    return;
  }
  case Opcode::WhileCond: {
    const Tensor &c = fr.slots[in[0]].tensor;
    if (!c.defined()) {
      fail(pc, "while condition has no value");
      return;
    }
    fr.pc = c.item() != 0.0 ? pc + 1 : I.a;
    return;
  }
  case Opcode::Switch: {
    const Tensor &s = fr.slots[in[0]].tensor;
    if (!s.defined()) {
      fail(pc, "switch selector has no value");
      return;
    }
    double v = s.item();
    uint32_t k = 0;
    while (k < I.b && double(P.casePool[I.a + k]) != v)
      ++k;
    fr.pc = P.slotPool[I.c + k];
    return;
  }
  case Opcode::Weave: {
    if (I.imm == 0) {
      fr.pc = I.a;
      return;
    }
    f.weaving = true;
    f.current = -1;
    f.nDone = 0;
    f.nRequired = static_cast<uint32_t>(I.imm);
    f.children.assign(I.b, Fiber());
    f.childDone.assign(I.b, 0);
    f.finishedAt.assign(I.b, 0);
    for (uint32_t k = 0; k < I.b; ++k) {
      Fiber &c = f.children[k];
      // A child starts with a copy of the frame's values (SSA: it only
      // reads values from outside its region) but no partial buffers.
      c.frames.push_back(f.top());
      c.depth = 1;
      c.frames[0].pc = P.slotPool[I.c + k];
      for (Tensor &b : c.frames[0].buffers)
        b = Tensor();
    }
    return;
  }
  case Opcode::WeaveEnd:
    f.done = true;
    return;
  case Opcode::Call: {
    if (!pushFrame(f, I.a)) {
      fail(pc, "call stack overflow (more than " + std::to_string(kMaxCallDepth) +
                   " nested calls)");
      return;
    }
    Frame &caller = f.frames[f.depth - 2];
    Frame &callee = f.frames[f.depth - 1];
    const FuncInfo &fi = P.funcs[I.a];
    for (unsigned k = 0; k < I.nIn; ++k)
      callee.slots[fi.paramSlots[k]] = caller.slots[in[k]];
    return;
  }
  case Opcode::Return: {
    if (f.depth == 1) {
      f.done = true;
      return;
    }
    Frame &caller = f.frames[f.depth - 2];
    const Instr &C = P.code[caller.pc];
    const uint32_t *cout = P.outs(C);
    for (unsigned k = 0; k < I.nIn && k < C.nOut; ++k)
      caller.slots[cout[k]] = fr.slots[in[k]];
    popFrame(f);
    ++caller.pc;
    return;
  }
  case Opcode::CallMethod:
  case Opcode::CallNative:
    execCall(fr, pc);
    return;
  case Opcode::ComponentRef:
    fr.slots[out[0]] = Slot{Tensor(), static_cast<int32_t>(I.a)};
    fr.pc = pc + 1;
    return;
  case Opcode::StateLoad:
  case Opcode::StateStore: {
    int32_t c = fr.slots[in[0]].component;
    if (c < 0) {
      fail(pc, "component handle has no value");
      return;
    }
    int field = P.fieldIndex[size_t(I.a) * components_.size() + size_t(c)];
    if (field < 0) {
      fail(pc, "component @" + P.components[c].name + " (" +
                   std::string(components_[c]->typeName()) + ") has no state field '" +
                   P.fieldNames[I.a] + "'");
      return;
    }
    if (I.opcode == Opcode::StateLoad) {
      const Tensor &v = components_[c]->field(field);
      if (!checkResult(pc, 0, v))
        return;
      fr.slots[out[0]].tensor = v;
    } else {
      const Tensor &v = fr.slots[in[1]].tensor;
      const Tensor &old = components_[c]->field(field);
      if (!v.defined() || v.dtype() != old.dtype() || v.shape() != old.shape()) {
        fail(pc, "state_store of " + (v.defined() ? shapeStr(v) : std::string("nothing")) +
                     " into field '" + P.fieldNames[I.a] + "' of @" + P.components[c].name +
                     ", which is " + shapeStr(old));
        return;
      }
      components_[c]->setField(field, v);
    }
    fr.pc = pc + 1;
    return;
  }
  case Opcode::Constant:
  case Opcode::TensorOp:
  case Opcode::Random:
    if (execMath(fr, pc))
      fr.pc = pc + 1;
    return;
  case Opcode::Fused: {
    for (unsigned k = 0; k < I.nIn; ++k)
      if (!fr.slots[in[k]].tensor.defined()) {
        fail(pc, "fused operand " + std::to_string(k) + " has no value");
        return;
      }
    if (int32_t b = executor_ ? fusedAt_[pc] : -1; b >= 0 && fused_[size_t(b)].kernel >= 0) {
      const FusedBinding &fb = fused_[size_t(b)];
      args_.clear();
      results_.clear();
      for (unsigned k = 0; k < I.nIn; ++k)
        args_.push_back(fr.slots[in[k]].tensor);
      rngScratch_.resize(fb.streams.size());
      for (size_t s = 0; s < fb.streams.size(); ++s)
        rngScratch_[s] = rng_[fb.streams[s]];
      bool ran = executor_->run(fb.kernel, args_, results_, rngScratch_);
      args_.clear();
      if (ran) {
        if (results_.size() != I.nOut) {
          fail(pc, "compiled kernel returned the wrong number of results");
          return;
        }
        if (!storeResults(fr, pc))
          return;
        for (size_t s = 0; s < fb.streams.size(); ++s)
          if (rngScratch_[s] > uint64_t(kMaxSavedCount)) { // counters stay as they were
            fail(pc, "a random stream of this kernel would draw more than 2^62 numbers");
            return;
          }
        for (size_t s = 0; s < fb.streams.size(); ++s)
          rng_[fb.streams[s]] = rngScratch_[s];
        fr.pc = I.a + 1;
        return;
      }
      results_.clear();
    }
    // Interpret the region, all of it within this one step.
    const uint32_t *argSlots = P.slotPool.data() + I.b;
    for (unsigned k = 0; k < I.nIn; ++k)
      fr.slots[argSlots[k]] = fr.slots[in[k]];
    for (uint32_t p = pc + 1; p < I.a; ++p)
      if (!execMath(fr, p))
        return;
    const Instr &Y = P.code[I.a];
    const uint32_t *yin = P.ins(Y);
    for (unsigned k = 0; k < Y.nIn && k < I.nOut; ++k) {
      if (!checkResult(pc, k, fr.slots[yin[k]].tensor))
        return;
      fr.slots[out[k]] = fr.slots[yin[k]];
    }
    // The region's own values are dead now: drop them, so an interpreted
    // fused op leaves the frame (and a checkpoint) as a compiled one does.
    for (unsigned k = 0; k < I.nIn; ++k)
      fr.slots[argSlots[k]] = Slot{};
    for (uint32_t p = pc + 1; p < I.a; ++p) {
      const Instr &J = P.code[p];
      const uint32_t *jout = P.outs(J);
      for (unsigned k = 0; k < J.nOut; ++k)
        fr.slots[jout[k]] = Slot{};
    }
    fr.pc = I.a + 1;
    return;
  }
  case Opcode::Step:
    fr.pc = pc + 1;
    return;
  case Opcode::FusedYield:
    KILN_UNREACHABLE("fused_yield runs as part of its fused op");
  }
}

std::unique_ptr<VM> VM::clone() const {
  std::unique_ptr<VM> vm(new VM());
  vm->program_ = program_;
  vm->registry_ = registry_;
  for (const auto &c : components_)
    vm->components_.push_back(c->clone());
  vm->root_ = root_;
  // Partial buffer_repeat outputs are written in place: give the copy its own.
  std::vector<Fiber *> todo{&vm->root_};
  while (!todo.empty()) {
    Fiber *f = todo.back();
    todo.pop_back();
    for (uint32_t d = 0; d < f->depth; ++d)
      for (Tensor &b : f->frames[d].buffers)
        if (b.defined())
          b = b.copy();
    for (Fiber &c : f->children)
      todo.push_back(&c);
  }
  vm->rng_ = rng_;
  vm->sources_ = sources_;
  vm->steps_ = steps_;
  vm->instructions_ = instructions_;
  vm->fastPath_ = fastPath_;
  vm->status_ = status_;
  vm->error_ = error_;
  vm->out_ = out_;
  vm->executor_ = executor_;
  vm->fused_ = fused_;
  vm->fusedAt_ = fusedAt_;
  vm->checkpointFiles_ = checkpointFiles_;
  return vm;
}

} // namespace kiln::runtime
