//go:build linux

package loadgen

import (
	"fmt"
	"strings"
	"time"

	"github.com/wslab/wslab/results"
)

// NoDrop: the highest open-loop echo rate the board keeps without losing a
// message and with bounded latency. Each step is a rate run (sequence-
// numbered messages, coordinated-omission-corrected latency) of its own,
// long enough to fill the queues: Duration/10, or shorter where the rate
// sends noDropMinMsgs messages sooner (at least 50 ms), so a fast rate is
// judged on as many messages as a slow one in less time. The answer says
// the steps' lengths and the fewest messages a step sent: its resolution
// (a step without drops among N messages misses a drop rate under 1/N). The rate
// doubles from Rate (default 50 msgs/s in all) until a step fails, then
// bisects between the last kept and the first failed rate until they are
// within 10% (at most 12 steps in all). A step fails when a message is not
// answered or its p99 latency exceeds LatencyBound. The drops of the first
// failed rate are split by where they happened: in the board's queue (its
// /stats msgs.dropped), at a close (the board closed or reset the
// connection), or lost (neither: unanswered).

// DefaultLatencyBound is nodrop's default p99 bound.
const DefaultLatencyBound = 100 * time.Millisecond

const noDropSteps = 12

// noDropMinMsgs is the messages a step sends when Duration/10 allows
// more: a step without drops among 100 says the drop rate is under 1%.
const noDropMinMsgs = 100

// noDropMinStep is the shortest step.
const noDropMinStep = 50 * time.Millisecond

// noDropStepFor is how long a step at rate lasts: base (Duration/10), or
// as long as noDropMinMsgs messages take at rate when that is shorter
// (at least noDropMinStep).
func noDropStepFor(base time.Duration, rate float64) time.Duration {
	need := time.Duration(float64(noDropMinMsgs) / rate * float64(time.Second))
	return min(base, max(need, noDropMinStep))
}

// dropStep is one rate tried.
type dropStep struct {
	rate                float64
	dur                 time.Duration // how long it ran
	ok                  bool
	sent, recv          int64
	queue, closed, lost int64
	p99                 time.Duration
	why                 string
}

func (d *dropStep) String() string {
	if d.ok {
		return fmt.Sprintf("%.0f/s kept (p99 %s)", d.rate, d.p99.Round(10*time.Microsecond))
	}
	return fmt.Sprintf("%.0f/s failed: %s", d.rate, d.why)
}

func runNoDrop(p *probe) (string, error) {
	s := p.s
	bound := s.LatencyBound
	if bound <= 0 {
		bound = DefaultLatencyBound
	}
	base := max(s.Duration/10, noDropMinStep)
	rate := s.Rate
	if rate <= 0 {
		rate = 50
	}
	p.param("latency_bound", bound.String())
	var steps []dropStep
	var lo, hi float64 // the highest kept and lowest failed rate so far
	var firstFail *dropStep
search:
	for len(steps) < noDropSteps && p.ctx.Err() == nil {
		d, err := p.dropStep(rate, noDropStepFor(base, rate), bound)
		if err != nil {
			return "", err
		}
		steps = append(steps, d)
		if d.ok {
			lo = rate
		} else {
			hi = rate
			if firstFail == nil || rate < firstFail.rate {
				firstFail = &steps[len(steps)-1]
			}
		}
		switch {
		case hi == 0:
			rate *= 2
		case lo == 0:
			rate /= 2
			if rate < 1 {
				rate = 0
			}
		default:
			rate = (lo + hi) / 2
		}
		if rate == 0 || (lo > 0 && hi > 0 && hi/lo <= 1.1) {
			break search
		}
	}
	parts := make([]string, len(steps))
	for i := range steps {
		parts[i] = steps[i].String()
	}
	p.note("nodrop steps (p99 bound %s): %s", bound, strings.Join(parts, "; "))
	// The steps for a plot (NoDropSteps reads them back), in the order
	// tried: offered:delivered:p99:verdict:step.
	var plot []string
	var shortest, longest time.Duration
	fewest := int64(-1)
	for i, d := range steps {
		v := "kept"
		switch {
		case d.ok:
		case d.queue+d.closed+d.lost > 0 || d.recv == 0:
			v = "drops"
		default:
			v = "latency"
		}
		delivered := 0.0
		if d.dur > 0 {
			delivered = float64(d.recv) / d.dur.Seconds()
		}
		plot = append(plot, fmt.Sprintf("%g:%.4g:%d:%s:%s", d.rate, delivered, d.p99.Microseconds(), v, d.dur))
		if i == 0 || d.dur < shortest {
			shortest = d.dur
		}
		longest = max(longest, d.dur)
		if fewest < 0 || d.sent < fewest {
			fewest = d.sent
		}
	}
	p.param("steps", strings.Join(plot, " "))
	res := fmt.Sprintf("; steps of %s", shortest.Round(time.Millisecond))
	if longest > shortest {
		res = fmt.Sprintf("; steps of %s to %s", shortest.Round(time.Millisecond), longest.Round(time.Millisecond))
	}
	res += fmt.Sprintf(", each of at least %d messages", fewest)
	p.param("step_min_msgs", fmt.Sprint(fewest))
	var best *dropStep
	for i := range steps {
		if steps[i].ok && (best == nil || steps[i].rate > best.rate) {
			best = &steps[i]
		}
	}
	p.r.Scenario.Rate = lo
	switch {
	case best == nil && firstFail != nil:
		return fmt.Sprintf("no rate without drops: even %.0f msgs/s failed (%s)", firstFail.rate, firstFail.why) + res, nil
	case best == nil:
		return "", fmt.Errorf("no step ran")
	case hi == 0:
		return fmt.Sprintf("highest rate without drops: at least %.0f msgs/s (p99 %s; the highest tried)", best.rate, best.p99.Round(10*time.Microsecond)) + res, nil
	}
	// The lowest failed rate above the best kept one says how it fails.
	var fail *dropStep
	for i := range steps {
		if !steps[i].ok && steps[i].rate > best.rate && (fail == nil || steps[i].rate < fail.rate) {
			fail = &steps[i]
		}
	}
	a := fmt.Sprintf("highest rate without drops: %.0f msgs/s (p99 %s)", best.rate, best.p99.Round(10*time.Microsecond))
	if fail != nil {
		a += fmt.Sprintf("; at %.0f msgs/s %s", fail.rate, fail.why)
	}
	return a + res, nil
}

