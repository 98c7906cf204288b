//go:build linux

package calibrate

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/montanaflynn/stats"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
)

// Figure is one fitted model figure and how well the probes constrained it.
type Figure struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Measured bool    `json:"measured"` // false: assumed from the nearest preset
	Source   string  `json:"source"`
	// Err is the figure's standard error where the probe gives one
	// (0: not estimated).
	Err float64 `json:"err,omitempty"`
}

// Fit is the model fitted to a board's probes.
type Fit struct {
	Nearest string         `json:"nearest_preset"`
	Twin    catalog.Preset `json:"-"`
	Figures []Figure       `json:"figures"`
	Rounds  []TwinRound    `json:"rounds"` // the refinement against the twin
	Meas    *Measurements  `json:"-"`
	opts    Options
}

// TwinRound is one refinement round: the twin's figures and the measured
// ones they were corrected towards.
type TwinRound struct {
	RTTms, CPUScale, Mbps float64
	Rx, Tx                int
	P50, Rate, Down, Up   float64 // the twin's
}

// Figure returns the figure called name (zero when absent).
func (f *Fit) Figure(name string) Figure {
	for _, x := range f.Figures {
		if x.Name == name {
			return x
		}
	}
	return Figure{}
}

func (f *Fit) add(name string, v float64, unit string, measured bool, format string, a ...any) {
	f.Figures = append(f.Figures, Figure{Name: name, Value: v, Unit: unit, Measured: measured, Source: fmt.Sprintf(format, a...)})
}

// serviceSaturated returns the per-message service time (s) from the
// saturated rate, the rate point it came from and whether the rate had
// stopped growing (else the service time is an upper bound).
func (m *Measurements) serviceSaturated() (float64, Point, bool) {
	// The closed-loop points (one message in flight per client): the
	// pipelined one amortises segments and airtime over several messages,
	// so it is shown in the report, not fitted.
	rs := m.closedRate()
	var best Point
	for _, p := range rs {
		if p.Msgs > best.Msgs {
			best = p
		}
	}
	last := rs[len(rs)-1]
	sat := len(rs) >= 3 && (last.Clients > best.Clients || last.Msgs < 1.1*rs[len(rs)-2].Msgs)
	// Or more messages in flight per client got no more through: the
	// closed loop was saturated, or else the window that saturated it is
	// the point (its twin is measured with the same window).
	prev := best.Msgs
	for _, p := range m.Rate {
		if sat {
			break
		}
		if p.Window <= 1 || p.Msgs <= 0 {
			continue
		}
		if p.Msgs < 1.1*prev {
			sat = true
			break
		}
		best, prev = p, p.Msgs
	}
	if best.Msgs <= 0 {
		return 0, best, false
	}
	return 1 / best.Msgs, best, sat
}

// closedRate is the rate ramp's closed-loop points.
func (m *Measurements) closedRate() []Point {
	var rs []Point
	for _, p := range m.Rate {
		if p.Window <= 1 {
			rs = append(rs, p)
		}
	}
	return rs
}

// smallEcho is the one-client small-message echo point.
func (m *Measurements) smallEcho() Point { return m.Echo[0] }

// predicted figures of a preset, for choosing the nearest one. At
// saturation the CPU is the bottleneck: the channel runs beside it, and the
// frames of the clients queued behind one access ride it (host's channel
// aggregates them), so the channel adds little per message; the service
// time is the CPU's alone, unless even one access per message in each
// direction would take longer.
func presetService(p catalog.Preset) float64 {
	return float64(max(p.CPU.MessageCost(32), p.Link.Airtime)) / 1e9
}

func presetP50(p catalog.Preset) float64 {
	return float64(p.Link.RTT+p.CPU.Handoff+p.CPU.Wake+p.CPU.MessageCost(32)+2*p.Link.Airtime) / 1e9
}

// Nearest returns the catalog preset closest to the measurements: the same
// refusal mode first, then slots, message cap, service time and round
// trip on a log scale.
func Nearest(m *Measurements) catalog.Preset {
	s, _, _ := m.serviceSaturated()
	p50 := m.smallEcho().P50 / 1e3
	best, bestScore := catalog.Preset{}, math.Inf(1)
	lr := func(a, b float64) float64 {
		if a <= 0 || b <= 0 {
			return 1
		}
		return math.Abs(math.Log(a / b))
	}
	for _, p := range catalog.All() {
		score := 0.0
		if m.Refusal != "" && p.Board.FailMode.String() != m.Refusal {
			score += 10
		}
		if m.Held > 0 {
			score += lr(float64(m.Held), float64(p.Board.Slots))
		}
		if m.Cap > 0 {
			score += lr(float64(m.Cap), float64(p.Board.MaxMessage))
		}
		score += lr(s, presetService(p)) + lr(p50, presetP50(p))
		if score < bestScore {
			best, bestScore = p, score
		}
	}
	return best
}

// scaleCPU returns c with every cost multiplied by k (the pure hand-off
// delay stays: it is the preset's structure, not work).
func scaleCPU(c host.CPU, k float64) host.CPU {
	s := func(v int64) int64 { return int64(float64(v) * k) }
	c.Wake, c.Accept, c.Request, c.Handshake = s(c.Wake), s(c.Accept), s(c.Request), s(c.Handshake)
	c.MsgIn, c.MsgOut, c.Close, c.Segment = s(c.MsgIn), s(c.MsgOut), s(c.Close), s(c.Segment)
	c.ByteIn, c.ByteOut = c.ByteIn*k, c.ByteOut*k
	return c
}

// twinParams are the continuous figures the refinement adjusts.
type twinParams struct {
	k   float64 // CPU scale against the nearest preset
	rtt int64   // ns
	bps int64
	rx  int
	tx  int   // the send buffer
	air int64 // ns of one channel access
}

func (f *Fit) build(base catalog.Preset, tp twinParams) catalog.Preset {
	p := base
	p.CPU = scaleCPU(base.CPU, tp.k)
	p.Link.RTT, p.Link.Bps, p.Link.Airtime = tp.rtt, tp.bps, tp.air
	p.Board.RxBuf = tp.rx
	if tp.tx > 0 {
		p.Board.TxBuf = tp.tx
	}
	p.Board.HeapBudget = 0 // the budget is settled after the fit
	return p
}

// twinProbe measures the twin's figures the refinement uses.
type twinFigures struct{ p50, rate, down, up, down2, up2 float64 }

// What measureTwin measures.
const (
	twinLatency = 1 << iota // p50 and rate
	twinDown
	twinUp
	twinAll = twinLatency | twinDown | twinUp
	// twinRate: the rate point alone (the CPU's sensitivity).
	twinRate = 1 << 3
	// twinDown2, twinUp2: the two-connection download, upload.
	twinDown2 = 1 << 4
	twinUp2   = 1 << 5
)

func (f *Fit) measureTwin(ctx context.Context, p catalog.Preset, sat Point, what int) (twinFigures, error) {
	// A fresh seed each time: a freshly started twin with the model's seed
	// would meet the same first stalls in every round.
	if p.Link.Tails.On() {
		p.Link.Tails.Seed = rand.Uint64()
	}
	srv, err := StartTwin(p, "127.0.0.1:0")
	if err != nil {
		return twinFigures{}, err
	}
	defer srv.Close()
	o := f.opts
	o.Target, o.Log = srv.WSURL("/ws"), nil
	var tf twinFigures
	if what&twinLatency != 0 {
		e, err := o.echo(ctx, 1, 32, o.dur(5*time.Second), nil)
		if err != nil {
			return tf, err
		}
		tf.p50 = e.P50
	}
	if what&(twinLatency|twinRate) != 0 {
		d := o.dur(5 * time.Second)
		if sat.Dur > 0 {
			d = time.Duration(sat.Dur * 1e9) // as long as the board's point
		}
		if r, err := o.echoW(ctx, sat.Clients, 32, sat.Window, d, nil); err == nil {
			tf.rate = r.Msgs
		}
	}
	if d, ok := f.Meas.largest(f.Meas.Down); ok && what&twinDown != 0 {
		if x, err := o.down(ctx, d.Size, o.dur(thrDur)); err == nil {
			tf.down = x.MBps
		}
	}
	if u, ok := f.Meas.largest(f.Meas.Up); ok && what&twinUp != 0 {
		if x, err := o.up(ctx, u.Size, o.dur(thrDur)); err == nil {
			tf.up = x.MBps
		}
	}
	if d, ok := f.Meas.downPair(); ok && what&twinDown2 != 0 {
		if x, err := o.downPair(ctx, d.Size, o.dur(thrDur)); err == nil {
			tf.down2 = x.MBps
		}
	}
	if u, ok := f.Meas.upPair(); ok && what&twinUp2 != 0 {
		if x, err := o.upPair(ctx, u.Size, o.dur(thrDur)); err == nil {
			tf.up2 = x.MBps
		}
	}
	return tf, ctx.Err()
}

// largest is the one-connection point of the largest size that measured
// a rate.
func (m *Measurements) largest(ps []Point) (Point, bool) {
	var b Point
	for _, p := range ps {
		if p.Size > b.Size && p.MBps > 0 && p.Clients <= 1 {
			b = p
		}
	}
	return b, b.Size > 0
}

// StartTwin starts the emulated board a preset (or a model file's preset)
// describes, as `wslab board` does.
func StartTwin(p catalog.Preset, listen string) (*host.Server, error) {
	return host.Start(host.Options{Board: p.Board, Listen: listen, Link: p.Link, CPU: p.CPU})
}

