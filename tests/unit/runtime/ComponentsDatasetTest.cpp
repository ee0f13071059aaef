// Dataset: schemas, synthetic data, next/next_batch equivalence across
// epochs (with and without shuffle), labels, checkpoints and clones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/Registry.h"
#include "tests/unit/runtime/ComponentsTestUtil.h"

namespace kiln::runtime {
namespace {

using namespace kiln::runtime::testing;
using ::testing::HasSubstr;

Tensor count(int64_t n) { return Tensor::scalarI64(n); }

/// n rows by repeated next() calls, stacked into one flat vector.
std::vector<double> byNext(Component &d, int64_t n, const char *method = "next") {
  std::vector<double> all;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> row = values(call(d, method).at(0));
    all.insert(all.end(), row.begin(), row.end());
  }
  return all;
}

TEST(Dataset, SchemaHasBulkForms) {
  Registry r = Registry::withBuiltins();
  std::string error;
  auto s = r.resolveComponent("Dataset", "randn", {kv("rows", 13), kv("cols", 3), kv("seed", 123)},
                              &error);
  ASSERT_TRUE(s) << error;
  EXPECT_TRUE(s->fields.empty());
  const ir::MethodSchema *next = s->method("next");
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->results, std::vector<ir::Type>{ir::Type::tensor(ElemType::F32, {3})});
  EXPECT_EQ(next->bulkForm, "next_batch");
  EXPECT_FALSE(next->isKernel);
  const ir::MethodSchema *batch = s->method("next_batch");
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->params.size(), 1u);
  EXPECT_EQ(batch->params[0].type, ir::Type::i64());
  EXPECT_EQ(batch->results,
            std::vector<ir::Type>{ir::Type::tensor(ElemType::F32, {ir::kDynamic, 3})});
  EXPECT_TRUE(s->method("epoch")->readOnly);
  EXPECT_EQ(s->method("next_label"), nullptr);

  s = r.resolveComponent("Dataset", "csv",
                         {kv("path", dataPath("iris_tiny.csv")), kv("header", true),
                          kv("label_col", -1), kv("classes", 3)},
                         &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->method("next")->results[0], ir::Type::tensor(ElemType::F32, {2}));
  EXPECT_EQ(s->method("next_label")->results[0], ir::Type::tensor(ElemType::F32, {3}));
  EXPECT_EQ(s->method("next_label")->bulkForm, "next_label_batch");

  s = r.resolveComponent("Dataset", "idx", {kv("path", dataPath("images_3x2x2.idx"))}, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->method("next")->results[0], ir::Type::tensor(ElemType::F32, {4}));
  s = r.resolveComponent("Dataset", "npy", {kv("path", dataPath("f8_2x3.npy"))}, &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->method("next")->results[0], ir::Type::tensor(ElemType::F32, {3}));
}

TEST(Dataset, SyntheticDataIsDeterministicAndDistributedAsAsked) {
  Registry r = Registry::withBuiltins();
  auto a = create(r, "Dataset", "randn", {kv("rows", 5000), kv("cols", 2), kv("seed", 7)});
  auto b = create(r, "Dataset", "randn", {kv("rows", 5000), kv("cols", 2), kv("seed", 7)});
  auto c = create(r, "Dataset", "randn", {kv("rows", 5000), kv("cols", 2), kv("seed", 8)});
  Tensor ta = call(*a, "next_batch", {count(5000)}).at(0);
  Tensor tb = call(*b, "next_batch", {count(5000)}).at(0);
  Tensor tc = call(*c, "next_batch", {count(5000)}).at(0);
  EXPECT_TRUE(ta.bitwiseEqual(tb));
  EXPECT_FALSE(ta.bitwiseEqual(tc));
  double sum = 0, sq = 0;
  for (double v : values(ta)) {
    sum += v;
    sq += v * v;
  }
  double mean = sum / 10000, var = sq / 10000 - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.05); // 5 standard errors
  EXPECT_NEAR(var, 1.0, 0.07);

  auto bern = create(r, "Dataset", "bernoulli",
                     {kv("rows", 1000), kv("cols", 10), kv("p", 0.25), kv("seed", 3)});
  std::vector<double> v = values(call(*bern, "next_batch", {count(1000)}).at(0));
  double ones = 0;
  for (double x : v) {
    EXPECT_TRUE(x == 0.0 || x == 1.0);
    ones += x;
  }
  EXPECT_NEAR(ones / 10000, 0.25, 0.025);
}