// dropStep runs one rate step and judges it.
func (p *probe) dropStep(rate float64, step, bound time.Duration) (dropStep, error) {
	s := p.s
	d := dropStep{rate: rate, dur: step}
	before, haveBefore := p.read()
	spec := Spec{Target: s.Target, Scenario: Rate, Conns: s.Conns, Size: s.Size, Text: s.Text, Rate: rate, Duration: step,
		Interval: max(step/4, time.Millisecond),
		Window:   s.Window, MSS: s.MSS, Workers: s.Workers, LocalAddrs: s.LocalAddrs, HeapEvery: -1, StatsURL: "-",
		DialTimeout: s.DialTimeout, DrainTimeout: max(2*bound, 500*time.Millisecond), CloseTimeout: s.CloseTimeout, Board: &p.r.Board,
		Insecure: s.Insecure, CAFile: s.CAFile}
	r, err := Run(p.ctx, spec)
	if r == nil || (err != nil && r.Counts.ConnsOpened == 0) {
		return d, err // nothing to judge: the board is not there
	}
	after, haveAfter := p.read()
	c := r.Counts
	d.sent, d.recv = c.MsgsSent, c.MsgsReceived
	p.r.Counts.MsgsSent += c.MsgsSent
	p.r.Counts.MsgsReceived += c.MsgsReceived
	p.r.Counts.BytesSent += c.BytesSent
	p.r.Counts.BytesReceived += c.BytesReceived
	p.r.Counts.ConnsAttempted += c.ConnsAttempted
	p.r.Counts.ConnsOpened += c.ConnsOpened
	p.r.Counts.ConnsDropped += c.ConnsDropped
	unanswered := r.Errors["lost"] + r.Errors["dropped"] + r.Errors["unsent"] + r.Errors["backlog"]
	if haveBefore && haveAfter {
		d.queue = min(max(after.MsgsDropped-before.MsgsDropped, 0), unanswered)
	}
	var closes int64
	for k, n := range r.Errors {
		if strings.HasPrefix(k, "close ") || k == "eof" || k == "reset" {
			closes += n
		}
	}
	if closes > 0 || c.ConnsDropped > 0 {
		d.closed = unanswered - d.queue
	} else {
		d.lost = unanswered - d.queue
	}
	d.p99 = time.Duration(r.Hist(results.HistLatency).Quantile(0.99)) * time.Microsecond
	first, last, grows := queueGrows(r, step)
	switch {
	case err != nil && c.MsgsReceived == 0:
		d.why = "nothing answered: " + errKindOf(err)
	case unanswered > 0 || c.ConnsDropped > 0:
		d.why = fmt.Sprintf("%d of %d dropped: %d in the board's queue, %d at a close, %d lost", unanswered, c.MsgsSent+r.Errors["unsent"]+r.Errors["backlog"], d.queue, d.closed, d.lost)
	case d.p99 > bound:
		d.why = fmt.Sprintf("p99 %s over the %s bound", d.p99.Round(10*time.Microsecond), bound)
	case grows:
		// A rate above what the board serves may still fit the bound in a
		// short step: its queue has not grown long yet. It grows, though.
		d.why = fmt.Sprintf("the board falls behind: p50 rose from %s to %s within the step", first.Round(10*time.Microsecond), last.Round(10*time.Microsecond))
	default:
		d.ok = true
	}
	for k, n := range r.Errors {
		p.r.Errors[k] += n
	}
	return d, nil
}

// queueGrows reports whether a step's latency rose while it ran, the sign
// of a rate above what the board serves: a queue that grows by a tenth of
// the step (at least 5 ms) from its first quarter to its last. A board
// that keeps up keeps its median flat whatever its tails.
func queueGrows(r *results.Run, step time.Duration) (first, last time.Duration, grows bool) {
	var p50s []time.Duration
	for _, iv := range r.Intervals {
		h := iv.Histograms[results.HistLatency]
		if h == nil || h.TotalCount() < 3 {
			continue
		}
		p50s = append(p50s, time.Duration(h.ValueAtQuantile(50))*time.Microsecond)
	}
	if len(p50s) < 2 {
		return 0, 0, false
	}
	first, last = p50s[0], p50s[len(p50s)-1]
	return first, last, last-first > max(5*time.Millisecond, step/10)
}
