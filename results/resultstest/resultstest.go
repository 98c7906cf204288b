// Package resultstest builds deterministic synthetic Run records for tests:
// the same Spec always gives the same record, with no wall-clock input.
package resultstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/wslab/wslab/results"
)

// Epoch is the Start of a synthetic run with Spec.Start unset.
var Epoch = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

// Spec describes a synthetic run. Zero fields take the defaults noted.
type Spec struct {
	Seed     uint64
	Board    string // "esp32-idf"
	Scenario string // "echo"
	Conns    int    // 10
	Size     int    // 128 bytes
	RxBuf    int    // 4096 bytes
	TxBuf    int    // RxBuf
	Slots    int    // max(Conns, 4)
	Commit   string // "v0.1.0"
	Shard    results.Shard
	Start    time.Time // Epoch
	// Duration of the run, split in Intervals intervals.
	Duration  time.Duration // 60s
	Intervals int           // 12
	// MsgsPerSec is the mean throughput.
	MsgsPerSec float64 // 1000
	// LatencyMedian and LatencySigma shape a log-normal latency (µs).
	LatencyMedian float64 // 2000 µs
	LatencySigma  float64 // 0.5
	// Samples is the number of latency values recorded.
	Samples int // 20000
	// HeapStart and HeapLeak (bytes per hour) shape the heap series.
	HeapStart int64 // 40000
	HeapLeak  float64
	// Errors per kind.
	Errors map[string]int64
}

func (s *Spec) defaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	if s.Board == "" {
		s.Board = "esp32-idf"
	}
	if s.Scenario == "" {
		s.Scenario = "echo"
	}
	def(&s.Conns, 10)
	def(&s.Size, 128)
	def(&s.RxBuf, 4096)
	def(&s.TxBuf, s.RxBuf)
	def(&s.Slots, max(s.Conns, 4))
	def(&s.Intervals, 12)
	def(&s.Samples, 20000)
	if s.Commit == "" {
		s.Commit = "v0.1.0"
	}
	if s.Start.IsZero() {
		s.Start = Epoch
	}
	if s.Duration == 0 {
		s.Duration = time.Minute
	}
	if s.MsgsPerSec == 0 {
		s.MsgsPerSec = 1000
	}
	if s.LatencyMedian == 0 {
		s.LatencyMedian = 2000
	}
	if s.LatencySigma == 0 {
		s.LatencySigma = 0.5
	}
	if s.HeapStart == 0 {
		s.HeapStart = 40000
	}
}

// LatencyValues returns the latency values (µs) Run records for spec, in
// order, so a test can feed them to one histogram.
func LatencyValues(spec Spec) []int64 {
	spec.defaults()
	rng := rand.New(rand.NewPCG(spec.Seed, 1))
	v := make([]int64, spec.Samples)
	for i := range v {
		v[i] = int64(math.Round(spec.LatencyMedian * math.Exp(spec.LatencySigma*rng.NormFloat64())))
	}
	return v
}

// Run builds the synthetic run for spec.
func Run(spec Spec) *results.Run {
	spec.defaults()
	rng := rand.New(rand.NewPCG(spec.Seed, 2))
	footprint := int64(spec.Slots*(spec.RxBuf+spec.TxBuf) + 8192)
	r := &results.Run{
		Schema: results.SchemaVersion,
		ID:     fmt.Sprintf("%s-%06x", spec.Start.UTC().Format("20060102T150405.000Z"), spec.Seed&0xffffff),
		Scenario: results.Scenario{
			Name:     spec.Scenario,
			Conns:    spec.Conns,
			Size:     spec.Size,
			Duration: results.Duration(spec.Duration),
			Path:     "/" + spec.Scenario,
			Shard:    spec.Shard,
		},
		Board: results.Board{
			Model:           spec.Board,
			Slots:           spec.Slots,
			RxBuf:           spec.RxBuf,
			TxBuf:           spec.TxBuf,
			MaxMessage:      spec.RxBuf,
			HeapBudget:      160 * 1024,
			StaticFootprint: footprint,
			LinkBandwidth:   20_000_000,
			LinkRTT:         results.Duration(2 * time.Millisecond),
			WhenFull:        "refuse",
		},
		Target: "ws://127.0.0.1:8080/" + spec.Scenario,
		Host: results.Host{
			Commit: spec.Commit, Hostname: "synthetic", CPU: "synthetic CPU", Cores: 2,
			GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26",
		},
		Start:      spec.Start,
		End:        spec.Start.Add(spec.Duration),
		Errors:     map[string]int64{},
		Histograms: map[string]*results.Histogram{},
	}
	for k, v := range spec.Errors {
		r.Errors[k] = v
	}
	lat, svc := results.NewHistogram(), results.NewHistogram()
	hs := results.NewHistogram()
	for range spec.Conns {
		hs.Record(int64(5000 + rng.IntN(3000)))
	}
	values := LatencyValues(spec)
	n := spec.Intervals
	ilen := spec.Duration / time.Duration(n)
	per := len(values) / n
	for i := range n {
		il, is := results.NewHistogram(), results.NewHistogram()
		chunk := values[i*per : (i+1)*per]
		if i == n-1 {
			chunk = values[i*per:]
		}
		for _, v := range chunk {
			il.Record(v)
			is.Record(max(1, v*8/10))
		}
		_ = lat.Add(il)
		_ = svc.Add(is)
		msgs := int64(spec.MsgsPerSec * ilen.Seconds() * (1 + 0.1*rng.NormFloat64()))
		r.Intervals = append(r.Intervals, results.Interval{
			Offset:        results.Duration(time.Duration(i) * ilen),
			Length:        results.Duration(ilen),
			MsgsSent:      msgs,
			MsgsReceived:  msgs,
			BytesSent:     msgs * int64(spec.Size),
			BytesReceived: msgs * int64(spec.Size),
			Histograms:    map[string]*results.Histogram{results.HistLatency: il, results.HistService: is},
		})
		c := &r.Counts
		c.MsgsSent += msgs
		c.MsgsReceived += msgs
		c.BytesSent += msgs * int64(spec.Size)
		c.BytesReceived += msgs * int64(spec.Size)
	}
	r.Histograms[results.HistLatency] = lat
	r.Histograms[results.HistService] = svc
	r.Histograms[results.HistHandshake] = hs
	r.Counts.ConnsAttempted = int64(spec.Conns)
	r.Counts.ConnsOpened = int64(min(spec.Conns, spec.Slots))
	r.Counts.ConnsRefused = int64(spec.Conns) - r.Counts.ConnsOpened
	// Heap sampled every second on the same clock.
	for t := time.Duration(0); t <= spec.Duration; t += time.Second {
		heap := footprint + spec.HeapStart + int64(spec.HeapLeak*t.Hours()) + int64(rng.IntN(2000))
		r.Heap = append(r.Heap, results.HeapSample{
			Offset:          results.Duration(t),
			HeapInUse:       heap,
			Mallocs:         int64(t / time.Millisecond),
			Frees:           max(0, int64(t/time.Millisecond)-10),
			SlotsInUse:      int(r.Counts.ConnsOpened),
			StaticFootprint: footprint,
		})
	}
	return r
}
