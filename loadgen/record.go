package loadgen

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/results"
)

// clock gives nanosecond timestamps on CLOCK_MONOTONIC (Go's monotonic
// clock on Linux), so timestamps from several generator processes on one
// host compare (broadcast shards).
type clock struct {
	base  time.Time
	mono0 int64
}

func newClock() clock {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return clock{base: time.Now(), mono0: ts.Nano()}
}

func (c *clock) now() int64 { return c.mono0 + int64(time.Since(c.base)) }

// wall converts a clock reading to wall time.
func (c *clock) wall(t int64) time.Time { return c.base.Add(time.Duration(t - c.mono0)) }

// Histogram kinds a lane records.
const (
	hLatency = iota
	hService
	hLateness
	hHandshake
	hTCP     // wss: the TCP connect
	hTLS     // wss: the TLS handshake
	hUpgrade // wss: the WebSocket upgrade (request to 101)
	hGap     // stream: the gap between two messages' arrivals on a connection
	nHist
)

var histNames = [nHist]string{results.HistLatency, results.HistService, HistLateness, results.HistHandshake,
	HistConnectTCP, HistConnectTLS, HistConnectUpgrade, results.HistArrivalGap}

// lane is what one recorder (a worker, or a group of HTTP goroutines)
// gathered in one interval. Its owner records into it without a lock and
// hands it to the collector at the interval's end.
type lane struct {
	id, idx              int // recorder, interval
	msgsSent, msgsRecv   int64
	bytesSent, bytesRecv int64
	errors               int64
	hists                [nHist]*results.Histogram
	last                 bool // the recorder's final report
}

// record adds a value in nanoseconds to histogram k, in microseconds
// (rounded up, so a sub-microsecond value is 1 µs, the histogram's floor).
func (l *lane) record(k int, ns int64) {
	h := l.hists[k]
	if h == nil {
		return
	}
	us := (ns + 999) / 1000
	if us < 1 {
		us = 1
	}
	if us > results.HistogramHighest {
		us = results.HistogramHighest
	}
	_ = h.RecordValue(us)
}

func (l *lane) reset() {
	l.msgsSent, l.msgsRecv, l.bytesSent, l.bytesRecv, l.errors = 0, 0, 0, 0, 0
	l.last = false
	for _, h := range l.hists {
		if h != nil {
			h.Reset()
		}
	}
}

// interval is the collector's sum of all lanes for one interval.
type interval struct {
	lane
}

// collector merges the lanes' interval reports. Interval k covers
// [start+k*every, start+(k+1)*every).
type collector struct {
	start, every int64
	lanes        int
	used         [nHist]bool // kinds the lanes record
	ivUsed       [nHist]bool // kinds kept per interval (each costs ~190 KB)
	total        [nHist]*results.Histogram

	in   chan *lane
	free chan *lane
	done chan struct{}

	mu    sync.Mutex
	ivs   []*interval
	lastK []int // per lane, the last interval reported
	final int   // lanes that sent their last report
	// onInterval is called (from the collector goroutine) when every lane
	// has reported interval k.
	onInterval func(k int, iv *interval)
	complete   int // intervals 0..complete-1 are complete
	maxIdx     int // the highest interval reported
}

// newCollector preallocates n intervals' histograms and 3 lanes' worth per
// recorder, so recording in a run of up to n intervals allocates nothing.
func newCollector(start, every int64, lanes, n int, used [nHist]bool) *collector {
	// Per interval: latency and service, or the handshake when those are
	// not recorded; the other kinds over the whole run only.
	ivUsed := [nHist]bool{hLatency: used[hLatency], hService: used[hService]}
	if !used[hLatency] {
		ivUsed[hHandshake] = used[hHandshake]
	}
	c := &collector{start: start, every: every, lanes: lanes, used: used, ivUsed: ivUsed,
		in: make(chan *lane, 4*lanes), free: make(chan *lane, 4*lanes), done: make(chan struct{})}
	c.lastK = make([]int, lanes)
	for i := range c.lastK {
		c.lastK[i] = -1
	}
	for k, u := range used {
		if u {
			c.total[k] = results.NewHistogram()
		}
	}
	for range n {
		c.ivs = append(c.ivs, &interval{lane: c.newIvLane()})
	}
	for range 2 * lanes {
		c.free <- c.newLaneP()
	}
	go c.loop()
	return c
}

func (c *collector) newLane() lane {
	var l lane
	for k, u := range c.used {
		if u {
			l.hists[k] = results.NewHistogram()
		}
	}
	return l
}

func (c *collector) newIvLane() lane {
	var l lane
	for k, u := range c.ivUsed {
		if u {
			l.hists[k] = results.NewHistogram()
		}
	}
	return l
}

func (c *collector) newLaneP() *lane { l := c.newLane(); return &l }

// lane returns a fresh lane for recorder id, starting at interval idx.
func (c *collector) lane(id, idx int) *lane {
	l := c.spare()
	l.id, l.idx = id, idx
	return l
}

func (c *collector) spare() *lane {
	select {
	case l := <-c.free:
		return l
	default:
		return c.newLaneP() // the collector fell behind
	}
}

// index is the interval holding time t.
func (c *collector) index(t int64) int {
	if t < c.start {
		return 0
	}
	return int((t - c.start) / c.every)
}

// boundary is the start of interval k+1.
func (c *collector) boundary(k int) int64 { return c.start + int64(k+1)*c.every }

// rotate hands l to the collector and returns a lane for interval idx.
func (c *collector) rotate(l *lane, idx int) *lane {
	id := l.id
	c.in <- l
	return c.lane(id, idx)
}

// finish hands a recorder's last lane to the collector.
func (c *collector) finish(l *lane) {
	l.last = true
	c.in <- l
}

func (c *collector) loop() {
	defer close(c.done)
	for l := range c.in {
		c.mu.Lock()
		for len(c.ivs) <= l.idx {
			c.ivs = append(c.ivs, &interval{lane: c.newIvLane()})
		}
		iv := c.ivs[l.idx]
		iv.msgsSent += l.msgsSent
		iv.msgsRecv += l.msgsRecv
		iv.bytesSent += l.bytesSent
		iv.bytesRecv += l.bytesRecv
		iv.errors += l.errors
		for k, h := range l.hists {
			if h != nil && h.TotalCount() > 0 {
				c.total[k].Merge(h.Histogram)
				if iv.hists[k] != nil {
					iv.hists[k].Merge(h.Histogram)
				}
			}
		}
		c.maxIdx = max(c.maxIdx, l.idx)
		if l.idx > c.lastK[l.id] {
			c.lastK[l.id] = l.idx
		}
		if l.last {
			c.final++
			c.lastK[l.id] = 1 << 30
		}
		done := c.final == c.lanes
		// Intervals every lane has moved past are complete.
		lo := 1 << 30
		for _, k := range c.lastK {
			lo = min(lo, k)
		}
		var ready []int
		for c.complete <= c.maxIdx && (c.complete < lo || done) {
			ready = append(ready, c.complete)
			c.complete++
		}
		c.mu.Unlock()
		l.reset()
		select {
		case c.free <- l:
		default:
		}
		if c.onInterval != nil {
			for _, k := range ready {
				c.onInterval(k, c.ivs[k])
			}
		}
		if done {
			return
		}
	}
}

// wait blocks until every lane sent its last report and returns the
// intervals that hold data.
func (c *collector) wait() []*interval {
	<-c.done
	return c.ivs[:c.maxIdx+1]
}