// FitModel fits a model to m: the discrete figures exactly from the
// connect ramp and the ladder, the nearest preset's structure (hand-offs,
// wake-up, the CPU's split, cores, queue, tx, budget, the tail's shape,
// jitter, loss and power save) for what the probes cannot separate, the
// continuous figures (CPU cost, round trip, bandwidth, window, and the
// send buffer where two connections' download says it binds: the board
// frees it as the client has the bytes) refined against a twin run with
// the same probes until its figures meet the measured ones (the CPU where
// the rate follows it on the twin, even if the ramp did not flatten), then the heavy tail (probability, minimum: fitTails, on
// the twin's body) and the channel access (airFit, on two twins), each
// marked measured only where the probes resolved it. o bounds the twin's
// probes.
func FitModel(ctx context.Context, m *Measurements, o Options, name string) (*Fit, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if len(m.Echo) == 0 || len(m.Rate) == 0 {
		return nil, fmt.Errorf("calibrate: no echo measured: nothing to fit")
	}
	f := &Fit{Meas: m, opts: o}
	base := Nearest(m)
	f.Nearest = base.Name
	assumed := func(field string) string {
		return fmt.Sprintf("assumed from preset %s: %s", base.Name, base.Sources[field])
	}
	b := base.Board
	b.Model = name
	// Slots and refusal mode, exactly.
	if m.Refusal != "" && m.Refusal != "unknown" {
		fm, _ := firmware.ParseFailMode(m.Refusal)
		b.Slots, b.FailMode = m.Held, fm
		f.add("slots", float64(m.Held), "", true, "measured: connect ramp of %d: %s", m.Attempted, m.ConnectNote)
		f.add("fail", float64(fm), m.Refusal, true, "measured: connect ramp: the %s newcomer met %s", ordinal(m.Held+1), m.Refusal)
		if fm == firmware.FailBacklog {
			if n := m.Kinds["backlog_held"]; n > 0 {
				b.Backlog = int(n)
				f.add("backlog", float64(n), "", true, "measured: connect ramp: %d newcomers hung in the backlog before SYNs went unanswered", n)
			} else {
				f.add("backlog", float64(b.Backlog), "", false, "%s", assumed("fail"))
			}
		}
	} else {
		b.Slots = max(b.Slots, m.Held)
		f.add("slots", float64(b.Slots), "", false, "the connect ramp of %d saw no refusal (%s): at least %d; %s", m.Attempted, m.ConnectNote, m.Held, assumed("slots"))
		f.add("fail", float64(b.FailMode), b.FailMode.String(), false, "%s", assumed("fail"))
	}
	// The message cap, exactly.
	if m.Cap > 0 {
		b.MaxMessage = m.Cap
		f.add("max_message", float64(m.Cap), "B", true, "measured: ladder: %s", m.LadderAnswer)
	} else {
		f.add("max_message", float64(b.MaxMessage), "B", false, "ladder: %q; %s", m.LadderAnswer, assumed("max_message"))
	}
	base.Board = b
	// The continuous figures: first guesses, then refinement.
	s, _, saturated := m.serviceSaturated()
	// The twin's rate is compared at the most clients the ramp reached
	// (where a saturated board's rate no longer depends on the latency).
	// With messages in flight the clients' frames queue behind each other's
	// channel accesses and ride them, so the CPU, not the channel, bounds
	// the rate: the fastest point (most in flight) is where the twin's CPU
	// is fitted (the twin is measured with the same clients and window;
	// it coalesces segments as the board does). The closed loop alone can
	// be bound by the channel's accesses as much as by the CPU.
	cr := m.closedRate()
	sat := cr[len(cr)-1]
	for _, p := range m.Rate {
		if p.Msgs > sat.Msgs {
			sat = p
		}
	}
	e1 := m.smallEcho()
	mc := float64(base.CPU.MessageCost(32)) / 1e9
	tp := twinParams{k: 1, rtt: base.Link.RTT, bps: base.Link.Bps, rx: b.RxBuf, tx: b.TxBuf}
	// bounded: the rate did not saturate, but the board served more
	// messages than the preset's CPU could: its cost per message is at
	// most 1/rate (a foreign server on a fast CPU).
	bounded, cpuWhy := false, ""
	if mc > 0 && !saturated && sat.Msgs > 0 {
		// The ramp did not flatten, but its fastest point may still be
		// bound by the CPU (messages in flight share segments, so the
		// cost of a small echo alone says little of a pipelined rate):
		// the preset's twin at that point, and with its CPU half as fast
		// again, say whether the rate follows the CPU there.
		t1, t2 := tp, tp
		t2.k = 1.5
		r1, e1 := f.measureTwin(ctx, f.build(base, t1), sat, twinRate)
		r2, e2 := f.measureTwin(ctx, f.build(base, t2), sat, twinRate)
		if e1 == nil && e2 == nil && r1.rate > 0 && r2.rate > 0 {
			cpuWhy = fmt.Sprintf("the preset's twin at %d clients x%d: %.1f msgs/s, %.1f with its CPU x1.5", sat.Clients, max(sat.Window, 1), r1.rate, r2.rate)
			// Only where that twin runs near the board's rate does its
			// sensitivity speak for the board (a foreign server on a fast
			// CPU serves several times the preset's: an upper bound).
			if r2.rate < 0.8*r1.rate && r1.rate > sat.Msgs/2 && r1.rate < 2*sat.Msgs {
				saturated = true // the CPU binds the rate at that point
				cpuWhy += ": the rate follows the CPU"
				tp.k = clamp(r1.rate/sat.Msgs, 0.05, 50)
			}
			o.logf("cpu: %s", cpuWhy)
		}
	}
	if mc > 0 && saturated {
		// The saturated service time is the CPU's: the channel's accesses
		// run beside it and are shared by the queued clients' frames.
		if cpuWhy == "" {
			tp.k = clamp(1/sat.Msgs/mc, 0.05, 50)
		}
	} else if mc > 0 && sat.Msgs > 0 && 1/sat.Msgs < mc {
		// An upper bound, found on the twin: the preset's CPU (k 1) unless
		// its twin serves less than the board did (the rounds lower it).
		bounded = true
	}
	// Unsaturated, the rate says nothing more of the CPU: the preset's (k
	// 1), or the bound.
	// The channel's access is fitted after the rounds (airFit); the
	// rounds run the preset's.
	tp.air = base.Link.Airtime
	// The tail: fitted after the rounds on the twin's body (its echo
	// without the heavy tail); the rounds run the preset's.
	presetTails := base.Link.Tails
	// A lone client's echo: the wire, the hand-off, the wake-up of an idle
	// core, the CPU, and two channel accesses (one each way, alone).
	tp.rtt = max(0, int64(e1.P50*1e6)-int64(float64(base.CPU.MessageCost(32)+base.CPU.Wake)*tp.k)-base.CPU.Handoff-2*tp.air)
	down, haveDown := m.largest(m.Down)
	up, haveUp := m.largest(m.Up)
	// The link carries at least the goodput either way plus the headers
	// (a tenth at an MSS of 536): a floor under the bandwidth, whichever
	// direction bounds it (a download bound by the send buffer over the
	// round trip says less of the link than an upload the link bounds).
	up2, haveUp2 := m.upPair()
	down2, haveDown2 := m.downPair()
	// The payload is a floor under the link's rate, whichever way it
	// goes (headers come on top: not counted, so it is a floor).
	bpsFloor := int64(max(down.MBps, up.MBps, up2.MBps, down2.MBps) * 8e6)
	// The send buffer against the link: a download that two connections
	// at once get about twice of is bound by each connection's send
	// buffer over its round (the board frees it as the client has the
	// bytes: channel access, wire, tail), not by the shared link. Then the
	// download fits the send buffer.
	txBound := haveDown && haveDown2 && down2.MBps >= 1.5*down.MBps
	// The link is fitted to the probe that came closest to it: the
	// two-connection download or upload wherever it moved more than one
	// connection's download. One connection's stalls (a tail, a doze, the
	// send buffer's round) leave the link idle, and the twin's stalls are
	// fitted after the link (the rounds run the preset's tail): a random
	// board whose one-connection download ran at 67% of its link and two
	// connections' at 91% was fitted 9.2% low from the one (its twin's
	// downloads 0.90-0.94 of the board's); three random boards in a row
	// came out 7.6-12.4% low.
	twinLink := m.linkProbe()
	lkName, lkBoard := "download", down.MBps
	lkTwin := func(t twinFigures) float64 { return t.down }
	switch twinLink {
	case twinDown2:
		lkName, lkBoard = "download on two connections", down2.MBps
		lkTwin = func(t twinFigures) float64 { return t.down2 }
	case twinUp2:
		lkName, lkBoard = "upload on two connections", up2.MBps
		lkTwin = func(t twinFigures) float64 { return t.up2 }
	}
	pairLink := twinLink != twinDown
	if txBound {
		o.logf("send buffer: download %.3f MB/s, two connections at once %.3f MB/s: bound by each connection's send buffer; the link from the %s (%.3f MB/s)",
			down.MBps, down2.MBps, lkName, lkBoard)
	} else if pairLink {
		o.logf("link: download %.3f MB/s, two connections at once %.3f MB/s: the link from the %s (%.3f MB/s), the probe nearest it",
			down.MBps, down2.MBps, lkName, lkBoard)
	}
	if haveDown && tp.bps > 0 {
		// bandwidth = the link probe (the rounds raise it when the twin's
		// is bound elsewhere).
		tp.bps = max(int64(lkBoard*8e6*1.05), bpsFloor)
	}
	if haveUp {
		// window = upload rate x the window's round: the window update's
		// channel access, the wire's round trip, the bytes' own access and
		// their time on the link (that share of the round: rate/link). The
		// board's CPU on them is left to the rounds.
		busy := 0.0
		if tp.bps > 0 {
			busy = min(up.MBps*8e6/float64(tp.bps), 0.5)
		}
		tp.rx = int(clamp(up.MBps*1e6*float64(tp.rtt+2*tp.air)/1e9/(1-busy), firmware.MinRxBuf, 1<<20))
	}
	var tf twinFigures
	bestTP, bestTF, bestErr := tp, twinFigures{}, math.Inf(1)
	// Each round's twin says which CPU scale would meet the board's rate
	// (the rate follows 1/k); a twin's saturated rate over a short probe
	// varies between two runs of the same figures (its CPU's spread, the
	// queue's start-up within a probe of a second or two at the test's
	// scale), so the scale is the geometric mean of what every round
	// says, not the one round that came closest.
	var ks []float64
	prevRx, prevUp := 0, 0.0 // the last round's window and the twin's upload
	for round := range 4 {
		twin := f.build(base, tp)
		var err error
		tf, err = f.measureTwin(ctx, twin, sat, twinAll|twinLink)
		if err != nil {
			return f, fmt.Errorf("calibrate: the twin: %w", err)
		}
		f.Rounds = append(f.Rounds, TwinRound{RTTms: float64(tp.rtt) / 1e6, CPUScale: tp.k, Mbps: float64(tp.bps) / 1e6, Rx: tp.rx, Tx: tp.tx,
			P50: tf.p50, Rate: tf.rate, Down: tf.down, Up: tf.up})
		o.logf("twin round %d: rtt %.2f ms, cpu x%.3f, %.2f Mbit/s, rx %d, tx %d, airtime %.2f ms: p50 %.2f/%.2f ms, rate %.1f/%.1f, down %.3f/%.3f, up %.3f/%.3f MB/s, %s %.3f/%.3f (twin/measured)",
			round+1, float64(tp.rtt)/1e6, tp.k, float64(tp.bps)/1e6, tp.rx, tp.tx, float64(tp.air)/1e6, tf.p50, e1.P50, tf.rate, sat.Msgs, tf.down, down.MBps, tf.up, up.MBps, lkName, lkTwin(tf), lkBoard)
		// The round whose twin came closest is the fit (each round's
		// figures are as noisy as the board's).
		lerr := func(a, b float64) float64 {
			if a <= 0 || b <= 0 {
				return 0
			}
			return math.Pow(math.Log(a/b), 2)
		}
		rateErr := lerr(tf.rate, sat.Msgs)
		if !saturated && !(bounded && tf.rate < sat.Msgs) {
			rateErr = 0
		}
		lkErr := 0.0
		if pairLink {
			lkErr = lerr(lkTwin(tf), lkBoard)
		}
		if e := lerr(tf.p50, e1.P50) + rateErr + lerr(tf.down, down.MBps) + lerr(tf.up, up.MBps) + lkErr; e < bestErr {
			bestTP, bestTF, bestErr = tp, tf, e
		}
		if tf.rate > 0 && saturated {
			ks = append(ks, clamp(impliedK(tp.k, tf.rate, sat.Msgs), 0.05, 50))
		}
		done := near(tf.p50, e1.P50, 0.04) && (!saturated || near(tf.rate, sat.Msgs, 0.04)) && (!bounded || tf.rate >= 0.96*sat.Msgs) &&
			(!haveDown || near(tf.down, down.MBps, 0.04)) && (!haveUp || near(tf.up, up.MBps, 0.04)) &&
			(!pairLink || near(lkTwin(tf), lkBoard, 0.04))
		if done || round == 3 {
			break
		}
		if tf.rate > 0 && saturated {
			tp.k = ks[len(ks)-1]
		} else if tf.rate > 0 && bounded && tf.rate < sat.Msgs {
			tp.k = clamp(impliedK(tp.k, tf.rate, sat.Msgs), 0.001, 1)
		}
		tp.rtt = max(0, tp.rtt+int64((e1.P50-tf.p50)*1e6))
		if haveDown {
			tp.bps = bpsStep(tp.bps, bpsFloor, lkTwin(tf), lkBoard)
		}
		if txBound && tf.down > 0 {
			// send buffer = download rate x its round, refined.
			tp.tx = int(clamp(float64(tp.tx)*clamp(down.MBps/tf.down, 0.25, 4), firmware.MinTxBuf, firmware.MaxBuf))
		}
		if haveUp && tf.up > 0 {
			// The upload goes as window^s: s 1 where the window alone
			// binds it, less where the link, the CPU or the channel share
			// the round (esp8266: ~0.35). s is read from the last two
			// rounds where the window moved by a tenth or more (clamped to
			// 0.2-1: each upload is a few percent noisy), else 1.
			sens := 1.0
			if prevRx > 0 && prevUp > 0 && math.Abs(math.Log(float64(tp.rx)/float64(prevRx))) >= 0.1 {
				sens = clamp(math.Log(tf.up/prevUp)/math.Log(float64(tp.rx)/float64(prevRx)), 0.2, 1)
			}
			prevRx, prevUp = tp.rx, tf.up
			tp.rx = int(clamp(float64(tp.rx)*clamp(math.Pow(up.MBps/tf.up, 1/sens), 0.25, 4), firmware.MinRxBuf, 1<<20))
		}
	}
	tp, tf = bestTP, bestTF
	if len(ks) >= 2 {
		tp.k, _ = stats.GeometricMean(ks)
		o.logf("cpu: x%.3f, the geometric mean of the scales %d rounds' twins call for", tp.k, len(ks))
		// The round trip again at that scale: the closest round's was
		// fitted beside its own (a CI run's closest round, at another
		// scale, left it 2.7 ms over a board's 0.5 ms, and the tail and
		// the access are read against a twin with it).
		tp = f.repass(ctx, base, tp, sat, e1, false, false, "the round trip at the rounds' CPU")
	}
	// The heavy tail: the board's small-echo quantiles against the twin's
	// body (the same echo on the twin without the heavy tail: its CPU
	// spread, jitter and loss), a mixture fitted on the grid.
	tl, tailSeen, tailWhy := presetTails, false, ""
	{
		body := base
		body.Link.Tails.TailP = 0
		bt := f.build(body, tp)
		if bt.Link.Tails.On() {
			bt.Link.Tails.Seed = rand.Uint64()
		}
		var bq []float64
		if srv, err := StartTwin(bt, "127.0.0.1:0"); err == nil {
			ob := f.opts
			ob.Target, ob.Log = srv.WSURL("/ws"), nil
			if _, q, err := ob.echoTail(ctx, 32, time.Duration(e1.Dur*1e9), nil); err == nil {
				bq = q
			}
			srv.Close()
		}
		tl, tailSeen, tailWhy = fitTails(e1, bq, presetTails)
		o.logf("tail: %s", tailWhy)
	}
	base.Link.Tails = tl
	// Power save, from the sparse echo against the closed loop.
	var psSeen bool
	var psWhy string
	tl.PowerSave, tl.DTIM, psSeen, psWhy = fitPowerSave(e1, m.Sparse, presetTails)
	if tl.PowerSave && psSeen {
		tl.DTIM, psWhy = f.dtimOnTwin(ctx, base, tp, m.Sparse, psWhy)
	}
	o.logf("power save: %s", psWhy)
	base.Link.Tails = tl
	// The window from every upload size at once (windowJoint).
	jointWhy := ""
	var slopes []float64
	if haveUp {
		tp.rx, slopes, jointWhy = f.windowJoint(ctx, base, tp)
	}
	// The channel's access (airFit): the wire round trip gives up what
	// the small echo's two accesses gain.
	air := f.airFit(ctx, base, tp)
	o.logf("airtime: %s", air.why)
	// The window again, from the echoes' steps (windowSearch).
	rxWhy, txWhy := "", ""
	if haveUp {
		tp.rx, air, rxWhy = f.windowSearch(ctx, base, tp, air)
		rxWhy = jointWhy + rxWhy
	}
	// The send buffer again, from the echoes' steps, where the downloads
	// measured it.
	if txBound {
		tp.tx, air, txWhy = f.txSearch(ctx, base, tp, air)
	}
	if air.ok {
		// The small echo holds its two accesses beside the wire, the CPU
		// and the hand-off: an access longer than it leaves room for (a
		// slow link's few, noisy large echoes) is held to that room.
		d := int64(air.a) - tp.air
		if d > tp.rtt/2 {
			d = tp.rtt / 2
			air.why += fmt.Sprintf("; held to %.2f ms, the room the small echo leaves beside the CPU and the hand-off", float64(tp.air+d)/1e6)
		}
		tp.air += d
		tp.rtt = max(0, tp.rtt-2*d)
	}
	// The CPU and the round trip again, with the fitted tail and channel
	// access in the twin (the rounds above ran the preset's).
	if tailSeen || air.ok {
		tp = f.repass(ctx, base, tp, sat, e1, saturated, bounded, "second pass (fitted tail and airtime)")
	}
	// The window once more, on the twin with every other figure final.
	if haveUp && slopes != nil {
		var why string
		tp.rx, why = f.windowCheck(ctx, base, tp, slopes, air)
		rxWhy += why
	}
	// The window's pattern of pieces, from every echo on that twin.
	if haveUp && slopes != nil {
		var why string
		tp.rx, why = f.echoCheck(ctx, base, tp)
		rxWhy += why
	}
	// The bandwidth once more, on that twin (linkCheck).
	linkWhy := ""
	if haveDown && tp.bps > 0 {
		tp.bps, linkWhy = f.linkCheck(ctx, base, tp, sat, twinLink, lkTwin, lkBoard, bpsFloor)
		o.logf("bandwidth%s", linkWhy)
	}
	// The window and the bandwidth together, from the echoes' shared
	// shift (jointCheck).
	if haveDown && haveUp && tp.bps > 0 && slopes != nil {
		var why string
		tp, why = f.jointCheck(ctx, base, tp, sat, twinLink, lkTwin, lkBoard, bpsFloor)
		rxWhy += why
		linkWhy += why
	}
	// The send buffer once more, from every download on that twin.
	if txBound {
		var why string
		hold := air.ok && air.chi <= oddChi
		if !hold {
			// The access's line did not settle, but the echoes may still
			// sit on the final twin's: then their replies' pattern at its
			// send buffer holds it as well (echoesFit).
			var w string
			hold, w = f.echoesFit(ctx, base, tp)
			txWhy += w
		}
		tp.tx, why = f.txCheck(ctx, base, tp, hold)
		txWhy += why
	}
	// How well the probes constrain bandwidth and window: the twin at
	// half and at twice the figure. The bandwidth is seen where the
	// twin's link probe falls by a quarter at half of it and follows it
	// steeply enough from half to twice it (linkSeen).
	bpsSeen, rxSeen, rxShared := false, false, false
	rxSens, bpsFollows := 0.0, 0.0
	if haveDown && tp.bps > 0 {
		lo, hi := tp, tp
		lo.bps, hi.bps = tp.bps/2, tp.bps*2
		tl, el := f.measureTwin(ctx, f.build(base, lo), sat, twinLink)
		th, eh := f.measureTwin(ctx, f.build(base, hi), sat, twinLink)
		bpsSeen, bpsFollows = linkSeen(lkTwin(tl), lkTwin(tf), lkTwin(th))
		bpsSeen = bpsSeen && el == nil && eh == nil
		o.logf("bandwidth seen: %v (twin %s %.3f MB/s at half, %.3f at twice the bandwidth: as bandwidth^%.2f over that span)", bpsSeen, lkName, lkTwin(tl), lkTwin(th), bpsFollows)
	}
	// A bandwidth the probes did not see is the nearest preset's (or the
	// downloads' floor), and the window fitted beside the bandwidth the
	// rounds left is fitted again beside that one (windowRefit).
	assumedBps := max(base.Link.Bps, int64(down.MBps*8e6*1.05), bpsFloor)
	if haveDown && tp.bps > 0 && !bpsSeen {
		if haveUp {
			var why string
			tp.rx, why = f.windowRefit(ctx, base, tp, assumedBps, air)
			rxWhy += why
		}
		tp.bps = assumedBps
	}
	if haveUp {
		lo, hi := tp, tp
		lo.rx, hi.rx = max(firmware.MinRxBuf, tp.rx/2), min(2*tp.rx, 1<<20)
		tl, el := f.measureTwin(ctx, f.build(base, lo), sat, twinUp)
		th, eh := f.measureTwin(ctx, f.build(base, hi), sat, twinUp)
		lowNote := "half"
		if el != nil || tl.up <= 0 {
			// A twin that moves nothing at half the window (a random
			// board's 296 B behind a 0.56 Mbit/s link and 3 ms accesses:
			// not one 5640 B message written in 5 s) says nothing of how
			// the upload follows the window: the windowJoint's lower
			// point, x1/1.25, instead.
			lo.rx = max(firmware.MinRxBuf, int(float64(tp.rx)/1.25))
			o.logf("window seen: the twin's upload at %d B, half the window, moved nothing: at %d B instead", tp.rx/2, lo.rx)
			tl, el = f.measureTwin(ctx, f.build(base, lo), sat, twinUp)
			lowNote = fmt.Sprintf("%d B", lo.rx)
		}
		// Seen where the upload follows the window between the low end
		// (half) and twice it as window^0.29 or more (x1.5 over the
		// fourfold span), both ends measured now: the rounds' own upload
		// was measured at another window (windowJoint moves it after
		// them; a random board's 0.016 at half against a round's 0.021 at
		// 524 B, not the fit's 588 B, read as not seen, and the twin took
		// the preset's 5760 B window against the board's 516: its upload
		// 3.4x the board's).
		if el == nil && eh == nil {
			rxSens, rxSeen = windowFollows(tl.up, th.up, lo.rx, hi.rx)
		}
		o.logf("window seen: %v (twin upload %.3f MB/s at %s, %.3f at twice the window: as window^%.2f)", rxSeen, tl.up, lowNote, th.up, rxSens)
		// The board's own word: two connections' upload got no more
		// than one's, so the shared link (or the CPU), not each
		// connection's window, bound it; the twin's window then traded
		// against its bandwidth.
		if rxSeen && haveUp2 && up2.MBps < 1.2*up.MBps {
			rxSeen, rxShared = false, true
			o.logf("window not seen after all: two connections' upload %.3f MB/s against one's %.3f", up2.MBps, up.MBps)
		}
	}
	sn := "saturated"
	if !saturated {
		sn = "NOT saturated: an upper bound"
	}
	_, best, _ := m.serviceSaturated()
	if cpuWhy != "" {
		sn += " (" + cpuWhy + ")"
	}
	f.add("service", s*1e3, "ms", saturated, "measured: 1/saturated rate, %.1f msgs/s at %d clients (n %d, %s)", best.Msgs, best.Clients, best.N, sn)
	if saturated {
		f.add("cpu_message", float64(scaleCPU(base.CPU, tp.k).MessageCost(32))/1e6, "ms", true,
			"fitted: preset %s's CPU costs x%.3f so the twin's saturated rate (%.1f msgs/s at %d clients x%d in flight) meets the measured one; its split (per message, segment, byte, hand-off %s) assumed from %s",
			base.Name, tp.k, sat.Msgs, sat.Clients, max(sat.Window, 1), time.Duration(base.CPU.Handoff), base.Name)
	} else if bounded {
		f.add("cpu_message", float64(scaleCPU(base.CPU, tp.k).MessageCost(32))/1e6, "ms", false,
			"an upper bound: the rate did not saturate (%.1f msgs/s at %d clients x%d in flight, more than preset %s's CPU serves): its costs x%.3g so the twin serves at least that rate; the true cost may be lower",
			sat.Msgs, sat.Clients, max(sat.Window, 1), base.Name, tp.k)
	} else {
		f.add("cpu_message", float64(base.CPU.MessageCost(32))/1e6, "ms", false,
			"the rate did not saturate at %d clients (the board holds no more): %s", sat.Clients, assumed("cpu"))
	}
	f.add("rtt", float64(tp.rtt)/1e6, "ms", true, "measured: p50 of the one-client %d B echo %.2f ms (n %d, p99 %.2f ms) less the service time and preset %s's hand-off %s (assumed)",
		e1.Size, e1.P50, e1.N, e1.P99, base.Name, time.Duration(base.CPU.Handoff))
	if bpsSeen {
		f.add("link_bps", float64(tp.bps)/1e6, "Mbit/s", true, "measured: %s of %d B messages %.3f MB/s; the twin's follows the bandwidth%s", lkName, down.Size, lkBoard, linkWhy)
	} else {
		f.add("link_bps", float64(tp.bps)/1e6, "Mbit/s", false, "%s of %d B messages %.3f MB/s is not link-bound (the twin's follows the bandwidth as bandwidth^%.2f between half and twice it, under ^%.2f: a probe 5%% off would move it over %.0f%%); download %.3f MB/s: at least %.2f Mbit/s; %s",
			lkName, down.Size, lkBoard, bpsFollows, linkFollow, 5/max(bpsFollows, 0.05), down.MBps, down.MBps*8, assumed("link"))
	}
	if rxSeen {
		f.add("rx", float64(tp.rx), "B", true, "measured: upload of %d B messages %.3f MB/s (n %d; two connections at once %.3f MB/s) is window-bound: window = rate x round trip, refined on the twin (whose upload goes as window^%.2f about it: an upload 5%% off moves the window %.0f%%)%s", up.Size, up.MBps, up.N, up2.MBps, rxSens, 5/max(rxSens, 0.05), rxWhy)
	} else if rxShared {
		tp.rx = base.Board.RxBuf
		f.add("rx", float64(tp.rx), "B", false, "upload %.3f MB/s is not window-bound: two connections at once got %.3f MB/s, no more (the link or the CPU binds it); %s", up.MBps, up2.MBps, assumed("buffers"))
	} else {
		tp.rx = base.Board.RxBuf
		f.add("rx", float64(tp.rx), "B", false, "upload %.3f MB/s is not window-bound (two connections: %.3f MB/s); %s", up.MBps, up2.MBps, assumed("buffers"))
	}
	if txBound {
		f.add("tx", float64(tp.tx), "B", true, "measured: download of %d B messages %.3f MB/s (n %d; two connections at once %.3f MB/s) is send-buffer bound: send buffer = rate x its round, refined on the twin%s",
			down.Size, down.MBps, down.N, down2.MBps, txWhy)
	} else {
		tp.tx = b.TxBuf
		f.add("tx", float64(b.TxBuf), "B", false, "download %.3f MB/s is not send-buffer bound (two connections: %.3f MB/s); %s", down.MBps, down2.MBps, assumed("buffers"))
	}
	f.add("airtime", float64(tp.air)/1e6, "ms", air.ok, "%s", air.why)
	f.Figures[len(f.Figures)-1].Err = air.err / 1e6
	if !air.ok {
		f.Figures[len(f.Figures)-1].Source += "; " + assumed("link")
	}
	if tailSeen {
		f.add("tail_p", tl.TailP, "", true, "measured: %s", tailWhy)
		// A binomial share of e1.N echoes: its standard error is the
		// sample's, whatever the fit (a seeded board's few hundred echoes
		// can hold 0.075 of tail where it draws 0.06).
		f.Figures[len(f.Figures)-1].Err = math.Sqrt(tl.TailP * (1 - tl.TailP) / float64(max(e1.N, 1)))
		f.add("tail_min", float64(tl.TailMin)/1e6, "ms", true, "measured: %s; its shape (alpha %.1f, max %s), the jitter %s, loss %.2g%% and power save %v %s",
			tailWhy, tl.TailAlpha, time.Duration(tl.TailMax), time.Duration(tl.Jitter), tl.Loss*100, tl.PowerSave, assumed("tails"))
	} else {
		f.add("tail_p", tl.TailP, "", false, "%s; %s", tailWhy, assumed("tails"))
		f.add("tail_min", float64(tl.TailMin)/1e6, "ms", false, "%s; %s", tailWhy, assumed("tails"))
	}
	ps := 0.0
	if tl.PowerSave {
		ps = dtimMs(max(tl.DTIM, 1))
	}
	if psSeen {
		f.add("power_save", ps, "ms", true, "measured: %s; the awake time after traffic assumed (%s)", psWhy, time.Duration(cmp.Or(tl.PSAwake, host.DefaultPSAwake)))
	} else {
		f.add("power_save", ps, "ms", false, "%s; %s", psWhy, assumed("tails"))
	}
	if b.QueueLen > 0 {
		f.add("queue", float64(b.QueueLen), "", false, "%s", assumed("queue"))
	}
	if m.PingAfter > 0 {
		b.PingInterval = int64(m.PingAfter * 1e9)
		f.add("ping", m.PingAfter, "s", true, "measured: an idle client was pinged after %.1f s", m.PingAfter)
	} else {
		f.add("ping", float64(b.PingInterval)/1e9, "s", false, "no ping within the %.0f s idle wait; assumed from preset %s", m.IdleWait, base.Name)
	}
	base.Board = b
	f.Twin = f.build(base, tp)
	f.Twin.Name = name
	f.Twin.Board.Model = name
	f.Twin.Description = "twin of " + m.Target + " (nearest preset " + base.Name + ")"
	// The heap budget: the probes see no RAM.
	fp := f.Twin.Board.Footprint()
	if f.Twin.Board.HeapBudget > 0 && fp.Total > f.Twin.Board.HeapBudget {
		f.Twin.Board.HeapBudget = 0
		f.add("budget", 0, "B", false, "not measured (no RAM probe); preset %s's budget does not fit the fitted buffers: unchecked", base.Name)
	} else {
		f.add("budget", float64(f.Twin.Board.HeapBudget), "B", false, "%s", assumed("budget"))
	}
	return f, ctx.Err()
}

