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

# The MPI build (Open MPI from setup.sh) in its own folder, and its test: `mpirun -n 3` against one
# process, byte for byte. Only the binary and the MPI test are built there. MPI_OPT sets its
# optimisation (CI checks the MPI path at -O1, which builds in much less time).
MPI_OPT ?= -O3
test-mpi: setup
	cmake -S . -B $(BUILD)-mpi -DCMAKE_BUILD_TYPE=Release -DSPHERE_WITH_MPI=ON \
	  "-DCMAKE_CXX_FLAGS_RELEASE=$(MPI_OPT) -DNDEBUG" > /dev/null
	@cmake --build $(BUILD)-mpi -j $(JOBS) --target sphere
	ctest --test-dir $(BUILD)-mpi -R '^mpi\.' --output-on-failure

# The whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer in its own folder; any
# report stops the test that made it (halt on error). -O1 without debug information: the build
# is about as fast as the Release one and a report still names its function and file.
SANITIZE_ENV = ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-sanitize: setup
	cmake -S . -B $(BUILD)-sanitize -DCMAKE_BUILD_TYPE=Release -DSPHERE_SANITIZE=ON -DSPHERE_WEB=OFF \
	  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" > /dev/null
	@cmake --build $(BUILD)-sanitize -j $(JOBS)
	$(SANITIZE_ENV) ctest --test-dir $(BUILD)-sanitize -j $(JOBS) --output-on-failure -E '^browser\.'

# libFuzzer harnesses (fuzz/, Debian's clang) run for FUZZ_SECONDS each, FUZZ_JOBS at a time, over
# the seed corpora; prints each harness's execs and fails on any crash (the input is kept in
# $(BUILD)-fuzz/crashes). Only the harnesses and the layers they use are built.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(JOBS)
fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=Release \
	  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only -DNDEBUG" \
	  -DSPHERE_FUZZ=ON -DSPHERE_BUILD_TESTS=OFF > /dev/null
	@cmake --build $(BUILD)-fuzz -j $(JOBS) --target sphere_fuzzers
	fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	rm -rf $(BUILD) $(BUILD)-mpi $(BUILD)-sanitize $(BUILD)-fuzz
