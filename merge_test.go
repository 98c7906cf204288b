package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	var specs []resultstest.Spec
	for i := range 3 {
		specs = append(specs, resultstest.Spec{Seed: uint64(i), Shard: results.Shard{Index: i, Count: 3}, Samples: 1000 * (i + 1)})
	}
	files := saveSyntheticRuns(t, dir, specs...)
	out := filepath.Join(t.TempDir(), "merged.json")
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"merge", "--out", out}, files...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if strings.TrimSpace(stdout.String()) != out {
		t.Errorf("printed %q, want %q", stdout.String(), out)
	}
	m, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Histograms[results.HistLatency].Count(); got != 6000 {
		t.Errorf("merged latency count %d, want 6000", got)
	}
	if m.Merged == nil || m.Merged.Of != 3 || !m.Scenario.Shard.IsZero() {
		t.Errorf("merge info %+v, shard %q", m.Merged, m.Scenario.Shard)
	}
	// Never overwrite.
	stdout.Reset()
	stderr.Reset()
	if code := run(append([]string{"merge", "--out", out}, files...), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "exists") {
		t.Errorf("second merge to the same file: exit %d, stderr %q", code, stderr.String())
	}
	// Into a results folder, with a missing shard.
	store := filepath.Join(t.TempDir(), "res")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"merge", files[0], files[2], "--results", store}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "shards [1] of 3 are missing") || stdout.Len() != 0 {
		t.Fatalf("merge with a shard missing: exit %d, stdout %q, stderr:\n%s", code, stdout.String(), stderr.String())
	}
	if runs, _, _ := results.ReadDir(store); len(runs) != 0 {
		t.Fatalf("a refused partial merge stored %d runs", len(runs))
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"merge", files[0], files[2], "--results", store, "--partial"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "shards [1] of 3 are missing") {
		t.Errorf("no warning about the missing shard: %q", stderr.String())
	}
	if p := strings.TrimSpace(stdout.String()); filepath.Dir(p) != store {
		t.Errorf("saved to %q, want a file in %s", p, store)
	}
}

func TestMergeCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	files := saveSyntheticRuns(t, dir,
		resultstest.Spec{Seed: 1, Shard: results.Shard{Index: 0, Count: 2}},
		resultstest.Spec{Seed: 2, Scenario: "rate", Shard: results.Shard{Index: 1, Count: 2}})
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "m.json")
	if code := run(append([]string{"merge", "--out", out}, files...), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "different scenarios") {
		t.Errorf("exit %d, stderr %q: want 1 and a clear refusal", code, stderr.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused merge wrote a file")
	}
	if code := run([]string{"merge", "--out", "a", "--results", "b", files[0]}, &stdout, &stderr); code != 2 {
		t.Errorf("--out with --results: exit %d, want 2", code)
	}
}
