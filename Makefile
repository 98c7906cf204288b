# wslab make targets. `make test` is the test command the README and .ci/run use.
GO ?= go
BASE ?= main

.PHONY: all build lab test tidy-check test-short vet test-cross fuzz gate gate-ci instr baselines bench bench-peers golden compare-k6

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
# package's tests would steal their CPU.
test: tidy-check
	$(GO) vet ./...
	$(GO) test -p 1 -timeout 30m ./...
	cd bench/peers && $(GO) vet ./... && $(GO) test ./...
	cd deploy/k8s && $(GO) vet ./... && $(GO) test ./...

# go.mod and go.sum say exactly what the code imports (direct requirements
# not marked indirect, nothing missing, nothing stale), in both modules.
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

# A few seconds of each fuzz target (go test -fuzz takes one target at a time).
FUZZTIME ?= 5s
fuzz:
	for f in $$($(GO) test -list '^Fuzz' ./core | grep '^Fuzz'); do \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./core || exit 1; \
	done

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

# wslab's codec against gobwas/ws and gorilla/websocket, same run, benchstat table.
bench-peers:
	cd bench/peers && $(GO) test -run '^$$' -bench . -count 6 | tee /tmp/wslab-peers.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@latest -col /impl /tmp/wslab-peers.txt

# Regenerate the plots' golden images (look at them before committing).
golden:
	$(GO) test ./plots/... -update

# wslab against k6 on the same emulated board, same run (64 B echo, 16 conns).
compare-k6:
	$(GO) install go.k6.io/k6@v1.8.1
	$(GO) run ./loadgen/cmd/comparek6 -k6 "$$($(GO) env GOPATH)/bin/k6"
