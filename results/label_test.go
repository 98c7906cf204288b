package results

import (
	"strings"
	"testing"
)

func TestConfigLabel(t *testing.T) {
	for _, c := range []struct {
		b    Board
		want string
	}{
		{Board{Model: "esp32-async", Slots: 8, RxBuf: 5744, TxBuf: 2048, HeapBudget: 1 << 20}, "esp32-async (slots 8, rx 5744 B, tx 2048 B)"},
		{Board{Model: "esp32-idf", RxBuf: 512}, "esp32-idf (rx 512 B)"},
		{Board{Model: "esp32-idf"}, "esp32-idf"},
	} {
		if got := ConfigLabel(c.b); got != c.want {
			t.Errorf("ConfigLabel(%+v) = %q, want %q", c.b, got, c.want)
		}
	}
}

// diff's groups and Recommend's configurations are the configurations
// ConfigLabel tells apart: runs that differ only in tx are two of each.
func TestConfigLabelGroups(t *testing.T) {
	a := &Run{Board: Board{Model: "m", Slots: 4, RxBuf: 1024, TxBuf: 1024}}
	b := &Run{Board: Board{Model: "m", Slots: 4, RxBuf: 1024, TxBuf: 2048}}
	a2 := &Run{Board: a.Board}
	for _, r := range []*Run{a, b} {
		if groupKey(r) != ConfigLabel(r.Board) {
			t.Errorf("diff's group %q, label %q", groupKey(r), ConfigLabel(r.Board))
		}
	}
	cs := configs([]*Run{a, b, a2})
	if len(cs) != 2 || len(cs[0].Runs)+len(cs[1].Runs) != 3 {
		t.Fatalf("%d configurations of a, b, a", len(cs))
	}
	for _, c := range cs {
		for _, r := range c.Runs {
			if ConfigLabel(r.Board) != ConfigLabel(c.Board) {
				t.Errorf("configuration %q holds a run of %q", ConfigLabel(c.Board), ConfigLabel(r.Board))
			}
		}
	}
}

// A foreign server's limits are part of its configuration's name, and
// Recommend prefers the smaller memory limit, then CPU cap, over RAM.
func TestConfigLabelLimits(t *testing.T) {
	b := Board{Model: "esp32-idf+single", Slots: 7, RxBuf: 5760, TxBuf: 5760,
		Extra: map[string]string{ExtraCPUQuota: "0.04", ExtraMemLimit: "67108864", "queue_len": "0"}}
	if got, want := ConfigLabel(b), "esp32-idf+single (slots 7, rx 5760 B, tx 5760 B, cpu 4%, mem 64 MiB)"; got != want {
		t.Errorf("ConfigLabel = %q, want %q", got, want)
	}
	b.Extra = map[string]string{ExtraCPUQuota: "off", ExtraMemLimit: "model"}
	if got, want := ConfigLabel(b), "esp32-idf+single (slots 7, rx 5760 B, tx 5760 B, cpu off, mem model)"; got != want {
		t.Errorf("ConfigLabel = %q, want %q", got, want)
	}
	b.Extra[ExtraLinkBps] = "2500000"
	if got, want := ConfigLabel(b), "esp32-idf+single (slots 7, rx 5760 B, tx 5760 B, cpu off, mem model, link 2.5 Mbit/s)"; got != want {
		t.Errorf("ConfigLabel = %q, want %q", got, want)
	}
	run := func(cpu, mem string, ram int64, link ...string) *Run {
		r := &Run{Board: Board{Model: "f", Slots: 1, RxBuf: 1, TxBuf: 1, Extra: map[string]string{ExtraCPUQuota: cpu, ExtraMemLimit: mem}},
			Rates: Rates{MsgsPerSec: 100}, Heap: []HeapSample{{RAMInUse: ram}}}
		if len(link) > 0 {
			r.Board.Extra[ExtraLinkBps] = link[0]
		}
		return r
	}
	for _, c := range []struct {
		runs []*Run
		want string
	}{
		// The smaller CPU cap, though its RAM is larger.
		{[]*Run{run("0.5", "model", 1000), run("0.04", "model", 2000), run("off", "model", 500)}, "cpu 4%"},
		// The smaller memory limit before the smaller CPU cap.
		{[]*Run{run("0.04", "134217728", 1000), run("0.5", "67108864", 1000)}, "cpu 50%, mem 64 MiB"},
		// The slower link when the rest is alike.
		{[]*Run{run("0.04", "model", 1000, "20000000"), run("0.04", "model", 2000, "1000000")}, "link 1 Mbit/s"},
	} {
		pick, _, all, err := Recommend(c.runs, Goal{{Figure: "msgs", Op: OpGreaterEq, Limit: 1, Text: "msgs>=1"}})
		if err != nil || len(all) != len(c.runs) {
			t.Fatalf("%v, %d configurations", err, len(all))
		}
		if l := ConfigLabel(pick.Board); !strings.Contains(l, c.want) {
			t.Errorf("picked %q, want the one with %q", l, c.want)
		}
	}
}
