package results_test

import (
	"math"
	"testing"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func sweep() []*results.Run {
	var runs []*results.Run
	for i, rx := range []int{512, 1024, 2048, 4096, 8192, 16384} {
		runs = append(runs, resultstest.Run(resultstest.Spec{
			Seed: uint64(200 + i), Conns: 8, Slots: 8, RxBuf: rx, Samples: 2000,
			MsgsPerSec: 3000 * (1 - math.Exp(-float64(rx)/1500)), LatencyMedian: 1500 + 6e6/float64(rx),
		}))
	}
	return runs
}

func TestRecommend(t *testing.T) {
	runs := sweep()
	r, err := results.Recommend(runs, results.Target{})
	if err != nil || r.Board.RxBuf != 4096 {
		t.Fatalf("default target: got rx %v, %v; want 4096, the smallest within 90%% of the best", rxOf(r), err)
	}
	r, err = results.Recommend(runs, results.Target{MinMsgsPerSec: 1000})
	if err != nil || r.Board.RxBuf != 1024 {
		t.Fatalf("1000 msg/s: got rx %v, %v; want 1024", rxOf(r), err)
	}
	// 8K and 16K exceed the 160 KiB heap budget: nothing meets 3000 msg/s within it.
	if r, err := results.Recommend(runs, results.Target{MinMsgsPerSec: 2900}); err == nil {
		t.Fatalf("got rx %d, want no configuration within the budget", r.Board.RxBuf)
	}
	if r, err := results.Recommend(runs, results.Target{MinMsgsPerSec: 100, MaxP99: 15000}); err != nil || r.Board.RxBuf != 2048 {
		t.Fatalf("p99 <= 15 ms: got rx %v, %v; want 2048", rxOf(r), err)
	}
}

func rxOf(r *results.Run) any {
	if r == nil {
		return nil
	}
	return r.Board.RxBuf
}
