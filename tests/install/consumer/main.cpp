// A user's program: compile a .kiln file with the installed kiln, step it
// from its own loop, save it half-way, resume the checkpoint in a second VM,
// and check both end in the same state.
//   consumer PROGRAM.kiln CHECKPOINT
#include <kiln/api/Session.h>

#include <iostream>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer PROGRAM.kiln CHECKPOINT\n";
    return 2;
  }
  kiln::api::Session session;
  std::string errors;
  auto vm = session.load(argv[1], {}, errors);
  if (!vm) {
    std::cerr << errors;
    return 1;
  }
  using Status = kiln::runtime::VM::Status;
  vm->run(500);
  if (vm->status() == Status::Error || !vm->save(argv[2], errors)) {
    std::cerr << "save failed: " << errors << session.describeError(*vm);
    return 1;
  }
  auto resumed = session.resume(argv[2], errors);
  if (!resumed) {
    std::cerr << errors;
    return 1;
  }
  while (vm->status() == Status::Running)
    vm->run(10000);
  while (resumed->status() == Status::Running)
    resumed->run(10000);
  if (!vm->done() || !resumed->done()) {
    std::cerr << "a run did not finish: " << session.describeError(*vm);
    return 1;
  }
  for (size_t i = 0; i < vm->numComponents(); ++i) {
    auto a = vm->component(i).saveState(), b = resumed->component(i).saveState();
    bool same = a.size() == b.size();
    for (size_t k = 0; same && k < a.size(); ++k)
      same = a[k].name == b[k].name && a[k].value.bitwiseEqual(b[k].value);
    if (!same) {
      std::cerr << "@" << vm->componentName(i) << " differs after resume\n";
      return 1;
    }
  }
  std::cout << "consumer: " << argv[1] << " ran " << vm->stepCount() << " steps; resumed run "
            << "ends in the same state\n";
  return 0;
}
