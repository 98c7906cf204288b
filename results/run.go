package results

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the version of the Run record written by this package.
// Reading a record of another version fails with a *VersionError.
const SchemaVersion = 1

// Run is the record of one scenario run (or one shard of it) against one
// board. The load generator fills it; everything else reads it.
//
// Offsets (Interval.Offset, HeapSample.Offset) are durations from Start on
// the load generator's clock, so latency, throughput and heap line up.
type Run struct {
	// Schema is SchemaVersion when written by this package.
	Schema int `json:"schema"`
	// ID is unique and sorts by start time; see newID.
	ID       string   `json:"id"`
	Scenario Scenario `json:"scenario"`
	Board    Board    `json:"board"`
	// Target is the URL the load was sent to, e.g. ws://127.0.0.1:8080/echo.
	Target string    `json:"target"`
	Host   Host      `json:"host"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`

	Counts Counts `json:"counts"`
	// Errors counts failures by kind. Keys are short and stable, e.g.
	// "refused", "timeout", "reset", "handshake 503", "close 1009"; see
	// ErrorKind helpers HandshakeStatus and CloseCode.
	Errors map[string]int64 `json:"errors,omitempty"`
	// Rates as measured by the load generator over its measurement window.
	// Zero fields are derived from Counts and End-Start by Summary.
	Rates Rates `json:"rates,omitzero"`
	// Histograms over the whole run, by name: HistLatency, HistService,
	// HistHandshake, or others.
	Histograms map[string]*Histogram `json:"histograms,omitempty"`
	// Intervals is the per-interval series, sorted by Offset.
	Intervals []Interval `json:"intervals,omitempty"`
	// Heap is the board's memory series, sorted by Offset.
	Heap []HeapSample `json:"heap,omitempty"`
	// BoardEvents are the board's crashes and reboots seen during the run,
	// sorted by Offset.
	BoardEvents []BoardEvent `json:"board_events,omitempty"`

	// Merged is set on a run made by merging shards.
	Merged *MergeInfo `json:"merged,omitempty"`
	// Notes is free text: warnings from the load generator, for example.
	Notes []string `json:"notes,omitempty"`
}

// Scenario is what load was applied, with its parameters.
type Scenario struct {
	// Name is the scenario: "echo", "rate", "stream", "sink", "broadcast",
	// "connect", "churn", "soak", "http-get", "http-put", ...
	Name string `json:"name"`
	// Conns is the number of concurrent connections.
	Conns int `json:"conns"`
	// Size is the message (or HTTP body) size in bytes.
	Size int `json:"size"`
	// Rate is the target total send rate in messages per second; 0 means a
	// closed loop (send the next message when the last one is answered).
	Rate float64 `json:"rate,omitempty"`
	// Duration is the planned measurement duration.
	Duration Duration `json:"duration"`
	// Path is the request path on the board, e.g. "/echo".
	Path string `json:"path,omitempty"`
	// Shard is "i/n" for shard i (0-based) of n load generator processes,
	// empty when the run was not sharded.
	Shard Shard `json:"shard,omitzero"`
	// Params holds any other parameter, e.g. "ramp": "10s".
	Params map[string]string `json:"params,omitempty"`
}

// Board is the board model and its configuration.
type Board struct {
	// Model is a preset name such as "esp32-idf", or "real" for a physical
	// board reached by URL.
	Model string `json:"model"`
	// Slots is the number of connections the board serves at once.
	Slots int `json:"slots"`
	// RxBuf and TxBuf are the per-slot receive and transmit buffer sizes.
	RxBuf int `json:"rx_buf_bytes"`
	TxBuf int `json:"tx_buf_bytes"`
	// MaxMessage is the largest message the board accepts, in bytes.
	MaxMessage int `json:"max_message_bytes"`
	// HeapBudget is the heap the board may use, in bytes.
	HeapBudget int64 `json:"heap_budget_bytes"`
	// StaticFootprint is the memory taken at start (slots and buffers).
	StaticFootprint int64 `json:"static_footprint_bytes"`
	// LinkBandwidth is the emulated link's bandwidth in bits per second;
	// 0 means unlimited.
	LinkBandwidth int64 `json:"link_bandwidth_bps,omitempty"`
	// LinkRTT is the emulated link's round-trip time.
	LinkRTT Duration `json:"link_rtt,omitempty"`
	// WhenFull is how the board fails when all slots are taken, e.g.
	// "refuse", "503", "reset", "queue".
	WhenFull string `json:"when_full,omitempty"`
	// Extra holds anything else about the board or its firmware.
	Extra map[string]string `json:"extra,omitempty"`
}

