# Thin wrapper over CMake so that the README's two commands work on a fresh machine.
MAKEFLAGS += --no-print-directory
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build run test test-mpi clean

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
# process, byte for byte. Only the binary and the MPI test are built there.
test-mpi: setup
	cmake -S . -B $(BUILD)-mpi -DCMAKE_BUILD_TYPE=Release -DSPHERE_WITH_MPI=ON > /dev/null
	@cmake --build $(BUILD)-mpi -j $(JOBS) --target sphere
	ctest --test-dir $(BUILD)-mpi -R '^mpi\.' --output-on-failure

clean:
	rm -rf $(BUILD) $(BUILD)-mpi
