package foreign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Figures say where a board that does not run wslab keeps its health
// figures in its stats document: each is a JSON path (heap.free,
// sys.heap.largest_free_block, tasks.0.free; dots separate keys and array
// indexes) or, for a Prometheus text document, a metric name (the first
// series of it). Empty figures are not read.
type Figures struct {
	Free        string // free heap, bytes
	LargestFree string // largest free block, bytes (fragmentation)
	MinFree     string // lowest free heap since boot, bytes
	Uptime      string // time since boot, any unit: only its going backwards matters
}

func (f Figures) any() bool {
	return f.Free != "" || f.LargestFree != "" || f.MinFree != "" || f.Uptime != ""
}

// Reading is one sample of a board's health; a figure the document lacks
// is -1.
type Reading struct {
	At                         time.Time
	Free, LargestFree, MinFree int64
	Uptime                     float64
}

// Extract reads the figures from a stats document, JSON or Prometheus text
// (told apart by the first byte). A figure asked for and not found is an
// error naming it.
func Extract(doc []byte, f Figures) (Reading, error) {
	r := Reading{Free: -1, LargestFree: -1, MinFree: -1, Uptime: -1}
	var get func(path string) (float64, error)
	if t := bytes.TrimSpace(doc); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		var v any
		d := json.NewDecoder(bytes.NewReader(t))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return r, fmt.Errorf("stats: not JSON: %w", err)
		}
		get = func(path string) (float64, error) { return jsonPath(v, path) }
	} else {
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(io.MultiReader(bytes.NewReader(t), strings.NewReader("\n")))
		if err != nil {
			return r, fmt.Errorf("stats: neither JSON nor Prometheus text: %w", err)
		}
		get = func(name string) (float64, error) {
			fam, ok := fams[name]
			if !ok || len(fam.GetMetric()) == 0 {
				return 0, fmt.Errorf("no metric %q", name)
			}
			m := fam.GetMetric()[0]
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue(), nil
			case m.Counter != nil:
				return m.GetCounter().GetValue(), nil
			case m.Untyped != nil:
				return m.GetUntyped().GetValue(), nil
			}
			return 0, fmt.Errorf("metric %q is not a gauge, counter or untyped", name)
		}
	}
	var errs []error
	for _, x := range []struct {
		path string
		set  func(float64)
	}{
		{f.Free, func(v float64) { r.Free = int64(v) }},
		{f.LargestFree, func(v float64) { r.LargestFree = int64(v) }},
		{f.MinFree, func(v float64) { r.MinFree = int64(v) }},
		{f.Uptime, func(v float64) { r.Uptime = v }},
	} {
		if x.path == "" {
			continue
		}
		v, err := get(x.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		x.set(v)
	}
	return r, errors.Join(errs...)
}

// jsonPath walks a decoded JSON document along a dotted path.
func jsonPath(v any, path string) (float64, error) {
	cur := v
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[k]
			if !ok {
				return 0, fmt.Errorf("no %q in the JSON document", path)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return 0, fmt.Errorf("no %q in the JSON document (index %s)", path, k)
			}
			cur = c[i]
		default:
			return 0, fmt.Errorf("no %q in the JSON document", path)
		}
	}
	switch n := cur.(type) {
	case json.Number:
		return n.Float64()
	case string: // some firmwares quote numbers
		return strconv.ParseFloat(n, 64)
	}
	return 0, fmt.Errorf("%q is not a number in the JSON document", path)
}

// Event kinds a Watcher records.
const (
	EventReboot    = "reboot"     // uptime went backwards
	EventStatsDown = "stats-down" // the stats URL stopped answering
	EventStatsUp   = "stats-up"   // and answers again
	EventPortDown  = "port-down"  // the WebSocket port refuses connections
	EventPortUp    = "port-up"    // and accepts again
	EventCrash     = "crash"      // a crash signature on the serial console
)

// Event is something that happened to the board.
type Event struct {
	At     time.Time
	Kind   string
	Detail string
}

// WatchOptions configure a Watcher. At least one of StatsURL (with
// Figures), Port or Serial must be set.
type WatchOptions struct {
	StatsURL string
	Figures  Figures
	// Port is the board's WebSocket host:port, probed with a TCP connect
	// each period (each probe takes a connection from the board for a
	// moment: leave it empty for a board with one or two slots).
	Port string
	// Every is the sampling period; default 1s.
	Every time.Duration
	// Serial is the board's serial console, watched for crash signatures
	// (Signatures, by default CrashSignatures); Baud its speed.
	Serial     string
	Baud       int
	Signatures []string
	// Events, when set, gets a line per event as it happens.
	Events io.Writer
}

