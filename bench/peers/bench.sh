#!/bin/sh
# Runs the peer comparison and prints benchstat's table with one column per
# library, gobwas's zero-allocation path first: the base the others are
# compared with (benchstat -col /impl).
#
#   bench/peers/bench.sh [passes]    (default 6)
#
# The test binary is built once and run once per pass, every benchmark in
# each pass, so the libraries alternate through the run and a machine that
# gets busier part-way hits them all alike. BENCH picks benchmarks (a -bench
# pattern, default all), BENCHTIME the time per benchmark and pass (default
# 200ms). The raw results go to a temporary file of the run's own, named at
# the end. Then TestCPUTimeRatios prints the paired thread-CPU ratios and
# the handshake's floor (impl=floor in the table is the same floor).
set -eu
cd "$(dirname "$0")"
passes=${1:-6}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
out=$(mktemp "${TMPDIR:-/tmp}/wslab-peers.XXXXXX")
"${GO:-go}" test -c -o "$bin/peers.test" .
i=0
while [ "$i" -lt "$passes" ]; do
	"$bin/peers.test" -test.run '^$' -test.bench "${BENCH:-.}" -test.benchtime "${BENCHTIME:-200ms}" -test.count 1 >>"$out"
	i=$((i + 1))
done
if ! grep -q '^Benchmark' "$out"; then
	echo "bench.sh: no benchmark matched ${BENCH:-.}" >&2
	exit 1
fi
# benchstat from the main module, at the version its go.mod pins.
(cd ../.. && "${GO:-go}" run golang.org/x/perf/cmd/benchstat -col /impl "$out")
echo "raw results: $out"
# The same figures in thread CPU time, the libraries alternating in one
# run, with the handshake's floor (what every implementation must do) and
# each side's overhead above it.
echo
PEERS_CPUTIME=1 "$bin/peers.test" -test.run '^TestCPUTimeRatios$' -test.v | grep -v -e '^=== ' -e '^--- ' -e '^PASS$' || true
