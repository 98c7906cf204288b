//go:build linux

package fidelity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/plots"
	"github.com/wslab/wslab/results"
)

// Options configure Validate.
type Options struct {
	// Models are the presets to check; default every one with published
	// figures.
	Models []string
	// Duration is the measurement time per point; default 8s (the
	// published runs took 60 s).
	Duration time.Duration
	// Seed seeds the WiFi tails; default 1.
	Seed uint64
	// NoTails, NoCPU and NoAirtime turn parts of the model off, to show
	// what each contributes.
	NoTails, NoCPU, NoAirtime bool
	// Progress receives a line per point; nil for none.
	Progress io.Writer
}

// fill puts in the defaults of the fields left zero.
func (o *Options) fill() {
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// DefaultDuration is the measurement time per point.
const DefaultDuration = 8 * time.Second

// Compared is one point: published and emulated side by side.
type Compared struct {
	Published Point
	Emulated  Point   // MeanMs by Little's law (clients / rate)
	CPUBusy   float64 // the board's CPU busy fraction during the point
	RateOK    bool
	P50OK     bool
	P99OK     bool
	Why       string // why a miss, in words
	Run       *results.Run
}

// OK reports whether every target holds.
func (c Compared) OK() bool { return c.RateOK && c.P50OK && c.P99OK }

// Result is one model's comparison.
type Result struct {
	Series Series
	Points []Compared
}

// OK reports whether every point holds.
func (r Result) OK() bool {
	for _, p := range r.Points {
		if !p.OK() {
			return false
		}
	}
	return len(r.Points) > 0
}

// Validate runs each model's published load against its emulated board:
// a fresh board per point, started in this process with the preset's
// configuration, link, tails and CPU; a closed-loop echo of Size-byte text
// messages on persistent WebSockets, one in flight per client.
func Validate(ctx context.Context, o Options) ([]Result, error) {
	o.fill()
	if o.Duration < 500*time.Millisecond {
		return nil, fmt.Errorf("validate: duration %v is too short to measure (at least 500ms)", o.Duration)
	}
	models := o.Models
	if len(models) == 0 {
		for _, s := range Published {
			models = append(models, s.Model)
		}
	}
	var out []Result
	for _, m := range models {
		ser, ok := Lookup(m)
		if !ok {
			var have []string
			for _, s := range Published {
				have = append(have, s.Model)
			}
			return out, fmt.Errorf("validate: no published figures for %q (have: %s)", m, strings.Join(have, ", "))
		}
		p, err := catalog.Get(m)
		if err != nil {
			return out, fmt.Errorf("validate: %w", err)
		}
		res := Result{Series: ser}
		for _, pt := range ser.Points {
			c, err := runPoint(ctx, p, ser, pt, o)
			if err != nil {
				return out, fmt.Errorf("validate %s at %d clients: %w", m, pt.Clients, err)
			}
			if len(res.Points) > 0 {
				c.Why = why(c, p, res.Points[0].Emulated, res.Points[0].Published)
			} else {
				c.Why = why(c, p, Point{}, Point{})
			}
			res.Points = append(res.Points, c)
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "%s %d clients: %.0f msgs/s, p50 %.1f ms, p99 %.1f ms, cpu %.0f%%\n", m, pt.Clients,
					c.Emulated.MsgsPerSec, c.Emulated.P50Ms, c.Emulated.P99Ms, c.CPUBusy*100)
			}
		}
		out = append(out, res)
	}
	return out, nil
}

func runPoint(ctx context.Context, p catalog.Preset, ser Series, pt Point, o Options) (Compared, error) {
	link := p.Link
	link.Tails.Seed = o.Seed + uint64(pt.Clients)
	cpu := p.CPU
	if o.NoTails {
		link.Tails = host.Tails{}
	}
	if o.NoAirtime {
		link.Airtime = 0
	}
	if o.NoCPU {
		cpu = host.CPU{}
	}
	board := p.Board
	if ser.Slots > board.Slots {
		board.Slots = ser.Slots
	}
	srv, err := host.Start(host.Options{Board: board, Link: link, CPU: cpu, Backlog: 512})
	if err != nil {
		return Compared{}, err
	}
	defer srv.Close()
	busy0 := srv.CPUBusy()
	t0 := time.Now()
	run, err := loadgen.Run(ctx, loadgen.Spec{Target: srv.WSURL("/ws"), Scenario: loadgen.Echo, Conns: pt.Clients,
		Size: ser.Size, Text: true, Duration: o.Duration, HeapEvery: -1})
	if err != nil {
		return Compared{}, err
	}
	busy := float64(srv.CPUBusy()-busy0) / float64(time.Since(t0)) / float64(max(p.CPU.Cores, 1))
	if run.Board.Extra == nil {
		run.Board.Extra = map[string]string{}
	}
	run.Board.Extra["cpu_busy"] = fmt.Sprintf("%.3f", busy)
	s := run.Summary()
	if !s.HasLatency || s.MsgsPerSec == 0 {
		return Compared{}, errors.New("no echo measured")
	}
	e := Point{Clients: pt.Clients, MsgsPerSec: s.MsgsPerSec, MeanMs: float64(pt.Clients) / s.MsgsPerSec * 1000,
		P50Ms: s.P50 / 1000, P99Ms: s.P99 / 1000, Errors: int(s.Errors)}
	c := Compared{Published: pt, Emulated: e, CPUBusy: busy, Run: run}
	c.RateOK = math.Abs(e.MsgsPerSec/pt.MsgsPerSec-1) <= TargetRate
	c.P50OK = math.Abs(e.P50Ms/pt.P50Ms-1) <= TargetP50
	r99 := e.P99Ms / pt.P99Ms
	c.P99OK = r99 <= TargetP99 && r99 >= 1/TargetP99
	return c, nil
}

