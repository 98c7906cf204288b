#!/bin/bash
# record.sh re-records the real benchmark files in this folder (see README.md).
# It takes about 6 minutes on the 2-core CI machine. Run from the repo root:
#
#	bash bench/gate/testdata/record.sh
#
# Every file is real `go test -bench` output of one binary built from
# bench/instr/testdata/detbench; nothing is edited by hand except the
# injected_* files, which README.md describes.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
hog=""
cleanup() { [ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go test -c -o "$tmp/det.test" ./bench/instr/testdata/detbench
cd bench/instr/testdata/detbench
bin="$tmp/det.test"
args=(-test.run='^$' -test.bench='^Benchmark(SHA1|XOR)$' -test.benchmem)

# 1. The same binary, two sequential runs of -count=10 a few minutes apart;
#    during the second, another process keeps one of the two cores busy.
"$bin" "${args[@]}" -test.count=10 >"$out/same_seq_1.txt"
sleep 120
yes >/dev/null & hog=$!
"$bin" "${args[@]}" -test.count=10 >"$out/same_seq_2.txt"
kill "$hog"; hog=""

# 2. The same binary run interleaved A B A B ... ten times, the way
#    `wslab gate --against` runs; the hog runs during the second half.
: >"$out/same_ab_a.txt"; : >"$out/same_ab_b.txt"
for i in $(seq 10); do
	if [ "$i" = 6 ]; then yes >/dev/null & hog=$!; fi
	"$bin" "${args[@]}" -test.count=1 >>"$out/same_ab_a.txt"
	"$bin" "${args[@]}" -test.count=1 >>"$out/same_ab_b.txt"
done
kill "$hog"; hog=""

# 3. A real 30% slowdown: BenchmarkXOR masks 12600 bytes in BASE and 16384
#    (1.30x the work) in HEAD, interleaved, ten runs per side.
: >"$out/slow_base.txt"; : >"$out/slow_head.txt"
for i in $(seq 10); do
	DETBENCH_XOR_BYTES=12600 "$bin" -test.run='^$' -test.bench='^BenchmarkXOR$' -test.benchmem -test.count=1 >>"$out/slow_base.txt"
	"$bin" -test.run='^$' -test.bench='^BenchmarkXOR$' -test.benchmem -test.count=1 >>"$out/slow_head.txt"
done
echo "recorded into $out"
