// Dataset: rows of f32 features read one at a time (`next`) or in bulk
// (`next_batch`), from synthetic data or a CSV / .npy / IDX file.
//
//   Dataset.randn(rows, cols, seed=0)             standard normal entries
//   Dataset.bernoulli(rows, cols, p=0.5, seed=0)  0/1 entries, P(1) = p
//   Dataset.csv(path, header=false, label_col=, classes=, allow_nan=false)
//   Dataset.npy(path, allow_nan=false)
//   Dataset.idx(path, labels=, classes=)          MNIST images scaled to [0, 1]
//   every constructor also takes shuffle=false (and seed= for the order)
//
// Order: without shuffle, rows in file order, epoch after epoch. With
// shuffle, epoch e visits the rows in a Fisher-Yates permutation drawn from
// Philox stream (seed, 1 + e); synthetic data itself is stream (seed, 0).
// The position is (epoch, row), so `next_batch(n)` is exactly n `next()`
// calls, across epoch boundaries too: `next_batch` is the bulk form of
// `next` in every configuration.
//
// Labels: a CSV label column (label_col) or an IDX labels file (labels=)
// gives each row an integer class in [0, classes). They are read through a
// second stream, `next_label()` -> one-hot f32[classes] (bulk form
// `next_label_batch(n)` -> f32[n, classes]), with its own position that
// follows the same order: reading n features then n labels gives matching
// rows. One-hot f32 because that is what a kernel can use directly
// (LogisticRegression.sgd_step takes y: f32[?, classes]). `next_labeled()`
// reads both streams in one call and returns the pair (features, one-hot
// label); its bulk form `next_labeled_batch(n)` returns (f32[n, cols],
// f32[n, classes]), equal to n next_labeled() calls stacked.
//
// Checkpoints store the positions and a hash of the data; the data itself
// is re-read from its source when the component is re-created, and a source
// whose content changed is refused.
#include <algorithm>
#include <array>
#include <cstring>

#include "ir/Support.h"
#include "ir/Types.h"
#include "runtime/Kernels.h"
#include "runtime/Philox.h"
#include "runtime/components/Builtins.h"
#include "runtime/components/Config.h"
#include "runtime/components/DataReaders.h"
#include "runtime/components/FieldComponent.h"

namespace kiln::runtime {
namespace {

constexpr int64_t kMaxElements = ir::kMaxTensorElements;

struct DatasetConfig {
  std::string constructor;
  int64_t rows = 0, cols = 0; // synthetic only
  double p = 0.5;
  uint64_t seed = 0;
  bool shuffle = false;
  std::string path, labelsPath;
  CsvOptions csv;
  bool allowNonFinite = false;
  int64_t classes = 0; // 0: no labels