TEST(Dataset, NextBatchEqualsRepeatedNextAcrossEpochs) {
  Registry r = Registry::withBuiltins();
  for (bool shuffle : {false, true}) {
    std::vector<ir::NamedAttribute> cfg = {kv("rows", 13), kv("cols", 3), kv("seed", 123),
                                           kv("shuffle", shuffle)};
    auto one = create(r, "Dataset", "randn", cfg);
    auto bulk = create(r, "Dataset", "randn", cfg);
    // Batches of 7 over 13 rows cross an epoch boundary in most batches;
    // one batch of 30 spans more than two epochs; a batch of 0 is empty.
    for (int64_t n : {7, 7, 7, 0, 30, 1, 7, 13, 26}) {
      Tensor batch = call(*bulk, "next_batch", {count(n)}).at(0);
      ASSERT_EQ(batch.shape(), (std::vector<int64_t>{n, 3}));
      EXPECT_EQ(values(batch), byNext(*one, n)) << "shuffle=" << shuffle << " n=" << n;
    }
    expectSameState(*one, *bulk);
    EXPECT_EQ(call(*one, "epoch").at(0).item(), (7 * 3 + 30 + 1 + 7 + 13 + 26) / 13);
    // The count may also come as the keyword n.
    EXPECT_EQ(values(call(*bulk, "next_batch", {}, {kv("n", 5)}).at(0)), byNext(*one, 5));
  }
}

TEST(Dataset, NextWritesIntoTheCallersSpareRowOnly) {
  // next() takes the caller's spare (CallContext::spare: the VM offers a
  // result slot's old tensor when only the slot holds it) and rewrites it;
  // without one, or with one of another shape, it returns a new row; rows
  // held elsewhere keep their values.
  Registry r = Registry::withBuiltins();
  std::vector<ir::NamedAttribute> cfg = {kv("rows", 5), kv("cols", 2), kv("seed", 9)};
  auto d = create(r, "Dataset", "randn", cfg);
  auto ref = create(r, "Dataset", "randn", cfg);
  Tensor all = call(*ref, "next_batch", {count(20)}).at(0);
  auto row = [&](int64_t i) {
    return std::vector<double>{all.at(2 * i), all.at(2 * i + 1)};
  };
  const int next = d->methodIndex("next");
  Tensor slot; // the VM's result slot
  std::vector<Tensor> held;
  int reused = 0;
  for (int64_t i = 0; i < 20; ++i) {
    Tensor *spare = slot.isUnique() ? &slot : nullptr;
    const void *old = slot.defined() ? slot.raw() : nullptr;
    CallContext ctx;
    ctx.spare = std::span<Tensor *const>(&spare, 1);
    std::vector<Tensor> results;
    NativeError error;
    ASSERT_TRUE(d->invoke(next, {}, {}, ctx, results, error)) << error.message;
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(results[0].shape(), (std::vector<int64_t>{2}));
    EXPECT_EQ(values(results[0]), row(i)) << i;
    if (spare) {
      EXPECT_FALSE(slot.defined()) << i; // taken
      EXPECT_EQ(results[0].raw(), old) << i;
      ++reused;
    } else if (old) {
      EXPECT_NE(results[0].raw(), old) << i;
    }
    slot = std::move(results[0]);
    if (i % 3 == 0)
      held.push_back(slot); // keep some (the next call gets no spare)
  }
  EXPECT_EQ(reused, 12); // every step after one the caller dropped (19 - 7 held)
  for (size_t k = 0; k < held.size(); ++k)
    EXPECT_EQ(values(held[k]), row(int64_t(3 * k))) << k;

  // A spare of another shape or dtype stays as it was.
  for (int c = 0; c < 2; ++c) {
    Tensor wrong = c ? Tensor::full(ElemType::F64, {2}, 7.0) : Tensor::full(ElemType::F32, {3}, 7.0);
    ASSERT_TRUE(wrong.isUnique());
    Tensor *spare = &wrong;
    CallContext ctx;
    ctx.spare = std::span<Tensor *const>(&spare, 1);
    std::vector<Tensor> results;
    NativeError error;
    ASSERT_TRUE(d->invoke(next, {}, {}, ctx, results, error));
    ASSERT_TRUE(wrong.defined());
    EXPECT_EQ(wrong.at(0), 7.0);
    EXPECT_NE(results.at(0).raw(), wrong.raw());
  }
}

