package main

import (
	"github.com/wslab/wslab/internal/testenv"

	"os"
	"path/filepath"
	"testing"
)

// A verdict is taken from the figure as the table prints it.
func TestRounded(t *testing.T) {
	for _, c := range []struct {
		f    string
		v    float64
		want float64
	}{
		{"%.1fx", 2.96, 3.0}, {"%.1fx", 2.94, 2.9}, {"%.2f µs", 9.996, 10}, {"%.2f µs", 10.006, 10.01},
		{"%+.2f%%", -0.504, -0.5}, {"%+.2f%%", 0.506, 0.51}, {"%.1f ms", 100.04, 100}, {"%.0f µs", 100.4, 100},
		{"%.1f MB", 31.96, 32}, {"%.0f", 999.6, 1000},
	} {
		if got := rounded(c.f, c.v); got != c.want {
			t.Errorf("rounded(%q, %v) = %v, want %v", c.f, c.v, got, c.want)
		}
	}
}

func TestSpread(t *testing.T) {
	s := spread{3, 1, 2, 10}
	if m := s.median(); m != 2.5 {
		t.Fatalf("median %v", m)
	}
	if got, want := s.show("%.1f"), "2.5 (1.0..10.0, 4 passes)"; got != want {
		t.Fatalf("show %q, want %q", got, want)
	}
	if got := (spread{}).show("%.1f"); got != "-" {
		t.Fatalf("empty shows %q", got)
	}
}

// k6 is found where go install puts it: GOBIN when set, else GOPATH/bin.
func TestFindK6(t *testing.T) {
	t.Setenv("PATH", filepath.Dir(goBin(t))) // the go command only
	gobin := t.TempDir()
	t.Setenv("GOBIN", gobin)
	if p, looked := findK6(); p != "" || looked != "PATH, GOBIN="+gobin {
		t.Fatalf("empty GOBIN: found %q, looked %q", p, looked)
	}
	if err := os.WriteFile(filepath.Join(gobin, "k6"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, _ := findK6(); p != filepath.Join(gobin, "k6") {
		t.Fatalf("found %q in GOBIN %s", p, gobin)
	}
	gopath := t.TempDir()
	t.Setenv("GOBIN", "")
	t.Setenv("GOPATH", gopath+string(filepath.ListSeparator)+t.TempDir())
	if err := os.MkdirAll(filepath.Join(gopath, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gopath, "bin", "k6"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, looked := findK6(); p != filepath.Join(gopath, "bin", "k6") {
		t.Fatalf("found %q, looked %q", p, looked)
	}
}

func goBin(t *testing.T) string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if st, err := os.Stat(filepath.Join(dir, "go")); err == nil && !st.IsDir() {
			return filepath.Join(dir, "go")
		}
	}
	testenv.SkipOrFail(t, "no go command on PATH")
	return ""
}
