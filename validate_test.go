//go:build linux

package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateCommand runs wslab validate on one model with short points:
// the table, the plot, and an exit code that says whether a point missed.
func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"validate", "--models", "esp32-idf", "--duration", "1s", "--out", dir}, &out, &errb)
	t.Logf("exit %d\n%s", code, out.String())
	missed := strings.Contains(out.String(), "MISS")
	switch {
	case code == 0 && missed, code == 1 && !missed, code != 0 && code != 1:
		t.Fatalf("exit %d with a table that %s a miss:\n%s\n%s", code, map[bool]string{true: "shows", false: "shows no"}[missed], out.String(), errb.String())
	}
	for _, want := range []string{"esp32-idf", "PsychicHttp", "clients", "the WiFi link's own round trip", "on, DTIM 1", "average 64 ms"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q", want)
		}
	}
	for _, f := range []string{"validation.png", "validation.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("plot %s: %v", f, err)
		}
	}
}

func TestValidateCommandBadInput(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "--models", "nano33-wifinina", "--duration", "1s"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "no published figures") {
		t.Fatalf("a model without published figures: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"validate", "extra"}, &out, &errb); code != 2 {
		t.Fatalf("stray argument: exit %d", code)
	}
}

// TestBoardModelFlags: the model's CPU and tails by default; --cpu=off,
// --tails=off and --link=off each turn their part off; --seed sets the
// tails' seed; a bad value is an error.
func TestBoardModelFlags(t *testing.T) {
	parse := func(args ...string) (*boardFlags, error) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var bf boardFlags
		bf.register(fs)
		return &bf, fs.Parse(args)
	}
	bf, _ := parse("-model", "esp32-async", "-seed", "9")
	b, err := bf.board()
	link, cpu := b.Link, b.CPU
	if err != nil || !cpu.On() || !link.Tails.On() || link.Tails.Seed != 9 || link.Airtime == 0 {
		t.Fatalf("defaults: cpu %v tails %+v err %v", cpu.On(), link.Tails, err)
	}
	bf, _ = parse("-model", "esp32-async", "-cpu", "off", "-tails", "off")
	b, err = bf.board()
	link, cpu = b.Link, b.CPU
	if err != nil || cpu.On() || link.Tails.On() || link.Bps == 0 {
		t.Fatalf("cpu and tails off: cpu %v tails %v bps %d err %v", cpu.On(), link.Tails.On(), link.Bps, err)
	}
	bf, _ = parse("-model", "esp32-async", "-link", "off")
	if b, err = bf.board(); err != nil || b.Link.On() {
		t.Fatalf("link off: %+v %v", b.Link, err)
	}
	bf, _ = parse("-model", "esp32-async", "-cpu", "maybe")
	if _, err = bf.board(); err == nil {
		t.Fatal("-cpu maybe must be an error")
	}
}