TEST(Dataset, ShuffleVisitsEveryRowOncePerEpochInANewOrder) {
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  std::string csv;
  for (int i = 0; i < 50; ++i)
    csv += std::to_string(i) + "\n";
  std::string path = dir.write("ids.csv", csv);
  auto d = create(r, "Dataset", "csv", {kv("path", path), kv("shuffle", true), kv("seed", 5)});
  auto plain = create(r, "Dataset", "csv", {kv("path", path)});
  std::vector<double> sorted(50);
  for (int i = 0; i < 50; ++i)
    sorted[i] = i;
  EXPECT_EQ(values(call(*plain, "next_batch", {count(50)}).at(0)), sorted);
  std::vector<std::vector<double>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<double> order = values(call(*d, "next_batch", {count(50)}).at(0));
    EXPECT_NE(order, sorted);
    std::vector<double> s = order;
    std::sort(s.begin(), s.end());
    EXPECT_EQ(s, sorted) << "epoch " << e << " is a permutation";
    epochs.push_back(order);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  auto again = create(r, "Dataset", "csv", {kv("path", path), kv("shuffle", true), kv("seed", 5)});
  EXPECT_EQ(values(call(*again, "next_batch", {count(50)}).at(0)), epochs[0]);
}

TEST(Dataset, LabelsFollowTheirRows) {
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  // Feature 10*label + i, so each row's label can be read back from it.
  std::string csv;
  for (int i = 0; i < 9; ++i)
    csv += std::to_string(i % 3) + "," + std::to_string(10 * (i % 3) + i) + "\n";
  std::string path = dir.write("labelled.csv", csv);
  auto d = create(r, "Dataset", "csv",
                  {kv("path", path), kv("label_col", 0), kv("classes", 3), kv("shuffle", true),
                   kv("seed", 2)});
  ASSERT_GE(d->methodIndex("next_label"), 0);
  for (int step = 0; step < 4; ++step) {
    Tensor x = call(*d, "next_batch", {count(5)}).at(0);
    Tensor y = call(*d, "next_label_batch", {count(5)}).at(0);
    ASSERT_EQ(y.shape(), (std::vector<int64_t>{5, 3}));
    for (int64_t i = 0; i < 5; ++i) {
      int label = static_cast<int>(x.at(i)) / 10; // feature = 10 * label + row
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(y.at(i * 3 + c), c == label ? 1.0 : 0.0);
    }
  }
  EXPECT_EQ(values(call(*d, "next_label").at(0)).size(), 3u);

  // IDX images with an IDX labels file.
  auto mnist = create(r, "Dataset", "idx",
                      {kv("path", dataPath("images_3x2x2.idx")),
                       kv("labels", dataPath("labels_3.idx")), kv("classes", 10)});
  Tensor y = call(*mnist, "next_label_batch", {count(3)}).at(0);
  EXPECT_EQ(y.at(7), 1.0);
  EXPECT_EQ(y.at(10 + 0), 1.0);
  EXPECT_EQ(y.at(20 + 9), 1.0);

  std::string error;
  EXPECT_FALSE(r.createComponent("Dataset", "idx",
                                 {kv("path", dataPath("images_3x2x2.idx")),
                                  kv("labels", dataPath("labels_3.idx")), kv("classes", 8)},
                                 error));
  EXPECT_THAT(error, HasSubstr("label 9 of row 2 is not below classes=8"));
  EXPECT_FALSE(r.createComponent("Dataset", "idx",
                                 {kv("path", dataPath("images_3x2x2.idx")),
                                  kv("labels", dataPath("f4_3x2.npy")), kv("classes", 8)},
                                 error));
  EXPECT_THAT(error, HasSubstr("not a valid IDX file"));
  // Without labels the label methods do not exist.
  auto plain = create(r, "Dataset", "npy", {kv("path", dataPath("f4_3x2.npy"))});
  EXPECT_EQ(plain->methodIndex("next_label"), -1);
}

