//go:build linux

// Package calibrate fits an emulated board (a twin) to a board measured
// through its WebSocket port: a short, gentle probe suite (round trip,
// rate as clients rise, throughput both ways, the message-size ladder, a
// connect ramp one past the slots, idle behaviour, the tail), a fit of the
// model's figures from the probes with how well each was constrained, a
// model file (catalog.ModelFile) that `wslab board --model-file` starts,
// and a report of measured against the twin's prediction on every probe
// point.
package calibrate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/montanaflynn/stats"
	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// Options bound the probe suite.
type Options struct {
	// Target is the board's WebSocket URL, ws://host:port/ws.
	Target string
	// Scale multiplies every probe's duration (1: the default suite, a
	// couple of minutes; tests use ~0.2).
	Scale float64
	// MaxConns is where the connect ramp stops when the board takes every
	// connection (default 24).
	MaxConns int
	// Clients are the client counts of the rate ramp (default 1,2,4,8).
	Clients []int
	// IdleWait bounds the idle probe (default 35 s x Scale).
	IdleWait time.Duration
	// StatsURL is passed to the load generator ("-": none, the default:
	// the calibrator learns nothing from the board's own report).
	StatsURL string
	// Log receives a line per probe; nil for none.
	Log io.Writer
}

func (o *Options) defaults() error {
	if o.Target == "" {
		return errors.New("calibrate: no target (ws://host:port/ws)")
	}
	u, err := url.Parse(o.Target)
	if err != nil || u.Scheme != "ws" || u.Host == "" {
		return fmt.Errorf("calibrate: target %q is not a ws://host:port/path URL", o.Target)
	}
	if o.Scale <= 0 {
		o.Scale = 1
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 24
	}
	if len(o.Clients) == 0 {
		o.Clients = []int{1, 2, 4, 8}
	}
	if o.IdleWait <= 0 {
		o.IdleWait = time.Duration(35 * float64(time.Second) * o.Scale)
	}
	if o.StatsURL == "" {
		o.StatsURL = "-"
	}
	return nil
}

func (o *Options) dur(d time.Duration) time.Duration {
	return max(time.Duration(float64(d)*o.Scale), 500*time.Millisecond)
}

func (o *Options) logf(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", a...)
	}
}

// Point is one probe point: a latency distribution or a rate.
type Point struct {
	Size    int     `json:"size"`
	Clients int     `json:"clients"`
	Window  int     `json:"window,omitempty"` // messages in flight per client (0: 1)
	N       int64   `json:"n"`                // messages measured
	P50     float64 `json:"p50_ms"`           // latency quantiles, ms
	P99     float64 `json:"p99_ms"`
	P999    float64 `json:"p999_ms"`
	Msgs    float64 `json:"msgs_per_sec"`
	MBps    float64 `json:"mb_per_sec"` // one-way payload, 10^6 B/s
	Errors  int64   `json:"errors,omitempty"`
	Dur     float64 `json:"duration_s,omitempty"` // how long the probe loaded the board, s
	// CV is the latency's standard deviation over its mean: a closed
	// loop's rate is messages in flight over the mean latency, so its own
	// sampling error is about CV/sqrt(N) (heavy WiFi tails make it large).
	CV float64 `json:"latency_cv,omitempty"`
	// P50Err is the p50's relative standard error: half the spread of the
	// latency's quantiles one standard error of the median's rank
	// (0.5/sqrt(N)) either side, over the p50.
	P50Err float64 `json:"p50_err,omitempty"`
	// RateErr is MBps's relative standard error (0: not estimated). A
	// download's is from the gaps between its messages' arrivals as a
	// renewal process: their CV over the square root of their count (a
	// link whose tails stall it now and then makes it large; stalls
	// spanning several messages make it an underestimate). Six 2.5 s
	// downloads of 8192 B from an emulated esp8266 varied by 10.3% where
	// it read 9.7% on average. A one-connection upload's is from its runs
	// (Runs: upErr), as its writes return in the bursts the board's
	// kernel frees its window in (2-4 messages every 120-170 ms on
	// esp8266), so neither each gap (CV 1.7, ±24%) nor batches of them
	// (±6.7-8.4%) say how steady the rate is (six uploads varied by
	// 1.3-1.9%).
	RateErr float64 `json:"rate_err,omitempty"`
	// Runs are a one-connection upload's runs, MB/s each, in the order
	// measured (each Dur/len(Runs) long); MBps is their mean (see up).
	Runs []float64 `json:"runs_mb_per_sec,omitempty"`
	// Tail is the latency at TailLevels, ms (the one-client small echo
	// and the sparse one only): where the tail starts and how heavy it
	// is.
	Tail []float64 `json:"tail_quantiles_ms,omitempty"`
}

// TailLevels are the quantiles of the small echo's latency the tail fit
// reads: every half percent, and the p999.
var TailLevels = func() []float64 {
	var l []float64
	for q := 5; q < 1000; q += 5 {
		l = append(l, float64(q)/1000)
	}
	return append(l, 0.999)
}()

