//go:build linux

package loadgen

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Background tab: some clients stop reading (a backgrounded tab: their
// receive windows fill) while the others go on. All of them are on the
// board's broadcast endpoint; one healthy client sends Size-byte messages
// at Rate (default 200 msgs/s) for Duration, and every healthy client
// reads them. A quarter of the Conns (at least one) are stuck: they never
// read, and are watched (their TCP state) for the board closing them. The
// answer: are the healthy clients stalled (a gap in their messages over
// half a second, or under 90% delivered), and are the stuck ones closed
// (after how long: their TCP state, or the board's conns.abnormal in
// /stats, as the board's FIN waits behind the unread data) or dropped (the board's msgs.dropped), or neither.

// DefaultTabRate is background-tab's default send rate.
const DefaultTabRate = 200

// tabGap is the gap between two messages at a healthy client that counts
// as a stall.
const tabGap = 500 * time.Millisecond

// tabVerdict is what background-tab found.
type tabVerdict struct {
	healthy, stuck int
	sent           int64
	minGot         int64         // the fewest messages a healthy client got
	maxGap         time.Duration // the longest gap at a healthy client
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
		if v.sendFailed == "timeout" {
			a += " (the sender's writes blocked too)"
		} else if v.sendFailed != "" {
			a += " (the sender's writes failed: " + v.sendFailed + ")"
		}
	} else {
		a = fmt.Sprintf("healthy clients unaffected by %d stuck (every one got at least %d of %d messages, longest gap %s)", v.stuck, v.minGot, v.sent, v.maxGap.Round(time.Millisecond))
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
	size := max(s.Size, 8)
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
	// The healthy readers.
	got := make([]int64, len(healthy))
	gaps := make([]time.Duration, len(healthy))
	var wg sync.WaitGroup
	for i, c := range healthy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := start
			for {
				_, err := c.recv(time.Until(end) + time.Second)
				now := time.Now()
				if err != nil {
					// Nothing more came: the silence up to the run's end
					// is a gap too (a board that stalled for good).
					gaps[i] = max(gaps[i], end.Sub(last))
					return
				}
				got[i]++
				gaps[i] = max(gaps[i], now.Sub(last))
				last = now
			}
		}()
	}
	// The sender (the first healthy client) and the watch on the stuck.
	closedAt := make([]time.Duration, len(stuck))
	every := time.Duration(float64(time.Second) / rate)
	msg := make([]byte, size)
	tick := time.Now()
	// A board that stopped reading its clients fills the sender's window
	// too: its writes block then, bounded by the run's end.
	_ = healthy[0].nc.SetWriteDeadline(end.Add(time.Second))
	for k := int64(0); time.Now().Before(end) && p.ctx.Err() == nil; k++ {
		binary.BigEndian.PutUint64(msg, uint64(k))
		if err := healthy[0].send(msg); err != nil {
			p.fail(errKindOf(err))
			v.sendFailed = errKindOf(err)
			break
		}
		v.sent++
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
	// Let the last messages arrive, then stop the readers.
	p.sleep(200 * time.Millisecond)
	for _, c := range healthy {
		_ = c.nc.SetReadDeadline(time.Now())
	}
	wg.Wait()
	for i, c := range stuck {
		if closedAt[i] == 0 && peerClosed(c.nc) {
			closedAt[i] = sendEnd
		}
		if closedAt[i] > 0 {
			v.closed++
			v.closedAfter = max(v.closedAfter, closedAt[i])
		}
	}
	if len(healthy) > 1 && got[0] > 0 {
		others := int64(0)
		for _, n := range got[1:] {
			others += n
		}
		if others == 0 {
			return "", fmt.Errorf("%s does not broadcast: only the sender got its messages back (background-tab needs an endpoint that sends every message to every client, /ws/broadcast on a wslab board)", s.Target)
		}
	}
	v.minGot = got[0]
	for i := range healthy {
		v.minGot = min(v.minGot, got[i])
		v.maxGap = max(v.maxGap, gaps[i])
		p.r.Counts.MsgsReceived += got[i]
	}
	p.r.Counts.MsgsSent = v.sent
	p.r.Counts.BytesSent = v.sent * int64(size)
	p.r.Counts.ConnsDropped = int64(v.closed)
	if after, ok := p.read(); ok && haveBefore {
		v.dropped = max(after.MsgsDropped-before.MsgsDropped, 0)
	}
	p.note("background-tab: %d healthy, %d stuck; %d sent; healthy got %v; longest gaps %v; stuck closed at %v", len(healthy), len(stuck), v.sent, got, gaps, closedAt)
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
