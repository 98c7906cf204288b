package host

// channel is the shared 2.4 GHz channel between the board and its access
// point, as 802.11 shares it: a station that has frames queued contends,
// wins the channel once (a transmit opportunity, TXOP) and sends every
// frame it had queued by then in one aggregate (an A-MPDU: the frames all
// go to one receiver, the AP or the board, whichever client they are for).
// The first frame pays the access (Link.Airtime: DIFS, backoff, contention
// with the network's other stations, preamble, the block ACK); a small
// frame that joins it rides within that time (its subframe takes tens of
// microseconds beside an access of milliseconds). So one
// client's echo pays two accesses, while many clients' frames that queue
// behind each other share them: the channel's cost per message falls as
// the load rises, the way aggregation makes a busy WiFi link cheaper per
// frame than an idle one.
//
// Accesses are booked as they become known, some in the future (a reply
// is booked when the board's CPU will have finished it): the channel keeps
// them sorted by start, and a frame takes the first gap after it is ready
// that holds an access, unless it can join an aggregate in its direction
// that starts after it was ready.
type channel struct {
	access int64 // ns of one access
	bps    int64 // goodput, for a frame's bytes
	mss    int
	txops  [channelTxops]txop
	head   int
	n      int
	// frames and accesses count what crossed: frames per access is the
	// aggregation the load allowed.
	frames, accesses uint64
}

// channelTxops is how many accesses the channel remembers: those still
// ahead, plus the recent past that late-booked input may fall into.
const channelTxops = 64

// channelHorizon is how far back a booking may still fall: input is
// booked at its arrival, which the host learns of late by at most its
// loop's latency.
const channelHorizon = 20_000_000

// Directions on the channel.
const (
	toBoard   uint8 = 1 // the AP sends, for a client
	fromBoard uint8 = 2 // the board sends
)

// A txop is one access: [start, end) in one direction.
type txop struct {
	start, end int64
	dir        uint8
}

func newChannel(access, bps int64, mss int) *channel {
	if access <= 0 {
		return nil
	}
	if mss <= 0 {
		mss = DefaultMSS
	}
	return &channel{access: access, bps: bps, mss: mss}
}

func (c *channel) at(k int) *txop { return &c.txops[(c.head+k)%channelTxops] }

// book puts n bytes, ready to go at ready in direction dir, on the channel
// and returns when they have crossed it. A frame of a segment or more, or
// one that follows its connection's data still in flight (more: a stream,
// which TCP coalesces into full segments), is bulk: it goes aggregated at
// the goodput without an access of its own, as a stream keeps its transmit
// opportunities full.
func (c *channel) book(ready int64, n int, dir uint8, more bool) int64 {
	if c == nil || n <= 0 {
		return ready
	}
	var bytes int64
	if c.bps > 0 {
		bytes = int64(n) * 8e9 / c.bps
	}
	small := n < c.mss && !more
	alone := c.access + bytes // a new access
	if !small {
		alone = bytes
	}
	c.frames++
	// Forget accesses long past.
	for c.n > 0 && c.at(0).end < ready-channelHorizon {
		c.head = (c.head + 1) % channelTxops
		c.n--
	}
	for c.n == channelTxops && c.at(0).end <= ready {
		c.head = (c.head + 1) % channelTxops
		c.n--
	}
	if c.n == channelTxops {
		// Full of accesses still to come (a channel booked far ahead):
		// the frame goes after the last, which grows to hold it.
		last := c.at(c.n - 1)
		t := max(ready, last.end)
		last.end = t + alone
		c.accesses++
		return last.end
	}
	t := ready
	for k := 0; k < c.n; k++ {
		r := c.at(k)
		if r.end <= t {
			continue
		}
		// An aggregate in this direction that begins after the frame was
		// ready takes it along: a small frame's subframe (tens of
		// microseconds) rides within the access's time. Bulk data does
		// not join: it pays its bytes in a gap of its own.
		if small && r.dir == dir && r.start >= ready {
			return r.end
		}
		if r.start >= t+alone {
			c.accesses++
			c.insert(k, txop{t, t + alone, dir})
			return t + alone
		}
		t = max(t, r.end)
	}
	c.accesses++
	c.insert(c.n, txop{t, t + alone, dir})
	return t + alone
}

// insert puts x at position k (book keeps a free place).
func (c *channel) insert(k int, x txop) {
	for j := c.n; j > k; j-- {
		*c.at(j) = *c.at(j - 1)
	}
	*c.at(k) = x
	c.n++
}
