// Checkpoint tests: save at cut points (inside buffer_repeat, weave, while,
// calls), load, continue == uninterrupted bitwise; corrupt, truncated and
// hostile files are refused with a message, never a crash.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>

#include "runtime/Checkpoint.h"
#include "runtime/components/Builtins.h"
#include "runtime/vm/Crc32c.h"
#include "runtime/vm/Sha256.h"
#include "tests/unit/runtime/vm/VMTestUtil.h"

namespace kiln::runtime::vmtest {
namespace {

// Exercises every stateful construct: buffer_repeat (partial buffer), weave
// (fiber tree), while, a call frame, random streams, component fields.
const char *kProgram = R"(module @m {
  component @rec : Recorder {}
  component @aux : Recorder {}
  func @step(%x: f32[4, 1]) -> (f32) {
    %n = random_normal {seed = 11, stream = 2} : f32[4, 1]
    %s = add %x, %n : f32[4, 1]
    %t = reduce_sum %s : f32
    return %t
  }
  func @main() {
    while {
      %c = call @rec.below() {n = 12} : i1
      yield %c
    } {
      weave 2 {
        %0 = buffer_repeat 4 : f32[4, 1] {
          %1 = call @rec.next() : f32[1]
          yield %1
        }
        %t = call @step(%0) : f32
        call @rec.record(%t)
        yield
      } {
        repeat 3 {
          %u = random_uniform {seed = 3, stream = 1} : f32
          call @aux.record(%u)
          yield
        }
        yield
      }
      %h = component_ref @aux : !Recorder
      %w = state_load %h {field = "w"} : f32[2]
      %one = constant 0.25 : f32[2]
      %w2 = add %w, %one : f32[2]
      state_store %h, %w2 {field = "w"}
      yield
    }
  }
})";

class Checkpoints : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kiln_vm_ckpt_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string &name) { return (dir_ / name).string(); }

  Registry reg = testRegistry();
  std::filesystem::path dir_;
};

TEST_F(Checkpoints, SaveLoadContinueIsBitwiseIdenticalAtEveryCutPoint) {
  auto ref = makeVM(kProgram, reg);
  ASSERT_TRUE(ref);
  ref->run(1 << 20);
  ASSERT_TRUE(ref->done()) << ref->error().message;
  int64_t total = ref->instructionCount();
  ASSERT_GT(total, 100);
  ASSERT_GT(ref->stepCount(), 20);
  // Cut after every instruction of the first two while iterations (inside
  // buffer_repeat, weave turns, the call: also inside program steps) and a
  // spread of later ones; then at every program step boundary.
  std::vector<int64_t> cuts;
  for (int64_t c = 0; c < 60; ++c)
    cuts.push_back(c);
  for (int64_t c = 60; c <= total; c += 37)
    cuts.push_back(c);
  cuts.push_back(total);
  auto check = [&](const std::string &what, const std::function<void(VM &)> &cutAt,
                   int64_t wantSteps, int64_t wantInstructions) {
    auto a = makeVM(kProgram, reg);
    cutAt(*a);
    std::string err;
    ASSERT_TRUE(a->save(path("c.ckpt"), err)) << err;
    auto b = VM::load(path("c.ckpt"), reg, err);
    ASSERT_TRUE(b) << what << ": " << err;
    if (wantSteps >= 0) {
      EXPECT_EQ(b->stepCount(), wantSteps) << what;
    }
    if (wantInstructions >= 0) {
      EXPECT_EQ(b->instructionCount(), wantInstructions) << what;
    }
    EXPECT_EQ(b->atStepBoundary(), a->atStepBoundary()) << what;
    b->run(1 << 20);
    std::string why;
    ASSERT_TRUE(sameState(*ref, *b, &why)) << what << ": " << why;
    EXPECT_EQ(b->stepCount(), ref->stepCount()) << what;
    EXPECT_EQ(b->instructionCount(), ref->instructionCount()) << what;
  };
  for (int64_t cut : cuts)
    check("instruction " + std::to_string(cut), [&](VM &vm) { vm.run(kMaxSavedCount, cut); },
          -1, cut);
  for (int64_t cut = 0; cut <= ref->stepCount(); ++cut)
    check("step " + std::to_string(cut), [&](VM &vm) { vm.run(cut); }, cut, -1);
}