// Measurements are the probes' raw figures.
type Measurements struct {
	Target string `json:"target"`
	// Handshake is the p50 of the WebSocket handshakes (TCP connect to the
	// 101) of the one-client probes, ms, and how many.
	Handshake  float64 `json:"handshake_p50_ms"`
	HandshakeN int64   `json:"handshake_n"`
	// Echo is the one-client round trip across sizes (closed loop).
	Echo []Point `json:"echo"`
	// Rate is the closed-loop echo rate of small messages as clients rise.
	Rate []Point `json:"rate"`
	// Down (/ws/source) and Up (/ws/sink) are one-connection throughputs
	// at two message sizes, and the largest size on two connections at
	// once (Clients 2).
	Down []Point `json:"down"`
	Up   []Point `json:"up"`
	// Ladder: the message cap and how the board refuses a larger one.
	LadderAnswer string `json:"ladder_answer"`
	Cap          int    `json:"cap"` // the largest size echoed below the first failing one (0: none failed)
	CapHow       string `json:"cap_how,omitempty"`
	CloseCode    int    `json:"close_code,omitempty"`
	// Connect ramp.
	ConnectNote string           `json:"connect_note"`
	Held        int              `json:"held"`
	Attempted   int              `json:"attempted"`
	Refusal     string           `json:"refusal"` // a firmware fail mode name, or "" when all were accepted
	Kinds       map[string]int64 `json:"kinds,omitempty"`
	// Idle behaviour within IdleWait.
	IdleWait  float64 `json:"idle_wait_s"`
	PingAfter float64 `json:"ping_after_s,omitempty"` // 0: no ping seen
	DropAfter float64 `json:"drop_after_s,omitempty"` // 0: not dropped
	// Tail of the one-client small echo.
	TailN int64 `json:"tail_n"`
	// Sparse is the small echo at one message every SparseGap (open loop):
	// a board in power save dozes between them, and a frame for it waits
	// for its next DTIM beacon.
	Sparse Point `json:"sparse,omitzero"`
}

// SparseGap is the sparse echo's spacing. Each message must find the
// station dozing: the gap holds a doze's longest wait (a DTIM interval),
// the echo and the awake time after the reply (50 ms), else the next
// message arrives while the reply keeps the station awake, is heard at
// once, and the waits flatten as the DTIM grows. At 350 ms they did: one
// random board's lone echoes (mean of p10-p80, three seeds) came to
// 123-128 ms at DTIM 3, 143-168 at 4 and 167-175 at 5, and a CI run
// fitted a DTIM 3 board as DTIM 5. At 650 ms the same board gave
// 139-155, 185-218 and 239-263 ms: every message lone up to DTIM 5
// (512 ms) with an echo under 88 ms. 650 ms is 35.6 ms past a multiple
// of one, two and three beacon intervals (102.4 ms), 138 ms past DTIM 5's
// and 240 ms past DTIM 4's, so the sends sweep every phase of the
// beacons within a few dozen messages.
const SparseGap = 650 * time.Millisecond

// Sizes the one-client echo is probed at: small, and around the MSS.
var echoSizes = []int{32, 1000, 1400, 1500, 2900}

// The throughput probes' message sizes.
var thrSizes = []int{1024, 8192}

// thrDur is the throughput probes' duration (before Scale): long enough
// for a WiFi tail's stalls to average out.
const thrDur = 10 * time.Second

