package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/internal/testenv"
)

// A verdict is taken from the figure as the table prints it.
func TestRounded(t *testing.T) {
	for _, c := range []struct {
		f    string
		v    float64
		want float64
	}{
		{"%.1fx", 2.96, 3.0}, {"%.1fx", 2.94, 2.9}, {"%.2f µs", 9.996, 10}, {"%.2f µs", 10.006, 10.01},
		{"%+.2f%%", -0.504, -0.5}, {"%+.2f%%", 0.506, 0.51}, {"%.1f ms", 100.04, 100}, {"%.0f µs", 100.4, 100},
		{"%.1f MB", 31.96, 32}, {"%.0f", 999.6, 1000},
	} {
		if got := rounded(c.f, c.v); got != c.want {
			t.Errorf("rounded(%q, %v) = %v, want %v", c.f, c.v, got, c.want)
		}
	}
}

func TestSpread(t *testing.T) {
	s := spread{3, 1, 2, 10}
	if m := s.median(); m != 2.5 {
		t.Fatalf("median %v", m)
	}
	if got, want := s.show("%.1f"), "2.5 (1.0..10.0, 4 passes)"; got != want {
		t.Fatalf("show %q, want %q", got, want)
	}
	if got := (spread{}).show("%.1f"); got != "-" {
		t.Fatalf("empty shows %q", got)
	}
}

