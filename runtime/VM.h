// VM: the stepping interpreter of kiln programs.
//
// The VM is an iterator, not a main loop: the caller steps it (`step()`,
// `run(n)`), and between steps may look at it, copy it (`clone()`), save it
// (`save(path)`) or drop it. Nothing in it uses the host stack across steps:
// the program is lowered once into a flat instruction array (runtime/vm/
// Program.h) and the state is explicit — a tree of fibers (one per WEAVE
// child), each a stack of frames (func, pc, value slots, loop counters,
// partial buffer_repeat buffers) — plus the component instances, the random
// stream counters and the step count. That state is exactly what a
// checkpoint stores (docs/checkpoint-format.md).
//
// One step is one program step: one call the program makes, with the
// control flow around it (docs/vm.md); instructions are a finer, -O
// dependent, debugging granularity (stepInstruction()). A run-time
// error (a shape mismatch at a `?` dimension, a native call's error) stops
// the VM with a diagnostic at the op's source location (status() == Error).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ir/Diagnostics.h"
#include "ir/IR.h"
#include "runtime/Component.h"
#include "runtime/KernelExecutor.h"
#include "runtime/Tensor.h"
#include "runtime/vm/Program.h"

namespace kiln::runtime {

class Registry;
struct CheckpointData;

/// A value slot of a frame: a tensor, or a handle to component `component`.
struct Slot {
  Tensor tensor;
  int32_t component = -1;
  bool empty() const { return component < 0 && !tensor.defined(); }
};

struct Frame {
  uint32_t func = 0;
  uint32_t pc = 0;
  std::vector<Slot> slots;
  std::vector<int64_t> counters; // repeat / buffer_repeat iteration counters
  std::vector<Tensor> buffers;   // partial buffer_repeat outputs (owned, written row by row)
};

/// A stack of frames. The top frame of a fiber waiting on a WEAVE owns the
/// children fibers (the stack tree). Children take turns of one program
/// step each, the child with the fewest steps first (ties: the lower
/// index), so a bulk read of N rows counts as N turns (docs/vm.md).
struct Fiber {
  std::vector<Frame> frames; // frames[0, depth) are live; the rest keep capacity
  uint32_t depth = 0;
  bool done = false;
  bool weaving = false;
  /// The fiber's current turn (the VM's current step, for the root) has
  /// begun its program step; the next step start ends the turn.
  bool inStep = false;
  /// Program steps begun in this fiber, its children's included.
  uint64_t steps = 0;
  // ---- while weaving ----
  int32_t current = -1;   // the child whose turn is in progress, or -1
  uint32_t nRequired = 0; // children that must finish
  uint32_t nDone = 0;     // finishes counted so far
  std::vector<Fiber> children;
  /// Per child: 0 running, 1 finished (not yet counted: its last step still
  /// lies ahead of a sibling's next one), 2 finished and counted.
  std::vector<uint8_t> childDone;
  /// Per finished child: the index of its last program step (its own
  /// count), the position of its finish in the WEAVE's schedule.
  std::vector<uint64_t> finishedAt;

  Frame &top() { return frames[depth - 1]; }
  const Frame &top() const { return frames[depth - 1]; }
};

class VM {
public:
  enum class Status { Running, Done, Error };

  /// Creates the components declared by `module` (which must be verified)
  /// from `registry`, lowers the module and positions the VM at the start of
  /// func `entry`. On failure reports to `diag` and returns null. The
  /// registry must outlive the VM (native functions are resolved into it).
  /// With DataFiles::NotOpened the components are created detached
  /// (ComponentType::createDetached): such a VM can be inspected and saved,
  /// not stepped.
  static std::unique_ptr<VM> create(std::shared_ptr<const ir::Module> module,
                                    const Registry &registry, ir::DiagnosticEngine &diag,
                                    std::string_view entry = "main",
                                    DataFiles data = DataFiles::Open);

  /// Loads a checkpoint written by save(): validates the file, parses and
  /// verifies its IR, re-lowers it (checking the lowering hash), re-creates
  /// the components and restores every piece of state. On failure returns
  /// null with a message naming what is wrong in `error`.
  /// `kiln inspect` loads with DataFiles::NotOpened: no path the
  /// checkpoint names is opened (see create()).
  static std::unique_ptr<VM> load(const std::string &path, const Registry &registry,
                                  std::string &error, DataFiles data = DataFiles::Open);