// Probe runs the suite against o.Target.
func Probe(ctx context.Context, o Options) (*Measurements, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	m := &Measurements{Target: o.Target, IdleWait: o.IdleWait.Seconds()}
	// The connect ramp, one past where it stops accepting.
	if err := o.connectRamp(ctx, m); err != nil {
		o.logf("connect: %v", err)
	}
	hs := results.NewHistogram()
	// Round trip at one client, across sizes; the small one is long
	// enough for the tail.
	for i, n := range echoSizes {
		// The small one is the tail's (a few hundred echoes at the test's
		// scale); the others' p50s against it are the channel access's.
		d := o.dur(5 * time.Second)
		if i == 0 {
			d = o.dur(20 * time.Second)
		}
		p, tq, err := o.echoTail(ctx, n, d, hs)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			o.logf("echo %d B: %v (skipped)", n, err)
			continue
		}
		if i == 0 {
			m.TailN = p.N
			p.Tail = tq
		}
		m.Echo = append(m.Echo, p)
	}
	// Rate as clients rise, until it stops growing.
	best := 0.0
	for _, c := range clientsUpTo(o.Clients, m.Held, m.Refusal != "") {
		var p Point
		var err error
		if e := m.Echo[0]; c == 1 && e.Size == 32 {
			// One client's closed loop of small messages is the small
			// echo, run four times as long as a ramp point: its rate is
			// read from it (a WiFi tail's spikes make a short closed
			// loop's mean the noisiest figure of the suite).
			p, p.Tail = e, nil
		} else {
			p, err = o.echo(ctx, c, 32, o.dur(5*time.Second), hs)
		}
		if err != nil {
			o.logf("rate %d clients: %v", c, err)
			break
		}
		m.Rate = append(m.Rate, p)
		if p.Msgs < best*1.05 && len(m.Rate) >= 3 {
			break // saturated
		}
		best = max(best, p.Msgs)
	}
	// The saturated rate: the most clients, each with four messages in
	// flight (a board with few slots saturates no other way).
	// While more in flight still gets more through, the CPU is not yet
	// saturated: double the window, up to maxWindow (each step bounded in
	// time like the others).
	if n := len(m.Rate); n > 0 {
		last := m.Rate[n-1]
		prev, prevP50 := best, last.P50
		for w := satWindow; w <= maxWindow; w *= 2 {
			// The queue must fill and drain many times within the probe,
			// or its start-up bites into the rate: 16 of the last point's
			// p50s (at least the usual 5 s, at most 20 s, scaled).
			d := min(max(o.dur(5*time.Second), time.Duration(16*prevP50*1e6)), o.dur(20*time.Second))
			p, err := o.echoW(ctx, last.Clients, 32, w, d, hs)
			if err != nil {
				break
			}
			m.Rate = append(m.Rate, p)
			if p.Msgs < prev*1.1 {
				break // saturated
			}
			prev, prevP50 = p.Msgs, p.P50
		}
	}
	m.Handshake, m.HandshakeN = float64(hs.Quantile(0.5))/1e3, hs.Count()
	// The message-size ladder.
	if r, err := o.run(ctx, loadgen.Spec{Scenario: loadgen.Ladder, Conns: 1, DrainTimeout: 3 * time.Second}); err == nil {
		m.LadderAnswer = loadgen.Answer(r)
		m.Cap, m.CapHow, m.CloseCode = parseLadder(m.LadderAnswer)
		o.logf("ladder: %s", m.LadderAnswer)
	} else {
		o.logf("ladder: %v", err)
	}
	// Throughput both ways at two sizes (under the cap).

	// A server without the board's /ws/source and /ws/sink (a foreign
	// echo server) streams nothing down and echoes the upload back (the
	// upload then stalls): a direction that measured nothing at the first
	// size is not probed again.
	noDown, noUp := false, false
	for _, n := range thrSizes {
		if m.Cap > 0 {
			n = min(n, m.Cap)
		}
		if !noDown {
			p, err := o.down(ctx, n, o.dur(thrDur))
			if err == nil && p.MBps > 0 {
				m.Down = append(m.Down, p)
			} else {
				noDown = true
				o.logf("download: nothing streamed from /ws/source: not probed again")
			}
		}
		if !noUp {
			if p, err := o.up(ctx, n, o.dur(thrDur)); err == nil {
				m.Up = append(m.Up, p)
			} else {
				noUp = true
				o.logf("upload: /ws/sink did not take it: not probed again")
			}
		}
	}
	// The send buffer against the link: the largest download on two
	// connections at once.
	if d, ok := m.largest(m.Down); ok && (m.Refusal == "" || m.Held >= 2) {
		if p, err := o.downPair(ctx, d.Size, o.dur(thrDur)); err == nil && p.MBps > 0 {
			m.Down = append(m.Down, p)
		}
	}
	// The window against the link: the largest upload on two connections
	// at once. A window is each connection's, the link is shared: a
	// window-bound upload gets about twice through on two, a link-bound
	// (or CPU-bound) one no more.
	if u, ok := m.largest(m.Up); ok && (m.Refusal == "" || m.Held >= 2) {
		if p, err := o.upPair(ctx, u.Size, o.dur(thrDur)); err == nil {
			m.Up = append(m.Up, p)
		}
	}
	// Sparse messages (power save).
	if p, err := o.sparse(ctx); err == nil {
		m.Sparse = p
	} else {
		o.logf("sparse echo: %v", err)
	}
	// Idle behaviour.
	m.PingAfter, m.DropAfter = o.idle(ctx)
	o.logf("idle %.0f s: ping after %.1f s, dropped after %.1f s (0: not seen)", o.IdleWait.Seconds(), m.PingAfter, m.DropAfter)
	if len(m.Echo) == 0 || len(m.Rate) == 0 {
		return m, errors.New("calibrate: the echo probes measured nothing")
	}
	return m, ctx.Err()
}

// clientsUpTo is the rate ramp's client counts, none past the slots a
// refusing board held (and the slots themselves as the last point).
func clientsUpTo(cs []int, held int, refuses bool) []int {
	if !refuses || held <= 0 {
		return cs
	}
	var out []int
	for _, c := range cs {
		if c < held {
			out = append(out, c)
		}
	}
	return append(out, held)
}

// echo is a closed-loop echo of size-byte messages on clients connections.
func (o *Options) echo(ctx context.Context, clients, size int, d time.Duration, hs *results.Histogram) (Point, error) {
	return o.echoW(ctx, clients, size, 0, d, hs)
}

