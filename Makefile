# Entry points: `make demo` and `make check` install what is missing, configure, build, run.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo check check-asan check-tsan check-fuzz fuzz fuzz-build check-valgrind bench install clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKGR_WERROR=$(WERROR) $(CMAKE_FLAGS)

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKGR_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j2

demo: build
	sh examples/demo.sh $(BUILD)/kgrec

check: build
	cd $(BUILD) && ctest --output-on-failure -j2
	$(MAKE) check-asan
	$(MAKE) check-tsan
	$(MAKE) check-fuzz
	$(MAKE) check-valgrind

# The unit and integration suites again under AddressSanitizer and UBSan.
check-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DKGR_SANITIZE=ON -DKGR_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD)-asan -j2
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp ctest --output-on-failure -j2

# The multi-threaded suites (store loading, service, retrieval, LLM client, the sequence
# model's training threads) under ThreadSanitizer: the first data race fails the test (the
# service under test is this build's kgrec too).
TSAN_SUITES = ^(kg|server|server_t_pg_events|server_t_pg_faults|server_t_pg_map|server_t_pg_timeouts|retrieval|llm|llm_t_recommend_llm|seq_threads)$$
check-tsan: deps
	cmake -S . -B $(BUILD)-tsan -DCMAKE_BUILD_TYPE=Debug -DKGR_TSAN=ON -DKGR_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD)-tsan -j2
	cd $(BUILD)-tsan && TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
		ctest --output-on-failure -j2 -R '$(TSAN_SUITES)'

# libFuzzer targets (fuzz/, clang with ASan and UBSan): `make fuzz` runs each for
# FUZZ_SECONDS (default 60; FUZZ_TARGETS to pick some), `make check` each for 3 s.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
$(BUILD)-fuzz/CMakeCache.txt: | deps
	CC=clang cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=Debug -DKGR_FUZZ=ON -DKGR_BUILD_TESTS=OFF $(CMAKE_FLAGS)
fuzz-build: $(BUILD)-fuzz/CMakeCache.txt
	cmake --build $(BUILD)-fuzz -j2 --target fuzz_targets
fuzz: fuzz-build
	sh scripts/fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
check-fuzz: fuzz-build
	sh scripts/fuzz.sh $(BUILD)-fuzz 3

# The unit suites under valgrind memcheck.
check-valgrind: build
	sh scripts/check-valgrind.sh $(BUILD)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-fuzz
