package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

// A start time ahead holds the first dial until then: the listener's first
// accept comes no earlier than --start-at (a lower bound, not a timing
// assertion), and the run happens.
func TestLoadStartAtDelaysFirstDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan time.Time, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		accepted <- time.Now()
		c.Close()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	at := time.Now().Add(300 * time.Millisecond)
	var stdout, stderr bytes.Buffer
	run([]string{"load", "--target", "ws://" + ln.Addr().String() + "/ws", "--scenario", "echo", "--conns", "1",
		"--count", "1", "--stats", "-", "--dial-timeout", "2s", "--timeout", "10s", "--start-at", at.Format(time.RFC3339Nano)},
		&stdout, &stderr)
	select {
	case first := <-accepted:
		if first.Before(at) {
			t.Errorf("first dial accepted at %s, before --start-at %s", first.Format(time.StampMicro), at.Format(time.StampMicro))
		}
	default:
		t.Fatalf("no dial at all\n%s%s", stdout.String(), stderr.String())
	}
}

func TestStartAtWait(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var s startAt
	var stderr bytes.Buffer
	if err := s.wait(context.Background(), clock, &stderr); err != nil || stderr.Len() != 0 {
		t.Fatalf("no --start-at: %v %q", err, stderr.String())
	}

	// Past: runs now, with a warning that says how late.
	if err := s.Set("2026-11-30T14:59:58.5Z"); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(context.Background(), clock, &stderr); err != nil {
		t.Fatalf("past start refused: %v", err)
	}
	if !strings.Contains(stderr.String(), "warning: --start-at 2026-11-30T14:59:58.5Z passed 1.5s ago") {
		t.Errorf("past start warning: %q", stderr.String())
	}

	// Too far ahead: refused, naming the check.
	if err := s.Set("2026-12-02T15:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(context.Background(), clock, &stderr); err == nil || !strings.Contains(err.Error(), "check the date and time zone") {
		t.Errorf("start 2 days ahead: %v", err)
	}

	// Ahead: waits, and a cancelled context ends the wait.
	if err := s.Set("2026-11-30T15:10:00+00:00"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.wait(ctx, clock, &stderr); err != context.Canceled {
		t.Errorf("cancelled wait: %v", err)
	}

	for _, bad := range []string{"15:00", "2026-11-30 15:00:00", "in 2 minutes", ""} {
		if err := s.Set(bad); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("Set(%q): %v", bad, err)
		}
	}
}

// Bad --start-at values are usage errors; one too far ahead exits 2 before
// any dial.
func TestLoadStartAtRefused(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"load", "--start-at", "tomorrow"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "RFC 3339") {
		t.Errorf("--start-at tomorrow: exit %d, %s", code, stderr.String())
	}
	stderr.Reset()
	far := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
	if code := run([]string{"load", "--target", "ws://127.0.0.1:9/ws", "--start-at", far}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "time zone") {
		t.Errorf("--start-at %s: exit %d, %s", far, code, stderr.String())
	}
}

// The shards' records printed by load --out - come back from pod logs and
// merge into one run.
func TestMergeFromLogs(t *testing.T) {
	runs := shardRunsForLogs(2)
	dir := t.TempDir()
	var logs []string
	for i, r := range runs {
		var b bytes.Buffer
		b.WriteString("scenario  rate  conns 8\n")
		if err := results.WriteLog(&b, r); err != nil {
			t.Fatal(err)
		}
		b.WriteString("wslab load: done\n")
		p := filepath.Join(dir, "shard-"+string(rune('0'+i))+".log")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, p)
	}
	out := filepath.Join(dir, "merged.json")
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"merge", "--from-logs", "--out", out}, logs...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	m, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Merged == nil || len(m.Merged.Shards) != 2 || m.Counts.MsgsSent != runs[0].Counts.MsgsSent+runs[1].Counts.MsgsSent {
		t.Errorf("merged %+v counts %+v", m.Merged, m.Counts)
	}

	// A log without a record (a shard that printed nothing) fails, naming it.
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, []byte("Error from server: container not found\n"), 0o644)
	stderr.Reset()
	if code := run([]string{"merge", "--from-logs", "--out", filepath.Join(dir, "m2.json"), logs[0], empty}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), empty+": no run record") {
		t.Errorf("log without a record: exit %d, %s", code, stderr.String())
	}
	// Without --from-logs a log is not a record.
	stderr.Reset()
	if code := run([]string{"merge", "--out", filepath.Join(dir, "m3.json"), logs[0]}, &stdout, &stderr); code != 1 {
		t.Errorf("log read as a record: exit %d, %s", code, stderr.String())
	}
}

func shardRunsForLogs(n int) []*results.Run {
	var runs []*results.Run
	for i := range n {
		runs = append(runs, resultstest.Run(resultstest.Spec{Seed: uint64(i), Samples: 300, Shard: results.Shard{Index: i, Count: n}}))
	}
	return runs
}

// load --out - prints the record between markers after the summary, and
// merge --from-logs takes it back from that output.
func TestLoadOutStdoutMerges(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "log-board", Slots: 4, RxBuf: 2048, TxBuf: 2048}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"load", "--target", srv.WSURL("/ws"), "--conns", "2", "--count", "50", "--shard", "0/1",
		"--out", "-"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	outText := stdout.String()
	if !strings.Contains(outText, "throughput") || !strings.Contains(outText, results.LogBegin+"\n{") ||
		!strings.HasSuffix(outText, "}\n"+results.LogEnd+"\n") || strings.Contains(outText, "wrote -") {
		t.Fatalf("stdout:\n%s", outText)
	}
	log := filepath.Join(t.TempDir(), "pod.log")
	os.WriteFile(log, stdout.Bytes(), 0o644)
	out := filepath.Join(t.TempDir(), "m.json")
	stdout.Reset()
	if code := run([]string{"merge", "--from-logs", log, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("merge exit %d\n%s", code, stderr.String())
	}
	m, err := results.ReadFile(out)
	if err != nil || m.Counts.MsgsReceived != 100 || m.Board.Model != "log-board" {
		t.Fatalf("merged %v: %+v", err, m.Counts)
	}
}
