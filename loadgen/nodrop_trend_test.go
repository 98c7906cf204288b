package loadgen

import (
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

// A step whose median latency climbs from its first quarter to its last is
// a board falling behind, even while its p99 still fits the bound; a flat
// median with a heavy tail is a board keeping up.
func TestQueueGrows(t *testing.T) {
	run := func(p50s ...int64) *results.Run {
		r := &results.Run{}
		for _, us := range p50s {
			h := results.NewHistogram()
			for k := 0; k < 9; k++ {
				h.Record(us) // the median
			}
			h.Record(us * 20) // a tail sample
			r.Intervals = append(r.Intervals, results.Interval{Histograms: map[string]*results.Histogram{results.HistLatency: h}})
		}
		return r
	}
	step := 200 * time.Millisecond
	if _, _, g := queueGrows(run(14000, 15000, 13500, 14500), step); g {
		t.Error("a flat median (14-15 ms) judged as falling behind")
	}
	first, last, g := queueGrows(run(14000, 30000, 45000, 61000), step)
	if !g || first > last {
		t.Errorf("a median rising 14 -> 61 ms in a 200 ms step: grows %v (%v -> %v)", g, first, last)
	}
	// Under a tenth of the step and 5 ms: noise.
	if _, _, g := queueGrows(run(14000, 16000, 15000, 18000), step); g {
		t.Error("a 4 ms wobble judged as falling behind")
	}
	if _, _, g := queueGrows(&results.Run{}, step); g {
		t.Error("no intervals: nothing to judge")
	}
}
