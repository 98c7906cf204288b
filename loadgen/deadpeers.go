//go:build linux

package loadgen

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/core"
)

// Dead peers: clients that vanish without FIN or RST (their WiFi gone).
// They open a WebSocket each, then vanish (Vanish):
//
//   - drop (the default): a classic BPF socket filter (SO_ATTACH_FILTER,
//     "ret 0") on each client's socket drops every packet the board sends
//     it, and the client writes nothing more: its kernel sends no ACK and
//     no RST, as for a peer out of radio range. The board's TCP
//     retransmits, what it sends piles up in its send buffer, and only its
//     own ping/pong or idle timeout (or, minutes later, TCP's retransmission
//     timeout) gives the slot back. The board's side of each connection is
//     watched in the machine's socket table (a board on this machine: its
//     state leaves ESTABLISHED when the board gives up on the peer), its
//     slots in /stats. One slot, when the board has two or more, goes to a
//     live client that echoes a message every tick: what the others get
//     while the dead hold theirs.
//   - silent: the clients never write again (no pong, no close) and never
//     close their sockets, but their kernel still acknowledges segments; the
//     dead sockets are read without answering, so the board's pings and its
//     close are seen.
//
// Meanwhile a newcomer tries to get in every tick. The answer: how long the
// slots stayed held, whether the board's pings or idle timeout freed them,
// whether newcomers got in (a closed peer's slot may stay held a while
// longer: the dead peer never acknowledges the close with a FIN of its
// own), and in drop mode how the live client fared. The dead peers are as
// many as the board's slots (from /stats; less the live client's), else
// Conns; the run lasts at most Duration. At the end the dead sockets are
// reset (SO_LINGER 0), so no half-closed socket outlives the run.

// Vanish modes of dead-peers.
const (
	VanishDrop   = "drop"
	VanishSilent = "silent"
)

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
	switch s.Vanish {
	case "", VanishDrop:
		return runDroppedPeers(p)
	case VanishSilent:
	default:
		return "", fmt.Errorf("vanish %q: want drop or silent", s.Vanish)
	}
	p.param("vanish", VanishSilent)
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
	nc := newcomers{in: -1}
	for time.Since(start) < s.Duration && p.ctx.Err() == nil {
		at := time.Since(start)
		held := 0
		for _, d := range peers {
			if !d.watch(at) {
				held++
			}
		}
		nc.try(p, start, min(tick*5, s.DialTimeout))
		if held == 0 && nc.in >= 0 {
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
	p.note("dead peers: %d of %d freed by the board; %d pinged first; newcomer refusals %d", freed, len(peers), pinged, nc.refusals)
	var a string
	switch {
	case freed == len(peers):
		a = fmt.Sprintf("the board closed all %d dead peers after %.1f s (%s)", len(peers), last.Seconds(), freedBy(pinged, len(peers), how))
	case freed > 0:
		a = fmt.Sprintf("the board closed %d of %d dead peers (the last after %.1f s); %d still held after %.1f s", freed, len(peers), last.Seconds(), len(peers)-freed, end.Seconds())
	default:
		a = fmt.Sprintf("%d dead peers held their slots for the whole %.1f s (no ping/pong or idle timeout freed them)", len(peers), end.Seconds())
	}
	a += nc.answer()
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

// dropAll is the classic BPF program that drops every packet: attached to
// a client's socket, the kernel discards what the board sends it before
// TCP sees it, so nothing is acknowledged and nothing reset.
var dropAll = [1]unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}

// vanish makes nc's peer vanish: every packet to it dropped.
func vanish(nc net.Conn) error {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return fmt.Errorf("not a TCP connection")
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		prog := unix.SockFprog{Len: uint16(len(dropAll)), Filter: &dropAll[0]}
		serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
	})
	if err == nil {
		err = serr
	}
	return err
}

// resetConn closes nc with a reset (SO_LINGER 0): a vanished peer's socket
// goes at once instead of retransmitting its FIN into its own filter.
func resetConn(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	nc.Close()
}

// tcpStates names the states of /proc/net/tcp.
var tcpStates = map[string]string{"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
	"06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}

// boardSide is the board's side of a connection in this machine's socket
// table: its TCP state and the bytes in its send queue (sent and not
// acknowledged, or not sent yet).
type boardSide struct {
	state string
	txq   int64
}

// boardSides returns the board's side of each connection from board port
// to a client port in ports, as this machine's socket table has it (a
// board on this machine); a port not there is left out.
func boardSides(boardPort int, ports map[int]bool) map[int]boardSide {
	out := map[int]boardSide{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 5 {
				continue
			}
			lp, ok1 := hexPort(fs[1])
			rp, ok2 := hexPort(fs[2])
			if ok1 && ok2 && lp == boardPort && ports[rp] {
				tx, _, _ := strings.Cut(fs[4], ":")
				q, _ := strconv.ParseInt(tx, 16, 64)
				out[rp] = boardSide{state: tcpStates[fs[3]], txq: q}
			}
		}
	}
	return out
}

