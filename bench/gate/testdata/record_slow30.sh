#!/bin/bash
# record_slow30.sh records a real 30% slowdown on this machine, the way the
# gate is meant to see one here (README: gate time only on interleaved runs):
# one test binary of bench/instr/testdata/detbench, BASE with BenchmarkXOR
# masking 12603 bytes (DETBENCH_XOR_BYTES) and HEAD masking the default
# 16384 (1.30x the work, same benchmark name), run interleaved
# A B A B ..., ROUNDS times a side (default 12), -test.count=1 per run.
# BenchmarkSHA1 runs unchanged on both sides: a row that must not fail.
# Nothing else is stopped or pinned: the other jobs on the shared 2-core
# machine keep running, as they do in CI. Two recordings:
#
#	slow30/base.txt, head.txt          as the machine was
#	slow30/hog_base.txt, hog_head.txt  `yes` keeps one core busy from the
#	                                   middle round on (a load change
#	                                   halfway, as in same_ab_*.txt)
#
# Run from the repository root (about 5 minutes; PART=quiet or PART=hog
# records one of the two; OUT=DIR writes elsewhere, ROUNDS=N sets the rounds):
#
#	bash bench/gate/testdata/record_slow30.sh
set -euo pipefail
rounds=${ROUNDS:-12}
part=${PART:-all}
out=${OUT:-$(cd "$(dirname "$0")" && pwd)/slow30}
mkdir -p "$out"
tmp=$(mktemp -d)
hog=""
cleanup() { [ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go test -c -o "$tmp/det.test" ./bench/instr/testdata/detbench
cd bench/instr/testdata/detbench
args=(-test.run='^$' -test.bench='^Benchmark(SHA1|XOR)$' -test.benchmem -test.count=1)

# record PREFIX HOGFROM: ROUNDS interleaved rounds into PREFIXbase.txt and
# PREFIXhead.txt; from round HOGFROM on (0: never) `yes` runs beside.
record() {
	: >"$out/${1}base.txt"
	: >"$out/${1}head.txt"
	for i in $(seq "$rounds"); do
		if [ "$i" = "$2" ]; then yes >/dev/null & hog=$!; fi
		DETBENCH_XOR_BYTES=12603 "$tmp/det.test" "${args[@]}" >>"$out/${1}base.txt"
		"$tmp/det.test" "${args[@]}" >>"$out/${1}head.txt"
	done
	if [ -n "$hog" ]; then kill "$hog"; wait "$hog" 2>/dev/null || true; hog=""; fi
	label=${1:-quiet_}
	echo "${label%_} recorded $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $rounds rounds a side, interleaved; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/RECORDED"
}
if [ "$part" = all ]; then : >"$out/RECORDED"; fi
if [ "$part" = all ] || [ "$part" = quiet ]; then record "" 0; fi
if [ "$part" = all ] || [ "$part" = hog ]; then record hog_ $((rounds / 2 + 1)); fi
echo "recorded into $out"
