package results

import "testing"

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