/// A CSV of `rows` rows with a label column 0 (row % classes) and two
/// features identifying the row, so a label can be checked against its row.
std::string labelledCsv(ScratchDir &dir, int rows, int classes) {
  std::string csv;
  for (int i = 0; i < rows; ++i)
    csv += std::to_string(i % classes) + "," + std::to_string(100 * (i % classes) + i) + "," +
           std::to_string(0.25 * i) + "\n";
  return dir.write("labelled.csv", csv);
}

/// The configuration of a Dataset.csv of labelledCsv().
std::vector<ir::NamedAttribute> labelledConfig(const std::string &path, int classes,
                                               bool shuffle, int seed) {
  return {kv("path", path), kv("label_col", 0), kv("classes", classes), kv("shuffle", shuffle),
          kv("seed", seed)};
}

/// One call of a direct entry (DirectCall) on `slots`, the caller's result
/// slots (no arguments).
bool callDirect(Component &d, const char *method, std::vector<Tensor> &slots,
                NativeError &error) {
  DirectFn fn = d.directMethod(d.methodIndex(method));
  if (!fn) {
    error.message = std::string("no direct entry for ") + method;
    return false;
  }
  std::vector<uint32_t> out(slots.size());
  for (uint32_t k = 0; k < out.size(); ++k)
    out[k] = k;
  std::vector<ir::NamedAttribute> kwargs;
  CallContext ctx;
  DirectCall call{reinterpret_cast<std::byte *>(slots.data()), sizeof(Tensor), nullptr,
                  out.data(), &kwargs, &ctx};
  return fn(&d, call, error);
}

TEST(Dataset, DirectEntriesReadTheRowsOfInvokeIntoTheResultSlots) {
  // The VM calls next, next_label and next_labeled through their direct
  // entries (DirectCall): the same rows as invoke(), across epochs and
  // with shuffle; a slot held only by itself is rewritten in place, one
  // held elsewhere (or of another shape) is replaced and the other holder
  // keeps its row.
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  std::string path = labelledCsv(dir, 7, 3);
  EXPECT_EQ(create(r, "Dataset", "csv", {kv("path", path)})->directMethod(1), nullptr)
      << "next_batch has no direct entry";
  for (bool shuffle : {false, true})
    for (const char *method : {"next", "next_label", "next_labeled"}) {
      std::vector<ir::NamedAttribute> cfg = labelledConfig(path, 3, shuffle, 11);
      auto direct = create(r, "Dataset", "csv", cfg);
      auto ref = create(r, "Dataset", "csv", cfg);
      const size_t n = std::string(method) == "next_labeled" ? 2 : 1;
      std::vector<Tensor> slots(n);
      std::vector<Tensor> held;
      int inPlace = 0;
      for (int i = 0; i < 20; ++i) { // past two epoch boundaries (7 rows)
        std::vector<const void *> before;
        std::vector<bool> unique;
        for (const Tensor &t : slots) {
          before.push_back(t.defined() ? t.raw() : nullptr);
          unique.push_back(t.isUnique());
        }
        NativeError error;
        ASSERT_TRUE(callDirect(*direct, method, slots, error)) << error.message;
        std::vector<Tensor> want = call(*ref, method);
        ASSERT_EQ(want.size(), n);
        for (size_t k = 0; k < n; ++k) {
          EXPECT_TRUE(slots[k].bitwiseEqual(want[k])) << method << " " << i << " " << k;
          EXPECT_EQ(slots[k].shape(), want[k].shape());
          if (unique[k]) {
            EXPECT_EQ(slots[k].raw(), before[k]) << method << " " << i;
            ++inPlace;
          } else if (before[k]) {
            EXPECT_NE(slots[k].raw(), before[k]) << method << " " << i;
          }
        }
        if (i % 4 == 0)
          held.push_back(slots[0]); // the next call finds slot 0 shared
      }
      EXPECT_GT(inPlace, 0) << method;
      auto again = create(r, "Dataset", "csv", cfg);
      for (size_t k = 0; k < held.size(); ++k) {
        for (int skip = 0; skip < (k ? 3 : 0); ++skip)
          call(*again, method);
        EXPECT_TRUE(held[k].bitwiseEqual(call(*again, method).at(0))) << method << " " << k;
      }
      // A slot of another shape or dtype is replaced, not written.
      Tensor other = Tensor::full(ElemType::F64, {2}, 7.0);
      std::vector<Tensor> wrong(n, Tensor::full(ElemType::F32, {5}, 7.0));
      wrong[0] = other;
      NativeError error;
      ASSERT_TRUE(callDirect(*direct, method, wrong, error)) << error.message;
      EXPECT_TRUE(wrong[0].bitwiseEqual(call(*ref, method).at(0)));
      EXPECT_EQ(other.at(0), 7.0);
    }
}

