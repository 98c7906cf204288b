package host

import "testing"

// The channel books accesses the way 802.11 aggregation shares them.
func TestChannelAggregates(t *testing.T) {
	const ms = 1_000_000
	const acc = 3 * ms
	// 20 Mbit/s: 100 bytes take 40 us.
	bytes := func(n int) int64 { return int64(n) * 8e9 / 20e6 }

	c := newChannel(acc, 20e6, 1460)
	// A frame alone pays the access and its bytes.
	if got, want := c.book(0, 100, toBoard, false), acc+bytes(100); got != want {
		t.Fatalf("lone frame crosses at %d, want %d", got, want)
	}
	// A frame ready while that access is on the air waits for it: it
	// cannot join an aggregate that began before it was ready.
	end1 := acc + bytes(100)
	if got, want := c.book(1*ms, 100, toBoard, false), end1+acc+bytes(100); got != want {
		t.Fatalf("frame ready during an access crosses at %d, want %d (a new access after it)", got, want)
	}

	// The board's replies: one booked ahead (its CPU finishes at 20 ms),
	// then a second that was ready before that access began joins it,
	// crossing with it, not in a second access.
	c = newChannel(acc, 20e6, 1460)
	first := c.book(20*ms, 100, fromBoard, false)
	if first != 20*ms+acc+bytes(100) {
		t.Fatalf("first reply crosses at %d", first)
	}
	if got, want := c.book(19*ms, 100, fromBoard, false), first; got != want {
		t.Fatalf("second reply crosses at %d, want %d (joined the aggregate)", got, want)
	}
	// A frame the other way does not join it, and input that arrived
	// before the booked reply goes in the gap ahead of it.
	if got, want := c.book(2*ms, 100, toBoard, false), 2*ms+acc+bytes(100); got != want {
		t.Fatalf("earlier input crosses at %d, want %d (in the gap before the reply)", got, want)
	}
	if got, want := c.book(18*ms, 100, toBoard, false), first+acc+bytes(100); got != want {
		t.Fatalf("input that does not fit the gap crosses at %d, want %d (after the aggregate)", got, want)
	}

	// Bulk data goes aggregated at the goodput, without an access.
	c = newChannel(acc, 20e6, 1460)
	if got, want := c.book(0, 1460, fromBoard, false), bytes(1460); got != want {
		t.Fatalf("a full segment crosses at %d, want %d", got, want)
	}
	// A small frame behind its connection's output in flight (a stream,
	// which TCP coalesces) goes aggregated too.
	if got, want := c.book(0, 100, fromBoard, true), bytes(1460)+bytes(100); got != want {
		t.Fatalf("a small frame of a stream crosses at %d, want %d", got, want)
	}
	// Off: no delay.
	if got := (*channel)(nil).book(5, 100, toBoard, false); got != 5 {
		t.Fatalf("no channel: %d", got)
	}
}

// Many frames keep the channel's memory bounded and its order intact.
func TestChannelBounded(t *testing.T) {
	c := newChannel(1000, 0, 1460)
	var last [3]int64 // per direction: frames one way keep their order
	for i := 0; i < 10*channelTxops; i++ {
		dir := toBoard
		if i%2 == 1 {
			dir = fromBoard
		}
		got := c.book(int64(i)*100, 10, dir, false)
		if got < last[dir] {
			t.Fatalf("booking %d crosses at %d, before the previous one its way at %d", i, got, last[dir])
		}
		last[dir] = got
	}
	if c.n > channelTxops {
		t.Fatalf("%d accesses remembered", c.n)
	}
	for k := 1; k < c.n; k++ {
		if c.at(k).start < c.at(k-1).end {
			t.Fatalf("accesses %d and %d overlap", k-1, k)
		}
	}
}

// An idle channel stays idle however many frames it has carried: the
// accesses it remembers are dropped once past, never merged into one
// long access that would delay the next frame.
func TestChannelForgets(t *testing.T) {
	c := newChannel(1000, 0, 1460)
	for i := int64(0); i < 10*channelTxops; i++ {
		ready := i * 2000 // each frame finds the channel free
		if got := c.book(ready, 10, toBoard, false); got != ready+1000 {
			t.Fatalf("frame %d, ready at %d on an idle channel, crosses at %d", i, ready, got)
		}
	}
	// Input the host learns of late (it arrived in the last gap) still
	// finds that gap free.
	end := int64(10*channelTxops-1) * 2000
	if got := c.book(end-1000, 10, fromBoard, false); got != end {
		t.Fatalf("late-booked frame in the last gap crosses at %d, want %d", got, end)
	}
}
