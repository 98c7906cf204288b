//go:build linux

package host

import (
	"sync"
	"time"
)

// Shaper applies a board's Link to traffic that the emulated board's event
// loop does not carry: a relay in front of a server wslab did not write. It
// is the same model as the emulated board's, built on the same parts: the
// bandwidth shared by every connection in both directions, the round trip
// added to what the board sends, the WiFi tails (jitter, heavy tail, loss
// with its RTO stall, power save), the shared radio's airtime per small
// frame, and the board's receive window (with an RTT: a client has at most
// the window in flight, and the part the server took reopens a round trip
// later). The caller moves the bytes; the Shaper says when they may move.
//
// Times are nanoseconds on the Shaper's clock (Now). A Shaper is safe for
// use by several goroutines; a ShapedConn by one reader and one writer
// (the two directions) at a time.
type Shaper struct {
	mu     sync.Mutex
	link   Link
	window int
	base   time.Time
	bucket *bucket
	tails  *tailGen
	ch     *channel // the shared radio channel: the CPU is the server's own
}

// NewShaper returns a Shaper for link with a receive window of rxWindow
// bytes per connection (the board's rx buffer, its TCP_WND); the window is
// modelled only where the link is Windowed, as on the emulated board, and
// 0 turns it off.
// With the link off it grants everything at once.
func NewShaper(link Link, rxWindow int) *Shaper {
	s := &Shaper{link: link, base: time.Now(), bucket: newBucket(link.Bps), tails: newTailGen(link.Tails),
		ch: newChannel(link.Airtime, link.Bps, 1460)}
	if link.Windowed() && rxWindow > 0 {
		s.window = rxWindow
	}
	return s
}

// Now is the Shaper's clock: nanoseconds since it was made.
func (s *Shaper) Now() int64 { return int64(time.Since(s.base)) }

// Time turns a time on the Shaper's clock into wall-clock time.
func (s *Shaper) Time(at int64) time.Time { return s.base.Add(time.Duration(at)) }

// Link is the link the Shaper applies.
func (s *Shaper) Link() Link { return s.link }

// Window is the receive window per connection in bytes (0: not modelled).
func (s *Shaper) Window() int { return s.window }

// Quantum is how many bytes a transfer moves at most per turn on the
// shared link (a segment, or a millisecond of transfer when that is more);
// 0 without a bandwidth limit.
func (s *Shaper) Quantum() int {
	if s.bucket == nil {
		return 0
	}
	return int(s.bucket.quantum)
}

// ShapedConn is one client connection's state in the Shaper: its receive
// window and the release schedule of its output.
type ShapedConn struct {
	s   *Shaper
	c   conn // the emulated board's per-connection window and output order
	wnd [segsPerConn]seg
	// held is what was received and not consumed yet: in the server's
	// hands, its window not reopening yet.
	held int
}

// Conn returns the state of a new connection.
func (s *Shaper) Conn() *ShapedConn {
	sc := &ShapedConn{s: s}
	sc.c.wnd = &sc.wnd
	return sc
}

// In asks to pass up to n bytes from the client to the server at now. It
// grants how many may pass (within the receive window and the shared
// link's credit), or none and when to ask again: the radio dozes (power
// save), the window is closed or the link has no credit (at 0: the window
// waits for received bytes to be Consumed). Granted bytes are the
// caller's to pass once Received says they have crossed the channel.
func (c *ShapedConn) In(now int64, n int) (grant int, at int64) {
	if n <= 0 {
		return 0, now
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if at := s.inputHold(now); at > 0 {
		return 0, at
	}
	if s.window > 0 {
		free, at := c.c.rxWindow(now, s.window-c.held)
		if free <= 0 {
			return 0, at
		}
		n = min(n, free)
	}
	g, w := s.bucket.take(now, s.bucket.turn(n))
	if g == 0 {
		return 0, max(w, s.bucket.readyAt(), now+1)
	}
	return g, 0
}

// Received settles a grant of In: n of the granted bytes came from the
// client at now (the rest go back to the link). It returns when they have
// crossed the shared channel (an access of their own, or a place in an
// aggregate: see channel), which is when the server may have them.
func (c *ShapedConn) Received(now int64, grant, n int) (crossed int64) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket.refund(grant - max(n, 0))
	if n <= 0 {
		return now
	}
	if s.window > 0 {
		c.held += n
	}
	// Not before the window let the client send them (as the board: its
	// rxAt is moved to where the closed window reopened).
	return s.ch.book(max(now, c.c.rxAt), n, toBoard, false)
}

// Consumed records that the server took n of the received bytes at now:
// their part of the receive window reopens a round trip later (the client
// learns of it and its next bytes arrive). Until then received bytes hold
// the window.
func (c *ShapedConn) Consumed(now int64, n int) {
	s := c.s
	if s.window <= 0 || n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.held = max(c.held-n, 0)
	c.c.consumed(n, now+s.link.Airtime+s.link.RTT) // the window update crosses the channel and the wire
}

// Produced schedules n bytes the server sent at now and returns when they
// may leave for the client: after they crossed the shared channel, the added round trip and the tail drawn
// for them (the heavy tail and loss once per exchange: not again for bytes
// that join output still in flight), and never before earlier output, as
// TCP delivers in order.
func (c *ShapedConn) Produced(now int64, n int) (release int64) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	more := c.c.lastRelease > now
	rel := s.ch.book(now, n, fromBoard, more) + s.link.RTT + s.tails.draw(more)
	if rel < c.c.lastRelease {
		rel = c.c.lastRelease
	}
	c.c.lastRelease = rel
	return rel
}

// Out asks to send up to n released bytes to the client at now: it grants
// how many may go (the shared link's credit), or none and when to ask
// again (the link has no credit).
// Wrote settles the grant.
func (c *ShapedConn) Out(now int64, n int) (grant int, at int64) {
	if n <= 0 {
		return 0, now
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	g, w := s.bucket.take(now, s.bucket.turn(n))
	if g == 0 {
		return 0, max(w, s.bucket.readyAt(), now+1)
	}
	return g, 0
}

// Wrote settles a grant of Out: n of the granted bytes went to the client
// at now (the rest go back to the link; their channel time was booked
// by Produced); more is kept for callers that know output is queued
// behind them. The station is awake then.
func (c *ShapedConn) Wrote(now int64, grant, n int, more bool) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket.refund(grant - max(n, 0))
	if n > 0 {
		s.tails.traffic(now)
	}
}

// inputHold is when the radio lets input in (power save: the next beacon),
// or 0 if it does now (a relay reads as the input comes: Server.radioHold
// holds per connection, as its core may read later).
func (s *Shaper) inputHold(now int64) int64 { return s.tails.hold(now) }