TEST(Dataset, EveryRowWidthIsCopiedWhole) {
  // A row of up to 8 floats is copied without memcpy (overlapping 16-byte
  // moves from 4 floats on): every width around those cases, each element
  // the file's, through the direct entry and invoke, with and without
  // shuffle (which reads the rows out of order).
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  for (int w = 1; w <= 12; ++w) {
    const int rows = 5;
    std::string csv;
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < w; ++j)
        csv += std::to_string(100 * i + j) + (j + 1 < w ? "," : "\n");
    std::string path = dir.write("w" + std::to_string(w) + ".csv", csv);
    for (bool shuffle : {false, true}) {
      std::vector<ir::NamedAttribute> cfg = {kv("path", path), kv("shuffle", shuffle),
                                             kv("seed", 3)};
      auto direct = create(r, "Dataset", "csv", cfg);
      auto ref = create(r, "Dataset", "csv", cfg);
      std::vector<Tensor> slots(1);
      std::vector<bool> seen(rows);
      for (int i = 0; i < rows; ++i) {
        NativeError error;
        ASSERT_TRUE(callDirect(*direct, "next", slots, error)) << error.message;
        Tensor want = call(*ref, "next").at(0);
        ASSERT_EQ(slots[0].shape(), (std::vector<int64_t>{w}));
        EXPECT_TRUE(slots[0].bitwiseEqual(want)) << w << " " << i;
        const int row = static_cast<int>(want.at(0)) / 100;
        ASSERT_TRUE(row >= 0 && row < rows && !seen[row]) << w << " " << i;
        seen[row] = true;
        if (!shuffle) {
          EXPECT_EQ(row, i);
        }
        for (int j = 0; j < w; ++j)
          EXPECT_EQ(slots[0].at(j), 100 * row + j) << w << " " << i << " " << j;
      }
    }
  }
}

