package results_test

import (
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func fuzzSeeds(f *testing.F) [][]byte { return fuzzSeedsPlain() }

func fuzzSeedsPlain() [][]byte {
	var seeds [][]byte
	for i, sp := range []resultstest.Spec{
		{Seed: 1, Samples: 20, Intervals: 3},
		{Seed: 2, Samples: 10, Intervals: 2, Shard: results.Shard{Index: 0, Count: 2}},
		{Seed: 3, Samples: 10, Intervals: 2, Shard: results.Shard{Index: 1, Count: 2}, Errors: map[string]int64{"close 1006": 2}},
	} {
		sp.Start = resultstest.Epoch.Add(time.Duration(i) * time.Millisecond)
		b, err := results.Marshal(resultstest.Run(sp))
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzUnmarshal: any bytes read as a record either fail with an error
// naming the file or give a record that writes back and reads again the
// same, with every histogram of the package's geometry.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"schema":1,"id":"x","merged":{"from":["x"],"of":1099511627776}}`))
	f.Add([]byte(`{"schema":1,"id":"x","scenario":{"shard":"0/1099511627776"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := results.Unmarshal("f.json", b)
		if err != nil {
			return
		}
		if r.Merged != nil {
			_ = r.Merged.Missing() // bounded by the shard limit
		}
		_ = r.Summary()
		out, err := results.Marshal(r)
		if err != nil {
			return // e.g. a NaN that JSON cannot carry
		}
		r2, err := results.Unmarshal("g.json", out)
		if err != nil {
			t.Fatalf("a record read back fails: %v\n%s", err, out)
		}
		if r2.ID != r.ID || r2.Counts != r.Counts || len(r2.Intervals) != len(r.Intervals) || len(r2.Histograms) != len(r.Histograms) {
			t.Fatalf("round trip changed the record")
		}
		for name, h := range r.Histograms {
			if h.Count() != r2.Histograms[name].Count() {
				t.Fatalf("histogram %s: %d values, %d after a round trip", name, h.Count(), r2.Histograms[name].Count())
			}
		}
	})
}

// FuzzMerge: two records read from any bytes merge or are refused; a
// merge never panics and its counts and histogram counts add up.
func FuzzMerge(f *testing.F) {
	s := fuzzSeeds(f)
	f.Add(s[1], s[2])
	f.Add(s[0], s[0])
	f.Add(s[1], s[1])
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ra, err := results.Unmarshal("a.json", a)
		if err != nil {
			return
		}
		rb, err := results.Unmarshal("b.json", b)
		if err != nil {
			return
		}
		m, err := results.MergeShards([]*results.Run{ra, rb})
		if err != nil {
			return
		}
		if ra.ID == rb.ID {
			t.Fatalf("run %s merged with itself", ra.ID)
		}
		if m.Counts.MsgsSent != ra.Counts.MsgsSent+rb.Counts.MsgsSent {
			t.Fatalf("merged msgs sent %d, want %d + %d", m.Counts.MsgsSent, ra.Counts.MsgsSent, rb.Counts.MsgsSent)
		}
		for name, h := range m.Histograms {
			if want := ra.Histograms[name].Count() + rb.Histograms[name].Count(); h.Count() != want {
				t.Fatalf("merged histogram %s holds %d values, want %d", name, h.Count(), want)
			}
		}
		for _, name := range []string{results.HistLatency, results.HistService, results.HistHandshake} {
			if n := ra.Histograms[name].Count() + rb.Histograms[name].Count(); n > 0 && m.Histograms[name].Count() != n {
				t.Fatalf("merged run lost histogram %s", name)
			}
		}
	})
}