// ModelFile is the fit as a model file, with the raw probe figures.
func (f *Fit) ModelFile(raw []byte) *catalog.ModelFile {
	prov := map[string]string{}
	for _, x := range f.Figures {
		prov[x.Name] = x.Source
	}
	mf := catalog.NewModelFile(f.Twin, nil)
	mf.Provenance = prov
	mf.Target, mf.Nearest, mf.Created = f.Meas.Target, f.Nearest, time.Now().UTC()
	mf.Probes = raw
	return mf
}

func near(a, b, tol float64) bool { return b > 0 && math.Abs(a-b) <= tol*b }

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

func ordinal(n int) string {
	suf := "th"
	switch n % 10 {
	case 1:
		suf = "st"
	case 2:
		suf = "nd"
	case 3:
		suf = "rd"
	}
	if n%100 >= 11 && n%100 <= 13 {
		suf = "th"
	}
	return fmt.Sprintf("%d%s", n, suf)
}

// maxAirtime bounds a fitted access (a congested 2.4 GHz channel's).
const maxAirtime = 50e6

// airResult is the channel access's fit.
type airResult struct {
	a, err float64 // ns
	ok     bool    // resolved
	// loose: not resolved for its standard error alone (over half the
	// access): the sizes lie on a line (chi) too shallow to place it, as
	// behind a slow link, where a 1400 B echo spends 15-30 ms on the wire
	// each way beside the CPU's spread.
	loose bool
	why   string
	// chi is the reduced misfit of every size against the line (an
	// outlier left out of the line counted): windowSearch compares it.
	chi float64
	// obs are the sizes the line was fitted to (txSearch's lead predicts
	// each buffer's misfit from them).
	obs []airObs
}

// airObs is one echo size's gap against the small echo's: the board's
// (y, less the twin's at the first access), the twin's slope (ms of gap
// per ms of access) and the board's gap's weight (1/sigma^2). The twins'
// gaps are p50s of short probes too: v0 and v1 are their variances (ms^2)
// at the first access and at step ms of access from it (0: exact).
type airObs struct {
	size        int
	w, slope, y float64
	v0, v1      float64
	step        float64
}

// weight is the observation's weight at da ms of access from the first
// twin: the board's gap against the twins' line read there, a mix of the
// two twins' gaps (1-t of the first, t of the second, t = da/step), so
// each twin's variance counts by its share (an effective variance: a
// slow link's twin, whose 1400 B p50 moved 15 ms between two windows,
// gave a line of no weight but counted as exact).
func (u airObs) weight(da float64) float64 {
	if u.step == 0 || u.w <= 0 {
		return u.w
	}
	t := da / u.step
	return 1 / (1/u.w + (1-t)*(1-t)*u.v0 + t*t*u.v1)
}

// airLine is the weighted least squares of the gaps against the access
// (ms from the first twin's): da, its standard error (widened by a misfit
// beyond the p50s' noise) and the reduced misfit chi. With three sizes or
// more, one whose gap stands over oddSigmas of its own error off the
// others' line, where the others agree within their noise (reduced misfit
// at most oddChi), is left out and named (odd, an index into obs, else
// -1): a size whose message crosses the board's window in one piece more
// or fewer than the twin's (the window's count is a step: one window
// round more is a whole round trip) says nothing of the access.
func airLine(obs []airObs) (da, se, chi float64, odd int) {
	fit := func(skip int) (da, se, chi float64) {
		// The weights depend on where the line is read (weight): a few
		// rounds of reweighting from the board's alone.
		var sw float64
		n := 0
		for round := range airLineRounds {
			var swy float64
			sw, n = 0, 0
			for i, u := range obs {
				if i != skip {
					w := u.w
					if round > 0 {
						w = u.weight(da)
					}
					sw += w * u.slope * u.slope
					swy += w * u.slope * u.y
					n++
				}
			}
			if sw == 0 {
				return 0, math.Inf(1), 0
			}
			da = swy / sw
		}
		// The misfit is against the board's noise alone: the searches
		// (windowSearch, txSearch) tell patterns apart by it, and the
		// twins' noise counted in it too hid a segment more per piece
		// (esp8266's 1126 B against 1072: misfit 0.48, under the gate).
		for i, u := range obs {
			if i != skip {
				chi += u.w * math.Pow(u.y-u.slope*da, 2)
			}
		}
		if n > 1 {
			chi /= float64(n - 1)
		}
		return da, 1 / math.Sqrt(sw), chi
	}
	da, se, chi = fit(-1)
	odd = -1
	if len(obs) >= 3 {
		worst := 0.0
		for i, u := range obs {
			d, _, c := fit(i)
			if r := math.Abs(u.y-u.slope*d) * math.Sqrt(u.w); r > oddSigmas && c <= oddChi && r > worst {
				worst, odd = r, i
			}
		}
	}
	fitChi := chi
	if odd >= 0 {
		da, se, fitChi = fit(odd)
	}
	if fitChi > 1 {
		se *= math.Sqrt(fitChi)
	}
	return da, se, chi, odd
}

// An echo size is an outlier of the access's line at oddSigmas of its
// error, where the rest agree within oddChi (reduced misfit).
const (
	oddSigmas = 5
	oddChi    = 4
)

// airLineRounds is how many times airLine weighs the sizes (the first by
// the board's gaps alone).
const airLineRounds = 4

