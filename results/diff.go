package results

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// SetDiff is the comparison of one scenario on one board configuration
// between two run sets.
type SetDiff struct {
	Board    string // model and configuration
	Scenario string // Scenario.Key
	// Comparison is nil when the pair is on one side only (OnlyOld or
	// OnlyNew is then set) or could not be compared (Err).
	*Comparison
	OnlyOld, OnlyNew bool
	Err              error
}

// groupKey names a board configuration: runs compare only with runs of the
// same model, slots and buffers.
func groupKey(r *Run) string { return ConfigLabel(r.Board) }

// DiffSets compares two run sets (two results folders: a baseline and a
// candidate) scenario by scenario and board by board, with Compare; the
// pairs come in the order of the new set's first runs, then those only
// in the old set.
func DiffSets(old, new []*Run) []SetDiff {
	type key struct{ board, scenario string }
	group := func(runs []*Run) (map[key][]*Run, []key) {
		m := map[key][]*Run{}
		var order []key
		rs := slices.Clone(runs)
		SortRuns(rs)
		for _, r := range rs {
			k := key{groupKey(r), r.Scenario.Key()}
			if m[k] == nil {
				order = append(order, k)
			}
			m[k] = append(m[k], r)
		}
		return m, order
	}
	om, oorder := group(old)
	nm, norder := group(new)
	var out []SetDiff
	for _, k := range norder {
		d := SetDiff{Board: k.board, Scenario: k.scenario}
		if om[k] == nil {
			d.OnlyNew = true
		} else {
			d.Comparison, d.Err = Compare(om[k], nm[k])
		}
		out = append(out, d)
	}
	for _, k := range oorder {
		if nm[k] == nil {
			out = append(out, SetDiff{Board: k.board, Scenario: k.scenario, OnlyOld: true})
		}
	}
	return out
}

// DiffVerdict sums a diff up: "worse" when any figure of any pair got
// significantly worse, "better" when some improved and none got worse,
// "no change" otherwise (also when nothing could be tested).
func DiffVerdict(ds []SetDiff) string {
	better := false
	for _, d := range ds {
		if d.Comparison == nil {
			continue
		}
		for _, ch := range d.Changes {
			switch ch.Verdict {
			case VerdictWorse:
				return VerdictWorse
			case VerdictBetter:
				better = true
			}
		}
	}
	if better {
		return VerdictBetter
	}
	return "no change"
}

// WriteDiff prints every pair in benchstat's shape: a table per board and
// scenario, old and new centers, delta, Holm-corrected p and n, a verdict.
func WriteDiff(w io.Writer, ds []SetDiff) error {
	slices.SortStableFunc(ds, func(a, b SetDiff) int { return cmp.Compare(a.Board, b.Board) })
	board := ""
	for _, d := range ds {
		if d.Board != board {
			board = d.Board
			fmt.Fprintf(w, "\n%s\n%s\n", board, strings.Repeat("=", len(board)))
		}
		switch {
		case d.OnlyOld:
			fmt.Fprintf(w, "scenario: %s: only in the old set\n", d.Scenario)
		case d.OnlyNew:
			fmt.Fprintf(w, "scenario: %s: only in the new set\n", d.Scenario)
		case d.Err != nil:
			fmt.Fprintf(w, "scenario: %s: %v\n", d.Scenario, d.Err)
		default:
			if err := d.Comparison.write(w); err != nil {
				return err
			}
		}
	}
	return nil
}
