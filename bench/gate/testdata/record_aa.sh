#!/bin/bash
# record_aa.sh records ten A/A pairs: the same tree's core benchmarks run
# twice in a row, `go test -run '^$' -bench . -count 6 -benchtime 100ms
# ./core`, one run at a time (issue 17's recipe). The gate's time rule is
# calibrated on them: it must pass all ten. Run from the repository root:
#
#	bash bench/gate/testdata/record_aa.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/aa
mkdir -p "$out"
for i in $(seq -w 1 10); do
	for side in a b; do
		go test -run '^$' -bench . -count 6 -benchtime 100ms ./core >"$out/pair${i}_${side}.txt"
	done
done
echo "recorded into $out"
