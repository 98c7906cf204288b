package lab

import (
	"math"
	"time"

	"github.com/wslab/wslab/loadgen"
)

// Target is what a suite step needs to know about the board it loads.
type Target struct {
	URL        string // ws://host:port (the step picks the endpoint)
	Slots      int    // connection slots (a guess for a real board)
	MaxMessage int
	LinkBps    int64 // 0 when unknown or unlimited
	// StatsURL is an emulated board's /stats on its stats port, which
	// takes no slot ("" for a real board: /stats on its own port).
	StatsURL string
	// TLSHandshake is what a TLS handshake costs an emulated board's CPU
	// when it runs with TLS on (0 otherwise): the lab lengthens each
	// step's dial timeout by it, per connection (Options.TLS).
	TLSHandshake time.Duration
	// Closed is the msgs/s the board sustained in closed loop on all its
	// slots (the "echo all slots" step), 0 before that step ran: an
	// open-loop step paces below it, so it measures latency at a load the
	// board carries rather than a queue that grows for the whole run.
	Closed float64
}

// Step is one scenario of a suite, sized for a target.
type Step struct {
	Name string
	Spec func(t Target) loadgen.Spec
}

// DefaultSuite is the lab's default: about 20 seconds of load per board.
func DefaultSuite() []Step {
	return []Step{
		{"connect", func(t Target) loadgen.Spec {
			// Ramp past the slot limit: the report shows how many the board
			// took and how it refused the rest. The ramp waits for every
			// attempt to resolve while the first ones are held, so a
			// newcomer that hangs in a backlog, or whose SYN is dropped
			// (retransmitted after 1 s), fails by its kind after 2 s.
			return loadgen.Spec{Scenario: loadgen.Connect, Conns: t.Slots + 2, ConnRate: 50, Hold: 500 * time.Millisecond,
				DialTimeout: 2 * time.Second}
		}},
		{"echo 1 conn", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Echo, Conns: 1, Size: 64, Duration: 3 * time.Second}
		}},
		{"echo all slots", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Echo, Conns: t.Slots, Size: 64, Duration: 3 * time.Second}
		}},
		{"rate", func(t Target) loadgen.Spec {
			// 100 msgs/s a slot, or 70% of what the board sustained in
			// closed loop if that is less (an ESP32 serves ~120 msgs/s).
			rate := 100 * float64(t.Slots)
			if t.Closed > 0 {
				rate = max(1, min(rate, math.Round(0.7*t.Closed)))
			}
			return loadgen.Spec{Scenario: loadgen.Rate, Conns: t.Slots, Size: 64, Rate: rate, Duration: 3 * time.Second}
		}},
		{"stream", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Stream, Conns: 1, Size: 1024, Count: streamCount(t, 1024), Duration: 4 * time.Second}
		}},
		{"sink", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Sink, Conns: 1, Size: 1024, Duration: 2 * time.Second}
		}},
		{"http GET", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.HTTP, Method: "GET", Conns: 1, Size: 16 << 10, Duration: 2 * time.Second}
		}},
		{"http PUT", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.HTTP, Method: "PUT", Conns: 1, Size: 16 << 10, Duration: 2 * time.Second}
		}},
		{"churn", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Churn, Conns: t.Slots, Count: 100, Settle: time.Second}
		}},
		// The field scenarios: one-line answers (loadgen.Answer).
		{"browser", func(t Target) loadgen.Spec {
			// Users until one cannot open the page at once (each takes up
			// to 7 sockets), waiting up to 2 s for it.
			return loadgen.Spec{Scenario: loadgen.Browser, Conns: min(max(t.Slots/4+2, 2), 8), DialTimeout: 2 * time.Second}
		}},
		{"ladder", func(t Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Ladder, Conns: 1, DrainTimeout: time.Second}
		}},
		{"nodrop", func(t Target) loadgen.Spec {
			// Ten steps of 300 ms from 50 msgs/s on one connection.
			return loadgen.Spec{Scenario: loadgen.NoDrop, Conns: 1, Size: 64, Rate: 50, Duration: 3 * time.Second}
		}},
	}
}

// streamCount sizes a stream to about two seconds of the link.
func streamCount(t Target, size int) int64 {
	if t.LinkBps <= 0 {
		return 20000
	}
	n := t.LinkBps * 2 / 8 / int64(size)
	if n < 10 {
		n = 10
	}
	return n
}