func hexPort(addr string) (int, bool) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(addr[i+1:], 16, 16)
	return int(v), err == nil
}

// droppedPeer is one client vanished by the filter.
type droppedPeer struct {
	c      *pconn
	port   int           // its local port
	gone   time.Duration // when it vanished (from the run's start)
	seen   bool          // the board's side was found in the socket table
	closed time.Duration // when the board's side left ESTABLISHED (0: not yet)
	how    string        // the state it left for ("gone": it went at once)
	txq    int64         // the most the board's side held in its send queue
}

func runDroppedPeers(p *probe) (string, error) {
	s := p.s
	p.param("vanish", VanishDrop)
	n := p.slots(s.Conns)
	tick := max(s.Duration/50, 100*time.Millisecond)
	nDead := n
	if n >= 2 {
		nDead = n - 1 // a slot for the live client
	}
	var peers []*droppedPeer
	var live *pconn
	defer func() {
		for _, d := range peers {
			resetConn(d.c.nc)
		}
		if live != nil {
			live.closeWS()
		}
	}()
	start := time.Now()
	for range nDead {
		c, ok := p.dialCounted(s.DialTimeout)
		if !ok {
			continue
		}
		if err := vanish(c.nc); err != nil {
			c.abort()
			return "", fmt.Errorf("cannot drop a client's packets (SO_ATTACH_FILTER: %v): run with --vanish silent", err)
		}
		d := &droppedPeer{c: c, gone: time.Since(start)}
		if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
			d.port = a.Port
		}
		peers = append(peers, d)
	}
	if len(peers) == 0 {
		return "", fmt.Errorf("no connection opened to %s: %s", s.Target, errorList(p.r.Errors))
	}
	p.param("dead_peers", fmt.Sprint(len(peers)))
	p.r.Scenario.Conns = len(peers)
	if n >= 2 {
		if c, ok := p.dialCounted(s.DialTimeout); ok {
			live = c
			p.r.Scenario.Conns++
		}
	}
	ports := map[int]bool{}
	for _, d := range peers {
		ports[d.port] = true
	}
	var echoes, echoFails int // the live client's, read once it is done
	var echoMax time.Duration
	echoFirst := ""
	// The live client echoes every tick on its own, so a newcomer's dial
	// hanging in the board's backlog does not leave it idle (and pinged
	// without an answer).
	liveDone := make(chan struct{})
	stopLive := make(chan struct{})
	go func() {
		defer close(liveDone)
		if live == nil {
			return
		}
		msg := make([]byte, 16)
		for {
			t0 := time.Now()
			err := live.send(msg)
			if err == nil {
				_, err = live.recv(max(tick, time.Second)) // answering the board's pings
			}
			if err != nil {
				echoFails++
				echoFirst = errKindOf(err)
				p.fail(echoFirst)
				return
			}
			echoes++
			echoMax = max(echoMax, time.Since(t0))
			select {
			case <-stopLive:
				return
			case <-time.After(tick):
			}
		}
	}()
	inUse0, haveSlots := p.read()
	var slotsFreed time.Duration = -1 // when /stats first showed fewer slots in use
	nc := newcomers{in: -1}
	for time.Since(start) < s.Duration && p.ctx.Err() == nil {
		at := time.Since(start)
		sides := boardSides(p.t.port, ports)
		held := 0
		for _, d := range peers {
			sd, ok := sides[d.port]
			d.txq = max(d.txq, sd.txq)
			switch {
			case ok && sd.state == "ESTABLISHED":
				d.seen = true
			case d.closed > 0:
			case ok:
				d.seen, d.closed, d.how = true, at, sd.state
			case d.seen:
				d.closed, d.how = at, "gone"
			}
			if d.closed == 0 {
				held++
			}
		}
		if x, ok := p.read(); ok && haveSlots && slotsFreed < 0 && x.SlotsInUse < inUse0.SlotsInUse {
			slotsFreed = at
		}
		nc.try(p, start, min(tick*5, s.DialTimeout))
		if nc.in >= 0 && (held == 0 || !peers[0].seen) {
			break // every slot given back (or nothing more to watch)
		}
		p.sleep(tick - time.Since(start)%tick)
	}
	end := time.Since(start)
	close(stopLive)
	<-liveDone
	p.r.Counts.MsgsSent, p.r.Counts.MsgsReceived = int64(echoes+echoFails), int64(echoes)
	var closed, seen int
	heldMin, heldMax := time.Duration(-1), time.Duration(0) // from vanishing to the board's close
	var txq int64
	how := ""
	for _, d := range peers {
		if d.seen {
			seen++
		}
		txq = max(txq, d.txq)
		if d.closed > 0 {
			closed++
			h := d.closed - d.gone
			if heldMin < 0 || h < heldMin {
				heldMin = h
			}
			heldMax = max(heldMax, h)
			if how == "" {
				how = d.how
			}
		}
	}
	p.r.Counts.ConnsDropped = int64(closed)
	p.param("board_txq_max", fmt.Sprint(txq))
	if heldMin >= 0 {
		p.param("held_min", heldMin.String())
		p.param("held_max", heldMax.String())
	}
	gaveUp := "none closed by the board"
	if closed > 0 {
		gaveUp = fmt.Sprintf("%d closed by the board (held %s to %s after vanishing, then %s)", closed, heldMin.Round(time.Millisecond), heldMax.Round(time.Millisecond), how)
	}
	p.note("dead peers (packets dropped): %d of %d seen in the socket table, %s; at most %d B unacknowledged in the board's send queue to one; newcomer refusals %d; live echoes %d ok, %d failed",
		seen, len(peers), gaveUp, txq, nc.refusals, echoes, echoFails)
	closing := "its close and FIN wait unacknowledged in " + how
	if how == "gone" {
		closing = "its socket gone at once"
	}
	var a string
	switch {
	case seen == 0:
		a = fmt.Sprintf("%d vanished peers (no ACK, no RST)", len(peers))
		if nc.in >= 0 {
			a += fmt.Sprintf(": a slot was free again after %.1f s", nc.in.Seconds())
		} else {
			a += fmt.Sprintf(" held the board's slots for the whole %.1f s", end.Seconds())
		}
	case closed == len(peers):
		a = fmt.Sprintf("the board gave up on all %d vanished peers (no ACK, no RST) %.1f s after they vanished (its ping/idle timeout; %s)", len(peers), heldMax.Seconds(), closing)
	case closed > 0:
		a = fmt.Sprintf("the board gave up on %d of %d vanished peers (no ACK, no RST; the last %.1f s after it vanished); %d still held after %.1f s", closed, len(peers), heldMax.Seconds(), len(peers)-closed, end.Seconds())
	case nc.in >= 0:
		// Not one closed, yet a newcomer got in: the board made room some
		// other way (evicting one, or more slots than it said).
		a = fmt.Sprintf("%d vanished peers (no ACK, no RST) stayed open on the board for the whole %.1f s (no ping/pong or idle timeout closed them)", len(peers), end.Seconds())
	default:
		a = fmt.Sprintf("%d vanished peers (no ACK, no RST) held their slots for the whole %.1f s (no ping/pong or idle timeout freed them)", len(peers), end.Seconds())
	}
	if slotsFreed >= 0 {
		a += fmt.Sprintf("; its /stats showed a slot free after %.1f s", slotsFreed.Seconds())
	}
	a += nc.answer()
	switch {
	case n < 2:
	case echoes+echoFails == 0:
		a += "; no live client beside them"
	case echoFails == 0:
		a += fmt.Sprintf("; a live client's echoes went on (%d, the slowest %s)", echoes, echoMax.Round(10*time.Microsecond))
	default:
		a += fmt.Sprintf("; a live client's echo failed after %d (%s)", echoes, echoFirst)
	}
	return a, nil
}

