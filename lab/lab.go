package lab

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

// DefaultModels are the lab's three contrasting boards: a fast ESP32 with
// ESP-IDF, a Pico W under TinyGo with few slots and a small rx buffer, and
// an ESP8266 with 40 KB of heap on a 2.5 Mbit/s link.
var DefaultModels = []string{"esp32-idf", "picow-tinygo", "esp8266"}

// Options configure Lab.
type Options struct {
	Models  []string // emulated boards; default DefaultModels
	Targets []string // real boards by ws:// URL instead of emulated ones
	Slots   int      // slots to assume for a real board without /stats; default 4
	LinkOff bool     // run emulated boards at loopback speed
	Suite   []Step   // default DefaultSuite()
	// BoardExe, when set, is the wslab binary: each emulated board runs as
	// a child process ("BoardExe board ..."), so its heap figures are its
	// own. Empty runs the boards in this process.
	BoardExe string
	Results  string // results folder; default results.DefaultDir
	Out      string // report folder; default report.DefaultDir
	// Status receives one line per step; Progress receives the load
	// generator's live line (nil: none; set it only for a terminal).
	Status, Progress io.Writer
	// Observer, when set, follows each step (observer.go).
	Observer Observer
	// Watch, when set, watches a board given by Targets (not an emulated
	// one) during each step: its health from its own stats, its serial
	// console. It is called with the step's spec before the run (it may
	// change it: where the stats are) and returns what to call with the
	// Run after it (nil when the run produced none), which puts the readings and
	// the board's crashes and reboots in the Run.
	Watch func(spec *loadgen.Spec) (done func(*results.Run), err error)
	// Insecure and CAFile are the load generator's trust for wss://
	// targets (loadgen.Spec's).
	Insecure bool
	CAFile   string
	// TLS runs the emulated boards with TLS on (BoardSpec.TLS): the suite
	// goes over wss://, the load generator accepting their self-signed
	// certificates. A model whose board serves no TLS is refused before
	// anything runs. Targets bring their own scheme.
	TLS bool
}

// Outcome is what a lab (or sweep, or compare) produced.
type Outcome struct {
	Runs   []*results.Run
	Files  []string // stored run files
	Report string   // index.html
	Failed []error  // steps that failed; the others still ran
}

