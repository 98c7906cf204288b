//go:build linux

package loadgen

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Background tab: some clients stop reading (a backgrounded tab: their
// receive windows fill) while the others go on. All of them are on the
// board's broadcast endpoint; one healthy client sends Size-byte messages
// at Rate (default 200 msgs/s) for Duration, and every healthy client
// reads them. A quarter of the Conns (at least one) are stuck: they never
// read, and are watched (their TCP state) for the board closing them. The
// answer: are the healthy clients stalled (a message reaching one over
// half a second after it was sent, which each message carries, or one
// silent that long while messages were sent and never got, or under 90%
// delivered once the last messages had time to arrive), and are the stuck
// ones closed (after how long: their TCP state, or the board's
// conns.abnormal in /stats, as the board's FIN waits behind the unread
// data) or dropped (the board's msgs.dropped), or neither. A board that
// dropped more messages than the stuck clients were sent dropped the
// healthy ones' too: the answer says they lost messages beside the stuck
// ones rather than that the stuck ones stalled them. Messages are at
// least 16 bytes (a sequence number and the send time).

// DefaultTabRate is background-tab's default send rate.
const DefaultTabRate = 200

// tabGap is how late a message may reach a healthy client (from its send
// time), or how long one may go without the messages sent meanwhile,
// before it counts as a stall.
const tabGap = 500 * time.Millisecond

// tabVerdict is what background-tab found.
type tabVerdict struct {
	healthy, stuck int
	sent           int64
	minGot         int64         // the fewest messages a healthy client got
	maxGap         time.Duration // the latest message, or longest silence, at a healthy client
	closed         int           // stuck clients the board closed
	closedAfter    time.Duration // when the last of them was closed
	dropped        int64         // the board's msgs.dropped over the run (-1: unknown)
	sendFailed     string        // how the sender's writes failed ("timeout": they blocked), or ""
}

func (v *tabVerdict) stalled() bool {
	return v.maxGap > tabGap || (v.sent > 0 && float64(v.minGot) < 0.9*float64(v.sent))
}

func (v *tabVerdict) answer() string {
	var a string
	if v.stalled() {
		a = fmt.Sprintf("healthy clients stalled by %d stuck: the worst got %d of %d messages, with a gap of %.1f s", v.stuck, v.minGot, v.sent, v.maxGap.Seconds())
		if v.maxGap < 50*time.Millisecond {
			a = fmt.Sprintf("healthy clients stalled by %d stuck: the worst got %d of %d messages", v.stuck, v.minGot, v.sent)
		}
		if theirs := v.sent * int64(v.stuck); v.dropped > theirs {
			// More drops than the stuck clients were sent: the board
			// dropped healthy clients' messages too (a queue too small
			// for how fast they read), which the stuck ones need not
			// have caused.
			a = fmt.Sprintf("healthy clients lost messages beside %d stuck: the worst got %d of %d, and the board dropped %d, more than the %d sent to the stuck clients", v.stuck, v.minGot, v.sent, v.dropped, theirs)
		}
		if v.sendFailed == "timeout" {
			a += " (the sender's writes blocked too)"
		} else if v.sendFailed != "" {
			a += " (the sender's writes failed: " + v.sendFailed + ")"
		}
	} else {
		a = fmt.Sprintf("healthy clients unaffected by %d stuck (every one got at least %d of %d messages, the latest %s after it was sent)", v.stuck, v.minGot, v.sent, v.maxGap.Round(10*time.Microsecond))
	}
	switch {
	case v.closed == v.stuck:
		a += fmt.Sprintf("; the stuck clients were closed after %.1f s", v.closedAfter.Seconds())
	case v.closed > 0:
		a += fmt.Sprintf("; %d of %d stuck clients closed (the last after %.1f s)", v.closed, v.stuck, v.closedAfter.Seconds())
	case v.dropped > 0:
		a += fmt.Sprintf("; the stuck clients were kept open and their messages dropped (%d by the board)", v.dropped)
	case v.dropped == 0:
		a += "; the stuck clients were neither closed nor dropped from"
	default:
		a += "; the stuck clients were not closed"
	}
	return a
}

func runBackgroundTab(p *probe) (string, error) {
	s := p.s
	n := s.Conns
	if p.have && p.stats.SlotsTotal > 1 {
		n = min(n, int(p.stats.SlotsTotal)-1) // a slot for /stats
	}
	if n < 2 {
		return "", fmt.Errorf("background-tab needs at least 2 connections (a healthy and a stuck one), have %d", n)
	}
	stuckN := max(1, n/4)
	rate := s.Rate
	if rate <= 0 {
		rate = DefaultTabRate
	}
	p.r.Scenario.Rate = rate
	size := max(s.Size, 16) // a sequence number and the send time
	p.r.Scenario.Conns, p.r.Scenario.Size = n, size
	var healthy, stuck []*pconn
	defer func() {
		for _, c := range healthy {
			c.closeWS()
		}
		for _, c := range stuck {
			c.abort()
		}
	}()
	for i := range n {
		p.rcvBuf = 0
		if i < stuckN {
			p.rcvBuf = 8 << 10 // a tab's window, filled soon
		}
		p.r.Counts.ConnsAttempted++
		c, _, err := p.dialWS(p.t.path, nil, s.DialTimeout, max(size, 1<<10))
		if err != nil {
			p.fail(errKindOf(err))
			p.r.Counts.ConnsFailed++
			continue
		}
		p.r.Counts.ConnsOpened++
		if i < stuckN {
			stuck = append(stuck, c)
		} else {
			healthy = append(healthy, c)
		}
	}
	if len(healthy) == 0 || len(stuck) == 0 {
		return "", fmt.Errorf("not enough connections opened (%d healthy, %d stuck): %s", len(healthy), len(stuck), errorList(p.r.Errors))
	}
	p.rcvBuf = 0
	before, haveBefore := p.read()
	v := tabVerdict{healthy: len(healthy), stuck: len(stuck), dropped: -1}
	start := time.Now()
	end := start.Add(s.Duration)
	// The healthy readers: how many messages each got, and how late the
	// latest came (from its send time, which it carries: a pause of the
	// sender is no stall of the board).
	got := make([]atomic.Int64, len(healthy))
	gaps := make([]time.Duration, len(healthy))
	lastAt := make([]time.Duration, len(healthy))
	var wg sync.WaitGroup
	for i, c := range healthy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b, err := c.recv(time.Until(end) + 5*time.Second) // stopped by a deadline set below
				if err != nil {
					return
				}
				at := time.Since(start)
				got[i].Add(1)
				lastAt[i] = at
				if len(b) >= 16 {
					gaps[i] = max(gaps[i], at-time.Duration(binary.BigEndian.Uint64(b[8:])))
				}
			}
		}()
	}
	// The sender (the first healthy client) and the watch on the stuck.
	closedAt := make([]time.Duration, len(stuck))
	every := time.Duration(float64(time.Second) / rate)
	msg := make([]byte, size)
	var lastSend time.Duration
	tick := time.Now()
	// A board that stopped reading its clients fills the sender's window
	// too: its writes block then, bounded by the run's end.
	_ = healthy[0].nc.SetWriteDeadline(end.Add(time.Second))
	for k := int64(0); time.Now().Before(end) && p.ctx.Err() == nil; k++ {
		binary.BigEndian.PutUint64(msg, uint64(k))
		sentAt := time.Since(start)
		binary.BigEndian.PutUint64(msg[8:], uint64(sentAt))
		if err := healthy[0].send(msg); err != nil {
			p.fail(errKindOf(err))
			v.sendFailed = errKindOf(err)
			break
		}
		v.sent++
		lastSend = sentAt
		if time.Since(tick) >= 50*time.Millisecond {
			tick = time.Now()
			for i, c := range stuck {
				if closedAt[i] == 0 && peerClosed(c.nc) {
					closedAt[i] = time.Since(start)
				}
			}
			// The board's FIN waits behind the data a stuck client never
			// reads, so its /stats tells first: connections it dropped
			// as unresponsive (conns.abnormal).
			if x, ok := p.lastStats(); ok && haveBefore {
				for k := x.Abnormal - before.Abnormal; k > 0; k-- {
					for i := range closedAt {
						if closedAt[i] == 0 {
							closedAt[i] = time.Since(start)
							break
						}
					}
				}
				before.Abnormal = x.Abnormal
			}
		}
		p.sleep(time.Until(start.Add(time.Duration(k+1) * every)))
	}
	sendEnd := time.Since(start)
	// Let the last messages arrive: until every healthy client has them
	// all, or none got one more for tabGap (at most 3 s), then stop the
	// readers.
	last, lastChange := int64(-1), time.Now()
	for wait := time.Now().Add(3 * time.Second); time.Now().Before(wait) && p.ctx.Err() == nil; {
		total, behind := int64(0), false
		for i := range got {
			n := got[i].Load()
			total += n
			behind = behind || n < v.sent
		}
		if !behind {
			break
		}
		if total != last {
			last, lastChange = total, time.Now()
		} else if time.Since(lastChange) > tabGap {
			break
		}
		p.sleep(10 * time.Millisecond)
	}
	for _, c := range healthy {
		_ = c.nc.SetReadDeadline(time.Now())
	}
	wg.Wait()
	// A client that never got the last messages went silent while they
	// were sent: that silence is a gap too (a board that stalled for good).
	for i := range healthy {
		if got[i].Load() < v.sent && lastSend > lastAt[i] {
			gaps[i] = max(gaps[i], lastSend-lastAt[i])
		}
	}
	for i, c := range stuck {
		if closedAt[i] == 0 && peerClosed(c.nc) {
			closedAt[i] = sendEnd
		}
		if closedAt[i] > 0 {
			v.closed++
			v.closedAfter = max(v.closedAfter, closedAt[i])
		}
	}
	counts := make([]int64, len(got))
	for i := range got {
		counts[i] = got[i].Load()
	}
	if len(healthy) > 1 && counts[0] > 0 {
		others := int64(0)
		for _, n := range counts[1:] {
			others += n
		}
		if others == 0 {
			return "", fmt.Errorf("%s does not broadcast: only the sender got its messages back (background-tab needs an endpoint that sends every message to every client, /ws/broadcast on a wslab board)", s.Target)
		}
	}
	v.minGot = counts[0]
	for i := range healthy {
		v.minGot = min(v.minGot, counts[i])
		v.maxGap = max(v.maxGap, gaps[i])
		p.r.Counts.MsgsReceived += counts[i]
	}
	p.r.Counts.MsgsSent = v.sent
	p.r.Counts.BytesSent = v.sent * int64(size)
	p.r.Counts.ConnsDropped = int64(v.closed)
	if after, ok := p.read(); ok && haveBefore {
		v.dropped = max(after.MsgsDropped-before.MsgsDropped, 0)
	}
	p.note("background-tab: %d healthy, %d stuck; %d sent; healthy got %v; the latest message or longest silence per client %v; stuck closed at %v", len(healthy), len(stuck), v.sent, counts, gaps, closedAt)
	return v.answer(), nil
}

// peerClosed reports whether the board closed (FIN) or reset c, unread
// data notwithstanding: the socket's TCP state.
func peerClosed(nc net.Conn) bool {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return true
	}
	closed := true // a socket closed here has no fd to look at
	_ = raw.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			closed = true // no socket left
			return
		}
		// Anything but ESTABLISHED: CLOSE_WAIT (the board's FIN), CLOSE (a reset).
		closed = info.State != 1
	})
	return closed
}
