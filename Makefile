# Lathe: the two commands of the README are `make run` and `make test`; both install what is missing first.
SHELL := /bin/bash
SYSTEM_PACKAGES := libncursesw5-dev libopenblas-dev libsqlite3-dev zlib1g-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release/lathe

.PHONY: run test deps build bench peers help

help:
	@echo "make run    install missing system packages, build (release), open Lathe"
	@echo "make test   install missing system packages, run the test suite"
	@echo "make bench  generation benchmark JSON for every preset and thread count (docs/results/)"

# Installs only the packages `dpkg -s` does not report as installed.
deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build -c release --product lathe

run: build
	$(RELEASE_BIN)

test: deps
	swift build --build-tests
	swift test --skip-build 2>&1 | tee .build/test-output.txt; status=$${PIPESTATUS[0]}; \
	failed=$$(grep -cE "^✘ Test .* failed" .build/test-output.txt); \
	total=$$(grep -oE "Test run with [0-9]+ tests" .build/test-output.txt | grep -oE "[0-9]+" | tail -n 1); \
	echo; echo "$$(( $${total:-0} - failed )) passed, $$failed failed"; exit $$status

# Generation benchmark on every preset, 1 and 2 threads, f32 and bf16 weights: one JSON object per line.
bench: build
	@mkdir -p docs/results
	@for p in tiny small medium; do for t in 1 2; do for w in f32 bf16; do \
		$(RELEASE_BIN) bench generate --preset $$p --threads $$t --weights $$w --json; \
	done; done; done | tee docs/results/bench-generate.jsonl
