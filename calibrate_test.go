//go:build linux

package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
)

// A model file starts like a preset (with overrides on top) and --list
// shows it with every figure's provenance.
func TestBoardModelFile(t *testing.T) {
	p, _ := catalog.Get("picow-tinygo")
	p.Name = "mine"
	p.Board.Slots = 6
	m := catalog.NewModelFile(p, map[string]string{"slots": "measured: connect ramp of 7"})
	path := filepath.Join(t.TempDir(), "mine.json")
	if err := catalog.WriteModelFile(path, m); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if rc := runBoard([]string{"--list", "--model-file", path}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "mine ") || !strings.Contains(s, "measured: connect ramp of 7") || strings.Contains(s, "esp32-idf") {
		t.Errorf("--list --model-file:\n%s", s)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var bf boardFlags
	bf.register(fs)
	if err := fs.Parse([]string{"--model-file", path, "--rx", "1024"}); err != nil {
		t.Fatal(err)
	}
	b, err := bf.board()
	if err != nil {
		t.Fatal(err)
	}
	cfg, link, cpu := b.Config, b.Link, b.CPU
	if cfg.Slots != 6 || cfg.RxBuf != 1024 || cfg.Model != "mine" || link.RTT != p.Link.RTT || cpu != p.CPU {
		t.Errorf("resolved %+v %+v %+v", cfg, link, cpu)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"schema":1,"name":"x","board":{"slots":2,"rx":512,"tx":512,"max_message":64,"fail":"nope"}}`), 0o644)
	out.Reset()
	errb.Reset()
	if rc := runBoard([]string{"--list", "--model-file", bad}, &out, &errb); rc == 0 || !strings.Contains(errb.String(), "nope") {
		t.Errorf("bad model file: exit %d, %q", rc, errb.String())
	}
}

func TestCalibrateCommandUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--target", "ws://127.0.0.1:1/ws", "--scale", "0"}, {"--target", "ws://127.0.0.1:1/ws", "extra"}} {
		var out, errb bytes.Buffer
		if rc := runCalibrate(args, &out, &errb); rc != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, rc, exitUsage, errb.String())
		}
	}
	// Nothing listening: nothing measured, exit 1, no model file.
	dir := t.TempDir()
	var out, errb bytes.Buffer
	rc := runCalibrate([]string{"--target", "ws://127.0.0.1:1/ws", "--scale", "0.05", "--out", filepath.Join(dir, "m.json")}, &out, &errb)
	if rc != exitFailed {
		t.Errorf("no board: exit %d, want 1", rc)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.json")); err == nil {
		t.Errorf("a model file was written from nothing")
	}
}

// The command end to end, quickly (no twin): a model file that starts.
func TestCalibrateCommandWritesModel(t *testing.T) {
	if testing.Short() {
		t.Skip("probes an emulated board for ~30 s")
	}
	p, _ := catalog.Get("picow-tinygo")
	srv, err := host.Start(host.Options{Board: p.Board, Link: p.Link, CPU: p.CPU, StatsListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "pico.json")
	var out, errb bytes.Buffer
	rc := runCalibrate([]string{"--target", srv.WSURL("/ws"), "--scale", "0.1", "--idle", "500ms", "--max-conns", "8", "--verify=false", "--name", "pico", "--out", path}, &out, &errb)
	if rc != 0 {
		t.Fatalf("exit %d\n%s\n%s", rc, out.String(), errb.String())
	}
	mf, q, err := catalog.ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Board.Slots != 3 || q.Board.FailMode != p.Board.FailMode || q.Board.MaxMessage != 4096 || len(mf.Probes) == 0 || mf.WSLab == "" {
		t.Errorf("model: %+v, provenance %v", q.Board, mf.Provenance)
	}
	if !strings.HasPrefix(mf.Provenance["slots"], "measured: ") || !strings.Contains(mf.Provenance["tx"], "assumed from preset ") || strings.Contains(mf.Provenance["slots"], "assumed") {
		t.Errorf("provenance: %v", mf.Provenance)
	}
	if !strings.Contains(out.String(), "measured") || !strings.Contains(out.String(), "model file:") {
		t.Errorf("output:\n%s", out.String())
	}
}
