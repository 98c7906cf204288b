package results_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

func TestParseGoalExact(t *testing.T) {
	for _, tc := range []struct {
		in     string
		figure string
		op     results.Op
		limit  float64
		pct    bool
	}{
		{"p99<=20ms", "p99", results.OpLessEq, 20000, false},
		{"p99<20ms", "p99", results.OpLess, 20000, false},
		{"P99 < 20 ms", "p99", results.OpLess, 20000, false},
		{"p50>=1.5s", "p50", results.OpGreaterEq, 1.5e6, false},
		{"p999<250us", "p999", results.OpLess, 250, false},
		{"p99.9<250µs", "p999", results.OpLess, 250, false},
		{"p90<500ns", "p90", results.OpLess, 0.5, false},
		{"p99<2min", "p99", results.OpLess, 120e6, false},
		{"throughput>1MB/s", "throughput", results.OpGreater, 1e6, false},
		{"throughput>1MiB/s", "throughput", results.OpGreater, 1 << 20, false},
		{"up>=20kB/s", "up", results.OpGreaterEq, 20e3, false},
		{"down>3KiB/s", "down", results.OpGreater, 3 << 10, false},
		{"msgs>1000", "msgs", results.OpGreater, 1000, false},
		{"msgs/s>1000/s", "msgs", results.OpGreater, 1000, false},
		{"errors==0", "errors", results.OpEqual, 0, false},
		{"refused<=2", "refused", results.OpLessEq, 2, false},
		{"ram<80%", "ram", results.OpLess, 0.8, true},
		{"ram<64KiB", "ram", results.OpLess, 64 << 10, false},
	} {
		g, err := results.ParseGoal(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		c := g[0]
		if len(g) != 1 || c.Figure != tc.figure || c.Op != tc.op || math.Abs(c.Limit-tc.limit) > 1e-9*math.Abs(tc.limit) || c.Percent != tc.pct || c.Text != strings.TrimSpace(tc.in) {
			t.Errorf("%q: got %+v", tc.in, g)
		}
	}
}

func TestParseGoalRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "empty goal",
		"p99":                   "FIGURE OP VALUE",
		"p99<20m":               "use ms or min",
		"p99<20":                "need a unit",
		"p99<NaN ms":            "plain decimal",
		"p99<NaNms":             "plain decimal",
		"p99<Infms":             "plain decimal",
		"p99<-1ms":              "plain decimal",
		"p99<1e3ms":             "unit",
		"p99<0x10ms":            "unit",
		"p99=20ms":              "write ==",
		"p99!=20ms":             "!=",
		"p99=<20ms":             "write <= or >=",
		"p99<<20ms":             "operator",
		"p99<fast":              "plain decimal",
		"latency<2ms":           "unknown figure",
		"throughput>1Mb/s":      "bits or bytes",
		"throughput>1mb/s":      "bits or bytes",
		"throughput>1":          "needs a unit",
		"throughput>3 furlongs": "want B/s",
		"errors<0.5":            "whole number",
		"errors<1ms":            "whole number",
		"ram<80":                "needs a unit",
		"msgs>10ms":             "plain number",
	} {
		_, err := results.ParseGoal(in)
		if err == nil {
			t.Errorf("ParseGoal(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseGoal(%q): %v, want it to say %q", in, err, want)
		}
	}
}

// goalRun is an echo of 64-byte messages for one second: 1000 each way.
func goalRun(p99us int64) *results.Run {
	r := results.New(time.Unix(0, 0), results.Scenario{Name: "echo", Conns: 1, Size: 64, Duration: results.Duration(time.Second)},
		results.Board{Model: "m", Slots: 4, RxBuf: 1024, TxBuf: 1024, HeapBudget: 100 << 10, StaticFootprint: 80 << 10}, "ws://x")
	r.End = r.Start.Add(time.Second)
	r.Counts = results.Counts{MsgsSent: 1000, MsgsReceived: 1000, BytesSent: 500_000, BytesReceived: 500_000}
	h := results.NewHistogram()
	for range 100 {
		h.Record(p99us)
	}
	r.Histograms = map[string]*results.Histogram{results.HistLatency: h}
	return r
}

