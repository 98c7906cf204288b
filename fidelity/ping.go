package fidelity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// PingGap is the spacing of the emulated pings: longer than a station
// stays awake after traffic (host.DefaultPSAwake after its reply), so
// each finds it dozing as a ping a second does, and 350 mod 102.4 ms
// spreads them across the beacon interval (a few seconds cover it, where
// a ping a second would take as many tens of seconds).
const PingGap = 350 * time.Millisecond

// PingSize is the emulated ping's payload: ping's default 56 B.
const PingSize = 56

// PingResult is one published ping figure against the emulated board's.
type PingResult struct {
	Ping
	N                           int64   // pings measured
	MinMs, P50Ms, MeanMs, MaxMs float64 // the emulated board's
	OK                          bool
	Why                         string // why a miss, in words
}

// ValidatePings sends the preset's emulated board one small message
// every PingGap for o.Duration (at least 16) with its CPU off (a ping is
// answered by the stack): what is left is the link (the wire's round
// trip, two channel accesses, the tails, and with power save the wait for
// the DTIM beacon), which is what a ping measures. Only the pings of
// o.Models (all when empty) are run.
func ValidatePings(ctx context.Context, o Options) ([]PingResult, error) {
	o.fill()
	var out []PingResult
	for i, pg := range Pings {
		if len(o.Models) > 0 && !slices.Contains(o.Models, pg.Model) {
			continue
		}
		p, err := catalog.Get(pg.Model)
		if err != nil {
			return out, fmt.Errorf("validate: %w", err)
		}
		link := p.Link
		link.Tails.Seed = o.Seed + 100 + uint64(i)
		link.Tails.PowerSave, link.Tails.DTIM = pg.PowerSave, pg.DTIM
		if o.NoTails {
			link.Tails = host.Tails{PowerSave: pg.PowerSave, DTIM: pg.DTIM, Seed: link.Tails.Seed}
		}
		if o.NoAirtime {
			link.Airtime = 0
		}
		r, err := ping(ctx, p, link, o.Duration)
		if err != nil {
			return out, fmt.Errorf("validate %s ping (power save %v): %w", pg.Model, pg.PowerSave, err)
		}
		r.Ping = pg
		r.judge()
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s ping, power save %v: median %.1f ms, mean %.1f ms (n %d)\n", pg.Model, pg.PowerSave, r.P50Ms, r.MeanMs, r.N)
		}
		out = append(out, r)
	}
	return out, nil
}

func ping(ctx context.Context, p catalog.Preset, link host.Link, d time.Duration) (PingResult, error) {
	srv, err := host.Start(host.Options{Board: p.Board, Link: link, StatsListen: "off"})
	if err != nil {
		return PingResult{}, err
	}
	defer srv.Close()
	n := max(16, int(d/PingGap))
	run, err := loadgen.Run(ctx, loadgen.Spec{Target: srv.WSURL("/ws"), Scenario: loadgen.Rate, Conns: 1, Size: PingSize,
		Duration: time.Duration(n) * PingGap, Rate: float64(time.Second) / float64(PingGap), HeapEvery: -1})
	if err != nil {
		return PingResult{}, err
	}
	h := run.Histograms[results.HistLatency]
	if h.Count() == 0 {
		return PingResult{}, errors.New("no ping answered")
	}
	return PingResult{N: h.Count(), MinMs: float64(h.Min()) / 1000, P50Ms: float64(h.Quantile(0.5)) / 1000,
		MeanMs: h.Mean() / 1000, MaxMs: float64(h.Max()) / 1000}, nil
}

// judge holds the emulated figures to the published ones: the median in
// the published range, the mean within TargetP50 of the published mean.
func (r *PingResult) judge() {
	r.OK = true
	if r.HiMs > 0 && (r.P50Ms < r.LoMs || r.P50Ms > r.HiMs) {
		r.OK = false
		r.Why = fmt.Sprintf("median %.1f ms outside the published %.1f-%.1f ms: the link's base round trip (the wire and two channel accesses) is off", r.P50Ms, r.LoMs, r.HiMs)
	}
	if r.MeanMs > 0 && r.Ping.MeanMs > 0 && math.Abs(r.MeanMs/r.Ping.MeanMs-1) > TargetP50 {
		r.OK = false
		what := "too short: the doze's wait for the DTIM beacon (or the tail) is too light"
		if r.MeanMs > r.Ping.MeanMs {
			what = "too long: the doze's wait (or the tail) is too heavy"
		}
		r.Why = fmt.Sprintf("mean %.1f ms against the published %.0f ms (beyond ±%.0f%%): %s", r.MeanMs, r.Ping.MeanMs, TargetP50*100, what)
	}
}

// WritePings prints the link's round trip, emulated against published.
func WritePings(w io.Writer, rs []PingResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nthe WiFi link's own round trip (a ping: one %d B message every %s, the board's CPU off)\n", PingSize, PingGap)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  board\tpower save\tn\tmin ms\tmedian ms\tmean ms\tmax ms\tpublished\tverdict\t")
	for _, r := range rs {
		ps := "off"
		if r.PowerSave {
			ps = fmt.Sprintf("on, DTIM %d", r.DTIM)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%s\t\n", r.Model, ps, r.N, r.MinMs, r.P50Ms, r.MeanMs, r.MaxMs, r.Says, verdict(r.OK))
	}
	tw.Flush()
	for _, r := range rs {
		fmt.Fprintf(w, "  source: %s\n", r.Source)
		if !r.OK {
			fmt.Fprintf(w, "  MISS (%s, power save %v): %s\n", r.Model, r.PowerSave, r.Why)
		}
	}
}