  /// Runs one program step: a call the program makes (a kernel's whole
  /// body, inlined or not, a native or component method; a bulk read of N
  /// rows is N steps) with the control flow around it, up to the next
  /// step's start (docs/vm.md). Returns the status after it.
  Status step();
  /// Runs program steps until at least `maxSteps` more have begun and the
  /// last of them is over, or the VM stops, or `maxInstructions` ran
  /// (then it may rest inside a step: any instruction boundary is a valid
  /// checkpoint). Returns the program steps begun.
  int64_t run(int64_t maxSteps, int64_t maxInstructions = kMaxSavedCount);
  /// Runs one instruction (a debugging granularity; steps are the
  /// program's). Returns the status after it.
  Status stepInstruction();
  bool done() const { return status_ == Status::Done; }
  Status status() const { return status_; }
  /// Program steps begun (the figure of --steps, --checkpoint-every, log).
  int64_t stepCount() const { return steps_; }
  /// VM instructions run (a debugging figure; depends on the -O level).
  int64_t instructionCount() const { return instructions_; }
  /// No step is in progress: the next instruction belongs to the next step.
  bool atStepBoundary() const { return !root_.inStep; }
  /// run() steps a root fiber that does not weave without the general
  /// descent (same results); off, every instruction takes the general path
  /// (tests compare the two).
  void setFastPath(bool on) { fastPath_ = on; }
  /// The run-time error that stopped the VM (status() == Error).
  const ir::Diagnostic &error() const { return error_; }

  /// An independent copy: same position and values, cloned components.
  std::unique_ptr<VM> clone() const;
  /// Writes a checkpoint atomically (temp file, fsync, rename, fsync dir).
  bool save(const std::string &path, std::string &error) const;
  /// The state a checkpoint stores (tensors shared, not copied).
  CheckpointData snapshot() const;
  /// Rebuilds a VM from checkpoint data, validating every index, shape and
  /// dtype against the re-lowered program (see load()).
  static std::unique_ptr<VM> restore(const CheckpointData &data, const Registry &registry,
                                     std::string &error, DataFiles files = DataFiles::Open);

  // ---- access for tools and tests ----
  const Program &program() const { return *program_; }
  const ir::Module &module() const { return *program_->module; }
  size_t numComponents() const { return components_.size(); }
  Component &component(size_t i) { return *components_[i]; }
  const Component &component(size_t i) const { return *components_[i]; }
  /// The component declared as `@name`, or nullptr.
  Component *component(std::string_view name);
  const std::string &componentName(size_t i) const { return program_->components[i].name; }
  const Fiber &rootFiber() const { return root_; }
  const std::vector<uint64_t> &rngCounters() const { return rng_; }
  /// Where print and log write (default std::cout).
  void setOutput(std::ostream *out) { out_ = out; }
  /// Compiled fused kernels; null (the default) interprets every fused op.
  /// Binds every fused op of the program to the executor once (prepare());
  /// the executor must outlive the VM and its clones.
  void setKernelExecutor(KernelExecutor *ex);
  KernelExecutor *kernelExecutor() const { return executor_; }
  std::string entryName() const { return program_->funcs[program_->entryFunc].name; }

  /// The program's source files (name, text), saved in checkpoints so that
  /// a run-time error after `kiln resume` still quotes its source line.
  using SourceFiles = std::vector<std::pair<std::string, std::string>>;
  void setSourceFiles(SourceFiles files) {
    sources_ = std::make_shared<const SourceFiles>(std::move(files));
  }
  const SourceFiles &sourceFiles() const {
    static const SourceFiles kNone;
    return sources_ ? *sources_ : kNone;
  }

  /// Frames deeper than this are a run-time error (runaway recursion).
  static constexpr uint32_t kMaxCallDepth = 10000;

private:
  VM() = default;

