//go:build linux

package host

import (
	"math"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
)

// TestSpreadPerUnit: with Spread 1 a unit of work's cost is exponential
// (its standard deviation is its mean), and a batch of n units taken in
// one call varies as their sum does, 1/sqrt(n) of that: a batch drawn as
// one unit scaled up made a saturated board's rate vary by a tenth between
// two runs. The mean stays the cost's at every batch size.
func TestSpreadPerUnit(t *testing.T) {
	for _, sp := range []float64{1, 0.5} {
		v := newVCPU(CPU{MsgIn: 1000, Spread: sp}, 0, 0, 42)
		for _, units := range []int64{1, 4, 8, spreadExact, 64, 400} {
			const draws = 40000
			var sum, sq float64
			for range draws {
				x := float64(v.spread(1_000_000, units)) / 1e6
				sum += x
				sq += x * x
			}
			mean := sum / draws
			sd := math.Sqrt(sq/draws - mean*mean)
			want := sp / math.Sqrt(float64(units))
			t.Logf("spread %.1f, %3d units: mean %.3f, sd %.3f (want 1, %.3f)", sp, units, mean, sd, want)
			if math.Abs(mean-1) > 0.02 {
				t.Errorf("spread %.1f, %d units: mean cost %.3f of the nominal, want 1", sp, units, mean)
			}
			if math.Abs(sd-want) > 0.05*want+0.005 {
				t.Errorf("spread %.1f, %d units: standard deviation %.3f, want %.3f (the sum of %d independent costs)", sp, units, sd, want, units)
			}
		}
	}
	if v := newVCPU(CPU{MsgIn: 1000}, 0, 0, 42); v.spread(12345, 3) != 12345 {
		t.Error("without Spread every cost is its mean")
	}
}

// TestWindowReopensPerSegment: a read of a whole window (four 536 B
// segments, esp8266's 2144 B) that the CPU works on for 8 ms gives its
// segments back one at a time as each is done, so a quarter of the
// window is open again a quarter of the way through, and all of it at
// the end (each a round trip and an access later). Reopening the whole
// read at the end left the client waiting for the slowest segment, and
// the upload ran at one of two paces by how the window happened to split.
func TestWindowReopensPerSegment(t *testing.T) {
	const mss, window = 536, 2144
	const rtt, air = int64(10e6), int64(1e6)
	s := &Server{cpu: newVCPU(CPU{MSS: mss, Segment: 1}, air, 0, 1), window: window}
	s.opts.Link.RTT = rtt
	now, span := int64(100e6), int64(8e6)
	newConn := func() *conn { return &conn{wnd: new([segsPerConn]seg)} }
	c := newConn()
	before := s.cpu.done(now)
	s.cpu.ready = now + span // the CPU's work on the read
	s.reopen(c, now, before, window)
	back := rtt + air
	for j := 0; j <= 4; j++ {
		at := now + span*int64(j)/4 + back
		if j > 0 { // (rxWindow goes forward in time only)
			if free, _ := c.rxWindow(at-1, window); free != (j-1)*mss {
				t.Fatalf("just before %d/4 of the read's work: %d B open, want %d", j, free, (j-1)*mss)
			}
		}
		if free, _ := c.rxWindow(at, window); free != j*mss {
			t.Fatalf("%d/4 through the read's work: %d B open, want %d", j, free, j*mss)
		}
	}
	// A read of one segment, or one the CPU had finished before, reopens
	// whole at the CPU's finish.
	c = newConn()
	s.cpu.ready = 0
	s.reopen(c, now, s.cpu.done(now), window)
	if free, _ := c.rxWindow(now+back, window); free != window {
		t.Fatalf("a read the CPU took no time over: %d B open a round trip later, want %d", free, window)
	}
	c = newConn()
	s.cpu.ready = now + span
	s.reopen(c, now, now, 300)
	if free, _ := c.rxWindow(now+span+back-1, window); free != window-300 {
		t.Fatalf("one segment: %d B open before the CPU finished it, want %d", free, window-300)
	}
	if free, _ := c.rxWindow(now+span+back, window); free != window {
		t.Fatalf("one segment: %d B open after the CPU finished it, want %d", free, window)
	}

	// The read path: readIn charges the read's segments (2 ms each) and
	// spreads the reopening over the work it charged, from the CPU's start.
	b, err := firmware.NewBoard(firmware.Config{Slots: 1, RxBuf: window, TxBuf: 1072, MaxMessage: 4096}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	s = &Server{cpu: newVCPU(CPU{MSS: mss, Segment: 2e6}, air, 0, 1), window: window, board: b}
	s.opts.Link.RTT = rtt
	c = newConn()
	c.rxAt = now
	s.readIn(c, now, window)
	end := s.cpu.done(now)
	if end < now+8e6 {
		t.Fatalf("four segments at 2 ms each done at +%v", time.Duration(end-now))
	}
	first := end - 8e6 + 2e6 + back // the first segment's work done, and back
	if free, _ := c.rxWindow(first-1, window); free != 0 {
		t.Fatalf("readIn: %d B open before the first segment was done", free)
	}
	if free, _ := c.rxWindow(first, window); free != mss {
		t.Fatalf("readIn: %d B open when the first segment was done, want %d (one segment)", free, mss)
	}
	if free, _ := c.rxWindow(end+back, window); free != window {
		t.Fatalf("readIn: %d B open when all were done, want %d", free, window)
	}
}
