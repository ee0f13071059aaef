// Program: a verified ir::Module lowered once into a flat, pre-decoded
// instruction array — the VM's executable form.
//
// Every func becomes a contiguous run of instructions; structured control
// flow becomes jumps; every SSA value of a func (op results and region
// arguments, nested regions included) gets a slot index in that func's frame;
// every repeat/buffer_repeat gets a counter index (and buffer_repeat a
// buffer index). Callees, component methods, native functions, state fields,
// constants and random streams are resolved here, so stepping does no string
// lookups. Lowering is deterministic: the same module always gives the same
// array, and `hash()` fingerprints it for checkpoints.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/Diagnostics.h"
#include "ir/IR.h"
#include "runtime/Component.h"
#include "runtime/Tensor.h"

namespace kiln::runtime {

class Registry;
struct NativeFunction;

// Operand/result slot lists, jump tables and case lists live in pools of the
// Program; an instruction holds offsets and counts into them.
enum class Opcode : uint8_t {
  Jump,          // pc = a
  Move,          // slots[out[i]] = slots[in[i]]; pc = a (yield of seq/switch/repeat-less regions)
  RepeatInit,    // counter[b] = 0; pc = imm > 0 ? pc + 1 : a (exit)
  RepeatNext,    // ++counter[b]; pc = counter[b] < imm ? c (body) : (slots[out] = slots[in], a (exit))
  BufferInit,    // counter[b] = 0; buffer[c] = {}; pc = pc + 1 (count 0: out = empty stack, pc = a)
  BufferNext,    // buffer[c][counter[b]++] = slots[in[0]] (allocated at row 0);
                 //   done: out = buffer, pc = a; else pc = d (body)
  WhileCond,     // pc = slots[in[0]] is true ? pc + 1 : a (exit)
  Switch,        // k = index of slots[in[0]] in cases[a, a+b) (else b); pc = targets[c + k]
  Weave,         // spawn children at targets[c, c+b) sharing the frame's values; wait;
                 //   when imm children finished: pc = a
  WeaveEnd,      // a weave child finished its region
  Call,          // push a frame of func a with params = slots[in]; caller pc stays here
  Return,        // pop; caller's call results = slots[in]; caller pc + 1 (root: VM done)
  CallMethod,    // components[a].invoke(method b, slots[in]) -> slots[out]; kwargs[c]
  CallNative,    // natives[a](slots[in]) -> slots[out]; kwargs[c]
  ComponentRef,  // slots[out[0]] = handle of component a
  StateLoad,     // slots[out[0]] = field (fieldIds[a]) of component slots[in[0]]
  StateStore,    // field (fieldIds[a]) of component slots[in[0]] = slots[in[1]]
  Constant,      // slots[out[0]] = constants[a]
  TensorOp,      // slots[out[0]] = reference kernel `kind`(slots[in]) with attrs[a]
  Random,        // slots[out[0]] = draws of stream a (rng counter a advanced)
  Fused,         // slots[out] = executor(slots[in]) or interpret [pc+1, a) in this step;
                 //   region args at args[b..]; pc = a + 1
  FusedYield,    // (inside an interpreted fused body) slots[out of the Fused at c] = slots[in]
  Step,          // nothing (a program step begins: inline-kernels' mark); pc + 1
};

const char *opcodeName(Opcode op);

struct Instr {
  Opcode opcode;
  ir::OpKind kind;   // the IR op it came from (the kernel to run for TensorOp)
  uint16_t nIn = 0;  // operand slots at slotPool[in, in + nIn)
  uint16_t nOut = 0; // result slots at slotPool[out, out + nOut)
  uint32_t in = 0, out = 0;
  uint32_t a = 0, b = 0, c = 0, d = 0;
  uint32_t types = 0; // declared result types at typePool[types, types + nOut)
  /// Program steps this instruction begins (docs/vm.md): 1 for a call the
  /// program makes (not a kernel's own calls) and for `step`, N for a bulk
  /// read of N rows (`bulk_steps`), 0 for everything else.
  uint32_t steps = 0;
  /// CallMethod / CallNative directly followed by a Jump or a RepeatNext:
  /// the call runs that instruction too, as one (a superinstruction: the
  /// loop around a call costs no dispatch of its own). Set by
  /// Program::lower after the code is laid out.
  bool thenNext = false;
  int64_t imm = 0;
  /// CallMethod / CallNative: the callee's direct entry (DirectCall), or
  /// null for its generic one. Derived from the callee when the program is
  /// lowered, not part of hash(): which entry runs changes no result.
  DirectFn direct = nullptr;
  /// A direct call whose second half (thenNext) goes back to itself:
  /// LOOP(CALL(f)), or a repeat whose body is the call (VM::runSelfLoop).
  /// Derived with `direct`, not hashed.
  bool selfLoop = false;
};

/// The decoded attributes a reference kernel needs.
struct KernelAttrs {
  int64_t axis = 0;
  bool hasAxis = false;
  bool transposeA = false, transposeB = false;
  int64_t start = 0, size = 0; // slice
  ir::Type resultType;         // declared (maybe with ? dims)
};

struct FuncInfo {
  std::string name;
  uint32_t entry = 0;     // first instruction
  uint32_t numSlots = 0;
  uint32_t numCounters = 0;
  uint32_t numBuffers = 0;
  std::vector<uint32_t> paramSlots;
  std::vector<ir::Type> slotTypes;   // declared type of every slot
  std::vector<uint32_t> bufferInstr; // the buffer_next instruction of every buffer
  uint32_t end = 0;                  // one past the last instruction
  const ir::Operation *op = nullptr;
};

struct ComponentInfo {
  std::string name;     // symbol, e.g. "dataset"
  std::string typeName; // e.g. "Dataset.randn"
  const ir::Operation *op = nullptr;
};

struct RandomStream {
  int64_t seed = 0, stream = 0;
};

/// A declared result type decoded once for the check the VM makes of every
/// result a native, component method or compiled kernel returns (their
/// code is not the verifier's to prove): dtype, rank and each static
/// dimension in a few compares. Types it does not cover (rank above
/// Shape::kInline, not a numeric tensor) have rank -1, which no tensor
/// matches: VM::checkResult's full check then decides.
struct ResultCheck {
  int8_t rank = -1;
  ElemType elem = ElemType::F32;
  int64_t dims[Shape::kInline] = {}; // ir::kDynamic for `?`