  bool hasLabels() const { return classes > 0; }
  /// `Dataset.csv("data.csv")`, for messages and describe().
  std::string title() const {
    std::string s = "Dataset." + constructor + "(";
    if (!path.empty())
      s += ir::quoteString(path);
    else
      s += "rows=" + std::to_string(rows) + ", cols=" + std::to_string(cols);
    return s + ")";
  }
};

std::optional<DatasetConfig> parseConfig(std::string_view constructor,
                                         const std::vector<ir::NamedAttribute> &config,
                                         std::string &error) {
  DatasetConfig c;
  c.constructor = std::string(constructor);
  if (constructor.empty()) {
    error = "Dataset needs a constructor: Dataset.randn, Dataset.bernoulli, Dataset.csv, "
            "Dataset.npy or Dataset.idx";
    return std::nullopt;
  }
  ConfigReader r("Dataset." + c.constructor, config);
  if (constructor == "randn" || constructor == "bernoulli") {
    c.rows = r.integerAtLeast("rows", 1);
    c.cols = r.integerAtLeast("cols", 1);
    if (constructor == "bernoulli") {
      c.p = r.number("p", 0.5);
      if (!(c.p >= 0.0 && c.p <= 1.0))
        r.fail("key 'p' must be in [0, 1], got " + ir::formatDouble(c.p));
    }
    int64_t total;
    if (r.ok() && (__builtin_mul_overflow(c.rows, c.cols, &total) || total > kMaxElements))
      r.fail("rows * cols is too large");
  } else if (constructor == "csv" || constructor == "npy" || constructor == "idx") {
    c.path = r.string("path");
    if (r.ok() && c.path.empty())
      r.fail("key 'path' must not be empty");
    c.allowNonFinite = constructor != "idx" && r.boolean("allow_nan", false);
    bool labelled = false;
    if (constructor == "csv") {
      c.csv.header = r.boolean("header", false);
      if (r.has("label_col")) {
        c.csv.labelColumn = r.integer("label_col");
        labelled = true;
      }
    } else if (constructor == "idx" && r.has("labels")) {
      c.labelsPath = r.string("labels");
      labelled = true;
    }
    c.csv.allowNonFinite = c.allowNonFinite;
    if (labelled) {
      c.classes = r.integerAtLeast("classes", 1);
    } else if (constructor != "npy" && r.has("classes")) {
      r.fail(std::string("key 'classes' only applies with ") +
             (constructor == "csv" ? "label_col" : "labels"));
    }
  } else {
    error = "Dataset has no constructor '" + c.constructor +
            "' (expected randn, bernoulli, csv, npy or idx)";
    return std::nullopt;
  }
  c.shuffle = r.boolean("shuffle", false);
  c.seed = static_cast<uint64_t>(r.integer("seed", 0));
  if (!r.finish(error))
    return std::nullopt;
  return c;
}

/// The data of `c` (only rows/cols when shapeOnly; rows may be -1 for CSV).
bool loadData(const DatasetConfig &c, bool shapeOnly, DataMatrix &m, std::string &error) {
  if (c.constructor == "randn" || c.constructor == "bernoulli") {
    m.rows = c.rows;
    m.cols = c.cols;
    if (shapeOnly)
      return true;
    const int64_t n = c.rows * c.cols;
    m.values.resize(static_cast<size_t>(n));
    // Drawn by the runtime's random kernels straight into the matrix
    // (vectorized, parallel by fixed blocks: the same numbers for any thread
    // count): randn is stream 0's normals, bernoulli its f64 uniforms < p.
    if (c.constructor == "randn") {
      kiln_rt_random_normal_f32(m.values.data(), n, c.seed, 0, 0);
    } else { // through a small buffer of doubles, not a staging copy of all
      constexpr int64_t kChunk = int64_t(1) << 16;
      std::vector<double> u(static_cast<size_t>(std::min(n, kChunk)));
      for (int64_t at = 0; at < n; at += kChunk) {
        const int64_t len = std::min(kChunk, n - at);
        kiln_rt_random_uniform_f64(u.data(), len, c.seed, 0, uint64_t(at));
        for (int64_t i = 0; i < len; ++i)
          m.values[size_t(at + i)] = u[size_t(i)] < c.p ? 1.0f : 0.0f;
      }
    }
    return true;
  }
  bool ok = c.constructor == "csv"   ? readCsv(c.path, c.csv, shapeOnly, m, error)
            : c.constructor == "npy" ? readNpy(c.path, c.allowNonFinite, shapeOnly, m, error)
                                     : readIdx(c.path, shapeOnly, m, error);
  if (!ok || shapeOnly)
    return ok;
  if (!c.labelsPath.empty()) {
    if (!readIdxLabels(c.labelsPath, m.labels, error))
      return false;
    if (static_cast<int64_t>(m.labels.size()) != m.rows) {
      error = "labels file '" + c.labelsPath + "' has " + std::to_string(m.labels.size()) +
              " labels but '" + c.path + "' has " + std::to_string(m.rows) + " rows";
      return false;
    }
  }
  for (size_t i = 0; i < m.labels.size(); ++i)
    if (m.labels[i] >= c.classes) {
      error = "'" + (c.labelsPath.empty() ? c.path : c.labelsPath) + "': label " +
              std::to_string(m.labels[i]) + " of row " + std::to_string(i) +
              " is not below classes=" + std::to_string(c.classes);
      return false;
    }
  return true;
}

/// Reads a count argument: the first positional argument, else kwarg `n`.
bool countArg(std::span<const Tensor> args, const std::vector<ir::NamedAttribute> &kwargs,
              const char *method, int64_t &n, NativeError &error) {
  if (!args.empty()) {
    const Tensor &t = args[0];
    if (args.size() != 1 || !t.defined() || t.numel() != 1 || t.dtype() != ElemType::I64) {
      error.message = std::string("Dataset.") + method + " takes one i64 count";
      return false;
    }
    n = static_cast<int64_t>(t.item());
  } else {
    auto it = std::find_if(kwargs.begin(), kwargs.end(),
                           [](const ir::NamedAttribute &a) { return a.name == "n"; });
    if (it == kwargs.end() || !it->value.isInt()) {
      error.message = std::string("Dataset.") + method + " takes one i64 count";
      return false;
    }
    n = it->value.getInt();
  }
  if (n < 0) {
    error.message = std::string("Dataset.") + method + ": count must be >= 0, got " +
                    std::to_string(n);
    return false;
  }
  return true;
}

class DatasetComponent : public Component {
public:
  DatasetComponent(DatasetConfig config, DataMatrix data)
      : config_(std::make_shared<const DatasetConfig>(std::move(config))),
        data_(std::make_shared<const DataMatrix>(std::move(data))),
        hash_(data_->contentHash()) {}
  /// Without its data (kiln inspect: a checkpoint's paths are not opened).
  /// Only saveState()/loadState() work; invoke() refuses.
  explicit DatasetComponent(DatasetConfig config)
      : config_(std::make_shared<const DatasetConfig>(std::move(config))), hash_(0) {}