TEST_F(Checkpoints, ChainedSavesMatchOneRun) {
  auto ref = makeVM(kProgram, reg);
  ref->run(1 << 20);
  auto vm = makeVM(kProgram, reg);
  std::string err;
  while (!vm->done()) {
    vm->run(13);
    ASSERT_TRUE(vm->save(path("chain.ckpt"), err)) << err;
    vm = VM::load(path("chain.ckpt"), reg, err);
    ASSERT_TRUE(vm) << err;
  }
  std::string why;
  EXPECT_TRUE(sameState(*ref, *vm, &why)) << why;
}

TEST_F(Checkpoints, SaveReplacesAtomicallyAndLeavesNoTemporaryFile) {
  auto vm = makeVM(kProgram, reg);
  std::string err;
  ASSERT_TRUE(vm->save(path("a.ckpt"), err));
  vm->run(10);
  ASSERT_TRUE(vm->save(path("a.ckpt"), err));
  size_t files = 0;
  for (auto &e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  auto b = VM::load(path("a.ckpt"), reg, err);
  ASSERT_TRUE(b) << err;
  EXPECT_EQ(b->stepCount(), 10);
  EXPECT_FALSE(vm->save(path("no/such/dir/x.ckpt"), err));
  EXPECT_NE(err.find("cannot write checkpoint"), std::string::npos);
}

// The `checkpoint` native (runtime/components/CheckpointCall.cpp): the VM
// saves itself right after the call, in a weave child (advance()) and at the
// root (run()'s fast path); each file holds the step count of its name,
// and loaded and continued ends as one run; keep=2 leaves the call's last
// two files and a file it did not write.
TEST_F(Checkpoints, ProgramCheckpointsResumeAfterTheCallAndKeepTheLastFiles) {
  registerCheckpointFunction(reg);
  const std::string program = R"(module @m {
  component @rec : Recorder {}
  func @checkpoint() attributes {native = true}
  func @main() {
    weave 1 {
      repeat 6 {
        call @rec.tick()
        call @rec.record() {v = 1.0}
        yield
      }
      yield
    } {
      loop {
        call @rec.tick()
        call @checkpoint() {path = ")" + path("c_{step}.ckpt") + R"(", keep = 2}
        yield
      }
      yield
    }
    call @rec.record() {v = 2.0}
    call @checkpoint() {path = ")" + path("end_{step}.ckpt") + R"("}
    call @rec.tick()
  }
})";
  std::ofstream(path("c_0.ckpt")) << "not written by the program\n";
  auto ref = makeVM(program, reg);
  ASSERT_TRUE(ref);
  ref->run(1 << 20);
  ASSERT_TRUE(ref->done()) << ref->error().message;
  std::vector<int64_t> steps;
  bool other = false, end = false;
  for (auto &e : std::filesystem::directory_iterator(dir_)) {
    std::string name = e.path().filename().string();
    if (name == "c_0.ckpt") {
      other = true;
      continue;
    }
    ASSERT_EQ(name.substr(name.size() - 5), ".ckpt") << name;
    const bool atEnd = name.rfind("end_", 0) == 0;
    end |= atEnd;
    const int64_t n = std::stoll(name.substr(atEnd ? 4 : 2));
    if (!atEnd)
      steps.push_back(n);
    std::string err;
    auto vm = VM::load(e.path().string(), reg, err);
    ASSERT_TRUE(vm) << err;
    EXPECT_EQ(vm->stepCount(), n) << name;
    EXPECT_FALSE(vm->atStepBoundary()) << name; // right after the call, inside its step
    vm->run(1 << 20);
    std::string why;
    // Same steps (a repeated call would add one), state and trace as one run.
    EXPECT_TRUE(sameState(*ref, *vm, &why)) << name << ": " << why;
    EXPECT_EQ(rec(*vm).trace_.size(), rec(*ref).trace_.size()) << name;
  }
  EXPECT_TRUE(other) << "a file the program did not write was deleted";
  EXPECT_TRUE(end);
  ASSERT_EQ(steps.size(), 2u) << "keep=2";
  std::sort(steps.begin(), steps.end());
  // The loop child checkpoints at its steps 2, 4, ..., 10 (the weave ends
  // before its 12th), global steps 4, 8, ..., 20: the last two stay.
  EXPECT_EQ(steps, (std::vector<int64_t>{16, 20}));
}

