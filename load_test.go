package main

import (
	"bytes"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

func TestLoadFlags(t *testing.T) {
	var stderr bytes.Buffer
	spec, out, store, quiet, err := loadSpec([]string{"--target", "ws://127.0.0.1:9/ws", "--scenario", "rate", "--conns", "100",
		"--rate", "5000", "--duration", "2s", "--shard", "1/4", "--local", "127.0.0.2, 127.0.0.3", "--out", "x.json",
		"--store", "dir", "--quiet", "--size", "128", "--count", "7"}, &stderr)
	if err != nil {
		t.Fatal(err, stderr.String())
	}
	want := loadgen.Spec{Target: "ws://127.0.0.1:9/ws", Scenario: "rate", Conns: 100, Rate: 5000, Duration: 2 * time.Second,
		Shard: results.Shard{Index: 1, Count: 4}, LocalAddrs: []string{"127.0.0.2", "127.0.0.3"}, Size: 128, Count: 7}
	if spec.Target != want.Target || spec.Scenario != want.Scenario || spec.Conns != want.Conns || spec.Rate != want.Rate ||
		spec.Duration != want.Duration || spec.Shard != want.Shard || strings.Join(spec.LocalAddrs, ",") != "127.0.0.2,127.0.0.3" ||
		spec.Size != 128 || spec.Count != 7 || out != "x.json" || store != "dir" || !quiet {
		t.Errorf("spec %+v out %q store %q quiet %v", spec, out, store, quiet)
	}
	for _, bad := range [][]string{{"--shard", "4/4"}, {"--conns", "x"}, {"extra"}} {
		if _, _, _, _, err := loadSpec(bad, &stderr); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// wslab load runs a scenario against an emulated board, prints the table,
// writes and stores the record, and draws no progress line when its output
// is not a terminal.
func TestLoadCommand(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "cli-board", Slots: 8, RxBuf: 2048, TxBuf: 2048}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "run.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"load", "--target", srv.WSURL("/ws"), "--scenario", "echo", "--conns", "4", "--size", "64",
		"--duration", "300ms", "--out", out, "--store", filepath.Join(dir, "store")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, s := range []string{"scenario", "echo", "cli-board", "throughput", "payload up", "MB/s, down", "latency µs",
		"from the intended send time", "errors +none"} {
		if !regexp.MustCompile(s).MatchString(stdout.String()) {
			t.Errorf("output lacks %q:\n%s", s, stdout.String())
		}
	}
	if r := regexp.MustCompile(`payload up ([0-9.]+) MB/s, down ([0-9.]+) MB/s`).FindStringSubmatch(stdout.String()); r == nil || r[1] != r[2] {
		t.Errorf("an echo's payload rate up and down differ (or are missing): %q", r)
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Errorf("progress line drawn on a non-terminal: %q", stderr.String())
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scenario.Name != "echo" || r.Board.Model != "cli-board" || r.Counts.MsgsReceived == 0 || r.Hist(results.HistLatency).Count() == 0 {
		t.Errorf("record %+v", r)
	}
	st, err := results.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(r.ID); err != nil {
		t.Errorf("stored record: %v", err)
	}
}

// An unreachable target is an error and exit status 1, not a hang.
func TestLoadRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"load", "--target", "ws://" + addr + "/ws", "--duration", "1s"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "refused") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
