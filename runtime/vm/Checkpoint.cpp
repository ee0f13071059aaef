// Checkpoint writing, reading and validation (format: docs/checkpoint-format.md).
#include "runtime/Checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "ir/FileRead.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "runtime/Registry.h"
#include "runtime/vm/Crc32c.h"

static_assert(std::endian::native == std::endian::little,
              "the checkpoint format is little-endian; add byte swapping for this host");

namespace kiln::runtime {

const char *sectionName(SectionKind k) {
  switch (k) {
  case SectionKind::Program: return "program";
  case SectionKind::Values: return "values";
  case SectionKind::VM: return "vm";
  case SectionKind::Components: return "components";
  case SectionKind::Rng: return "rng";
  }
  return "?";
}

namespace {

constexpr SectionKind kOrder[] = {SectionKind::Program, SectionKind::Values, SectionKind::VM,
                                  SectionKind::Components, SectionKind::Rng};
constexpr size_t kHeaderSize = 16;
constexpr size_t kSectionHeaderSize = 16;
/// Deeper weave nesting than this is refused (the fiber tree is decoded
/// recursively, and no verified program nests this deep).
constexpr unsigned kMaxFiberNesting = 256;
constexpr int64_t kMaxRank = 32;

enum SlotTag : uint8_t { kEmpty = 0, kTensorRef = 1, kHandle = 2 };

// ---- writing ----------------------------------------------------------------

class Writer {
public:
  std::string buf;
  template <class T> void put(T v) { buf.append(reinterpret_cast<const char *>(&v), sizeof(T)); }
  void str(const std::string &s) {
    put<uint64_t>(s.size());
    buf += s;
  }
  void tensor(const Tensor &t) {
    put<uint8_t>(static_cast<uint8_t>(t.dtype()));
    put<uint32_t>(static_cast<uint32_t>(t.rank()));
    for (int64_t d : t.shape())
      put<int64_t>(d);
    put<uint64_t>(t.nbytes());
    buf.append(static_cast<const char *>(t.raw()), t.nbytes());
  }
};

/// The tensors referenced from frames, each stored once even when several
/// slots (or weave children's copies of a frame) share it.
class ValueTable {
public:
  uint64_t add(const Tensor &t) {
    auto key = std::make_tuple(t.raw(), static_cast<int>(t.dtype()), t.shape());
    auto [it, fresh] = index_.try_emplace(key, tensors.size());
    if (fresh)
      tensors.push_back(t);
    return it->second;
  }
  std::vector<Tensor> tensors;

private:
  std::map<std::tuple<const void *, int, std::vector<int64_t>>, uint64_t> index_;
};

void writeFiber(Writer &w, ValueTable &vt, const Fiber &f) {
  w.put<uint8_t>(f.done);
  w.put<uint8_t>(f.weaving);
  w.put<uint8_t>(f.inStep);
  w.put<uint64_t>(f.steps);
  w.put<int32_t>(f.current);
  w.put<uint32_t>(f.nRequired);
  w.put<uint32_t>(f.nDone);
  w.put<uint32_t>(f.depth);
  for (uint32_t d = 0; d < f.depth; ++d) {
    const Frame &fr = f.frames[d];
    w.put<uint32_t>(fr.func);
    w.put<uint32_t>(fr.pc);
    w.put<uint64_t>(fr.slots.size());
    for (const Slot &s : fr.slots) {
      if (s.component >= 0) {
        w.put<uint8_t>(kHandle);
        w.put<uint64_t>(static_cast<uint64_t>(s.component));
      } else if (s.tensor.defined()) {
        w.put<uint8_t>(kTensorRef);
        w.put<uint64_t>(vt.add(s.tensor));
      } else {
        w.put<uint8_t>(kEmpty);
        w.put<uint64_t>(0);
      }
    }
    w.put<uint64_t>(fr.counters.size());
    for (int64_t c : fr.counters)
      w.put<int64_t>(c);
    w.put<uint64_t>(fr.buffers.size());
    for (const Tensor &b : fr.buffers) {
      w.put<uint8_t>(b.defined() ? kTensorRef : kEmpty);
      w.put<uint64_t>(b.defined() ? vt.add(b) : 0);
    }
  }
  w.put<uint64_t>(f.children.size());
  for (size_t k = 0; k < f.children.size(); ++k) {
    w.put<uint8_t>(f.childDone[k]);
    w.put<uint64_t>(f.finishedAt[k]);
    writeFiber(w, vt, f.children[k]);
  }
}

void section(Writer &out, SectionKind kind, const std::string &payload) {
  out.put<uint32_t>(static_cast<uint32_t>(kind));
  out.put<uint32_t>(crc32c(payload.data(), payload.size()));
  out.put<uint64_t>(payload.size());
  out.buf += payload;
}

// ---- reading ----------------------------------------------------------------

/// A bounds-checked cursor over one section's payload. The first failure
/// records a message; later reads return zeros.
class Reader {
public:
  Reader(const uint8_t *p, size_t n, const char *section) : p_(p), n_(n), section_(section) {}
  bool ok() const { return err_.empty(); }
  const std::string &error() const { return err_; }
  size_t remaining() const { return n_ - pos_; }
  bool fail(const std::string &msg) {
    if (err_.empty())
      err_ = std::string("section '") + section_ + "' at payload offset " +
             std::to_string(pos_) + ": " + msg;
    return false;
  }
  template <class T> T get(const char *what) {
    T v{};
    if (!ok())
      return v;
    if (remaining() < sizeof(T)) {
      fail(std::string("truncated while reading ") + what);
      return v;
    }
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  /// A count of items each at least `minBytes` long: refused when the rest
  /// of the payload cannot hold that many, before anything is allocated.
  uint64_t count(const char *what, size_t minBytes) {
    auto n = get<uint64_t>(what);
    if (ok() && minBytes && n > remaining() / minBytes) {
      fail(std::string(what) + " " + std::to_string(n) + " exceeds what the remaining " +
           std::to_string(remaining()) + " bytes can hold");
      return 0;
    }
    return ok() ? n : 0;
  }
  std::string str(const char *what) {
    uint64_t n = count(what, 1);
    if (!ok())
      return {};
    std::string s(reinterpret_cast<const char *>(p_ + pos_), n);
    pos_ += n;
    return s;
  }
  Tensor tensor(const char *what) {
    auto dt = get<uint8_t>(what);
    auto rank = get<uint32_t>(what);
    if (!ok())
      return {};
    if (dt > static_cast<uint8_t>(ir::ElemType::I1)) {
      fail(std::string(what) + ": unknown dtype code " + std::to_string(dt));
      return {};
    }
    if (rank > kMaxRank) {
      fail(std::string(what) + ": rank " + std::to_string(rank) + " is larger than " +
           std::to_string(kMaxRank));
      return {};
    }
    std::vector<int64_t> shape(rank);
    auto et = static_cast<ir::ElemType>(dt);
    uint64_t numel = 1;
    bool overflow = false;
    for (uint32_t i = 0; i < rank; ++i) {
      shape[i] = get<int64_t>(what);
      if (!ok())
        return {};
      if (shape[i] < 0) {
        fail(std::string(what) + ": negative dimension " + std::to_string(shape[i]));
        return {};
      }
      if (shape[i] && numel > (uint64_t(1) << 62) / uint64_t(shape[i]))
        overflow = true;
      numel *= uint64_t(shape[i]);
    }
    auto nbytes = get<uint64_t>(what);
    if (!ok())
      return {};
    if (overflow || numel > (uint64_t(1) << 60) || numel * ir::elemTypeSize(et) != nbytes) {
      fail(std::string(what) + ": shape " + ir::Type::shaped(et, shape).str() + " does not match " +
           std::to_string(nbytes) + " bytes of data");
      return {};
    }
    if (nbytes > remaining()) {
      fail(std::string(what) + ": " + std::to_string(nbytes) + " bytes of data but only " +
           std::to_string(remaining()) + " remain");
      return {};
    }
    Tensor t = Tensor::empty(et, shape);
    if (nbytes)
      std::memcpy(t.raw(), p_ + pos_, nbytes);
    pos_ += nbytes;
    if (et == ir::ElemType::I1) {
      auto *b = static_cast<uint8_t *>(t.raw());
      for (uint64_t i = 0; i < numel; ++i)
        if (b[i] > 1) {
          fail(std::string(what) + ": i1 element " + std::to_string(i) + " is not 0 or 1");
          return {};
        }
    }
    return t;
  }
  bool finish() {
    if (ok() && remaining())
      fail(std::to_string(remaining()) + " unexpected bytes at the end");
    return ok();
  }

private:
  const uint8_t *p_;
  size_t n_;
  size_t pos_ = 0;
  const char *section_;
  std::string err_;
};

bool readFiber(Reader &r, const std::vector<Tensor> &values, Fiber &f, unsigned nesting) {
  if (nesting > kMaxFiberNesting)
    return r.fail("weave nesting deeper than " + std::to_string(kMaxFiberNesting));
  f.done = r.get<uint8_t>("fiber flags") != 0;
  f.weaving = r.get<uint8_t>("fiber flags") != 0;
  f.inStep = r.get<uint8_t>("fiber flags") != 0;
  f.steps = r.get<uint64_t>("fiber step count");
  f.current = r.get<int32_t>("fiber");
  f.nRequired = r.get<uint32_t>("fiber");
  f.nDone = r.get<uint32_t>("fiber");
  f.depth = r.get<uint32_t>("fiber depth");
  if (!r.ok())
    return false;
  // A frame takes at least 32 bytes (func, pc, three counts).
  if (f.depth > r.remaining() / 32)
    return r.fail("frame count " + std::to_string(f.depth) + " exceeds the remaining bytes");
  f.frames.resize(f.depth);
  auto ref = [&](const char *what) -> std::optional<Tensor> {
    auto idx = r.get<uint64_t>(what);
    if (!r.ok())
      return std::nullopt;
    if (idx >= values.size()) {
      r.fail(std::string(what) + " refers to value " + std::to_string(idx) + " of " +
             std::to_string(values.size()));
      return std::nullopt;
    }
    return values[idx];
  };
  for (Frame &fr : f.frames) {
    fr.func = r.get<uint32_t>("frame func");
    fr.pc = r.get<uint32_t>("frame pc");
    uint64_t ns = r.count("slot count", 9);
    fr.slots.resize(ns);
    for (Slot &s : fr.slots) {
      auto tag = r.get<uint8_t>("slot tag");
      if (tag == kTensorRef) {
        auto t = ref("slot");
        if (!t)
          return false;
        s.tensor = *t;
      } else if (tag == kHandle) {
        auto c = r.get<uint64_t>("slot component");
        if (c > uint64_t(INT32_MAX))
          return r.fail("component index " + std::to_string(c) + " out of range");
        s.component = static_cast<int32_t>(c);
      } else if (tag == kEmpty) {
        r.get<uint64_t>("slot");
      } else {
        return r.fail("unknown slot tag " + std::to_string(tag));
      }
    }
    uint64_t nc = r.count("counter count", 8);
    fr.counters.resize(nc);
    for (int64_t &c : fr.counters)
      c = r.get<int64_t>("counter");
    uint64_t nb = r.count("buffer count", 9);
    fr.buffers.resize(nb);
    for (Tensor &b : fr.buffers) {
      auto tag = r.get<uint8_t>("buffer tag");
      if (tag == kTensorRef) {
        auto t = ref("buffer");
        if (!t)
          return false;
        b = t->copy(); // written in place when the run continues
      } else if (tag == kEmpty) {
        r.get<uint64_t>("buffer");
      } else {
        return r.fail("unknown buffer tag " + std::to_string(tag));
      }
    }
    if (!r.ok())
      return false;
  }
  // A child takes at least 1 + 8 + its fiber's 31 bytes (flags, counts, depth).
  uint64_t nch = r.count("child count", 40);
  f.children.resize(nch);
  f.childDone.resize(nch);
  f.finishedAt.resize(nch);
  for (size_t k = 0; k < nch; ++k) {
    f.childDone[k] = r.get<uint8_t>("child done");
    f.finishedAt[k] = r.get<uint64_t>("child finish");
    if (!r.ok() || !readFiber(r, values, f.children[k], nesting + 1))
      return false;
  }
  return r.ok();
}

} // namespace

std::string serializeCheckpoint(const CheckpointData &d) {
  Writer prog;
  prog.str(d.entry);
  prog.str(d.irText);
  prog.str(d.programHash);
  prog.put<uint64_t>(d.sources.size());
  for (const auto &[name, text] : d.sources) {
    prog.str(name);
    prog.str(text);
  }

  ValueTable vt;
  Writer vm;
  vm.put<int64_t>(d.steps);
  vm.put<int64_t>(d.instructions);
  vm.put<uint8_t>(d.done);
  writeFiber(vm, vt, d.root);

  Writer vals;
  vals.put<uint64_t>(vt.tensors.size());
  for (const Tensor &t : vt.tensors)
    vals.tensor(t);

  Writer comps;
  comps.put<uint64_t>(d.components.size());
  for (const ComponentRecord &c : d.components) {
    comps.str(c.name);
    comps.str(c.typeName);
    comps.put<uint64_t>(c.state.size());
    for (const NamedTensor &t : c.state) {
      comps.str(t.name);
      comps.tensor(t.value);
    }
  }

  Writer rng;
  rng.put<uint64_t>(d.rng.size());
  for (const RngRecord &r : d.rng) {
    rng.put<int64_t>(r.seed);
    rng.put<int64_t>(r.stream);
    rng.put<uint64_t>(r.counter);
  }

  Writer out;
  out.buf.append(kCheckpointMagic, 8);
  out.put<uint32_t>(kCheckpointVersion);
  out.put<uint32_t>(5);
  section(out, SectionKind::Program, prog.buf);
  section(out, SectionKind::Values, vals.buf);
  section(out, SectionKind::VM, vm.buf);
  section(out, SectionKind::Components, comps.buf);
  section(out, SectionKind::Rng, rng.buf);
  return std::move(out.buf);
}

std::optional<CheckpointData> parseCheckpoint(std::span<const uint8_t> bytes,
                                              std::string &error) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kCheckpointMagic, 8) != 0) {
    error = "not a kiln checkpoint (bad magic)";
    return std::nullopt;
  }
  uint32_t version, nsec;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&nsec, bytes.data() + 12, 4);
  if (version == 1 || version == 2) {
    error = "checkpoint format version " + std::to_string(version) +
            " was written by a kiln whose steps were VM instructions; this kiln counts "
            "program steps (format " + std::to_string(kCheckpointVersion) +
            ") and cannot continue it: run the program again";
    return std::nullopt;
  }
  if (version != kCheckpointVersion) {
    error = "unsupported checkpoint format version " + std::to_string(version) +
            " (this kiln reads version " + std::to_string(kCheckpointVersion) + ")";
    return std::nullopt;
  }
  if (nsec != std::size(kOrder)) {
    error = "header: " + std::to_string(nsec) + " sections, expected " +
            std::to_string(std::size(kOrder));
    return std::nullopt;
  }
  std::span<const uint8_t> payload[std::size(kOrder)];
  size_t pos = kHeaderSize;
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    const char *name = sectionName(kOrder[i]);
    if (bytes.size() - pos < kSectionHeaderSize) {
      error = std::string("section '") + name + "': file truncated at offset " +
              std::to_string(pos) + " (section header missing)";
      return std::nullopt;
    }
    uint32_t kind, crc;
    uint64_t len;
    std::memcpy(&kind, bytes.data() + pos, 4);
    std::memcpy(&crc, bytes.data() + pos + 4, 4);
    std::memcpy(&len, bytes.data() + pos + 8, 8);
    pos += kSectionHeaderSize;
    if (kind != static_cast<uint32_t>(kOrder[i])) {
      error = std::string("section '") + name + "': found section kind " +
              std::to_string(kind) + " at offset " + std::to_string(pos - kSectionHeaderSize);
      return std::nullopt;
    }
    if (len > bytes.size() - pos) {
      error = std::string("section '") + name + "': length " + std::to_string(len) +
              " exceeds the " + std::to_string(bytes.size() - pos) +
              " bytes left in the file (truncated or corrupt)";
      return std::nullopt;
    }
    payload[i] = bytes.subspan(pos, len);
    if (crc32c(payload[i].data(), payload[i].size()) != crc) {
      error = std::string("section '") + name + "': CRC-32C mismatch (corrupt data)";
      return std::nullopt;
    }
    pos += len;
  }
  if (pos != bytes.size()) {
    error = std::to_string(bytes.size() - pos) + " unexpected bytes after the last section";
    return std::nullopt;
  }

  CheckpointData d;
  auto done = [&](Reader &r) {
    if (r.finish())
      return true;
    error = r.error();
    return false;
  };
  {
    Reader r(payload[0].data(), payload[0].size(), "program");
    d.entry = r.str("entry name");
    d.irText = r.str("IR text");
    d.programHash = r.str("program hash");
    uint64_t n = r.count("source file count", 16);
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string name = r.str("source file name");
      std::string text = r.str("source file text");
      d.sources.emplace_back(std::move(name), std::move(text));
    }
    if (!done(r))
      return std::nullopt;
  }
  std::vector<Tensor> values;
  {
    Reader r(payload[1].data(), payload[1].size(), "values");
    uint64_t n = r.count("value count", 13);
    values.reserve(n);
    for (uint64_t i = 0; i < n && r.ok(); ++i)
      values.push_back(r.tensor("value"));
    if (!done(r))
      return std::nullopt;
  }
  {
    Reader r(payload[2].data(), payload[2].size(), "vm");
    d.steps = r.get<int64_t>("step count");
    d.instructions = r.get<int64_t>("instruction count");
    d.done = r.get<uint8_t>("status") != 0;
    if (r.ok() && (d.steps < 0 || d.steps > kMaxSavedCount))
      r.fail("step count " + std::to_string(d.steps) + " is outside [0, 2^62]");
    if (r.ok() && (d.instructions < 0 || d.instructions > kMaxSavedCount))
      r.fail("instruction count " + std::to_string(d.instructions) + " is outside [0, 2^62]");
    if (r.ok())
      readFiber(r, values, d.root, 0);
    if (!done(r))
      return std::nullopt;
  }
  {
    Reader r(payload[3].data(), payload[3].size(), "components");
    uint64_t n = r.count("component count", 24);
    d.components.resize(n);
    for (ComponentRecord &c : d.components) {
      c.name = r.str("component name");
      c.typeName = r.str("component type");
      uint64_t nt = r.count("state tensor count", 21);
      c.state.resize(nt);
      for (NamedTensor &t : c.state) {
        t.name = r.str("state tensor name");
        t.value = r.tensor(("state of @" + c.name).c_str());
      }
      if (!r.ok())
        break;
    }
    if (!done(r))
      return std::nullopt;
  }
  {
    Reader r(payload[4].data(), payload[4].size(), "rng");
    uint64_t n = r.count("stream count", 24);
    d.rng.resize(n);
    for (RngRecord &x : d.rng) {
      x.seed = r.get<int64_t>("seed");
      x.stream = r.get<int64_t>("stream");
      x.counter = r.get<uint64_t>("counter");
      if (r.ok() && x.counter > uint64_t(kMaxSavedCount))
        r.fail("counter " + std::to_string(x.counter) + " is outside [0, 2^62]");
    }
    if (!done(r))
      return std::nullopt;
  }
  return d;
}

