package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wslab/wslab/firmware"
)

// TestResolve: the model's figures by default, each override replaces
// exactly its field, the Off switches drop their part, a bad fail mode
// and an unknown model are errors.
func TestResolve(t *testing.T) {
	p, err := Get("esp32-idf")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Resolve("esp32-idf", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Config != p.Board || b.Link != p.Link || b.CPU != p.CPU {
		t.Fatalf("no overrides: %+v, want the preset %+v", b, p)
	}

	slots, rx, queue, fail := 3, 1024, 0, "reset"
	rtt, seed := int64(7e6), uint64(42)
	b, err = Resolve("esp32-idf", Overrides{Slots: &slots, RxBuf: &rx, QueueLen: &queue, FailMode: &fail, LinkRTT: &rtt, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	want := p.Board
	want.Slots, want.RxBuf, want.QueueLen, want.FailMode = 3, 1024, 0, firmware.FailReset
	if b.Config != want {
		t.Fatalf("overridden config %+v, want %+v", b.Config, want)
	}
	if b.Link.RTT != rtt || b.Link.Bps != p.Link.Bps || b.Link.Tails.Seed != 42 || b.Link.Tails.Jitter != p.Link.Tails.Jitter {
		t.Fatalf("link %+v: want the model's with rtt %d and seed 42", b.Link, rtt)
	}
	if b.CPU != p.CPU {
		t.Fatalf("cpu changed: %+v", b.CPU)
	}

	b, err = Resolve("esp32-idf", Overrides{TailsOff: true, CPUOff: true})
	if err != nil || b.Link.Tails.On() || b.Link.Bps != p.Link.Bps || b.CPU.On() {
		t.Fatalf("tails and cpu off: %+v %v", b, err)
	}
	bps := int64(1e6)
	b, err = Resolve("esp32-idf", Overrides{LinkOff: true, LinkBps: &bps})
	if err != nil || b.Link.Bps != bps || b.Link.RTT != 0 || b.Link.Tails.On() || b.Link.Airtime != 0 {
		t.Fatalf("link off with a bandwidth: %+v %v", b.Link, err)
	}

	b, err = Resolve(Custom, Overrides{Slots: &slots})
	if err != nil || b.Config.Model != Custom || b.Config.Slots != 3 || b.Config.RxBuf != CustomBoard.RxBuf || b.Link.On() || b.CPU.On() {
		t.Fatalf("custom: %+v %v", b, err)
	}

	bad := "sometimes"
	if _, err := Resolve("esp32-idf", Overrides{FailMode: &bad}); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Fatalf("bad fail mode: %v", err)
	}
	if _, err := Resolve("esp64", Overrides{}); err == nil {
		t.Fatal("unknown model resolved")
	}
}

// TestReadBoard: a resolved board survives JSON exactly (the tails'
// floats included); unknown fields and trailing data are refused.
func TestReadBoard(t *testing.T) {
	for _, p := range All() {
		b, err := Resolve(p.Name, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadBoard(bytes.NewReader(js))
		if err != nil || got != b {
			t.Fatalf("%s: round trip %+v %v, want %+v", p.Name, got, err, b)
		}
	}
	for _, in := range []string{`{"config":{"Slots":2},"linc":{}}`, `{"config":{"Slots":2}} {}`, `{"config":`, `[]`} {
		if _, err := ReadBoard(strings.NewReader(in)); err == nil {
			t.Errorf("ReadBoard(%s) accepted", in)
		}
	}
}
