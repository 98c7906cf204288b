//go:build linux

package lab

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
)

// The lab against a wss:// board: its trust reaches each step's load
// generator, and the steps run.
func TestLabWSSTarget(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "tls-board", Slots: 4, RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096},
		TLS: &host.TLS{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := baseURL(srv.WSURL("/ws")); got != "wss://"+srv.Addr().String() {
		t.Errorf("baseURL of a wss URL: %q", got)
	}
	dir := t.TempDir()
	suite := []Step{{"echo", func(Target) loadgen.Spec {
		return loadgen.Spec{Scenario: loadgen.Echo, Conns: 2, Size: 64, Count: 10}
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o := Options{Targets: []string{srv.WSURL("/ws")}, Suite: suite, Results: filepath.Join(dir, "r"), Out: filepath.Join(dir, "o")}
	if out, err := Lab(ctx, o); err == nil || len(out.Runs) != 0 {
		t.Errorf("lab against a self-signed board without --insecure: %v", err)
	}
	o.Insecure = true
	out, err := Lab(ctx, o)
	if err != nil {
		t.Fatalf("lab with --insecure: %v", err)
	}
	if len(out.Runs) != 1 || out.Runs[0].Counts.MsgsReceived != 20 {
		t.Fatalf("runs %d, want one echo of 20 messages", len(out.Runs))
	}

	co := CompareOptions{Targets: []string{srv.WSURL("/ws")}, Conns: 2, Duration: 300 * time.Millisecond,
		Results: filepath.Join(dir, "cr"), Out: filepath.Join(dir, "co")}
	if c, err := Compare(ctx, co); err == nil && len(c.Runs) != 0 {
		t.Error("compare against a self-signed board without --insecure ran")
	}
	co.Insecure = true
	c, err := Compare(ctx, co)
	if err != nil || len(c.Runs) != 1 || c.Runs[0].Counts.MsgsReceived == 0 {
		t.Fatalf("compare with --insecure: %v", err)
	}
}
