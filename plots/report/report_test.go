package report

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite testdata/index.html")

func fixture() []*results.Run {
	var runs []*results.Run
	for bi, b := range []string{"esp32-idf", "pico-w-tinygo"} {
		for ci, c := range []int{1, 10, 50} {
			runs = append(runs, resultstest.Run(resultstest.Spec{
				Seed: uint64(10*bi + ci), Board: b, Conns: c, Samples: 500,
				MsgsPerSec: float64(1000*(bi+1)) * float64(ci+1),
				Start:      resultstest.Epoch.Add(time.Duration(10*bi+ci) * time.Minute),
				Errors:     map[string]int64{"timeout": int64(ci)},
			}))
		}
	}
	return runs
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	skipped := []error{&results.FileError{File: "wslab-results/bad.json", Err: errors.New("truncated")}}
	index, err := Write(dir, fixture(), Options{Skipped: skipped})
	if err != nil {
		t.Fatal(err)
	}
	if index != filepath.Join(dir, "index.html") {
		t.Errorf("index path %s", index)
	}
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{
		"<h3>esp32-idf</h3>", "<h3>pico-w-tinygo</h3>", "wslab-results/bad.json", "1 file skipped",
		"board-comparison.png", "throughput-vs-conns-echo.png", "latency-spectrum-echo.svg",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// Every image and link is a relative path to a file in the folder.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 10 {
		t.Fatalf("only %d references in index.html", len(refs))
	}
	for _, m := range refs {
		if filepath.IsAbs(m[1]) || strings.Contains(m[1], "/") {
			t.Errorf("reference %q is not a relative file name", m[1])
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
			t.Errorf("index.html references a missing file: %v", err)
		}
	}
	golden := filepath.Join("testdata", "index.html")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./plots/report -update creates it)", err)
	}
	if string(want) != html {
		t.Errorf("index.html differs from %s; rerun with -update after checking:\n%s", golden, diffLine(string(want), html))
	}
}

func TestWriteNoRuns(t *testing.T) {
	if _, err := Write(t.TempDir(), nil, Options{}); err == nil {
		t.Error("a report of no runs succeeded")
	}
}

func diffLine(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}
