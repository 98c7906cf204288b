package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wslab/wslab/results"
)

// BoardComparison draws grouped bars: one group per scenario (name and
// connections), one bar per board in the board's colour, in four aligned
// panels: throughput, p99 latency, refused connections and the board's RAM in use. Repeated runs show
// their median. A missing value (a board not run in a scenario, or without
// a heap series) leaves a gap.
func BoardComparison(runs []*results.Run) (*Figure, error) {
	bs := boards(runs)
	if len(runs) == 0 {
		return nil, fmt.Errorf("board comparison: %w", ErrNoData)
	}
	// One group per lab step ("echo all slots" is one group whatever each
	// board's slots), else per scenario and connections; in the order they
	// first ran, as the suite did.
	type key struct {
		name  string
		conns int
	}
	groupSet := map[key]bool{}
	var groups []key
	sorted := slices.Clone(runs)
	results.SortRuns(sorted)
	runs = sorted
	vals := map[string]map[key]map[string][]float64{} // figure -> group -> board -> values
	figs := []string{"msgs/s", "p99", "refused", "ram"}
	for _, f := range figs {
		vals[f] = map[key]map[string][]float64{}
	}
	maxLat, maxHeap := 0.0, 0.0
	for _, r := range runs {
		k := key{r.Scenario.Name, r.Scenario.Conns}
		if st := r.Scenario.Params["step"]; st != "" {
			k = key{st, -1}
		}
		if !groupSet[k] {
			groupSet[k] = true
			groups = append(groups, k)
		}
		s := r.Summary()
		for _, name := range figs {
			fig, _ := results.FigureByName(name)
			v, ok := fig.Of(s)
			if !ok {
				continue
			}
			if vals[name][k] == nil {
				vals[name][k] = map[string][]float64{}
			}
			vals[name][k][r.Board.Model] = append(vals[name][k][r.Board.Model], v)
		}
		if s.HasLatency {
			maxLat = math.Max(maxLat, s.P99)
		}
		maxHeap = math.Max(maxHeap, float64(s.RAM))
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.name
		if g.conns >= 0 {
			names[i] = fmt.Sprintf("%s c=%d", g.name, g.conns)
		}
	}
	lu, bu := latencyUnit(maxLat), bytesUnit(maxHeap)
	panels := []struct {
		fig, ylabel string
		div         float64
	}{
		{"msgs/s", "throughput (msg/s)", 1},
		{"p99", "p99 latency (" + lu.name + ")", lu.div},
		{"refused", "connections refused (count)", 1},
		{"ram", "board RAM in use (" + bu.name + ")", bu.div},
	}
	plots := make([]*plot.Plot, len(panels))
	// Bars share a group's width: 70% of the 12 cm a panel gets at most.
	barW := vg.Length(math.Min(18, 0.7*(Width.Points()/2-60)/float64(len(groups)*len(bs))))
	for pi, pan := range panels {
		p := newPlot(pan.ylabel, "", pan.ylabel)
		p.Title.Text = ""
		plots[pi] = p
		for bi, b := range bs {
			v := make(plotter.Values, len(groups))
			for gi, g := range groups {
				if x := vals[pan.fig][g][b]; len(x) > 0 {
					v[gi] = median(x) / pan.div
				}
			}
			bar, err := plotter.NewBarChart(v, vg.Points(float64(barW)))
			if err != nil {
				return nil, err
			}
			bar.Color = colorAt(bi)
			bar.LineStyle.Width = 0
			bar.Offset = vg.Points(float64(barW)) * vg.Length(float64(bi)-float64(len(bs)-1)/2)
			p.Add(bar)
		}
		p.NominalX(names...)
		p.X.Tick.Label.Font.Size = vg.Points(9)
		// Slanted, so that the names of many groups never overlap.
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
		p.Y.Min = 0
		p.Y.Max *= 1.08
		if pan.fig == "refused" {
			p.Y.Max = max(p.Y.Max, 5) // whole counts, even when all are zero
		} else if p.Y.Max <= 0 {
			p.Y.Max = 1
		}
	}
	plots[0].Title.Text = "Boards compared"
	plots[1].Title.Text = " " // keep the two top panels aligned
	f := newFigure("board-comparison", "Board comparison", [][]*plot.Plot{{plots[0], plots[1]}, {plots[2], plots[3]}})
	f.Height = 20 * vg.Centimeter
	for bi, b := range bs {
		sw, _ := plotter.NewBarChart(plotter.Values{0}, 1)
		sw.Color, sw.LineStyle.Width = colorAt(bi), 0
		f.addLegend(b, sw)
	}
	return f, nil
}