TEST(Dataset, NextLabeledIsNextAndNextLabelInOneCall) {
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  std::string path = labelledCsv(dir, 13, 3);
  std::string error;
  auto s = r.resolveComponent("Dataset", "csv",
                              {kv("path", path), kv("label_col", 0), kv("classes", 3)}, &error);
  ASSERT_TRUE(s) << error;
  const ir::MethodSchema *one = s->method("next_labeled");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->results, (std::vector<ir::Type>{ir::Type::tensor(ElemType::F32, {2}),
                                                 ir::Type::tensor(ElemType::F32, {3})}));
  EXPECT_EQ(one->bulkForm, "next_labeled_batch");
  const ir::MethodSchema *many = s->method("next_labeled_batch");
  ASSERT_NE(many, nullptr);
  EXPECT_EQ(many->results,
            (std::vector<ir::Type>{ir::Type::tensor(ElemType::F32, {ir::kDynamic, 2}),
                                   ir::Type::tensor(ElemType::F32, {ir::kDynamic, 3})}));

  for (bool shuffle : {false, true}) {
    std::vector<ir::NamedAttribute> cfg = labelledConfig(path, 3, shuffle, 4);
    auto pair = create(r, "Dataset", "csv", cfg);
    auto split = create(r, "Dataset", "csv", cfg);
    for (int i = 0; i < 30; ++i) { // past two epoch boundaries (13 rows)
      std::vector<Tensor> xy = call(*pair, "next_labeled");
      ASSERT_EQ(xy.size(), 2u);
      EXPECT_TRUE(xy[0].bitwiseEqual(call(*split, "next").at(0))) << i;
      EXPECT_TRUE(xy[1].bitwiseEqual(call(*split, "next_label").at(0))) << i;
      int label = static_cast<int>(xy[0].at(0)) / 100; // feature 0 = 100 * label + row
      EXPECT_EQ(xy[1].at(label), 1.0) << "label does not match its row, shuffle=" << shuffle;
    }
    expectSameState(*pair, *split);
  }
  auto plain = create(r, "Dataset", "randn", {kv("rows", 3), kv("cols", 2)});
  EXPECT_EQ(plain->methodIndex("next_labeled"), -1);
  EXPECT_EQ(plain->methodIndex("next_labeled_batch"), -1);
}

TEST(Dataset, NextLabeledBatchEqualsRepeatedNextLabeledBitwise) {
  // The bulk-read protocol for a read with two results: n stacked
  // next_labeled() pairs equal one next_labeled_batch(n), bit for bit,
  // across epochs and with shuffle.
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  std::string path = labelledCsv(dir, 13, 4);
  for (bool shuffle : {false, true}) {
    std::vector<ir::NamedAttribute> cfg = labelledConfig(path, 4, shuffle, 11);
    auto one = create(r, "Dataset", "csv", cfg);
    auto bulk = create(r, "Dataset", "csv", cfg);
    for (int64_t n : {7, 7, 0, 30, 1, 13, 26}) {
      std::vector<Tensor> xy = call(*bulk, "next_labeled_batch", {count(n)});
      ASSERT_EQ(xy.size(), 2u);
      ASSERT_EQ(xy[0].shape(), (std::vector<int64_t>{n, 2}));
      ASSERT_EQ(xy[1].shape(), (std::vector<int64_t>{n, 4}));
      std::vector<std::vector<Tensor>> rows;
      for (int64_t i = 0; i < n; ++i)
        rows.push_back(call(*one, "next_labeled"));
      for (int k = 0; k < 2; ++k) {
        int64_t w = xy[k].dim(1);
        for (int64_t i = 0; i < n; ++i)
          EXPECT_EQ(std::memcmp(static_cast<const char *>(xy[k].raw()) + i * w * 4,
                                rows[size_t(i)][size_t(k)].raw(), size_t(w) * 4),
                    0)
              << "shuffle=" << shuffle << " n=" << n << " row " << i << " result " << k;
      }
    }
    expectSameState(*one, *bulk);
    // The count may also come as the keyword n.
    std::vector<Tensor> kw = call(*bulk, "next_labeled_batch", {}, {kv("n", 3)});
    EXPECT_TRUE(kw[1].bitwiseEqual(call(*one, "next_label_batch", {count(3)}).at(0)));
  }
}

TEST(Dataset, BadCallsAreUserErrors) {
  Registry r = Registry::withBuiltins();
  auto d = create(r, "Dataset", "randn", {kv("rows", 3), kv("cols", 2)});
  int batch = d->methodIndex("next_batch");
  CallContext ctx;
  std::vector<Tensor> results;
  NativeError error;
  Tensor neg = count(-1);
  EXPECT_FALSE(d->invoke(batch, std::span<const Tensor>(&neg, 1), {}, ctx, results, error));
  EXPECT_THAT(error.message, HasSubstr("count must be >= 0"));
  Tensor f = Tensor::scalarF32(2);
  EXPECT_FALSE(d->invoke(batch, std::span<const Tensor>(&f, 1), {}, ctx, results, error));
  EXPECT_THAT(error.message, HasSubstr("takes one i64 count"));
  EXPECT_FALSE(d->invoke(batch, {}, {}, ctx, results, error));
  Tensor huge = count(int64_t(1) << 62);
  EXPECT_FALSE(d->invoke(batch, std::span<const Tensor>(&huge, 1), {}, ctx, results, error));
  EXPECT_THAT(error.message, HasSubstr("too large"));
  EXPECT_TRUE(results.empty());
}

