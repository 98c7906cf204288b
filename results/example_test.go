package results_test

import (
	"fmt"
	"time"

	"github.com/wslab/wslab/results"
)

// Two shards of one echo run (wslab load --shard 0/2 and --shard 1/2, started
// together) merge into one run: counts and rates add, the latency
// histograms merge exactly (the merged p50 and p99 are those of one
// histogram fed every value), errors add by key.
func ExampleMergeShards() {
	start := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	// shard returns shard i of 2 that got fast messages back in 1 ms and
	// slow ones in 4 ms.
	shard := func(i int, fast, slow int64) *results.Run {
		sc := results.Scenario{Name: "echo", Conns: 4, Size: 64, Shard: results.Shard{Index: i, Count: 2}}
		r := results.New(start, sc, results.Board{Model: "esp32-idf"}, "ws://127.0.0.1:8080/ws")
		r.End = start.Add(10 * time.Second)
		r.Counts.MsgsSent, r.Counts.MsgsReceived = fast+slow, fast+slow
		r.Rates.MsgsPerSec = float64(fast+slow) / 10
		h := results.NewHistogram()
		for k := int64(0); k < fast+slow; k++ {
			if k < fast {
				h.Record(1000)
			} else {
				h.Record(4000)
			}
		}
		r.Histograms[results.HistLatency] = h
		r.Errors[results.CloseCode(1009)] = 1
		return r
	}
	// Shard 1 is slower: 900 of its 1000 messages took 4 ms. Alone, shard
	// 0's p99 is 1 ms and shard 1's p50 is 4 ms; merged, 900 of 4000
	// messages (22.5%) took 4 ms.
	a := shard(0, 3000, 0)
	b := shard(1, 100, 900)

	m, err := results.MergeShards([]*results.Run{b, a}) // any order
	if err != nil {
		fmt.Println(err)
		return
	}
	h := m.Hist(results.HistLatency)
	fmt.Printf("shards %v of %d, missing %v\n", m.Merged.Shards, m.Merged.Of, m.Merged.Missing())
	fmt.Printf("msgs %d, %.0f msgs/s, errors %v\n", m.Counts.MsgsReceived, m.Rates.MsgsPerSec, m.Errors)
	fmt.Printf("latency n=%d p50=%dµs p99=%dµs\n", h.Count(), h.Quantile(0.50), h.Quantile(0.99))

	// A shard of another scenario is refused.
	c := shard(1, 10, 0)
	c.Scenario.Size = 1024
	if _, err := results.MergeShards([]*results.Run{a, c}); err != nil {
		fmt.Println("size 1024 with size 64: refused")
	}
	// Output:
	// shards [0 1] of 2, missing []
	// msgs 4000, 400 msgs/s, errors map[close 1009:2]
	// latency n=4000 p50=1000µs p99=4001µs
	// size 1024 with size 64: refused
}
