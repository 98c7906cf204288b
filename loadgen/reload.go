//go:build linux

package loadgen

import (
	"fmt"
	"runtime"
	"time"
)

// Reload: holding F5. One tab reloads the page Rate times a second
// (default 5) for Duration: each reload tears the page's WebSocket down
// without a close frame (the socket just closes), fetches the page (as
// Chromium, on a connection of its own) and opens a new WebSocket. The
// board's heap and slots are sampled all along (the Run's heap series:
// the plot). After the storm the tab closes, and within Settle the board
// should be back where it started (read until it is, or Settle is over):
// no slot held, the heap within the leak floor of its start (LeakFloor, or
// LeakThreshold per connection when that is more), and a new client taken.
// The answer says whether it is, and after how long.

// DefaultReloadRate is reload's default storm rate, reloads per second.
const DefaultReloadRate = 5

func runReload(p *probe) (string, error) {
	s := p.s
	rate := s.Rate
	if rate <= 0 {
		rate = DefaultReloadRate
	}
	p.r.Scenario.Rate = rate
	p.r.Scenario.Conns = 1
	every := time.Duration(float64(time.Second) / rate)
	// A board in this process counts this process's heap: no garbage of
	// the generator's in the two readings compared.
	runtime.GC()
	base, haveBase := p.read()
	var ws *pconn
	start := time.Now()
	stormFrom := p.clk.now() - p.t0
	reloads, failed := 0, 0
	first := ""
	for k := 0; p.ctx.Err() == nil; k++ {
		due := start.Add(time.Duration(k) * every)
		if due.Sub(start) >= s.Duration {
			break
		}
		p.sleep(time.Until(due))
		reloads++
		if ws != nil {
			ws.abort() // no close frame: the page is gone
			ws = nil
		}
		c, err := p.get(chromium, "/", s.DialTimeout)
		if err == nil {
			c.Close()
			p.r.Counts.ConnsAttempted++
			ws, _, err = p.dialWS(p.t.path, chromium.wsRequest(), s.DialTimeout, 1<<10)
		}
		if err != nil {
			failed++
			k := errKindOf(err)
			p.fail(k)
			p.r.Counts.ConnsFailed++
			if first == "" {
				first = k
			}
			continue
		}
		p.r.Counts.ConnsOpened++
	}
	if ws != nil {
		ws.closeWS() // the tab closes
	}
	if p.r.Counts.ConnsOpened == 0 {
		return "", fmt.Errorf("no reload opened a WebSocket: %s", errorList(p.r.Errors))
	}
	storm := time.Since(start)
	// For the plot: the storm's span on the heap series' time axis.
	p.param("storm_ms", fmt.Sprintf("%d-%d", time.Duration(stormFrom).Milliseconds(), time.Duration(p.clk.now()-p.t0).Milliseconds()))
	if p.smp != nil {
		// The slots and heap over the storm (the Run's heap series).
		var peak, total, heapMax int64
		for _, x := range p.smp.heap(p.t0) {
			peak = max(peak, int64(x.SlotsInUse))
			heapMax = max(heapMax, x.HeapInUse)
		}
		if p.have {
			total = p.stats.SlotsTotal
		}
		p.note("reload: during the storm the board's slots in use peaked at %d of %d (a reading's own included), its heap at %d B", peak, total, heapMax)
	}
	p.param("reloads", fmt.Sprint(reloads))
	a := fmt.Sprintf("reload storm %g/s for %.1f s: %d reloads, ", rate, storm.Seconds(), reloads)
	if failed > 0 {
		a += fmt.Sprintf("%d failed (first: %s)", failed, first)
	} else {
		a += "none failed"
	}
	// The board recovers within Settle: its readings are taken until the
	// slots in use and the heap are back where they were before the storm,
	// or Settle is over.
	limit := max(s.LeakFloor, int64(s.LeakThreshold*float64(2*reloads)))
	settleStart := time.Now()
	var after BoardStats
	haveAfter := false
	for {
		runtime.GC()
		after, haveAfter = p.read()
		if haveBase && haveAfter && after.SlotsInUse <= base.SlotsInUse && after.HeapInUse-base.HeapInUse <= limit {
			break
		}
		if time.Since(settleStart) >= s.Settle || !p.sleep(min(50*time.Millisecond, s.Settle-time.Since(settleStart))) {
			break
		}
	}
	settled := time.Since(settleStart)
	var bad []string
	if haveBase && haveAfter {
		if held := after.SlotsInUse - base.SlotsInUse; held > 0 { // a reading's own slot, if it takes one, is in both
			bad = append(bad, fmt.Sprintf("%d slots still held", held))
		}
		growth := after.HeapInUse - base.HeapInUse
		p.note("reload: board heap %d B before the storm, %d B %s after it (%+d B); slots in use %d after", base.HeapInUse, after.HeapInUse, settled.Round(time.Millisecond), growth, after.SlotsInUse)
		if growth > limit {
			bad = append(bad, fmt.Sprintf("heap +%.1f KiB", float64(growth)/1024))
		}
	}
	if c, _, err := p.dialWS(p.t.path, nil, s.DialTimeout, 1<<10); err != nil {
		bad = append(bad, "no new client taken ("+errKindOf(err)+")")
	} else {
		c.closeWS()
	}
	switch {
	case len(bad) > 0:
		a += fmt.Sprintf("; not recovered within a %s settle: %s", s.Settle, joinAnd(bad))
	case haveBase && haveAfter:
		a += fmt.Sprintf("; recovered %.1f s after the storm (slots free, heap back, a new client taken)", settled.Seconds())
	default:
		a += "; a new client is taken after the storm (no /stats: slots and heap not checked)"
	}
	return a, nil
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, s := range parts[1 : len(parts)-1] {
		out += ", " + s
	}
	return out + " and " + parts[len(parts)-1]
}