// airFit fits the channel's access (Link.Airtime) from the one-client
// echoes across sizes: a small frame pays an access alone, one of a
// segment or more goes as bulk without one, and a message that crosses a
// narrow window goes in pieces (host's channel), each piece a round of
// the wire after the last: so how each size's echo p50 stands against
// the 32 B one's depends on the access and the round trip in ways of its
// own. The small echo holds the wire's round trip and two accesses
// beside the CPU and the hand-off, so the two trade along its line (the
// rtt gives up what the accesses gain, as FitModel's hold does): the
// twin is run at the rounds' figures and at a second point along that
// line (airStep), and each size's p50 less the small one's is taken as
// linear in the access along it. (Moving the access alone, the round
// trip left at the rounds' figure, read a round trip the rounds had put
// 2.7 ms too high, against a board's 0.5 ms, as an access 3 ms too
// long: each piece of a large echo waits a round trip more.) The
// weighted least squares against the board's (airLine: one outlier left
// out and named) gives the access and its standard error (from the
// board's p50s' noise and the twins'). Where the small echo leaves no room to trade (a wired
// preset's: no access, a fraction of a millisecond of wire), the access
// moves alone. Unresolved (no size's echo follows the access, or the
// error is over half of it and 0.5 ms): the preset's.
func (f *Fit) airFit(ctx context.Context, base catalog.Preset, tp twinParams) airResult {
	m := f.Meas
	e1 := m.smallEcho()
	a0, r0 := float64(tp.air), float64(tp.rtt)
	a1, r1 := airStep(a0, r0)
	diffs := func(air, rtt float64) (map[int][2]float64, error) {
		t := tp
		t.air, t.rtt = int64(air), int64(rtt)
		p := f.build(base, t)
		if p.Link.Tails.On() {
			p.Link.Tails.Seed = rand.Uint64()
		}
		srv, err := StartTwin(p, "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer srv.Close()
		o := f.opts
		o.Target, o.Log = srv.WSURL("/ws"), nil
		out := map[int][2]float64{} // gap, its variance (ms, ms^2)
		var small, smallVar float64
		for i, x := range m.Echo {
			pt, err := o.echo(ctx, 1, x.Size, time.Duration(max(x.Dur, 0.5)*1e9), nil)
			if err != nil {
				return nil, err
			}
			v := math.Pow(pt.P50Err*pt.P50, 2)
			if i == 0 {
				small, smallVar = pt.P50, v
				continue
			}
			out[x.Size] = [2]float64{pt.P50 - small, v + smallVar}
		}
		return out, nil
	}
	d0, err0 := diffs(a0, r0)
	d1, err1 := diffs(a1, r1)
	if err0 != nil || err1 != nil {
		return airResult{a: a0, why: fmt.Sprintf("the twin's echoes failed (%v, %v)", err0, err1)}
	}
	var parts []string
	var used []airObs
	for _, x := range m.Echo[1:] {
		g0, ok0 := d0[x.Size]
		g1, ok1 := d1[x.Size]
		if !ok0 || !ok1 || x.N < 10 {
			continue
		}
		v0, v1 := g0[0], g1[0]
		slope := (v1 - v0) / ((a1 - a0) / 1e6) // ms of p50 gap per ms of access
		// The board's and the twin's gaps, each of two p50s.
		sigma := 2 * max(m.p50Err(x.N), m.p50Err(e1.N), 0.05)
		bd := x.P50 - e1.P50
		note := ""
		// A size whose echo moves by less than half an access per access
		// says little of it (its p50 is the window's, the link's): left
		// out, as its small slope would magnify any other misfit.
		if math.Abs(slope) >= 0.5 {
			used = append(used, airObs{size: x.Size, w: 1 / (sigma * sigma), slope: slope, y: bd - v0, v0: g0[1], v1: g1[1], step: (a1 - a0) / 1e6})
		} else {
			note = ", not used"
		}
		parts = append(parts, fmt.Sprintf("%d B %+.2f ms (twin %+.2f at %.2f ms, %+.2f at %.2f ms%s)", x.Size, bd, v0, a0/1e6, v1, a1/1e6, note))
	}
	along := fmt.Sprintf("along the small echo's line (the twins' round trip %.2f ms at %.2f ms, %.2f at %.2f)", r0/1e6, a0/1e6, r1/1e6, a1/1e6)
	if r1 == r0 {
		along = fmt.Sprintf("the round trip held at %.2f ms (the small echo leaves no room to trade it)", r0/1e6)
	}
	why := fmt.Sprintf("each size's one-client echo p50 against the 32 B one's, the twin's taken as linear in the access %s: %s", along, strings.Join(parts, ", "))
	if len(used) == 0 {
		return airResult{a: a0, why: "not resolved: no echo size follows the access: " + why}
	}
	da, se, chi, odd := airLine(used) // ms
	r := airResult{chi: chi, obs: used}
	if odd >= 0 {
		u := used[odd]
		why += fmt.Sprintf("; %d B left out: its gap stands %+.2f ms off the other sizes' line (over %d of its standard errors): its message crosses the window in more or fewer pieces on the board than on the twin", u.size, u.y-u.slope*da, oddSigmas)
	}
	se *= 1e6
	// The line is trusted within twice the twins' step beyond them only:
	// a fit beyond it is a misfit of something else (a server's own
	// delayed ACKs on large echoes), not resolved.
	step := math.Abs(a1 - a0)
	lo, hi := max(0, min(a0, a1)-2*step), max(a0, a1)+2*step
	if a := a0 + da*1e6; a < lo || a > hi {
		r.a, r.err = a0, se
		r.why = fmt.Sprintf("not resolved: the echoes call for %.2f ms, outside the %.1f-%.1f ms the twins' line is trusted in: %s",
			a/1e6, lo/1e6, hi/1e6, why)
		return r
	}
	a := clamp(a0+da*1e6, 0, maxAirtime)
	if se > max(0.5*a, 0.5e6) {
		r.a, r.err, r.loose = a0, se, true
		r.why = fmt.Sprintf("not resolved: %.2f ms ±%.2f (one standard error) from %s", a/1e6, se/1e6, why)
		return r
	}
	r.a, r.err, r.ok = a, se, true
	r.why = fmt.Sprintf("measured: %.2f ms ±%.2f (one standard error, from the board's and the twins' p50 noise and the misfit) from %s", a/1e6, se/1e6, why)
	return r
}

// again measures a twin's echoes once more (measure: airFit on the same
// twin) where the first reading stands off the access's line by a little
// (misfit over oddChi, at most againChi), and keeps the nearer of the
// two. The twin runs on this host: a stall of it (another process, a
// neighbour of the VM) delays some of one size's echoes and can put a
// window of the board's own pattern a few of its standard errors off
// the line (a CI run's picow-tinygo at its 504 B: misfit 13.3, against
// 1.3 in other runs and 104-182 for the patterns around it), while a
// pattern of pieces that is not the board's stands off by the same rounds
// each time it is measured (esp8266's 2908 B: 9 and 21). A stall only
// delays, so the lower misfit of the two is the twin's.
func again(a airResult, measure func() airResult) airResult {
	if a.chi <= oddChi || a.chi > againChi {
		return a
	}
	b := measure()
	if b.chi <= 0 || b.chi >= a.chi {
		b, a = a, b
	}
	b.why += fmt.Sprintf(" (measured twice: misfit %.3g and %.3g, the lower kept)", a.chi, b.chi)
	return b
}

// againChi: a misfit over it is a pattern of pieces (or a figure) other
// than the board's, measured once (again).
const againChi = 25

// airStep is airFit's second twin: its access and round trip, a step
// along the small echo's line from the rounds' (a0, r0), where the round
// trip gives up two milliseconds for each the access gains. The step is
// airStepMin or half the access, whichever is more: up where the round
// trip has room for it (a slow wire's), else down where the access has
// (airStepFloor left of it: no access at all is a channel of another
// kind); where neither has, the access alone moves up (by max(3 ms, a0)),
// the round trip held.
func airStep(a0, r0 float64) (a1, r1 float64) {
	step := max(airStepMin, a0/2)
	switch {
	case r0 >= 2*step:
		return a0 + step, r0 - 2*step
	case a0-step >= airStepFloor:
		return a0 - step, r0 + 2*step
	}
	return a0 + max(3e6, a0), r0
}

// airFit's step along the small echo's line (ns of access), and the
// least access it steps down to.
const (
	airStepMin   = 1.5e6
	airStepFloor = 0.5e6
)

// windowSearch tries the window again from the echoes' steps: a message
// crosses the window in ceil(frame/window) pieces, each a round of its
// own, so a window off by a few percent (the upload's resolution) can put
// a size's echo a whole round off: the sizes then stand off one line
// against the access (air's misfit beyond their noise). The windows
// within the window's tolerance at which the sizes cross in other
// patterns are tried on the twin (stepSearch); the window, its access fit
// and why are returned (tp.rx, air and "" where none is kept).
func (f *Fit) windowSearch(ctx context.Context, base catalog.Preset, tp twinParams, air airResult) (int, airResult, string) {
	frames := f.Meas.echoFrames(true)
	// Kept only where the sizes then sit on one line within their noise
	// (a window whose misfit is merely less, still beyond the noise, may
	// be further from the board's: esp8266's 2144 B, fitted 2837 B from a
	// weakly window-bound upload, stepped to 2908 B with misfit 21 -> 9),
	// and that line resolves the access (a random board's slow link: its
	// line called for 12.9 ms, outside the twins' bracket, and stepped
	// 903 B to 1008 B, away from the board's 745 B).
	keep := func(b airResult) bool { return b.chi <= oddChi && b.chi <= air.chi/2 && b.ok }
	cands := windowCandidates(frames, tp.rx, Tolerance)
	pat := func(v int) string { return pieces(frames, v) + " pieces" }
	return f.stepSearch(ctx, base, tp, air, "window", "their frames %v B cross the board's window", frames, pat, oddChi, 0, tp.rx, cands[:min(len(cands), maxWindowTries)], keep, func(t *twinParams, v int) { t.rx = v })
}

// echoFrames are the echo ladder's frames beyond the small echo: the
// client's requests (masked) or the board's replies.
func (m *Measurements) echoFrames(masked bool) []int {
	if len(m.Echo) < 2 {
		return nil
	}
	return framesOf(m.Echo[1:], masked)
}

// framesOf are the frames the echoes ps's messages travel in.
func framesOf(ps []Point, masked bool) []int {
	var frames []int
	for _, x := range ps {
		frames = append(frames, core.FrameSize(x.Size, masked))
	}
	return frames
}

// txSearch is windowSearch for the send buffer, where the downloads
// measured it: an echo's reply leaves the board in ceil(frame/send
// buffer) pieces, the next waiting for the client's ACK of the last, so
// a send buffer on the other side of a reply's frame puts that size's
// echo a round off (esp8266's 1072 B sends the 1400 B echo's 1404 B in
// two; a twin fitted 1500 B from its download sent it in one, 24 ms
// against 31.6). The download follows the send buffer only weakly
// (esp8266's as buffer^0.37: 5% of noise in it is 14% in the buffer), so
// the buffers tried reach txFrac about the fitted one.
func (f *Fit) txSearch(ctx context.Context, base catalog.Preset, tp twinParams, air airResult) (int, airResult, string) {
	frames := f.Meas.echoFrames(false)
	// Each pattern is tried at the middle (geometric) of the sizes that
	// cross the replies so, within reach of the download's: its nearest
	// size is the end of that range nearest a buffer the download put on
	// the wrong side, where the longest reply's last piece (and its count
	// of segments) still stands off the board's (esp8266: 1403 B for the
	// board's 1072, misfit 8.5-22 against 57-69 at 1500 B). Kept where the
	// misfit falls to half or less and the access is resolved (at the
	// middle, esp8266's misfit is 3.4-14 against 58-85: its 1000 B echo
	// crosses the channel in a way of its own on every twin).
	var cands []int
	for _, v := range windowCandidates(frames, tp.tx, txFrac) {
		lo, hi := patternRange(frames, v)
		lo, hi = max(lo, int(float64(tp.tx)*(1-txFrac))), min(hi, int(float64(tp.tx)*(1+txFrac)))
		cands = append(cands, int(math.Sqrt(float64(lo)*float64(hi))))
	}
	// The nearest patterns, and before them the one the echoes point to
	// (leadFirst) where it is further: a download off by a fifth puts the
	// board's pattern fourth by distance (esp8266's 1072 B against 847 B
	// fitted: 2/2/3/4, 2/2/2/3 and 2/2/3/5 pieces tried, the board's
	// 1/2/2/3 not, though its 1000 B echo came back a round early).
	reply := func(size int) int { return core.FrameSize(size, false) }
	cands, lead := leadFirst(cands, tp.tx, air, float64(tp.rtt+2*tp.air)/1e6, reply)
	n, enough := maxTxTries, 0.0
	if lead >= 0 {
		// The lead whose sizes then sit on one line within oddChi (a
		// misfit of 3.0 against 130-1640 at the other patterns) ends
		// the search: its pieces are found (the segments follow).
		enough = oddChi
		if lead >= maxTxTries {
			n++
		}
	}
	cands = cands[:min(len(cands), n)]
	keep := func(b airResult) bool { return b.chi <= air.chi/2 && b.ok }
	mss := cmp.Or(base.CPU.MSS, host.DefaultMSS)
	pat := func(v int) string { return sendPattern(frames, v, mss) }
	tx, air1, why := f.stepSearch(ctx, base, tp, air, "send buffer", "their replies %v B leave the board", frames, pat, oddChi, enough, tp.tx, cands, keep, func(t *twinParams, v int) { t.tx = v })
	// Then the segments, within the pieces found: a piece is sent as
	// segments of the MSS, so a buffer just over a multiple of it sends a
	// short segment more per piece (esp8266's 1072 B, twice its 536 B MSS,
	// sends the 2904 B reply in 3 pieces of 6 segments; a buffer of 1259 B
	// fitted from a download cuts it alike but sends 7 segments, and the
	// 2900 B echo came back 4 ms late, 14% of it). The access's line
	// takes up much of a segment more (1187 B: misfit 3.5, under oddChi),
	// so these are tried wherever the sizes stand off it beyond their
	// noise at all (segChi).
	lo, hi := patternRange(frames, tx)
	lo, hi = max(lo, int(float64(tp.tx)*(1-txFrac))), min(hi, int(float64(tp.tx)*(1+txFrac)))
	// Where the pieces' step moved the buffer, its segments are tried
	// even if the sizes already sit on the line: the step lands at the
	// middle of the pieces' range, which need not be the board's
	// segments, and a segment's airtime can hide in the ladder's noise
	// (a rehearsal's esp8266: 1500 B stepped to 1186 B, 2/4/4/7 segments
	// against the board's 2/3/3/6, misfit 0.678; the board's not tried).
	gate := float64(segChi)
	if tx != tp.tx {
		gate = 0
	}
	segs := sendCandidates(frames, tx, lo, hi, mss)
	tp.tx = tx
	keep2 := func(b airResult) bool { return b.chi <= air1.chi/2 && b.ok }
	tx2, air2, why2 := f.stepSearch(ctx, base, tp, air1, "send buffer", "their replies %v B leave the board", frames, pat, gate, 0, tx, segs[:min(len(segs), maxSegTries)], keep2, func(t *twinParams, v int) { t.tx = v })
	return tx2, air2, why + why2
}

// leadFirst orders cands (a buffer per pattern, nearest cur first) with
// the one the echoes point to ahead: each buffer's misfit is predicted
// from the sizes' gaps at cur (air.obs), each reply (frame(size)) a round
// (ms: the small echo's wire and two accesses) later per piece more
// than at cur, the access fitted again (airLine); the least, where it is
// under half air's misfit, goes first. lead is where it stood in cands
// (-1: no lead). (Each size's residual against cur's line alone misled:
// the access absorbs the rounds of the sizes whose pieces are off, so
// 1400 B and 1500 B echoes at their pieces stood slow, and the lead went
// a buffer down, away from the board's.)
func leadFirst(cands []int, cur int, air airResult, round float64, frame func(int) int) (out []int, lead int) {
	best, at := air.chi/2, -1
	obs := slices.Clone(air.obs)
	for i, v := range cands {
		for j, u := range air.obs {
			fr := frame(u.size)
			obs[j].y = u.y - round*float64((fr+v-1)/v-(fr+cur-1)/cur)
		}
		if _, _, chi, _ := airLine(obs); len(obs) > 1 && chi < best {
			best, at = chi, i
		}
	}
	out = slices.Clone(cands)
	if at > 0 {
		v := out[at]
		out = slices.Insert(slices.Delete(out, at, at+1), 0, v)
	}
	return out, at
}

// sendPattern is how the replies (frames) leave a board whose send
// buffer is tx: each frame's pieces (ceil(frame/tx), the next waiting
// for the client's ACK of the last) and the segments of the MSS they make
// ("1/2/2/3 pieces, 2/3/3/6 segments").
func sendPattern(frames []int, tx, mss int) string {
	var segs strings.Builder
	for i, f := range frames {
		if i > 0 {
			segs.WriteByte('/')
		}
		k := (f + tx - 1) / tx
		last := f - (k-1)*tx
		fmt.Fprint(&segs, (k-1)*((tx+mss-1)/mss)+(last+mss-1)/mss)
	}
	return pieces(frames, tx) + " pieces, " + segs.String() + " segments"
}

// sendCandidates are the send buffers between lo and hi that send the
// replies in another pattern (sendPattern) than cur: the geometric middle
// of each such pattern's sizes there, nearest pattern first (by the end
// nearest cur).
func sendCandidates(frames []int, cur, lo, hi, mss int) []int {
	lo = max(lo, 1)
	type run struct{ a, b int }
	var runs []run
	at := sendPattern(frames, cur, mss)
	for v := lo; v <= hi; {
		pat := sendPattern(frames, v, mss)
		e := v
		for e+1 <= hi && sendPattern(frames, e+1, mss) == pat {
			e++
		}
		if pat != at {
			runs = append(runs, run{v, e})
		}
		v = e + 1
	}
	dist := func(r run) int { return min(abs(r.a-cur), abs(r.b-cur)) }
	slices.SortStableFunc(runs, func(x, y run) int { return dist(x) - dist(y) })
	out := make([]int, 0, len(runs))
	for _, r := range runs {
		out = append(out, int(math.Sqrt(float64(r.a)*float64(r.b))))
	}
	return out
}

// txFrac is how far about the download's send buffer txSearch looks
// (three of its standard errors at 5% of download noise), and how many
// patterns it tries (the nearest three: a reply a piece either side).
const (
	txFrac     = 0.4
	maxTxTries = 3
	// maxSegTries: the segment patterns tried within the pieces found
	// (the nearest two: a short segment more or less per piece).
	maxSegTries = 2
	// segChi is the misfit (reduced) above which they are tried.
	segChi = 1
	// txOff is the log ratio beyond which txCheck takes a twin's
	// download for off the board's (where its noise is less), and
	// maxTxChecks the most twins it measures.
	txOff       = 0.1
	maxTxChecks = 4
)

// stepSearch tries a buffer (what: its name; cur: its fitted size; set
// puts a size into the twin's figures) again from the echoes' steps,
// where the sizes stand off one line against the access (air's misfit
// beyond their noise): the sizes within frac of cur at which frames cross
// it in other patterns (pat names a size's: pieces, and for the send
// buffer their segments; cands, one size per pattern, nearest first) are
// tried on the twin (airFit again), up to the first whose echoes sit on
// one line within their noise. The one of least misfit is kept where keep
// says; it returns the size, its access fit and why (how says how the
// frames cross the buffer, a format for frames), else cur, air and "".
func (f *Fit) stepSearch(ctx context.Context, base catalog.Preset, tp twinParams, air airResult, what, how string, frames []int, pat func(int) string, gate, enough float64, cur int, cands []int, keep func(airResult) bool, set func(*twinParams, int)) (int, airResult, string) {
	if air.chi <= gate || cur <= 0 {
		return cur, air, ""
	}
	best, bestV := air, cur
	for i, v := range cands {
		t2 := tp
		set(&t2, v)
		a2 := f.airFit(ctx, base, t2)
		f.opts.logf("%s %d B (the echoes' frames in %s, not %s): misfit %.3g against %.3g: airtime %s", what, v, pat(v), pat(cur), a2.chi, air.chi, a2.why)
		if a2.chi < best.chi && a2.chi > 0 {
			best, bestV = a2, v
		}
		if best.chi <= gate/2 || (i == 0 && best.chi <= enough) {
			break // on one line within the noise: the nearest such size
		}
	}
	if bestV != cur && !keep(best) {
		t2 := tp
		set(&t2, bestV)
		best = again(best, func() airResult {
			a := f.airFit(ctx, base, t2)
			f.opts.logf("%s %d B once more: misfit %.3g against %.3g", what, bestV, a.chi, best.chi)
			return a
		})
	}
	if bestV == cur || !keep(best) {
		return cur, air, ""
	}
	why := fmt.Sprintf("; stepped from %d B by the echoes: %s in %s, not %s (the sizes' misfit against the access %.3g at %d B, %.3g at %d B)",
		cur, fmt.Sprintf(how, frames), pat(bestV), pat(cur), best.chi, bestV, air.chi, cur)
	f.opts.logf("%s: %s", what, why[2:])
	return bestV, best, why
}

// windowJoint fits the window to every one-connection upload at once.
// The rounds fit it to the largest upload alone, which a board's CPU or
// link may bind as much as its window (esp8266's goes as window^0.35):
// there a few percent of noise moves the window by a third, while a
// smaller message's upload may follow the window closely. The twin's
// uploads at two windows (tp.rx/1.25 and x1.25) give each size's line
// log(upload) = a + s log(window); the window is the least squares
// through every size's line at the board's upload, so each counts by its
// sensitivity s (a size that does not follow the window, s < 0.1, not at
// all). It returns tp.rx unchanged where no size follows the window.
// The sizes' sensitivities (s per size of oneConnUps, 0 where it does not
// follow the window) are returned for windowCheck.
func (f *Fit) windowJoint(ctx context.Context, base catalog.Preset, tp twinParams) (int, []float64, string) {
	ups := f.Meas.oneConnUps()
	if len(ups) < 2 || tp.rx <= 0 {
		return tp.rx, nil, ""
	}
	// One pass: a second about the first's window doubles the twin's
	// noise (a few percent per upload, over a sensitivity of ~0.5) for
	// the bend it corrects (the upload flattens as the window grows, so a
	// line drawn above the board's window undershoots by ~10%).
	ws := [2]int{max(firmware.MinRxBuf, int(float64(tp.rx)/1.25)), min(int(float64(tp.rx)*1.25), 1<<20)}
	var tw [2][]float64
	for i, w := range ws {
		t2 := tp
		t2.rx = w
		pts, ok := f.twinUploads(ctx, f.build(base, t2), ups, nil)
		if !ok {
			return tp.rx, nil, ""
		}
		tw[i] = rates(pts)
	}
	lw := math.Log(float64(ws[1]) / float64(ws[0]))
	slopes := make([]float64, len(ups))
	var parts []string
	for j, u := range ups {
		sj := math.Log(tw[1][j]/tw[0][j]) / lw
		parts = append(parts, fmt.Sprintf("%d B as window^%.2f", u.Size, sj))
		if sj >= 0.1 {
			slopes[j] = sj
		}
	}
	lines := fmt.Sprintf("the twin's %s between %d and %d B; least squares on their logs", strings.Join(parts, ", "), ws[0], ws[1])
	step, ok := windowStep(ups, tw[0], slopes)
	if !ok {
		f.opts.logf("window from every upload: none follows it (%s)", lines)
		return tp.rx, nil, ""
	}
	rx := int(clamp(float64(ws[0])*math.Exp(step), max(float64(firmware.MinRxBuf), float64(tp.rx)/2), min(float64(tp.rx)*2, 1<<20)))
	why := fmt.Sprintf("; from every upload at once (%s): %d B, the largest's alone %d B", lines, rx, tp.rx)
	f.opts.logf("window: %s", why[2:])
	return rx, slopes, why
}

// windowRefit fits the window again, as windowJoint, windowCheck and
// echoCheck did, on the twin with the bandwidth bps the fit ends with
// where the probes did not see the rounds' one. The rounds trade the
// window against the bandwidth where the uploads follow both: esp32-idf's
// (5760 B behind 20 Mbit/s, its two-connection upload bound by the CPU
// and the windows) came out at 9179 B behind 7.3 Mbit/s, its twin's
// uploads 1.54 of the board's once the bandwidth was set back to the
// preset's 20 Mbit/s beside that window. Within x1.1 of the rounds'
// bandwidth the window stands.
func (f *Fit) windowRefit(ctx context.Context, base catalog.Preset, tp twinParams, bps int64, air airResult) (int, string) {
	if tp.bps <= 0 || math.Abs(math.Log(float64(bps)/float64(tp.bps))) <= math.Log(1.1) {
		return tp.rx, ""
	}
	t := tp
	t.bps = bps
	rx, slopes, why := f.windowJoint(ctx, base, t)
	head := fmt.Sprintf("; the bandwidth not seen: %.2f Mbit/s, not the rounds' %.2f: the window fitted again beside it", float64(bps)/1e6, float64(tp.bps)/1e6)
	if slopes == nil {
		why = head + ": no upload follows the window there: kept"
		f.opts.logf("window: %s", why[2:])
		return tp.rx, why
	}
	t.rx = rx
	rx, w2 := f.windowCheck(ctx, base, t, slopes, air)
	t.rx = rx
	rx, w3 := f.echoCheck(ctx, base, t)
	return rx, head + why + w2 + w3
}

// linkProbe is the probe the link is fitted to (twinDown, twinDown2 or
// twinUp2): the one that came nearest the link, two connections' download
// or upload wherever it moved more than one connection's download (see
// FitModel), else one connection's download.
func (m *Measurements) linkProbe() int {
	down, haveDown := m.largest(m.Down)
	down2, haveDown2 := m.downPair()
	up2, haveUp2 := m.upPair()
	switch {
	case !haveDown || !haveDown2 || down2.MBps <= down.MBps:
		return twinDown
	case haveUp2 && up2.MBps > down2.MBps:
		return twinUp2
	}
	return twinDown2
}

// oneConnUps are the one-connection uploads that measured a rate.
func (m *Measurements) oneConnUps() []Point { return oneConn(m.Up) }

// oneConnDowns are the one-connection downloads that measured a rate.
func (m *Measurements) oneConnDowns() []Point { return oneConn(m.Down) }

// oneConn are the points of ps on one connection that measured a rate.
func oneConn(ps []Point) []Point {
	var out []Point
	for _, p := range ps {
		if p.Clients <= 1 && p.MBps > 0 {
			out = append(out, p)
		}
	}
	return out
}

// twinUploads starts twin p and measures its upload at each size of ups
// (where slopes is nil or follows the window there, else 0) as the
// board's was (up: the mean of upRuns runs), each run as long as the
// board's: what a run pays once (a dozing station's first frames wait
// for a DTIM beacon, up to 307 ms at DTIM 3) weighs on it by its length.
// (Before the emulated station stayed awake through its own upload, it
// dozed every ~150 ms: CI's random board's 1024 B upload read
// 0.0152-0.0173 MB/s over 2.5 s and 0.0179-0.0193 over 7.5 s, and one
// twin probe twice as long as the board's read 1.08-1.12 of it at a
// window its 8192 B upload found 6-8% short.) False where one measured
// nothing; a size not measured is a zero Point.
func (f *Fit) twinUploads(ctx context.Context, p catalog.Preset, ups []Point, slopes []float64) ([]Point, bool) {
	srv, err := StartTwin(p, "127.0.0.1:0")
	if err != nil {
		return nil, false
	}
	defer srv.Close()
	ob := f.opts
	ob.Target, ob.Log = srv.WSURL("/ws"), nil
	tw := make([]Point, len(ups))
	for j, u := range ups {
		if slopes != nil && slopes[j] <= 0 {
			continue
		}
		d := ob.dur(thrDur)
		if u.Dur > 0 {
			d = time.Duration(u.runDur() * 1e9)
		}
		x, err := ob.up(ctx, u.Size, d)
		if err != nil || x.MBps <= 0 {
			return nil, false
		}
		tw[j] = x
	}
	return tw, true
}

// rates are the points' MBps.
func rates(ps []Point) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.MBps
	}
	return out
}

