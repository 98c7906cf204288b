package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wslab/wslab/results/resultstest"
)

func TestReportCommand(t *testing.T) {
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "report")
	saveSyntheticRuns(t, dir,
		resultstest.Spec{Seed: 1, Board: "esp32-idf"},
		resultstest.Spec{Seed: 2, Board: "stm32-eth"})
	truncated := filepath.Join(dir, "truncated.json")
	os.WriteFile(truncated, []byte(`{"schema": 1, "id": "20250102T`), 0o644)
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"schema": 9, "id": "x"}`), 0o644)

	var stdout, stderr bytes.Buffer
	code := run([]string{"report", dir, "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	index := filepath.Join(out, "index.html")
	if strings.TrimSpace(stdout.String()) != index {
		t.Errorf("printed %q, want %q", stdout.String(), index)
	}
	for _, bad := range []string{truncated, future} {
		if !strings.Contains(stderr.String(), bad) {
			t.Errorf("stderr does not name %s:\n%s", bad, stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "schema version 9") {
		t.Errorf("version mismatch not explained:\n%s", stderr.String())
	}
	html, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"esp32-idf", "stm32-eth", "truncated.json", "board-comparison.png"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "board-comparison.png")); err != nil {
		t.Error(err)
	}
}

func TestReportCommandEmpty(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"report", t.TempDir(), "--out", t.TempDir()}, &stdout, &stderr); code != 1 {
		t.Errorf("empty folder: exit %d, want 1", code)
	}
	if code := run([]string{"report", filepath.Join(t.TempDir(), "missing")}, &stdout, &stderr); code != 1 {
		t.Errorf("missing folder: exit %d, want 1", code)
	}
}
