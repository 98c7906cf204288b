// Package poll is the board's main loop over a microcontroller's network
// stack: one goroutine polls every connection, moves the bytes that arrived
// into the slots of a firmware.Board and the bytes the slots produced into
// the stack, runs the slots' timers, and closes what is done. It is the
// integration contract of README's "Building the firmware for a real
// board", as code: the Example shows it over a fake stack that behaves like
// a TinyGo one (partial reads and writes, no read on an empty buffer, writes
// capped by the free output space, peer EOF and reset).
//
// Like firmware it is standard library only, TinyGo-friendly and allocates
// only in New.
package poll

import "github.com/wslab/wslab/firmware"

// State is what a connection's peer did.
type State uint8

const (
	// Open: the peer may send more.
	Open State = iota
	// PeerEOF: the peer sent a FIN. It sends nothing more (once Available
	// is 0) but may still read: requests that arrived whole are answered.
	PeerEOF
	// PeerReset: the connection failed (RST, link lost); nothing more can
	// be sent.
	PeerReset
)

// Conn is one accepted TCP connection as a microcontroller's stack exposes
// it (a netdev socket, the seqs/cyw43439 TCP connection, lwIP's raw API
// wrapped in a small struct). Every method returns at once.
type Conn interface {
	// Available returns how many received bytes Read can return now.
	// Read is never called when it is 0: on some stacks a read of an
	// empty buffer blocks or fails.
	Available() int
	// Read reads up to len(p) bytes, at most Available.
	Read(p []byte) (int, error)
	// Free returns how many bytes Write can take now (the free space of
	// the stack's output buffer). Write is never called with more.
	Free() int
	// Write queues up to len(p) bytes and returns how many it took; fewer
	// than len(p) is normal, not an error.
	Write(p []byte) (int, error)
	// State reports the peer's side of the connection.
	State() State
	// Close sends what is queued, then a FIN, and frees the connection.
	Close() error
}

// Aborter is a Conn that can also end with a reset (lwIP's tcp_abort). A
// FailReset board refuses such a connection with Abort rather than Close.
type Aborter interface {
	Abort() error
}

// Loop drives a Board's slots over Conns. It is not safe for concurrent
// use: one goroutine (the board's main loop) calls Accept and Poll.
type Loop struct {
	b      *firmware.Board
	conns  []Conn // by slot index; nil: the slot is free
	eof    []bool // PeerEOF already passed to the slot
	refuse []byte // the 503 a FailReject503 board sends when full
}

// New returns a loop for b, allocating its per-slot tables.
func New(b *firmware.Board) *Loop {
	n := b.Config().Slots
	return &Loop{
		b: b, conns: make([]Conn, n), eof: make([]bool, n),
		refuse: firmware.RefuseResponse(nil),
	}
}

// Accept gives a new connection a slot at time now. When every slot is
// busy it refuses c the board's way (firmware.FailMode): a 503 as far as
// the output space takes it, then Close (FailReject503); Close at once
// (FailAcceptClose); Abort, for a Conn that is an Aborter, or else Close
// (FailReset). It reports whether c got a slot.
func (l *Loop) Accept(c Conn, now int64) bool {
	s := l.b.Accept(now)
	if s == nil {
		l.b.Refused()
		if l.b.FailMode() == firmware.FailReject503 {
			// As much of the 503 as the output space takes now.
			for out := l.refuse; len(out) > 0; {
				k := min(len(out), c.Free())
				if k == 0 {
					break
				}
				n, err := c.Write(out[:k])
				if n <= 0 || err != nil {
					break
				}
				out = out[n:]
			}
		}
		if a, ok := c.(Aborter); ok && l.b.FailMode() == firmware.FailReset {
			_ = a.Abort()
			return false
		}
		_ = c.Close()
		return false
	}
	i := s.Index()
	l.conns[i], l.eof[i] = c, false
	l.service(s, now)
	return true
}

// Poll services every open connection once at time now, then every slot
// another slot gave work (a broadcast, a freed shared buffer). It reports
// whether any byte moved; a board may sleep until its next interrupt or
// a millisecond when none did.
func (l *Loop) Poll(now int64) bool {
	moved := false
	for i, c := range l.conns {
		if c != nil && l.service(l.b.Slot(i), now) {
			moved = true
		}
	}
	for s := l.b.NextWake(); s != nil; s = l.b.NextWake() {
		if l.conns[s.Index()] != nil && l.service(s, now) {
			moved = true
		}
	}
	return moved
}

// InUse returns the number of connections the loop holds.
func (l *Loop) InUse() int {
	n := 0
	for _, c := range l.conns {
		if c != nil {
			n++
		}
	}
	return n
}

// service moves one connection's bytes both ways as far as the stack and
// the slot allow, runs the slot's timer, and closes the connection when the
// slot is done.
func (l *Loop) service(s *firmware.Slot, now int64) bool {
	i := s.Index()
	c := l.conns[i]
	moved := false
	if c.State() == PeerReset {
		s.PeerClosed(now)
	}
	for progress := true; progress && !s.Done(); {
		progress = false
		// In: only what the stack holds, only into the slot's free space.
		if avail := c.Available(); avail > 0 {
			if buf := s.RxSpace(); buf != nil {
				if len(buf) > avail {
					buf = buf[:avail]
				}
				n, err := c.Read(buf)
				if n > 0 {
					s.Received(n, now)
					progress = true
				}
				if err != nil {
					s.PeerClosed(now)
					break
				}
			}
		} else if c.State() == PeerEOF && !l.eof[i] {
			// Everything the peer sent has been read: pass its FIN on.
			l.eof[i] = true
			s.PeerEOF(now)
			progress = true
		}
		// Out: only as much as the stack has room for.
		if out := s.TxPending(); len(out) > 0 {
			if free := c.Free(); free > 0 {
				if len(out) > free {
					out = out[:free]
				}
				n, err := c.Write(out)
				if n > 0 {
					s.Sent(n, now)
					progress = true
				}
				if err != nil {
					s.PeerClosed(now)
					break
				}
			}
		}
		moved = moved || progress
	}
	if d := s.Deadline(); d != 0 && now >= d {
		s.Tick(now)
	}
	if s.Done() {
		_ = c.Close()
		l.conns[i] = nil
		s.Release(now)
		moved = true
	}
	return moved
}