  std::string_view typeName() const override { return "Dataset"; }

  int fieldIndex(std::string_view) const override { return -1; }
  const Tensor &field(int) const override { KILN_UNREACHABLE("Dataset has no fields"); }
  void setField(int, Tensor) override { KILN_UNREACHABLE("Dataset has no fields"); }

  enum Method {
    kNext,
    kNextBatch,
    kEpoch,
    kNextLabel,
    kNextLabelBatch,
    kNextLabeled,
    kNextLabeledBatch,
    kNumMethods
  };
  static constexpr const char *kMethodNames[] = {"next",       "next_batch",      "epoch",
                                                 "next_label", "next_label_batch", "next_labeled",
                                                 "next_labeled_batch"};

  int methodIndex(std::string_view name) const override {
    int limit = config_->hasLabels() ? kNumMethods : kNextLabel;
    for (int i = 0; i < limit; ++i)
      if (name == kMethodNames[i])
        return i;
    return -1;
  }

  DirectFn directMethod(int method) const override {
    switch (method) {
    case kNext:
      return &readRowDirect<kNext>;
    case kNextLabel:
      return &readRowDirect<kNextLabel>;
    case kNextLabeled:
      return &readRowDirect<kNextLabeled>;
    default:
      return nullptr;
    }
  }

