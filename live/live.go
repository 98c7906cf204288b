// Package live serves a live view of a running job, the way k6's web
// dashboard does: a small self-contained page (no external fetches) that
// follows the run's intervals over Server-Sent Events (or by polling
// /state) and draws them on canvases: messages/s, payload up and down,
// p50/p99 latency, the board's RAM against its budget and its CPU when
// the board reports one, connections open and errors; for the lab, a sweep
// or a compare, which run of which board (a model, a configuration, a
// target) goes on and the runs done with their one-line results.
//
// The load generator feeds it through loadgen.Spec.OnInterval, once per
// interval, off the hot path.
package live

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

//go:embed page.html
var page []byte

// State is what the page shows: the document /state and /events send.
type State struct {
	Seq   int64  `json:"seq"`   // grows with every change
	Job   string `json:"job"`   // "load", "lab", "sweep" or "compare"
	Title string `json:"title"` // what runs, in words
	Phase string `json:"phase"` // "waiting", "running", "done"
	Total int    `json:"total"` // lab, sweep, compare: runs in all
	Run   *Run   `json:"run"`   // the run going on, or the last one
	Steps []Step `json:"steps"` // the runs done, in order
	Error string `json:"error,omitempty"`
}

// Run is one run (a load, or one step of the lab).
type Run struct {
	Board     string  `json:"board"` // a model name, or the target
	Step      string  `json:"step"`
	Index     int     `json:"index"` // 1-based, of State.Total (lab, sweep, compare)
	Scenario  string  `json:"scenario"`
	Target    string  `json:"target"`
	Conns     int     `json:"conns"`
	Size      int     `json:"size"`
	Duration  float64 `json:"duration_s"` // planned; 0 when a count bounds the run
	Intervals []Point `json:"intervals"`
	Final     *Final  `json:"final"` // from the Run record, once it ended
}

// Point is one interval as the load generator reported it.
type Point struct {
	Index     int     `json:"index"`
	T         float64 `json:"t"`      // its end, seconds from the run's start
	Length    float64 `json:"length"` // seconds
	MsgsSent  int64   `json:"msgs_sent"`
	MsgsRecv  int64   `json:"msgs_received"`
	BytesUp   int64   `json:"bytes_up"`
	BytesDown int64   `json:"bytes_down"`
	Errors    int64   `json:"errors"`
	Open      int64   `json:"open"`
	Hist      string  `json:"hist"` // "latency", "handshake" or "": what P50/P99 are of
	P50       int64   `json:"p50_us"`
	P99       int64   `json:"p99_us"`
	N         int64   `json:"n"`
	RAM       int64   `json:"ram"`        // the board's RAM in use; -1: no reading
	Budget    int64   `json:"ram_budget"` // its heap budget; 0: unknown
	Slots     int64   `json:"slots_in_use"`
	CPU       float64 `json:"cpu"` // the board's CPU busy, percent of its cores, since the last reading; -1: none
}

// Final is the run's record in figures (results.Run.Summary and Counts).
type Final struct {
	Seconds      float64 `json:"seconds"`
	MsgsSent     int64   `json:"msgs_sent"`
	MsgsReceived int64   `json:"msgs_received"`
	BytesUp      int64   `json:"bytes_up"`
	BytesDown    int64   `json:"bytes_down"`
	MsgsPerSec   float64 `json:"msgs_per_s"`
	UpMBPerSec   float64 `json:"up_mb_per_s"`
	DownMBPerSec float64 `json:"down_mb_per_s"`
	HasLatency   bool    `json:"has_latency"`
	P50          float64 `json:"p50_us"`
	P99          float64 `json:"p99_us"`
	N            int64   `json:"n"`
	ConnsOpened  int64   `json:"conns_opened"`
	Errors       int64   `json:"errors"`
	Refused      int64   `json:"refused"`
	HasRAM       bool    `json:"has_ram"`
	RAM          int64   `json:"ram"`
	RAMBudget    int64   `json:"ram_budget"`
	RAMText      string  `json:"ram_text"`
	ID           string  `json:"id"`
	// Connect is a wss:// run's connect taken apart; nil when the run
	// timed no TLS handshake.
	Connect *Connect `json:"connect,omitempty"`
}

