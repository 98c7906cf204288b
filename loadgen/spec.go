package loadgen

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/wslab/wslab/results"
)

// Scenario names.
const (
	Connect   = "connect"
	Echo      = "echo"
	Rate      = "rate"
	Stream    = "stream"
	Sink      = "sink"
	Broadcast = "broadcast"
	HTTP      = "http"
	Churn     = "churn"
	Soak      = "soak"
)

// HistLateness is the histogram of how late open-loop sends left, from
// their intended time, in microseconds (named in results, which prints it).
const HistLateness = results.HistLateness

// Spec describes one scenario run. Zero fields take the defaults noted.
type Spec struct {
	// Target is the board's WebSocket URL, ws://host:port/path. When the
	// path is empty, "/" or "/ws", the scenario's endpoint of a wslab
	// board is used (/ws, /ws/sink, /ws/source, /ws/broadcast); any other
	// path is used as given. For http the scheme and path are replaced:
	// files go to http://host:port/files/NAME.
	Target   string
	Scenario string // one of Scenarios; default echo

	// Conns is the number of connections over all shards (default 16; 1
	// for http is allowed). A shard opens its part (see Shard).
	Conns int
	// Size is the message (or HTTP body) size in bytes; default 64. Echo
	// and rate carry a sequence number in the first 8 bytes (16 for text)
	// when the message is that long; broadcast needs 24 (48 for text)
	// bytes for its timestamps.
	Size int
	// Text sends text messages (ASCII) instead of binary ones.
	Text bool

	// Duration is the measurement duration; default 10s, or unbounded (up
	// to Timeout) when Count bounds the run.
	Duration time.Duration
	// Count bounds the messages per connection (echo, rate, sink, stream,
	// soak; broadcast: messages of the sender), or the connect/close
	// cycles in all (churn), or the requests per connection (http).
	Count int64
	// Rate is the open-loop send rate in messages per second over all
	// connections (or per connection with RatePerConn); 0 is a closed loop
	// (rate requires it). For stream it is the board's push rate per
	// connection; for http, requests per second in all.
	Rate        float64
	RatePerConn bool
	// Window is the number of messages a closed-loop connection keeps in
	// flight; default 1.
	Window int

	// ConnRate is the ramp: connections opened per second; 0 opens them
	// as fast as DialConcurrency allows.
	ConnRate float64
	// DialConcurrency bounds handshakes in flight per worker; default 64.
	DialConcurrency int
	// Hold keeps the connections of connect open after the ramp.
	Hold time.Duration
	// ReconnectEvery makes each connection close and reopen after this
	// many messages (soak default 200, so a per-connection leak shows as
	// a slope); 0 never.
	ReconnectEvery int64
	// Settle is how long churn waits after its cycles before the last heap
	// reading; default 1s.
	Settle time.Duration
	// Method is GET (default) or PUT for http.
	Method string
	// HTTPKeepAlive reuses HTTP connections (http); by default each
	// request has its own connection ("Connection: close"), as many
	// board servers handle keep-alive poorly.
	HTTPKeepAlive bool

	// Shard makes this process shard Index of Count: it opens its part of
	// the connections and sends its part of the rate; results.MergeShards
	// combines the shards' records.
	Shard results.Shard
	// LocalAddrs are source addresses for client sockets, used in turn as
	// the ephemeral ports of one run out. Empty: for a loopback IPv4
	// target 127.0.0.1, then 127.0.0.2, ... 127.0.0.254; otherwise the
	// kernel's choice.
	LocalAddrs []string
	// ConnsPerAddr moves to the next source address after this many
	// connections from one (0: only when its ports run out).
	ConnsPerAddr int
	// MSS caps the TCP segment size of client sockets (TCP_MAXSEG), so
	// segments are what a board's network carries; default 1460
	// (Ethernet, WiFi); negative leaves the kernel's (65483 on loopback,
	// where a board-sized receive window below one segment makes the
	// sender wait for the persist timer).
	MSS int
	// Workers is the number of event loops; default GOMAXPROCS, less one
	// for a loopback target (its board needs a core), at most the
	// connections.
	Workers int

	// Interval is the length of one interval of the series; default 1s,
	// made longer for long runs so there are at most MaxIntervals.
	Interval time.Duration
	// HeapEvery is the heap sampling period; default 1s (Duration/10 for
	// runs under 10s); negative turns the sampler off. Each reading is a
	// GET /stats on a connection of its own.
	HeapEvery time.Duration
	// StatsURL is where the board's stats are read; default
	// http://host:port/stats of the target; "-" turns it off.
	StatsURL string

	// Insecure accepts any certificate of a wss:// target (a board with
	// a self-signed one); CAFile is a PEM file of certificates to trust
	// besides the system's (a board's own certificate, or the CA that
	// signed it). The server name checked (and sent, SNI) is the URL's
	// host.
	Insecure bool
	CAFile   string

	// DialTimeout bounds a TCP connect plus handshake; default 5s.
	DialTimeout time.Duration
	// DrainTimeout bounds the wait for answers after the last send;
	// default 2s. Unanswered messages count as "lost" (never sent:
	// "unsent" or "backlog") and enter the latency distribution at the
	// lateness they reached by then.
	DrainTimeout time.Duration
	// CloseTimeout bounds the closing handshake; default 1s.
	CloseTimeout time.Duration
	// Timeout bounds the whole run; default Duration + Hold + Settle +
	// DialTimeout + DrainTimeout + CloseTimeout + 30s (10 minutes plus
	// those when Duration is unbounded).
	Timeout time.Duration
	// SpinAhead is how long before a send's due time the pacer stops
	// sleeping and spins; default 50µs; negative never spins.
	SpinAhead time.Duration

	// LeakThreshold is the heap growth per connection, in bytes, from
	// which churn and soak flag a leak; default 256. Growth under
	// LeakFloor bytes in all is never flagged (noise); default 512 KiB.
	LeakThreshold float64
	LeakFloor     int64

	// LatencyBound is nodrop's bound on the p99 latency of a rate that
	// counts as kept; default 100ms.
	LatencyBound time.Duration
	// Backoff is how reconnect-storm's clients come back: "immediate",
	// "fixed" (every second) or "exp" (exponential from 100 ms with full
	// jitter, capped at 5 s; the default).
	Backoff string
	// Vanish is how dead-peers' clients vanish: "drop" (every packet to
	// them dropped by a socket filter: no ACK, no RST, as a WiFi client
	// gone; the default) or "silent" (they stop writing and reading, but
	// their kernel still acknowledges what the board sends).
	Vanish string

	// Board describes the board when the target has no /stats; default
	// Model "real".
	Board *results.Board
	// Progress receives a live line each interval (\r-terminated); nil
	// for none. The command sets it only when its output is a terminal.
	Progress io.Writer
	// OnInterval, when set, is called at the end of each interval (from
	// the collector's goroutine, never on the hot path) with the
	// interval's figures: the live view's feed (live.go).
	OnInterval func(Tick)
}

