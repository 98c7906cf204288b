//go:build linux

package loadgen

import (
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/results"
)

// Spec.OnInterval gets every interval of the record, in order, with the
// record's counts and quantiles and the board's RAM in use.
func TestOnInterval(t *testing.T) {
	srv := board(t, firmware.Config{HeapBudget: 1 << 20})
	var mu sync.Mutex
	var ticks []Tick
	r := run(t, Spec{Target: srv.WSURL("/ws"), Conns: 3, Duration: 800 * time.Millisecond, Interval: 200 * time.Millisecond,
		OnInterval: func(k Tick) { mu.Lock(); defer mu.Unlock(); ticks = append(ticks, k) }})
	mu.Lock()
	defer mu.Unlock()
	if len(ticks) != len(r.Intervals) || len(ticks) < 4 {
		t.Fatalf("%d ticks for %d intervals", len(ticks), len(r.Intervals))
	}
	var ram bool
	for i, k := range ticks {
		iv := r.Intervals[i]
		if k.Index != i || k.Offset != time.Duration(iv.Offset) || k.Length != 200*time.Millisecond ||
			k.MsgsSent != iv.MsgsSent || k.MsgsReceived != iv.MsgsReceived || k.BytesSent != iv.BytesSent ||
			k.BytesReceived != iv.BytesReceived || k.Errors != iv.Errors {
			t.Errorf("tick %d %+v, interval %+v", i, k, iv)
		}
		if h := iv.Histograms[results.HistLatency]; h != nil {
			if k.Hist != results.HistLatency || k.N != h.Count() || k.P50 != h.Quantile(0.5) || k.P99 != h.Quantile(0.99) {
				t.Errorf("tick %d: %s n=%d p50 %d p99 %d; the interval's n=%d p50 %d p99 %d", i, k.Hist, k.N, k.P50, k.P99,
					h.Count(), h.Quantile(0.5), h.Quantile(0.99))
			}
		}
		if k.HaveBoard {
			if k.RAMBudget != 1<<20 || k.RAMInUse < k.Footprint || k.Footprint != r.Board.StaticFootprint {
				t.Errorf("tick %d board RAM %d of %d, footprint %d (record: %d)", i, k.RAMInUse, k.RAMBudget, k.Footprint, r.Board.StaticFootprint)
			}
			ram = ram || k.RAMInUse > k.Footprint
		}
	}
	if !ram {
		t.Errorf("no tick showed the board's RAM above its footprint with 3 connections open")
	}
}

// The interval hook allocates nothing: the live view's cost is its own.
func TestOnIntervalAllocs(t *testing.T) {
	s := Spec{Interval: time.Second, OnInterval: func(Tick) {}}
	col := newCollector(0, int64(time.Second), 1, 2, [nHist]bool{hLatency: true})
	defer col.finishAll(1)
	f := &frame{col: col, prog: &progress{}}
	hook := f.intervalHook(&s, 0, func() int64 { return 3 })
	iv := col.ivs[0]
	iv.msgsRecv = 10
	_ = iv.hists[hLatency].RecordValue(250)
	if a := testing.AllocsPerRun(100, func() { hook(0, iv) }); a != 0 {
		t.Errorf("%.1f allocations per interval, want 0", a)
	}
	if (&frame{col: col}).intervalHook(&Spec{}, 0, nil) != nil {
		t.Error("a hook without a progress line or OnInterval")
	}
}

// A board that models its processor reports "cpu" in /stats: the tick
// carries its busy time and cores.
func TestTickCPU(t *testing.T) {
	var st BoardStats
	doc := []byte(`{"model":"m","heap":{"inuse":1},"ram":{"in_use":5000},"footprint":{"total":4000,"budget":9000},"cpu":{"busy_ms":1234,"busy_permille":300,"cores":2}}`)
	if err := ParseStats(doc, &st); err != nil {
		t.Fatal(err)
	}
	col := newCollector(0, int64(time.Second), 1, 1, [nHist]bool{})
	defer col.finishAll(1)
	k := tickOf(0, col.ivs[0], int64(time.Second), 0, sample{at: int64(3 * time.Second), BoardStats: st}, true, int64(time.Second))
	if !k.HaveCPU || k.CPUBusy != 1234*time.Millisecond || k.CPUCores != 2 || k.BoardAt != 2*time.Second || k.RAMInUse != 5000 || k.RAMBudget != 9000 {
		t.Errorf("tick %+v", k)
	}
	st = BoardStats{}
	ParseStats([]byte(`{"heap":{"inuse":1},"slots":{"total":3}}`), &st)
	if k := tickOf(0, col.ivs[0], int64(time.Second), 0, sample{BoardStats: st}, true, 0); k.HaveCPU {
		t.Errorf("CPU from a board that reports none: %+v", k)
	}
}
