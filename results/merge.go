package results

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"time"
)

// checkMergeable reports why o cannot be merged into r as another shard of
// the same run, or nil. Shards must share the scenario with all its
// parameters (except the shard index), the board with its configuration, the
// target and the shard count.
func checkMergeable(r, o *Run) error {
	a, b := r.Scenario, o.Scenario
	a.Shard.Index, b.Shard.Index = 0, 0
	if !reflect.DeepEqual(norm(a), norm(b)) {
		return fmt.Errorf("cannot merge run %s (%s, %s) with run %s (%s, %s): different scenarios",
			r.ID, r.Scenario.Key(), r.Scenario.Duration, o.ID, o.Scenario.Key(), o.Scenario.Duration)
	}
	if !reflect.DeepEqual(normBoard(r.Board), normBoard(o.Board)) {
		return fmt.Errorf("cannot merge run %s (board %s) with run %s (board %s): different board configurations",
			r.ID, boardString(r.Board), o.ID, boardString(o.Board))
	}
	if r.Target != o.Target {
		return fmt.Errorf("cannot merge run %s (target %s) with run %s (target %s): different targets", r.ID, r.Target, o.ID, o.Target)
	}
	return nil
}

func norm(s Scenario) Scenario {
	if len(s.Params) == 0 {
		s.Params = nil
	}
	return s
}

func normBoard(b Board) Board {
	if len(b.Extra) == 0 {
		b.Extra = nil
	}
	return b
}

func boardString(b Board) string {
	j, _ := json.Marshal(b)
	return string(j)
}

// Merge adds shard o into r, so that r describes both:
//   - histograms (overall and per interval) Merge exactly: the merged
//     quantiles are those of one histogram fed every value;
//   - counts, rates and errors add (shards run at the same time);
//   - intervals are aligned by their offset from each shard's own Start
//     (shards are started together, e.g. by an Indexed Job) and add;
//   - Start is the earliest, End the latest;
//   - the heap series is kept from r, or taken from o when r has none: all
//     shards sample the same board, so a second series would repeat it.
//
// Merge fails, leaving r unchanged, when checkMergeable does. It does not
// change r.Scenario.Shard; MergeShards does that bookkeeping.
func (r *Run) Merge(o *Run) error {
	if err := checkMergeable(r, o); err != nil {
		return err
	}
	// Work on a copy so that a failed histogram merge leaves r unchanged.
	m := r.clone()
	if o.Start.Before(m.Start) || m.Start.IsZero() {
		m.Start = o.Start
	}
	if o.End.After(m.End) {
		m.End = o.End
	}
	addCounts(&m.Counts, o.Counts)
	m.Rates.MsgsPerSec += o.Rates.MsgsPerSec
	m.Rates.BytesPerSec += o.Rates.BytesPerSec
	m.Rates.UpBytesPerSec += o.Rates.UpBytesPerSec
	m.Rates.DownBytesPerSec += o.Rates.DownBytesPerSec
	if o.Rates.WindowLength > 0 {
		// The union of the shards' windows, as offsets from the merged Start.
		ws := o.Start.Add(time.Duration(o.Rates.WindowStart))
		we := ws.Add(time.Duration(o.Rates.WindowLength))
		if m.Rates.WindowLength > 0 {
			ms := r.Start.Add(time.Duration(r.Rates.WindowStart))
			if ms.Before(ws) {
				ws = ms
			}
			if me := ms.Add(time.Duration(r.Rates.WindowLength)); me.After(we) {
				we = me
			}
		}
		m.Rates.WindowStart, m.Rates.WindowLength = Duration(ws.Sub(m.Start)), Duration(we.Sub(ws))
	} else if m.Rates.WindowLength > 0 {
		m.Rates.WindowStart = Duration(r.Start.Add(time.Duration(r.Rates.WindowStart)).Sub(m.Start))
	}
	if len(o.Errors) > 0 && m.Errors == nil {
		m.Errors = map[string]int64{}
	}
	for k, v := range o.Errors {
		m.Errors[k] += v
	}
	var err error
	if m.Histograms, err = mergeHists(m.Histograms, o.Histograms); err != nil {
		return fmt.Errorf("merge run %s into %s: %w", o.ID, r.ID, err)
	}
	for _, iv := range o.Intervals {
		i := sort.Search(len(m.Intervals), func(i int) bool { return m.Intervals[i].Offset >= iv.Offset })
		if i < len(m.Intervals) && m.Intervals[i].Offset == iv.Offset {
			x := &m.Intervals[i]
			x.Length = max(x.Length, iv.Length)
			x.MsgsSent += iv.MsgsSent
			x.MsgsReceived += iv.MsgsReceived
			x.BytesSent += iv.BytesSent
			x.BytesReceived += iv.BytesReceived
			x.Errors += iv.Errors
			if x.Histograms, err = mergeHists(x.Histograms, iv.Histograms); err != nil {
				return fmt.Errorf("merge run %s into %s, interval at %s: %w", o.ID, r.ID, iv.Offset, err)
			}
			continue
		}
		c := cloneInterval(iv)
		m.Intervals = slices.Insert(m.Intervals, i, c)
	}
	if len(m.Heap) == 0 {
		m.Heap = slices.Clone(o.Heap)
	}
	m.Notes = append(m.Notes, o.Notes...)
	if m.Merged == nil {
		m.Merged = &MergeInfo{From: []string{r.ID}}
	}
	if o.Merged != nil {
		m.Merged.From = append(m.Merged.From, o.Merged.From...)
	} else {
		m.Merged.From = append(m.Merged.From, o.ID)
	}
	*r = *m
	return nil
}