// newcomers is what a newcomer got while dead peers held their slots: it
// tries once a tick until one gets in.
type newcomers struct {
	in       time.Duration // when one got in (from start), or -1
	refusals int
	first    string // the kind of the first refusal
}

// try dials a newcomer unless one got in already.
func (nc *newcomers) try(p *probe, start time.Time, timeout time.Duration) {
	if nc.in >= 0 {
		return
	}
	p.r.Counts.ConnsAttempted++
	c, _, err := p.dialWS(p.t.path, nil, timeout, 1<<10)
	if err == nil {
		p.r.Counts.ConnsOpened++
		nc.in = time.Since(start)
		c.closeWS()
		return
	}
	nc.refusals++
	k := errKindOf(err)
	p.fail(k)
	if nc.first == "" {
		nc.first = k
	}
}

// answer is the newcomers' part of the scenario's answer.
func (nc *newcomers) answer() string {
	switch {
	case nc.in >= 0 && nc.refusals == 0:
		return "; newcomers got in at once"
	case nc.in > 0:
		return fmt.Sprintf("; newcomers got in after %.1f s (%d refused first: %s)", nc.in.Seconds(), nc.refusals, nc.first)
	default:
		return fmt.Sprintf("; no newcomer got in (%d tries: %s)", nc.refusals, nc.first)
	}
}