func TestGoalBoundaries(t *testing.T) {
	r := goalRun(2000) // every latency is 2 ms (exact in the histogram)
	for goal, want := range map[string]bool{
		"p99<=2ms": true, "p99<2ms": false, "p99>=2ms": true, "p99>2ms": false, "p99==2ms": true, "p99<=2000us": true,
		// An echo of 0.5 MB/s each way is 0.5 MB/s of throughput, not 1.
		"throughput>=1MB/s": false, "throughput>=0.5MB/s": true, "throughput>0.5MB/s": false,
		"up>=0.5MB/s": true, "down>=0.5MB/s": true, "down>0.6MB/s": false,
		"errors==0": true, "refused==0": true,
		"ram<=80%": true, "ram<80%": false, "ram<=80KiB": true, "ram<79KiB": false,
	} {
		g, err := results.ParseGoal(goal)
		if err != nil {
			t.Fatal(err)
		}
		ok, margin, _ := results.CheckGoal(g, r)
		if ok != want {
			t.Errorf("%s on p99=2ms, 0.5 MB/s each way, 80 KiB of 100 KiB: %v, want %v", goal, ok, want)
		}
		if ok != (margin >= 0) {
			t.Errorf("%s: ok %v with margin %g", goal, ok, margin)
		}
	}
}

func TestRefusalKinds(t *testing.T) {
	r := goalRun(1)
	r.Counts.ConnsAttempted, r.Counts.ConnsOpened, r.Counts.ConnsFailed = 9, 7, 2
	r.Errors = map[string]int64{"handshake 503": 1, "handshake eof": 1, "lost": 3}
	k := r.RefusalKinds()
	if len(k) != 2 || k["handshake 503"] != 1 || k["handshake eof"] != 1 || r.Refused() != 2 {
		t.Errorf("refusals %v (%d)", k, r.Refused())
	}
	r.Errors = map[string]int64{"reset": 5} // 2 before the upgrade, 3 after
	if k := r.RefusalKinds(); len(k) != 1 || k["reset"] != 2 {
		t.Errorf("reset refusals %v", k)
	}
}

func FuzzParseGoal(f *testing.F) {
	for _, s := range []string{"p99<=20ms", "p99<20m", "throughput>1MB/s,errors==0", "ram<80%", "p50>NaNms",
		"msgs>1000/s", "p99.9<1.5s", "up>=3KiB/s,down>0.5MiB/s", "refused<=2", "=,<>", "p99<.5ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := results.ParseGoal(s)
		if err != nil {
			return
		}
		for _, c := range g {
			if math.IsNaN(c.Limit) || math.IsInf(c.Limit, 0) || c.Limit < 0 {
				t.Fatalf("%q: limit %g", s, c.Limit)
			}
			// Parsing a clause's own text gives the same clause.
			g2, err := results.ParseGoal(c.Text)
			if err != nil || len(g2) != 1 || g2[0] != c {
				t.Fatalf("%q: clause %+v reparses as %+v, %v", s, c, g2, err)
			}
			// The limit itself meets an inclusive clause and fails a strict one.
			switch c.Op {
			case results.OpLessEq, results.OpGreaterEq, results.OpEqual:
				if !results.Holds(c, c.Limit) || results.Margin(c, c.Limit) < 0 {
					t.Fatalf("%q: limit fails %s", s, c.Op)
				}
			case results.OpLess, results.OpGreater:
				if results.Holds(c, c.Limit) || results.Margin(c, c.Limit) >= 0 {
					t.Fatalf("%q: limit meets %s", s, c.Op)
				}
			}
		}
	})
}

// Throughput per direction: an echo's payload counts once; a sink or a
// stream moves it one way only.
func TestSummaryDirections(t *testing.T) {
	r := goalRun(1) // echo: 0.5 MB each way in 1 s
	s := r.Summary()
	if s.UpMBPerSec != 0.5 || s.DownMBPerSec != 0.5 || s.OneWayMBPerSec != 0.5 || s.MBPerSec != 1 {
		t.Errorf("echo: up %g down %g one-way %g total %g", s.UpMBPerSec, s.DownMBPerSec, s.OneWayMBPerSec, s.MBPerSec)
	}
	r.Counts.BytesReceived = 0 // a sink
	r.Rates.BytesPerSec = 2e6  // measured over a window of a quarter second
	if s := r.Summary(); s.UpMBPerSec != 2 || s.DownMBPerSec != 0 || s.OneWayMBPerSec != 2 {
		t.Errorf("sink: up %g down %g one-way %g", s.UpMBPerSec, s.DownMBPerSec, s.OneWayMBPerSec)
	}
}