// echoTail is a one-client echo that also returns its latency at
// TailLevels (ms).
func (o *Options) echoTail(ctx context.Context, size int, d time.Duration, hs *results.Histogram) (Point, []float64, error) {
	r, err := o.run(ctx, loadgen.Spec{Scenario: loadgen.Echo, Conns: 1, Size: size, Duration: d})
	if err != nil {
		return Point{}, nil, err
	}
	p := point(r, 1, size)
	p.Dur = d.Seconds()
	if h := r.Histograms[results.HistHandshake]; h != nil && hs != nil {
		_ = hs.Add(h)
	}
	tq := tailQuantiles(r.Histograms[results.HistLatency])
	o.logf("echo 1 clients x1 %5d B: %.1f msgs/s, p50 %.2f ms p99 %.2f ms (n %d)", size, p.Msgs, p.P50, p.P99, p.N)
	return p, tq, nil
}

// tailQuantiles is the latency at TailLevels, ms (nil for no samples).
func tailQuantiles(h *results.Histogram) []float64 {
	if h == nil || h.Count() == 0 {
		return nil
	}
	tq := make([]float64, 0, len(TailLevels))
	for _, q := range TailLevels {
		tq = append(tq, float64(h.Quantile(q))/1e3)
	}
	return tq
}

// satWindow is the messages in flight per client of the saturation point.
const satWindow = 4

// maxWindow is the most messages in flight per client the saturation
// probe tries.
const maxWindow = 16

// echoW is echo with window messages in flight per client.
func (o *Options) echoW(ctx context.Context, clients, size, window int, d time.Duration, hs *results.Histogram) (Point, error) {
	r, err := o.run(ctx, loadgen.Spec{Scenario: loadgen.Echo, Conns: clients, Size: size, Duration: d, Window: window})
	if err != nil {
		return Point{}, err
	}
	p := point(r, clients, size)
	p.Window, p.Dur = window, d.Seconds()
	if h := r.Histograms[results.HistHandshake]; h != nil && hs != nil {
		_ = hs.Add(h)
	}
	o.logf("echo %d clients x%d %5d B: %.1f msgs/s, p50 %.2f ms p99 %.2f ms (n %d)", clients, max(window, 1), size, p.Msgs, p.P50, p.P99, p.N)
	return p, nil
}

// sparse is the one-client small echo at one message every SparseGap:
// 96 messages x Scale, at least 16 and at most 64 (24 at the tests'
// scale of 0.25: 15.6 s; 41.6 s at the default scale).
func (o *Options) sparse(ctx context.Context) (Point, error) {
	n := min(max(16, int(96*o.Scale)), 64)
	d := time.Duration(n) * SparseGap
	r, err := o.run(ctx, loadgen.Spec{Scenario: loadgen.Rate, Conns: 1, Size: 32, Duration: d, Rate: float64(time.Second) / float64(SparseGap)})
	if err != nil {
		return Point{}, err
	}
	p := point(r, 1, 32)
	p.Dur = d.Seconds()
	if p.N == 0 {
		return p, errors.New("no echo")
	}
	p.Tail = tailQuantiles(r.Histograms[results.HistLatency])
	o.logf("echo 1 clients, one every %s, %d B: p50 %.2f ms p99 %.2f ms (n %d)", SparseGap, 32, p.P50, p.P99, p.N)
	return p, nil
}

// down is one connection's download from /ws/source.
func (o *Options) down(ctx context.Context, size int, d time.Duration) (Point, error) {
	return o.downN(ctx, 1, size, d)
}

// downPair is two downloads at once, on two connections: their payload
// rates summed. A send buffer is each connection's, the link is shared:
// a download bound by the send buffer over its round gets about twice
// through on two, a link-bound one no more.
func (o *Options) downPair(ctx context.Context, size int, d time.Duration) (Point, error) {
	return o.downN(ctx, 2, size, d)
}

// downN is conns (one or two) downloads at once, their payload rates
// summed.
func (o *Options) downN(ctx context.Context, conns, size int, d time.Duration) (Point, error) {
	on := onConns(conns)
	p, r, err := o.downOnce(ctx, conns, size, d)
	if err != nil {
		return Point{}, err
	}
	if more := downMore(d, p.RateErr); more > 0 {
		// Delivered unsteadily (a slow CPU's and link's stalls: esp8266's
		// 8192 B download reads ±8-10% over 2.5 s): measured longer, so
		// the fit and the side-by-side table do not rest on the draw.
		r2, err := o.run(ctx, loadgen.Spec{Scenario: loadgen.Stream, Conns: conns, Size: size, Duration: more})
		if err == nil {
			q := mergeDown(p, r, r2)
			q.Dur += more.Seconds()
			o.logf("download %5d B%s: %.3f MB/s (±%.1f%%) over %s; %s more: %.3f MB/s (±%.1f%%)", size, on, p.MBps, p.RateErr*100, d, more.Round(10*time.Millisecond), q.MBps, q.RateErr*100)
			return q, nil
		}
		o.logf("download %d B%s: %s more: %v", size, on, more, err)
	}
	o.logf("download %5d B%s: %.3f MB/s (±%.1f%%)", size, on, p.MBps, p.RateErr*100)
	return p, nil
}

