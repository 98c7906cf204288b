//go:build linux

package loadgen

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

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
	su := statsURL(&s, t)
	if t.tls != nil && !strings.HasPrefix(su, "https://"+t.hostport+"/") {
		// A certificate the client does not trust fails every
		// connection the same way: say so now, with the fix (the first
		// stats reading does it when it goes to the target).
		if err := checkTLS(ctx, &s, t); err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
	}
	clk := newClock()
	board := results.Board{Model: "real"}
	if s.Board != nil {
		board = *s.Board
	}
	var notes []string
	var sc *statsClient
	if u := su; u != "" {
		c, err := newStatsClient(u, t.tls)
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		doc, err := c.get()
		if err != nil && c.tls != nil && certError(err) {
			return nil, fmt.Errorf("loadgen: %w", tlsError(u, err))
		}
		if err == nil {
			var b results.Board
			if b, err = identity(doc); err == nil {
				board, sc = b, c
				if p := statsPort(doc); p > 0 && s.StatsURL == "" {
					// A wslab board's stats port takes no slot: read
					// there, so a full board still reports.
					if c2, err := newStatsClient("http://"+net.JoinHostPort(t.ip.String(), strconv.Itoa(p))+"/stats", nil); err == nil {
						sc = c2
					}
				}
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
	if f := probeOf(s.Scenario); f != nil {
		return runProbe(ctx, &s, t, &clk, sc, board, notes, f)
	}
	var r *results.Run
	if scenarioOf(s.Scenario).rule == ruleHTTP {
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
	e := newEngine(s, t, *clk, own, nw)
	e.addrs = addrs
	var stopTLS context.CancelFunc
	e.tlsCtx, stopTLS = context.WithCancel(ctx)
	defer stopTLS()
	plan := e.plan
	scn := e.sc
	if scn.heapMarks {
		runtime.GC() // earlier garbage is not collected in the middle of the run
	}
	t0 := clk.now()
	fr := newFrame(s, clk, sc, t0, nw, e.nIv, e.used, plan, e.open.Load)
	e.col = fr.col
	smp, prog := fr.smp, fr.prog

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
	sampling := smp != nil && !scn.heapMarks
	if sampling {
		smp.take()
		go smp.run()
	}
	for _, w := range e.workers {
		go w.run()
	}

	co := coordinator{e: e, ctx: ctx, n: nw}
	var afterCycles, settled sample
	var gotAfter, gotSettled bool
	if co.waitAll(repRampDone) {
		if smp != nil && scn.heapMarks {
			smp.take() // the baseline
			go smp.run()
			sampling = true
		}
		measureStart := clk.now() + int64(2*time.Millisecond)
		measureEnd := int64(0)
		if s.Duration > 0 || scn.rule == ruleHold {
			d := s.Duration
			if scn.rule == ruleHold {
				d = s.Hold
			}
			measureEnd = measureStart + int64(d)
		}
		e.measureStart, e.measureEnd = measureStart, measureEnd
		for _, w := range e.workers {
			w.do(func() { w.measure(measureStart, measureEnd) })
		}
		if co.waitAll(repDrained) {
			if smp != nil && scn.heapMarks {
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
	stopTLS()
	e.tlsWG.Wait() // wss: every socket pair is closed, so every pump ends
	ivs := e.col.wait()
	end := clk.now()
	if sampling {
		smp.halt()
	}
	if smp != nil && scn.rule == ruleCycle && gotAfter && ctx.Err() == nil {
		select {
		case <-time.After(s.Settle):
		case <-ctx.Done():
		}
		settled, gotSettled = smp.take()
		end = clk.now()
	} else if smp != nil && !(scn.heapMarks && scn.rule == ruleEcho) {
		smp.take() // after the close
	}

	// The record.
	e.t0, e.end = t0, end
	r := e.record(ivs, board)
	r.Notes = append(notes, r.Notes...)
	c := r.Counts
	fr.heap(r, t0)
	switch scn.rule {
	case ruleHold:
		r.Notes = append(r.Notes, connectNote(e, c, r.Errors))
		if n, ok := e.rampNote(c.ConnsOpened); ok {
			r.Notes = append(r.Notes, n)
		}
	case ruleCycle:
		if gotAfter && gotSettled && len(r.Heap) > 0 {
			base := r.Heap[0].HeapInUse
			r.Notes = append(r.Notes, fmt.Sprintf("board heap: baseline %d B, after %d cycles %d B (%+d), after a %s settle %d B (%+d)",
				base, c.ConnsAttempted, afterCycles.HeapInUse, afterCycles.HeapInUse-base, s.Settle, settled.HeapInUse, settled.HeapInUse-base))
		}
	}
	if scn.heapMarks {
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
	if e.tlsErr != nil {
		r.Notes = append(r.Notes, e.tlsErr.Error())
	}
	if c.ConnsOpened == 0 && scn.rule != ruleHold {
		if e.tlsErr != nil {
			return r, fmt.Errorf("loadgen: no connection opened: %w", e.tlsErr)
		}
		return r, fmt.Errorf("loadgen: no connection to %s opened: %s", s.Target, errorList(r.Errors))
	}
	if ctx.Err() != nil {
		return r, fmt.Errorf("loadgen: run stopped before its end: %w", ctx.Err())
	}
	return r, nil
}

// frame is what every run assembles around its recorders, WebSocket or
// HTTP alike: the collector of intervals, the board's heap sampler and the
// live progress line.
type frame struct {
	col  *collector
	smp  *sampler // nil: no board stats
	prog *progress
}

// newFrame makes the collector for lanes recorders over nIv intervals
// from t0, the sampler when the board has stats (not started), and the
// progress line when s asks for one (open gives the connections open).
func newFrame(s *Spec, clk *clock, sc *statsClient, t0 int64, lanes, nIv int, used [nHist]bool, plan time.Duration, open func() int64) *frame {
	f := &frame{col: newCollector(t0, int64(s.Interval), lanes, nIv, used), prog: &progress{w: s.Progress, total: s.Duration}}
	if sc != nil && s.HeapEvery > 0 {
		// Every shard samples the board; results.Merge keeps one series.
		f.smp = newSampler(sc, clk, s.HeapEvery, int(plan/s.HeapEvery)+8)
	}
	f.col.onInterval = f.intervalHook(s, t0, open) // the progress line and Spec.OnInterval (live.go)
	return f
}

// heap puts the board's heap series in r, with a note on failed readings.
func (f *frame) heap(r *results.Run, t0 int64) {
	if f.smp == nil {
		return
	}
	r.Heap = f.smp.heap(t0)
	if n := f.smp.note(t0); n != "" {
		r.Notes = append(r.Notes, n)
	}
}

// rampNote is RampNote for the ramp's own time: from its first dial (not
// from the run's start, which includes starting the workers and the first
// /stats reading) to its last open; ok is false when nothing opened.
func (e *engine) rampNote(opened int64) (string, bool) {
	lastOpen, first := e.lastOpen(), e.firstDial()
	if first == 0 || lastOpen < first || opened == 0 {
		return "", false
	}
	// RampNote's format; cmd/comparek6 reads it.
	return fmt.Sprintf(RampNote, opened, time.Duration(lastOpen-first)), true
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
	if strings.HasPrefix(s.Target, "wss://") || strings.HasPrefix(s.Target, "https://") {
		// How the board's certificate was checked.
		switch {
		case s.Insecure:
			p["tls"] = "insecure"
		case s.CAFile != "":
			p["tls"] = "ca"
		default:
			p["tls"] = "verified"
		}
	}
	sc := scenarioOf(s.Scenario)
	if sc.rule == ruleCycle {
		p["settle"] = s.Settle.String()
	}
	if sc.rule == ruleHTTP {
		p["method"] = s.Method
	}
	if s.RatePerConn {
		p["rate_per_conn"] = strconv.FormatFloat(s.Rate, 'g', -1, 64)
	}
	if sc.rule == ruleStream && s.Rate > 0 {
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

// ConnectNotePrefix starts the note a connect run carries about how many
// connections the board held and what happened to the next one.
const ConnectNotePrefix = "board holds "

// connectNote says how many connections the board held and how it turned
// the next one away, in the words of the refusal mode it showed, e.g.
// "board holds 7; the 8th hung in the backlog (connected, no answer
// within 2s); by kind: hung (2)".
func connectNote(e *engine, c results.Counts, errs map[string]int64) string {
	e.mu.Lock()
	first := e.firstFail
	e.mu.Unlock()
	s := ConnectSentence(c, errs, first, e.s.DialTimeout)
	if e.t.tls != nil {
		// wss: closed before the upgrade means during the TLS handshake.
		s = strings.Replace(s, acceptCloseWhat, "was accepted, then closed before its TLS handshake ended (accept-close, or no heap left for a TLS session)", 1)
	}
	return s
}

const acceptCloseWhat = "was accepted, then closed without a byte (accept-close)"

// ConnectSentence is connectNote's sentence from a run's counts and errors;
// first is the kind of the first failed attempt ("" when unknown).
func ConnectSentence(c results.Counts, errs map[string]int64, first string, dialTimeout time.Duration) string {
	evicted := errs[errNames[eEvicted]]
	late := errs[errNames[eSynRetry]]
	held := c.ConnsOpened - late
	if evicted > 0 {
		held = c.ConnsOpened - evicted
		return fmt.Sprintf("%s%d; each newcomer past them was admitted and the oldest client evicted with a close frame (%d evicted); by kind: %s",
			ConnectNotePrefix, held, evicted, errorList(errs))
	}
	if c.ConnsOpened >= c.ConnsAttempted && late == 0 {
		return fmt.Sprintf("%s%d: it accepted all %d connections", ConnectNotePrefix, c.ConnsOpened, c.ConnsAttempted)
	}
	if first == "" && late > 0 {
		first = errNames[eSynRetry]
	}
	var what string
	switch first {
	case errNames[eHung]:
		what = fmt.Sprintf("hung in the backlog (connected, no answer within %s)", dialTimeout)
	case errNames[eSynTimeout]:
		what = fmt.Sprintf("had its SYN dropped (no answer to it or its retransmissions within %s)", dialTimeout)
	case errNames[eSynRetry]:
		what = "had its SYN dropped and connected only on a retransmission, once a slot freed"
	case errNames[eHandshakeEOF]:
		what = acceptCloseWhat
	case errNames[eReset]:
		what = "was reset (RST)"
	case errNames[eRefused]:
		what = "was refused (RST to the SYN: nothing listening, or a stack out of connections)"
	case results.HandshakeStatus(503):
		what = "got a 503"
	case "":
		what = "failed"
	default:
		what = "failed with " + first
	}
	return fmt.Sprintf("%s%d; the %s %s; by kind: %s", ConnectNotePrefix, held, ordinal(held+1), what, errorList(errs))
}

// ordinal spells n as 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st.
func ordinal(n int64) string {
	suffix := "th"
	switch n % 10 {
	case 1:
		suffix = "st"
	case 2:
		suffix = "nd"
	case 3:
		suffix = "rd"
	}
	if n%100 >= 11 && n%100 <= 13 {
		suffix = "th"
	}
	return strconv.FormatInt(n, 10) + suffix
}
