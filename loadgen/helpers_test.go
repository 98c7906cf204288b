//go:build linux

package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

// board starts an emulated board on loopback for the test.
func board(t testing.TB, cfg firmware.Config) *host.Server {
	t.Helper()
	return startBoard(t, host.Options{Board: cfg})
}

// leakyBoard starts a test board whose host leaks leak bytes of heap per
// accepted connection (0: none).
func leakyBoard(t testing.TB, leak int) *host.Server {
	t.Helper()
	return startBoard(t, host.Options{LeakPerConn: leak})
}

func startBoard(t testing.TB, o host.Options) *host.Server {
	t.Helper()
	cfg := o.Board
	if cfg.Model == "" {
		cfg.Model = "test-board"
	}
	if cfg.Slots == 0 {
		cfg.Slots = 32
	}
	if cfg.RxBuf == 0 {
		cfg.RxBuf = 4096
	}
	if cfg.TxBuf == 0 {
		cfg.TxBuf = 4096
	}
	if cfg.MaxMessage == 0 {
		cfg.MaxMessage = 16 << 10
	}
	o.Board, o.Listen = cfg, "127.0.0.1:0"
	srv, err := host.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// run runs spec and fails the test on an error.
func run(t testing.TB, spec Spec) *results.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Run(ctx, spec)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

// msgErrors sums the message-level errors of r.
func msgErrors(r *results.Run) int64 {
	var n int64
	for _, k := range MessageErrors {
		n += r.Errors[k]
	}
	return n
}

func logRun(t testing.TB, r *results.Run) {
	t.Helper()
	s := r.Summary()
	t.Logf("%s: counts %+v errors %v rates %.0f msg/s %.2f MB/s p50 %.0fµs p99 %.0fµs notes %q",
		r.Scenario.Name, r.Counts, r.Errors, s.MsgsPerSec, s.MBPerSec, s.P50, s.P99, r.Notes)
}