func addCounts(a *Counts, b Counts) {
	a.ConnsAttempted += b.ConnsAttempted
	a.ConnsOpened += b.ConnsOpened
	a.ConnsRefused += b.ConnsRefused
	a.ConnsFailed += b.ConnsFailed
	a.ConnsDropped += b.ConnsDropped
	a.MsgsSent += b.MsgsSent
	a.MsgsReceived += b.MsgsReceived
	a.BytesSent += b.BytesSent
	a.BytesReceived += b.BytesReceived
	a.HTTPRequests += b.HTTPRequests
	a.HTTPResponses += b.HTTPResponses
}

// mergeHists merges b into a, which it may modify, and returns a.
func mergeHists(a, b map[string]*Histogram) (map[string]*Histogram, error) {
	if len(b) == 0 {
		return a, nil
	}
	if a == nil {
		a = make(map[string]*Histogram, len(b))
	}
	for _, name := range slices.Sorted(maps.Keys(b)) {
		h := b[name]
		if a[name] == nil || a[name].Histogram == nil {
			if h != nil && h.Histogram != nil {
				a[name] = h.clone()
			}
			continue
		}
		if err := a[name].Add(h); err != nil {
			return nil, fmt.Errorf("histogram %q: %w", name, err)
		}
	}
	return a, nil
}

func cloneInterval(iv Interval) Interval {
	iv.Histograms = cloneHists(iv.Histograms)
	return iv
}

func cloneHists(m map[string]*Histogram) map[string]*Histogram {
	if m == nil {
		return nil
	}
	c := make(map[string]*Histogram, len(m))
	for k, h := range m {
		c[k] = h.clone()
	}
	return c
}

// clone returns a deep copy of r, histograms included.
func (r *Run) clone() *Run {
	c := *r
	c.Scenario.Params = maps.Clone(r.Scenario.Params)
	c.Board.Extra = maps.Clone(r.Board.Extra)
	c.Errors = maps.Clone(r.Errors)
	c.Histograms = cloneHists(r.Histograms)
	if r.Intervals != nil {
		c.Intervals = make([]Interval, len(r.Intervals))
		for i, iv := range r.Intervals {
			c.Intervals[i] = cloneInterval(iv)
		}
	}
	c.Heap = slices.Clone(r.Heap)
	c.Notes = slices.Clone(r.Notes)
	if r.Merged != nil {
		mi := *r.Merged
		mi.From = slices.Clone(mi.From)
		mi.Shards = slices.Clone(mi.Shards)
		c.Merged = &mi
	}
	return &c
}

// MergeShards combines the shards of one run into a new Run (see Run.Merge
// for how). The shards must be of the same scenario, board and target, with
// the same shard count and distinct shard indices; unsharded runs of the
// same scenario may be merged too. Missing shards are allowed and recorded
// in the result's Merged.Missing. The result gets a new ID, the lowest
// shard's host, and no Shard.
func MergeShards(runs []*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no runs to merge")
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b *Run) int { return a.Scenario.Shard.Index - b.Scenario.Shard.Index })
	seen := map[int]string{}
	n := sorted[0].Scenario.Shard.Count
	for _, r := range sorted {
		s := r.Scenario.Shard
		if s.Count != n {
			return nil, fmt.Errorf("cannot merge run %s (shard %q) with run %s (shard %q): different shard counts",
				sorted[0].ID, sorted[0].Scenario.Shard, r.ID, s)
		}
		if s.Count > 0 {
			if id, dup := seen[s.Index]; dup {
				return nil, fmt.Errorf("runs %s and %s are both shard %s", id, r.ID, s)
			}
			seen[s.Index] = r.ID
		}
	}
	// The same run twice, or a merged run with one of its own sources,
	// would count the same data twice.
	ids := map[string]bool{}
	for _, r := range sorted {
		from := []string{r.ID}
		if r.Merged != nil && len(r.Merged.From) > 0 {
			from = r.Merged.From
		}
		for _, id := range from {
			if ids[id] {
				return nil, fmt.Errorf("run %s is given twice (directly or inside a merged run): its counts would be added twice", id)
			}
			ids[id] = true
		}
	}
	m := sorted[0].clone()
	m.Merged = nil
	for _, r := range sorted[1:] {
		if err := m.Merge(r); err != nil {
			return nil, err
		}
	}
	if m.Merged == nil {
		m.Merged = &MergeInfo{From: []string{sorted[0].ID}}
	}
	if n > 0 {
		m.Merged.Of = n
		m.Merged.Shards = slices.Sorted(maps.Keys(seen))
	}
	m.Scenario.Shard = Shard{}
	m.ID = newID(m.Start)
	return m, nil
}