// k6 is found where go install puts it: GOBIN when set, else GOPATH/bin.
func TestFindK6(t *testing.T) {
	t.Setenv("PATH", filepath.Dir(goBin(t))) // the go command only
	gobin := t.TempDir()
	t.Setenv("GOBIN", gobin)
	if p, looked := findK6(); p != "" || looked != "PATH, GOBIN="+gobin {
		t.Fatalf("empty GOBIN: found %q, looked %q", p, looked)
	}
	if err := os.WriteFile(filepath.Join(gobin, "k6"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, _ := findK6(); p != filepath.Join(gobin, "k6") {
		t.Fatalf("found %q in GOBIN %s", p, gobin)
	}
	gopath := t.TempDir()
	t.Setenv("GOBIN", "")
	t.Setenv("GOPATH", gopath+string(filepath.ListSeparator)+t.TempDir())
	if err := os.MkdirAll(filepath.Join(gopath, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gopath, "bin", "k6"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, looked := findK6(); p != filepath.Join(gopath, "bin", "k6") {
		t.Fatalf("found %q, looked %q", p, looked)
	}
}

func goBin(t *testing.T) string {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if st, err := os.Stat(filepath.Join(dir, "go")); err == nil && !st.IsDir() {
			return filepath.Join(dir, "go")
		}
	}
	testenv.SkipOrFail(t, "no go command on PATH")
	return ""
}

// Bad input is refused with an error that names it.
func TestParseFlagsRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"-passes", "0"}, {"-duration", "500ms"}, {"-duration", "11m"}, {"-conns", "0"}, {"-conns", "1001"},
		{"-size", "0"}, {"-size", "5000"}, {"-node-workers", "0"}, {"-conns", "4", "-node-workers", "5"},
		{"-nosuchflag"}, {"-passes", "x"}, {"extra"},
	} {
		var stderr strings.Builder
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	c, err := parseFlags([]string{"-passes", "5", "-duration", "2s", "-node", "/x/node", "-node-workers", "2", "-text"}, io.Discard)
	if err != nil || c.passes != 5 || c.dur != 2*time.Second || c.node != "/x/node" || c.workers != 2 || !c.text || c.conns != 16 || c.size != 64 {
		t.Fatalf("parsed %+v, %v", c, err)
	}
}

func good() figures {
	return figures{passes: 3, rate: spread{60000, 61000, 62000}, nodeRate: spread{15000, 16000, 17000},
		cpuPer: spread{8, 9, 9.5}, nodeRatio: spread{3.5, 3.6, 4}, ramps: spread{50, 60, 70}, allOpened: true,
		rss: spread{20, 21, 22}, devs: spread{0.1, -0.2, 0.05}, late99: spread{60, 70, 80}, hdrNS: 20}
}

// The verdicts: all targets met passes; each miss, a ratio from a pass
// missing, or a Node.js peer that measured nothing fails the command.
func TestTable(t *testing.T) {
	if _, ok := table(good()); !ok {
		t.Fatal("all targets met, yet not ok")
	}
	for name, spoil := range map[string]func(*figures){
		"ratio 2.94x":            func(f *figures) { f.nodeRatio = spread{2.94, 2.94, 5} },
		"no Node.js figure":      func(f *figures) { f.nodeRatio, f.nodeRate = nil, nil },
		"a pass without a ratio": func(f *figures) { f.nodeRatio = spread{4, 4} },
		"Node.js peer failed":    func(f *figures) { f.nodeNote = "measured nothing" },
		"k6 run, no ratio":       func(f *figures) { f.k6Tried = true },
		"CPU 10.01 µs":           func(f *figures) { f.cpuPer = spread{10.006, 10.006, 10.006} },
		"no echo measured":       func(f *figures) { f.cpuPer = nil },
		"ramp 100.1 ms":          func(f *figures) { f.ramps = spread{100.1, 100.1, 100.1} },
		"not all opened":         func(f *figures) { f.allOpened = false },
		"p99 101 µs":             func(f *figures) { f.late99 = spread{101, 101, 101} },
		"no lateness":            func(f *figures) { f.late99 = nil },
		"rate off by 0.51%":      func(f *figures) { f.devs = spread{0.1, 0.506} },
	} {
		f := good()
		spoil(&f)
		if _, ok := table(f); ok {
			t.Errorf("%s: ok", name)
		}
	}
	f := good()
	f.nodeRatio = spread{2.96, 2.96, 2.96} // shown as 3.0x: a pass
	rows, ok := table(f)
	if !ok || rows[1].wslab != "3.0x (3.0x..3.0x, 3 passes)" || rows[1].pass != "yes" {
		t.Fatalf("ratio 2.96: ok %v, row %+v", ok, rows[1])
	}
}

// The machine's limit: what generator and board CPU per echo allow on its
// cores, what three times the peer's rate would need, and the kernel's
// share of each side's CPU.
func TestTableMachineLimit(t *testing.T) {
	f := good()
	f.cores, f.boardCPU = 2, spread{5, 5, 5}
	f.genSys, f.boardSys = spread{3, 3, 3}, spread{4, 4, 4}
	rows, _ := table(f)
	want := map[string][2]string{
		"echo msgs/s the machine allows (cores / (generator + board CPU per echo))": {"142857 (2 cores / (9.00 + 5.00 µs))", "3x its rate would need 48000: generator + board <= 41.67 µs per echo"},
		"of which the kernel (system time per echo: generator + board)":             {"3.00 + 4.00 = 7.00 µs (33% of the generator's, 80% of the board's)", ""},
	}
	for _, r := range rows {
		if w, ok := want[r.figure]; ok {
			if r.wslab != w[0] || r.node != w[1] {
				t.Errorf("%s: %q, %q; want %q, %q", r.figure, r.wslab, r.node, w[0], w[1])
			}
			delete(want, r.figure)
		}
	}
	for name := range want {
		t.Errorf("no row %q", name)
	}
}

// fakePeer writes a shell script standing in for node that prints line.
func fakePeer(t *testing.T, line string, exit int) config {
	dir := t.TempDir()
	p := filepath.Join(dir, "peer.sh")
	if err := os.WriteFile(p, []byte(fmt.Sprintf("echo '%s'\nexit %d\n", line, exit)), 0o644); err != nil {
		t.Fatal(err)
	}
	return config{node: "/bin/sh", nodeScript: p, nodePath: dir, conns: 4, size: 64, dur: time.Second, workers: 1}
}

// fixedCounter is a board whose counters move by in and out over one run.
type fixedCounter struct {
	calls   int
	in, out uint64
}

func (f *fixedCounter) Stats() firmware.Stats {
	f.calls++
	if f.calls == 1 {
		return firmware.Stats{MsgsIn: 100, MsgsOut: 100}
	}
	return firmware.Stats{MsgsIn: 100 + f.in, MsgsOut: 100 + f.out}
}

// A peer that measured nothing, failed, or whose counts are not the
// server's is an error, never a figure.
func TestRunNodeRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		line    string
		exit    int
		in, out uint64
	}{
		"nothing":             {`{"conns":4,"opened":4,"sent":0,"received":0,"errors":0}`, 0, 0, 0},
		"no counts":           {`hello`, 0, 10, 10},
		"exit 1":              {`{"conns":4,"opened":4,"sent":10,"received":10,"errors":1}`, 1, 10, 10},
		"server saw more in":  {`{"conns":4,"opened":4,"sent":10,"received":10,"errors":0}`, 0, 11, 10},
		"server echoed more":  {`{"conns":4,"opened":4,"sent":10,"received":10,"errors":0}`, 0, 10, 11},
		"server echoed fewer": {`{"conns":4,"opened":4,"sent":10,"received":10,"errors":0}`, 0, 10, 9},
	} {
		if _, err := runNode(fakePeer(t, c.line, c.exit), "ws://127.0.0.1:1/ws", &fixedCounter{in: c.in, out: c.out}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	e, err := runNode(fakePeer(t, `{"conns":4,"opened":4,"sent":10,"received":10,"errors":0}`, 0), "ws://127.0.0.1:1/ws", &fixedCounter{in: 10, out: 10})
	if err != nil || e.msgs != 10 || e.rate != 10 {
		t.Fatalf("agreeing counts: %+v, %v", e, err)
	}
}

// The real Node.js peer against the emulated board: its counts are the
// server's exactly, in binary and in text, with one and two workers.
func TestNodePeerAgreesWithServer(t *testing.T) {
	c, err := parseFlags([]string{"-duration", "1s", "-conns", "4", "-node-script", "testdata/node_echo.js"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if p := nodeProblem(c); p != "" {
		testenv.SkipOrFail(t, "the Node.js peer cannot run: %s", p)
	}
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "comparek6-test", Slots: 8, RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, v := range []struct {
		text    bool
		workers int
	}{{false, 1}, {true, 2}} {
		c.text, c.workers = v.text, v.workers
		before := srv.Stats()
		e, err := runNode(c, srv.WSURL("/ws"), srv)
		if err != nil {
			t.Fatalf("text %v, %d workers: %v", v.text, v.workers, err)
		}
		after := srv.Stats()
		if out := int64(after.MsgsOut - before.MsgsOut); e.msgs != out || out == 0 || after.MsgsIn-before.MsgsIn != after.MsgsOut-before.MsgsOut {
			t.Errorf("text %v: peer %d echoes, server in %d out %d", v.text, e.msgs, after.MsgsIn-before.MsgsIn, out)
		}
		if got := after.ClosesRecv[0] - before.ClosesRecv[0]; got != 4 {
			t.Errorf("text %v: %d closes with 1000, want 4", v.text, got)
		}
		if e.cpuPer <= 0 {
			t.Errorf("no CPU measured: %+v", e)
		}
	}
}

// stepCounter is a board whose counters move one step per reading.
type stepCounter struct{ calls, upTo uint64 }

func (s *stepCounter) Stats() firmware.Stats {
	s.calls++
	return firmware.Stats{Accepted: s.calls, Upgrades: min(s.calls, s.upTo)}
}

// The server-observed span ends at the n-th upgrade after base, and is 0
// (not opened) when that never comes.
func TestWatchRamp(t *testing.T) {
	c := &stepCounter{upTo: 1 << 60}
	if d := watchRamp(c, firmware.Stats{Accepted: 0, Upgrades: 0}, 5, make(chan struct{})); d <= 0 || c.calls != 5 {
		t.Fatalf("span %v after %d readings, want > 0 after 5", d, c.calls)
	}
	stop := make(chan struct{})
	c = &stepCounter{upTo: 3}
	done := make(chan time.Duration)
	go func() { done <- watchRamp(c, firmware.Stats{}, 5, stop) }()
	time.Sleep(20 * time.Millisecond)
	close(stop)
	if d := <-done; d != 0 {
		t.Fatalf("3 of 5 upgraded: span %v, want 0", d)
	}
}