// Lab runs the suite on every board and writes the report.
func Lab(ctx context.Context, o Options) (*Outcome, error) {
	if len(o.Models) == 0 && len(o.Targets) == 0 {
		o.Models = DefaultModels
	}
	if o.Suite == nil {
		o.Suite = DefaultSuite()
	}
	if err := CheckModels(o.Models); err != nil {
		return nil, err
	}
	if o.TLS {
		if len(o.Targets) > 0 {
			return nil, errors.New("TLS on is for emulated boards: a real board's wss:// target brings its own")
		}
		if err := CheckTLS(o.Models); err != nil {
			return nil, err
		}
	}
	o.Results, o.Out = folders(o.Results, o.Out)
	if o.Slots == 0 {
		o.Slots = 4
	}
	store, err := results.Open(o.Results)
	if err != nil {
		return nil, err
	}
	if err := results.CheckWritable(o.Out); err != nil {
		return nil, fmt.Errorf("report %w", err)
	}
	out := &Outcome{}
	boards := len(o.Models) + len(o.Targets)
	total := boards * len(o.Suite)
	done := 0
	start := time.Now()
	runSuite := func(label string, t Target, emulated bool) {
		for _, st := range o.Suite {
			if ctx.Err() != nil {
				return
			}
			// Each step starts on an idle board: the connections of the
			// last one may still be closing (a slow link drains slowly).
			waitIdle(ctx, t, 15*time.Second)
			done++
			spec := st.Spec(t)
			spec.Target = t.URL
			spec.Insecure, spec.CAFile = o.Insecure, o.CAFile
			if emulated && o.TLS {
				// The board the lab started, with a certificate it
				// generated: nothing to verify it against.
				spec.Insecure, spec.CAFile = true, ""
			}
			if t.TLSHandshake > 0 && spec.Conns > 0 {
				// Handshakes queue on the board's CPU, one after
				// another: the last of a step's connects waits for all
				// the others. Each dial gets that on top of the step's
				// own timeout, so a newcomer is judged by how the board
				// turns it away, not by the queue in front of it.
				spec.DialTimeout = cmp.Or(spec.DialTimeout, loadgen.DefaultDialTimeout) + time.Duration(spec.Conns)*t.TLSHandshake
			}
			if spec.StatsURL == "" {
				spec.StatsURL = t.StatsURL
			}
			spec.Progress = o.Progress
			statusf(o.Status, "[%d/%d %s] %s: %s (%d conns)", done, total, elapsed(start), label, st.Name, spec.Conns)
			var watched func(*results.Run)
			if !emulated && o.Watch != nil {
				w, err := o.Watch(&spec)
				if err != nil {
					out.Failed = append(out.Failed, fmt.Errorf("%s %s: watching the board: %w", label, st.Name, err))
					statusf(o.Status, "    failed: watching the board: %v", err)
					continue
				}
				watched = w
			}
			obs := observed{o.Observer, label, st.Name, done, total}
			obs.begin(&spec)
			r, err := loadgen.Run(ctx, spec)
			clearProgress(o.Progress)
			if watched != nil {
				watched(r)
			}
			obs.end(r, err)
			if err != nil {
				out.Failed = append(out.Failed, fmt.Errorf("%s %s: %w", label, st.Name, err))
				statusf(o.Status, "    failed: %v", err)
				continue
			}
			if r.Scenario.Params == nil {
				r.Scenario.Params = map[string]string{}
			}
			r.Scenario.Params["step"] = st.Name
			if !save(store, r, label+" "+st.Name, &out.Files, &out.Failed, o.Status) {
				continue
			}
			out.Runs = append(out.Runs, r)
			statusf(o.Status, "    %s", oneLine(r))
			for _, e := range r.BoardEvents {
				statusf(o.Status, "    board event %s at +%s: %s", e.Kind, e.Offset.D().Round(time.Millisecond), e.Detail)
			}
			if st.Name == "echo all slots" {
				t.Closed = r.Summary().MsgsPerSec
			}
		}
	}
	for _, m := range o.Models {
		b, err := startBoard(BoardSpec{Model: m, LinkOff: o.LinkOff, TLS: o.TLS}, o.BoardExe)
		if err != nil {
			out.Failed = append(out.Failed, err)
			done += len(o.Suite)
			continue
		}
		runSuite(m, Target{URL: b.ws, TLSHandshake: b.tlsHandshake, Slots: b.board.Config.Slots, MaxMessage: b.board.Config.MaxMessage, LinkBps: b.board.Link.Bps, StatsURL: b.stats}, true)
		if err := b.close(); err != nil {
			out.Failed = append(out.Failed, fmt.Errorf("board %s: %w", m, err))
		}
	}
	for _, u := range o.Targets {
		runSuite(u, Target{URL: baseURL(u), Slots: o.Slots}, false)
	}
	if len(out.Runs) == 0 {
		return out, fmt.Errorf("no run succeeded: %w", errors.Join(out.Failed...))
	}
	statusf(o.Status, "[%s] rendering plots and the report", elapsed(start))
	title := "wslab lab: " + strings.Join(append(append([]string{}, o.Models...), o.Targets...), ", ")
	if o.TLS {
		title += " (TLS on: wss://)"
	}
	out.Report, err = report.Write(o.Out, out.Runs, report.Options{Title: title})
	if err != nil {
		return out, err
	}
	return out, ctx.Err()
}

// folders fills in the default results and report folders.
func folders(runs, out string) (string, string) {
	if runs == "" {
		runs = results.DefaultDir
	}
	if out == "" {
		out = report.DefaultDir
	}
	return runs, out
}

// baseURL cuts a ws:// URL to scheme and host, so each step picks its path.
func baseURL(u string) string {
	scheme := "ws://"
	rest, ok := strings.CutPrefix(u, scheme)
	if !ok {
		scheme = "wss://"
		if rest, ok = strings.CutPrefix(u, scheme); !ok {
			return u
		}
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return scheme + rest
}

func statusf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", a...)
	}
}