// MaxIntervals bounds the series length; longer runs get longer intervals.
// Each interval keeps its own latency and service histograms (about 190 KB
// each at the results package's geometry), allocated before the run.
const MaxIntervals = 120

// Defaults.
const (
	DefaultConns        = 16
	DefaultSize         = 64
	DefaultDuration     = 10 * time.Second
	DefaultInterval     = time.Second
	DefaultDialTimeout  = 5 * time.Second
	DefaultDrainTimeout = 2 * time.Second
	DefaultCloseTimeout = time.Second
	DefaultSpinAhead    = 50 * time.Microsecond
	DefaultSoakReconn   = 200
	DefaultSettle       = time.Second
	DefaultLeakPerConn  = 256
	DefaultLeakFloor    = 512 << 10
	DefaultDialConc     = 64
	DefaultMSS          = 1460
)

// withDefaults returns s with defaults filled in, or an error naming the
// field that cannot work.
func (s Spec) withDefaults() (Spec, error) {
	if s.Scenario == "" {
		s.Scenario = Echo
	}
	s.Scenario = strings.ToLower(s.Scenario)
	switch s.Scenario {
	case "http-get":
		s.Scenario, s.Method = HTTP, "GET"
	case "http-put":
		s.Scenario, s.Method = HTTP, "PUT"
	}
	sc := scenarioOf(s.Scenario)
	if sc == nil {
		return s, fmt.Errorf("unknown scenario %q (want one of %s)", s.Scenario, strings.Join(Scenarios, ", "))
	}
	if s.Target == "" {
		return s, errors.New("no target URL (want ws://host:port/path)")
	}
	if s.Conns == 0 {
		s.Conns = DefaultConns
	}
	if s.Conns < 0 {
		return s, fmt.Errorf("conns %d: want at least 1", s.Conns)
	}
	if s.Size == 0 {
		s.Size = DefaultSize
	}
	if s.Size < 0 {
		return s, fmt.Errorf("size %d: want at least 0", s.Size)
	}
	if sc.rule == ruleBroadcast && s.Size < s.stampLen() {
		return s, fmt.Errorf("broadcast carries a timestamp: size %d is below %d bytes", s.Size, s.stampLen())
	}
	if s.Rate < 0 || math.IsNaN(s.Rate) || math.IsInf(s.Rate, 0) {
		return s, fmt.Errorf("rate %v: want a finite rate >= 0", s.Rate)
	}
	if sc.pace == paceRequired && s.Rate == 0 {
		return s, fmt.Errorf("the %s scenario needs a rate (msgs/s)", sc.name)
	}
	if sc.pace == paceNever && s.Rate > 0 {
		return s, fmt.Errorf("the %s scenario takes no rate (it would run as if none were given): the rate scenario is the open-loop echo", sc.name)
	}
	if s.Count < 0 {
		return s, fmt.Errorf("count %d: want at least 0", s.Count)
	}
	if s.Duration < 0 {
		return s, fmt.Errorf("duration %v: want at least 0", s.Duration)
	}
	if s.Duration == 0 && s.Count == 0 && sc.rule != ruleHold {
		s.Duration = DefaultDuration
	}
	if s.Window <= 0 {
		s.Window = 1
	}
	if s.Window > maxRing/2 {
		return s, fmt.Errorf("window %d: at most %d", s.Window, maxRing/2)
	}
	if s.MSS == 0 {
		s.MSS = DefaultMSS
	}
	if s.DialConcurrency <= 0 {
		s.DialConcurrency = DefaultDialConc
	}
	if s.ReconnectEvery == 0 {
		s.ReconnectEvery = sc.reconnect
	}
	if s.Settle == 0 {
		s.Settle = DefaultSettle
	}
	if s.Method == "" {
		s.Method = "GET"
	}
	s.Method = strings.ToUpper(s.Method)
	if s.Method != "GET" && s.Method != "PUT" {
		return s, fmt.Errorf("http method %q: want GET or PUT", s.Method)
	}
	if s.Interval <= 0 {
		s.Interval = DefaultInterval
	}
	if s.Duration > 0 && s.Duration/s.Interval > MaxIntervals {
		s.Interval = ((s.Duration/MaxIntervals + time.Second - 1) / time.Second) * time.Second
	}
	if s.HeapEvery == 0 {
		// Once a second; ten readings over a shorter run.
		s.HeapEvery = time.Second
		if s.Duration > 0 && s.Duration < 10*time.Second {
			s.HeapEvery = max(s.Duration/10, 50*time.Millisecond)
		}
	}
	if s.DialTimeout <= 0 {
		s.DialTimeout = DefaultDialTimeout
	}
	if s.DrainTimeout <= 0 {
		s.DrainTimeout = DefaultDrainTimeout
	}
	if s.CloseTimeout <= 0 {
		s.CloseTimeout = DefaultCloseTimeout
	}
	if s.SpinAhead == 0 {
		s.SpinAhead = DefaultSpinAhead
	}
	if s.SpinAhead < 0 {
		s.SpinAhead = 0
	}
	if s.LeakThreshold <= 0 {
		s.LeakThreshold = DefaultLeakPerConn
	}
	if s.LeakFloor <= 0 {
		s.LeakFloor = DefaultLeakFloor
	}
	if s.Timeout <= 0 {
		d := s.Duration
		if d == 0 {
			d = 10 * time.Minute
		}
		s.Timeout = d + s.Hold + s.Settle + s.DialTimeout + s.DrainTimeout + s.CloseTimeout + 30*time.Second
		if s.ConnRate > 0 {
			s.Timeout += time.Duration(float64(s.Conns) / s.ConnRate * float64(time.Second))
		}
	}
	return s, nil
}

// stampLen is the bytes a broadcast message needs for seq, intended and
// actual send time.
func (s *Spec) stampLen() int {
	if s.Text {
		return 3 * 16
	}
	return 3 * 8
}

// part returns this shard's share of n (shard i of k gets n/k, plus one
// for i < n%k).
func (s *Spec) part(n int) int {
	if s.Shard.IsZero() {
		return n
	}
	k, i := s.Shard.Count, s.Shard.Index
	p := n / k
	if i < n%k {
		p++
	}
	return p
}

// firstConn is the global index of this shard's first connection.
func (s *Spec) firstConn() int {
	if s.Shard.IsZero() {
		return 0
	}
	k, i, n := s.Shard.Count, s.Shard.Index, s.Conns
	return i*(n/k) + min(i, n%k)
}

// totalRate is the open-loop rate over all connections of all shards.
func (s *Spec) totalRate() float64 {
	if s.RatePerConn {
		return s.Rate * float64(s.Conns)
	}
	return s.Rate
}