// downOnce is conns downloads at once for d, not extended: their point
// and run.
func (o *Options) downOnce(ctx context.Context, conns, size int, d time.Duration) (Point, *results.Run, error) {
	r, err := o.run(ctx, loadgen.Spec{Scenario: loadgen.Stream, Conns: conns, Size: size, Duration: d})
	if err != nil {
		o.logf("download %d B%s: %v", size, onConns(conns), err)
		return Point{}, nil, err
	}
	p := point(r, conns, size)
	p.Dur = d.Seconds()
	return p, r, nil
}

// onConns names conns connections in a log line ("" for one).
func onConns(conns int) string {
	switch {
	case conns == 2:
		return " on two connections"
	case conns > 2:
		return fmt.Sprintf(" on %d connections", conns)
	}
	return ""
}

// downErr is the standard error a download is measured to, and downMax
// how much longer than asked it may run for it: two probes each within 5%
// tell a 15% difference from their draw (15% against twice their combined
// 7%).
const (
	downErr = 0.05
	downMax = 3
)

// downMore is how much longer a download of d that read a standard error
// of e runs: as long as it takes to bring e to downErr (e falls as one
// over the square root of the time), in all at most downMax times d, at
// least half of d more; 0 when e is within downErr or unknown.
func downMore(d time.Duration, e float64) time.Duration {
	if e <= downErr {
		return 0
	}
	k := min((e/downErr)*(e/downErr), downMax)
	return max(time.Duration(float64(d)*(k-1)), d/2)
}

// mergeDown is download p (of run r) with a second run r2 of it: the bytes
// over both runs' windows, the arrival gaps of both.
func mergeDown(p Point, r, r2 *results.Run) Point {
	secs := func(x *results.Run) float64 {
		if x.Rates.DownBytesPerSec <= 0 {
			return 0
		}
		return float64(x.Counts.BytesReceived) / x.Rates.DownBytesPerSec
	}
	if secs(r2) <= 0 {
		return p
	}
	s := secs(r) + secs(r2)
	q := p
	q.MBps = float64(r.Counts.BytesReceived+r2.Counts.BytesReceived) / s / 1e6
	q.Msgs = float64(r.Counts.MsgsReceived+r2.Counts.MsgsReceived) / s
	q.N = r.Counts.MsgsReceived + r2.Counts.MsgsReceived
	h := results.NewHistogram()
	for _, x := range []*results.Run{r, r2} {
		if err := h.Add(x.Histograms[results.HistArrivalGap]); err != nil {
			return q
		}
	}
	q.RateErr = arrivalErr(h)
	return q
}

// upRuns is how many runs a one-connection upload is measured in.
const upRuns = 3

// up is one connection's upload to /ws/sink: upRuns runs of d each, every
// one timed to the pong of a ping sent after it, and their mean (upOf).
// An emulated board's window-bound upload ran at one of a few paces, each
// set for the whole connection by how its first writes met the board's
// window updates and CPU: nine 2.5 s runs of 8192 B on an emulated
// esp8266 (2144 B window, four 536 B segments) read 0.2078-0.2080 MB/s
// five times and 0.1894 four times. The slow pace came with the window
// reopening in two pieces, 1008 B and 1136 B, each only when the CPU had
// finished all of it; the emulator now reopens a read's window a segment
// at a time as the CPU gets through it (host's reopen), and six such
// runs read 0.218-0.222 MB/s. A median of three read the one pace or the
// other (a board's median and its twin's 9% apart half the time, the
// window 16%); the mean moves by a third of any gap per run, and a WiFi
// stall (the pong's 25-250 ms tail, 6% of runs) takes 1-9% off one run.
// The twin is measured the same way (twinUploads).
func (o *Options) up(ctx context.Context, size int, d time.Duration) (Point, error) {
	runs := make([]Point, 0, upRuns)
	for range upRuns {
		p, err := o.upload(ctx, size, d)
		if err != nil {
			o.logf("upload %d B: %v", size, err)
			return p, err
		}
		runs = append(runs, p)
	}
	p := upOf(runs)
	o.logf("upload   %5d B: %.3f MB/s (±%.1f%%; mean of %s; n %d)", size, p.MBps, p.RateErr*100, mbps(p.Runs), p.N)
	return p, nil
}

// upOf is an upload measured in runs: the runs' mean rate, the messages
// and durations of all, and the mean's standard error (upErr).
func upOf(runs []Point) Point {
	if len(runs) == 0 {
		return Point{}
	}
	p := runs[0]
	p.N, p.Dur, p.Runs = 0, 0, nil
	for _, r := range runs {
		p.N += r.N
		p.Dur += r.Dur
		p.Runs = append(p.Runs, r.MBps)
	}
	return p.withRuns()
}

// withRuns sets p's rate from its runs: MBps their mean, Msgs the same
// rate in messages, RateErr upErr.
func (p Point) withRuns() Point {
	if len(p.Runs) == 0 {
		return p
	}
	p.MBps, _ = stats.Mean(p.Runs)
	if p.Size > 0 {
		p.Msgs = p.MBps * 1e6 / float64(p.Size)
	}
	p.RateErr = upErr(p.Runs, p.MBps)
	return p
}