func clearProgress(w io.Writer) {
	if w != nil {
		fmt.Fprint(w, "\r\033[K")
	}
}

func elapsed(start time.Time) string {
	return time.Since(start).Round(time.Second).String()
}

// StepName is the lab step of a run (its scenario outside the lab).
func StepName(r *results.Run) string {
	if s := r.Scenario.Params["step"]; s != "" {
		return s
	}
	return r.Scenario.Name
}

// WriteHeadlines prints the headline of every board (results.Headlines).
func WriteHeadlines(w io.Writer, runs []*results.Run) {
	for _, h := range results.Headlines(runs) {
		fmt.Fprintf(w, "\n%s: %s\n", h.Board, h.Config)
		for _, l := range h.Lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// oneLine summarises a run for the status output.
func oneLine(r *results.Run) string {
	s := r.Summary()
	var b strings.Builder
	fmt.Fprintf(&b, "%.0f msg/s, payload up %.3f MB/s, down %.3f MB/s", s.MsgsPerSec, s.UpMBPerSec, s.DownMBPerSec)
	if s.HasLatency {
		fmt.Fprintf(&b, ", p50 %s, p99 %s", us(s.P50), us(s.P99))
	}
	if r.Scenario.Name == "connect" {
		fmt.Fprintf(&b, ", opened %d, refused %d", r.Counts.ConnsOpened, s.Refused)
	}
	if n := s.Errors - s.Refused; n > 0 {
		fmt.Fprintf(&b, ", %d errors", n)
	}
	if s.HasRAM {
		// The board's own RAM at its peak; the host process's heap is
		// not the board's and is not shown here.
		fmt.Fprintf(&b, ", %s", results.FormatRAM(s.RAM, s.RAMBudget))
	}
	if p, ok := r.CPUBusyPeak(); ok {
		fmt.Fprintf(&b, ", board CPU %s", results.FormatPermille(p))
	}
	if c, ok := r.ConnectPhases(); ok {
		tls := results.FormatValue(float64(c.TLS50), "µs")
		if c.N > 0 {
			fmt.Fprintf(&b, ", connect p50 %s (TLS %s)", results.FormatValue(float64(c.P50), "µs"), tls)
		} else {
			fmt.Fprintf(&b, ", TLS handshake p50 %s (no connect completed)", tls)
		}
	}
	if r.Scenario.Name == "connect" {
		for _, n := range r.Notes {
			if strings.HasPrefix(n, loadgen.ConnectNotePrefix) {
				fmt.Fprintf(&b, "\n    %s", n)
			}
		}
	}
	if a := loadgen.Answer(r); a != "" {
		b.WriteString("; " + a)
	}
	return b.String()
}

func us(v float64) string {
	return (time.Duration(v) * time.Microsecond).Round(10 * time.Microsecond).String()
}

// waitIdle polls the board's /stats until no connection but the poll's own
// holds a slot (none on an emulated board's stats port, which takes no
// slot), or until timeout; a board without /stats gets a short pause.
func waitIdle(ctx context.Context, t Target, timeout time.Duration) {
	u, own := t.StatsURL, 0
	tr := &http.Transport{DisableKeepAlives: true}
	if u == "" {
		b := baseURL(t.URL)
		u, own = "http://"+strings.TrimPrefix(b, "ws://")+"/stats", 1
		if h, ok := strings.CutPrefix(b, "wss://"); ok {
			// Only the board's slot count is read here: its certificate
			// is the load generator's to check.
			u = "https://" + h + "/stats"
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		}
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := client.Get(u)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		var st loadgen.BoardStats
		if err == nil {
			err = loadgen.ParseStats(body, &st)
		}
		if err != nil || resp.StatusCode != http.StatusOK {
			time.Sleep(time.Second) // not a wslab board: just a pause
			return
		}
		if st.SlotsInUse <= int64(own) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
