//go:build linux

package loadgen

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/results"
)

// Run executes one scenario against spec.Target and returns its record.
// It returns within spec.Timeout (or when ctx ends), with every socket
// closed and every goroutine it started finished, so it can be called many
// times in one process. When the run happened but nothing worked (no
// connection opened) it returns the record and an error saying why.
func Run(ctx context.Context, spec Spec) (*results.Run, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	t, err := resolveTarget(ctx, &s)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	clk := newClock()
	board := results.Board{Model: "real"}
	if s.Board != nil {
		board = *s.Board
	}
	var notes []string
	var sc *statsClient
	if u := statsURL(&s, t); u != "" {
		c, err := newStatsClient(u)
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		doc, err := c.get()
		if err == nil {
			var b results.Board
			if b, err = identity(doc); err == nil {
				board, sc = b, c
			}
		}
		if err != nil {
			c.close()
			notes = append(notes, fmt.Sprintf("no board stats from %s (%v): no board identity or heap series", u, err))
		}
	}
	if sc != nil {
		defer sc.close()
	}
	var r *results.Run
	if s.Scenario == HTTP {
		r, err = runHTTP(ctx, &s, t, &clk, sc, board, notes)
	} else {
		r, err = runWS(ctx, &s, t, &clk, sc, board, notes)
	}
	addBoardEvents(sc, r) // crashes a foreign board's /stats reports (boardevents.go)
	return r, err
}