  bool invoke(int method, std::span<const Tensor> args,
              const std::vector<ir::NamedAttribute> &kwargs, CallContext &ctx,
              std::vector<Tensor> &results, NativeError &error) override {
    if (!data_)
      return notOpened(error);
    switch (method) {
    case kNext:
    case kNextLabel:
    case kNextLabeled: {
      // next_labeled is next() and next_label() in one call: both streams
      // advance, so it yields the matching (features, label) pair.
      bool features = method != kNextLabel, labels = method != kNext;
      if ((features && !withinEpochLimit(cursor_, 1, error)) ||
          (labels && !withinEpochLimit(labelCursor_, 1, error)))
        return false;
      for (bool l : {false, true})
        if (l ? labels : features) {
          size_t k = results.size();
          Tensor t = rowTensor(l, k < ctx.spare.size() ? ctx.spare[k] : nullptr);
          fillRows(l ? labelCursor_ : cursor_, l, 1, t.data<float>());
          results.push_back(std::move(t));
        }
      return true;
    }
    case kNextBatch:
    case kNextLabelBatch:
    case kNextLabeledBatch: {
      bool features = method != kNextLabelBatch, labels = method != kNextBatch;
      int64_t n;
      if (!countArg(args, kwargs, kMethodNames[method], n, error))
        return false;
      for (bool l : {false, true}) {
        int64_t total;
        if ((l ? labels : features) &&
            (__builtin_mul_overflow(n, width(l), &total) || total > kMaxElements)) {
          error.message = std::string("Dataset.") + kMethodNames[method] + ": batch of " +
                          std::to_string(n) + " rows is too large";
          return false;
        }
      }
      if ((features && !withinEpochLimit(cursor_, n, error)) ||
          (labels && !withinEpochLimit(labelCursor_, n, error)))
        return false;
      for (bool l : {false, true})
        if (l ? labels : features) {
          Tensor t = Tensor::empty(ElemType::F32, {n, width(l)});
          fillRows(l ? labelCursor_ : cursor_, l, n, t.data<float>());
          results.push_back(std::move(t));
        }
      return true;
    }
    case kEpoch:
      results.push_back(Tensor::scalarI64(cursor_.epoch));
      return true;
    default:
      KILN_UNREACHABLE("bad Dataset method index");
    }
  }

  std::unique_ptr<Component> clone() const override {
    return std::make_unique<DatasetComponent>(*this);
  }

  std::vector<NamedTensor> saveState() const override {
    std::vector<NamedTensor> s = {{"epoch", Tensor::scalarI64(cursor_.epoch)},
                                  {"row", Tensor::scalarI64(cursor_.row)}};
    if (config_->hasLabels()) {
      s.push_back({"label_epoch", Tensor::scalarI64(labelCursor_.epoch)});
      s.push_back({"label_row", Tensor::scalarI64(labelCursor_.row)});
    }
    int64_t h;
    std::memcpy(&h, &hash_, sizeof h);
    s.push_back({"content_hash", Tensor::scalarI64(h)});
    return s;
  }

  bool loadState(const std::vector<NamedTensor> &state, std::string &error) override {
    std::vector<NamedTensor> want = saveState();
    if (state.size() != want.size()) {
      error = "Dataset: checkpoint has " + std::to_string(state.size()) +
              " state tensors, expected " + std::to_string(want.size()) +
              (want.size() > state.size() ? " (labels configured now but not then?)" : "");
      return false;
    }
    std::vector<int64_t> v;
    for (size_t i = 0; i < state.size(); ++i) {
      const Tensor &t = state[i].value;
      if (state[i].name != want[i].name || !t.defined() || t.dtype() != ElemType::I64 ||
          t.rank() != 0) {
        error = "Dataset: checkpoint state " + std::to_string(i) + " should be the i64 scalar '" +
                want[i].name + "'";
        return false;
      }
      v.push_back(t.data<int64_t>()[0]);
    }
    int64_t h;
    std::memcpy(&h, &hash_, sizeof h);
    if (!data_) {
      // Detached: nothing to compare with; keep the saved values as they are.
      std::memcpy(&hash_, &v.back(), sizeof h);
    } else if (v.back() != h) {
      error = config_->title() +
              ": the data differs from when the checkpoint was written (content hash mismatch); "
              "was the file changed?";
      return false;
    }
    Cursor c, lc;
    if (!restoreCursor(v[0], v[1], c, error) ||
        (config_->hasLabels() && !restoreCursor(v[2], v[3], lc, error)))
      return false;
    cursor_ = std::move(c);
    labelCursor_ = std::move(lc);
    return true;
  }

