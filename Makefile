# kiln — the two commands a fresh machine needs:
#   make demo   install what is missing, build (Release), run examples/weave.kiln (an RBM on real digits: train, evaluate, checkpoint)
#   make test   install what is missing, build, run every test (GoogleTest via ctest, and lit)
# More: make build | bench | asan | fuzz | difftest | format | clean

BUILD      ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
KILN       := $(BUILD)/tools/kiln/kiln
DEMO       ?= examples/weave.kiln

.PHONY: all deps configure build demo test bench asan fuzz difftest format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(KILN) run $(DEMO)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

bench: build
	cmake --build $(BUILD) --target bench

# AddressSanitizer + UndefinedBehaviorSanitizer build running the unit and lit tests.
asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_SANITIZE=ON -DKILN_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 KILN_DIFFTEST_CASES=40 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer targets (tests/fuzz/, docs/reliability.md), FUZZ_TIME seconds
# each, one after the other; FUZZ_SEED=N fixes libFuzzer's seed (CI does, so
# its short runs retrace, nearly, the start of longer local ones with that
# seed; tests/fuzz/run_fuzzers.sh says why not exactly). Debian's clang-19 comes
# without its OpenMP runtime (libomp-19-dev), so the fuzz build tells CMake
# to use GCC's libgomp flags: clang then ignores the runtime's `omp` pragmas
# and the code under test runs serially, which is what a fuzzer wants anyway.
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60
FUZZ_SEED  ?=
FUZZ_TARGETS ?= ir_parser notation checkpoint data_readers
FUZZ_OMP   := -DOpenMP_C_FLAGS=-fopenmp=libgomp -DOpenMP_CXX_FLAGS=-fopenmp=libgomp \
              -DOpenMP_C_LIB_NAMES=gomp -DOpenMP_CXX_LIB_NAMES=gomp -DOpenMP_gomp_LIBRARY=gomp
fuzz: deps
	CC=clang-19 CXX=clang++-19 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DKILN_BUILD_BENCH=OFF -DKILN_SANITIZE=ON -DKILN_FUZZ=ON $(FUZZ_OMP)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	FUZZ_SEED=$(FUZZ_SEED) bash tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(FUZZ_TARGETS)

# The differential program tester (tests/difftest/, docs/difftest.md): N
# random programs from SEED on, findings minimized into DIFFTEST_OUT;
# DIFFTEST_FLAGS adds options (--no-weave, --weave-strict, --oracle NAME, ...).
N            ?= 2000
SEED         ?= 1
DIFFTEST_OUT ?= $(BUILD)/difftest-findings
DIFFTEST_FLAGS ?=
difftest: build
	$(BUILD)/tests/difftest/kiln_difftest --seed $(SEED) --count $(N) --jit-every 10 --minimize \
	  --out $(DIFFTEST_OUT) $(DIFFTEST_FLAGS)

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
