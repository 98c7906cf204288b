package calibrate

import (
	"math"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
)

// tailBoundBoard is the random board of a run whose fit put its heavier
// tail into the send buffer (see txCheck): ESP-IDF's structure, 5760 B
// of send buffer, a 6676 B cap, behind a 0.75 Mbit/s link with a tail of
// 9.2% from 38 ms and power save at DTIM 2.
func tailBoundBoard() catalog.Preset {
	p, _ := catalog.Get("esp32-idf")
	p.Name, p.Board.Model = "random", "random"
	p.Board.Slots, p.Board.RxBuf, p.Board.MaxMessage, p.Board.HeapBudget = 10, 711, 6676, 0
	p.Board.TxBuf = 5760
	p.Link.RTT, p.Link.Bps, p.Link.Airtime = 10*int64(time.Millisecond), 749_700, int64(time.Millisecond)
	p.CPU = scaleCPU(p.CPU, 7.099094e6/float64(p.CPU.MessageCost(32)))
	p.Link.Tails.TailP, p.Link.Tails.TailMin = 0.09156, 38*int64(time.Millisecond)
	p.Link.Tails.PowerSave, p.Link.Tails.DTIM = true, 2
	p.Link.Tails.Seed ^= 0x5eed5eed
	return p
}

// TestTxCheckFromDownloads: that board's fit (its figures, the send
// buffer 3131 B) checked against the board's downloads: the twin's 1024 B
// download runs at 0.44 of the board's there, so the send buffer is
// raised, to within a quarter of the board's 5760 B (the 6676 B download
// leaves the board in two pieces anywhere from 3340 B to 6679 B: it
// says little more). A check that never steps, or steps the wrong way,
// fails.
func TestTxCheckFromDownloads(t *testing.T) {
	if testing.Short() {
		t.Skip("probes an emulated board and up to four twins for ~45 s")
	}
	hidden := tailBoundBoard()
	ctx, f := startHidden(t, hidden)
	for _, n := range thrSizes {
		d, err := f.opts.down(ctx, min(n, hidden.Board.MaxMessage), f.opts.dur(thrDur))
		if err != nil {
			t.Fatal(err)
		}
		f.Meas.Down = append(f.Meas.Down, d)
	}
	// The fit's figures of that run: the send buffer 3131 B.
	base := hidden
	base.Link.Tails.TailP, base.Link.Tails.TailMin = 0.08, 37*int64(time.Millisecond)
	tp := twinParams{k: 6.808 / 7.099, rtt: 8_316_000, bps: 791_900, rx: 727, tx: 3131, air: 2_416_000}
	tx, why := f.txCheck(ctx, base, tp, airResult{})
	t.Logf("send buffer %d B from %d B (board %d B)%s\n%s", tx, tp.tx, hidden.Board.TxBuf, why, f.opts.Log)
	if e := math.Abs(float64(tx)/float64(hidden.Board.TxBuf) - 1); e > 0.25 {
		t.Errorf("send buffer checked from %d B: %d B, the board's %d B: off by %.0f%%", tp.tx, tx, hidden.Board.TxBuf, e*100)
	}
}

// TestSamePattern: a step out of the pattern the echoes' replies leave
// the board in is cut back to that pattern's end, either way; a step
// within it is taken. esp8266's replies at 1072 B (536 B MSS) leave in
// 1/2/2/3 pieces, 2/3/3/6 segments, from 1004 B (the 1004 B reply in one
// piece) to 1072 B (a byte more and each piece is three segments). A cut
// that overshoots the end, stops short of it, or cuts a step within the
// pattern, fails.
func TestSamePattern(t *testing.T) {
	frames := []int{1004, 1404, 1504, 2904}
	const mss, cur = 536, 1072
	want := sendPattern(frames, cur, mss)
	for _, next := range []int{600, 900, 1040, 1100, 1500, 3000} {
		got := samePattern(frames, mss, cur, next)
		if sendPattern(frames, got, mss) != want {
			t.Errorf("step %d B to %d B: %d B leaves the replies in %s, not %s", cur, next, got, sendPattern(frames, got, mss), want)
		}
		if got != next && sendPattern(frames, next, mss) == want {
			t.Errorf("step %d B to %d B, within the pattern: cut to %d B", cur, next, got)
		}
		// Cut back: the pattern's end, so one byte further changes it.
		if got != next {
			dir := 1
			if next < cur {
				dir = -1
			}
			if sendPattern(frames, got+dir, mss) == want {
				t.Errorf("step %d B to %d B: cut to %d B, but %d B still leaves the replies in %s", cur, next, got, got+dir, want)
			}
			if (got-cur)*dir < 0 || (next-got)*dir < 0 {
				t.Errorf("step %d B to %d B: cut to %d B, not between them", cur, next, got)
			}
		}
		t.Logf("%d B -> %d B: %d B (%s)", cur, next, got, sendPattern(frames, got, mss))
	}
}

// TestEchoStep: the window the echoes' ratios call for. CI's random
// board (538 B) fitted 456 B: the twin's echoes 1.24/1.15/1.14/1.10 of
// the board's (requests of 1008/1408/1508/2908 B in 3/4/4/7 pieces, not
// 2/3/3/6): 504 B, the least window with 1008 B in two. The other way
// (a twin at 504 B against a board at 456 B): 469 B, the largest with
// 1408 B in four. No step where every size is within a tenth or its
// noise, where sizes are off both ways, where a size too slow crosses in
// one piece already, or where the window called for lies beyond x1.25.
// A step that takes the wrong side of a frame's step (one byte off), the
// furthest window not the nearest, or steps on noise, fails.
func TestEchoStep(t *testing.T) {
	frames := []int{1008, 1408, 1508, 2908}
	lg := func(rs ...float64) []float64 {
		var out []float64
		for _, r := range rs {
			out = append(out, math.Log(r))
		}
		return out
	}
	sig := []float64{0.031, 0.028, 0.045, 0.015}
	for _, c := range []struct {
		name   string
		rx     int
		ls     []float64
		frames []int
		want   int
	}{
		{"CI's random board, its window 15% low", 456, lg(1.24, 1.15, 1.14, 1.10), frames, 504},
		{"the other way", 504, lg(0.80, 0.87, 0.88, 0.91), frames, 469},
		{"one size too slow", 456, lg(1.24, 1.02, 0.98, 1.01), frames, 504},
		{"within the noise or a tenth", 456, lg(1.08, 0.95, 1.09, 1.03), frames, 456},
		{"off both ways", 456, lg(1.24, 0.80, 1.0, 1.0), frames, 456},
		{"too slow in one piece", 1100, lg(1.3, 1.0, 1.0, 1.0), frames, 1100},
		{"beyond x1.25", 1000, lg(1.0, 1.0, 1.0, 1.2), frames, 1000},
	} {
		got, why := echoStep(c.frames, c.rx, c.ls, sig)
		if got != c.want {
			t.Errorf("%s: from %d B: %d B (%s), want %d B", c.name, c.rx, got, why, c.want)
			continue
		}
		t.Logf("%s: %d B -> %d B: %s", c.name, c.rx, got, why)
		if got != c.rx && pieces(c.frames, got) == pieces(c.frames, c.rx) {
			t.Errorf("%s: %d B crosses the frames in %s pieces, as %d B does", c.name, got, pieces(c.frames, got), c.rx)
		}
	}
}