// upsOff reports whether the twin's uploads (tw, a zero Point where not
// measured) stand off the board's (ups) on the same side at every size
// measured on both, each by more than twice their combined noise
// (RateErr, both) and a third of the tolerance: then the window is off,
// whatever the echoes say. Within that the uploads' step may be their
// noise or another figure's misfit (picow-tinygo's 515 B stepped to 500
// B, 3%), and the echoes' pattern of pieces holds it (echoHold). A run's
// esp8266 (2144 B): the echoes stepped its window to 2908 B (its 2900 B
// echo 4 ms faster than a twin's two pieces), where the twin uploaded
// 1.14 and 1.11 of the board (±4.2% and ±0.5% on the board, ±0.5% and
// ±0.2% on the twin); the uploads stepped it to 2475 B, and the echoes
// held it at 2908 B, 36% over.
func upsOff(ups, tw []Point) bool {
	sign, n := 0.0, 0
	for j, u := range ups {
		if j >= len(tw) || tw[j].MBps <= 0 || u.MBps <= 0 {
			continue
		}
		l := math.Log(tw[j].MBps / u.MBps)
		if math.Abs(l) <= max(2*both(u.RateErr, tw[j].RateErr), math.Log1p(Tolerance/3)) || l*sign < 0 {
			return false
		}
		sign, n = l, n+1
	}
	return n > 0
}

