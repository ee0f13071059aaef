// step_loop: a C++ main loop that drives a kiln VM itself, the way the
// seed's design note wants ("the VM is an iterator ... your main loop can be
// checking for network or filesystem events related to job management").
//
// It steps the seed's PCA program a few hundred steps at a time, checks its
// own "events" between chunks (here: a stop file and a step budget), forks
// the experiment mid-run with clone(), saves a checkpoint, resumes it, and
// checks that the original, the clone and the resumed copy all end in the
// same state. Exit code 0 when they agree.
//
//   step_loop [CHECKPOINT_PATH]
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "ir/Parser.h"
#include "ir/Verifier.h"
#include "runtime/Registry.h"
#include "runtime/VM.h"

namespace {

const char *kProgram = R"(module @train_pca {
  component @dataset : Dataset.randn {rows = 13, cols = 1, seed = 123}
  component @pca : PCA {dims = 1, inputs = 1}
  func @main() {
    repeat 3 {
      %0 = buffer_repeat 1000 : f32[1000, 1] {
        %1 = call @dataset.next() : f32[1]
        yield %1
      }
      %h = component_ref @pca : !PCA
      call @PCA.analyze(%h, %0)
      yield
    }
  }

  func @PCA.analyze(%self: !PCA, %x: f32[?, 1]) {
    %s = state_load %self {field = "xsum"} : f32[1]
    %r = reduce_sum %x {axis = 0} : f32[1]
    %s2 = add %s, %r : f32[1]
    state_store %self, %s2 {field = "xsum"}
    %t = state_load %self {field = "xtx"} : f32[1, 1]
    %p = matmul %x, %x {transpose_a = true} : f32[1, 1]
    %t2 = add %t, %p : f32[1, 1]
    state_store %self, %t2 {field = "xtx"}
    %c = state_load %self {field = "count"} : i64
    %n = dim %x {axis = 0} : i64
    %c2 = add %c, %n : i64
    state_store %self, %c2 {field = "count"}
    return
  }
})";

bool sameComponents(const kiln::runtime::VM &a, const kiln::runtime::VM &b) {
  for (size_t i = 0; i < a.numComponents(); ++i) {
    auto sa = a.component(i).saveState(), sb = b.component(i).saveState();
    if (sa.size() != sb.size())
      return false;
    for (size_t k = 0; k < sa.size(); ++k)
      if (!sa[k].value.bitwiseEqual(sb[k].value))
        return false;
  }
  return a.stepCount() == b.stepCount();
}

} // namespace

int main(int argc, char **argv) {
  using namespace kiln;
  std::string ckpt = argc > 1 ? argv[1]
                              : (std::filesystem::temp_directory_path() / "step_loop.ckpt").string();
  ir::SourceManager sources;
  ir::DiagnosticEngine diag(&sources);
  auto module = ir::parseModule(kProgram, "step_loop.kir", sources, diag);
  if (!module || !ir::verifyModule(*module, diag)) {
    diag.print(std::cerr);
    return 1;
  }
  runtime::Registry registry = runtime::Registry::withBuiltins();
  auto vm = runtime::VM::create(std::shared_ptr<const ir::Module>(std::move(module)), registry,
                                diag);
  if (!vm) {
    diag.print(std::cerr);
    return 1;
  }

  std::unique_ptr<runtime::VM> fork;
  std::string stopFile = ckpt + ".stop";
  bool saved = false;
  while (!vm->done()) {
    vm->run(250); // a short slice; control comes back to us
    if (vm->status() == runtime::VM::Status::Error) {
      std::cerr << vm->error().loc.str() << ": error: " << vm->error().message << "\n";
      return 1;
    }
    // Our own events between slices: a stop request from the job manager...
    if (std::filesystem::exists(stopFile)) {
      std::cout << "stop requested at step " << vm->stepCount() << "\n";
      break;
    }
    // ...and, mid-run, a fork of the experiment and a checkpoint.
    if (!fork && vm->stepCount() >= 1500) {
      fork = vm->clone();
      std::string err;
      if (!vm->save(ckpt, err)) {
        std::cerr << err << "\n";
        return 1;
      }
      saved = true;
      std::cout << "cloned and saved at step " << vm->stepCount() << "\n";
    }
  }
  if (!fork || !saved)
    return 1;
  fork->run(1 << 30);
  std::string err;
  auto resumed = runtime::VM::load(ckpt, registry, err);
  if (!resumed) {
    std::cerr << err << "\n";
    return 1;
  }
  resumed->run(1 << 30);
  std::filesystem::remove(ckpt);
  bool ok = vm->done() && fork->done() && resumed->done() && sameComponents(*vm, *fork) &&
            sameComponents(*vm, *resumed);
  std::cout << "finished at step " << vm->stepCount() << "; clone and resumed copy "
            << (ok ? "match" : "DIFFER") << "\n";
  std::cout << vm->component("pca")->describe() << "\n";
  return ok ? 0 : 1;
}
