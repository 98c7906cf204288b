package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/foreign"
	"github.com/wslab/wslab/results"
)

// TestLoadBoardHealth runs load against a board whose health comes from its
// own stats (a JSON document with free heap and an uptime that resets
// halfway, as after a reboot) and its serial console (a pseudo-terminal
// that prints a crash): the Run holds the free-heap series and the events.
func TestLoadBoardHealth(t *testing.T) {
	srv, statsURL, console := ailingBoard(t, "cli-board", "abort() was called at PC 0x400d1234 on core 0")
	out := filepath.Join(t.TempDir(), "run.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"load", "--target", srv.WSURL("/ws"), "--scenario", "echo", "--conns", "2", "--duration", "400ms",
		"--heap-every", "30ms", "--stats", statsURL, "--stats-free", "heap.free", "--stats-largest", "heap.largest_free_block",
		"--stats-uptime", "uptime", "--serial", console, "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "board event  reboot at +") || !strings.Contains(stdout.String(), "board event  crash at +") {
		t.Errorf("summary lacks the board events:\n%s", stdout.String())
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Heap) < 2 || r.Heap[0].HeapFree <= 0 || r.Heap[0].LargestFree != 60000 {
		t.Errorf("heap series %+v", r.Heap)
	}
	kinds := map[string]string{}
	for _, e := range r.BoardEvents {
		kinds[e.Kind] = e.Detail
	}
	if _, ok := kinds["reboot"]; !ok || len(r.BoardEvents) != 2 {
		t.Errorf("want a reboot and a crash, got %+v", r.BoardEvents)
	}
	if !strings.Contains(kinds["crash"], "abort()") {
		t.Errorf("no crash line among %+v", r.BoardEvents)
	}
	var bad bytes.Buffer
	// wslab's own /stats has no heap.free: bad input, named.
	if code := run([]string{"load", "--target", srv.WSURL("/ws"), "--stats-free", "heap.free"}, &bad, &bad); code != 2 ||
		!strings.Contains(bad.String(), "heap.free") {
		t.Errorf("--stats-free on wslab's /stats: exit %d, %q", code, bad.String())
	}
	bad.Reset()
	if code := run([]string{"load", "--target", srv.WSURL("/ws"), "--stats", "-", "--stats-uptime", "uptime"}, &bad, &bad); code != 2 ||
		!strings.Contains(bad.String(), "--stats -") {
		t.Errorf("--stats-uptime with --stats -: exit %d, %q", code, bad.String())
	}
}

func TestFreeLeak(t *testing.T) {
	reads := func(before, after, lfb int64) []foreign.Reading {
		return []foreign.Reading{{Free: before, LargestFree: lfb, MinFree: -1, Uptime: -1},
			{Free: -1, LargestFree: -1, MinFree: -1, Uptime: -1}, {Free: after, LargestFree: lfb / 2, MinFree: -1, Uptime: -1}}
	}
	run := func(scenario string, conns int64) *results.Run {
		r := &results.Run{}
		r.Scenario.Name = scenario
		r.Counts.ConnsOpened = conns
		return r
	}
	for _, c := range []struct {
		name   string
		rd     []foreign.Reading
		r      *results.Run
		settle time.Duration
		want   []string
	}{
		{"leaking churn", reads(150000, 120000, 60000), run("churn", 100), TimeWait,
			[]string{"30000 B lost", "100 connections (300 B per reconnect)", "60000 B -> 30000 B", "LEAK suspected"}},
		{"short settle", reads(150000, 120000, 60000), run("churn", 100), time.Second,
			[]string{"under TIME_WAIT", "no verdict", "--settle 2m0s"}},
		{"steady soak", reads(150000, 150000, -1), run("soak", 100), 0, []string{"0 B lost", ": no leak"}},
		{"small loss", reads(150000, 149000, -1), run("churn", 100), TimeWait, []string{"10 B per reconnect", ": no leak"}},
		{"echo", reads(150000, 100000, -1), run("echo", 1), TimeWait, nil},
	} {
		got := freeLeak(c.rd, c.r, c.settle)
		if c.want == nil && got != "" {
			t.Errorf("%s: %q, want no verdict", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		if strings.Contains(got, "largest") && c.rd[0].LargestFree < 0 {
			t.Errorf("%s: largest free block reported without one: %q", c.name, got)
		}
	}
}
