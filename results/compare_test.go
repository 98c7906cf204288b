package results_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func runsOf(n int, seed0 uint64, spec resultstest.Spec) []*results.Run {
	var runs []*results.Run
	for i := range n {
		s := spec
		s.Seed = seed0 + uint64(i)
		s.Samples = 3000
		runs = append(runs, resultstest.Run(s))
	}
	return runs
}

func change(t *testing.T, c *results.Comparison, fig string) results.Change {
	t.Helper()
	for _, ch := range c.Changes {
		if ch.Figure.Name == fig {
			return ch
		}
	}
	t.Fatalf("no figure %q", fig)
	return results.Change{}
}

func TestCompareClearlyDifferent(t *testing.T) {
	old := runsOf(6, 1, resultstest.Spec{MsgsPerSec: 1000, LatencyMedian: 2000})
	new := runsOf(6, 50, resultstest.Spec{MsgsPerSec: 1500, LatencyMedian: 4000})
	c, err := results.Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if ch := change(t, c, "msgs/s"); !ch.Significant || ch.Verdict != results.VerdictBetter || ch.Delta < 0.4 || ch.Delta > 0.6 {
		t.Errorf("msgs/s: %+v, want a significant ~+50%% improvement", ch)
	}
	if ch := change(t, c, "p99"); !ch.Significant || ch.Verdict != results.VerdictWorse {
		t.Errorf("p99: %+v, want significantly worse", ch)
	}
	if ch := change(t, c, "errors"); ch.Significant || ch.Verdict != results.VerdictNoChange {
		t.Errorf("errors (all zero): %+v, want no change", ch)
	}
	var buf bytes.Buffer
	results.WriteComparison(c, &buf)
	if !strings.Contains(buf.String(), "better") || !strings.Contains(buf.String(), "worse") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func TestCompareSameDistribution(t *testing.T) {
	old := runsOf(6, 1, resultstest.Spec{})
	new := runsOf(6, 50, resultstest.Spec{})
	c, err := results.Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	for _, fig := range []string{"msgs/s", "up MB/s", "down MB/s", "p50", "p99"} {
		if ch := change(t, c, fig); ch.Significant || ch.Verdict != results.VerdictNoChange {
			t.Errorf("%s: %+v, want no significant change", fig, ch)
		}
	}
}

func TestCompareNTooSmall(t *testing.T) {
	for _, n := range []int{1, 3} {
		old := runsOf(n, 1, resultstest.Spec{MsgsPerSec: 1000})
		new := runsOf(n, 50, resultstest.Spec{MsgsPerSec: 3000})
		c, err := results.Compare(old, new)
		if err != nil {
			t.Fatal(err)
		}
		ch := change(t, c, "msgs/s")
		if ch.Significant || ch.Verdict != results.VerdictNTooSmall || ch.Delta < 1.5 {
			t.Errorf("n=%d: %+v, want the change shown with verdict %q", n, ch, results.VerdictNTooSmall)
		}
	}
}

func TestCompareRefusesOtherScenario(t *testing.T) {
	a := runsOf(1, 1, resultstest.Spec{})
	b := runsOf(1, 2, resultstest.Spec{Scenario: "rate"})
	if _, err := results.Compare(a, b); err == nil || !strings.Contains(err.Error(), "not the same scenario") {
		t.Errorf("got %v", err)
	}
}

// TestCompareFamilyWise: comparisons of one distribution with itself may
// show a significant change in at most about Alpha of them, however many
// figures each tests; without the correction about a third did.
func TestCompareFamilyWise(t *testing.T) {
	const pairs = 40
	flagged := 0
	for i := range pairs {
		old := runsOf(8, uint64(1000*i+1), resultstest.Spec{})
		new := runsOf(8, uint64(1000*i+500), resultstest.Spec{})
		c, err := results.Compare(old, new)
		if err != nil {
			t.Fatal(err)
		}
		if c.Tested < 6 {
			t.Fatalf("only %d figures tested", c.Tested)
		}
		for _, ch := range c.Changes {
			if ch.Significant {
				flagged++
				break
			}
			if ch.PAdj < ch.P {
				t.Fatalf("%s: adjusted p %g below raw %g", ch.Figure.Name, ch.PAdj, ch.P)
			}
		}
	}
	if flagged > 4 {
		t.Errorf("%d of %d A/A comparisons flagged a change; want at most 4 (alpha %g family-wise)", flagged, pairs, results.Alpha)
	}
	var buf bytes.Buffer
	c, _ := results.Compare(runsOf(4, 1, resultstest.Spec{}), runsOf(4, 9, resultstest.Spec{}))
	results.WriteComparison(c, &buf)
	if !strings.Contains(buf.String(), "Holm-corrected over the") {
		t.Errorf("the table does not say the p-values are corrected:\n%s", buf.String())
	}
}