// why explains a miss by the model's parts; one and onePub are the
// emulated and published one-client points (zero when not measured yet).
func why(c Compared, p catalog.Preset, one, onePub Point) string {
	var w []string
	e, pub := c.Emulated, c.Published
	if !c.RateOK {
		switch {
		case e.MsgsPerSec < pub.MsgsPerSec && c.CPUBusy > 0.85:
			w = append(w, fmt.Sprintf("rate low with the CPU %.0f%% busy: the per-message service time (%s) is too high", c.CPUBusy*100, time.Duration(p.CPU.MessageCost(50))))
		case e.MsgsPerSec < pub.MsgsPerSec:
			w = append(w, "rate low with the CPU not saturated: the round trip (RTT + wake-up + tails) is too long")
		case c.CPUBusy > 0.85:
			w = append(w, "rate high at saturation: the per-message service time is too low")
		case one.MsgsPerSec > 0 && pub.Clients > 1:
			w = append(w, fmt.Sprintf("rate high below saturation (CPU %.0f%% busy): the emulated board gains x%.2f over one client where the published one gained x%.2f; the model's shared parts (the CPU, the channel's accesses) leave the clients more parallel than the real board: a channel access (Link.Airtime) too cheap, or contention the model lacks (the stack's locks)",
				c.CPUBusy*100, e.MsgsPerSec/one.MsgsPerSec, pub.MsgsPerSec/onePub.MsgsPerSec))
		default:
			w = append(w, "rate high: the round trip (RTT + wake-up + tails) is too short")
		}
	}
	if !c.P50OK {
		if e.P50Ms < pub.P50Ms {
			w = append(w, "p50 low: base round trip plus service too short")
		} else {
			w = append(w, "p50 high: base round trip plus service (or queueing) too long")
		}
	}
	if !c.P99OK {
		if e.P99Ms < pub.P99Ms {
			w = append(w, "p99 low: the WiFi tail is too light")
		} else {
			w = append(w, "p99 high: the WiFi tail (or queueing behind it) is too heavy")
		}
	}
	if e.Errors > 0 {
		var kinds []string
		if c.Run != nil {
			for k, n := range c.Run.Errors {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		w = append(w, fmt.Sprintf("%d errors (%s)", e.Errors, strings.Join(kinds, ", ")))
	}
	return strings.Join(w, "; ")
}

// WriteTable prints the side-by-side table: per point, emulated against
// published with the ratio and PASS or MISS, then the reason of each miss.
func WriteTable(w io.Writer, rs []Result) {
	for _, r := range rs {
		fmt.Fprintf(w, "\n%s (%s)\n  source: %s\n", r.Series.Model, r.Series.Library, r.Series.Source)
		if r.Series.Notes != "" {
			fmt.Fprintf(w, "  setup: %s\n", r.Series.Notes)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "clients\tmsgs/s emu\tpub\tratio\t\tp50 ms emu\tpub\tratio\t\tp99 ms emu\tpub\tratio\t\tcpu\t")
		for _, c := range r.Points {
			e, p := c.Emulated, c.Published
			fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.2f\t%s\t%.1f\t%.0f\t%.2f\t%s\t%.1f\t%.0f\t%.2f\t%s\t%.0f%%\t\n", p.Clients,
				e.MsgsPerSec, p.MsgsPerSec, e.MsgsPerSec/p.MsgsPerSec, verdict(c.RateOK),
				e.P50Ms, p.P50Ms, e.P50Ms/p.P50Ms, verdict(c.P50OK),
				e.P99Ms, p.P99Ms, e.P99Ms/p.P99Ms, verdict(c.P99OK), c.CPUBusy*100)
		}
		tw.Flush()
		for _, c := range r.Points {
			if !c.OK() {
				fmt.Fprintf(w, "  MISS at %d clients: %s\n", c.Published.Clients, c.Why)
			}
		}
		if r.OK() {
			fmt.Fprintf(w, "  %s: every point within the targets (msgs/s ±%.0f%%, p50 ±%.0f%%, p99 x%.1f)\n", r.Series.Model, TargetRate*100, TargetP50*100, TargetP99)
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// Curves turns results into the plot's curves.
func Curves(rs []Result) []plots.ValidationCurve {
	var out []plots.ValidationCurve
	for _, r := range rs {
		c := plots.ValidationCurve{Model: r.Series.Model}
		for _, p := range r.Points {
			c.Clients = append(c.Clients, float64(p.Published.Clients))
			c.EmuRate = append(c.EmuRate, p.Emulated.MsgsPerSec)
			c.PubRate = append(c.PubRate, p.Published.MsgsPerSec)
			c.EmuP50 = append(c.EmuP50, p.Emulated.P50Ms)
			c.PubP50 = append(c.PubP50, p.Published.P50Ms)
			c.EmuP99 = append(c.EmuP99, p.Emulated.P99Ms)
			c.PubP99 = append(c.PubP99, p.Published.P99Ms)
		}
		out = append(out, c)
	}
	return out
}
