package plots

import (
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wslab/wslab/results"
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func boards(runs []*results.Run) []string {
	set := map[string]bool{}
	for _, r := range runs {
		set[r.Board.Model] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// ThroughputVsConns plots messages per second against connections, one
// line per board and scenario; repeated runs at the same point are shown as
// their median with a bar from min to max. The connection axis is
// logarithmic when it spans more than a factor of 20.
func ThroughputVsConns(runs []*results.Run) (*Figure, error) {
	type key struct{ board, scenario string }
	pts := map[key]map[int][]float64{}
	slots := map[string]int{}
	for _, r := range runs {
		k := key{r.Board.Model, r.Scenario.Name}
		// The connections the board opened, not those attempted: an echo
		// "at 16" on a 7-slot board ran on 7.
		c := int(r.Counts.ConnsOpened)
		if c == 0 && r.Counts.ConnsAttempted == 0 {
			c = r.Scenario.Conns
		}
		if c <= 0 {
			continue // nothing opened: no point on a connections axis (and none at 0 on a log one)
		}
		if pts[k] == nil {
			pts[k] = map[int][]float64{}
		}
		pts[k][c] = append(pts[k][c], r.Summary().MsgsPerSec)
		slots[r.Board.Model] = max(slots[r.Board.Model], r.Board.Slots)
	}
	keys := slices.SortedFunc(maps.Keys(pts), func(a, b key) int {
		return strings.Compare(a.board+"\x00"+a.scenario, b.board+"\x00"+b.scenario)
	})
	minC, maxC, hi := math.Inf(1), 0.0, 0.0
	for _, k := range keys {
		for c, v := range pts[k] {
			minC, maxC = math.Min(minC, float64(c)), math.Max(maxC, float64(c))
			hi = math.Max(hi, slices.Max(v))
		}
	}
	if len(keys) == 0 || maxC <= 0 || hi <= 0 {
		// Nothing to say: no connection, or no message (a connect run).
		return nil, fmt.Errorf("throughput against connections: %w", ErrNoData)
	}
	p := newPlot("Throughput against connections", "connections opened", "throughput (messages/s)")
	f := newFigure("throughput-vs-conns", "Throughput against connections", [][]*plot.Plot{{p}})
	multiScenario := len(keys) > len(boards(runs))
	for i, k := range keys {
		conns := slices.Sorted(maps.Keys(pts[k]))
		var xys plotter.XYs
		var errs plotter.YErrors
		for _, c := range conns {
			v := pts[k][c]
			m := median(v)
			xys = append(xys, plotter.XY{X: float64(c), Y: m})
			errs = append(errs, struct{ Low, High float64 }{m - slices.Min(v), slices.Max(v) - m})
		}
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(i)
		sc.Color, sc.Radius, sc.Shape = colorAt(i), vg.Points(3), draw.CircleGlyph{}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = colorAt(i)
		p.Add(l, sc, eb)
		name := k.board
		if multiScenario {
			name += " " + k.scenario
		}
		f.addLegend(name, l, sc)
	}
	// Each board's slot limit, dotted in its colour, where it falls on the axis.
	marked := map[string]bool{}
	for i, k := range keys {
		if n := slots[k.board]; n > 0 && !marked[k.board] && float64(n) >= minC && float64(n) <= maxC*1.2 {
			marked[k.board] = true
			sl, _ := plotter.NewLine(plotter.XYs{{X: float64(n), Y: 0}, {X: float64(n), Y: hi * 1.05}})
			sl.LineStyle = draw.LineStyle{Color: colorAt(i), Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
			p.Add(sl)
			f.addLegend(fmt.Sprintf("%s slot limit (%d)", k.board, n), sl)
		}
	}
	if maxC/minC > 20 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Min, p.X.Max = minC/1.2, maxC*1.2
	} else {
		p.X.Min = 0
	}
	p.Y.Min = 0
	return f, nil
}

// HeapOverTime plots the board's memory for each run that has a heap
// series of two samples or more, against time since the run's start, with
// each board's budget as a dotted line of the same colour, and the board's
// crashes and reboots marked. A run whose board reports its own RAM
// (HeapSample.RAMInUse, a wslab board) is drawn with it; a board that gives
// only its free heap (a real board's own stats) with that, labelled so; any
// other with the heap of the process running the firmware, which for an
// emulated board is the host's, labelled so.
func HeapOverTime(runs []*results.Run) (*Figure, error) {
	var with []*results.Run
	for _, r := range runs {
		if len(r.Heap) >= 2 {
			with = append(with, r)
		}
	}
	if len(with) == 0 {
		return nil, fmt.Errorf("heap over time: %w", ErrNoData)
	}
	useRAM := make([]bool, len(with))
	allRAM, anyRAM, anyFree := true, false, false
	for i, r := range with {
		for _, h := range r.Heap {
			useRAM[i] = useRAM[i] || h.RAMInUse > 0
		}
		allRAM, anyRAM = allRAM && useRAM[i], anyRAM || useRAM[i]
		anyFree = anyFree || !useRAM[i] && freeOnly(r)
	}
	value := func(i int, h results.HeapSample) float64 {
		switch {
		case useRAM[i]:
			return float64(h.RAMInUse)
		case freeOnly(with[i]):
			return float64(h.HeapFree)
		}
		return float64(h.HeapInUse)
	}
	hi, maxT := 0.0, 0.0
	for i, r := range with {
		for _, h := range r.Heap {
			hi = math.Max(hi, value(i, h))
			maxT = math.Max(maxT, h.Offset.D().Seconds())
		}
		hi = math.Max(hi, float64(r.Board.HeapBudget))
		for _, e := range r.BoardEvents {
			maxT = math.Max(maxT, e.Offset.D().Seconds())
		}
	}
	bu, tu := bytesUnit(hi), timeUnit(maxT)
	title, ylabel := "Board heap in use", "heap in use ("+bu.name+")"
	switch {
	case allRAM:
		title, ylabel = "Board RAM in use", "RAM in use ("+bu.name+")"
	case anyFree:
		title, ylabel = "Board heap (in use, or free where the board gives that)", "heap ("+bu.name+")"
	}
	p := newPlot(title, "time since start ("+tu.name+")", ylabel)
	f := newFigure("heap-over-time", "Board heap over time", [][]*plot.Plot{{p}})
	names := labels(with)
	budgets := map[int64]bool{}
	for i, r := range with {
		xys := make(plotter.XYs, len(r.Heap))
		for j, h := range r.Heap {
			xys[j] = plotter.XY{X: h.Offset.D().Seconds() / tu.div, Y: value(i, h) / bu.div}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(i)
		p.Add(l)
		name := names[i]
		switch {
		case !useRAM[i] && freeOnly(r):
			name += " free heap"
		case anyRAM && !useRAM[i]:
			name += " (process heap)"
		}
		f.addLegend(name, l)
		if err := markEvents(p, f, r, i, tu.div, hi/bu.div); err != nil {
			return nil, err
		}
		if b := r.Board.HeapBudget; b > 0 && !budgets[b] {
			budgets[b] = true
			bl, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: float64(b) / bu.div}, {X: maxT / tu.div, Y: float64(b) / bu.div}})
			bl.LineStyle = draw.LineStyle{Color: colorAt(i), Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
			p.Add(bl)
			f.addLegend(fmt.Sprintf("%s budget %s", r.Board.Model, results.FormatValue(float64(b), "bytes")), bl)
		}
	}
	p.X.Min, p.X.Max = 0, maxT/tu.div
	p.Y.Min = 0
	p.Y.Max *= 1.05
	return f, nil
}

// freeOnly reports whether a run's memory series is a board's free heap
// (a board that does not run wslab) rather than its heap in use.
func freeOnly(r *results.Run) bool {
	for _, h := range r.Heap {
		if h.HeapInUse != 0 {
			return false
		}
	}
	for _, h := range r.Heap {
		if h.HeapFree != 0 {
			return true
		}
	}
	return false
}

// markEvents draws the run's board events (crashes, reboots) as vertical
// lines of its colour at their time, one legend entry per kind.
func markEvents(p *plot.Plot, f *Figure, r *results.Run, i int, tdiv, top float64) error {
	seen := map[string]bool{}
	for _, e := range r.BoardEvents {
		if e.Kind != "crash" && e.Kind != "reboot" {
			continue
		}
		x := e.Offset.D().Seconds() / tdiv
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top * 1.05}})
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: colorAt(i), Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		if e.Kind == "reboot" {
			l.LineStyle.Dashes = []vg.Length{vg.Points(1), vg.Points(3)}
		}
		p.Add(l)
		if !seen[e.Kind] {
			seen[e.Kind] = true
			f.addLegend(fmt.Sprintf("%s %s", r.Board.Model, e.Kind), l)
		}
	}
	return nil
}

// grey is used for reference marks.
var grey = color.Gray{0x66}

// isReal reports whether r ran against a physical board, whose /stats heap
// is its own.
func isReal(r *results.Run) bool { return r.Board.Model == "real" }
