package gate

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExports(t *testing.T) {
	rep := compareFiles(t, "testdata/slow_base.txt", "testdata/slow_head.txt", Options{})
	var b strings.Builder
	if err := rep.WriteGitHubActionBenchmark(&b); err != nil {
		t.Fatal(err)
	}
	var gab []struct {
		Name, Unit, Range, Extra string
		Value                    float64
	}
	if err := json.Unmarshal([]byte(b.String()), &gab); err != nil {
		t.Fatalf("github-action-benchmark JSON: %v\n%s", err, b.String())
	}
	found := false
	for _, e := range gab {
		if e.Name == "BenchmarkXOR-2" && e.Unit == "ns/op" {
			found = true
			if e.Value < 5000 || e.Value > 50000 || !strings.HasPrefix(e.Range, "± ") || !strings.Contains(e.Extra, "n=10") {
				t.Errorf("entry %+v", e)
			}
		}
		if e.Unit == "B/s" {
			t.Errorf("ungated unit exported as smaller-is-better: %+v", e)
		}
	}
	if !found {
		t.Errorf("no BenchmarkXOR-2 ns/op in\n%s", b.String())
	}

	b.Reset()
	if err := rep.WriteBencher(&b); err != nil {
		t.Fatal(err)
	}
	var bmf map[string]map[string]struct {
		Value      float64  `json:"value"`
		LowerValue *float64 `json:"lower_value"`
		UpperValue *float64 `json:"upper_value"`
	}
	if err := json.Unmarshal([]byte(b.String()), &bmf); err != nil {
		t.Fatalf("BMF: %v\n%s", err, b.String())
	}
	lat := bmf["BenchmarkXOR-2"]["latency"]
	if lat.LowerValue == nil || lat.UpperValue == nil || !(*lat.LowerValue <= lat.Value && lat.Value <= *lat.UpperValue) {
		t.Errorf("latency %+v", lat)
	}
	if a, ok := bmf["BenchmarkXOR-2"]["allocations"]; !ok || a.Value != 0 {
		t.Errorf("allocations %+v", bmf["BenchmarkXOR-2"])
	}
}

func TestCompactTable(t *testing.T) {
	rep := compareFiles(t, "testdata/same_ab_a.txt", "testdata/alloc_head.txt", Options{})
	var b strings.Builder
	rep.WriteTable(&b)
	compact := b.String()
	if !strings.Contains(compact, "FAIL: +1 allocs/op") || strings.Contains(compact, "B/s") ||
		!strings.Contains(compact, "-v shows every row") {
		t.Errorf("compact table:\n%s", compact)
	}
	for _, line := range strings.Split(compact, "\n") {
		if strings.HasSuffix(strings.TrimSpace(line), " ~") {
			t.Errorf("unchanged row in the compact table: %q", line)
		}
	}
	rep.Verbose = true
	b.Reset()
	rep.WriteTable(&b)
	if n, m := strings.Count(b.String(), "\n"), strings.Count(compact, "\n"); n <= m {
		t.Errorf("verbose table (%d lines) not longer than compact (%d)", n, m)
	}
}

// A suspected time regression is kept only when the rerun confirms it.
func TestConfirm(t *testing.T) {
	slow := func() *Report { return compareFiles(t, "testdata/slow_base.txt", "testdata/slow_head.txt", Options{}) }
	rep := slow()
	if re := SuspectedTime(rep); re != "^(BenchmarkXOR)$" {
		t.Fatalf("rerun regex %q", re)
	}
	Confirm(rep, slow())
	if r := row(t, rep, "XOR-2", "sec/op"); r.Verdict != Fail || !strings.Contains(r.Reason, "confirmed by a rerun") {
		t.Errorf("confirmed regression: %v %s", r.Verdict, r.Reason)
	}
	rep = slow()
	Confirm(rep, compareFiles(t, "testdata/same_ab_a.txt", "testdata/same_ab_b.txt", Options{}))
	if r := row(t, rep, "XOR-2", "sec/op"); r.Verdict != OK || !strings.Contains(r.Reason, "not confirmed") || rep.Failed() {
		t.Errorf("unconfirmed regression: %v %s", r.Verdict, r.Reason)
	}
	if SuspectedTime(compareFiles(t, "testdata/same_ab_a.txt", "testdata/same_ab_b.txt", Options{})) != "" {
		t.Error("a rerun asked for with no time failure")
	}
}
