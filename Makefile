# wslab make targets. `make test` is the test command the README and .ci/run use.
GO ?= go
BASE ?= main

.PHONY: all build lab test tidy-check test-short vet test-cross fuzz mutants gate gate-ci instr baselines bench bench-peers loop-cpu golden compare-k6 calibrate-boards

all: vet test

build:
	$(GO) build -o bin/wslab .

# The lab's main job on its embedded default: three emulated boards, a report.
lab:
	$(GO) run . lab

vet:
	$(GO) vet ./...

# Every test. Packages run one at a time (-p 1): the link-emulation and
# load-generator tests time emulated links, and on a 2-core machine another
# package's tests would steal their CPU. Inside a package, the tests that
# mark themselves parallel run up to four at once whatever the core count
# (-parallel defaults to GOMAXPROCS): foreign's two servers, each in a
# cgroup of its own, which wait on emulated links at a few percent of a
# core each. calibrate's three hidden boards calibrate in processes of
# their own while its other tests run (its TestMain starts them).
test: tidy-check
	$(GO) vet ./...
	$(GO) test -p 1 -parallel 4 -timeout 30m ./...
	cd bench/peers && $(GO) vet ./... && $(GO) test ./...
	cd deploy/k8s && $(GO) vet ./... && $(GO) test ./...

# go.mod and go.sum say exactly what the code imports (direct requirements
# not marked indirect, nothing missing, nothing stale), in both modules.
# The hidden-board calibration (TestCalibrateHiddenBoards) on other boards
# than the three CI calibrates: BOARDS names presets and random boards
# (random-N: the random configuration of seed N), each calibrated in a
# process of its own, PARALLEL at once (~10 min each at the test's scale).
BOARDS ?= esp32-idf,esp32-async,picow-sdk,nano33-wifinina,random-106,random-107
PARALLEL ?= 3
calibrate-boards:
	WSLAB_CALIBRATE_BOARDS=$(BOARDS) $(GO) test -count 1 -parallel $(PARALLEL) -timeout 90m -run '^TestCalibrateHiddenBoards$$' -v ./calibrate

tidy-check:
	$(GO) mod tidy -diff
	cd bench/peers && $(GO) mod tidy -diff
	cd deploy/k8s && $(GO) mod tidy -diff

test-short:
	$(GO) test -short ./...

# The board-side code (core and firmware) on 32-bit targets, the codec on a
# big-endian one, all under qemu-user (this kernel may not run 32-bit x86
# binaries natively, and Go's 386 runtime does not run reliably under
# qemu-i386: 386 runs only where the kernel runs it, and says so when not;
# the 32-bit coverage is ARMv6/ARMv7 and MIPS below). GOARM=6 is the
# Cortex-M0+ class (RP2040, SAMD21): no unaligned access, soft division.
test-cross:
	@if GOARCH=386 $(GO) test -count=1 -run '^$$' ./core >/dev/null 2>&1; then \
		echo "GOARCH=386 $(GO) test -count=1 ./core ./firmware ./firmware/poll"; \
		GOARCH=386 $(GO) test -count=1 ./core ./firmware ./firmware/poll; \
	else \
		echo "test-cross: this kernel cannot run 32-bit x86 binaries (and Go's 386 runtime is unreliable under qemu-i386): 386 not run; 32-bit ARM and MIPS below"; \
	fi
	GOARCH=arm GOARM=6 $(GO) test -exec qemu-arm -count=1 ./core ./firmware ./firmware/poll
	GOARCH=arm GOARM=7 $(GO) test -exec qemu-arm -count=1 ./core
	GOARCH=s390x $(GO) test -exec qemu-s390x -count=1 ./core
	GOARCH=mips GOMIPS=softfloat $(GO) test -exec qemu-mips -count=1 ./core
	$(GO) test -tags purego -count=1 ./core

# A few seconds of each fuzz target of each package in FUZZPKGS (go test
# -fuzz takes one target of one package at a time). Other packages add
# themselves to the list.
FUZZTIME ?= 5s
FUZZPKGS ?= ./core ./firmware ./results ./bench/gate ./loadgen
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash .ci/fuzz.sh $(FUZZPKGS)

# The mutation check: each mutant of internal/mutants/list.go put into the
# code alone (a build overlay, the tree is untouched) must make its tests
# fail; survivors are listed and the target fails. MUTANTS=text selects.
MUTANTS ?=
mutants:
	$(GO) run ./internal/mutants -run '$(MUTANTS)'

# Timings and allocations, A/B against BASE (default main), interleaved runs.
gate:
	$(GO) run . gate --against $(BASE) --pkg ./core/... --count 10

# The exact gates CI runs against the committed baselines: allocations and
# bytes per op (any rise fails) and instructions per op under callgrind
# (a rise over 1% fails). Timings are not gated here: CI machines are noisy.
gate-ci:
	mkdir -p .gate
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 200x -count 1 -cpu 1 ./core/... ./firmware > .gate/allocs.txt
	$(GO) run . gate --units allocs,bytes results/baselines/allocs.txt .gate/allocs.txt
	$(GO) run . bench --instructions --pkg ./core/... --out .gate/instr.txt
	$(GO) run . gate --units instr results/baselines/instr.txt .gate/instr.txt

instr:
	$(GO) run . bench --instructions --pkg ./core/... --out .gate/instr.txt

# Re-record the baselines (after a deliberate change; review the diff).
baselines:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 200x -count 1 -cpu 1 ./core/... ./firmware > results/baselines/allocs.txt
	$(GO) run . bench --instructions --pkg ./core/... --out results/baselines/instr.txt

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/... ./firmware/... ./loadgen/...

# wslab's codec against gobwas/ws, gorilla/websocket and gws in alternating
# passes of one test binary; benchstat's ratios against gobwas's
# zero-allocation path. PASSES=n, BENCH=pattern, BENCHTIME=d.
bench-peers:
	GO="$(GO)" BENCH="$(BENCH)" BENCHTIME="$(BENCHTIME)" sh bench/peers/bench.sh $(or $(PASSES),6)

# The board's event loop against gobwas and the load generator against a
# plain Go client, in CPU time, pinned to the two cores (issue 16).
loop-cpu:
	GO="$(GO)" sh bench/peers/loopcpu.sh $(or $(PASSES),3)

# Regenerate the plots' golden images (look at them before committing).
golden:
	$(GO) test ./plots/... -update

# wslab's load generator against a Node.js+ws peer (Debian's nodejs and
# node-ws; the stand-in for k6, which is under the AGPL) on the same
# emulated board, interleaved over PASSES (default 3): medians and ranges,
# paired ratios. NODE=path and NODE_WORKERS=n set the peer. k6 is never
# installed here; when it is already on PATH, in GOBIN or GOPATH/bin, or at
# K6=path, it runs as a third column. Exits non-zero when a target is
# missed, nothing was measured, or node/ws is missing.
compare-k6:
	$(GO) run ./bench/comparek6 $(if $(K6),-k6 "$(K6)") $(if $(NODE),-node "$(NODE)") $(if $(NODE_WORKERS),-node-workers $(NODE_WORKERS)) $(if $(PASSES),-passes $(PASSES)) $(if $(DURATION),-duration $(DURATION))
