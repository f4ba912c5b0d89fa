# Entry points: `make demo` and `make check` install what is missing, configure, build, run.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo check check-asan check-valgrind bench install clean

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
	$(MAKE) check-valgrind

# The unit and integration suites again under AddressSanitizer and UBSan.
check-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DKGR_SANITIZE=ON -DKGR_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD)-asan -j2
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp ctest --output-on-failure -j2

# The unit suites under valgrind memcheck.
check-valgrind: build
	sh scripts/check-valgrind.sh $(BUILD)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
