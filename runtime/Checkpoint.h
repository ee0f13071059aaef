// Checkpoint: the file format that saves a VM at any step and resumes it in
// another process (byte layout in docs/checkpoint-format.md).
//
//   "KILNCKPT"  u32 version  u32 section count
//   then sections, each: u32 kind, u32 CRC-32C of the payload, u64 length,
//   payload. Sections, in order: program (entry + IR text + lowering hash +
//   source files),
//   values (tensor table), vm (step count + fiber tree of frames), components
//   (type + saveState() tensors), rng (stream counters).
//
// Reading never trusts the file: every length is checked against the bytes
// that remain before anything is allocated, every dtype, shape and byte count
// is checked, every CRC is verified, and errors name the section and what is
// wrong. The IR text is parsed and verified like any input by VM::restore,
// which also checks every pc and slot index against the re-lowered program.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/Component.h"
#include "runtime/VM.h"

namespace kiln::runtime {

inline constexpr char kCheckpointMagic[8] = {'K', 'I', 'L', 'N', 'C', 'K', 'P', 'T'};
/// Version 2 added the program's source files; version 3 counts program
/// steps (a step was an instruction before; 1 and 2 are refused, saying so).
inline constexpr uint32_t kCheckpointVersion = 3;

enum class SectionKind : uint32_t { Program = 1, Values = 2, VM = 3, Components = 4, Rng = 5 };
const char *sectionName(SectionKind k);

struct ComponentRecord {
  std::string name;     // symbol
  std::string typeName; // as declared in the IR (e.g. "Dataset.randn")
  std::vector<NamedTensor> state;
};

struct RngRecord {
  int64_t seed = 0, stream = 0;
  uint64_t counter = 0;
};

/// Everything a checkpoint holds, decoded (tensor references resolved).
struct CheckpointData {
  std::string entry;
  std::string irText;
  std::string programHash;
  VM::SourceFiles sources; // the program's files, for diagnostics
  int64_t steps = 0;        // program steps
  int64_t instructions = 0; // VM instructions
  bool done = false;
  Fiber root;
  std::vector<ComponentRecord> components;
  std::vector<RngRecord> rng;
};

/// Encodes `data` into the file format.
std::string serializeCheckpoint(const CheckpointData &data);
/// Decodes and structurally validates a checkpoint image.
std::optional<CheckpointData> parseCheckpoint(std::span<const uint8_t> bytes, std::string &error);
/// Reads `path` and parses it.
std::optional<CheckpointData> readCheckpoint(const std::string &path, std::string &error);
/// Writes `bytes` to `path` so that a crash leaves either the old or the new
/// file: temporary file in the same folder, fsync, rename, fsync the folder.
/// Errors read "cannot write WHAT PATH: ..." (`what` names the kind of file).
bool writeFileAtomically(const std::string &path, const std::string &bytes, std::string &error,
                         std::string_view what = "checkpoint");

} // namespace kiln::runtime