TEST(Dataset, CheckpointRoundTripContinuesBitwise) {
  Registry r = Registry::withBuiltins();
  ScratchDir dir;
  std::string csv;
  for (int i = 0; i < 11; ++i)
    csv += std::to_string(i * 0.5) + "," + std::to_string(i % 2) + "\n";
  std::string path = dir.write("data.csv", csv);
  std::vector<ir::NamedAttribute> cfg = {kv("path", path), kv("label_col", 1), kv("classes", 2),
                                         kv("shuffle", true), kv("seed", 9)};
  auto a = create(r, "Dataset", "csv", cfg);
  call(*a, "next_batch", {count(17)});
  call(*a, "next_label_batch", {count(4)});
  std::vector<NamedTensor> saved = a->saveState();
  std::vector<std::string> names;
  for (const NamedTensor &t : saved)
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"epoch", "row", "label_epoch", "label_row",
                                             "content_hash"}));

  auto b = create(r, "Dataset", "csv", cfg);
  std::string error;
  ASSERT_TRUE(b->loadState(saved, error)) << error;
  expectSameState(*a, *b);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(call(*a, "next_batch", {count(6)}).at(0).bitwiseEqual(
        call(*b, "next_batch", {count(6)}).at(0)));
    EXPECT_TRUE(call(*a, "next_label_batch", {count(9)}).at(0).bitwiseEqual(
        call(*b, "next_label_batch", {count(9)}).at(0)));
  }

  // Refused: a changed file, a position out of range, foreign state.
  dir.write("data.csv", csv + "99,1\n");
  auto changed = create(r, "Dataset", "csv", cfg);
  EXPECT_FALSE(changed->loadState(saved, error));
  EXPECT_THAT(error, HasSubstr("content hash mismatch"));
  EXPECT_THAT(error, HasSubstr("data.csv"));
  dir.write("data.csv", csv);
  std::vector<NamedTensor> bad = saved;
  bad[1].value = count(11);
  EXPECT_FALSE(b->loadState(bad, error));
  EXPECT_THAT(error, HasSubstr("out of range"));
  bad = saved;
  bad[0].value = Tensor::scalarF32(1);
  EXPECT_FALSE(b->loadState(bad, error));
  bad = saved;
  bad.pop_back();
  EXPECT_FALSE(b->loadState(bad, error));
  auto unlabelled = create(r, "Dataset", "csv", {kv("path", path), kv("shuffle", true)});
  EXPECT_FALSE(unlabelled->loadState(saved, error));
  // b is unchanged by the refused loads.
  EXPECT_TRUE(call(*a, "next").at(0).bitwiseEqual(call(*b, "next").at(0)));
}

TEST(Dataset, ClonesAreIndependent) {
  Registry r = Registry::withBuiltins();
  auto a = create(r, "Dataset", "randn",
                  {kv("rows", 10), kv("cols", 4), kv("seed", 1), kv("shuffle", true)});
  call(*a, "next_batch", {count(8)});
  std::unique_ptr<Component> b = a->clone();
  expectSameState(*a, *b);
  std::vector<double> fromClone = values(call(*b, "next_batch", {count(5)}).at(0));
  call(*b, "next_batch", {count(20)});
  EXPECT_EQ(call(*a, "epoch").at(0).item(), 0);
  EXPECT_EQ(values(call(*a, "next_batch", {count(5)}).at(0)), fromClone);
  EXPECT_THAT(a->describe(), HasSubstr("Dataset.randn(rows=10, cols=4): 10 rows x 4 columns, "
                                       "shuffled; at epoch 1, row 3"));
}

} // namespace
} // namespace kiln::runtime
