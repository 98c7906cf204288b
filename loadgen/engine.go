package loadgen

import (
	"sync"
	"sync/atomic"
)

// engine is the state the workers of one run share.
type engine struct {
	s     *Spec
	t     *target
	clk   clock
	col   *collector
	addrs *addrPool

	workers []*worker
	reports chan report

	hostB, pathB []byte // the handshake's Host and request path

	stampLen int  // bytes of a message's stamp (seq, or seq+times for broadcast)
	paced    bool // open loop
	ringLen  int  // in-flight messages a connection can track (power of two)
	rxLen    int
	txLen    int

	open      atomic.Int64 // connections open now
	bcastSent atomic.Int64 // broadcast: messages the sender sent
	bcastDone atomic.Bool  // broadcast: the sender has finished

	mu           sync.Mutex
	firstFail    string // the kind of the failed connection attempt of the lowest number
	firstFailGid int
	openAtFail   int64 // connections opened before it
}

// report is a worker's message to the coordinator.
type report struct {
	w    int
	kind int
}

const (
	repRampDone = iota // every initial connection was attempted
	repDrained         // sending is over and answers are in (or given up)
	repDone            // every connection is closed; the worker exits
)

// noteFail remembers the failed connection attempt of the lowest global
// connection number: the ramp dials in that order, so it is the first
// newcomer the board turned away, whichever failure was seen first (a
// hung handshake and a dropped SYN time out at different moments).
func (e *engine) noteFail(gid int, kind string) {
	e.mu.Lock()
	if e.firstFail == "" || gid < e.firstFailGid {
		e.firstFail, e.firstFailGid = kind, gid
	}
	e.mu.Unlock()
}

// maxRing is the largest in-flight window per connection.
const maxRing = 1024

func ringFor(s *Spec) int {
	n := 4
	want := s.Window
	if s.Rate > 0 {
		want = 256
	}
	for n < 2*want && n < maxRing {
		n *= 2
	}
	return n
}
