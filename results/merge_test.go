package results_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func shardSpecs(n int) []resultstest.Spec {
	var specs []resultstest.Spec
	for i := range n {
		specs = append(specs, resultstest.Spec{
			Seed: uint64(100 + i), Shard: results.Shard{Index: i, Count: n},
			// Shards see different latencies so a wrong merge shows.
			LatencyMedian: 1000 * float64(i+1), Samples: 5000 * (i + 1),
			Start: resultstest.Epoch.Add(time.Duration(i) * time.Millisecond),
		})
	}
	return specs
}

func TestMergeShardsIsExact(t *testing.T) {
	specs := shardSpecs(3)
	var shards []*results.Run
	all := results.NewHistogram()
	var sent int64
	for i := len(specs) - 1; i >= 0; i-- { // out of order on purpose
		r := resultstest.Run(specs[i])
		shards = append(shards, r)
		sent += r.Counts.MsgsSent
		for _, v := range resultstest.LatencyValues(specs[i]) {
			all.Record(v)
		}
	}
	m, err := results.MergeShards(shards)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Histograms[results.HistLatency]
	if h.Count() != all.Count() {
		t.Fatalf("merged count %d, want %d", h.Count(), all.Count())
	}
	for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
		if got, want := h.Quantile(q), all.Quantile(q); got != want {
			t.Errorf("q%g: merged %d µs, single histogram %d µs", q, got, want)
		}
		if got, _ := results.RunQuantile(m, results.HistLatency, q); got != all.Quantile(q) {
			t.Errorf("Run.Quantile(q%g) = %d, want %d", q, got, all.Quantile(q))
		}
	}
	if m.Counts.MsgsSent != sent {
		t.Errorf("merged msgs sent %d, want %d", m.Counts.MsgsSent, sent)
	}
	if len(m.Intervals) != 12 {
		t.Fatalf("merged %d intervals, want 12 aligned by offset", len(m.Intervals))
	}
	var ivCount, ivSent int64
	for _, iv := range m.Intervals {
		ivCount += iv.Histograms[results.HistLatency].Count()
		ivSent += iv.MsgsSent
	}
	if ivCount != all.Count() || ivSent != sent {
		t.Errorf("intervals hold %d values and %d msgs, want %d and %d", ivCount, ivSent, all.Count(), sent)
	}
	if !m.Start.Equal(resultstest.Epoch) || !m.Scenario.Shard.IsZero() {
		t.Errorf("merged start %v shard %q, want earliest start and no shard", m.Start, m.Scenario.Shard)
	}
	if m.Merged == nil || m.Merged.Of != 3 || len(m.Merged.From) != 3 || len(m.Merged.Missing()) != 0 {
		t.Errorf("merge info %+v", m.Merged)
	}
	if len(m.Heap) != len(shards[2].Heap) || m.Heap[5] != shards[2].Heap[5] {
		t.Errorf("heap series should come from shard 0")
	}
	// The inputs are untouched.
	if shards[2].Histograms[results.HistLatency].Count() != int64(specs[0].Samples) {
		t.Errorf("MergeShards modified its input")
	}
}

func TestMergePartialAndRefusals(t *testing.T) {
	specs := shardSpecs(4)
	a, c := resultstest.Run(specs[0]), resultstest.Run(specs[2])
	m, err := results.MergeShards([]*results.Run{a, c})
	if err != nil {
		t.Fatal(err)
	}
	if miss := m.Merged.Missing(); len(miss) != 2 || miss[0] != 1 || miss[1] != 3 {
		t.Errorf("missing shards %v, want [1 3]", miss)
	}

	other := specs[1]
	other.Scenario = "rate"
	if _, err := results.MergeShards([]*results.Run{a, resultstest.Run(other)}); err == nil ||
		!strings.Contains(err.Error(), "different scenarios") || !strings.Contains(err.Error(), "rate") {
		t.Errorf("merging different scenarios: %v", err)
	}
	conns := specs[1]
	conns.Conns = 99
	if _, err := results.MergeShards([]*results.Run{a, resultstest.Run(conns)}); err == nil {
		t.Error("merged runs with different connection counts")
	}
	board := specs[1]
	board.RxBuf = 512
	if _, err := results.MergeShards([]*results.Run{a, resultstest.Run(board)}); err == nil ||
		!strings.Contains(err.Error(), "board") {
		t.Errorf("merging different boards: %v", err)
	}
	if _, err := results.MergeShards([]*results.Run{a, resultstest.Run(specs[0])}); err == nil ||
		!strings.Contains(err.Error(), "both shard 0/4") {
		t.Errorf("merging a shard twice: %v", err)
	}
	five := specs[1]
	five.Shard = results.Shard{Index: 1, Count: 5}
	if _, err := results.MergeShards([]*results.Run{a, resultstest.Run(five)}); err == nil {
		t.Error("merged shards of different counts")
	}
	// A refused Merge leaves the receiver as it was.
	before := a.Counts
	if err := a.Merge(resultstest.Run(other)); err == nil || a.Counts != before {
		t.Errorf("refused Merge changed the receiver or did not fail: %v", err)
	}
}

func TestSummaryAndHeapSlope(t *testing.T) {
	r := resultstest.Run(resultstest.Spec{Seed: 7, HeapLeak: 0, Duration: time.Hour, Intervals: 6})
	var heap []results.HeapSample
	for i := range 61 {
		heap = append(heap, results.HeapSample{Offset: results.Duration(time.Duration(i) * time.Minute),
			HeapInUse: 50000 + int64(i)*60}) // 3600 bytes per hour
	}
	r.Heap = heap
	s := r.Summary()
	if math.Abs(s.HeapSlope-3600) > 1e-6 {
		t.Errorf("heap slope %g bytes/h, want 3600", s.HeapSlope)
	}
	if s.HeapStart != 50000 || s.HeapEnd != 53600 || s.HeapMax != 53600 {
		t.Errorf("heap start/end/max %d %d %d", s.HeapStart, s.HeapEnd, s.HeapMax)
	}
	if want := float64(r.Counts.MsgsReceived) / 3600; math.Abs(s.MsgsPerSec-want) > 1e-9 {
		t.Errorf("msgs/s %g, want %g derived from counts", s.MsgsPerSec, want)
	}
	if want := float64(r.Counts.BytesSent+r.Counts.BytesReceived) / 3600 / 1e6; math.Abs(s.MBPerSec-want) > 1e-12 {
		t.Errorf("MB/s %g, want %g", s.MBPerSec, want)
	}
	if p50, _ := results.RunQuantile(r, results.HistLatency, 0.5); !s.HasLatency || s.P50 != float64(p50) || s.P99 <= s.P50 {
		t.Errorf("latency summary %+v", s)
	}
	r.Rates.MsgsPerSec = 42
	if got := r.Summary().MsgsPerSec; got != 42 {
		t.Errorf("stored rate ignored: %g", got)
	}
	if results.HeapSlope(heap[:1]) != 0 {
		t.Error("slope of one sample should be 0")
	}
}