// windowStep is how far (in log) the window moves from where the twin
// uploaded twin[j] to meet the board's ups[j], each size by its line's
// sensitivity: log w* = log w + (log board - log twin) / s, the sizes
// weighted s^2 (least squares); false where no size follows the window.
func windowStep(ups []Point, twin, slopes []float64) (float64, bool) {
	var num, den float64
	for j, u := range ups {
		if slopes[j] <= 0 || twin[j] <= 0 {
			continue
		}
		num += slopes[j] * math.Log(u.MBps/twin[j])
		den += slopes[j] * slopes[j]
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}

// windowCheck measures the twin's uploads once more at the fitted window,
// with every other figure final (the access, wire, send buffer and CPU
// moved after windowJoint), and steps the window once along the joint's
// lines to meet the board's uploads. The joint's chord is drawn between
// x1/1.25 and x1.25 of the rounds' window: where the board's lies outside
// that bracket the line extrapolates, and an upload flattening as the
// window grows makes it overshoot (a random board's 587 B read 507 B from
// slopes 0.38-0.56 against 0.73 over a fourfold span; its twin uploaded
// 0.86-0.89 of the board). The step is held to the joint's bracket
// (x1.25 either way), not to the pattern of pieces windowSearch may have
// stepped the window to: the uploads measure the window, the echoes only
// how their frames cross it, and esp8266's echoes stepped its 2144 B
// window from 2564 B to 2908 B (the 2900 B echo's request in one piece,
// not two), where its twin then uploaded 1.06-1.12 of the board. A step
// across a step of the echoes' frames is held by them (echoHold) where
// they fit the window they were fitted at and not the stepped one (air
// is the access's fit at tp.rx), unless the uploads stand off beyond
// their noise (upsOff).
func (f *Fit) windowCheck(ctx context.Context, base catalog.Preset, tp twinParams, slopes []float64, air airResult) (int, string) {
	ups := f.Meas.oneConnUps()
	if len(slopes) != len(ups) || tp.rx <= 0 {
		return tp.rx, ""
	}
	pts, ok := f.twinUploads(ctx, f.build(base, tp), ups, slopes)
	if !ok {
		return tp.rx, ""
	}
	twin := rates(pts)
	again := f.upAgain(ctx, ups, twin)
	if again != "" {
		ups = f.Meas.oneConnUps()
	}
	step, ok := windowStep(ups, twin, slopes)
	if !ok {
		return tp.rx, ""
	}
	lim := math.Log(1.25)
	rx := max(int(float64(tp.rx)*math.Exp(clamp(step, -lim, lim))), firmware.MinRxBuf)
	why := fmt.Sprintf("%s; checked on the final twin at %d B (its uploads %s of the board's): %d B", again, tp.rx, upRatios(ups, twin), rx)
	off := upsOff(ups, pts)
	if off {
		why += fmt.Sprintf(", the uploads off beyond twice their noise and %.0f%%: not held by the echoes", Tolerance/3*100)
	}
	f.opts.logf("window: %s", why[2:])
	if off {
		return rx, why
	}
	rx, held := f.echoHold(ctx, base, tp, air, rx)
	return rx, why + held
}

// upAgain measures the board's one-connection uploads once more (runs
// as long as its first, all merged: mergeUp) where the final twin's
// ratios to them (twin[j] over ups[j]) spread over the judged tolerance
// between sizes (upSpreads): the window moves every size alike, so no
// window brings such a pair within it, and a few seconds of upload behind
// WiFi tails and a dozing station can draw that far apart. A CI run's
// random board (seed 11): the twin at 494 B uploaded 1.12 of its 1024 B
// upload and 0.92 of its 8192 B one, the step between them was none, and
// the final twin uploaded 0.81-0.84 of the board's 8192 B (the same twin
// 0.91 of the board's 1024 B and 8192 B uploads over 7.5 s each). It
// returns what it did ("" where nothing).
func (f *Fit) upAgain(ctx context.Context, ups []Point, twin []float64) string {
	if !upSpreads(ups, twin) {
		return ""
	}
	var parts []string
	for i := range f.Meas.Up {
		u := &f.Meas.Up[i]
		if u.Clients > 1 || u.MBps <= 0 {
			continue
		}
		q, err := f.opts.up(ctx, u.Size, time.Duration(max(u.runDur(), 0.5)*1e9))
		if err != nil || q.MBps <= 0 {
			parts = append(parts, fmt.Sprintf("%d B: measured nothing (%v)", u.Size, err))
			continue
		}
		m := mergeUp(*u, q)
		parts = append(parts, fmt.Sprintf("%d B %.4f then %.4f MB/s: %.4f", u.Size, u.MBps, q.MBps, m.MBps))
		*u = m
	}
	why := fmt.Sprintf("; the final twin's uploads at %s of the board's, more than %.0f%% apart: the board's measured again: %s", upRatios(ups, twin), Tolerance*100, strings.Join(parts, ", "))
	f.opts.logf("window: %s", why[2:])
	return why
}

// upRatios names the twin's uploads over the board's, size by size
// ("1024 B 1.12, 8192 B 0.92"), where the twin's were measured.
func upRatios(ups []Point, twin []float64) string {
	var parts []string
	for j, u := range ups {
		if twin[j] > 0 {
			parts = append(parts, fmt.Sprintf("%d B %.2f", u.Size, twin[j]/u.MBps))
		}
	}
	return strings.Join(parts, ", ")
}

// upSpreads reports whether the twin's uploads (twin[j], 0 where not
// measured) over the board's (ups[j]) differ between two sizes by more
// than a factor 1+Tolerance.
func upSpreads(ups []Point, twin []float64) bool {
	lo, hi := upLogs(ups, twin)
	return hi-lo > math.Log1p(Tolerance)
}

// upLogs is the lowest and the highest log of the twin's upload (twin[j],
// 0 where not measured) over the board's (ups[j]); +Inf and -Inf where no
// size was measured on both.
func upLogs(ups []Point, twin []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for j, u := range ups {
		if j >= len(twin) || twin[j] <= 0 || u.MBps <= 0 {
			continue
		}
		l := math.Log(twin[j] / u.MBps)
		lo, hi = math.Min(lo, l), math.Max(hi, l)
	}
	return lo, hi
}

// mergeUp is upload p measured again as q: the mean of both's runs
// (upOf), or where either was not measured in runs (a record from before
// runs) the rates over both durations; the messages of both.
func mergeUp(p, q Point) Point {
	if len(p.Runs) > 0 && len(q.Runs) > 0 {
		m := p
		m.N, m.Dur = p.N+q.N, p.Dur+q.Dur
		m.Runs = append(slices.Clone(p.Runs), q.Runs...)
		return m.withRuns()
	}
	wp, wq := p.Dur, q.Dur
	if wp <= 0 || wq <= 0 { // a record without durations: alike
		wp, wq = 1, 1
	}
	m := p
	m.MBps = (p.MBps*wp + q.MBps*wq) / (wp + wq)
	m.Msgs = (p.Msgs*wp + q.Msgs*wq) / (wp + wq)
	m.N, m.Dur = p.N+q.N, p.Dur+q.Dur
	return m
}

// echoHold keeps a window rx stepped from tp.rx (by the uploads) within
// the pattern of pieces the echoes' frames cross tp.rx in, where the
// echoes sat on the access's line at tp.rx (air: resolved, misfit within
// oddChi) and stand off it at rx: the uploads measure the window within
// their noise (an upload 5% off moves picow-tinygo's 6%), the echoes
// which side of each frame's step it lies on. A CI run's picow-tinygo
// (512 B): the joint fit and the search left 515 B, its echoes on one
// line; the check stepped 3% to 500 B, below the 1008 B and 1508 B
// requests' steps (504 and 503 B), and the twin's 1000 B and 1500 B
// echoes came back a round late (1.34 and 1.21 of the board's). Held, rx
// is the pattern's end nearest it. A step the echoes fit as well (a
// window they do not place) is taken.
func (f *Fit) echoHold(ctx context.Context, base catalog.Preset, tp twinParams, air airResult, rx int) (int, string) {
	if !air.ok || air.chi > oddChi {
		return rx, ""
	}
	frames := f.Meas.echoFrames(true)
	was, now := pieces(frames, tp.rx), pieces(frames, rx)
	if len(frames) == 0 || now == was {
		return rx, ""
	}
	t2 := tp
	t2.rx = rx
	measure := func() airResult { return f.airFit(ctx, base, t2) }
	a2 := again(measure(), measure)
	f.opts.logf("window %d B (the echoes' frames in %s pieces, not %s): misfit %.3g against %.3g: airtime %s", rx, now, was, a2.chi, air.chi, a2.why)
	if a2.fits() {
		return rx, fmt.Sprintf("; the echoes' frames in %s pieces there, not %s, on the access's line too (misfit %.3g at %d B, %.3g at %d B)", now, was, a2.chi, rx, air.chi, tp.rx)
	}
	lo, hi := patternRange(frames, tp.rx)
	held := min(max(rx, lo), hi)
	why := fmt.Sprintf("; held at %d B by the echoes: their frames %v B cross %d B in %s pieces, off the access's line (misfit %.3g), and %d B in %s, on it (%.3g)", held, frames, rx, now, a2.chi, tp.rx, was, air.chi)
	f.opts.logf("window: %s", why[2:])
	return held, why
}

// fits reports whether the echoes lie on the access's line (misfit
// within oddChi), resolved or loose: a line they fit but too shallow to
// place the access says nothing against the window it was drawn at.
// CI's random board (seed 11, 538 B) in a run here: the uploads stepped
// its window from 584 B to 523 B (the 2908 B request in six pieces, not
// five), the echoes fitted both (misfit 0.43 and 0.74) but left the
// access loose at 523 B (1.13 ms ±5.15), and the window was held at
// 582 B (8% over).
// Where the twins failed, no size followed the access, or the line calls
// for an access beyond what the twins' line is trusted in, they do not.
func (a airResult) fits() bool { return (a.ok || a.loose) && a.chi <= oddChi }

// windowCandidates are the windows within frac of rx at which the
// frames cross in another pattern of pieces (a frame of F bytes crosses
// a window w in ceil(F/w) pieces, each a round of its own): one window
// per pattern, the one nearest rx, nearest first; rx's own pattern is
// left out.
func windowCandidates(frames []int, rx int, frac float64) []int {
	lo, hi := int(math.Ceil(float64(rx)*(1-frac))), int(float64(rx)*(1+frac))
	// The windows where some frame's count of pieces steps: ceil(F/k) is
	// the smallest window crossed in k pieces.
	var steps []int
	for _, f := range frames {
		for k := 1; k <= f; k++ {
			w := (f + k - 1) / k
			if w <= lo {
				break
			}
			if w <= hi && !slices.Contains(steps, w) {
				steps = append(steps, w)
			}
		}
	}
	slices.Sort(steps)
	var out []int
	from := lo
	for i := 0; i <= len(steps); i++ {
		to := hi
		if i < len(steps) {
			to = steps[i] - 1
		}
		// [from, to] is one pattern.
		switch {
		case to < rx:
			out = append(out, to)
		case from > rx:
			out = append(out, from)
		}
		if i < len(steps) {
			from = steps[i]
		}
	}
	slices.SortStableFunc(out, func(a, b int) int { return abs(a-rx) - abs(b-rx) })
	return out
}

// pieces lists how many pieces each frame crosses a window w in.
func pieces(frames []int, w int) string {
	var b strings.Builder
	for i, f := range frames {
		if i > 0 {
			b.WriteByte('/')
		}
		fmt.Fprint(&b, (f+w-1)/w)
	}
	return b.String()
}

// patternRange is the range of sizes lo..hi (hi math.MaxInt where it has
// no end) that the frames cross in the same pieces as w: a frame F in k
// pieces needs F/k <= size < F/(k-1).
func patternRange(frames []int, w int) (lo, hi int) {
	lo, hi = 1, math.MaxInt
	for _, f := range frames {
		k := (f + w - 1) / w
		lo = max(lo, (f+k-1)/k)
		if k > 1 {
			hi = min(hi, (f+k-2)/(k-1)-1)
		}
	}
	return lo, hi
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// windowFollows says whether an upload of lowUp at a window of lo and
// highUp at hi follows the window: its sensitivity s (upload = window^s
// over the span) and whether s is minRxSens or more (0, false where
// either upload moved nothing).
func windowFollows(lowUp, highUp float64, lo, hi int) (float64, bool) {
	if lowUp <= 0 || highUp <= 0 || hi <= lo {
		return 0, false
	}
	s := math.Log(highUp/lowUp) / math.Log(float64(hi)/float64(lo))
	if s < minRxSens {
		return 0, false
	}
	return s, true
}

// minRxSens is the least sensitivity of the twin's upload to its window
// (upload = window^s between half and twice the fit's) at which the upload
// is taken as window-bound: x1.5 over the fourfold span.
var minRxSens = math.Log(1.5) / math.Log(4)

// maxWindowTries bounds the windows windowCandidates offers that the fit
// tries on the twin (two echo ladders each).
const maxWindowTries = 6

// minTailN is the fewest small echoes a tail is read from.
const minTailN = 100

// p50Err is the standard error (ms) of a p50 of n one-client echoes,
// from the small echo's spread (its quartiles): 1.253 sigma / sqrt(n).
func (m *Measurements) p50Err(n int64) float64 {
	q := m.smallEcho().Tail
	if len(q) != len(TailLevels) || n <= 0 {
		return 0
	}
	sigma := (quantileAt(q, 0.75) - quantileAt(q, 0.25)) / 1.349
	return 1.253 * sigma / math.Sqrt(float64(n))
}

// quantileAt interpolates a quantile grid (at TailLevels) at level.
func quantileAt(q []float64, level float64) float64 {
	if level <= TailLevels[0] {
		return q[0]
	}
	for i := 1; i < len(TailLevels); i++ {
		if TailLevels[i] >= level {
			l0, l1 := TailLevels[i-1], TailLevels[i]
			return q[i-1] + (q[i]-q[i-1])*(level-l0)/(l1-l0)
		}
	}
	return q[len(q)-1]
}

// The levels the tail fit matches: the upper fifth, where a tail of a
// few percent lives.
const tailFitFrom = 0.80

// fitPowerSave reads power save from the sparse echo (one message every
// SparseGap) against the closed loop's small echo e: a station that
// dozes between beacons holds a lone frame until its next DTIM beacon,
// while the closed loop's traffic keeps it awake. Without a doze the
// sparse echoes are draws of the closed loop's distribution, a quarter of
// them above its p75; a doze is seen when so many more are that a
// binomial draw gives it less than once in a thousand, and the p50 rose
// by a tenth of a beacon interval or more. Its DTIM is first
// taken as twice the p50s' difference (the median wait of an even spread
// over the interval), then refined on the twin (dtimOnTwin). It returns
// power save, the DTIM and whether the probe saw it (else def's).
func fitPowerSave(e, sparse Point, def host.Tails) (bool, int, bool, string) {
	if sparse.N < 8 || len(sparse.Tail) != len(TailLevels) || len(e.Tail) != len(TailLevels) {
		return def.PowerSave, def.DTIM, false, fmt.Sprintf("the sparse echo measured %d messages", sparse.N)
	}
	c75 := e.Tail[slices.Index(TailLevels, 0.75)]
	above := 1.0 // the share of sparse echoes above the closed loop's p75
	for i, v := range sparse.Tail {
		if v > c75 {
			break
		}
		above = 1 - TailLevels[i]
	}
	k := math.Round(above * float64(sparse.N))
	pv := distuv.Binomial{N: float64(sparse.N), P: 0.25}.Survival(k - 1)
	extra := sparse.P50 - e.P50
	head := fmt.Sprintf("one message every %s: p50 %.1f ms (n %d) against the closed loop's %.1f ms; %.0f of them above its p75 %.1f ms (a quarter without a doze: as many or more %.2g of the time)",
		SparseGap, sparse.P50, sparse.N, e.P50, k, c75, pv)
	if pv >= psLevel || extra < psExtra {
		return false, 0, true, head + ": no doze (power save off)"
	}
	dtim := int(math.Round(2 * extra / dtimMs(1)))
	dtim = min(max(dtim, 1), maxDTIM)
	return true, dtim, true, head + ": a lone frame waits for the board's next DTIM beacon (modem sleep)"
}

// psLevel is the chance below which the sparse echo's excess over the
// closed loop's p75 is a doze, not a draw.
const psLevel = 1e-3

// psExtra is the least rise of the sparse echo's p50 over the closed
// loop's taken for a doze, ms: a tenth of a beacon interval (a doze's
// median wait is near half an interval). A lone message a little slower
// than a stream of them (a relay's or a core's wake-up: libwebsockets
// behind the relay, +1.8 ms, 13 of 24 above the p75) is not power save.
const psExtra = float64(host.BeaconInterval) / 10 / 1e6

// dtimMs is the interval between the DTIM beacons of a DTIM of d, ms.
func dtimMs(d int) float64 { return float64(d) * float64(host.BeaconInterval) / 1e6 }

// maxDTIM is the longest DTIM interval the fit tries, in beacons.
const maxDTIM = 10

// dtimOnTwin finds the DTIM whose twin (base with power save) answers
// the sparse echo nearest the board's, from 1 up until a twin is slower
// than the board (a longer DTIM only waits longer). The two are compared
// over the body of the distribution (profile: the mean of the quantiles
// from p10 to p80, clear of the WiFi tail), where a doze's wait spreads
// evenly: a few dozen echoes pin its mean, one p50 does not.
func (f *Fit) dtimOnTwin(ctx context.Context, base catalog.Preset, tp twinParams, sparse Point, why string) (int, string) {
	want := profile(sparse.Tail)
	best, bestD, tried := 0, math.Inf(1), []string{}
	for d := 1; d <= maxDTIM; d++ {
		q := base
		q.Link.Tails.PowerSave, q.Link.Tails.DTIM = true, d
		q.Link.Tails.Seed = rand.Uint64()
		srv, err := StartTwin(f.build(q, tp), "127.0.0.1:0")
		if err != nil {
			break
		}
		ob := f.opts
		ob.Target, ob.Log = srv.WSURL("/ws"), nil
		p, err := ob.sparse(ctx)
		srv.Close()
		if err != nil {
			break
		}
		got := profile(p.Tail)
		tried = append(tried, fmt.Sprintf("DTIM %d %.1f ms", d, got))
		if dd := math.Abs(got - want); dd < bestD {
			best, bestD = d, dd
		}
		if got >= want {
			break
		}
	}
	if best == 0 {
		return 1, why + "; DTIM 1 assumed (the twin's sparse echo failed)"
	}
	return best, fmt.Sprintf("%s: DTIM %d (%.1f ms) is the twin's nearest (the mean of p10-p80: the board's %.1f ms, the twin's at %s)", why, best,
		dtimMs(best), want, strings.Join(tried, ", "))
}

// profile is the mean of the latency's quantiles from p10 to p80 (q at
// TailLevels), ms.
func profile(q []float64) float64 {
	var sum float64
	n := 0
	for i, l := range TailLevels {
		if i < len(q) && l >= 0.1 && l <= 0.8 {
			sum += q[i]
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// fitTails fits the heavy tail (its probability and minimum; the shape,
// cap, jitter, loss and power save stay def's) to the one-client small
// echo's quantiles e.Tail, given body, the same echo's quantiles on the
// twin without the heavy tail: each echo is a body draw plus, with
// probability p, a Pareto draw of minimum m (def's alpha and cap). The
// mixture's quantiles are drawn (a fixed seed) for each (p, m) on a grid,
// moved onto the board's median (the round trip's, fitted to it: what is
// left of the body's offset is not a tail), and the pair closest to the
// board's over the upper fifth (log latencies) is the fit. Without a body
// it keeps def.
func fitTails(e Point, body []float64, def host.Tails) (host.Tails, bool, string) {
	t := def
	if t.TailAlpha <= 0 {
		t.TailAlpha = 1.5
	}
	q := e.Tail
	if len(q) != len(TailLevels) || e.N < minTailN {
		return def, false, fmt.Sprintf("%d small echoes (fewer than %d) read no tail", e.N, minTailN)
	}
	if len(body) != len(TailLevels) {
		return def, false, "the twin's body echo measured nothing"
	}
	const draws = 8000
	r := rand.New(rand.NewPCG(13, 17))
	us, ut, uc := make([]float64, draws), make([]float64, draws), make([]float64, draws)
	for i := range us {
		us[i], ut[i], uc[i] = r.Float64(), 1-r.Float64(), r.Float64()
	}
	bodyAt := make([]float64, draws)
	for i, u := range us {
		bodyAt[i] = quantileAt(body, u)
	}
	var levels []int
	for i, l := range TailLevels {
		if l >= tailFitFrom && l <= 0.99 {
			levels = append(levels, i)
		}
	}
	x := make([]float64, draws)
	median := slices.Index(TailLevels, 0.5)
	cost := func(p, m float64) float64 {
		for i := range x {
			x[i] = bodyAt[i]
			if uc[i] < p {
				d := m * math.Pow(ut[i], -1/t.TailAlpha)
				if t.TailMax > 0 {
					d = min(d, float64(t.TailMax)/1e6)
				}
				x[i] += d
			}
		}
		slices.Sort(x)
		// The median is the round trip's (fitted to it): the mixture is
		// moved onto the board's, so the tail fits the shape above it,
		// not what is left of the body's offset.
		shift := q[median] - x[draws/2]
		c := 0.0
		for _, k := range levels {
			v := x[min(int(TailLevels[k]*draws), draws-1)] + shift
			c += math.Pow(math.Log(max(v, 1e-3)/max(q[k], 1e-3)), 2)
		}
		return c
	}
	bestP, bestM, best := 0.0, 0.0, cost(0, 0)
	none := best
	for p := 0.005; p <= 0.2001; p += 0.005 {
		for m := 1.0; m <= 200; m *= 1.08 {
			if c := cost(p, m); c < best {
				bestP, bestM, best = p, m, c
			}
		}
	}
	t.TailP, t.TailMin = bestP, int64(bestM*1e6)
	if bestP == 0 {
		t.TailP = 0
		return t, true, fmt.Sprintf("%d small echoes: their upper fifth is the twin's body's (no heavy tail fits better)", e.N)
	}
	return t, true, fmt.Sprintf("%d small echoes: p50 %.2f p90 %.2f p99 %.2f ms against the twin's body p50 %.2f p90 %.2f p99 %.2f ms: a tail of %.1f%% from %.1f ms fits (misfit %.3g, %.3g without a tail), about %.0f tail echoes",
		e.N, q[99], quantileAt(q, 0.9), quantileAt(q, 0.99), body[99], quantileAt(body, 0.9), quantileAt(body, 0.99), bestP*100, bestM, best, none, bestP*float64(e.N))
}

// downPair is the two-connection download (Clients 2).
func (m *Measurements) downPair() (Point, bool) {
	for _, p := range m.Down {
		if p.Clients == 2 && p.MBps > 0 {
			return p, true
		}
	}
	return Point{}, false
}

// upPair is the two-connection upload (Clients 2).
func (m *Measurements) upPair() (Point, bool) {
	for _, p := range m.Up {
		if p.Clients == 2 && p.MBps > 0 {
			return p, true
		}
	}
	return Point{}, false
}

// repassRounds is how many twins the second pass measures.
const repassRounds = 3

// repass refits the CPU scale and the wire's round trip with the fitted
// tail and channel access in the twin: both change what the first rounds
// fitted (frames that bunch behind a tail or a channel access share
// segments and accesses, so a saturated board's messages cost less CPU
// each; the tail moves the one-client echo's median). Each of its rounds
// gives the CPU scale that would meet the board's saturated rate (the
// rate follows 1/k; the same exponent as the first rounds) and the round
// trip that would meet its echo; the fit is their mean over the rounds (a
// geometric mean for the scale), so one noisy twin does not decide it.
// The CPU is refitted only where the first pass fitted or bounded it.
func (f *Fit) repass(ctx context.Context, base catalog.Preset, tp twinParams, sat, e1 Point, saturated, bounded bool, what string) twinParams {
	var ks, rtts []float64
	cur := tp
	for range repassRounds {
		tf, err := f.measureTwin(ctx, f.build(base, cur), sat, twinLatency)
		if err != nil || tf.p50 <= 0 {
			break
		}
		if (saturated || bounded) && tf.rate > 0 && sat.Msgs > 0 {
			k := impliedK(cur.k, tf.rate, sat.Msgs)
			if bounded && !saturated {
				k = min(k, cur.k) // an upper bound is only lowered
			}
			ks = append(ks, clamp(k, 0.001, 50))
			cur.k, _ = stats.GeometricMean(ks)
		}
		rtts = append(rtts, float64(cur.rtt)+(e1.P50-tf.p50)*1e6)
		rtt, _ := stats.Mean(rtts)
		cur.rtt = max(0, int64(rtt))
		f.Rounds = append(f.Rounds, TwinRound{RTTms: float64(cur.rtt) / 1e6, CPUScale: cur.k, Mbps: float64(cur.bps) / 1e6, Rx: cur.rx, Tx: cur.tx, P50: tf.p50, Rate: tf.rate})
		f.opts.logf("%s: twin p50 %.2f/%.2f ms, rate %.1f/%.1f (twin/measured): cpu x%.3f, rtt %.2f ms",
			what, tf.p50, e1.P50, tf.rate, sat.Msgs, cur.k, float64(cur.rtt)/1e6)
	}
	return cur
}

// linkFollow is the least power of the bandwidth the twin's link probe
// must follow over the fourfold span from half to twice the fitted
// bandwidth for the probes to have seen it (linkSeen): below it a probe
// a few percent off (its noise, or a window or CPU a little off in the
// twin) moves the bandwidth by a multiple of that. A twin whose probe the
// link binds follows it as bandwidth^0.9-1.0 (the random boards' and
// picow's two-connection downloads, 4.0-4.2x over the span); the ESP32
// presets' two-connection uploads, bound by their CPU and windows behind
// a 20 Mbit/s link, followed their twins' (fitted at 7.4-10.2 Mbit/s) as
// bandwidth^0.47-0.51, and the bandwidth came out 49-63% low.
const linkFollow = 0.55

// linkSeen is whether the probes saw the bandwidth, from the twin's link
// probe at half the fitted bandwidth (lo), at it (at) and at twice it
// (hi): the probe falls by a quarter or more at half, and follows the
// bandwidth as bandwidth^linkFollow or more from half to twice it
// (follows: the power it follows it as).
func linkSeen(lo, at, hi float64) (seen bool, follows float64) {
	if lo <= 0 || hi <= 0 {
		return false, 0
	}
	follows = math.Log(hi/lo) / math.Log(4)
	return lo < 0.75*at && follows >= linkFollow, follows
}

// linkBound is the share of its bandwidth from which a twin's link probe
// is taken as bound by the link: two connections' download behind WiFi
// tails (a stall of one leaves the link to the other, not always at
// once) ran at 87% and 91% of two random boards' twins' links, 91% of one
// such board's own and 98% of picow-tinygo's; a probe bound by a window
// or a CPU runs further below it.
const linkBound = 0.85

// impliedK is the CPU scale that would bring a twin run at scale k, which
// served twinRate, to the board's boardRate: a saturated rate follows
// 1/k, a little more steeply where segments are shared (the exponent).
func impliedK(k, twinRate, boardRate float64) float64 {
	return k * math.Pow(twinRate/boardRate, 1.2)
}

// bpsStep is one round's bandwidth: moved towards the board's link probe
// (MB/s of payload, board) by the twin's (twin), never below floor. It
// is raised only while the twin's probe is bound by its link (its payload
// within linkBound of the bandwidth: the emulation charges no headers): a
// twin bound elsewhere (its window, its CPU, the send buffer) is not
// brought up to the board by a faster link, which would hide the other
// figure's error in this one.
func bpsStep(bps, floor int64, twin, board float64) int64 {
	if twin <= 0 || bps <= 0 || boundElsewhere(bps, twin, board) {
		return bps
	}
	return max(floor, int64(float64(bps)*math.Pow(clamp(board/twin, 0.5, 2), 0.8)))
}

// boundElsewhere: a twin whose link probe (twin, MB/s of payload) is
// under the board's and under linkBound of its bandwidth (bps) is bound
// by something other than its link, and a faster link would not bring it
// up to the board.
func boundElsewhere(bps int64, twin, board float64) bool {
	return twin < board && twin*8e6 < linkBound*float64(bps)
}

// linkOff is the log ratio within which linkCheck takes the twin's link
// probe as meeting the board's: about one run's noise of either (the
// probe is one run of two or so seconds on each: esp8266's two-connection
// upload read 0.272-0.277 MB/s in twelve runs, its twin's 1.00 of
// that at the board's own figures).
var linkOff = math.Log1p(0.015)

// linkSpan is how far linkCheck's second twin moves the bandwidth
// towards the board's probe to read how the probe follows it: far
// enough that the probe's noise (~1%) says little of the slope.
const linkSpan = 1.25

// linkCheck measures the link probe once more on the final twin (probe:
// what measureTwin measures, lkTwin its figure), every other figure
// final, and steps the bandwidth to meet the board's (board, MB/s). The
// rounds fitted the bandwidth beside a window, an access and a tail that
// moved after them, and from a start at the probe's rate, which a probe
// bound in part elsewhere follows only weakly: esp8266's two-connection
// upload, in part bound by each connection's window and its CPU, ran at
// 88% of its 2.5 Mbit/s link and followed the bandwidth as
// bandwidth^0.36 above the fit (^0.9 below), so the rounds left it where
// they started it, 7-12% low in six runs. Where the final twin's probe
// stands off the board's by more than linkOff, a second twin at linkSpan
// towards it reads the slope, and a third runs where the line through
// the two meets the board's probe (the slope held to 0.2-1, the step to
// x1.5); the twin nearest the board's is kept. As in bpsStep the
// bandwidth is raised only while the twin's probe is bound by its link,
// and never below floor.
func (f *Fit) linkCheck(ctx context.Context, base catalog.Preset, tp twinParams, sat Point, probe int, lkTwin func(twinFigures) float64, board float64, floor int64) (int64, string) {
	if board <= 0 || tp.bps <= 0 {
		return tp.bps, ""
	}
	var seen []string
	end := ""
	at := func(bps int64) float64 {
		t := tp
		t.bps = bps
		tf, err := f.measureTwin(ctx, f.build(base, t), sat, probe)
		if u := lkTwin(tf); err == nil && u > 0 {
			seen = append(seen, fmt.Sprintf("%.2f Mbit/s %.2f", float64(bps)/1e6, u/board))
			return u
		}
		seen = append(seen, fmt.Sprintf("%.2f Mbit/s measured nothing", float64(bps)/1e6))
		return 0
	}
	best, bestE := tp.bps, math.Inf(1)
	keep := func(bps int64, u float64) {
		if e := math.Abs(math.Log(u / board)); u > 0 && e < bestE {
			best, bestE = bps, e
		}
	}
	b0 := tp.bps
	u0 := at(b0)
	keep(b0, u0)
	switch {
	case u0 <= 0 || bestE <= linkOff:
	case boundElsewhere(b0, u0, board):
		end = " (bound elsewhere than by its link: kept)"
	default:
		span := linkSpan
		if u0 > board {
			span = 1 / linkSpan
		}
		b1 := max(floor, int64(float64(b0)*span))
		u1 := at(b1)
		keep(b1, u1)
		if u1 <= 0 || b1 == b0 {
			break
		}
		sl := clamp(math.Log(u1/u0)/math.Log(float64(b1)/float64(b0)), 0.2, 1)
		b2 := max(floor, int64(float64(b0)*clamp(math.Pow(board/u0, 1/sl), 1/1.5, 1.5)))
		end = fmt.Sprintf(" (the probe as bandwidth^%.2f)", sl)
		keep(b2, at(b2))
	}
	return best, fmt.Sprintf("; checked on the final twin (its probe against the board's): %s%s: %.2f Mbit/s", strings.Join(seen, ", "), end, float64(best)/1e6)
}

// txCheck measures the final twin's one-connection downloads at every
// size, with the tail, the access and the CPU final, and steps the send
// buffer where one is off the board's. The rounds fit the send buffer to
// the largest download alone, on a twin with the preset's tail: a heavier
// tail on the board slows that download and went into the send buffer (a
// random board's 5760 B came out 3131 B: its 6676 B download met, its
// 1024 B download 0.45 of the board's, which one connection carried at
// the link's rate). A size is off where its log ratio exceeds txOff and
// twice the two probes' noise. Every download grows with the send
// buffer, so a twin with a size too slow and none too fast bounds it
// from below, one with a size too fast and none too slow from above:
// the first step moves by the ratio of the size furthest off (a download
// follows the buffer at most in proportion), then the buffer is halved
// between the bounds (geometrically), up to maxTxChecks twins; the twin
// of least misfit (squared log ratios over their noise) is kept. A twin
// with one size too slow and another too fast ends it: no send buffer
// meets both. Where the echoes fit (hold: the access's line settled on
// them, or they sit on the final twin's: echoesFit), the buffer stays
// within the pattern their replies leave the board in at tp.tx.
func (f *Fit) txCheck(ctx context.Context, base catalog.Preset, tp twinParams, hold bool) (int, string) {
	downs := f.Meas.oneConnDowns()
	if len(downs) == 0 || tp.tx <= 0 {
		return tp.tx, ""
	}
	frames := f.Meas.echoFrames(false)
	mss := cmp.Or(base.CPU.MSS, host.DefaultMSS)
	hold = hold && len(frames) > 0
	// measure: the twin's downloads at send buffer tx against the
	// board's: their misfit, the log ratio of the slowest and the fastest
	// size off (0: none).
	type check struct {
		ratios     []float64
		chi        float64
		slow, fast float64
	}
	measure := func(tx int) (check, bool) {
		t := tp
		t.tx = tx
		srv, err := StartTwin(f.build(base, t), "127.0.0.1:0")
		if err != nil {
			return check{}, false
		}
		defer srv.Close()
		ob := f.opts
		ob.Target, ob.Log = srv.WSURL("/ws"), nil
		var c check
		for _, d := range downs {
			x, err := ob.down(ctx, d.Size, ob.dur(thrDur))
			if err != nil || x.MBps <= 0 {
				return check{}, false
			}
			l := math.Log(x.MBps / d.MBps)
			sigma := max(math.Hypot(d.RateErr, x.RateErr), 0.02)
			c.chi += (l / sigma) * (l / sigma)
			if math.Abs(l) > max(txOff, 2*sigma) {
				c.slow, c.fast = min(c.slow, l), max(c.fast, l)
			}
			c.ratios = append(c.ratios, x.MBps/d.MBps)
		}
		return c, true
	}
	show := func(c check) string {
		var parts []string
		for j, d := range downs {
			parts = append(parts, fmt.Sprintf("%d B %.2f", d.Size, c.ratios[j]))
		}
		return fmt.Sprintf("downloads %s of the board's, misfit %.3g", strings.Join(parts, ", "), c.chi)
	}
	tx, best, bestChi := tp.tx, tp.tx, math.Inf(1)
	lo, hi := 0, 0
	var steps []string
	for range maxTxChecks {
		c, ok := measure(tx)
		if !ok {
			break
		}
		steps = append(steps, fmt.Sprintf("%d B: %s", tx, show(c)))
		if c.chi < bestChi {
			best, bestChi = tx, c.chi
		}
		if (c.slow == 0) == (c.fast == 0) {
			if c.slow != 0 {
				steps = append(steps, "one size too slow and another too fast: no send buffer meets both")
			}
			break
		}
		var next int
		if c.slow != 0 {
			lo = tx
		} else {
			hi = tx
		}
		if lo > 0 && hi > 0 {
			next = int(math.Sqrt(float64(lo) * float64(hi)))
		} else {
			next = int(clamp(float64(tx)*math.Exp(-clamp(c.slow+c.fast, -math.Log(2.5), math.Log(2.5))), firmware.MinTxBuf, firmware.MaxBuf))
		}
		if hold {
			next = samePattern(frames, mss, tp.tx, next)
		}
		if next == tx || next == lo || next == hi {
			if hold {
				steps = append(steps, fmt.Sprintf("held by the echoes' replies %v B (%s at %d B)", frames, sendPattern(frames, tp.tx, mss), tp.tx))
			}
			break
		}
		tx = next
	}
	if len(steps) == 0 {
		return tp.tx, ""
	}
	why := fmt.Sprintf("; checked on the final twin: %s; kept %d B", strings.Join(steps, "; "), best)
	f.opts.logf("send buffer: %s", why[2:])
	return best, why
}

// echoCheck measures the final twin's one-client echoes at every size of
// the ladder against the board's and steps the window where a size's
// request crosses it in a piece more or fewer than the board's does. The
// window comes from the uploads (an upload 5% off moves it 10-15%), and
// the echoes' line against the access (windowSearch, echoHold) places it
// between their frames' steps only where it resolves the access: on a
// slow link it may not (each size's gap is mostly the link's time; CI's
// random board, 2 ms accesses behind 0.66 Mbit/s: 1.63 ms ±1.72, the
// preset's 3 ms kept), and a window 15% low (456 B against 538) sent the
// 1000 B echo's 1008 B request in three pieces, not two: the twin's echo
// 1.24-1.26 of the board's, measured twice. Here the access, the wire
// and the CPU are final, so a piece more is a round more: a size off by
// over echoOff and twice the two p50s' noise is a step of pieces
// (echoStep). The step is tried on the twin and kept where its echoes'
// misfit (squared log ratios over their noise) is less and the twin's
// uploads there fit the board's no worse (upsRefuse); it stays within
// x1.25 of the uploads' window (windowCheck's bracket), and sizes off
// both ways end it.
func (f *Fit) echoCheck(ctx context.Context, base catalog.Preset, tp twinParams) (int, string) {
	m := f.Meas
	if len(m.Echo) < 2 || tp.rx <= 0 {
		return tp.rx, ""
	}
	frames := m.noisyFrames()
	measure := func(rx int) (chi float64, ls, sig []float64, ok bool) {
		t := tp
		t.rx = rx
		return f.twinEchoes(ctx, f.build(base, t))
	}
	show := f.echoRatios
	chi, ls, sig, ok := measure(tp.rx)
	if !ok {
		return tp.rx, ""
	}
	next, how := echoStep(frames, tp.rx, ls, sig)
	why := fmt.Sprintf("; the echoes on the final twin at %d B: %s of the board's (misfit %.3g): %s", tp.rx, show(ls), chi, how)
	if next == tp.rx {
		f.opts.logf("window: %s", why[2:])
		return tp.rx, why
	}
	if refused, up := f.upsRefuse(ctx, base, tp, next); up != "" {
		why += up
		if refused {
			f.opts.logf("window: %s", why[2:])
			return tp.rx, why
		}
	}
	chi2, ls2, _, ok := measure(next)
	if !ok {
		return tp.rx, why
	}
	keep := tp.rx
	if chi2 < chi {
		keep = next
	}
	why += fmt.Sprintf("; at %d B: %s (misfit %.3g): kept %d B", next, show(ls2), chi2, keep)
	f.opts.logf("window: %s", why[2:])
	return keep, why
}

// bpsForEchoes is the bandwidth at which the twin's one-client echoes
// (twin: their p50s in ms, frames their requests' bytes) would shed
// their shifts over the board's (ls, log ratios), where each is the time
// its frame spends on the link, once each way at bps: a size's p50 x (1
// - e^-l) comes off (or on, l < 0) its serialisation; the median of what
// the sizes call for, held to x1/2..x2; false where none was measured.
func bpsForEchoes(frames []int, twin, ls []float64, bps int64) (int64, bool) {
	var ks []float64
	for j, fr := range frames {
		if j >= len(twin) || j >= len(ls) || twin[j] <= 0 {
			continue
		}
		ser := 2 * float64(fr) * 8 / float64(bps) * 1e3 // ms, both ways
		left := ser - twin[j]*(1-math.Exp(-ls[j]))
		if left <= ser/2 {
			ks = append(ks, 2)
			continue
		}
		ks = append(ks, ser/left)
	}
	if len(ks) == 0 {
		return bps, false
	}
	k, _ := stats.Median(ks)
	return int64(float64(bps) * clamp(k, 0.5, 2)), true
}

// jointCheck weighs the window and the bandwidth together where the
// uploads see both: a twin's one-connection upload goes as its window
// over the round, and the round holds the bytes' time on the link, so a
// bandwidth too low beside a window too large uploads as the board did
// (nano33-wifinina, 1024 B behind 1 Mbit/s, came out 1334 B behind 0.48
// Mbit/s, every upload and download within 6%). The one-client echoes
// tell them apart: a request in one piece spends its bytes' time on the
// link once each way, whatever the window, and that twin's 1000-1500 B
// echoes ran 1.26-1.30 of the board's. Where every echo stands off the
// board's the same way, by more than echoOff and twice its noise, and
// the echoes' pattern of pieces calls for no window (echoStep), the
// bandwidth at which each size would shed its shift (bpsForEchoes) is
// tried with the window fitted again beside it (windowJoint): kept where
// the echoes fit better, the uploads no worse (upsAllow) and the link
// probe no further off the board's than before or than half the
// tolerance, and the window then placed by the echoes' pattern of pieces
// (echoCheck).
func (f *Fit) jointCheck(ctx context.Context, base catalog.Preset, tp twinParams, sat Point, probe int, lkTwin func(twinFigures) float64, board float64, floor int64) (twinParams, string) {
	m := f.Meas
	ups := m.oneConnUps()
	if len(m.Echo) < 2 || len(ups) < 2 || tp.bps <= 0 || board <= 0 {
		return tp, ""
	}
	chi, ls, sig, ok := f.twinEchoes(ctx, f.build(base, tp))
	if !ok {
		return tp, ""
	}
	sh := shared(ls)
	for j := range ls {
		if math.Abs(ls[j]) <= max(echoOff, 2*sig[j]) {
			sh = 0
		}
	}
	frames := m.noisyFrames()
	if sh == 0 {
		return tp, ""
	}
	if next, _ := echoStep(frames, tp.rx, ls, sig); next != tp.rx {
		return tp, ""
	}
	twin := make([]float64, len(ls))
	for j, x := range m.noisyEchoes() {
		twin[j] = x.P50 * math.Exp(ls[j])
	}
	bps, ok := bpsForEchoes(frames, twin, ls, tp.bps)
	bps = max(bps, floor)
	if !ok || bps == tp.bps {
		return tp, ""
	}
	why := fmt.Sprintf("; the echoes on the final twin at %d B behind %.2f Mbit/s: %s of the board's (misfit %.3g), every size off the same way (x%.2f at least): their link's time shed at %.2f Mbit/s",
		tp.rx, float64(tp.bps)/1e6, f.echoRatios(ls), chi, math.Exp(sh), float64(bps)/1e6)
	t := tp
	t.bps = bps
	rx, slopes, _ := f.windowJoint(ctx, base, t)
	if slopes == nil {
		why += ": no upload follows the window there: kept"
		f.opts.logf("window and bandwidth: %s", why[2:])
		return tp, why
	}
	t.rx = rx
	chi2, ls2, _, ok2 := f.twinEchoes(ctx, f.build(base, t))
	cur, ok3 := f.twinUploads(ctx, f.build(base, tp), ups, nil)
	next, ok4 := f.twinUploads(ctx, f.build(base, t), ups, nil)
	l0, e0 := f.measureTwin(ctx, f.build(base, tp), sat, probe)
	l1, e1 := f.measureTwin(ctx, f.build(base, t), sat, probe)
	if !ok2 || !ok3 || !ok4 || e0 != nil || e1 != nil || lkTwin(l0) <= 0 || lkTwin(l1) <= 0 {
		why += fmt.Sprintf(" with the window at %d B: measured nothing: kept", rx)
		f.opts.logf("window and bandwidth: %s", why[2:])
		return tp, why
	}
	lkOff0, lkOff1 := math.Abs(math.Log(lkTwin(l0)/board)), math.Abs(math.Log(lkTwin(l1)/board))
	keep := chi2 < chi && upsAllow(ups, rates(cur), rates(next)) && lkOff1 <= max(lkOff0, math.Log1p(Tolerance/2))
	why += fmt.Sprintf(" with the window at %d B: echoes %s (misfit %.3g), uploads %s against %s, link probe %.2f against %.2f of the board's",
		rx, f.echoRatios(ls2), chi2, upRatios(ups, rates(next)), upRatios(ups, rates(cur)), lkTwin(l1)/board, lkTwin(l0)/board)
	if keep {
		// The window refitted from the uploads can land a little short
		// of a frame's step (a run's 983 B beside the board's 1024 B,
		// its 1008 B request in two pieces): the echoes' pattern again.
		why += ": taken"
		var w string
		t.rx, w = f.echoCheck(ctx, base, t)
		why += w
		tp = t
	} else {
		why += ": kept"
	}
	f.opts.logf("window and bandwidth: %s", why[2:])
	return tp, why
}

// noisyEchoes are the one-client echoes above the smallest whose p50
// has a noise (p50Err: two messages or more). A size over the board's
// cap echoes once before the close (nano33-wifinina's 2900 B, n 1), and
// a p50 without a noise, taken at the 0.02 floor, read as a size off by
// a tenth (0.90 of a twin's) and kept its window from a step.
func (m *Measurements) noisyEchoes() []Point {
	var out []Point
	for _, x := range m.Echo[min(1, len(m.Echo)):] {
		if x.N >= 2 {
			out = append(out, x)
		}
	}
	return out
}

// noisyFrames are noisyEchoes' requests' frames (masked).
func (m *Measurements) noisyFrames() []int { return framesOf(m.noisyEchoes(), true) }

// twinEchoes measures the one-client echoes above the smallest whose
// p50 has a noise (noisyEchoes) on twin p, each twice as long as the
// board's: ls are the log ratios of the twin's p50 to the board's, sig
// their noise (at least 0.02), chi the misfit (their squares over their
// noise's).
func (f *Fit) twinEchoes(ctx context.Context, p catalog.Preset) (chi float64, ls, sig []float64, ok bool) {
	if p.Link.Tails.On() {
		p.Link.Tails.Seed = rand.Uint64()
	}
	srv, err := StartTwin(p, "127.0.0.1:0")
	if err != nil {
		return 0, nil, nil, false
	}
	defer srv.Close()
	ob := f.opts
	ob.Target, ob.Log = srv.WSURL("/ws"), nil
	for _, x := range f.Meas.noisyEchoes() {
		pt, err := ob.echo(ctx, 1, x.Size, time.Duration(2*max(x.Dur, 0.5)*1e9), nil)
		if err != nil || pt.P50 <= 0 || x.P50 <= 0 {
			return 0, nil, nil, false
		}
		l := math.Log(pt.P50 / x.P50)
		sg := max(math.Hypot(x.P50Err, pt.P50Err), 0.02)
		chi += (l / sg) * (l / sg)
		ls, sig = append(ls, l), append(sig, sg)
	}
	return chi, ls, sig, true
}

// echoRatios names the twin's echoes over the board's, size by size
// ("1000 B 1.28, 1400 B 1.12"), from their log ratios (twinEchoes).
func (f *Fit) echoRatios(ls []float64) string {
	var parts []string
	for j, x := range f.Meas.noisyEchoes() {
		if j < len(ls) {
			parts = append(parts, fmt.Sprintf("%d B %.2f", x.Size, math.Exp(ls[j])))
		}
	}
	return strings.Join(parts, ", ")
}

// echoesFit measures the one-client echoes on twin tp and reports
// whether every size lies within echoOff and twice its noise of the
// board's: then the pattern of pieces the twin's send buffer leaves its
// replies in is the board's, and txCheck holds it. nano33-wifinina (1024
// B): the access's line never settled (its echoes called for 19-30 ms),
// the echoes fit the twin at 1219 B within their noise, and txCheck,
// free, stepped to 926 B from the downloads alone (0.93 and 0.89 of the
// board's, within their noise), where the 1004 B reply left in two
// pieces and the 1000 B echo ran 1.56 of the board's.
func (f *Fit) echoesFit(ctx context.Context, base catalog.Preset, tp twinParams) (bool, string) {
	if len(f.Meas.noisyEchoes()) == 0 {
		return false, ""
	}
	chi, ls, sig, ok := f.twinEchoes(ctx, f.build(base, tp))
	if !ok {
		return false, ""
	}
	fit := echoesWithin(ls, sig)
	why := fmt.Sprintf("; the echoes on the final twin at %d B: %s of the board's (misfit %.3g): within their noise or a tenth: %v", tp.tx, f.echoRatios(ls), chi, fit)
	f.opts.logf("send buffer: %s", why[2:])
	return fit, why
}

// echoesWithin: every size's log ratio (ls) within echoOff and twice its
// noise (sig).
func echoesWithin(ls, sig []float64) bool {
	for j, l := range ls {
		if math.Abs(l) > max(echoOff, 2*sig[j]) {
			return false
		}
	}
	return true
}

// upsRefuse measures the twin's one-connection uploads (once each, as
// long as the board's) at tp.rx and at the window next the echoes call
// for, and refuses the step where they fit the board's worse at next
// (upsAllow). The uploads measure the window; an echo's p50 only how its
// frames cross it, and behind WiFi tails a size's p50 can lie further
// from its neighbours than its noise says: CI's random board (seed 11,
// 538 B) echoed 1400 B at 93.9 ms and 1500 B at 104 ms, both three
// pieces of its window, so the twin at 593 B read 1.11 and 1.01 of them,
// echoCheck stepped to 704 B (1400 B in two pieces) and kept it (misfit
// 31.1 -> 25.5), and the twin there uploaded 1.22-1.23 of the board's
// 8192 B. It returns "" where it measured nothing (the step is then
// judged on the echoes alone).
func (f *Fit) upsRefuse(ctx context.Context, base catalog.Preset, tp twinParams, next int) (bool, string) {
	ups := f.Meas.oneConnUps()
	if len(ups) == 0 {
		return false, ""
	}
	var at [2][]float64
	for i, rx := range []int{tp.rx, next} {
		t := tp
		t.rx = rx
		tw, ok := f.twinUploads(ctx, f.build(base, t), ups, nil)
		if !ok {
			return false, ""
		}
		at[i] = rates(tw)
	}
	refused := !upsAllow(ups, at[0], at[1])
	verdict := "the uploads allow it"
	if refused {
		verdict = fmt.Sprintf("refused by the uploads: kept %d B", tp.rx)
	}
	return refused, fmt.Sprintf("; the twin's uploads at %d B %s, at %d B %s of the board's: %s", tp.rx, upRatios(ups, at[0]), next, upRatios(ups, at[1]), verdict)
}

// upsAllow: the twin's uploads at a stepped window (next) fit the
// board's (ups) no worse than at the window it leaves (cur), or within
// half the tolerance (Tolerance/2): a step the echoes call for may move
// the uploads as far as their noise and the judge's room leave, not out
// of it. The fit is the worst size's log ratio.
func upsAllow(ups []Point, cur, next []float64) bool {
	worst := func(tw []float64) float64 {
		lo, hi := upLogs(ups, tw)
		return max(0, -lo, hi)
	}
	return worst(next) <= max(worst(cur), math.Log1p(Tolerance/2))
}

// echoOff is the least log ratio of a twin's echo p50 to the board's
// taken as a step of pieces (echoStep; and twice the two p50s' noise).
const echoOff = 0.1

// echoStep is the window the echoes' ratios (ls: log of the twin's p50
// over the board's, sig their noise, per frame) call for from rx: a
// size off by over echoOff and twice its noise crosses rx in a piece more
// than the board's window (too slow: the least window that takes one
// piece fewer, ceil(F/(k-1))) or one fewer (too fast: the largest that
// takes one more, ceil(F/k)-1); the window nearest rx that meets every
// such size, within x1.25 of rx. It returns rx and why where none is off,
// a size too slow already crosses in one piece (the window is not what
// slows it), sizes are off both ways, or the window needed lies beyond
// the bracket.
//
// Where every size is off the same way and the window that meets them
// all lies beyond the bracket, the sizes share a slowness (or haste) no
// window explains: an access or a tail a little off moves each size by
// its pieces, not by a round. The step is then judged on what lies
// beyond the least off size's ratio (shared). A CI run's random board
// (seed 11, 538 B) at 495 B: 1000/1400/1500/2900 B at 1.28/1.12/1.22/
// 1.14 of the board's (1008/1408/1508/2908 B in 3/3/4/6 pieces, the
// board's 2/3/3/6): all of them called for 704 B (1408 B in two), beyond
// x1.25, and the twin kept 1000 B's echo a round late (1.31 when
// judged); beyond the shared x1.12, 1000 B alone is off: 504 B.
func echoStep(frames []int, rx int, ls, sig []float64) (int, string) {
	next, why, beyond := echoStepOn(frames, rx, ls, sig)
	if !beyond {
		return next, why
	}
	s := shared(ls)
	if s == 0 {
		return next, why
	}
	rest := make([]float64, len(ls))
	for j, l := range ls {
		rest[j] = l - s
	}
	n2, why2, _ := echoStepOn(frames, rx, rest, sig)
	if n2 == rx {
		return next, why
	}
	return n2, fmt.Sprintf("%s; every size off the same way, beyond the x%.2f they share (the least off size's): %s", why, math.Exp(s), why2)
}

// shared is the log ratio every size's (ls) lies beyond on the same
// side: the least off one's; 0 where they lie on both sides of 0.
func shared(ls []float64) float64 {
	if len(ls) == 0 {
		return 0
	}
	s := ls[0]
	for _, l := range ls[1:] {
		if l*s <= 0 {
			return 0
		}
		if math.Abs(l) < math.Abs(s) {
			s = l
		}
	}
	return s
}

// echoStepOn is echoStep on the ratios as they are; beyond reports that
// every size off lay on one side and the window they call for beyond
// the bracket.
func echoStepOn(frames []int, rx int, ls, sig []float64) (next int, why string, beyond bool) {
	lo, hi := 0, math.MaxInt // the window must be at least lo, at most hi
	var slow, fast []string
	for j, fr := range frames {
		if j >= len(ls) || math.Abs(ls[j]) <= max(echoOff, 2*sig[j]) {
			continue
		}
		k := (fr + rx - 1) / rx
		if ls[j] > 0 {
			if k <= 1 {
				return rx, fmt.Sprintf("its %d B request crosses %d B in one piece: too slow for another reason", fr, rx), false
			}
			lo = max(lo, (fr+k-2)/(k-1))
			slow = append(slow, fmt.Sprintf("%d B in %d pieces", fr, k))
		} else {
			hi = min(hi, (fr+k-1)/k-1)
			fast = append(fast, fmt.Sprintf("%d B in %d pieces", fr, k))
		}
	}
	switch {
	case slow == nil && fast == nil:
		return rx, "every size within its noise or a tenth", false
	case slow != nil && fast != nil:
		return rx, fmt.Sprintf("too slow (%s) and too fast (%s): no window meets both", strings.Join(slow, ", "), strings.Join(fast, ", ")), false
	}
	next, what := lo, "too slow: "+strings.Join(slow, ", ")+": a piece fewer"
	if fast != nil {
		next, what = hi, "too fast: "+strings.Join(fast, ", ")+": a piece more"
	}
	if float64(next) > 1.25*float64(rx) || float64(next) < float64(rx)/1.25 || next < firmware.MinRxBuf {
		return rx, fmt.Sprintf("%s at %d B, beyond x1.25 of the uploads' window", what, next), true
	}
	return next, fmt.Sprintf("%s at %d B", what, next), false
}

// samePattern is the send buffer nearest next, between cur and next, at
// which the replies (frames) leave the board in cur's pattern
// (sendPattern: it changes at each step of a frame's pieces or
// segments, so the buffers of one pattern are a range).
func samePattern(frames []int, mss, cur, next int) int {
	want := sendPattern(frames, cur, mss)
	if sendPattern(frames, next, mss) == want {
		return next
	}
	good, bad := cur, next // good keeps the pattern, bad does not
	for abs(bad-good) > 1 {
		mid := good + (bad-good)/2
		if sendPattern(frames, mid, mss) == want {
			good = mid
		} else {
			bad = mid
		}
	}
	return good
}