func runWS(ctx context.Context, s *Spec, t *target, clk *clock, sc *statsClient, board results.Board, notes []string) (*results.Run, error) {
	own := s.part(s.Conns)
	if own == 0 {
		return nil, fmt.Errorf("loadgen: shard %s of %d connections has none", s.Shard, s.Conns)
	}
	nw := s.Workers
	if nw <= 0 {
		nw = runtime.GOMAXPROCS(0)
		if t.loopback && nw > 1 {
			// The board is on this machine too, and a board serves its
			// connections from one event loop: leave it a core.
			nw--
		}
	}
	nw = max(1, min(nw, own))
	addrs, err := newAddrPool(s, t)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	e := &engine{s: s, t: t, clk: *clk, addrs: addrs, reports: make(chan report, 4*nw),
		hostB: []byte(t.hostport), pathB: []byte(t.path)}
	echoLike := s.Scenario == Echo || s.Scenario == Rate || s.Scenario == Soak || s.Scenario == Churn
	e.paced = s.Rate > 0 && (s.Scenario == Rate || s.Scenario == Soak || s.Scenario == Sink || s.Scenario == Broadcast)
	fl := fieldLen(s.Text)
	switch {
	case s.Scenario == Broadcast:
		e.stampLen = 3 * fl
	case echoLike && s.Size >= fl:
		e.stampLen = fl
	}
	if echoLike || e.paced || s.Scenario == Broadcast {
		e.ringLen = ringFor(s)
	}
	frame := core.FrameSize(s.Size, true)
	switch s.Scenario {
	case Stream:
		e.rxLen = 16 << 10
		if own <= 64 {
			e.rxLen = 64 << 10
		}
	case Connect, Churn, Sink:
		e.rxLen = 2 << 10
	default:
		e.rxLen = min(max(frame, 4<<10), 64<<10)
	}
	e.txLen = min(max(frame, 512), 64<<10)
	if s.Scenario == Sink {
		e.txLen = max(e.txLen, 16<<10)
	}
	e.txLen = max(e.txLen, 256+len(e.hostB)+len(e.pathB))

	var used [nHist]bool
	used[hHandshake] = true
	if echoLike || s.Scenario == Broadcast {
		used[hLatency], used[hService] = true, true
	}
	used[hLateness] = e.paced
	// Intervals for the whole run, allocated now (see the package doc).
	plan := s.Duration + s.Hold + s.DrainTimeout + 2*time.Second
	if s.ConnRate > 0 {
		plan += time.Duration(float64(own) / s.ConnRate * float64(time.Second))
	}
	if s.Scenario == Churn {
		plan += s.Settle + 2*time.Second
	}
	nIv := min(int(plan/s.Interval)+2, MaxIntervals+8)
	if s.Scenario == Churn || s.Scenario == Soak {
		runtime.GC() // earlier garbage is not collected in the middle of the run
	}
	t0 := clk.now()
	e.col = newCollector(t0, int64(s.Interval), nw, nIv, used)

	var smp *sampler
	if sc != nil && s.HeapEvery > 0 {
		expect := int(plan/s.HeapEvery) + 8
		smp = newSampler(sc, clk, s.HeapEvery, expect)
	}
	// Every shard samples the board; results.Merge keeps one series.
	prog := &progress{w: s.Progress, total: s.Duration}
	if s.Progress != nil {
		e.col.onInterval = func(k int, iv *interval) {
			var heap int64
			var have bool
			if smp != nil {
				if x, ok := smp.last(); ok {
					heap, have = x.heapInuse, true
				}
			}
			prog.line(time.Duration(int64(k+1)*e.col.every), e.open.Load(), iv, s.Interval, heap, have)
		}
	}

	var gids [][]int = make([][]int, nw)
	first := s.firstConn()
	for i := range own {
		gids[i%nw] = append(gids[i%nw], first+i)
	}
	for i := range nw {
		w, err := newWorker(e, i, gids[i])
		if err != nil {
			for _, w := range e.workers {
				w.closeFDs()
				w.closeWake()
			}
			e.col.finishAll(nw)
			return nil, fmt.Errorf("loadgen: event loop: %w", err)
		}
		e.workers = append(e.workers, w)
	}
	sampling := smp != nil && s.Scenario != Churn && s.Scenario != Soak
	if sampling {
		smp.take()
		go smp.run()
	}
	for _, w := range e.workers {
		go w.run()
	}

	co := coordinator{e: e, ctx: ctx, n: nw}
	var measureStart, measureEnd int64
	var afterCycles, settled sample
	var gotAfter, gotSettled bool
	if co.waitAll(repRampDone) {
		if smp != nil && (s.Scenario == Churn || s.Scenario == Soak) {
			smp.take() // the baseline
			go smp.run()
			sampling = true
		}
		measureStart = clk.now() + int64(2*time.Millisecond)
		if s.Duration > 0 || s.Scenario == Connect {
			d := s.Duration
			if s.Scenario == Connect {
				d = s.Hold
			}
			measureEnd = measureStart + int64(d)
		}
		for _, w := range e.workers {
			w.do(func() { w.measure(measureStart, measureEnd) })
		}
		if co.waitAll(repDrained) {
			if smp != nil && (s.Scenario == Churn || s.Scenario == Soak) {
				smp.halt()
				sampling = false
				afterCycles, gotAfter = smp.take()
			}
		}
	}
	for _, w := range e.workers {
		w.do(func() { w.closeAll(clk.now()) })
	}
	co.waitDone()
	for _, w := range e.workers {
		w.closeWake()
	}
	ivs := e.col.wait()
	end := clk.now()
	if sampling {
		smp.halt()
	}
	if smp != nil && s.Scenario == Churn && gotAfter && ctx.Err() == nil {
		select {
		case <-time.After(s.Settle):
		case <-ctx.Done():
		}
		settled, gotSettled = smp.take()
		end = clk.now()
	} else if smp != nil && s.Scenario != Soak {
		smp.take() // after the close
	}

	// The record.
	sc2 := results.Scenario{Name: s.Scenario, Conns: s.Conns, Size: s.Size, Duration: results.Duration(s.Duration),
		Path: pathOnly(t.path), Shard: s.Shard, Params: params(s)}
	if e.paced || s.Scenario == Stream {
		sc2.Rate = s.totalRate()
	}
	r := results.New(clk.wall(t0), sc2, board, s.Target)
	r.End = clk.wall(end)
	r.Notes = notes
	var errs errCounts
	var c results.Counts
	var sendEnd, firstOpen, lastDone, lastOpen int64
	for _, w := range e.workers {
		errs.merge(&w.errs)
		c.ConnsAttempted += w.attempts
		c.ConnsOpened += w.opened
		c.ConnsRefused += w.refused
		c.ConnsFailed += w.failed
		c.ConnsDropped += w.dropped
		c.MsgsSent += w.sent
		c.MsgsReceived += w.recv
		c.BytesSent += w.bsent
		c.BytesReceived += w.brecv
		sendEnd = max(sendEnd, w.sendEnd)
		if w.firstOpen > 0 && (firstOpen == 0 || w.firstOpen < firstOpen) {
			firstOpen = w.firstOpen
		}
		lastDone = max(lastDone, w.lastDone)
		lastOpen = max(lastOpen, w.lastOpen)
	}
	r.Counts = c
	errs.into(r.Errors)
	fillSeries(r, ivs, e.col, t0, end)
	if smp != nil {
		r.Heap = smp.heap(t0)
		if smp.fails > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%d board stats readings failed, the last with: %v", smp.fails, smp.err))
		}
	}
	// Rates over the measurement window.
	winStart, winEnd := measureStart, sendEnd
	if s.Scenario == Stream {
		winStart, winEnd = firstOpen, lastDone
		if measureEnd > 0 && (lastDone == 0 || lastDone > measureEnd) {
			winEnd = max(sendEnd, lastDone)
		}
	}
	if s.Scenario == Sink && lastDone > 0 {
		// Until the board confirmed it read the last byte (its close).
		winEnd = max(winEnd, lastDone)
	}
	if winEnd > winStart && winStart > 0 {
		secs := float64(winEnd-winStart) / 1e9
		n := c.MsgsReceived
		if s.Scenario == Sink {
			n = c.MsgsSent
		}
		r.Rates = results.Rates{MsgsPerSec: float64(n) / secs, BytesPerSec: float64(c.BytesSent+c.BytesReceived) / secs}
	}
	switch s.Scenario {
	case Connect:
		r.Notes = append(r.Notes, connectNote(e, c, r.Errors))
		if lastOpen > t0 {
			// RampNote's format; cmd/comparek6 reads it.
			r.Notes = append(r.Notes, fmt.Sprintf(RampNote, c.ConnsOpened, time.Duration(lastOpen-t0)))
		}
	case Churn:
		if gotAfter && gotSettled && len(r.Heap) > 0 {
			base := r.Heap[0].HeapInUse
			r.Notes = append(r.Notes, fmt.Sprintf("board heap: baseline %d B, after %d cycles %d B (%+d), after a %s settle %d B (%+d)",
				base, c.ConnsAttempted, afterCycles.heapInuse, afterCycles.heapInuse-base, s.Settle, settled.heapInuse, settled.heapInuse-base))
		}
	}
	if s.Scenario == Churn || s.Scenario == Soak {
		if l := CheckLeak(r, s.LeakThreshold, s.LeakFloor); l.Checked {
			r.Notes = append(r.Notes, l.String())
		}
	}
	if n := addrs.count(); n > 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("client sockets used %d source addresses", n))
	}
	if s.Progress != nil {
		prog.end()
	}
	if ctx.Err() != nil {
		r.Notes = append(r.Notes, "stopped early: "+ctx.Err().Error())
	}
	if c.ConnsOpened == 0 && s.Scenario != Connect {
		return r, fmt.Errorf("loadgen: no connection to %s opened: %s", s.Target, errorList(r.Errors))
	}
	if ctx.Err() != nil {
		return r, fmt.Errorf("loadgen: run stopped before its end: %w", ctx.Err())
	}
	return r, nil
}

