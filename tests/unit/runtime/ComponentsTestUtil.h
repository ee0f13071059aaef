// Helpers for runtime_components_tests: test data paths, scratch files,
// configuration literals and component calls.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ir/Attributes.h"
#include "runtime/Registry.h"

namespace kiln::runtime::testing {

/// tests/unit/runtime/data (set by CMake).
inline std::string dataPath(const std::string &name) {
  return std::string(KILN_COMPONENTS_TEST_DATA) + "/" + name;
}

/// A fresh scratch directory per test, removed afterwards.
class ScratchDir {
public:
  ScratchDir() {
    const ::testing::TestInfo *info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("kiln_components_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~ScratchDir() { std::filesystem::remove_all(dir_); }
  std::string path(const std::string &name) const { return (dir_ / name).string(); }
  std::string write(const std::string &name, const std::string &bytes) const {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

private:
  std::filesystem::path dir_;
};

inline std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline ir::NamedAttribute kv(std::string k, int64_t v) { return {std::move(k), ir::Attribute::integer(v)}; }
inline ir::NamedAttribute kv(std::string k, int v) { return kv(std::move(k), int64_t(v)); }
inline ir::NamedAttribute kv(std::string k, double v) { return {std::move(k), ir::Attribute::real(v)}; }
inline ir::NamedAttribute kv(std::string k, bool v) { return {std::move(k), ir::Attribute::boolean(v)}; }
inline ir::NamedAttribute kv(std::string k, const char *v) {
  return {std::move(k), ir::Attribute::string(v)};
}
inline ir::NamedAttribute kv(std::string k, const std::string &v) {
  return {std::move(k), ir::Attribute::string(v)};
}

/// Creates a component or fails the test with the registry's message.
inline std::unique_ptr<Component> create(const Registry &r, const std::string &type,
                                         const std::string &ctor,
                                         const std::vector<ir::NamedAttribute> &config) {
  std::string error;
  std::unique_ptr<Component> c = r.createComponent(type, ctor, config, error);
  EXPECT_TRUE(c) << error;
  return c;
}

/// Calls native method `name` and returns its results (test failure on error).
inline std::vector<Tensor> call(Component &c, const std::string &name,
                                std::vector<Tensor> args = {},
                                const std::vector<ir::NamedAttribute> &kwargs = {}) {
  int index = c.methodIndex(name);
  EXPECT_GE(index, 0) << "no native method " << name;
  if (index < 0)
    return {};
  CallContext ctx;
  std::vector<Tensor> results;
  NativeError error;
  EXPECT_TRUE(c.invoke(index, args, kwargs, ctx, results, error)) << error.message;
  return results;
}

/// All elements as doubles.
inline std::vector<double> values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(t.at(i));
  return v;
}

/// saveState() of two components is bitwise equal.
inline void expectSameState(const Component &a, const Component &b) {
  std::vector<NamedTensor> sa = a.saveState(), sb = b.saveState();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].name, sb[i].name);
    EXPECT_TRUE(sa[i].value.bitwiseEqual(sb[i].value)) << sa[i].name;
  }
}

} // namespace kiln::runtime::testing
