// Softmax regression SGD at batch 1 (issue #11): 64 inputs, 10 classes, one
// labeled row a step, the built-in LogisticRegression.sgd_step, -O2 with
// the JIT, against the same update hand-written with Eigen in the same run.
//   SoftmaxSgdKiln   `LOOP(SEQ([BUFFER_REPEAT(1, CALL(d.next_labeled)),
//                    FILT(model.sgd_step, lr=0.05)]))` over a 1024-row CSV
//                    written at start: one SGD step = the read and the
//                    update, 2 program steps
//   SoftmaxSgdEigen  the same read (a row and its one-hot label out of
//                    in-memory matrices) and the same math (z = xW + b,
//                    max-shifted softmax, W += lr x^T (y - p), b += lr (y - p))
// Both report us_per_sgd_step:
//   OMP_NUM_THREADS=1 build/bench/vm/bench_softmax_sgd --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "api/Session.h"

namespace {

constexpr int kInputs = 64, kClasses = 10, kRows = 1024;
constexpr int64_t kSgdSteps = 4096; // per benchmark iteration

struct Data {
  Eigen::MatrixXf x{kRows, kInputs};
  std::vector<int> label = std::vector<int>(kRows);
  std::string csv;
};

/// Rows of pixel-like values in [0, 1] with a label each, the same on every
/// machine; also written as a CSV for kiln.
const Data &data() {
  static Data d = [] {
    Data d;
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pixel(0, 16), digit(0, kClasses - 1);
    d.csv = (std::filesystem::temp_directory_path() /
             ("kiln_bench_softmax_" + std::to_string(::getpid()) + ".csv"))
                .string();
    std::ofstream out(d.csv);
    for (int r = 0; r < kRows; ++r) {
      for (int c = 0; c < kInputs; ++c) {
        int v = pixel(rng);
        d.x(r, c) = float(v) / 16.0f;
        out << float(v) / 16.0f << ",";
      }
      d.label[size_t(r)] = digit(rng);
      out << d.label[size_t(r)] << "\n";
    }
    return d;
  }();
  return d;
}

void report(benchmark::State &state, int64_t sgdSteps) {
  state.SetItemsProcessed(sgdSteps);
  state.counters["us_per_sgd_step"] = benchmark::Counter(
      double(sgdSteps) * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_SoftmaxSgdKiln(benchmark::State &state) {
  const Data &d = data();
  kiln::api::Session session;
  kiln::api::CompileOptions opts; // -O2, JIT
  std::string err;
  auto vm = session.loadSource("d = Dataset.csv(path=\"" + d.csv +
                                   "\", label_col=64, classes=10)\n"
                                   "model = LogisticRegression(inputs=64, classes=10)\n"
                                   "main = LOOP(SEQ([BUFFER_REPEAT(1, CALL(d.next_labeled)),\n"
                                   "                 FILT(model.sgd_step, lr=0.05)]))\n",
                               "softmax_sgd.kiln", opts, err);
  if (!vm) {
    state.SkipWithError(err.c_str());
    return;
  }
  vm->run(2 * kSgdSteps); // compile, warm the pools
  int64_t steps = 0;
  for (auto _ : state)
    steps += vm->run(2 * kSgdSteps);
  if (vm->status() != kiln::runtime::VM::Status::Running)
    state.SkipWithError("the VM stopped");
  report(state, steps / 2);
}

void BM_SoftmaxSgdEigen(benchmark::State &state) {
  const Data &d = data();
  Eigen::MatrixXf W = Eigen::MatrixXf::Zero(kInputs, kClasses);
  Eigen::RowVectorXf b = Eigen::RowVectorXf::Zero(kClasses);
  Eigen::RowVectorXf x(kInputs), y(kClasses), z(kClasses), p(kClasses);
  const float lr = 0.05f;
  int row = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    for (int64_t s = 0; s < kSgdSteps; ++s) {
      x = d.x.row(row);
      y.setZero();
      y[d.label[size_t(row)]] = 1.0f;
      row = (row + 1) % kRows;
      z.noalias() = x * W;
      z += b;
      p = (z.array() - z.maxCoeff()).exp();
      p /= p.sum();
      y -= p;
      W.noalias() += lr * x.transpose() * y;
      b += lr * y;
    }
    benchmark::DoNotOptimize(W.data());
    steps += kSgdSteps;
  }
  report(state, steps);
}

} // namespace

BENCHMARK(BM_SoftmaxSgdKiln);
BENCHMARK(BM_SoftmaxSgdEigen);

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove(data().csv);
  return 0;
}
