package results_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

// cpuSamples is a heap series with the board's CPU busy time (ms) at one
// sample a second.
func cpuSamples(cores int, busyMs ...int64) []results.HeapSample {
	var hs []results.HeapSample
	for i, b := range busyMs {
		hs = append(hs, results.HeapSample{Offset: results.Duration(time.Duration(i) * time.Second), CPUBusyMs: b, CPUCores: cores})
	}
	return hs
}

// The board's CPU at saturation is its busiest stretch between two
// samples of any run, not the average since the board started.
func TestHeadlineBoardCPU(t *testing.T) {
	runs := headlineRuns()
	churn, all, one := runs[0], runs[1], runs[2]
	one.Heap = cpuSamples(1, 5000, 5300)         // 30%
	all.Heap = cpuSamples(1, 5300, 5800, 6670)   // 50%, then 87%
	churn.Heap = cpuSamples(2, 6670, 7470, 7570) // 40% of 2 cores, then 5%
	hs := results.Headlines(runs)
	got := strings.Join(hs[0].Lines, "\n")
	if want := "board CPU at saturation 87% (echo all slots)"; !strings.Contains(got, want) {
		t.Errorf("headline lacks %q:\n%s", want, got)
	}
	if p, ok := churn.CPUBusyPeak(); !ok || p != 400 {
		t.Errorf("churn's peak %d %v, want 400 (800 ms of 2 cores over 1 s)", p, ok)
	}
}

func TestCPUBusyPeak(t *testing.T) {
	for _, c := range []struct {
		name string
		heap []results.HeapSample
		want int64
		ok   bool
	}{
		{"no samples", nil, 0, false},
		{"one sample", cpuSamples(1, 500), 0, false},
		{"not modelled", cpuSamples(1, 0, 0, 0), 0, false},
		{"no cpu figures", []results.HeapSample{{HeapInUse: 1}, {Offset: results.Duration(time.Second), HeapInUse: 2}}, 0, false},
		{"idle then busy", cpuSamples(1, 0, 0, 250), 250, true},
		{"two cores", cpuSamples(2, 100, 1100), 500, true},
		{"over full is full", cpuSamples(1, 0, 1003), 1000, true},
		// The last sample 2 ms after the one before, 2 ms busier: the
		// ms count cannot tell that gap busy from idle.
		{"a short last gap joins no stretch", append(cpuSamples(1, 0, 100), results.HeapSample{
			Offset: results.Duration(time.Second + 2*time.Millisecond), CPUBusyMs: 102, CPUCores: 1}), 100, true},
		{"short gaps join the next sample", []results.HeapSample{{CPUBusyMs: 10, CPUCores: 1},
			{Offset: results.Duration(50 * time.Millisecond), CPUBusyMs: 60, CPUCores: 1},
			{Offset: results.Duration(200 * time.Millisecond), CPUBusyMs: 60, CPUCores: 1}}, 250, true},
		{"a series shorter than the span is one stretch", []results.HeapSample{{CPUBusyMs: 10, CPUCores: 1},
			{Offset: results.Duration(20 * time.Millisecond), CPUBusyMs: 15, CPUCores: 1}}, 250, true},
	} {
		r := &results.Run{Heap: c.heap}
		if got, ok := r.CPUBusyPeak(); got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
	for p, want := range map[int64]string{870: "87%", 4: "0.4%", 0: "0%", 1000: "100%", 126: "13%"} {
		if got := results.FormatPermille(p); got != want {
			t.Errorf("FormatPermille(%d) = %q, want %q", p, got, want)
		}
	}
}
