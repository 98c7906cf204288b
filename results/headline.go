package results

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Headline is what a firmware engineer asks of one board first: how many
// clients it holds and how it turns the next away, latency and message
// rate at one client and at all slots, payload rates each way, RAM against
// budget, CPU and leaks. Every figure names the run it comes from.
type Headline struct {
	Board string // model
	// Config is the configuration (slots, buffers, budget, when full).
	Config string
	// Lines are the headline's lines, in order, ready to print.
	Lines []string
}

// Headlines returns one headline per board model, in the order the boards
// first ran.
func Headlines(runs []*Run) []Headline {
	rs := slices.Clone(runs)
	SortRuns(rs)
	byBoard := map[string][]*Run{}
	var order []string
	for _, r := range rs {
		if byBoard[r.Board.Model] == nil {
			order = append(order, r.Board.Model)
		}
		byBoard[r.Board.Model] = append(byBoard[r.Board.Model], r)
	}
	out := make([]Headline, 0, len(order))
	for _, m := range order {
		out = append(out, headline(byBoard[m]))
	}
	return out
}

// BoardConfig describes a board's configuration in one line.
func BoardConfig(b Board) string {
	parts := []string{
		fmt.Sprintf("%d slots", b.Slots),
		"rx " + FormatValue(float64(b.RxBuf), "bytes"),
		"tx " + FormatValue(float64(b.TxBuf), "bytes"),
	}
	if b.HeapBudget > 0 {
		parts = append(parts, "heap budget "+FormatValue(float64(b.HeapBudget), "bytes"))
	}
	if b.LinkBandwidth > 0 {
		parts = append(parts, fmt.Sprintf("link %g Mbit/s", float64(b.LinkBandwidth)/1e6))
	}
	if b.LinkRTT > 0 {
		parts = append(parts, "RTT "+b.LinkRTT.String())
	}
	if b.WhenFull != "" {
		parts = append(parts, "when full: "+b.WhenFull)
	}
	return strings.Join(parts, ", ")
}