  std::string describe() const override {
    if (!data_)
      return config_->title() + ": data not opened; at epoch " + std::to_string(cursor_.epoch) +
             ", row " + std::to_string(cursor_.row);
    std::string s = config_->title() + ": " + std::to_string(data_->rows) + " rows x " +
                    std::to_string(data_->cols) + " columns";
    if (config_->hasLabels())
      s += ", " + std::to_string(config_->classes) + " classes";
    if (config_->shuffle)
      s += ", shuffled";
    return s + "; at epoch " + std::to_string(cursor_.epoch) + ", row " +
           std::to_string(cursor_.row);
  }

private:
  /// next / next_label / next_labeled through the VM's direct entry
  /// (DirectCall): the row goes into the result slot's own buffer when only
  /// the slot holds it. The same checks, rows and errors as invoke().
  template <int Method>
  static bool readRowDirect(void *self, const DirectCall &call, NativeError &error) {
    auto &d = *static_cast<DatasetComponent *>(self);
    if (!d.data_) [[unlikely]]
      return d.notOpened(error);
    constexpr bool features = Method != kNextLabel, labels = Method != kNext;
    if ((features && !d.withinEpochLimit(d.cursor_, 1, error)) ||
        (labels && !d.withinEpochLimit(d.labelCursor_, 1, error))) [[unlikely]]
      return false;
    unsigned k = 0;
    if constexpr (features)
      d.copyRow(d.cursor_, false, d.data_->cols, d.rowSlot(false, call.result(k++)));
    if constexpr (labels)
      d.copyRow(d.labelCursor_, true, d.config_->classes, d.rowSlot(true, call.result(k)));
    return true;
  }

  /// The buffer of a one-row result in `slot`: its own when only the slot
  /// holds it and it has the row's shape, else a new tensor's.
  float *rowSlot(bool labels, Tensor &slot) {
    if (!fitsRow(labels, slot)) [[unlikely]]
      newRow(labels, slot);
    return slot.data<float>();
  }
  // The cold halves of readRowDirect, out of line so the read keeps a
  // small stack frame.
  [[gnu::noinline, gnu::cold]] void newRow(bool labels, Tensor &slot) {
    slot = Tensor::empty(ElemType::F32, {width(labels)});
  }
  [[gnu::noinline, gnu::cold]] bool notOpened(NativeError &error) const {
    error.message = config_->title() + ": the data was not opened";
    return false;
  }

private:
  struct Cursor {
    int64_t epoch = 0;
    int64_t row = 0;
    // The permutation of `permEpoch` (shuffle only); derived, not saved.
    std::shared_ptr<const std::vector<int64_t>> perm;
    int64_t permEpoch = -1;
  };

  /// Reading n more rows keeps the epoch within what a checkpoint may hold.
  /// Inline for the one-row read's case: n within this epoch.
  bool withinEpochLimit(const Cursor &c, int64_t n, NativeError &error) const {
    const int64_t left = data_->rows - c.row; // >= 1
    return n < left || (n == left && c.epoch < kMaxSavedCount) || epochsWithinLimit(c, n, error);
  }
  [[gnu::noinline]] bool epochsWithinLimit(const Cursor &c, int64_t n, NativeError &error) const {
    // The epochs n more rows pass: (row + n) / rows, without the division
    // (tens of cycles, a one-row read's whole budget) unless n reaches
    // beyond this epoch's end.
    const int64_t left = data_->rows - c.row; // >= 1
    const int64_t epochs = n < left ? 0 : n == left ? 1 : 1 + (n - left) / data_->rows;
    if (c.epoch + epochs <= kMaxSavedCount)
      return true;
    error.message = config_->title() + ": the epoch count would pass kiln's limit of 2^62";
    return false;
  }

  int64_t width(bool labels) const { return labels ? config_->classes : data_->cols; }

