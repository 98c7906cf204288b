package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wslab/wslab/results/resultstest"
)

func diffSet(t *testing.T, seed uint64, latency float64) string {
	dir := t.TempDir()
	var specs []resultstest.Spec
	for i := range uint64(6) {
		specs = append(specs, resultstest.Spec{Seed: seed + i, Board: "esp32-idf", Samples: 2000, LatencyMedian: latency})
	}
	specs = append(specs, resultstest.Spec{Seed: seed + 50, Board: "esp32-idf", Scenario: "rate"}) // one side only, once
	saveSyntheticRuns(t, dir, specs...)
	return dir
}

func TestDiffCommand(t *testing.T) {
	base := diffSet(t, 1, 2000)
	for _, tc := range []struct {
		name    string
		new     string
		code    int
		verdict string
	}{
		{"same", diffSet(t, 100, 2000), 0, "verdict: no change"},
		{"slower", diffSet(t, 200, 4000), exitThreshold, "verdict: worse"},
		{"faster", diffSet(t, 300, 1000), 0, "verdict: better"},
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"diff", base, tc.new}, &stdout, &stderr)
		out := stdout.String()
		if code != tc.code || !strings.Contains(out, tc.verdict) {
			t.Errorf("%s: exit %d (want %d)\n%s\n%s", tc.name, code, tc.code, out, stderr.String())
		}
		for _, want := range []string{"esp32-idf (", "scenario: echo", "p (Holm)", "Holm-corrected"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, want, out)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diff", base}, &stdout, &stderr); code != exitUsage {
		t.Errorf("one folder: exit %d", code)
	}
	if code := run([]string{"diff", base, t.TempDir()}, &stdout, &stderr); code != exitFailed {
		t.Errorf("empty folder: exit %d", code)
	}
}

func TestReportAgainst(t *testing.T) {
	base, slower := diffSet(t, 1, 2000), diffSet(t, 200, 4000)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"report", slower, "--out", out, "--against", base}, &stdout, &stderr)
	if code != exitThreshold || !strings.Contains(stdout.String(), "against "+base+": worse") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil || !strings.Contains(string(b), "<h2>Against "+base+": worse</h2>") {
		t.Errorf("the page does not show the comparison (%v)", err)
	}
}