std::vector<uint8_t> bytesOf(const std::string &s) { return {s.begin(), s.end()}; }

/// Section boundaries of a well-formed image: header end, each section's
/// header and payload start, file end.
std::vector<size_t> boundaries(const std::vector<uint8_t> &b) {
  std::vector<size_t> out{0, 8, 12, 16};
  size_t pos = 16;
  while (pos + 16 <= b.size()) {
    uint64_t len;
    std::memcpy(&len, b.data() + pos + 8, 8);
    out.push_back(pos + 4);
    out.push_back(pos + 8);
    out.push_back(pos + 16);
    pos += 16 + len;
    out.push_back(pos);
  }
  return out;
}

class CorruptCheckpoints : public Checkpoints {
protected:
  void SetUp() override {
    Checkpoints::SetUp();
    auto vm = makeVM(kProgram, reg);
    vm->run(kMaxSavedCount, 23); // 23 instructions: inside a weave and a buffer_repeat
    good_ = bytesOf(serializeCheckpoint(vm->snapshot()));
    std::string err;
    ASSERT_TRUE(parseCheckpoint(good_, err)) << err;
  }
  /// Parses and restores; expects a refusal with a message.
  void expectRefused(const std::vector<uint8_t> &bytes, const std::string &what) {
    std::string err;
    auto d = parseCheckpoint(bytes, err);
    if (d) {
      auto vm = VM::restore(*d, reg, err);
      if (vm) {
        // A change that keeps the file valid (e.g. a counter value) is fine
        // as long as running it cannot crash.
        vm->run(2000);
        return;
      }
    }
    EXPECT_FALSE(err.empty()) << what;
  }
  std::vector<uint8_t> good_;
};

TEST_F(CorruptCheckpoints, TruncatedAtEverySectionBoundaryAndManyOffsets) {
  std::vector<size_t> cuts = boundaries(good_);
  for (size_t c = 0; c < good_.size(); c += 1 + good_.size() / 400)
    cuts.push_back(c);
  for (size_t cut : cuts) {
    if (cut >= good_.size())
      continue;
    std::vector<uint8_t> t(good_.begin(), good_.begin() + long(cut));
    std::string err;
    EXPECT_FALSE(parseCheckpoint(t, err)) << "truncated at " << cut;
    EXPECT_FALSE(err.empty());
  }
  std::vector<uint8_t> t(good_.begin(), good_.begin() + 100);
  std::string err;
  parseCheckpoint(t, err);
  EXPECT_NE(err.find("section 'program'"), std::string::npos) << err;
}

TEST_F(CorruptCheckpoints, FlippedBytesAreCaughtByCrcOrValidation) {
  for (size_t off = 0; off < good_.size(); off += 1 + good_.size() / 500) {
    std::vector<uint8_t> b = good_;
    b[off] ^= 0x5a;
    std::string err;
    auto d = parseCheckpoint(b, err);
    EXPECT_FALSE(d) << "flip at " << off;
  }
}

