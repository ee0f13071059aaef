// OpKind: the enum of operations and their static descriptions, generated
// from the one op table (ir/Ops.def).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace kiln::ir {

class Operation;
class DiagnosticEngine;

enum class OpKind : uint16_t {
#define OP(Enum, ...) Enum,
#include "ir/Ops.def"
};

inline constexpr unsigned kNumOpKinds = 0
#define OP(...) +1
#include "ir/Ops.def"
    ;

/// Op traits (bit flags), see ir/Ops.def.
enum OpTrait : uint32_t {
  kPure = 1u << 0,         // no side effects: may be CSE'd, hoisted, deleted if unused
  kTerminator = 1u << 1,   // must end its region
  kElementwise = 1u << 2,  // result[i] depends only on operands[i] (after broadcasting)
  kBroadcast = 1u << 3,    // operands broadcast numpy-style
  kCommutative = 1u << 4,  // binary op with a op b == b op a
  kIsolated = 1u << 5,     // regions may not use values defined outside them
  kCustom = 1u << 6,       // hand-written textual format
  kSymbol = 1u << 7,       // defines the symbol in attribute sym_name
  kControlFlow = 1u << 8,  // structured control flow over its regions
  kReduction = 1u << 9,    // reduces along an axis
  kRandom = 1u << 10,      // draws from a counter-based random stream
  kStateRead = 1u << 11,   // reads component state
  kStateWrite = 1u << 12,  // writes component state
  kTensorMath = 1u << 13,  // tensor math the compiler may inline, fuse and JIT
  kCall = 1u << 14,        // calls a symbol in attribute callee
  kStepBoundary = 1u << 15, // a program step begins: other WEAVE children may run first
};

/// Verifies the op-specific rules of one op (types, shapes, attributes).
/// Reports problems to `diag` at the op's location and returns false.
using OpVerifyFn = bool (*)(const Operation &op, DiagnosticEngine &diag);

struct OpInfo {
  OpKind kind;
  std::string_view mnemonic;
  int numOperands; // -1: any
  int numResults;  // -1: any
  int numRegions;  // -1: any
  uint32_t traits;
  std::string_view format; // see ir/Ops.def
  OpVerifyFn verify;
  std::string_view summary;
  std::string_view example;

  bool has(OpTrait t) const { return (traits & t) != 0; }
};

const OpInfo &opInfo(OpKind kind);
/// All ops, in table order.
std::span<const OpInfo> allOps();
std::optional<OpKind> lookupOpKind(std::string_view mnemonic);
inline std::string_view mnemonic(OpKind k) { return opInfo(k).mnemonic; }
/// The space-separated directives of a Format column ("sym:callee (operands)"
/// -> {"sym:callee", "(operands)"}), shared by the printer and the parser.
std::vector<std::string_view> formatDirectives(std::string_view format);

} // namespace kiln::ir
