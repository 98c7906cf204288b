//go:build linux

package loadgen

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/wslab/wslab/core"
)

// Dead peers: clients that vanish without FIN or RST (their WiFi gone).
// They open a WebSocket each, then fall silent: they never write again (no
// pong, no close) and never close their sockets, so the board sees a peer
// that says nothing. (On loopback the kernel still acknowledges segments:
// what the board can notice is the missing pong, or an idle timeout, which
// is what frees a vanished peer's slot on a real board too before TCP's own
// retransmission timeout, minutes later.) Meanwhile a newcomer tries to get
// in every tick, and the dead sockets are watched (read without answering)
// for the board closing them. The answer: how long the slots stayed held,
// whether the board's pings or idle timeout freed them, whether newcomers
// got in (a closed peer's slot may stay held a while longer: the dead
// peer never acknowledges the close with a FIN of its own). The dead peers are as many as the board's slots (from /stats),
// else Conns; the run lasts at most Duration.

// deadPeer is one vanished client as the board still sees it.
type deadPeer struct {
	c      *pconn
	rd     core.Reader
	buf    [256]byte
	pings  int
	freed  time.Duration // when the board closed it (0: still held)
	how    string
	closed bool
}

// watch reads what the board sent without answering; it reports whether
// the board has closed the connection.
func (d *deadPeer) watch(at time.Duration) bool {
	if d.closed {
		return true
	}
	// What the handshake read along is the board's too.
	if pre := d.c.rd.Buffered(); len(pre) > 0 {
		d.feed(pre, at)
		d.c.rd = core.ConnReader{}
	}
	for {
		_ = d.c.nc.SetReadDeadline(time.Now().Add(time.Millisecond))
		n, err := d.c.nc.Read(d.buf[:])
		if n > 0 {
			d.feed(d.buf[:n], at)
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return d.closed
			}
			if !d.closed {
				d.closed, d.freed = true, at
				if d.how == "" {
					d.how = errKindOf(err)
				}
			}
			return true
		}
	}
}

func (d *deadPeer) feed(b []byte, at time.Duration) {
	for len(b) > 0 {
		n, ev, err := d.rd.Feed(b)
		b = b[n:]
		if err != nil {
			return
		}
		switch ev.Kind {
		case core.EventPing:
			d.pings++
		case core.EventClose:
			if d.how == "" {
				d.how = closeError(ev.Code).Error()
			}
		}
		if n == 0 {
			return
		}
	}
}

func runDeadPeers(p *probe) (string, error) {
	s := p.s
	n := p.slots(s.Conns)
	tick := max(s.Duration/50, 100*time.Millisecond)
	p.param("dead_peers", fmt.Sprint(n))
	p.r.Scenario.Conns = n
	peers := make([]*deadPeer, 0, n)
	defer func() {
		for _, d := range peers {
			d.c.abort()
		}
	}()
	for range n {
		c, ok := p.dialCounted(s.DialTimeout)
		if !ok {
			continue
		}
		d := &deadPeer{c: c}
		d.rd = core.Reader{Role: core.Client, Stream: true}
		peers = append(peers, d)
	}
	if len(peers) == 0 {
		return "", fmt.Errorf("no connection opened to %s: %s", s.Target, errorList(p.r.Errors))
	}
	start := time.Now()
	var firstIn time.Duration = -1
	var refusedFirst string
	refusals := 0
	for time.Since(start) < s.Duration && p.ctx.Err() == nil {
		at := time.Since(start)
		held := 0
		for _, d := range peers {
			if !d.watch(at) {
				held++
			}
		}
		if firstIn < 0 {
			p.r.Counts.ConnsAttempted++
			c, _, err := p.dialWS(p.t.path, nil, min(tick*5, s.DialTimeout), 1<<10)
			if err == nil {
				p.r.Counts.ConnsOpened++
				firstIn = time.Since(start)
				c.closeWS()
			} else {
				refusals++
				k := errKindOf(err)
				p.fail(k)
				if refusedFirst == "" {
					refusedFirst = k
				}
			}
		}
		if held == 0 && firstIn >= 0 {
			break
		}
		p.sleep(tick - time.Since(start)%tick)
	}
	end := time.Since(start)
	var freed, pinged int
	var last time.Duration
	how := ""
	for _, d := range peers {
		if d.pings > 0 {
			pinged++
		}
		if d.closed {
			freed++
			last = max(last, d.freed)
			if how == "" {
				how = d.how
			}
		}
	}
	p.r.Counts.ConnsDropped = int64(freed)
	p.note("dead peers: %d of %d freed by the board; %d pinged first; newcomer refusals %d", freed, len(peers), pinged, refusals)
	var a string
	switch {
	case freed == len(peers):
		a = fmt.Sprintf("the board closed all %d dead peers after %.1f s (%s)", len(peers), last.Seconds(), freedBy(pinged, len(peers), how))
	case freed > 0:
		a = fmt.Sprintf("the board closed %d of %d dead peers (the last after %.1f s); %d still held after %.1f s", freed, len(peers), last.Seconds(), len(peers)-freed, end.Seconds())
	default:
		a = fmt.Sprintf("%d dead peers held their slots for the whole %.1f s (no ping/pong or idle timeout freed them)", len(peers), end.Seconds())
	}
	switch {
	case firstIn >= 0 && refusals == 0:
		a += "; newcomers got in at once"
	case firstIn > 0:
		a += fmt.Sprintf("; newcomers got in after %.1f s (%d refused first: %s)", firstIn.Seconds(), refusals, refusedFirst)
	default:
		a += fmt.Sprintf("; no newcomer got in (%d tries: %s)", refusals, refusedFirst)
	}
	return a, nil
}

func freedBy(pinged, n int, how string) string {
	switch how {
	case "eof":
		how = "a FIN, no close frame"
	case "reset":
		how = "a reset"
	}
	if pinged == n {
		return "the board pinged, waited for the pong in vain and closed with " + how
	}
	return "closed with " + how + ", without a ping first (an idle timeout)"
}
