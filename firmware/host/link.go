package host

// Link describes the emulated link between the board and its clients: a
// bandwidth shared by all of the board's connections, in both directions
// (like a half-duplex WiFi channel), a delay added to everything the
// board sends, so an echo's round trip grows by RTT, and the WiFi tails
// beyond it. With an RTT or a channel access the board's receive window
// is modelled too (Windowed): a client may have at most the board's rx
// buffer (its TCP_WND) in flight, and the window reopens once its update
// has crossed the channel and the wire after the firmware took the bytes.
// Zero values turn each part off.
type Link struct {
	Bps   int64 // bits per second of goodput on the wire, shared
	RTT   int64 // nanoseconds added to the round trip
	Tails Tails // jitter, loss, power save
	// Airtime is one access to the shared radio channel: contention and
	// backoff, the preamble, the 802.11 block ACK. A small frame that goes
	// alone pays it; frames queued behind an access in the same direction
	// (from any connection) join it as an aggregate, and full segments go
	// aggregated at Bps. So a
	// lone client pays two accesses per echo, and many clients share them
	// (see channel).
	Airtime int64
}

// On reports whether any emulation is active.
func (l Link) On() bool { return l.Bps > 0 || l.RTT > 0 || l.Tails.On() || l.Airtime > 0 }

// Windowed reports whether the board's receive window is modelled: its
// update takes time to reach the client (a round trip, a channel access).
// A fitted twin whose channel access took all of a small round trip (RTT
// 0) still has a window; without either, the host's own socket is it.
func (l Link) Windowed() bool { return l.RTT > 0 || l.Airtime > 0 }

// bucket is the shared bandwidth: a virtual clock that advances by each
// transfer's serialisation time. A connection that finds the link busy
// waits for a quantum (a 1460-byte segment, or 1 ms of transfer if more);
// while the link is idle, credit for four quanta or 20 ms accumulates, so a
// late timer does not lose bandwidth and small messages are not quantised
// to the timer's resolution.
type bucket struct {
	bps     int64
	next    int64 // when the link is free again
	quantum int64 // bytes a waiter waits for
	burst   int64 // ns of credit that may accumulate while idle
}

func newBucket(bps int64) *bucket {
	if bps <= 0 {
		return nil
	}
	q := bps / 8 / 1000 // 1 ms of transfer
	if q < 1460 {
		q = 1460
	}
	burst := 4 * q * 8e9 / bps
	if burst < 20e6 {
		burst = 20e6 // 20 ms: a loop delayed by a busy machine loses no bandwidth
	}
	return &bucket{bps: bps, quantum: q, burst: burst}
}

// take grants up to want bytes at time now and returns how many; when it
// grants none, wait is when to try again.
func (b *bucket) take(now int64, want int) (n int, wait int64) {
	if b == nil {
		return want, 0
	}
	start := b.next
	if start < now-b.burst {
		start = now - b.burst
	}
	avail := (now - start) * b.bps / 8e9
	if avail <= 0 {
		q := int64(want)
		if q > b.quantum {
			q = b.quantum
		}
		return 0, start + (q*8e9+b.bps-1)/b.bps
	}
	if int64(want) < avail {
		avail = int64(want)
	}
	b.next = start + avail*8e9/b.bps
	return int(avail), 0
}

// readyAt is when the link has a quantum's credit again (0: no link).
func (b *bucket) readyAt() int64 {
	if b == nil {
		return 0
	}
	return b.next + b.quantum*8e9/b.bps
}

// refund returns n granted bytes that were not transferred after all.
func (b *bucket) refund(n int) {
	if b == nil || n <= 0 {
		return
	}
	b.next -= int64(n) * 8e9 / b.bps
}

// turn limits one transfer to a quantum, so directions and connections
// sharing a saturated link take turns.
func (b *bucket) turn(n int) int {
	if b == nil || int64(n) <= b.quantum {
		return n
	}
	return int(b.quantum)
}