// upErr is the relative standard error of mean, the mean of runs: their
// standard deviation over the square root of their count, over mean; 0
// under two runs. Runs at one pace (see up) read it near 0, as their
// spread does.
func upErr(runs []float64, mean float64) float64 {
	if len(runs) < 2 || mean <= 0 {
		return 0
	}
	sd, _ := stats.StandardDeviationSample(runs)
	return sd / math.Sqrt(float64(len(runs))) / mean
}

// runDur is how long each of p's runs loaded the board, s (its whole
// duration where it was not measured in runs).
func (p Point) runDur() float64 {
	return p.Dur / float64(max(len(p.Runs), 1))
}

// mbps names rates ("0.208, 0.189, 0.208").
func mbps(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.4g", x))
	}
	return strings.Join(parts, ", ")
}

// run runs one load generator probe, bounded in time, the board's stats
// not read unless asked.
func (o *Options) run(ctx context.Context, s loadgen.Spec) (*results.Run, error) {
	s.Target = o.Target
	s.StatsURL = o.StatsURL
	s.HeapEvery = -1
	if s.DialTimeout == 0 {
		s.DialTimeout = o.dur(3 * time.Second)
	}
	if s.DrainTimeout == 0 {
		s.DrainTimeout = o.dur(2 * time.Second)
	}
	s.CloseTimeout = o.dur(time.Second)
	s.Timeout = s.Duration + s.Hold + s.DialTimeout + s.DrainTimeout + s.CloseTimeout + time.Duration(30*float64(time.Second)*o.Scale)
	if s.Scenario == loadgen.Ladder {
		s.Timeout = 2 * time.Minute
	}
	r, err := loadgen.Run(ctx, s)
	if err != nil {
		return r, err
	}
	if r.Counts.ConnsOpened == 0 {
		return r, fmt.Errorf("%s: no connection opened (%v)", s.Scenario, r.Errors)
	}
	return r, nil
}

func point(r *results.Run, clients, size int) Point {
	s := r.Summary()
	p := Point{Size: size, Clients: clients, Msgs: s.MsgsPerSec, MBps: s.OneWayMBPerSec, Errors: s.Errors,
		P50: s.P50 / 1e3, P99: s.P99 / 1e3, P999: s.P999 / 1e3}
	if h := r.Histograms[results.HistLatency]; h != nil {
		p.N = h.Count()
		if m := h.Mean(); m > 0 && p.N > 1 {
			p.CV = h.StdDev() / m
			p.P50Err = p50Err(h)
		}
	} else {
		p.N = r.Counts.MsgsReceived + r.Counts.MsgsSent
	}
	p.RateErr = arrivalErr(r.Histograms[results.HistArrivalGap])
	return p
}

// arrivalErr is gapErr of a download's arrival gaps (0 without them).
func arrivalErr(h *results.Histogram) float64 {
	if h == nil || h.Histogram == nil {
		return 0
	}
	return gapErr(h.Mean(), h.StdDev(), h.Count())
}

// gapErr is a rate's relative standard error from the gaps between its
// messages (mean and standard deviation in any one unit, n of them): their
// CV over sqrt(n), 0 under 5 gaps.
func gapErr(mean, sd float64, n int64) float64 {
	if n < 5 || mean <= 0 {
		return 0
	}
	return sd / mean / math.Sqrt(float64(n))
}

// p50Err is the median's relative standard error read from the
// distribution itself: the median's rank has a standard error of
// sqrt(n)/2, so half the spread between the quantiles 0.5/sqrt(n) either
// side of 0.5, over the median.
func p50Err(h *results.Histogram) float64 {
	n := h.Count()
	if n < 2 {
		return 0
	}
	d := 0.5 / math.Sqrt(float64(n))
	lo, mid, hi := h.Quantile(0.5-d), h.Quantile(0.5), h.Quantile(0.5+d)
	if mid <= 0 || hi <= lo {
		return 0
	}
	return float64(hi-lo) / 2 / float64(mid)
}

var (
	ladderFirst = regexp.MustCompile(`first failing size (\d+) B(?: \(([^)]*)\))?: (.*?)(?: \(every size up to (\d+) B echoed\))?$`)
	closeCode   = regexp.MustCompile(`close (\d{4})`)
)

// parseLadder reads the ladder's answer: the message cap (the largest size
// echoed below the first size that failed whole), how the first failed and
// its close code. A failure on a split frame only is not a cap.
func parseLadder(a string) (capn int, how string, code int) {
	mm := ladderFirst.FindStringSubmatch(a)
	if mm == nil {
		return 0, "", 0
	}
	first, _ := strconv.Atoi(mm[1])
	how = strings.TrimSpace(mm[3])
	if mm[2] != "" || strings.HasPrefix(how, "silence") {
		// A split frame's failure, or no answer at all: not a size limit.
		return 0, how + " (" + mm[2] + ")", 0
	}
	if c := closeCode.FindStringSubmatch(how); c != nil {
		code, _ = strconv.Atoi(c[1])
	}
	return first - 1, how, code
}

