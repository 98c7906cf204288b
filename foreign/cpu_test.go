package foreign

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
)

func TestBoardBusy(t *testing.T) {
	for _, c := range []struct {
		usage int64
		share float64
		want  int64
	}{
		{40e6, 0.04, 1e9}, // 40 ms of a core at 4%: the board busy for a second
		{10e6, 0.02, 500e6},
		{30e6, 0, 30e6}, // no quota: one host core
	} {
		if got := BoardBusy(c.usage, c.share); got != c.want {
			t.Errorf("BoardBusy(%d, %g) = %d, want %d", c.usage, c.share, got, c.want)
		}
	}
}

// TestCPUPanel: the foreign process's CPU reaches the Run record where an
// emulated board's does (the heap samples' cpu figures, Run.CPUBusyPeak):
// a server saturated under its quota is busy near 100% of it, an idle one
// near zero.
func TestCPUPanel(t *testing.T) {
	bin := lwsEcho(t)
	noLink := func(o *Options) { o.CPUShare, o.Link = 0.04, host.Link{} }

	idle := startModel(t, "esp32-idf", bin+" PORT", noLink)
	r := load(t, idle, loadgen.Spec{Scenario: loadgen.Connect, Conns: 1, Hold: 2 * time.Second,
		Duration: 2 * time.Second, HeapEvery: 200 * time.Millisecond})
	p, ok := r.CPUBusyPeak()
	t.Logf("idle: board CPU peak %d permille over %d samples", p, len(r.Heap))
	if !ok || p > 150 {
		t.Errorf("idle server: CPU peak %d permille (reported %v), want near zero", p, ok)
	}
	if len(r.Heap) < 2 || r.Heap[len(r.Heap)-1].CPUCores != 1 {
		t.Fatalf("no CPU figures in the heap series: %+v", r.Heap)
	}

	busy := startModel(t, "esp32-idf", bin+" PORT", noLink)
	r = load(t, busy, loadgen.Spec{Scenario: loadgen.Echo, Conns: 8, Size: 64, Duration: 3 * time.Second,
		HeapEvery: 250 * time.Millisecond})
	p, ok = r.CPUBusyPeak()
	t.Logf("saturated: board CPU peak %d permille, %d msgs", p, r.Counts.MsgsReceived)
	if !ok || p < 700 {
		t.Errorf("saturated server: CPU peak %d permille (reported %v), want near the whole quota", p, ok)
	}
	var st statsDoc
	if err := json.Unmarshal(busy.StatsDoc(), &st); err != nil {
		t.Fatal(err)
	}
	if st.CPU.Cores != 1 || st.CPU.BusyMs != BoardBusy(st.CPU.UsageNs, 0.04)/1e6 || st.CPU.BusyPermille <= 0 {
		t.Errorf("stats cpu %+v", st.CPU)
	}
}
