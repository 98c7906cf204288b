package results_test

import (
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

// Shards' payload rates add up per direction, and the merged window is
// the union of the shards' windows, as an offset from the merged start.
func TestMergeRatesPerDirection(t *testing.T) {
	specs := shardSpecs(2)
	var shards []*results.Run
	for i, sp := range specs {
		r := resultstest.Run(sp)
		// Shard i starts i ms after the epoch; its window opens 100+50i ms
		// after its start and lasts 1 s.
		r.Rates = results.Rates{MsgsPerSec: 100, UpBytesPerSec: 1000 * float64(i+1), DownBytesPerSec: 10,
			WindowStart: results.Duration(time.Duration(100+50*i) * time.Millisecond), WindowLength: results.Duration(time.Second)}
		shards = append(shards, r)
	}
	m, err := results.MergeShards(shards)
	if err != nil {
		t.Fatal(err)
	}
	rt := m.Rates
	if rt.UpBytesPerSec != 3000 || rt.DownBytesPerSec != 20 || rt.MsgsPerSec != 200 {
		t.Errorf("merged rates %+v: want up 3000, down 20, 200 msgs/s", rt)
	}
	// Windows: [100 ms, 1.1 s) and [1 ms + 150 ms, 1.151 s) from the epoch.
	if rt.WindowStart != results.Duration(100*time.Millisecond) || rt.WindowLength != results.Duration(1051*time.Millisecond) {
		t.Errorf("merged window %v + %v, want 100ms + 1.051s", rt.WindowStart, rt.WindowLength)
	}
}