// RampNote is the note a connect run carries: the connections opened and
// the time from the first dial to the last 101.
const RampNote = "ramp: %d connections opened in %v"

// coordinator waits for the workers' reports.
type coordinator struct {
	e       *engine
	ctx     context.Context
	n       int
	got     [3]int
	done    int
	stopped bool
}

// waitAll waits until every worker sent kind (or finished); false when the
// run was stopped.
func (co *coordinator) waitAll(kind int) bool {
	for co.got[kind] < co.n && co.done < co.n {
		if !co.next() {
			return false
		}
	}
	return !co.stopped
}

func (co *coordinator) next() bool {
	select {
	case r := <-co.e.reports:
		co.got[r.kind]++
		if r.kind == repDone {
			co.done++
		}
		return true
	case <-co.ctx.Done():
		co.stop()
		return false
	}
}

// stop makes every worker close its sockets at once.
func (co *coordinator) stop() {
	if co.stopped {
		return
	}
	co.stopped = true
	for _, w := range co.e.workers {
		w.do(func() { w.stop = true })
	}
}

// waitDone waits for every worker to exit; after the closing handshakes'
// timeout it stops them hard.
func (co *coordinator) waitDone() {
	limit := time.NewTimer(co.e.s.CloseTimeout + time.Second)
	defer limit.Stop()
	for co.done < co.n {
		select {
		case r := <-co.e.reports:
			co.got[r.kind]++
			if r.kind == repDone {
				co.done++
			}
		case <-limit.C:
			co.stop()
		case <-co.ctx.Done():
			co.stop()
		}
	}
}

