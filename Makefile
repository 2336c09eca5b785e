# Thin wrapper over Meson + Ninja: the commands the README names.
#   make          build (build/dot, build/libdoteros.*)
#   make demo     install what is missing, build, run the tour
#   make check    install what is missing, build, run every test suite
#   make fuzz     libFuzzer targets under clang, FUZZ_SECONDS each (default 60)
#   make bench    the benchmarks with their peers (bench/RESULTS.md)
#   make soak     the long-running tests (longer fuzzing for now)

BUILD       ?= build
MESON       ?= meson
FUZZ_SECONDS ?= 60

.PHONY: all build demo check fuzz bench soak deps clean

all: build

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/deps

demo: deps
	@$(MAKE) --no-print-directory build >/dev/null
	@scripts/demo $(BUILD)/dot

check: deps
	@scripts/check

fuzz: deps
	@scripts/fuzz $(FUZZ_SECONDS)

bench: deps build
	@bench/run

soak: deps
	@scripts/fuzz $${SOAK_SECONDS:-1800}

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-valgrind