// connectRamp opens connections until the board stops taking them: a
// ramp of MaxConns, then the exact count: held+1, so the refusal mode is
// the one the first newcomer past the slots met.
func (o *Options) connectRamp(ctx context.Context, m *Measurements) error {
	hold := o.dur(time.Second)
	spec := loadgen.Spec{Scenario: loadgen.Connect, Conns: o.MaxConns, ConnRate: 200, Hold: hold, DialTimeout: o.dur(2 * time.Second)}
	r, err := o.run(ctx, spec)
	if err != nil {
		return err
	}
	held, mode := readConnect(r)
	o.logf("connect ramp %d: held %d, refusal %q", o.MaxConns, held, mode)
	// A backlog board's backlog: the newcomers that hung before SYNs went
	// unanswered (only when the ramp went past both).
	backlog := int64(0)
	if mode == "backlog" && r.Errors["syn timeout"] > 0 {
		backlog = r.Errors["hung"]
	}
	if mode != "" && held > 0 && held+1 < o.MaxConns {
		spec.Conns = held + 1
		if r2, err := o.run(ctx, spec); err == nil {
			h2, m2 := readConnect(r2)
			o.logf("connect ramp %d: held %d, refusal %q", held+1, h2, m2)
			if m2 != "" {
				second := true
				if m2 != mode || h2 != held {
					// The two ramps disagree (a SYN lost on the air reads
					// as a drop; a slow board may still be taking the one
					// ahead): a third ramp of held+1 decides, by majority.
					if r3, err := o.run(ctx, spec); err == nil {
						h3, m3 := readConnect(r3)
						o.logf("connect ramp %d again: held %d, refusal %q", held+1, h3, m3)
						second = m3 != mode || h3 != held // the third did not side with the first
					}
				}
				if second {
					r, held, mode = r2, h2, m2
				}
			}
		}
	}
	m.Held, m.Refusal, m.Attempted = held, mode, int(r.Counts.ConnsAttempted)
	m.Kinds = r.Errors
	for _, n := range r.Notes {
		if strings.HasPrefix(n, loadgen.ConnectNotePrefix) {
			m.ConnectNote = n
		}
	}
	if backlog > 0 && mode == "backlog" {
		m.Kinds = maps.Clone(m.Kinds)
		m.Kinds["backlog_held"] = backlog
	}
	return nil
}

// readConnect returns the connections held and the refusal mode (a
// firmware fail mode's name) a connect run showed.
func readConnect(r *results.Run) (held int, mode string) {
	e := r.Errors
	held = int(r.Counts.ConnsOpened - e["syn retry"])
	// The first newcomer turned away, in the connect note's words.
	for _, n := range r.Notes {
		if !strings.HasPrefix(n, loadgen.ConnectNotePrefix) {
			continue
		}
		for _, w := range []struct{ phrase, mode string }{
			{"evicted", "evict-oldest"}, {"hung in the backlog", "backlog"}, {"had its SYN dropped", "syn-drop"},
			{"(accept-close)", "accept-close"}, {"was reset", "reset"}, {"was refused", "reset"}, {"got a 503", "503"},
		} {
			if strings.Contains(n, w.phrase) {
				if w.mode == "evict-oldest" {
					held = int(r.Counts.ConnsOpened - e["evicted"])
				}
				return held, w.mode
			}
		}
	}
	switch {
	case e["evicted"] > 0:
		return int(r.Counts.ConnsOpened - e["evicted"]), "evict-oldest"
	case r.Counts.ConnsOpened >= r.Counts.ConnsAttempted && e["syn retry"] == 0:
		return held, ""
	case e["hung"] > 0:
		return held, "backlog"
	case e["syn timeout"] > 0 || e["syn retry"] > 0:
		return held, "syn-drop"
	case e["handshake eof"] > 0:
		return held, "accept-close"
	case e["reset"] > 0 || e["refused"] > 0:
		return held, "reset"
	case e[results.HandshakeStatus(503)] > 0:
		return held, "503"
	}
	return held, "unknown"
}

// wsConn is a plain client WebSocket for the probes that time what the
// load generator does not: the idle wait, and an upload that ends with a
// ping (the pong comes back once the board has read every byte before it).
type wsConn struct {
	c  net.Conn
	br *bufio.Reader
	mg *core.MaskGen
}

func (o *Options) dialWS(ctx context.Context, path string, sndBuf int) (*wsConn, error) {
	u, _ := url.Parse(o.Target)
	d := net.Dialer{Timeout: o.dur(3 * time.Second)}
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok && sndBuf > 0 {
		_ = tc.SetWriteBuffer(sndBuf)
		_ = tc.SetNoDelay(true)
	}
	w := &wsConn{c: c, br: bufio.NewReader(c), mg: core.NewMaskGen(uint64(time.Now().UnixNano()))}
	key := core.NewClientKey(w.mg)
	if path == "" {
		path = u.Path
	}
	if _, err := c.Write(core.AppendClientRequest(nil, []byte(u.Host), []byte(path), key[:], nil)); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(o.dur(3 * time.Second)))
	var head []byte
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		b, err := w.br.ReadByte()
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("handshake: %w", err)
		}
		head = append(head, b)
	}
	if _, _, err := core.ParseResponse(head, key[:]); err != nil {
		c.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	return w, nil
}