// finishAll ends a collector whose lanes never ran.
func (c *collector) finishAll(n int) {
	for i := range n {
		l := c.lane(i, 0)
		c.finish(l)
	}
	c.wait()
}

// fillSeries sets the Run's intervals and overall histograms.
func fillSeries(r *results.Run, ivs []*interval, col *collector, t0, end int64) {
	for k, iv := range ivs {
		off := int64(k) * col.every
		length := col.every
		if t0+off+length > end {
			length = max(end-t0-off, 0)
		}
		out := results.Interval{
			Offset: results.Duration(off), Length: results.Duration(length),
			MsgsSent: iv.msgsSent, MsgsReceived: iv.msgsRecv,
			BytesSent: iv.bytesSent, BytesReceived: iv.bytesRecv, Errors: iv.errors,
		}
		for h, hist := range iv.hists {
			if hist != nil && hist.TotalCount() > 0 {
				if out.Histograms == nil {
					out.Histograms = map[string]*results.Histogram{}
				}
				out.Histograms[histNames[h]] = hist
			}
		}
		r.Intervals = append(r.Intervals, out)
	}
	for k, h := range col.total {
		if h != nil && h.TotalCount() > 0 {
			r.Histograms[histNames[k]] = h
		}
	}
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// params are the scenario's parameters beyond the Run's fixed fields.
func params(s *Spec) map[string]string {
	p := map[string]string{}
	if s.Count > 0 {
		p["count"] = strconv.FormatInt(s.Count, 10)
	}
	if s.Text {
		p["type"] = "text"
	}
	if s.Window > 1 {
		p["window"] = strconv.Itoa(s.Window)
	}
	if s.ConnRate > 0 {
		p["conn_rate"] = strconv.FormatFloat(s.ConnRate, 'g', -1, 64)
	}
	if s.Hold > 0 {
		p["hold"] = s.Hold.String()
	}
	if s.ReconnectEvery > 0 {
		p["reconnect_every"] = strconv.FormatInt(s.ReconnectEvery, 10)
	}
	if s.Scenario == Churn {
		p["settle"] = s.Settle.String()
	}
	if s.Scenario == HTTP {
		p["method"] = s.Method
	}
	if s.RatePerConn {
		p["rate_per_conn"] = strconv.FormatFloat(s.Rate, 'g', -1, 64)
	}
	if s.Scenario == Stream && s.Rate > 0 {
		p["board_rate"] = strconv.FormatFloat(s.Rate, 'g', -1, 64)
	}
	return p
}

func errorList(m map[string]int64) string {
	if len(m) == 0 {
		return "no error recorded"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = errString(k, m[k])
	}
	return strings.Join(parts, ", ")
}

func connectNote(e *engine, c results.Counts, errs map[string]int64) string {
	failed := c.ConnsAttempted - c.ConnsOpened
	if failed <= 0 {
		return fmt.Sprintf("board accepted all %d connections", c.ConnsOpened)
	}
	e.mu.Lock()
	first := e.firstFail
	e.mu.Unlock()
	return fmt.Sprintf("board accepted %d of %d connections, then refused (first: %s); failures: %s",
		c.ConnsOpened, c.ConnsAttempted, first, errorList(errs))
}
