//go:build linux

package host

import (
	"slices"
	"testing"
	"time"
)

// The Shaper is driven on its own clock here (virtual nanoseconds), so
// these tests time nothing.

// TestShaperTailsSeeded: the same seed draws the same delays, another seed
// others; the heavy tail shows (p99 far above p50) and output stays in
// order.
func TestShaperTailsSeeded(t *testing.T) {
	tails := Tails{Seed: 7, Jitter: int64(time.Millisecond), TailP: 0.05, TailMin: int64(80 * time.Millisecond),
		TailMax: int64(time.Second), Loss: 0.01, RTO: int64(200 * time.Millisecond)}
	rtt := int64(10 * time.Millisecond)
	draws := func(seed uint64) []int64 {
		tl := tails
		tl.Seed = seed
		s := NewShaper(Link{RTT: rtt, Tails: tl}, 0)
		c := s.Conn()
		var d []int64
		now := int64(0)
		last := int64(0)
		for i := 0; i < 2000; i++ {
			rel := c.Produced(now, 64)
			if rel < last {
				t.Fatalf("release %d before the previous %d: out of order", rel, last)
			}
			last = rel
			d = append(d, rel-now-rtt)
			now = rel + int64(time.Millisecond) // the next exchange after this one's reply
		}
		return d
	}
	a, b, other := draws(7), draws(7), draws(8)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed drew different delays")
	}
	if slices.Equal(a, other) {
		t.Fatal("another seed drew the same delays")
	}
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	p50, p99 := sorted[len(sorted)/2], sorted[len(sorted)*99/100]
	if p50 < 0 || p50 > int64(3*time.Millisecond) || p99 < int64(80*time.Millisecond) {
		t.Errorf("tail delays p50 %s, p99 %s: want about the jitter and at least the 80ms tail", time.Duration(p50), time.Duration(p99))
	}
	// Without tails nothing is added to the round trip.
	c := NewShaper(Link{RTT: rtt}, 0).Conn()
	if rel := c.Produced(5, 10); rel != 5+rtt {
		t.Errorf("no tails: release at %d, want now + RTT = %d", rel, 5+rtt)
	}
}

// TestShaperWindow: a client has at most the window in flight; the part
// the server consumed reopens a round trip later.
func TestShaperWindow(t *testing.T) {
	rtt := int64(10 * time.Millisecond)
	s := NewShaper(Link{RTT: rtt}, 512)
	if s.Window() != 512 {
		t.Fatalf("window %d", s.Window())
	}
	c := s.Conn()
	g, _ := c.In(0, 4096)
	if g != 512 {
		t.Fatalf("first grant %d, want the 512 B window", g)
	}
	c.Received(0, g, g)
	if g, at := c.In(1, 100); g != 0 || at != 0 {
		// nothing consumed yet: closed, and no reopening scheduled
		t.Fatalf("window full: grant %d, at %d", g, at)
	}
	c.Consumed(1000, 512)
	if g, at := c.In(2000, 100); g != 0 || at != 1000+rtt {
		t.Fatalf("consumed at 1000: grant %d, at %d, want 0 until %d", g, at, 1000+rtt)
	}
	if g, _ := c.In(1000+rtt, 4096); g != 512 {
		t.Fatalf("a round trip after: grant %d, want the window again", g)
	}
	// Another connection has its own window.
	if g, _ := s.Conn().In(1000+rtt, 4096); g != 512 {
		t.Fatalf("second connection: grant %d", g)
	}
	// Without an RTT the window is not modelled (as on the emulated board).
	if NewShaper(Link{Bps: 1e6}, 512).Window() != 0 {
		t.Error("window modelled without an RTT")
	}
}

// TestShaperBandwidthShared: both directions and every connection share
// the link's rate.
func TestShaperBandwidthShared(t *testing.T) {
	bps := int64(8e6) // 1 MB/s
	s := NewShaper(Link{Bps: bps}, 0)
	a, b := s.Conn(), s.Conn()
	var moved int64
	for now := int64(0); now < int64(time.Second); now += int64(100 * time.Microsecond) {
		for _, c := range []*ShapedConn{a, b} {
			if g, _ := c.In(now, 64<<10); g > 0 {
				c.Received(now, g, g)
				moved += int64(g)
			}
			if g, _ := c.Out(now, 64<<10); g > 0 {
				// half of it written: the rest goes back to the link
				c.Wrote(now, g, g/2, true)
				moved += int64(g / 2)
			}
		}
	}
	if moved < 950_000 || moved > 1_100_000 {
		t.Errorf("moved %d B in a second over a shared 1 MB/s link", moved)
	}
	if g, at := a.In(int64(time.Second), 64<<10); g != 0 && at != 0 {
		t.Errorf("grant %d and retry time %d at once", g, at)
	}
}

// TestShaperAirtime: frames cross the shared channel as on the emulated
// board: a small frame alone pays an access, a frame the other way waits
// for it, and a frame queued behind an access joins the next one its way.
func TestShaperAirtime(t *testing.T) {
	air := int64(2 * time.Millisecond)
	s := NewShaper(Link{Airtime: air}, 0)
	a, b := s.Conn(), s.Conn()
	now := int64(10 * time.Millisecond)
	if rel := a.Produced(now, 50); rel != now+air {
		t.Fatalf("output alone released at %d, want after its access, %d", rel, now+air)
	}
	g, at := b.In(now, 50)
	if g != 50 || at != 0 {
		t.Fatalf("input: grant %d, at %d", g, at)
	}
	if crossed := b.Received(now, g, g); crossed != now+2*air {
		t.Fatalf("input behind the output's access crossed at %d, want %d", crossed, now+2*air)
	}
	// A second client's input, ready before that access began, joins it.
	if crossed := a.Received(now+air/2, 50, 50); crossed != now+2*air {
		t.Fatalf("queued input crossed at %d, want with the aggregate at %d", crossed, now+2*air)
	}
}