  enum class Advance { Ran, Boundary, Stopped };
  /// Runs the next instruction of the fiber tree, or ends the current step
  /// (Boundary) when the next instruction would begin another one.
  Advance advance();
  /// Ends the turn of every fiber on path_ (a step boundary).
  Advance endTurn();
  /// The position in the program's schedule of the step path_'s leaf is
  /// running: steps_ unless a WEAVE ran a bulk read ahead of its turn
  /// (what `log` prints as [step N]).
  int64_t scheduleIndex() const;
  /// Counts the finishes of f's children that lie before every running
  /// child's next step; finishes the weave when n_required are counted.
  /// Returns true when f no longer weaves.
  bool settleWeave(Fiber &f);
  /// Whether beginning `I`'s steps keeps the counts within kMaxSavedCount
  /// (else the VM stops with an error at pc). Counts stay within what a
  /// checkpoint may hold, so a VM that runs can always be saved and loaded
  /// again; only a crafted checkpoint starts near the limit (2^62 steps is
  /// 146 years at 1 ns).
  bool stepsFit(const Instr &I, uint32_t pc) {
    return (steps_ <= kMaxSavedCount - int64_t(I.steps) && instructions_ < kMaxSavedCount) ||
           stepLimitReached(pc);
  }
  bool stepLimitReached(uint32_t pc);
  /// run()'s count of root instruction I at pc once it ran: the
  /// instruction, the steps it begins, a checkpoint the program asked
  /// for. False when the VM stopped (the checkpoint failed).
  bool countRootInstr(const Instr &I, uint32_t pc, int64_t &budget) {
    ++instructions_;
    --budget;
    if (I.steps) {
      steps_ += I.steps;
      root_.steps += I.steps;
      root_.inStep = true;
    }
    return !checkpointRequest_.requested || writeRequestedCheckpoint(pc);
  }
  /// Runs instruction pc in `leaf` (the last fiber of path_) and counts it:
  /// the instruction, the steps it begins (in every fiber on path_), a
  /// checkpoint the program asked for. False when the VM stopped.
  bool execCounted(Fiber &leaf, uint32_t pc);
  void exec(Fiber &f);
  /// A CallMethod / CallNative (with the jump or repeat_next it may run
  /// too: Instr::thenNext). False when the VM stopped.
  bool execCall(Frame &fr, uint32_t pc);
  /// The calls after the first of a direct call that loops on itself
  /// (Instr::selfLoop), as many as run(maxSteps) would make, with run()'s
  /// per-call checks decided once. False when the VM stopped.
  bool runSelfLoop(uint32_t pc, const Instr &I, int64_t start, int64_t maxSteps, int64_t &budget);
  /// A call with a direct entry (Instr::direct, DirectCall).
  bool execDirect(Frame &fr, uint32_t pc, const Instr &I);
  /// pc after call I: the next instruction, or what the jump or
  /// repeat_next it runs too (thenNext) says.
  void nextAfterCall(Frame &fr, uint32_t pc, const Instr &I);
  /// Stops the VM with the error of the call at pc (err_), and clears it.
  bool callFailed(uint32_t pc);
  /// slots[out[k]] = slots[in[k]] of a move, repeat_next or yield.
  void moveValues(Frame &fr, const Instr &I) const;
  /// Repeat_next `I` (alone, or as the second half of a call: thenNext).
  void repeatNext(Frame &fr, const Instr &I) const;
  bool execMath(Frame &fr, uint32_t pc);
  bool pushFrame(Fiber &f, uint32_t func);
  void popFrame(Fiber &f);
  void finishWeave(Fiber &f);
  bool fail(uint32_t pc, std::string message);
  /// Whether `t` may be result k of instruction pc: the pre-decoded check
  /// (a few compares, inline), then the full one, which stops the VM with
  /// an error naming what is wrong.
  bool checkResult(uint32_t pc, unsigned k, const Tensor &t) {
    return program_->resultChecks[program_->code[pc].types + k].matches(t) ||
           checkResultFully(pc, k, t);
  }
  bool checkResultFully(uint32_t pc, unsigned k, const Tensor &t);
  /// Checks results_ against instruction pc's result types, then moves them
  /// into the frame's output slots.
  bool storeResults(Frame &fr, uint32_t pc);
  void startEntry();
  /// Writes the checkpoint a native requested (the `checkpoint` callable)
  /// right after its call at pc, then deletes that call's files beyond its
  /// `keep`. A failure stops the VM with an error at pc.
  bool writeRequestedCheckpoint(uint32_t pc);

  std::shared_ptr<const Program> program_;
  std::vector<std::unique_ptr<Component>> components_;
  const Registry *registry_ = nullptr;
  Fiber root_;
  std::vector<uint64_t> rng_; // element offset per random stream (program_->randomStreams)
  std::shared_ptr<const SourceFiles> sources_;
  int64_t steps_ = 0;        // program steps begun
  int64_t instructions_ = 0; // instructions run
  std::vector<Fiber *> path_; // advance(): root .. the fiber whose turn it is
  bool fastPath_ = true;
  Status status_ = Status::Running;
  ir::Diagnostic error_{ir::Severity::Error, {}, {}};
  std::ostream *out_ = nullptr;
  KernelExecutor *executor_ = nullptr;
  /// A fused op bound to a compiled kernel: the executor's id and the VM's
  /// random stream index of each of the op's (seed, stream) keys.
  struct FusedBinding {
    int32_t kernel = -1;
    std::vector<uint32_t> streams;
  };
  std::vector<FusedBinding> fused_; // bindings, shared by clones
  std::vector<int32_t> fusedAt_;    // per instruction: index into fused_, or -1
  std::vector<uint64_t> rngScratch_;
  // Scratch reused by every call so a steady-state step does not allocate.
  std::vector<Tensor> args_, results_;
  std::vector<Tensor *> spare_; // CallContext::spare of the call in progress
  CallContext ctx_;  // every call's context (its fields are set per call)
  NativeError err_;  // a failed call's error (cleared when reported)
  /// Set by a native through CallContext::checkpoint during its call.
  CheckpointRequest checkpointRequest_;
  /// Per `checkpoint` call (its pc): the files it wrote in this process,
  /// oldest first (not saved in checkpoints: docs/vm.md).
  std::vector<std::pair<uint32_t, std::vector<std::string>>> checkpointFiles_;
};

} // namespace kiln::runtime
