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

func recommend(t *testing.T, runs []*results.Run, goal string) (*results.Config, *results.Config, error) {
	t.Helper()
	var g results.Goal
	if goal != "" {
		var err error
		if g, err = results.ParseGoal(goal); err != nil {
			t.Fatal(err)
		}
	}
	pick, closest, _, err := results.Recommend(runs, g)
	return pick, closest, err
}

func TestRecommend(t *testing.T) {
	runs := sweep()
	r, _, err := recommend(t, runs, "")
	if err != nil || r.Board.RxBuf != 4096 {
		t.Fatalf("default goal: got %v, %v; want rx 4096, the smallest within 90%% of the best", r, err)
	}
	r, _, err = recommend(t, runs, "msgs>=1000")
	if err != nil || r.Board.RxBuf != 1024 {
		t.Fatalf("1000 msg/s: got %v, %v; want 1024", r, err)
	}
	// 16K exceeds the 160 KiB heap budget: nothing meets 3200 msg/s within
	// it, and the closest is the best that fits.
	r, closest, err := recommend(t, runs, "msgs>=3200")
	if err == nil || r != nil || closest == nil || closest.OverBudget || closest.Board.RxBuf != 8192 || closest.Worst.Text != "msgs>=3200" || closest.Margin >= 0 {
		t.Fatalf("got %v, closest %+v, %v; want none, closest rx 8192 within the budget", r, closest, err)
	}
	if r, _, err = recommend(t, runs, "msgs>=100,p99<=15ms"); err != nil || r.Board.RxBuf != 2048 {
		t.Fatalf("p99 <= 15 ms: got %v, %v; want 2048", r, err)
	}
	if l := results.ConfigLabel(r.Board); l != "esp32-idf (slots 8, rx 2048 B, tx 2048 B)" {
		t.Errorf("label %q does not name every buffer", l)
	}
}

// Ties go to the smaller RAM, not to noise in the message rate, and
// repeats count by their median, not their best or latest.
func TestRecommendTiesAndRepeats(t *testing.T) {
	mk := func(seed uint64, rx int, msgs float64) *results.Run {
		return resultstest.Run(resultstest.Spec{Seed: seed, Conns: 4, Slots: 4, RxBuf: rx, TxBuf: 1024, Samples: 200, MsgsPerSec: msgs})
	}
	runs := []*results.Run{mk(1, 1024, 990), mk(2, 4096, 1010)}
	if r, _, err := recommend(t, runs, "msgs>=900"); err != nil || r.Board.RxBuf != 1024 {
		t.Fatalf("got %v, %v; want the smaller RAM (rx 1024)", r, err)
	}
	// rx 512 met the goal once in three runs: its median misses.
	runs = append(runs, mk(3, 512, 2000), mk(4, 512, 500), mk(5, 512, 400))
	if r, _, err := recommend(t, runs, "msgs>=900"); err != nil || r.Board.RxBuf != 1024 {
		t.Fatalf("got %v, %v; want rx 1024 (rx 512's median is 500 msg/s)", r, err)
	}
}