func headline(runs []*Run) Headline {
	last := runs[len(runs)-1]
	h := Headline{Board: last.Board.Model, Config: BoardConfig(last.Board)}
	add := func(format string, a ...any) { h.Lines = append(h.Lines, fmt.Sprintf(format, a...)) }

	// Clients held: the connect runs (a ramp past the slot limit).
	var connect *Run
	for _, r := range runs {
		if r.Scenario.Name == "connect" && (connect == nil || r.Counts.ConnsAttempted >= connect.Counts.ConnsAttempted) {
			connect = r
		}
	}
	if connect != nil {
		c := connect.Counts
		line := fmt.Sprintf("clients held: %d of %d attempted (%d slots)", c.ConnsOpened, c.ConnsAttempted, connect.Board.Slots)
		kinds := connect.RefusalKinds()
		if len(kinds) > 0 {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(kinds)) {
				parts = append(parts, fmt.Sprintf("%d %s", kinds[k], refusalName(k, strings.HasPrefix(connect.Target, "wss://"))))
			}
			line += "; the next turned away: " + strings.Join(parts, ", ")
		} else if c.ConnsAttempted > c.ConnsOpened {
			line += fmt.Sprintf("; %d failed otherwise", c.ConnsAttempted-c.ConnsOpened)
		} else {
			line += "; none turned away"
		}
		if other := c.ConnsAttempted - c.ConnsOpened - connect.Refused(); other > 0 && len(kinds) > 0 {
			line += fmt.Sprintf(", %d failed otherwise", other)
		}
		add("%s", line)
	} else {
		add("clients held: not measured (no connect run)")
	}

	// wss:// connects: how long one takes and how much of it is TLS, from
	// the run that timed the most TLS handshakes.
	var tlsRun *Run
	var phases ConnectPhases
	for _, r := range runs {
		if c, ok := r.ConnectPhases(); ok && (tlsRun == nil || c.TLSN > phases.TLSN) {
			tlsRun, phases = r, c
		}
	}
	if tlsRun != nil {
		add("%s", phases.phrase(stepName(tlsRun)))
	}

	// Echo at one client and at all slots.
	var one, all *Run
	for _, r := range runs {
		if r.Scenario.Name != "echo" || r.Counts.MsgsReceived == 0 {
			continue
		}
		if r.Scenario.Conns == 1 {
			one = r
		}
		if r.Scenario.Conns > 1 && (all == nil || r.Scenario.Conns >= all.Scenario.Conns) {
			all = r
		}
	}
	for _, e := range []struct {
		name string
		r    *Run
	}{{"1 client", one}, {"all slots", all}} {
		if e.r == nil {
			add("echo at %s: not measured", e.name)
			continue
		}
		s := e.r.Summary()
		name := e.name
		if e.r.Scenario.Conns > 1 {
			name = fmt.Sprintf("%d clients", e.r.Scenario.Conns)
			if e.r.Scenario.Conns > e.r.Board.Slots && e.r.Board.Slots > 0 {
				name += fmt.Sprintf(" (%d slots)", e.r.Board.Slots)
			}
		}
		line := fmt.Sprintf("echo %s B at %s: %s", fmt.Sprint(e.r.Scenario.Size), name, FormatValue(s.MsgsPerSec, "msg/s"))
		if s.HasLatency {
			line += fmt.Sprintf(", p50 %s, p99 %s (n=%d)", FormatValue(s.P50, "µs"), FormatValue(s.P99, "µs"), latencyCount(e.r))
		}
		if e.r.Counts.ConnsOpened < int64(e.r.Scenario.Conns) {
			line += fmt.Sprintf(", %d of %d connections opened", e.r.Counts.ConnsOpened, e.r.Scenario.Conns)
		}
		add("%s", line)
	}

	// Payload each way: the best run of each direction.
	var up, down *Run
	var upv, downv float64
	for _, r := range runs {
		s := r.Summary()
		if s.UpMBPerSec > upv {
			up, upv = r, s.UpMBPerSec
		}
		if s.DownMBPerSec > downv {
			down, downv = r, s.DownMBPerSec
		}
	}
	dir := func(r *Run, v float64) string {
		if r == nil {
			return "not measured"
		}
		return fmt.Sprintf("%s (%s)", FormatValue(v, "MB/s"), stepName(r))
	}
	add("payload: up %s, down %s", dir(up, upv), dir(down, downv))

	// RAM against budget: the board's, never the host process heap.
	var ram, budget int64
	for _, r := range runs {
		if u, b, ok := r.ramInUse(); ok && u >= ram {
			ram, budget = u, b
		}
	}
	switch {
	case ram == 0:
		add("RAM: not reported by the board")
	case budget > 0:
		add("RAM: %s of %s budget (%.0f%%)", FormatValue(float64(ram), "bytes"), FormatValue(float64(budget), "bytes"), 100*float64(ram)/float64(budget))
	default:
		add("RAM: %s (no budget known)", FormatValue(float64(ram), "bytes"))
	}
	// Board CPU: the busiest stretch of any run (the one that saturated
	// it, if one did), from the CPU busy time in the heap series.
	var cpuRun *Run
	var cpu int64
	for _, r := range runs {
		if p, ok := r.CPUBusyPeak(); ok && (cpuRun == nil || p > cpu) {
			cpuRun, cpu = r, p
		}
	}
	switch {
	case cpuRun != nil:
		add("board CPU at saturation %s (%s)", FormatPermille(cpu), stepName(cpuRun))
	case last.Board.Extra["cpu"] != "":
		add("board CPU at saturation: %s", last.Board.Extra["cpu"])
	}

	// Leaks: the churn/soak verdicts.
	var leaks []string
	for _, r := range runs {
		for _, n := range r.Notes {
			if strings.HasPrefix(n, "no leak") || strings.HasPrefix(n, "LEAK") {
				v, detail, _ := strings.Cut(n, ": ")
				leaks = append(leaks, fmt.Sprintf("%s (%s: %s)", v, stepName(r), detail))
			}
		}
	}
	if len(leaks) == 0 {
		add("leak: not checked (no churn or soak run with a heap series)")
	} else {
		line := "leak: " + strings.Join(leaks, "; ")
		if last.Board.Model != "real" {
			line += "; judged on /stats heap, which for an emulated board is the host process heap"
		}
		add("%s", line)
	}

	// The field scenarios' one-line answers (a note "answer: ..."), in
	// the order the suite ran them.
	for _, r := range runs {
		for _, n := range r.Notes {
			if a, ok := strings.CutPrefix(n, AnswerPrefix); ok {
				add("%s: %s", r.Scenario.Name, a)
			}
		}
	}
	return h
}

// AnswerPrefix starts the note in which a field scenario (browser, ladder,
// nodrop, ...) gives its one-line answer.
const AnswerPrefix = "answer: "

// refusalName says a refusal kind in words; tls: the connects were
// wss://, where a board also closes a connection during the TLS handshake
// (no heap for another session).
func refusalName(k string, tls bool) string {
	switch {
	case k == "refused":
		return "refused (TCP connect refused)"
	case k == "handshake eof" && tls:
		return "closed before the upgrade (during TLS: no heap for another session, or accept-close)"
	case k == "handshake eof":
		return "closed before the upgrade (accept-close)"
	case k == "reset":
		return "reset before the upgrade"
	case strings.HasPrefix(k, "handshake "):
		return "answered HTTP " + strings.TrimPrefix(k, "handshake ")
	}
	return k
}

// stepName is the lab step of a run, or its scenario.
func stepName(r *Run) string {
	if s := r.Scenario.Params["step"]; s != "" {
		return s
	}
	return r.Scenario.Name
}

func latencyCount(r *Run) int64 {
	if h := r.Histograms[HistLatency]; h.Count() > 0 {
		return h.Count()
	}
	return r.Histograms[HistService].Count()
}

// FormatPermille shows a permille figure as a percentage: "87%", "0.4%".
func FormatPermille(p int64) string {
	if p < 100 && p%10 != 0 {
		return fmt.Sprintf("%.1f%%", float64(p)/10)
	}
	return fmt.Sprintf("%.0f%%", float64(p)/10)
}
