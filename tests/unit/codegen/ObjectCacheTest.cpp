// The on-disk kernel cache: exact round trips, and every damaged or hostile
// entry is ignored (never loaded, never blocking), concurrent writers never
// expose half a file, and the compiler recompiles over a corrupt entry.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "codegen/KernelCompiler.h"
#include "codegen/ObjectCache.h"
#include "ir/Parser.h"

namespace kiln::codegen {
namespace {

namespace fs = std::filesystem;

class ObjectCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-objcache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

std::string readFile(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void writeFile(const std::string &p, const std::string &s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

TEST_F(ObjectCacheTest, RoundTripsExactly) {
  ObjectCache c(dir_ + "/sub/dir");
  std::string obj(1000, '\0');
  for (size_t i = 0; i < obj.size(); ++i)
    obj[i] = char(i * 7);
  EXPECT_EQ(c.load("key"), nullptr);
  ASSERT_TRUE(c.store("key", obj));
  auto got = c.load("key");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->getBuffer().str(), obj);
  EXPECT_EQ(c.load("other key"), nullptr);
  struct stat st{};
  ASSERT_EQ(::stat(c.pathFor("key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ObjectCacheTest, DamagedEntriesAreIgnored) {
  ObjectCache c(dir_);
  ASSERT_TRUE(c.store("key", std::string(300, 'x')));
  const std::string path = c.pathFor("key"), good = readFile(path);
  // Truncated at every length, and every byte flipped.
  for (size_t n = 0; n < good.size(); n += 7) {
    writeFile(path, good.substr(0, n));
    EXPECT_EQ(c.load("key"), nullptr) << "truncated to " << n;
  }
  for (size_t i = 0; i < good.size(); i += 3) {
    std::string bad = good;
    bad[i] = char(bad[i] ^ 0x20);
    writeFile(path, bad);
    EXPECT_EQ(c.load("key"), nullptr) << "byte " << i << " flipped";
  }
  writeFile(path, good + "trailing");
  EXPECT_EQ(c.load("key"), nullptr);
  // Another key's valid entry under this key's name.
  ASSERT_TRUE(c.store("other", std::string(300, 'x')));
  fs::copy_file(c.pathFor("other"), path, fs::copy_options::overwrite_existing);
  EXPECT_EQ(c.load("key"), nullptr);
}

TEST_F(ObjectCacheTest, HostilePathsNeitherBlockNorLoad) {
  ObjectCache c(dir_);
  const std::string path = c.pathFor("key");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(c.load("key"), nullptr); // a FIFO: not opened for a blocking read
  ::unlink(path.c_str());
  fs::create_directory(path);
  EXPECT_EQ(c.load("key"), nullptr);
  fs::remove(path);
  ObjectCache other(dir_ + "/elsewhere");
  ASSERT_TRUE(other.store("key", "payload"));
  fs::create_symlink(other.pathFor("key"), path);
  EXPECT_EQ(c.load("key"), nullptr); // symlinks are not followed
  // Storing replaces the link (rename), it does not write through it.
  ASSERT_TRUE(c.store("key", "mine"));
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_EQ(other.load("key")->getBuffer(), "payload");
}

TEST_F(ObjectCacheTest, UnwritableFolderIsNotAnError) {
  // A cache "folder" under a regular file cannot be created, even by root.
  writeFile(dir_ + "/file", "not a folder");
  ObjectCache c(dir_ + "/file/sub");
  EXPECT_FALSE(c.store("key", "x"));
  EXPECT_EQ(c.load("key"), nullptr);
}

TEST_F(ObjectCacheTest, ConcurrentWritersNeverExposeHalfAFile) {
  ObjectCache c(dir_);
  const std::string obj(200000, 'k');
  std::vector<pid_t> kids;
  for (int k = 0; k < 3; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < 40; ++i)
        if (!c.store("key", obj))
          ::_exit(1);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  int loads = 0;
  for (int i = 0; i < 400; ++i)
    if (auto got = c.load("key")) {
      ASSERT_EQ(got->getBufferSize(), obj.size());
      ++loads;
    }
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_NE(c.load("key"), nullptr);
  // No temporary files are left behind.
  for (const auto &e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().extension(), ".kobj") << e.path();
  (void)loads;
}

TEST_F(ObjectCacheTest, CompilerRecompilesOverACorruptEntry) {
  const char *text = R"(module @m {
  func @main() {
    %a = constant 1.0 : f32[8]
    %r = fused @k0(%a) : f32[8] {
    ^bb0(%x: f32[8]):
      %y = add %x, %x : f32[8]
      %z = mul %y, %x : f32[8]
      yield %z
    }
  }
})";
  ir::SourceManager sm;
  ir::DiagnosticEngine diag(&sm);
  auto m = ir::parseModule(text, "t.kir", sm, diag);
  ASSERT_TRUE(m);
  const ir::Operation *fused = nullptr;
  m->op().walk([&](ir::Operation &op) {
    if (op.is(ir::OpKind::Fused))
      fused = &op;
  });
  std::string why;
  auto plan = planKernel(*fused, why);
  ASSERT_TRUE(plan) << why;
  KernelCompiler::Options opts;
  opts.cacheDir = dir_;
  auto sourceOf = [&] {
    auto c = KernelCompiler::create(opts);
    EXPECT_TRUE(bool(c));
    KernelCompiler::Source s;
    auto fn = (*c)->getOrCompile(*plan, s);
    EXPECT_TRUE(bool(fn)) << llvm::toString(fn.takeError());
    return s;
  };
  EXPECT_EQ(sourceOf(), KernelCompiler::Source::Compiled);
  EXPECT_EQ(sourceOf(), KernelCompiler::Source::DiskCache);
  auto c = KernelCompiler::create(opts);
  std::string path = (*c)->diskCache()->pathFor((*c)->keyText(*plan));
  std::string bytes = readFile(path);
  bytes[bytes.size() / 2] ^= 1;
  writeFile(path, bytes);
  EXPECT_EQ(sourceOf(), KernelCompiler::Source::Compiled);
  EXPECT_EQ(sourceOf(), KernelCompiler::Source::DiskCache);
}

} // namespace
} // namespace kiln::codegen