// Watcher samples a board's health and notes its crashes and reboots.
type Watcher struct {
	o      WatchOptions
	client *http.Client
	serial *Serial
	stop   chan struct{}
	done   chan struct{}

	mu         sync.Mutex
	readings   []Reading
	events     []Event
	statsDown  bool
	portDown   bool
	lastUptime float64
	lastErr    error
}

// Watch starts watching; Stop ends it.
func Watch(o WatchOptions) (*Watcher, error) {
	if o.StatsURL == "" && o.Port == "" && o.Serial == "" {
		return nil, errors.New("health: nothing to watch: give a stats URL, a port or a serial console")
	}
	if o.StatsURL != "" && !o.Figures.any() {
		return nil, errors.New("health: a stats URL needs at least one figure path (free heap, largest free block, min free or uptime)")
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	w := &Watcher{o: o, lastUptime: -1, stop: make(chan struct{}), done: make(chan struct{}),
		client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	if o.Serial != "" {
		s, err := OpenSerial(o.Serial, o.Baud, o.Signatures, func(line string) {
			w.event(time.Now(), EventCrash, line)
		})
		if err != nil {
			return nil, err
		}
		w.serial = s
	}
	if o.StatsURL != "" {
		// The first reading must work: a wrong URL or path is bad input.
		if err := w.Sample(); err != nil {
			if w.serial != nil {
				w.serial.Close()
			}
			return nil, err
		}
	}
	go w.run()
	return w, nil
}

func (w *Watcher) event(at time.Time, kind, detail string) {
	w.mu.Lock()
	w.events = append(w.events, Event{At: at, Kind: kind, Detail: detail})
	w.mu.Unlock()
	if w.o.Events != nil {
		fmt.Fprintf(w.o.Events, "board %s at %s: %s\n", kind, at.UTC().Format(time.RFC3339Nano), detail)
	}
}

// Sample reads the stats URL and probes the port once now.
func (w *Watcher) Sample() error {
	now := time.Now()
	var err error
	if w.o.StatsURL != "" {
		err = w.sampleStats(now)
	}
	if w.o.Port != "" {
		c, derr := net.DialTimeout("tcp", w.o.Port, 2*time.Second)
		if derr == nil {
			c.Close()
		}
		w.mu.Lock()
		was := w.portDown
		w.portDown = derr != nil
		w.mu.Unlock()
		if derr != nil && !was {
			w.event(now, EventPortDown, derr.Error())
		} else if derr == nil && was {
			w.event(now, EventPortUp, w.o.Port+" accepts again")
		}
	}
	return err
}

func (w *Watcher) sampleStats(now time.Time) error {
	doc, err := w.fetch()
	var r Reading
	if err == nil {
		r, err = Extract(doc, w.o.Figures)
	}
	w.mu.Lock()
	was := w.statsDown
	w.statsDown = err != nil
	w.lastErr = err
	last := w.lastUptime
	if err == nil {
		r.At = now
		w.readings = append(w.readings, r)
		if r.Uptime >= 0 {
			w.lastUptime = r.Uptime
		}
	}
	w.mu.Unlock()
	switch {
	case err != nil && !was:
		w.event(now, EventStatsDown, err.Error())
	case err == nil && was:
		w.event(now, EventStatsUp, w.o.StatsURL+" answers again")
	}
	if err == nil && r.Uptime >= 0 && last >= 0 && r.Uptime < last {
		w.event(now, EventReboot, fmt.Sprintf("uptime went back from %g to %g", last, r.Uptime))
	}
	return err
}

func (w *Watcher) fetch() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", w.o.StatsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("stats URL %q: %w", w.o.StatsURL, err)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("stats URL %s: HTTP %d", w.o.StatsURL, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func (w *Watcher) run() {
	defer close(w.done)
	t := time.NewTicker(w.o.Every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.Sample()
		}
	}
}

// Stop ends the watch, takes a last sample, and returns the readings and
// events in time order.
func (w *Watcher) Stop() ([]Reading, []Event) {
	close(w.stop)
	<-w.done
	if w.o.StatsURL != "" || w.o.Port != "" {
		w.Sample()
	}
	if w.serial != nil {
		w.serial.Close()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Reading(nil), w.readings...), append([]Event(nil), w.events...)
}