  explicit ResultCheck(const ir::Type &t);
  bool matches(const Tensor &t) const {
    if (!t.defined() || t.dtype() != elem || t.rank() != rank)
      return false;
    for (int8_t d = 0; d < rank; ++d)
      if (dims[d] != ir::kDynamic && dims[d] != t.dim(d))
        return false;
    return true;
  }
};

class Program {
public:
  /// Lowers `module` (which must be verified). `components` are the live
  /// instances in module order (to resolve method and field indices).
  /// Returns null and reports to `diag` on anything the VM cannot run.
  static std::unique_ptr<Program>
  lower(std::shared_ptr<const ir::Module> module, std::string_view entry,
        const std::vector<std::unique_ptr<Component>> &components, const Registry &registry,
        ir::DiagnosticEngine &diag);

  std::shared_ptr<const ir::Module> module;
  std::vector<Instr> code;
  std::vector<const ir::Operation *> opOf; // per instruction, for locations
  std::vector<uint32_t> slotPool;
  std::vector<int64_t> casePool;
  std::vector<ir::Type> typePool;
  std::vector<ResultCheck> resultChecks; // per typePool entry (derived: not hashed)
  std::vector<FuncInfo> funcs;
  uint32_t entryFunc = 0;
  std::vector<ComponentInfo> components;
  std::vector<Tensor> constants;
  std::vector<KernelAttrs> attrs;
  std::vector<RandomStream> randomStreams;
  std::vector<std::vector<ir::NamedAttribute>> kwargs;
  /// Native functions, by index, resolved in the registry (which outlives
  /// the VM).
  std::vector<const NativeFunction *> natives;
  std::vector<std::string> nativeNames;
  /// fieldIndex[fieldId * numComponents + component]: index of a state field
  /// in a component, -1 if it has none.
  std::vector<std::string> fieldNames;
  std::vector<int> fieldIndex;

  const uint32_t *ins(const Instr &i) const { return slotPool.data() + i.in; }
  const uint32_t *outs(const Instr &i) const { return slotPool.data() + i.out; }

  /// SHA-256 of the instruction array and pools (checked on resume).
  std::string hash() const;
  /// A readable dump, one instruction per line (tests, debugging).
  std::string dump() const;
};

} // namespace kiln::runtime