// A bound for a file that grows while it is read (a checkpoint's size is
// otherwise the file's own).
constexpr size_t kMaxCheckpointBytes = size_t(64) << 30;

std::optional<CheckpointData> readCheckpoint(const std::string &path, std::string &error) {
  // A checkpoint is a file kiln wrote; a FIFO or a device (/dev/zero) could
  // block or feed bytes without end (ir/FileRead.h).
  std::string bytes;
  if (!ir::readFile(path, bytes, error, {.maxBytes = kMaxCheckpointBytes}))
    return std::nullopt;
  auto d = parseCheckpoint(
      std::span(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()), error);
  if (!d)
    error = path + ": " + error;
  return d;
}

bool writeFileAtomically(const std::string &path, const std::string &bytes, std::string &error,
                         std::string_view what) {
  const std::string target = std::string(what) + " " + path;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  auto sysErr = [&](const std::string &step) {
    error = "cannot write " + target + ": " + step + ": " + std::strerror(errno);
    return false;
  };
  // Only a regular file (or nothing) is replaced: `--save /dev/sda` or a
  // FIFO is refused. A symlink is replaced by the new file (rename does not
  // follow it), unless it points to something other than a regular file.
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    error = "cannot write " + target + ": it exists and is not a regular file";
    return false;
  }
  // The temporary is created, never opened: O_EXCL|O_NOFOLLOW, so a symlink
  // or a hard link planted at its name is not written through (it would
  // overwrite an unrelated file); a taken name moves on to the next one.
  std::string tmp;
  int fd = -1;
  for (unsigned attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(attempt);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
      return sysErr("create " + tmp);
  }
  if (fd < 0)
    return sysErr("create " + tmp);
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      sysErr("write");
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += size_t(n);
  }
  if (::fsync(fd) != 0) {
    sysErr("fsync");
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    sysErr("rename");
    ::unlink(tmp.c_str());
    return false;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

// ---- VM <-> checkpoint ---------------------------------------------------------

CheckpointData VM::snapshot() const {
  CheckpointData d;
  d.entry = entryName();
  ir::PrintOptions po;
  po.printLocations = true;
  d.irText = ir::printModule(*program_->module, po);
  d.programHash = program_->hash();
  d.sources = sourceFiles();
  d.steps = steps_;
  d.instructions = instructions_;
  d.done = status_ == Status::Done;
  d.root = root_;
  for (size_t i = 0; i < components_.size(); ++i)
    d.components.push_back({program_->components[i].name, program_->components[i].typeName,
                            components_[i]->saveState()});
  for (size_t i = 0; i < rng_.size(); ++i)
    d.rng.push_back({program_->randomStreams[i].seed, program_->randomStreams[i].stream, rng_[i]});
  return d;
}

bool VM::save(const std::string &path, std::string &error) const {
  if (status_ == Status::Error) {
    error = "cannot save a VM stopped by an error";
    return false;
  }
  return writeFileAtomically(path, serializeCheckpoint(snapshot()), error);
}

namespace {

/// Checks a restored fiber tree against the program: every frame's func,
/// pc, slot/counter/buffer counts and value types; weave bookkeeping.
class StateValidator {
public:
  StateValidator(const Program &p, size_t numComponents) : p_(p), nc_(numComponents) {
    // Which func owns each pc, and which pcs are inside an interpreted fused
    // body (never a resting point between steps).
    inFused_.assign(p.code.size(), 0);
    for (size_t pc = 0; pc < p.code.size(); ++pc)
      if (p.code[pc].opcode == Opcode::Fused)
        for (uint32_t q = uint32_t(pc) + 1; q <= p.code[pc].a && q < p.code.size(); ++q)
          inFused_[q] = 1;
    // The trip count of each loop counter: a saved counter beyond it (or
    // negative) would make the loop run on for up to 2^63 iterations.
    counterBound_.resize(p.funcs.size());
    for (size_t f = 0; f < p.funcs.size(); ++f) {
      const FuncInfo &fi = p.funcs[f];
      counterBound_[f].assign(fi.numCounters, 0);
      for (uint32_t pc = fi.entry; pc < fi.end && pc < p.code.size(); ++pc) {
        const Instr &I = p.code[pc];
        if ((I.opcode == Opcode::RepeatInit || I.opcode == Opcode::BufferInit) &&
            I.b < fi.numCounters)
          counterBound_[f][I.b] = std::max(counterBound_[f][I.b], I.imm);
      }
    }
  }

  bool fiber(const Fiber &f, bool isRoot, std::string &err, const char *where) {
    std::string at = where;
    if (f.depth == 0 || f.depth > VM::kMaxCallDepth || f.frames.size() != f.depth)
      return bad(err, at + ": bad frame count " + std::to_string(f.depth));
    for (uint32_t d = 0; d < f.depth; ++d) {
      const Frame &fr = f.frames[d];
      std::string fat = at + " frame " + std::to_string(d);
      if (fr.func >= p_.funcs.size())
        return bad(err, fat + ": function index " + std::to_string(fr.func) + " out of range");
      const FuncInfo &fi = p_.funcs[fr.func];
      if (fr.pc < fi.entry || fr.pc >= fi.end || inFused_[fr.pc])
        return bad(err, fat + ": pc " + std::to_string(fr.pc) + " is not a position in @" +
                            fi.name);
      if (isRoot && d == 0 && fr.func != p_.entryFunc)
        return bad(err, fat + ": the bottom frame is not the entry function");
      if (d + 1 < f.depth) {
        const Instr &c = p_.code[fr.pc];
        if (c.opcode != Opcode::Call || c.a != f.frames[d + 1].func)
          return bad(err, fat + ": pc " + std::to_string(fr.pc) + " is not a call of the next frame");
      }
      if (fr.slots.size() != fi.numSlots || fr.counters.size() != fi.numCounters ||
          fr.buffers.size() != fi.numBuffers)
        return bad(err, fat + ": slot, counter or buffer count does not match @" + fi.name);
      for (size_t k = 0; k < fr.counters.size(); ++k)
        if (fr.counters[k] < 0 || fr.counters[k] > counterBound_[fr.func][k])
          return bad(err, fat + ": loop counter " + std::to_string(k) + " is " +
                              std::to_string(fr.counters[k]) + ", outside [0, " +
                              std::to_string(counterBound_[fr.func][k]) + "]");
      for (size_t s = 0; s < fr.slots.size(); ++s) {
        const Slot &sl = fr.slots[s];
        const ir::Type &t = fi.slotTypes[s];
        if (sl.component >= 0) {
          if (size_t(sl.component) >= nc_ || !t.isComponent())
            return bad(err, fat + ": slot " + std::to_string(s) + " holds an invalid handle");
        } else if (sl.tensor.defined() && !fits(sl.tensor, t)) {
          return bad(err, fat + ": slot " + std::to_string(s) + " holds " +
                              sl.tensor.type().str() + ", declared " + t.str());
        }
      }
      for (size_t b = 0; b < fr.buffers.size(); ++b) {
        const Tensor &buf = fr.buffers[b];
        if (!buf.defined())
          continue;
        const Instr &bn = p_.code[fi.bufferInstr[b]];
        if (!fits(buf, p_.typePool[bn.types]) || buf.dim(0) != bn.imm)
          return bad(err, fat + ": buffer " + std::to_string(b) + " is " + buf.type().str() +
                              ", declared " + p_.typePool[bn.types].str());
      }
    }
    const Instr &top = p_.code[f.frames[f.depth - 1].pc];
    if (f.steps > uint64_t(kMaxSavedCount) || (f.inStep && f.steps == 0))
      return bad(err, at + ": step count " + std::to_string(f.steps) + " is inconsistent");
    if (f.weaving) {
      if (top.opcode != Opcode::Weave || f.children.size() != top.b ||
          f.childDone.size() != top.b || f.finishedAt.size() != top.b ||
          f.nRequired != top.imm || f.nRequired == 0 || f.nDone >= f.nRequired ||
          f.current < -1 || f.current >= int64_t(top.b))
        return bad(err, at + ": weave state does not match the weave at pc " +
                            std::to_string(f.frames[f.depth - 1].pc));
      uint32_t counted = 0;
      uint64_t childSteps = 0;
      for (size_t k = 0; k < f.children.size(); ++k) {
        const Fiber &c = f.children[k];
        uint8_t state = f.childDone[k];
        bool isCurrent = f.current == int64_t(k);
        // A running child is not done, and only the current one is inside
        // a step (with its parent); a finished child's finish lies at or
        // before its step count.
        if (state > 2 || (state == 0) == c.done || (isCurrent && state != 0) ||
            (isCurrent ? c.inStep != f.inStep : c.inStep) ||
            (state != 0 && (f.finishedAt[k] > c.steps ||
                            (c.steps > 0 && f.finishedAt[k] + 1 < c.steps))) ||
            (state == 0 && f.finishedAt[k] != 0))
          return bad(err, at + ": weave child bookkeeping is inconsistent");
        counted += state == 2 ? 1 : 0;
        if (!fiber(c, false, err, (at + " child " + std::to_string(k)).c_str()))
          return false;
        if (c.frames[0].func != f.frames[f.depth - 1].func)
          return bad(err, at + ": weave child runs another function");
        childSteps += c.steps; // both <= f.steps <= 2^62: no overflow
        if (childSteps > f.steps)
          return bad(err, at + ": the children's step counts exceed the weave's");
      }
      if (counted != f.nDone)
        return bad(err, at + ": weave done count is inconsistent");
    } else if (!f.children.empty() || f.current != -1) {
      return bad(err, at + ": children without a weave");
    }
    return true;
  }

private:
  static bool bad(std::string &err, std::string msg) {
    err = "section 'vm': " + std::move(msg);
    return false;
  }
  static bool fits(const Tensor &t, const ir::Type &want) {
    if (!want.isNumeric() || t.dtype() != want.elem() || t.rank() != want.rank())
      return false;
    for (int64_t d = 0; d < want.rank(); ++d)
      if (want.dim(d) != ir::kDynamic && want.dim(d) != t.dim(d))
        return false;
    return true;
  }
  const Program &p_;
  size_t nc_;
  std::vector<uint8_t> inFused_;
  std::vector<std::vector<int64_t>> counterBound_; // per func, per counter
};

} // namespace

std::unique_ptr<VM> VM::restore(const CheckpointData &d, const Registry &registry,
                                std::string &error, DataFiles files) {
  // The IR is parsed and verified like any user input.
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto module = ir::parseModule(d.irText, "<checkpoint>", sources, diag);
  if (!module || !ir::verifyModule(*module, diag)) {
    error = "section 'program': the stored IR is invalid:\n" + diag.str();
    return nullptr;
  }
  auto vm = VM::create(std::shared_ptr<const ir::Module>(std::move(module)), registry, diag,
                       d.entry, files);
  if (!vm) {
    error = "section 'program': cannot instantiate the stored program:\n" + diag.str();
    return nullptr;
  }
  if (vm->program_->hash() != d.programHash) {
    error = "section 'program': the program lowers differently in this kiln (hash mismatch); "
            "the checkpoint was written by an incompatible version";
    return nullptr;
  }
  if (d.components.size() != vm->components_.size()) {
    error = "section 'components': " + std::to_string(d.components.size()) +
            " components, the program declares " + std::to_string(vm->components_.size());
    return nullptr;
  }
  for (size_t i = 0; i < d.components.size(); ++i) {
    const ComponentRecord &c = d.components[i];
    const ComponentInfo &ci = vm->program_->components[i];
    if (c.name != ci.name || c.typeName != ci.typeName) {
      error = "section 'components': component " + std::to_string(i) + " is @" + c.name + " (" +
              c.typeName + "), the program declares @" + ci.name + " (" + ci.typeName + ")";
      return nullptr;
    }
    std::string why;
    if (!vm->components_[i]->loadState(c.state, why)) {
      error = "section 'components': @" + c.name + ": " + why;
      return nullptr;
    }
  }
  const auto &streams = vm->program_->randomStreams;
  if (d.rng.size() != streams.size()) {
    error = "section 'rng': " + std::to_string(d.rng.size()) + " streams, the program has " +
            std::to_string(streams.size());
    return nullptr;
  }
  for (size_t i = 0; i < streams.size(); ++i) {
    if (d.rng[i].seed != streams[i].seed || d.rng[i].stream != streams[i].stream) {
      error = "section 'rng': stream " + std::to_string(i) + " has the wrong key";
      return nullptr;
    }
    vm->rng_[i] = d.rng[i].counter;
  }
  StateValidator check(*vm->program_, vm->components_.size());
  if (!check.fiber(d.root, true, error, "root fiber"))
    return nullptr;
  if (d.done != d.root.done) {
    error = "section 'vm': status and fiber state disagree";
    return nullptr;
  }
  if (d.root.steps != uint64_t(d.steps)) {
    error = "section 'vm': the root fiber's step count " + std::to_string(d.root.steps) +
            " differs from the VM's " + std::to_string(d.steps);
    return nullptr;
  }
  vm->root_ = d.root;
  vm->setSourceFiles(d.sources);
  vm->steps_ = d.steps;
  vm->instructions_ = d.instructions;
  vm->status_ = d.done ? Status::Done : Status::Running;
  return vm;
}

std::unique_ptr<VM> VM::load(const std::string &path, const Registry &registry,
                             std::string &error, DataFiles files) {
  auto d = readCheckpoint(path, error);
  if (!d)
    return nullptr;
  auto vm = restore(*d, registry, error, files);
  if (!vm)
    error = path + ": " + error;
  return vm;
}

} // namespace kiln::runtime