// RegressionHistory plots one figure (a results.Figures name such as
// "msgs/s" or "p99") across commits: x is the commit's position in the
// order the runs started, labelled with the commit; each run is a point and
// each commit's median is joined by a line. When baseline runs are given,
// their median is a dashed line and the band from their lowest to highest
// value is shaded: the noise a change must rise above.
func RegressionHistory(runs []*results.Run, figure string, baseline []*results.Run) (*Figure, error) {
	fig, ok := results.FigureByName(figure)
	if !ok {
		return nil, fmt.Errorf("regression history: unknown figure %q", figure)
	}
	sorted := slices.Clone(runs)
	results.SortRuns(sorted)
	var commits []string
	byCommit := map[string][]float64{}
	hi := 0.0
	for _, r := range sorted {
		v, ok := fig.Of(r.Summary())
		if !ok {
			continue
		}
		c := r.Host.Commit
		if c == "" {
			c = "(no commit)"
		}
		if _, seen := byCommit[c]; !seen {
			commits = append(commits, c)
		}
		byCommit[c] = append(byCommit[c], v)
		hi = math.Max(hi, v)
	}
	if len(commits) == 0 {
		return nil, fmt.Errorf("regression history of %s: %w", figure, ErrNoData)
	}
	var base []float64
	for _, r := range baseline {
		if v, ok := fig.Of(r.Summary()); ok {
			base = append(base, v)
			hi = math.Max(hi, v)
		}
	}
	u := unit{fig.Unit, 1}
	switch fig.Unit {
	case "µs":
		u = latencyUnit(hi)
	case "bytes":
		u = bytesUnit(hi)
	}
	what := ""
	if len(runs) > 0 {
		what = fmt.Sprintf(" (%s %s c=%d)", runs[0].Board.Model, runs[0].Scenario.Name, runs[0].Scenario.Conns)
	}
	p := newPlot(fmt.Sprintf("%s across commits%s", figureLabel(figure), what), "commit", fmt.Sprintf("%s (%s)", figureLabel(figure), u.name))
	f := newFigure("history-"+fileSafe(figure), "Regression history: "+figure, [][]*plot.Plot{{p}})
	n := float64(len(commits))
	if len(base) > 0 {
		lo, up, med := slices.Min(base)/u.div, slices.Max(base)/u.div, median(base)/u.div
		band, err := plotter.NewPolygon(plotter.XYs{{X: -0.5, Y: lo}, {X: n - 0.5, Y: lo}, {X: n - 0.5, Y: up}, {X: -0.5, Y: up}})
		if err != nil {
			return nil, err
		}
		band.Color = colorAlpha(palette[5], 0x50)
		band.LineStyle.Width = 0
		ml, _ := plotter.NewLine(plotter.XYs{{X: -0.5, Y: med}, {X: n - 0.5, Y: med}})
		ml.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		p.Add(band, ml)
		f.addLegend(fmt.Sprintf("baseline range (n=%d)", len(base)), band)
		f.addLegend("baseline median", ml)
	}
	var line plotter.XYs
	var pts plotter.XYs
	var ticks plot.ConstantTicks
	for i, c := range commits {
		for _, v := range byCommit[c] {
			pts = append(pts, plotter.XY{X: float64(i), Y: v / u.div})
		}
		line = append(line, plotter.XY{X: float64(i), Y: median(byCommit[c]) / u.div})
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: shortCommit(c)})
	}
	l, err := plotter.NewLine(line)
	if err != nil {
		return nil, err
	}
	l.LineStyle = lineStyle(0)
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	sc.Color, sc.Radius, sc.Shape = colorAt(0), vg.Points(2.5), draw.CircleGlyph{}
	p.Add(l, sc)
	f.addLegend("median per commit", l)
	f.addLegend("run", sc)
	p.X.Min, p.X.Max = -0.5, n-0.5
	p.X.Tick.Marker = ticks
	if len(commits) > 6 {
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
	}
	p.Y.Min = 0
	p.Y.Max *= 1.05
	return f, nil
}

// shortCommit keeps git describe output readable: the tag and count, or the
// hash, at most 18 characters.
func shortCommit(c string) string {
	if len(c) <= 18 {
		return c
	}
	return c[:17] + "…"
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		}
		return '-'
	}, s)
}