/// Rewrites a section's payload and fixes up its length and CRC, so the
/// semantic validation (not the CRC) must catch the damage.
std::vector<uint8_t> withSection(const std::vector<uint8_t> &b, int index,
                                 const std::function<void(std::vector<uint8_t> &)> &edit) {
  size_t pos = 16;
  for (int i = 0; i < index; ++i) {
    uint64_t len;
    std::memcpy(&len, b.data() + pos + 8, 8);
    pos += 16 + len;
  }
  uint64_t len;
  std::memcpy(&len, b.data() + pos + 8, 8);
  std::vector<uint8_t> payload(b.begin() + long(pos + 16), b.begin() + long(pos + 16 + len));
  edit(payload);
  std::vector<uint8_t> out(b.begin(), b.begin() + long(pos));
  uint32_t kind;
  std::memcpy(&kind, b.data() + pos, 4);
  uint32_t crc = crc32c(payload.data(), payload.size());
  uint64_t nlen = payload.size();
  out.insert(out.end(), reinterpret_cast<uint8_t *>(&kind), reinterpret_cast<uint8_t *>(&kind) + 4);
  out.insert(out.end(), reinterpret_cast<uint8_t *>(&crc), reinterpret_cast<uint8_t *>(&crc) + 4);
  out.insert(out.end(), reinterpret_cast<uint8_t *>(&nlen), reinterpret_cast<uint8_t *>(&nlen) + 8);
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), b.begin() + long(pos + 16 + len), b.end());
  return out;
}

TEST_F(CorruptCheckpoints, HostilePayloadsWithValidCrcsAreRefused) {
  // Every byte of every section's payload changed in turn (with fixed-up
  // CRCs): parsing and restoring must refuse or produce a runnable VM.
  for (int s = 0; s < 5; ++s) {
    uint64_t len;
    size_t pos = 16;
    for (int i = 0; i < s; ++i) {
      std::memcpy(&len, good_.data() + pos + 8, 8);
      pos += 16 + len;
    }
    std::memcpy(&len, good_.data() + pos + 8, 8);
    for (size_t off = 0; off < len; off += 1 + len / 150)
      for (uint8_t v : {uint8_t(0xff), uint8_t(0x01), uint8_t(0x80)})
        expectRefused(withSection(good_, s, [&](std::vector<uint8_t> &p) { p[off] ^= v; }),
                      "section " + std::to_string(s) + " byte " + std::to_string(off));
  }
}

TEST_F(CorruptCheckpoints, AbsurdLengthsAndDimsAreRefusedBeforeAllocating) {
  std::string err;
  // A section length of 2^63.
  std::vector<uint8_t> b = good_;
  uint64_t huge = uint64_t(1) << 63;
  std::memcpy(b.data() + 16 + 8, &huge, 8);
  EXPECT_FALSE(parseCheckpoint(b, err));
  EXPECT_NE(err.find("exceeds"), std::string::npos) << err;
  // A value count of 2^60 in the values section.
  auto v = withSection(good_, 1, [](std::vector<uint8_t> &p) {
    uint64_t n = uint64_t(1) << 60;
    std::memcpy(p.data(), &n, 8);
  });
  EXPECT_FALSE(parseCheckpoint(v, err));
  EXPECT_NE(err.find("section 'values'"), std::string::npos) << err;
  // A tensor whose dims multiply past 2^64 / claim more bytes than exist.
  auto d = withSection(good_, 1, [](std::vector<uint8_t> &p) {
    // First tensor: u8 dtype, u32 rank, dims...
    int64_t big = int64_t(1) << 40;
    std::memcpy(p.data() + 8 + 1 + 4, &big, 8);
  });
  EXPECT_FALSE(parseCheckpoint(d, err));
  EXPECT_NE(err.find("does not match"), std::string::npos) << err;
  // Bad magic and version.
  b = good_;
  b[0] = 'X';
  EXPECT_FALSE(parseCheckpoint(b, err));
  EXPECT_NE(err.find("magic"), std::string::npos);
  b = good_;
  b[8] = 99;
  EXPECT_FALSE(parseCheckpoint(b, err));
  EXPECT_NE(err.find("version"), std::string::npos);
}

TEST_F(CorruptCheckpoints, TamperedIRIsReverifiedAndHashChecked) {
  std::string err;
  auto d = parseCheckpoint(good_, err);
  ASSERT_TRUE(d) << err;
  CheckpointData bad = *d;
  bad.irText = "module @m { func @main() { %0 = add %1, %1 : f32 } }";
  EXPECT_FALSE(VM::restore(bad, reg, err));
  EXPECT_NE(err.find("section 'program'"), std::string::npos) << err;
  bad = *d;
  bad.programHash = std::string(64, '0');
  EXPECT_FALSE(VM::restore(bad, reg, err));
  EXPECT_NE(err.find("hash"), std::string::npos) << err;
  bad = *d;
  bad.root.frames[0].pc = 100000;
  EXPECT_FALSE(VM::restore(bad, reg, err));
  EXPECT_NE(err.find("pc"), std::string::npos) << err;
  Registry empty;
  EXPECT_FALSE(VM::restore(*d, empty, err));
  EXPECT_NE(err.find("Recorder"), std::string::npos) << err;
}

