package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A sweep whose goal nothing meets exits 3 and names the closest
// configuration, every buffer of it, and what it missed by; its report,
// in its own folder, shows the goal and the verdict.
func TestSweepCommandGoal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	dir := t.TempDir()
	args := []string{"sweep", "--model", "esp32-idf", "--rx", "512,1024", "--scenario", "echo", "--conns", "1",
		"--duration", "300ms", "--link-off", "--in-process", "--quiet", "--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}
	var stdout, stderr bytes.Buffer
	code := run(append(args, "--goal", "msgs>=100000000"), &stdout, &stderr)
	out := stdout.String()
	if code != exitThreshold || !strings.Contains(out, "no configuration meets the goal; closest: esp32-idf (slots 7, rx ") ||
		!strings.Contains(out, "misses msgs>=100000000") || strings.Contains(out, "tx 0 ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	html, err := os.ReadFile(filepath.Join(dir, "o", "sweep-esp32-idf-echo", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Sweep: goal not met</h2>", "<code>msgs&gt;=100000000</code>", "no configuration meets the goal; closest: esp32-idf (slots 7, rx "} {
		if !strings.Contains(string(html), want) {
			t.Errorf("sweep report lacks %q", want)
		}
	}

	stdout.Reset()
	stderr.Reset()
	code = run(append(args, "--goal", "msgs>=1", "--repeat", "2"), &stdout, &stderr)
	out = stdout.String()
	if code != 0 || !strings.Contains(out, "recommended: esp32-idf (slots 7, rx 512 B, tx ") || !strings.Contains(out, "(2 of 2)") {
		t.Fatalf("goal met: exit %d\n%s\n%s", code, out, stderr.String())
	}
}
