//go:build linux

package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
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

// The lab with TLS on: a model whose board serves no TLS is refused before
// anything runs (no board, no results folder), so are real targets; the
// emulated board serves wss://, the load generator takes its self-signed
// certificate without being told, and the run times the TLS handshakes.
func TestLabTLS(t *testing.T) {
	dir := t.TempDir()
	suite := []Step{{"echo", func(Target) loadgen.Spec {
		return loadgen.Spec{Scenario: loadgen.Echo, Conns: 2, Size: 64, Count: 10}
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res := filepath.Join(dir, "r")
	for _, o := range []Options{
		{Models: []string{"esp32-idf", "nano33-wifinina"}},
		{Targets: []string{"wss://127.0.0.1:9/ws"}},
	} {
		o.TLS, o.Suite, o.Results, o.Out = true, suite, res, filepath.Join(dir, "o")
		out, err := Lab(ctx, o)
		if err == nil || out != nil {
			t.Errorf("%v%v with TLS: %v, want refused", o.Models, o.Targets, err)
		}
		if _, serr := os.Stat(res); serr == nil {
			t.Fatalf("%v%v: refused (%v) after it created the results folder", o.Models, o.Targets, err)
		}
		t.Logf("refused: %v", err)
	}
	if _, err := Lab(ctx, Options{Models: []string{"nano33-wifinina"}, TLS: true, Suite: suite, Results: res}); err == nil ||
		!strings.Contains(err.Error(), "nano33-wifinina serves no TLS: WiFiNINA") {
		t.Errorf("nano33-wifinina: %v, want the reason it serves no TLS", err)
	}

	var seen dialObserver
	out, err := Lab(ctx, Options{Models: []string{"esp32-idf"}, TLS: true, LinkOff: true, Suite: suite,
		Results: res, Out: filepath.Join(dir, "o"), Observer: &seen})
	if err != nil {
		t.Fatalf("lab with TLS: %v", err)
	}
	// The step's dial waits for the handshakes queued on the board's CPU
	// in front of it: two connections, an RSA-2048 handshake each.
	p, _ := catalog.TLSFor("esp32-idf")
	if want := loadgen.DefaultDialTimeout + 2*time.Duration(p.Handshake[p.Key]); seen.dial != want || want <= loadgen.DefaultDialTimeout {
		t.Errorf("dial timeout %v, want %v", seen.dial, want)
	}
	r := out.Runs[0]
	if !strings.HasPrefix(r.Target, "wss://127.0.0.1:") || r.Counts.MsgsReceived != 20 {
		t.Errorf("run against %s received %d, want wss:// and 20", r.Target, r.Counts.MsgsReceived)
	}
	c, ok := r.ConnectPhases()
	if !ok || c.TLSN != 2 {
		t.Errorf("connect phases %+v (%v), want 2 TLS handshakes", c, ok)
	}
	if l := oneLine(r); !strings.Contains(l, ", connect p50 ") || !strings.Contains(l, " (TLS ") {
		t.Errorf("the step's line says nothing of the connect: %s", l)
	}
}

// A child board is started with --tls when TLS is on, and one that comes
// up without it (its ready line names ws://) is refused.
func TestStartChildTLS(t *testing.T) {
	spec := BoardSpec{Model: "esp32-idf", TLS: true}
	b, err := spec.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ scheme, want string }{{"ws", "started without TLS"}, {"wss", ""}} {
		args := filepath.Join(t.TempDir(), "args")
		exe := filepath.Join(t.TempDir(), "wslab")
		line := ReadyLine(Ready{Addr: "127.0.0.1:9", WS: c.scheme + "://127.0.0.1:9/ws", Board: b})
		script := "#!/bin/sh\necho \"$@\" >" + args + "\ncat >/dev/null\nprintf '%s\\n' '" + line + "'\nexec sleep 30\n"
		if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		r, err := startBoard(spec, exe)
		if a, _ := os.ReadFile(args); !strings.Contains(string(a), "--tls") {
			t.Errorf("child started with %q, no --tls", a)
		}
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("child on %s://: %v, want %q", c.scheme, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("child on wss://: %v", err)
		}
		if r.ws != "wss://127.0.0.1:9" {
			t.Errorf("target %q, want wss://127.0.0.1:9", r.ws)
		}
		r.close()
	}
}

// dialObserver notes the dial timeout of the last step begun.
type dialObserver struct{ dial time.Duration }

func (d *dialObserver) Begin(board, step string, index, total int, spec *loadgen.Spec) {
	d.dial = spec.DialTimeout
}
func (d *dialObserver) End(*results.Run, string, error) {}
