// Command wslab is a WebSocket performance lab for microcontroller boards.
//
// It is a thin map of subcommands over the packages: commands in main.go is
// the whole table, and each subcommand lives in the file named after it.
// `wslab <command> -h` lists a command's flags; README.md explains them.
//
// # Examples
//
// The deterministic commands, on this repository's test data (doc_test.go
// runs every example below and compares what it prints; $WORK is a
// scratch folder, "!" starts a line on stderr).
//
// The CI gate fails on a real 30% slowdown of one benchmark:
//
//	$ wslab gate bench/gate/testdata/slow_base.txt bench/gate/testdata/slow_head.txt
//	gate: BASE bench/gate/testdata/slow_base.txt vs HEAD bench/gate/testdata/slow_head.txt
//	rules: gated time,allocs,bytes,instr; sec/op fails if p < 0.01 (Mann-Whitney, Holm-adjusted over the 1 sec/op rows) and > +10%; instr/op fails if > +1%; allocs/op and B/op fail on any rise
//
//	benchmark       unit    base          head          delta    p             verdict
//	BenchmarkXOR-2  sec/op  4.467µ ± 10%  6.463µ ± 20%  +44.70%  p=0.001 n=10  FAIL: +44.70% sec/op (p=0.00105, Holm over 1)
//	(3 unchanged or ungated rows not shown; -v shows every row)
//
//	FAIL: 1 regression: BenchmarkXOR-2 +44.70% sec/op (p=0.00105, Holm over 1) (4 rows; 1 not gated)
//	[exit 1]
//
// Merging the three shards of one run writes one record, and never
// overwrites one; a missing shard refuses the merge:
//
//	$ wslab merge testdata/doc/shards/*.json --out $WORK/merged.json
//	$WORK/merged.json
//	$ wslab merge testdata/doc/shards/*.json --out $WORK/merged.json
//	! wslab merge: write $WORK/merged.json: file already exists
//	[exit 1]
//	$ wslab merge testdata/doc/shards/20250102T150405.000Z-000000.json testdata/doc/shards/20250102T150405.000Z-000002.json --out $WORK/two.json
//	! wslab merge: shards [1] of 3 are missing: the merge would cover 2 of 3; nothing written (--partial writes it anyway)
//	[exit 1]
//
// The figures that apply to two echo runs on two boards, and the report
// of their results folder:
//
//	$ wslab plot testdata/doc/results/*.json --out $WORK/plots
//	$WORK/plots/latency-spectrum-echo.png
//	$WORK/plots/latency-spectrum-echo.svg
//	$WORK/plots/latency-over-time-echo.png
//	$WORK/plots/latency-over-time-echo.svg
//	$WORK/plots/heap-over-time-echo.png
//	$WORK/plots/heap-over-time-echo.svg
//	$WORK/plots/board-comparison.png
//	$WORK/plots/board-comparison.svg
//	$ wslab report testdata/doc/results --out $WORK/report
//	$WORK/report/index.html
package main
