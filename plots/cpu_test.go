package plots

import (
	"errors"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

// cpuRuns are two boards' runs with the CPU in their heap series: one busy
// at 25% then saturated, one a foreign server at 60% of its quota that
// crashes at 6 s.
func cpuRuns() []*results.Run {
	mk := func(model string, perSec func(i int) int64) *results.Run {
		r := &results.Run{Schema: 1, ID: model, Board: results.Board{Model: model}, Scenario: results.Scenario{Name: "echo", Conns: 4}}
		busy := int64(0)
		for i := 0; i <= 20; i++ {
			if i > 0 {
				busy += perSec(i) / 2 // samples every 500 ms
			}
			r.Heap = append(r.Heap, results.HeapSample{Offset: results.Duration(time.Duration(i) * 500 * time.Millisecond),
				HeapInUse: 1000, CPUBusyMs: busy, CPUCores: 1})
		}
		return r
	}
	a := mk("esp32-idf", func(i int) int64 {
		if i < 8 {
			return 250
		}
		return 1000
	})
	b := mk("esp32-idf+lws_echo", func(int) int64 { return 600 })
	b.BoardEvents = []results.BoardEvent{{Offset: results.Duration(6 * time.Second), Kind: "crash", Detail: "oom-kill"}}
	return []*results.Run{a, b}
}

// TestCPUOverTime: the figure draws each stretch at the board's busy
// fraction, marks the crash, and needs a run that reports a CPU.
func TestCPUOverTime(t *testing.T) {
	f, err := CPUOverTime(cpuRuns())
	if err != nil {
		t.Fatal(err)
	}
	if f.entries != 3 {
		t.Errorf("%d legend entries, want two boards and the crash", f.entries)
	}
	p := f.rows[0][0]
	if p.Y.Max < 100 || p.X.Max < 10 {
		t.Errorf("axes to %g %% and %g s: the saturated board or the run's end is off the plot", p.Y.Max, p.X.Max)
	}
	s, ok := cpuRuns()[0].CPUBusySeries()
	if !ok || len(s) != 20 || s[0].Permille != 250 || s[19].Permille != 1000 {
		t.Errorf("series %+v", s)
	}
	noCPU := cpuRuns()[:1]
	for i := range noCPU[0].Heap {
		noCPU[0].Heap[i].CPUCores, noCPU[0].Heap[i].CPUBusyMs = 0, 0
	}
	if _, err := CPUOverTime(noCPU); !errors.Is(err, ErrNoData) {
		t.Errorf("a run without CPU figures: %v, want ErrNoData", err)
	}
	// Select puts it among the figures of the scenario.
	figs, err := Select(cpuRuns())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range figs {
		found = found || f.Name == "cpu-over-time-echo"
	}
	if !found {
		t.Error("Select has no cpu-over-time-echo")
	}
}
