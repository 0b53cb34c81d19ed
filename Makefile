# Thin wrapper over CMake/CTest. The two commands a fresh machine needs:
#   make demo   install deps, build, run berth on the default stack
#   make test   install deps, build, run the whole suite, then fuzz briefly
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# The libFuzzer build (clang, sanitizers): docs/testing.md.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20

.PHONY: all deps configure build test demo bench bench-report format lint docs clean \
	fuzz-build fuzz fuzz-smoke

all: build

deps:
	@BERTH_BUILD_DIR=$(BUILD) ./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DBERTH_WERROR=ON $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke

$(FUZZ_BUILD)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DBERTH_FUZZ=ON \
		-DBERTH_WERROR=ON -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_BENCHMARKS=OFF

fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Every harness for FUZZ_SECONDS each, one after another; crashes are saved
# under $(FUZZ_BUILD)/artifacts/ and named on the way out.
fuzz: fuzz-build
	./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The short run CI does after the suite: the regressions, then a little more.
fuzz-smoke: fuzz-build
	./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

demo: build
	$(BUILD)/bin/berth info
	@echo
	$(BUILD)/bin/berth plugins ls
	@echo
	@./scripts/demo-images.sh $(BUILD)/bin/berth
	@echo
	@./scripts/demo-containers.sh $(BUILD)/bin/berth
	@echo
	@./scripts/demo-daemon.sh $(BUILD)/bin/berth

bench: build
	$(BUILD)/bin/berth_benchmarks

# berth bench's three suites with podman, crun and iperf3 beside berth's
# drivers: bench-report/{storage,network,runtime}/report.md and charts.
bench-report: build
	./benchmarks/peers/bench-peers.sh all $(BUILD)/bin/berth bench-report

docs: build
	$(BUILD)/bin/berth config reference > docs/stack.md

format:
	git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i

# clang-tidy cannot read GCC's precompiled headers, so it gets a compile
# database of its own with them turned off (configured only, never built).
lint:
	cmake -S . -B $(BUILD)-lint -G Ninja -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON > /dev/null
	git ls-files 'core/*.cpp' 'tools/*.cpp' 'plugins/*.cpp' | xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD)-lint --quiet

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