/// Every frame of the fiber tree, children included.
void forEachFrame(Fiber &f, const std::function<void(Frame &)> &fn) {
  for (uint32_t d = 0; d < f.depth; ++d)
    fn(f.frames[d]);
  for (Fiber &c : f.children)
    forEachFrame(c, fn);
}

TEST_F(CorruptCheckpoints, CountsOutsideTheirRangeAreRefused) {
  std::string err;
  auto d = parseCheckpoint(good_, err);
  ASSERT_TRUE(d) << err;
  // A step count near INT64_MAX (with valid CRCs) used to load, run, overflow
  // and then give a file that did not load again.
  for (int64_t steps : {std::numeric_limits<int64_t>::max() - 3, kMaxSavedCount + 1}) {
    CheckpointData bad = *d;
    bad.steps = steps;
    auto image = bytesOf(serializeCheckpoint(bad));
    EXPECT_FALSE(parseCheckpoint(image, err));
    EXPECT_NE(err.find("step count"), std::string::npos) << err;
  }
  ASSERT_FALSE(d->rng.empty());
  CheckpointData bad = *d;
  bad.rng[0].counter = ~uint64_t(0) - 7;
  EXPECT_FALSE(parseCheckpoint(bytesOf(serializeCheckpoint(bad)), err));
  EXPECT_NE(err.find("section 'rng'"), std::string::npos) << err;
  // A loop counter beyond its trip count (or negative) would run the loop
  // for up to 2^63 iterations.
  size_t counters = 0;
  forEachFrame(d->root, [&](Frame &fr) { counters += fr.counters.size(); });
  ASSERT_GT(counters, 0u);
  for (int64_t v : {int64_t(-1), int64_t(1000), std::numeric_limits<int64_t>::max()}) {
    CheckpointData c = *d;
    forEachFrame(c.root, [&](Frame &fr) {
      for (int64_t &k : fr.counters)
        k = v;
    });
    EXPECT_FALSE(VM::restore(c, reg, err)) << v;
    EXPECT_NE(err.find("loop counter"), std::string::npos) << err;
  }
}

TEST_F(CorruptCheckpoints, TheLargestCountsLoadRunAndSaveAgain) {
  std::string err;
  auto d = parseCheckpoint(good_, err);
  ASSERT_TRUE(d) << err;
  d->root.steps += uint64_t(kMaxSavedCount - 10 - d->steps);
  d->steps = kMaxSavedCount - 10;
  d->rng[0].counter = uint64_t(kMaxSavedCount) - 1000;
  auto vm = VM::restore(*d, reg, err);
  ASSERT_TRUE(vm) << err;
  vm->run(5);
  ASSERT_NE(vm->status(), VM::Status::Error) << vm->error().message;
  auto again = parseCheckpoint(bytesOf(serializeCheckpoint(vm->snapshot())), err);
  ASSERT_TRUE(again) << err;
  EXPECT_TRUE(VM::restore(*again, reg, err)) << err;
  // At the limit the VM stops with an error instead of counting past it.
  vm->run(50);
  ASSERT_EQ(vm->status(), VM::Status::Error);
  EXPECT_NE(vm->error().message.find("limit of 2^62"), std::string::npos)
      << vm->error().message;
  EXPECT_EQ(vm->stepCount(), kMaxSavedCount);
}