// frame returns a masked client frame.
func (w *wsConn) frame(dst []byte, op core.Opcode, payload []byte) []byte {
	mk := w.mg.NextMask()
	dst = core.AppendHeader(dst, core.Header{Op: op, Fin: true, Masked: true, Mask: mk, Length: len(payload)})
	n := len(dst)
	dst = append(dst, payload...)
	core.Mask(mk, 0, dst[n:])
	return dst
}

// read reads one frame: its opcode and payload.
func (w *wsConn) read() (core.Opcode, []byte, error) {
	var buf [14]byte
	if _, err := io.ReadFull(w.br, buf[:2]); err != nil {
		return 0, nil, err
	}
	ext := map[byte]int{126: 2, 127: 8}[buf[1]&0x7f]
	if _, err := io.ReadFull(w.br, buf[2:2+ext]); err != nil {
		return 0, nil, err
	}
	h, _, err := core.ParseHeader(buf[:2+ext])
	if err != nil {
		return 0, nil, err
	}
	body := make([]byte, h.Length)
	if _, err := io.ReadFull(w.br, body); err != nil {
		return 0, nil, err
	}
	return h.Op, body, nil
}

// upPair is two uploads at once, on two connections: their payload
// rates summed.
func (o *Options) upPair(ctx context.Context, size int, d time.Duration) (Point, error) {
	var ps [2]Point
	var errs [2]error
	done := make(chan struct{}, 2)
	for i := range ps {
		go func() {
			ps[i], errs[i] = o.upload(ctx, size, d)
			done <- struct{}{}
		}()
	}
	<-done
	<-done
	if err := errors.Join(errs[0], errs[1]); err != nil {
		o.logf("upload %d B on two connections: %v", size, err)
		return Point{}, err
	}
	p := Point{Size: size, Clients: 2, N: ps[0].N + ps[1].N, Msgs: ps[0].Msgs + ps[1].Msgs, MBps: ps[0].MBps + ps[1].MBps, Dur: d.Seconds()}
	o.logf("upload   %5d B on two connections: %.3f MB/s (n %d)", size, p.MBps, p.N)
	return p, nil
}

// upload sends size-byte binary messages to /ws/sink for d, then a ping,
// and returns the payload rate up to the pong (MB/s) and messages sent.
func (o *Options) upload(ctx context.Context, size int, d time.Duration) (Point, error) {
	w, err := o.dialWS(ctx, "/ws/sink", 4096)
	if err != nil {
		return Point{}, err
	}
	defer w.c.Close()
	stop := context.AfterFunc(ctx, func() { _ = w.c.SetDeadline(time.Now()) })
	defer stop()
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	var fr []byte
	t0 := time.Now()
	end := t0.Add(d)
	var n int64
	// The last write and the pong wait for what the kernels hold to drain
	// at the board's pace: an emulated board's socket takes 16 KiB or more
	// (SocketBuffer) beside the client's own, 3 s at a 296 B window behind
	// a 0.56 Mbit/s link, so the grace is not scaled down below 10 s.
	grace := max(o.dur(10*time.Second), 10*time.Second)
	for time.Now().Before(end) {
		_ = w.c.SetWriteDeadline(end.Add(grace))
		fr = w.frame(fr[:0], core.OpBinary, payload)
		if _, err := w.c.Write(fr); err != nil {
			return Point{}, err
		}
		n++
	}
	_ = w.c.SetWriteDeadline(time.Time{})
	if _, err := w.c.Write(w.frame(nil, core.OpPing, []byte("calibrate"))); err != nil {
		return Point{}, err
	}
	_ = w.c.SetReadDeadline(time.Now().Add(3 * grace))
	for {
		op, _, err := w.read()
		if err != nil {
			return Point{}, fmt.Errorf("upload: no pong after %d messages: %w", n, err)
		}
		if op == core.OpPong {
			break
		}
	}
	el := time.Since(t0).Seconds()
	return Point{Size: size, Clients: 1, N: n, Msgs: float64(n) / el, MBps: float64(n) * float64(size) / el / 1e6, Dur: d.Seconds()}, nil
}

// idle opens one WebSocket, sends nothing and waits up to IdleWait for a
// ping (answered with a pong) and for the board to drop it.
func (o *Options) idle(ctx context.Context) (pingAfter, dropAfter float64) {
	w, err := o.dialWS(ctx, "", 0)
	if err != nil {
		return 0, 0
	}
	defer w.c.Close()
	t0 := time.Now()
	_ = w.c.SetReadDeadline(t0.Add(o.IdleWait))
	stop := context.AfterFunc(ctx, func() { _ = w.c.SetReadDeadline(time.Now()) })
	defer stop()
	for {
		op, body, err := w.read()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return pingAfter, 0
			}
			return pingAfter, time.Since(t0).Seconds()
		}
		switch op {
		case core.OpPing: // answer it, as a browser does
			if pingAfter == 0 {
				pingAfter = time.Since(t0).Seconds()
			}
			_, _ = w.c.Write(w.frame(nil, core.OpPong, body))
		case core.OpClose:
			return pingAfter, time.Since(t0).Seconds()
		}
	}
}
