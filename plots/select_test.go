package plots

import (
	"slices"
	"strings"
	"testing"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func TestSelect(t *testing.T) {
	sweep, _ := sweepRuns()
	hist, _ := historyRuns()
	var runs []*results.Run
	runs = append(runs, sweep...)
	runs = append(runs, hist...)
	runs = append(runs, resultstest.Run(resultstest.Spec{Seed: 9, Board: "pico-w-tinygo", Samples: 100}))
	figs, err := Select(runs)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	for _, want := range []string{
		"latency-spectrum-echo", "latency-over-time-echo", "heap-over-time-echo",
		"throughput-vs-conns-echo", // sweep runs have 8 connections, history runs 10
		"buffer-sweep-esp32-idf-echo-c8",
		"history-esp32-idf-echo-c10-msgs-s", "history-esp32-idf-echo-c10-p99",
		"board-comparison",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s among %q", want, names)
		}
	}
	if slices.Contains(names, "buffer-sweep-esp32-idf-echo-c10") {
		t.Error("buffer sweep drawn for runs with one buffer size")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("figure name %s used twice", n)
		}
		seen[n] = true
	}
	// One board, one scenario, one commit: only the per-scenario figures.
	figs, _ = Select([]*results.Run{resultstest.Run(resultstest.Spec{Seed: 1, Samples: 100})})
	if len(figs) != 3 {
		t.Errorf("single run gave %d figures, want spectrum, latency over time, heap", len(figs))
	}
}

// A sweep over rx at two tx values draws one line per tx value, never an
// average of the two.
func TestSweepOneLinePerTx(t *testing.T) {
	var runs []*results.Run
	for i, rx := range []int{1024, 2048, 4096} {
		for j, tx := range []int{1024, 8192} {
			runs = append(runs, resultstest.Run(resultstest.Spec{Seed: uint64(10*i + j), Conns: 4, Slots: 4, RxBuf: rx, TxBuf: tx,
				Samples: 100, MsgsPerSec: float64(1000 * (j + 1))}))
		}
	}
	f, err := SweepOn(runs, nil, AxisRx)
	if err != nil {
		t.Fatal(err)
	}
	// Per tx value: its throughput line and its RAM line.
	if f.entries != 4+1 { // and the heap budget
		t.Errorf("%d legend entries, want 2 lines per tx value and the budget", f.entries)
	}
	name := lineName(runs, AxisRx)
	if a, b := name(runs[0].Board), name(runs[1].Board); a == b || !strings.Contains(a, "tx 1K") || !strings.Contains(b, "tx 8K") {
		t.Errorf("lines named %q and %q", a, b)
	}
}

// Figures that would say nothing are left out, and the x axis counts the
// connections the board opened, not those attempted.
func TestThroughputVsConnsHonest(t *testing.T) {
	var connect []*results.Run
	for i, c := range []int{4, 9} {
		r := resultstest.Run(resultstest.Spec{Seed: uint64(i + 1), Scenario: "connect", Conns: c, Samples: 10})
		r.Counts = results.Counts{ConnsAttempted: int64(c), ConnsOpened: min(int64(c), 7)}
		r.Rates = results.Rates{}
		connect = append(connect, r)
	}
	if _, err := ThroughputVsConns(connect); err == nil {
		t.Error("an all-zero throughput figure for connect runs")
	}
	var echo []*results.Run
	for i, c := range []int{1, 16} {
		r := resultstest.Run(resultstest.Spec{Seed: uint64(i + 10), Conns: c, Slots: 7, Samples: 10})
		r.Counts.ConnsAttempted, r.Counts.ConnsOpened = int64(c), min(int64(c), 7)
		echo = append(echo, r)
	}
	f, err := ThroughputVsConns(echo)
	if err != nil {
		t.Fatal(err)
	}
	if max := f.rows[0][0].X.Max; max > 7*1.25 {
		t.Errorf("x axis reaches %g on a 7-slot board: attempted, not opened", max)
	}
}
