package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

// saveSyntheticRuns stores synthetic runs in dir and returns their paths.
func saveSyntheticRuns(t *testing.T, dir string, specs ...resultstest.Spec) []string {
	t.Helper()
	s, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, sp := range specs {
		if sp.Samples == 0 {
			sp.Samples = 300
		}
		p, err := s.Save(resultstest.Run(sp))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestPlotCommand(t *testing.T) {
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "figs")
	files := saveSyntheticRuns(t, dir,
		resultstest.Spec{Seed: 1, Board: "esp32-idf", Conns: 1},
		resultstest.Spec{Seed: 2, Board: "esp32-idf", Conns: 10},
		resultstest.Spec{Seed: 3, Board: "pico-w-tinygo", Conns: 10})
	var stdout, stderr bytes.Buffer
	// Flags may come after the files.
	code := run(append(append([]string{"plot"}, files...), "--out", out), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	printed := strings.Fields(stdout.String())
	for _, want := range []string{"latency-spectrum-echo", "throughput-vs-conns-echo", "board-comparison"} {
		for _, ext := range []string{".png", ".svg"} {
			p := filepath.Join(out, want+ext)
			if !slices.Contains(printed, p) {
				t.Errorf("did not print %s", p)
			}
			if st, err := os.Stat(p); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
}

func TestPlotCommandBadInput(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	files := saveSyntheticRuns(t, dir, resultstest.Spec{Seed: 1})
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema": 1, "id": "x", "scen`), 0o644)
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", "--out", out, files[0], bad}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), bad) {
		t.Errorf("exit %d, stderr %q: want 1 and the bad file named", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "latency-spectrum-echo.png") {
		t.Errorf("the good run was not plotted: %q", stdout.String())
	}
	if code := run([]string{"plot"}, &stdout, &stderr); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
}

func TestFlagsAnywhere(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	out := fs.String("out", "", "")
	pos, err := flagsAnywhere(fs, []string{"a", "--out", "d", "b", "--", "-c"})
	if err != nil || *out != "d" || strings.Join(pos, " ") != "a b -c" {
		t.Errorf("got %q, out=%q, %v", pos, *out, err)
	}
}