  /// A tensor for one row: the caller's spare (CallContext::spare: the row
  /// this call returned last time, which the program has dropped) when it
  /// has the row's shape, else a new one. The bytes are all rewritten by
  /// fillRows, so the values are those of a new tensor.
  Tensor rowTensor(bool labels, Tensor *spare) {
    if (spare && fitsRow(labels, *spare))
      return std::move(*spare);
    return Tensor::empty(ElemType::F32, {width(labels)});
  }
  /// Whether `t` can take a new one-row result: held by no one else, f32 of
  /// the row's width.
  bool fitsRow(bool labels, const Tensor &t) const {
    return t.isUnique() && t.dtype() == ElemType::F32 && t.rank() == 1 &&
           t.dim(0) == width(labels);
  }

  bool restoreCursor(int64_t epoch, int64_t row, Cursor &c, std::string &error) const {
    if (epoch < 0 || epoch > kMaxSavedCount || row < 0 || (data_ && row >= data_->rows)) {
      error = "Dataset: checkpoint position (epoch " + std::to_string(epoch) + ", row " +
              std::to_string(row) + ") is out of range" +
              (data_ ? " for " + std::to_string(data_->rows) + " rows" : std::string());
      return false;
    }
    c.epoch = epoch;
    c.row = row;
    return true;
  }

  /// Fisher-Yates over Philox stream (seed, 1 + epoch).
  std::shared_ptr<const std::vector<int64_t>> permutation(int64_t epoch) const {
    auto perm = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(data_->rows));
    std::vector<int64_t> &p = *perm;
    for (size_t i = 0; i < p.size(); ++i)
      p[i] = static_cast<int64_t>(i);
    uint64_t stream = 1 + static_cast<uint64_t>(epoch);
    for (size_t i = p.size(); i-- > 1;) {
      // Modulo bias is below 2^-32 for any table that fits in memory.
      size_t j = static_cast<size_t>(philoxBits(config_->seed, stream, i) % (i + 1));
      std::swap(p[i], p[j]);
    }
    return perm;
  }

  /// Copies the next n rows (features or one-hot labels) into `out`.
  void fillRows(Cursor &c, bool labels, int64_t n, float *out) {
    const int64_t w = width(labels);
    for (int64_t k = 0; k < n; ++k)
      copyRow(c, labels, w, out + k * w);
  }

  [[gnu::noinline]] void newPermutation(Cursor &c) const {
    c.perm = permutation(c.epoch);
    c.permEpoch = c.epoch;
  }

  static constexpr int64_t kShortRow = 8;
  /// w <= kShortRow floats: at most two overlapping 16-byte moves (or
  /// 4-byte ones below 4 floats), no call.
  [[gnu::always_inline]] static void copyShortRow(const float *src, int64_t w, float *dst) {
    if (w >= 4) {
      float a[4], b[4];
      std::memcpy(a, src, sizeof a);
      std::memcpy(b, src + w - 4, sizeof b);
      std::memcpy(dst, a, sizeof a);
      std::memcpy(dst + w - 4, b, sizeof b);
    } else {
      // Not a loop: GCC would turn one back into a memcpy call.
      if (w > 0)
        dst[0] = src[0];
      if (w > 1)
        dst[1] = src[1];
      if (w > 2)
        dst[2] = src[2];
    }
  }

  /// The next row (w floats) into dst; advances the cursor.
  [[gnu::always_inline]] void copyRow(Cursor &c, bool labels, int64_t w, float *dst) {
    int64_t index = c.row;
    if (config_->shuffle) {
      if (c.permEpoch != c.epoch) [[unlikely]]
        newPermutation(c);
      index = (*c.perm)[static_cast<size_t>(c.row)];
    }
    if (labels) {
      std::fill(dst, dst + w, 0.0f);
      dst[data_->labels[static_cast<size_t>(index)]] = 1.0f;
    } else {
      const float *src = data_->values.data() + index * w;
      // A row of a few floats in registers: the memcpy call costs more
      // than the copy (a 4-byte row's read is ~100 instructions).
      if (w <= kShortRow)
        copyShortRow(src, w, dst);
      else
        std::memcpy(dst, src, static_cast<size_t>(w) * sizeof(float));
    }
    if (++c.row == data_->rows) {
      c.row = 0;
      ++c.epoch;
    }
  }