// Connect is a wss:// run's connect time and its phases
// (results.Run.ConnectPhases), in microseconds.
type Connect struct {
	N         int64  `json:"n"` // connects timed
	P50       int64  `json:"p50_us"`
	P99       int64  `json:"p99_us"`
	TCP50     int64  `json:"tcp_p50_us"`
	TLS50     int64  `json:"tls_p50_us"`
	Upgrade50 int64  `json:"upgrade_p50_us"`
	TLS99     int64  `json:"tls_p99_us"`
	Text      string `json:"text"` // in words, as the headline says it
}

// Step is a run done: its one-line result, or why it failed.
type Step struct {
	Index int    `json:"index"`
	Board string `json:"board"`
	Step  string `json:"step"`
	Line  string `json:"line"`
	Error string `json:"error,omitempty"`
}

// Server serves the live view. Its methods may be called from any
// goroutine.
type Server struct {
	ln   net.Listener
	http *http.Server

	mu      sync.Mutex
	st      State
	doc     []byte        // st as JSON
	changed chan struct{} // closed and replaced at each change
	quit    chan struct{}
	cpu     cpuReading // the last CPU reading of the current run
}

type cpuReading struct {
	have  bool
	at    time.Duration
	busy  time.Duration
	value float64
}

// Listen binds addr and serves the page. An address without a host
// (":8089", "8089") binds to 127.0.0.1; a host other than a loopback one
// gets a warning on warn, since the page has no authentication.
func Listen(addr, job, title string, warn io.Writer) (*Server, error) {
	addr, err := normalize(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("live view: %w", err)
	}
	if host, _, _ := net.SplitHostPort(addr); !isLoopback(host) && warn != nil {
		fmt.Fprintf(warn, "warning: the live view listens on %s, beyond this machine: anyone who reaches it sees the run (it has no authentication)\n", ln.Addr())
	}
	s := &Server{ln: ln, changed: make(chan struct{}), quit: make(chan struct{}),
		st: State{Job: job, Title: title, Phase: "waiting", Steps: []Step{}}}
	s.doc, _ = json.Marshal(&s.st)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /state", s.serveState)
	mux.HandleFunc("GET /events", s.serveEvents)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.http.Serve(ln)
	return s, nil
}

