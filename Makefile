# Thin wrapper over CMake so that the README's two commands work on a fresh machine.
MAKEFLAGS += --no-print-directory
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build run test test-mpi test-sanitize fuzz clean

all: build

setup:
	@./scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: setup $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

# The main job on the built-in model.
run: build
	./$(BUILD)/sphere run

# Every test (GoogleTest through CTest), in parallel.
test: build
	ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure

# The MPI check: `sphere_mpi` (the app with Open MPI from setup.sh, at -O1) added to the Release
# tree, reusing its layer libraries, and its tests: `mpirun -n 3` against one process, byte for
# byte.
test-mpi: setup $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DSPHERE_MPI_CHECK=ON > /dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target sphere_mpi
	ctest --test-dir $(BUILD) -R '^mpi\.' --output-on-failure

# One clang tree for the sanitizer tests and the fuzz harnesses: every layer, the app, the tests
# and the harnesses built with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's
# coverage, so that the tests and the harnesses link the same library objects. -O1 with line
# tables only (test code at -O0): a report still names its function, file and line. The app stays
# at -O1: at -O0 it compiled in half the time, but its tests ran about 1.7 times as long (the
# linker apparently kept the app's unoptimised copies of inline functions the layers share).
SANITIZE_BUILD ?= $(BUILD)-asan
$(SANITIZE_BUILD)/CMakeCache.txt: | setup
	CC=clang CXX=clang++ cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Release \
	  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
	  -DSPHERE_FUZZ=ON -DSPHERE_WEB=OFF > /dev/null

# The whole suite under ASan + UBSan, in parallel; any report stops the test that made it (halt
# on error) and fails the target. Builds the harnesses too, so `make fuzz` after it only runs them.
SANITIZE_ENV = ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-sanitize: setup $(SANITIZE_BUILD)/CMakeCache.txt
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	$(SANITIZE_ENV) ctest --test-dir $(SANITIZE_BUILD) -j $(JOBS) --output-on-failure -E '^browser\.'

# libFuzzer harnesses (fuzz/, Debian's clang) run for FUZZ_SECONDS each, FUZZ_JOBS at a time, over
# the seed corpora; prints each harness's execs and fails on any crash (the input is kept in
# $(SANITIZE_BUILD)/crashes). Only the harnesses and the layers they use are built.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(JOBS)
fuzz: setup $(SANITIZE_BUILD)/CMakeCache.txt
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target sphere_fuzzers
	fuzz/run.sh $(SANITIZE_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
