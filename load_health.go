package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/wslab/wslab/foreign"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// healthFlags read the health of a board that does not run wslab: where
// its own stats keep free heap and uptime, its WebSocket port, its serial
// console.
type healthFlags struct {
	free, largest, minFree, uptime string
	watchPort                      bool
	serial                         string
	baud                           int
}

// loadHealth holds the load command's health flags (one command per process).
var loadHealth healthFlags

func (h *healthFlags) register(fs *flag.FlagSet) {
	*h = healthFlags{}
	fs.StringVar(&h.free, "stats-free", "", "a board without wslab's /stats: free heap in its --stats document, a JSON path (heap.free) or a Prometheus metric name")
	fs.StringVar(&h.largest, "stats-largest", "", "largest free heap block in the --stats document (JSON path or metric)")
	fs.StringVar(&h.minFree, "stats-min-free", "", "lowest free heap since boot in the --stats document (JSON path or metric)")
	fs.StringVar(&h.uptime, "stats-uptime", "", "uptime in the --stats document (JSON path or metric); going backwards is a reboot")
	fs.BoolVar(&h.watchPort, "watch-port", false, "probe the target's port each heap period; refusing and then accepting again is a reboot (takes a connection for a moment)")
	fs.StringVar(&h.serial, "serial", "", "the board's serial console (/dev/ttyUSB0), watched for crash lines (Guru Meditation, rst:, task_wdt, abort(), panic)")
	fs.IntVar(&h.baud, "baud", 115200, "--serial speed")
}

func (h *healthFlags) figures() foreign.Figures {
	return foreign.Figures{Free: h.free, LargestFree: h.largest, MinFree: h.minFree, Uptime: h.uptime}
}

// startHealth starts watching the board when the health flags ask for it;
// with figures the load generator reads no wslab /stats. nil: nothing to
// watch.
func startHealth(h *healthFlags, spec *loadgen.Spec, events io.Writer) (*foreign.Watcher, error) {
	fig := h.figures()
	o := foreign.WatchOptions{Figures: fig, Every: spec.HeapEvery, Events: events}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if fig != (foreign.Figures{}) {
		switch spec.StatsURL {
		case "-":
			return nil, errors.New("--stats-free, --stats-largest, --stats-min-free and --stats-uptime read the --stats document: not with --stats -")
		case "":
			// The target's own /stats (a wslab board, or a foreign server's
			// relay, whose uptime_ms tells its reboots): the load generator
			// reads it too.
			u, err := url.Parse(spec.Target)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("target %q has no host", spec.Target)
			}
			o.StatsURL = "http://" + u.Host + "/stats"
		default:
			// The board's own stats, not wslab's: the watcher reads them.
			o.StatsURL, spec.StatsURL = spec.StatsURL, "-"
		}
	}
	if h.watchPort {
		u, err := url.Parse(spec.Target)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--watch-port: target %q has no host", spec.Target)
		}
		o.Port = u.Host
		if u.Port() == "" {
			o.Port = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	if h.serial != "" {
		o.Serial, o.Baud = h.serial, h.baud
	}
	if o.StatsURL == "" && o.Port == "" && o.Serial == "" {
		return nil, nil
	}
	return foreign.Watch(o)
}

// attachHealth stops the watch and puts its readings (unless the load
// generator read a wslab /stats series) and events in the Run; a churn or
// soak run gets a verdict on the free heap lost per reconnect.
func attachHealth(w *foreign.Watcher, r *results.Run, settle time.Duration) {
	readings, events := w.Stop()
	if r == nil {
		return
	}
	if len(r.Heap) > 0 {
		readings = nil // wslab's own series, sampled by the load generator
	}
	if v := freeLeak(readings, r, settle); v != "" {
		r.Notes = append(r.Notes, v)
	}
	for _, x := range readings {
		s := results.HeapSample{Offset: results.Duration(x.At.Sub(r.Start))}
		s.HeapFree, s.LargestFree, s.MinFree = max(x.Free, 0), max(x.LargestFree, 0), max(x.MinFree, 0)
		if s.HeapFree > 0 || s.LargestFree > 0 || s.MinFree > 0 {
			r.Heap = append(r.Heap, s)
		}
	}
	for _, e := range events {
		r.BoardEvents = append(r.BoardEvents, results.BoardEvent{Offset: results.Duration(e.At.Sub(r.Start)), Kind: e.Kind, Detail: e.Detail})
	}
	if n := len(r.BoardEvents); n > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d board event(s): crashes and reboots in board_events", n))
	}
}

// printBoardEvents lists the board's crashes and reboots after the summary.
func printBoardEvents(w io.Writer, r *results.Run) {
	for _, e := range r.BoardEvents {
		fmt.Fprintf(w, "board event  %s at +%s", e.Kind, time.Duration(e.Offset).Round(time.Millisecond))
		if e.Detail != "" {
			fmt.Fprintf(w, ": %s", e.Detail)
		}
		fmt.Fprintln(w)
	}
}

// TimeWait is how long a closed connection's PCB stays in TIME_WAIT on a
// board's stack: 2 x MSL, lwIP's TCP_MSL being 60 s. Heap held by those
// PCBs is not lost yet.
const TimeWait = 2 * 60 * time.Second

// freeLeak judges the free heap around a churn or soak run: the bytes lost
// per connection opened, from the reading before the run to the last one
// (after churn's settle time), with the largest free block beside it when
// the board gives it. A settle time under TimeWait is said, and no leak is
// called then.
func freeLeak(readings []foreign.Reading, r *results.Run, settle time.Duration) string {
	if r.Scenario.Name != loadgen.Churn && r.Scenario.Name != loadgen.Soak {
		return ""
	}
	var first, last *foreign.Reading
	for i := range readings {
		if readings[i].Free < 0 {
			continue
		}
		if first == nil {
			first = &readings[i]
		}
		last = &readings[i]
	}
	if first == nil || first == last {
		return ""
	}
	lost := first.Free - last.Free
	conns := r.Counts.ConnsOpened
	v := fmt.Sprintf("free heap %d B before, %d B after: %d B lost", first.Free, last.Free, lost)
	if conns > 0 {
		v += fmt.Sprintf(" over %d connections (%.0f B per reconnect)", conns, float64(lost)/float64(conns))
	}
	if first.LargestFree >= 0 && last.LargestFree >= 0 {
		v += fmt.Sprintf("; largest free block %d B -> %d B", first.LargestFree, last.LargestFree)
	}
	switch {
	case r.Scenario.Name == loadgen.Churn && settle < TimeWait:
		v += fmt.Sprintf("; settle %s is under TIME_WAIT (2 x MSL = %s): closed connections may still hold heap, no verdict (rerun with --settle %s)", settle, TimeWait, TimeWait)
	case lost > 0 && conns > 0 && float64(lost)/float64(conns) >= loadgen.DefaultLeakPerConn:
		v += ": LEAK suspected"
	default:
		v += ": no leak"
	}
	return v
}
