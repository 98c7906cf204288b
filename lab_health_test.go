package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/loadgen"
)

// TestLabWatchesTarget: the lab takes load's health flags and watches the
// target board during every step: its own stats (free heap, an uptime
// that resets as after a reboot) and its serial console (a pseudo-terminal
// that prints a crash). Each step's Run holds the free-heap series, the
// reboot and the crash line are in the run they happened in, and the
// lab's status says them.
func TestLabWatchesTarget(t *testing.T) {
	srv, statsURL, console := ailingBoard(t, "lab-board", "Guru Meditation Error: Core  0 panic'ed (LoadProhibited)")

	var lh labHealth
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	lh.register(fs)
	if err := fs.Parse([]string{"--stats", statsURL, "--stats-free", "heap.free", "--stats-uptime", "uptime",
		"--serial", console}); err != nil {
		t.Fatal(err)
	}
	step := func(name string) lab.Step {
		return lab.Step{Name: name, Spec: func(lab.Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Echo, Conns: 2, Duration: 500 * time.Millisecond, HeapEvery: 30 * time.Millisecond}
		}}
	}
	dir := t.TempDir()
	var status lockedBuffer
	o := lab.Options{Targets: []string{srv.WSURL("/ws")}, Suite: []lab.Step{step("first"), step("second")},
		Results: filepath.Join(dir, "res"), Out: filepath.Join(dir, "rep"), Status: &status}
	if err := lh.apply(&o, true, &status); err != nil || o.Watch == nil {
		t.Fatalf("apply: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	oc, err := lab.Lab(ctx, o)
	t.Logf("%s", status.String())
	if err != nil || len(oc.Runs) != 2 {
		t.Fatalf("lab: %v, %d runs", err, len(oc.Runs))
	}
	kinds := map[string]string{}
	for _, r := range oc.Runs {
		if len(r.Heap) < 2 || r.Heap[0].HeapFree <= 0 {
			t.Errorf("%s: no free-heap series from the board's own stats: %+v", r.Scenario.Params["step"], r.Heap)
		}
		for _, e := range r.BoardEvents {
			kinds[e.Kind] = e.Detail
		}
	}
	if _, ok := kinds["reboot"]; !ok || !strings.Contains(kinds["crash"], "Guru Meditation") {
		t.Errorf("board events %v: want the reboot and the crash line", kinds)
	}
	if s := status.String(); !strings.Contains(s, "board event crash at +") || !strings.Contains(s, "board event reboot at +") {
		t.Errorf("the lab's status does not list the board events")
	}
	// The stored runs hold them too.
	b, err := os.ReadFile(oc.Files[0])
	if err != nil || !bytes.Contains(b, []byte(`"board_events"`)) {
		t.Errorf("stored run %s lacks the board events (%v)", oc.Files[0], err)
	}

	// The flags watch a board that is not emulated only.
	var out bytes.Buffer
	if code := run([]string{"lab", "--serial", "/dev/null", "--models", "esp32-idf"}, &out, &out); code != exitUsage ||
		!strings.Contains(out.String(), "--target or --exec") {
		t.Errorf("--serial on emulated boards: exit %d, %q", code, out.String())
	}
}
