package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wslab/wslab/results"
)

// TestLabExecSingleClient runs the default suite on the origin's
// single-client Python server under the esp32-idf model: every step runs,
// the runs carry the process's memory series, and the connect step shows
// one client held and the others timing out in the listen backlog.
func TestLabExecSingleClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite (about a minute)")
	}
	py, err := exec.LookPath("python3")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run as root with python3")
		}
		t.Skip("needs root (cgroups) and python3")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	server, _ := filepath.Abs("foreign/testdata/single.py")
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"lab", "--exec", py + " " + server + " " + strconv.Itoa(port), "--exec-port", strconv.Itoa(port),
		"--results", filepath.Join(dir, "res"), "--out", filepath.Join(dir, "rep"), "--quiet"}, &stdout, &stderr)
	t.Logf("%s%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, err := results.Open(filepath.Join(dir, "res"))
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := st.List(results.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 9 {
		t.Fatalf("%d runs stored, want the suite's 9", len(runs))
	}
	for _, r := range runs {
		if r.Board.Model != "esp32-idf+single" || r.Board.Slots != 7 {
			t.Errorf("%s: board %+v", r.Scenario.Name, r.Board)
		}
		if len(r.Heap) == 0 || r.Heap[0].HeapInUse <= 0 {
			t.Errorf("%s: no memory series", r.Scenario.Name)
		}
		if r.Scenario.Name == "connect" && (r.Counts.ConnsOpened != 1 || r.Counts.ConnsFailed != r.Counts.ConnsAttempted-1) {
			t.Errorf("connect: %d of %d opened, %d failed; want one held", r.Counts.ConnsOpened, r.Counts.ConnsAttempted, r.Counts.ConnsFailed)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rep", "index.html")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(stdout.String(), "foreign board esp32-idf+single") {
		t.Errorf("no foreign board line")
	}
}