func normalize(addr string) (string, error) {
	if addr == "" {
		return "", errors.New("live view: no address (want host:port, e.g. 127.0.0.1:8089)")
	}
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("live view: address %q: %v (want host:port, e.g. 127.0.0.1:8089)", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL is the page's address.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Close stops the server and ends the event streams.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.http.Shutdown(ctx)
}

// update changes the state under the lock and wakes the streams.
func (s *Server) update(f func(st *State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.st)
	s.st.Seq++
	s.doc, _ = json.Marshal(&s.st)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Snapshot returns the state's JSON document as the page gets it.
func (s *Server) Snapshot() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc
}

// Begin starts showing a run of spec (of board's step index, for the
// lab) and hooks spec.OnInterval to the view.
func (s *Server) Begin(board, step string, index, total int, spec *loadgen.Spec) {
	sc := spec.Scenario
	if sc == "" {
		sc = loadgen.Echo
	}
	r := &Run{Board: board, Step: step, Index: index, Scenario: sc, Target: spec.Target, Conns: spec.Conns, Size: spec.Size,
		Duration: spec.Duration.Seconds(), Intervals: []Point{}}
	s.update(func(st *State) {
		st.Phase, st.Run = "running", r
		if total > 0 {
			st.Total = total
		}
		s.cpu = cpuReading{}
	})
	prev := spec.OnInterval
	spec.OnInterval = func(t loadgen.Tick) {
		if prev != nil {
			prev(t)
		}
		s.Tick(r, t)
	}
}

// Tick adds an interval to run r (Begin's hook calls it).
func (s *Server) Tick(r *Run, t loadgen.Tick) {
	p := Point{Index: t.Index, T: (t.Offset + t.Length).Seconds(), Length: t.Length.Seconds(),
		MsgsSent: t.MsgsSent, MsgsRecv: t.MsgsReceived, BytesUp: t.BytesSent, BytesDown: t.BytesReceived,
		Errors: t.Errors, Open: t.ConnsOpen, Hist: t.Hist, P50: t.P50, P99: t.P99, N: t.N, RAM: -1, CPU: -1}
	s.update(func(st *State) {
		if t.HaveBoard {
			p.RAM, p.Budget, p.Slots = t.RAMInUse, t.RAMBudget, t.SlotsInUse
			if t.HaveCPU {
				p.CPU = s.cpu.next(t)
			}
		}
		r.Intervals = append(r.Intervals, p)
	})
}

// next is the CPU busy fraction between the last reading and t's, in
// percent of the board's cores (the last figure again when no new reading
// came in, -1 before two readings).
func (c *cpuReading) next(t loadgen.Tick) float64 {
	if !c.have {
		c.have, c.at, c.busy, c.value = true, t.BoardAt, t.CPUBusy, -1
		return -1
	}
	if t.BoardAt > c.at {
		c.value = float64(t.CPUBusy-c.busy) / float64(t.BoardAt-c.at) / float64(max(t.CPUCores, 1)) * 100
		c.value = min(max(c.value, 0), 100)
		c.at, c.busy = t.BoardAt, t.CPUBusy
	}
	return c.value
}

// End shows the run's record (nil when the run failed before it had
// one) and adds the run to the steps done with its one-line result.
func (s *Server) End(rec *results.Run, line string, err error) {
	s.update(func(st *State) {
		r := st.Run
		if r == nil {
			return
		}
		if rec != nil {
			r.Final = finalOf(rec)
			// The record knows each interval's true length (the last one
			// ends with the run, short): rates drawn from it are right.
			for i := range r.Intervals {
				p := &r.Intervals[i]
				if p.Index < len(rec.Intervals) {
					iv := rec.Intervals[p.Index]
					p.Length = time.Duration(iv.Length).Seconds()
					p.T = time.Duration(iv.Offset + iv.Length).Seconds()
				}
			}
			if r.Board == r.Target && rec.Board.Model != "" {
				r.Board = rec.Board.Model // a load names its target until /stats names the board
			}
		}
		d := Step{Index: r.Index, Board: r.Board, Step: r.Step, Line: line}
		if err != nil {
			d.Error = err.Error()
		}
		st.Steps = append(st.Steps, d)
	})
}

// Done marks the job finished (err: why it failed).
func (s *Server) Done(err error) {
	s.update(func(st *State) {
		st.Phase = "done"
		if err != nil {
			st.Error = err.Error()
		}
	})
}

func finalOf(r *results.Run) *Final {
	sum := r.Summary()
	c := r.Counts
	f := &Final{Seconds: r.Duration().Seconds(), MsgsSent: c.MsgsSent, MsgsReceived: c.MsgsReceived,
		BytesUp: c.BytesSent, BytesDown: c.BytesReceived, MsgsPerSec: sum.MsgsPerSec,
		UpMBPerSec: sum.UpMBPerSec, DownMBPerSec: sum.DownMBPerSec, HasLatency: sum.HasLatency,
		P50: sum.P50, P99: sum.P99, ConnsOpened: c.ConnsOpened, Errors: sum.Errors, Refused: sum.Refused,
		HasRAM: sum.HasRAM, RAM: sum.RAM, RAMBudget: sum.RAMBudget, ID: r.ID}
	if h := r.Hist(results.HistLatency); h.Count() > 0 {
		f.N = h.Count()
	} else if h := r.Hist(results.HistService); h.Count() > 0 {
		f.N = h.Count()
	}
	if sum.HasRAM {
		f.RAMText = results.FormatRAM(sum.RAM, sum.RAMBudget)
	}
	if c, ok := r.ConnectPhases(); ok {
		f.Connect = &Connect{N: c.N, P50: c.P50, P99: c.P99, TCP50: c.TCP50, TLS50: c.TLS50,
			Upgrade50: c.Upgrade50, TLS99: c.TLS99, Text: c.String()}
	}
	return f
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(page)
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(s.Snapshot())
}

// serveEvents streams the state as Server-Sent Events: the whole document
// at once, then again at each change.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	var last int64 = -1
	for {
		s.mu.Lock()
		doc, seq, changed := s.doc, s.st.Seq, s.changed
		s.mu.Unlock()
		if seq != last {
			if _, err := fmt.Fprintf(w, "data: %s\n\n", doc); err != nil {
				return
			}
			fl.Flush()
			last = seq
		}
		select {
		case <-changed:
		case <-s.quit:
			// The last change before the server stopped (the run's end)
			// still goes out.
			s.mu.Lock()
			doc, seq = s.doc, s.st.Seq
			s.mu.Unlock()
			if seq != last {
				fmt.Fprintf(w, "data: %s\n\n", doc)
				fl.Flush()
			}
			return
		case <-r.Context().Done():
			return
		}
	}
}
