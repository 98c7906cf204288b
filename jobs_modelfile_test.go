//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/results"
)

// writeTwin writes a model file unlike any preset (odd slots, link and
// budget), named name.
func writeTwin(t *testing.T, dir, name string) (string, catalog.Preset) {
	t.Helper()
	p, _ := catalog.Get("esp8266")
	p.Name = name
	p.Board.Slots, p.Board.MaxMessage = 3, 3000
	p.Link.Bps, p.Link.RTT = 3_300_000, int64(7*time.Millisecond)
	path := filepath.Join(dir, name+".json")
	if err := catalog.WriteModelFile(path, catalog.NewModelFile(p, nil)); err != nil {
		t.Fatal(err)
	}
	return path, p
}

// wslab sweep --model-file runs the file's board as the lab's child
// process: the run it stores records the board the child's /stats
// reported, which must be the file's figures (the lab also refuses a child
// whose ready line names another board).
func TestSweepModelFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wslab and runs a short sweep")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wslab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path, p := writeTwin(t, dir, "twin-of-sweep")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res := filepath.Join(dir, "r")
	cmd := exec.CommandContext(ctx, bin, "sweep", "--model-file", path, "--rx", "700", "--conns", "1", "--duration", "300ms",
		"--quiet", "--results", res, "--out", filepath.Join(dir, "o"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wslab sweep: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(res, "*", "*.json"))
	more, _ := filepath.Glob(filepath.Join(res, "*.json"))
	files = append(files, more...)
	var runs []results.Run
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var r results.Run
		if json.Unmarshal(b, &r) == nil && r.Board.Model != "" {
			runs = append(runs, r)
		}
	}
	if len(runs) != 1 {
		t.Fatalf("%d runs stored (%v), want 1\n%s", len(runs), files, stdout.String())
	}
	b := runs[0].Board
	if b.Model != p.Name || b.Slots != 3 || b.RxBuf != 700 || b.MaxMessage != 3000 || b.LinkBandwidth != 3_300_000 ||
		time.Duration(b.LinkRTT) != 7*time.Millisecond || b.HeapBudget != int64(p.Board.HeapBudget) {
		t.Errorf("the child board ran %+v, not the model file's figures %+v %+v", b, p.Board, p.Link)
	}

	// compare without -models runs the twin alone; with -models, beside them.
	stdout.Reset()
	stderr.Reset()
	cmd = exec.CommandContext(ctx, bin, "compare", "--model-file", path, "--models", "esp8266", "--duration", "300ms",
		"--quiet", "--results", filepath.Join(dir, "c"), "--out", filepath.Join(dir, "co"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("wslab compare: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "\ntwin-of-sweep ") || !strings.Contains(out, "\nesp8266 ") || !strings.Contains(out, "2 runs stored") {
		t.Errorf("compare --model-file --models esp8266: want both boards in the table:\n%s", out)
	}
}

// --model-file's bad input: an unreadable file, a name a preset has, and
// -model beside it in sweep, each a usage error before anything runs.
func TestJobsModelFileBadInput(t *testing.T) {
	dir := t.TempDir()
	shadow, _ := writeTwin(t, dir, "esp32-idf")
	twin, _ := writeTwin(t, dir, "twin-of-bad")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lab", "--model-file", filepath.Join(dir, "nope.json")}, "nope.json"},
		{[]string{"compare", "--model-file", shadow}, "catalog preset"},
		{[]string{"sweep", "--model-file", twin, "--model", "esp8266"}, "drop -model"},
		{[]string{"lab", "--model-file", twin, "--target", "ws://127.0.0.1:9/ws"}, "drop one"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, exitUsage, c.want, stderr.String())
		}
	}
}