  // The configuration and the data are immutable and shared between clones.
  std::shared_ptr<const DatasetConfig> config_;
  std::shared_ptr<const DataMatrix> data_;
  uint64_t hash_;
  Cursor cursor_;
  Cursor labelCursor_;
};

class DatasetType : public ComponentType {
public:
  std::string_view name() const override { return "Dataset"; }
  std::vector<std::string> pathKeys() const override { return {"path", "labels"}; }

  std::optional<ir::ComponentSchema> resolve(std::string_view constructor,
                                             const std::vector<ir::NamedAttribute> &config,
                                             std::string &error) const override {
    std::optional<DatasetConfig> c = parseConfig(constructor, config, error);
    if (!c)
      return std::nullopt;
    DataMatrix shape;
    if (!loadData(*c, /*shapeOnly=*/true, shape, error))
      return std::nullopt;
    ir::ComponentSchema s;
    s.typeName = "Dataset";
    auto stream = [&](const char *next, const char *batch, int64_t width) {
      ir::MethodSchema one;
      one.name = next;
      one.results = {ir::Type::tensor(ElemType::F32, {width})};
      one.bulkForm = batch;
      ir::MethodSchema many;
      many.name = batch;
      many.params = {{"n", ir::Type::i64()}};
      many.results = {ir::Type::tensor(ElemType::F32, {ir::kDynamic, width})};
      s.methods.push_back(std::move(one));
      s.methods.push_back(std::move(many));
    };
    stream("next", "next_batch", shape.cols);
    ir::MethodSchema epoch;
    epoch.name = "epoch";
    epoch.results = {ir::Type::i64()};
    epoch.readOnly = true;
    s.methods.push_back(std::move(epoch));
    if (c->hasLabels()) {
      stream("next_label", "next_label_batch", c->classes);
      // Features and label together: two results, stacked by the batch form.
      ir::MethodSchema one, many;
      one.name = "next_labeled";
      one.results = {ir::Type::tensor(ElemType::F32, {shape.cols}),
                     ir::Type::tensor(ElemType::F32, {c->classes})};
      one.bulkForm = "next_labeled_batch";
      many.name = "next_labeled_batch";
      many.params = {{"n", ir::Type::i64()}};
      many.results = {ir::Type::tensor(ElemType::F32, {ir::kDynamic, shape.cols}),
                      ir::Type::tensor(ElemType::F32, {ir::kDynamic, c->classes})};
      s.methods.push_back(std::move(one));
      s.methods.push_back(std::move(many));
    }
    return s;
  }

  std::unique_ptr<Component> create(std::string_view constructor,
                                    const std::vector<ir::NamedAttribute> &config,
                                    std::string &error) const override {
    std::optional<DatasetConfig> c = parseConfig(constructor, config, error);
    if (!c)
      return nullptr;
    DataMatrix data;
    if (!loadData(*c, /*shapeOnly=*/false, data, error))
      return nullptr;
    return std::make_unique<DatasetComponent>(std::move(*c), std::move(data));
  }

  std::unique_ptr<Component> createDetached(std::string_view constructor,
                                            const std::vector<ir::NamedAttribute> &config,
                                            std::string &error) const override {
    std::optional<DatasetConfig> c = parseConfig(constructor, config, error);
    if (!c)
      return nullptr;
    return std::make_unique<DatasetComponent>(std::move(*c));
  }
};

} // namespace

std::unique_ptr<ComponentType> makeDatasetType() { return std::make_unique<DatasetType>(); }

} // namespace kiln::runtime
