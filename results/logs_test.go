package results_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func logRecord(t *testing.T, r *results.Run) []string {
	t.Helper()
	var b bytes.Buffer
	if err := results.WriteLog(&b, r); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

func shardRuns(n int) []*results.Run {
	var runs []*results.Run
	for i := range n {
		runs = append(runs, resultstest.Run(resultstest.Spec{Seed: uint64(i), Samples: 200 + i, Shard: results.Shard{Index: i, Count: n}}))
	}
	return runs
}

// Records come back whole from logs with other lines around them, with
// kubectl's --prefix and --timestamps, and interleaved between pods.
func TestReadLogs(t *testing.T) {
	runs := shardRuns(3)
	recs := [][]string{logRecord(t, runs[0]), logRecord(t, runs[1]), logRecord(t, runs[2])}
	ts := func(i int) string { return fmt.Sprintf("2026-11-30T14:%02d:%02d.%09dZ ", i/60%60, i%60, i*7) }

	cases := map[string]func() string{
		"plain": func() string {
			var b strings.Builder
			for i, rec := range recs {
				fmt.Fprintf(&b, "scenario  rate  conns 4000\nthroughput  123 msgs/s\n")
				b.WriteString(strings.Join(rec, "\n") + "\n")
				fmt.Fprintf(&b, "shard %d done\n", i)
			}
			return b.String()
		},
		"long lines around": func() string {
			var b strings.Builder
			for _, rec := range recs {
				b.WriteString(strings.Repeat("x", 3<<20) + "\n")
				b.WriteString(strings.Join(rec, "\n") + "\n")
			}
			b.WriteString("no newline at the end")
			return b.String()
		},
		"prefix interleaved": func() string {
			var b strings.Builder
			for l := 0; ; l++ {
				any := false
				for i, rec := range recs {
					if l < len(rec) {
						any = true
						if l == 0 {
							fmt.Fprintf(&b, "[pod/wslab-load-%d-abcde/wslab] a summary line\n", i)
						}
						fmt.Fprintf(&b, "[pod/wslab-load-%d-abcde/wslab] %s\n", i, rec[l])
					}
				}
				if !any {
					break
				}
			}
			return b.String()
		},
		"prefix and timestamps interleaved": func() string {
			var b strings.Builder
			n := 0
			for l := 0; ; l++ {
				any := false
				for i, rec := range recs {
					if l < len(rec) {
						any = true
						n++
						fmt.Fprintf(&b, "[pod/wslab-load-%d-x/wslab] %s%s\r\n", i, ts(n), rec[l])
					}
				}
				if !any {
					break
				}
			}
			return b.String()
		},
		"timestamps": func() string {
			var b strings.Builder
			n := 0
			for _, rec := range recs {
				fmt.Fprintf(&b, "%swslab load: starting at the given time\n", ts(n))
				for _, l := range rec {
					n++
					b.WriteString(ts(n) + l + "\n")
				}
			}
			return b.String()
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := results.ReadLogs("pods.log", strings.NewReader(mk()))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(runs) {
				t.Fatalf("%d records, want %d", len(got), len(runs))
			}
			for i := range got {
				a, _ := results.Marshal(got[i])
				b, _ := results.Marshal(runs[i])
				if !bytes.Equal(a, b) {
					t.Errorf("record %d differs from the one written:\n%s\nwant\n%s", i, a, b)
				}
			}
			if _, err := results.MergeShards(got); err != nil {
				t.Errorf("records read from logs do not merge: %v", err)
			}
		})
	}
}

func TestReadLogsBad(t *testing.T) {
	rec := logRecord(t, shardRuns(1)[0])
	for name, c := range map[string]struct{ log, want string }{
		"cut short":     {strings.Join(rec[:len(rec)/2], "\n"), "pods.log: line 1: a record begins here and has no end marker"},
		"begun twice":   {strings.Join(append(rec[:3:3], rec...), "\n"), "pods.log: line 4: a record begun on line 1 has no end marker"},
		"damaged":       {strings.Replace(strings.Join(rec, "\n"), `"schema"`, `"schema`, 1), "pods.log:1: not a complete JSON record"},
		"not a run":     {results.LogBegin + "\n{\"x\": 1}\n" + results.LogEnd, "pods.log:1: no schema version"},
		"no record":     {"hello\nworld\n", ""},
		"marker inside": {"echo " + results.LogBegin + " done\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			runs, err := results.ReadLogs("pods.log", strings.NewReader(c.log))
			if c.want == "" {
				if err != nil || len(runs) != 0 {
					t.Fatalf("got %d runs, %v; want none and no error", len(runs), err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want one starting %q", err, c.want)
			}
		})
	}
}