// Host is the machine and code that ran the load generator.
type Host struct {
	// Commit is `git describe --always --dirty` of the working tree, if any.
	Commit    string `json:"commit,omitempty"`
	Hostname  string `json:"hostname,omitempty"`
	CPU       string `json:"cpu,omitempty"`
	Cores     int    `json:"cores,omitempty"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GoVersion string `json:"go_version"`
}

// Counts are totals over the run.
type Counts struct {
	ConnsAttempted int64 `json:"conns_attempted"`
	ConnsOpened    int64 `json:"conns_opened"`
	// ConnsRefused counts connection attempts the board turned away:
	// nothing listening or a reset, accepted then closed, a 503, hung in
	// its backlog, a SYN dropped until the client gave up; Errors has them
	// by kind.
	ConnsRefused int64 `json:"conns_refused"`
	// ConnsFailed counts connections that failed other than by refusal
	// (another handshake status, a bad handshake, no local address).
	ConnsFailed int64 `json:"conns_failed"`
	// ConnsDropped counts open connections lost before the end of the run.
	ConnsDropped  int64 `json:"conns_dropped"`
	MsgsSent      int64 `json:"msgs_sent"`
	MsgsReceived  int64 `json:"msgs_received"`
	BytesSent     int64 `json:"bytes_sent"`
	BytesReceived int64 `json:"bytes_received"`
	HTTPRequests  int64 `json:"http_requests,omitempty"`
	HTTPResponses int64 `json:"http_responses,omitempty"`
}

// Rates are throughputs over the measurement window.
type Rates struct {
	MsgsPerSec float64 `json:"msgs_per_sec,omitempty"`
	// BytesPerSec is payload bytes per second in both directions added
	// (sent plus received: an echo counts every byte twice). Summary
	// splits it by direction (UpMBPerSec, DownMBPerSec) over the same
	// window; a throughput goal means the one-way rate (OneWayMBPerSec).
	BytesPerSec float64 `json:"bytes_per_sec,omitempty"`
	// UpBytesPerSec is the payload rate client to board (Counts.BytesSent
	// over the window), DownBytesPerSec board to client
	// (Counts.BytesReceived). An echo's throughput is the one-way rate:
	// either figure, not their sum.
	UpBytesPerSec   float64 `json:"up_bytes_per_sec,omitempty"`
	DownBytesPerSec float64 `json:"down_bytes_per_sec,omitempty"`
	// WindowStart and WindowLength are the measurement window the rates
	// cover, as an offset from Run.Start (so a connection ramp before it
	// is not in the rates).
	WindowStart  Duration `json:"window_start,omitempty"`
	WindowLength Duration `json:"window_length,omitempty"`
}

// Interval is one slice of the run, [Offset, Offset+Length) from Start.
type Interval struct {
	Offset        Duration `json:"offset"`
	Length        Duration `json:"length"`
	MsgsSent      int64    `json:"msgs_sent"`
	MsgsReceived  int64    `json:"msgs_received"`
	BytesSent     int64    `json:"bytes_sent"`
	BytesReceived int64    `json:"bytes_received"`
	Errors        int64    `json:"errors,omitempty"`
	// Histograms recorded during this interval only, by name.
	Histograms map[string]*Histogram `json:"histograms,omitempty"`
}

// HeapSample is one reading of the board's /stats.
type HeapSample struct {
	Offset          Duration `json:"offset"`
	HeapInUse       int64    `json:"heap_in_use"`
	Mallocs         int64    `json:"mallocs"`
	Frees           int64    `json:"frees"`
	SlotsInUse      int      `json:"slots_in_use"`
	StaticFootprint int64    `json:"static_footprint"`
	// RAMInUse is the board's own RAM in use (static footprint, open
	// connections, queued messages, the stack's buffers), as a wslab board
	// reports it; 0 when the board does not. HeapInUse is the heap of the
	// process running the firmware: on an emulated board, the host's.
	RAMInUse int64 `json:"ram_in_use,omitempty"`
	// A board that does not run wslab gives free memory instead, read
	// from its own stats (see BoardEvent); zero: not read.
	HeapFree    int64 `json:"heap_free,omitempty"`
	LargestFree int64 `json:"largest_free,omitempty"` // largest free block
	MinFree     int64 `json:"min_free,omitempty"`     // lowest free heap since boot
	// The board's processor as an emulated board's CPU model charges it
	// (/stats "cpu"; zero: not modelled): busy time since the board
	// started, that over its uptime and cores in permille, and the cores.
	// The busy fraction during a run is the busy time's growth between
	// samples (Run.CPUBusyPeak).
	CPUBusyMs       int64 `json:"cpu_busy_ms,omitempty"`
	CPUBusyPermille int64 `json:"cpu_busy_permille,omitempty"`
	CPUCores        int   `json:"cpu_cores,omitempty"`
}

// MergeInfo records which shards a merged run was made from.
type MergeInfo struct {
	// From lists the IDs of the merged runs.
	From []string `json:"from"`
	// Shards lists the shard indices merged, of Of in all.
	Shards []int `json:"shards,omitempty"`
	Of     int   `json:"of,omitempty"`
}

// Missing returns the shard indices of 0..Of-1 that were not merged.
func (m *MergeInfo) Missing() []int {
	if m == nil {
		return nil
	}
	var miss []int
	for i := range m.Of {
		if !slices.Contains(m.Shards, i) {
			miss = append(miss, i)
		}
	}
	return miss
}

// Duration is a time.Duration that reads and writes JSON as a string such as
// "1.5s". It also reads a number of nanoseconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the time.Duration string form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalJSON reads "1.5s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration: want a string like \"1.5s\" or nanoseconds: %w", err)
	}
	*d = Duration(n)
	return nil
}

// Shard is shard Index (0-based) of Count. The zero value means unsharded.
// Its text form is "i/n".
type Shard struct {
	Index, Count int
}

// IsZero reports an unsharded run.
func (s Shard) IsZero() bool { return s.Count == 0 }

func (s Shard) String() string {
	if s.IsZero() {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// MarshalText writes "i/n".
func (s Shard) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "i/n" (or "" for unsharded).
func (s *Shard) UnmarshalText(b []byte) error {
	v, err := ParseShard(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// maxShards bounds a shard count: merge and report walk every shard index.
const maxShards = 4096

// ParseShard parses "i/n" with 0 <= i < n <= 4096, or "" for unsharded.
func ParseShard(t string) (Shard, error) {
	if t == "" {
		return Shard{}, nil
	}
	a, b, ok := strings.Cut(t, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n", t)
	}
	if n > maxShards {
		return Shard{}, fmt.Errorf("shard %q: at most %d shards", t, maxShards)
	}
	return Shard{Index: i, Count: n}, nil
}

// HandshakeStatus is the Errors key for a handshake answered with an HTTP
// status other than 101.
func HandshakeStatus(status int) string { return "handshake " + strconv.Itoa(status) }

// CloseCode is the Errors key for a connection closed by the board with a
// close code other than 1000.
func CloseCode(code int) string { return "close " + strconv.Itoa(code) }

// newID returns a unique ID that sorts by t: UTC time to the millisecond and
// six random hex digits, e.g. "20250102T150405.123Z-3f9a1c".
func newID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return t.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// New returns a Run with Schema, ID, Start, Host and empty maps set, ready
// for the load generator to fill.
func New(start time.Time, sc Scenario, b Board, target string) *Run {
	return &Run{
		Schema:     SchemaVersion,
		ID:         newID(start),
		Scenario:   sc,
		Board:      b,
		Target:     target,
		Host:       currentHost(),
		Start:      start,
		Errors:     map[string]int64{},
		Histograms: map[string]*Histogram{},
	}
}

// currentHost describes this machine and the working tree's commit. Fields
// it cannot learn are left empty.
func currentHost() Host {
	h := Host{
		Cores:     runtime.NumCPU(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		GoVersion: runtime.Version(),
	}
	h.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty", "--tags").Output(); err == nil {
		h.Commit = strings.TrimSpace(string(out))
	}
	return h
}

// Duration returns End-Start, or the planned duration when End is unset.
func (r *Run) Duration() time.Duration {
	if !r.End.IsZero() && r.End.After(r.Start) {
		return r.End.Sub(r.Start)
	}
	return r.Scenario.Duration.D()
}

// Hist returns the named overall histogram, or nil.
func (r *Run) Hist(name string) *Histogram { return r.Histograms[name] }

// quantile returns the value at quantile q (0 to 1) of the named overall
// histogram in microseconds, and false if the run has no such histogram or
// it is empty.
func (r *Run) quantile(name string, q float64) (int64, bool) {
	h := r.Histograms[name]
	if h.Count() == 0 {
		return 0, false
	}
	return h.Quantile(q), true
}

// ErrorsTotal is the sum of Errors.
func (r *Run) ErrorsTotal() int64 {
	var n int64
	for _, v := range r.Errors {
		n += v
	}
	return n
}

// Key identifies what ran, for grouping and for checking that runs are
// comparable: the scenario name and every parameter except the shard and
// planned duration.
func (s Scenario) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s conns=%d size=%d", s.Name, s.Conns, s.Size)
	if s.Rate != 0 {
		fmt.Fprintf(&b, " rate=%g", s.Rate)
	}
	if s.Path != "" {
		fmt.Fprintf(&b, " path=%s", s.Path)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Params)) {
		fmt.Fprintf(&b, " %s=%s", k, s.Params[k])
	}
	return b.String()
}

// Label is a short human name for the run in legends: board, scenario and
// connections.
func (r *Run) Label() string {
	return fmt.Sprintf("%s %s c=%d", r.Board.Model, r.Scenario.Name, r.Scenario.Conns)
}