TEST_F(CorruptCheckpoints, ARandomStreamAtItsLimitStopsTheVMWithoutPassingIt) {
  // A fuzz finding: a counter 1 below 2^62 loaded, the next draw of four
  // pushed it past the limit before the error, and the stopped VM's state
  // serialized to a file that did not load.
  std::string err;
  auto d = parseCheckpoint(good_, err);
  ASSERT_TRUE(d) << err;
  for (RngRecord &r : d->rng)
    r.counter = uint64_t(kMaxSavedCount) - 1;
  auto vm = VM::restore(*d, reg, err);
  ASSERT_TRUE(vm) << err;
  vm->run(2000);
  ASSERT_EQ(vm->status(), VM::Status::Error);
  EXPECT_NE(vm->error().message.find("more than 2^62"), std::string::npos)
      << vm->error().message;
  for (uint64_t c : vm->rngCounters())
    EXPECT_LE(c, uint64_t(kMaxSavedCount));
  EXPECT_TRUE(parseCheckpoint(bytesOf(serializeCheckpoint(vm->snapshot())), err)) << err;
}

TEST_F(CorruptCheckpoints, OlderFormatsAreRefusedSayingWhy) {
  // Versions 1 and 2 counted VM instructions as steps: their WEAVE
  // schedules cannot be continued under program steps.
  for (uint8_t version : {1, 2}) {
    std::vector<uint8_t> old = good_;
    old[8] = version;
    std::string err;
    EXPECT_FALSE(parseCheckpoint(old, err));
    EXPECT_NE(err.find("version " + std::to_string(version) + " was written by a kiln whose "
                       "steps were VM instructions"),
              std::string::npos)
        << err;
  }
  // Version 3 keeps the sources it is given.
  std::string err;
  auto d = parseCheckpoint(good_, err);
  ASSERT_TRUE(d) << err;
  CheckpointData withSources = *d;
  withSources.sources = {{"a.kiln", "main = CALL(print)\n"}};
  auto back = parseCheckpoint(bytesOf(serializeCheckpoint(withSources)), err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->sources, withSources.sources);
}

TEST(Hashes, KnownAnswers) {
  EXPECT_EQ(Sha256::hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::hex("", 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string m(1000, 'a');
  Sha256 h;
  h.update(m.data(), 3);
  h.update(m.data() + 3, m.size() - 3);
  EXPECT_EQ(h.hexDigest(), Sha256::hex(m.data(), m.size()));
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
}

// A symlink or hard link planted at the temporary's name is not written
// through (it would overwrite an unrelated file): the temporary is created
// with O_EXCL|O_NOFOLLOW and a taken name moves on to the next one.
TEST(WriteFileAtomically, PlantedLinksAreNotFollowed) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("kiln-atomic-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string target = (dir / "c.ckpt").string();
  std::string victim = (dir / "victim").string(), victim2 = (dir / "victim2").string();
  std::ofstream(victim) << "precious";
  std::ofstream(victim2) << "precious too";
  std::string pid = std::to_string(::getpid());
  fs::create_symlink(victim, target + ".tmp." + pid + ".0");
  fs::create_hard_link(victim2, target + ".tmp." + pid + ".1");
  std::string victim3 = (dir / "victim3").string(); // at the name kiln used before
  std::ofstream(victim3) << "old name";
  fs::create_symlink(victim3, target + ".tmp." + pid);
  std::string err;
  ASSERT_TRUE(writeFileAtomically(target, "new bytes", err)) << err;
  auto slurp = [](const std::string &p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(slurp(victim), "precious");
  EXPECT_EQ(slurp(victim2), "precious too");
  EXPECT_EQ(slurp(victim3), "old name");
  EXPECT_EQ(slurp(target), "new bytes");
  EXPECT_FALSE(fs::exists(target + ".tmp." + pid + ".2"));
  fs::remove_all(dir);
}

// Only a regular file (or nothing) is replaced by --save.
TEST(WriteFileAtomically, RefusesWhatIsNotARegularFile) {
  std::string err;
  EXPECT_FALSE(writeFileAtomically("/dev/null", "x", err));
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("kiln-atomic-dir-" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  EXPECT_FALSE(writeFileAtomically((dir / "sub").string(), "x", err));
  EXPECT_TRUE(fs::is_directory(dir / "sub"));
  fs::remove_all(dir);
}

} // namespace
} // namespace kiln::runtime::vmtest
