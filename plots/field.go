package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wslab/wslab/results"
)

// The field scenarios answer in a sentence; where a picture says more, the
// run's parameters carry the data for it, written by the load generator:
//
//   - ladder: "rungs" (size:echo µs:ok or how it failed, "|"-separated)
//     and "first_failing";
//   - nodrop: "steps" (offered:delivered:p99 µs:verdict:length, spaces);
//   - reconnect-storm: "back_ms" (when each client was back) and "clients";
//   - reload: "storm_ms" (FROM-TO on the heap series' axis) and the heap
//     series' slots in use;
//   - browser: "pages" (browser:ms:ok|waited|failed per user, "|").

// FieldScenarios are the field scenarios FieldFigure draws.
var FieldScenarios = []string{"ladder", "nodrop", "reconnect-storm", "reload", "browser"}

// FieldFigure draws a field scenario's run: the ladder's echo time against
// message size with the first failing size marked, nodrop's delivered
// against offered rate with the knee marked, reconnect-storm's clients back
// over time, reload's slots in use over time, browser's page time per user.
// A run without the data, or with a single point of it, is ErrNoData.
func FieldFigure(r *results.Run) (*Figure, error) {
	var f *Figure
	var err error
	switch r.Scenario.Name {
	case "ladder":
		f, err = ladderFigure(r)
	case "nodrop":
		f, err = noDropFigure(r)
	case "reconnect-storm":
		f, err = reconnectFigure(r)
	case "reload":
		f, err = reloadFigure(r)
	case "browser":
		f, err = browserFigure(r)
	default:
		err = ErrNoData
	}
	if err != nil {
		return nil, fmt.Errorf("%s figure: %w", r.Scenario.Name, err)
	}
	return f, nil
}

// fieldFigure is a one-plot figure named for the run's scenario and board.
func fieldFigure(r *results.Run, title, xlabel, ylabel string) (*Figure, *plot.Plot) {
	title = title + ": " + r.Board.Model
	p := newPlot(title, xlabel, ylabel)
	f := newFigure(fileSafe(r.Scenario.Name+"-"+r.Board.Model), title, [][]*plot.Plot{{p}})
	f.Board, f.Scenario = r.Board.Model, r.Scenario.Name
	return f, p
}

func vline(x, lo, hi float64, c color.Color, dashes []vg.Length) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
	l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.3), Dashes: dashes}
	return l
}

func scatter(xys plotter.XYs, c color.Color, g draw.GlyphDrawer) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: g}
	return s, nil
}

var dotted = []vg.Length{vg.Points(3), vg.Points(3)}

type rung struct {
	size int
	us   float64 // echo time, -1: none
	how  string  // "ok" or how it failed
}

func parseRungs(s string) []rung {
	var out []rung
	for _, e := range strings.Split(s, "|") {
		f := strings.SplitN(e, ":", 3)
		if len(f) != 3 {
			continue
		}
		n, err1 := strconv.Atoi(f[0])
		us, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || n <= 0 {
			continue
		}
		out = append(out, rung{n, us, f[2]})
	}
	return out
}

func ladderFigure(r *results.Run) (*Figure, error) {
	rungs := parseRungs(r.Scenario.Params["rungs"])
	if len(rungs) < 2 {
		return nil, ErrNoData
	}
	var ok, bad plotter.XYs
	hi, maxN := 0.0, 0
	for _, g := range rungs {
		hi = math.Max(hi, g.us)
		maxN = max(maxN, g.size)
	}
	lu := latencyUnit(hi)
	top := math.Max(hi/lu.div, 1e-3) * 1.15
	var failHow []string
	for _, g := range rungs {
		switch {
		case g.how == "ok" && g.us >= 0:
			ok = append(ok, plotter.XY{X: float64(g.size), Y: g.us / lu.div})
		case g.how != "ok":
			bad = append(bad, plotter.XY{X: float64(g.size), Y: top})
			failHow = append(failHow, g.how)
		}
	}
	f, p := fieldFigure(r, "Message-size ladder", "message size (bytes)", "echo time, whole frame ("+lu.name+")")
	if len(ok) > 0 {
		s, err := scatter(ok, colorAt(0), draw.CircleGlyph{})
		if err != nil {
			return nil, err
		}
		p.Add(s)
		f.addLegend("echoed (every split)", s)
	}
	if len(bad) > 0 {
		s, err := scatter(bad, colorAt(1), draw.CrossGlyph{})
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Radius = vg.Points(4)
		p.Add(s)
		f.addLegend("failed: "+failHow[0], s)
	}
	if first, err := strconv.Atoi(r.Scenario.Params["first_failing"]); err == nil && first > 0 {
		l := vline(float64(first), 0, top, colorAt(1), dotted)
		p.Add(l)
		f.addLegend(fmt.Sprintf("first failing size %d B", first), l)
	}
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	p.X.Min, p.X.Max = float64(rungs[0].size)/1.3, float64(maxN)*1.3
	for _, g := range rungs {
		p.X.Min = math.Min(p.X.Min, float64(g.size)/1.3)
	}
	p.Y.Min, p.Y.Max = 0, top*1.05
	return f, nil
}

type rateStep struct {
	offered, delivered, p99us float64
	verdict                   string
}

func parseSteps(s string) []rateStep {
	var out []rateStep
	for _, e := range strings.Fields(s) {
		f := strings.Split(e, ":")
		if len(f) < 4 {
			continue
		}
		o, err1 := strconv.ParseFloat(f[0], 64)
		d, err2 := strconv.ParseFloat(f[1], 64)
		q, err3 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || err3 != nil || o <= 0 {
			continue
		}
		out = append(out, rateStep{o, d, q, f[3]})
	}
	return out
}

func noDropFigure(r *results.Run) (*Figure, error) {
	steps := parseSteps(r.Scenario.Params["steps"])
	if len(steps) < 2 {
		return nil, ErrNoData
	}
	slices.SortStableFunc(steps, func(a, b rateStep) int { return cmpFloat(a.offered, b.offered) })
	lo, hi := math.Inf(1), 0.0
	groups := map[string]plotter.XYs{}
	knee := 0.0
	for _, s := range steps {
		lo, hi = math.Min(lo, s.offered), math.Max(hi, math.Max(s.offered, s.delivered))
		groups[s.verdict] = append(groups[s.verdict], plotter.XY{X: s.offered, Y: math.Max(s.delivered, lo/2)})
		if s.verdict == "kept" {
			knee = math.Max(knee, s.offered)
		}
	}
	f, p := fieldFigure(r, "Highest rate without drops", "offered rate (messages/s)", "delivered rate (messages/s)")
	// Delivered = offered: what a board that keeps up gives.
	ref, err := plotter.NewLine(plotter.XYs{{X: lo / 1.3, Y: lo / 1.3}, {X: hi * 1.3, Y: hi * 1.3}})
	if err != nil {
		return nil, err
	}
	ref.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1), Dashes: dotted}
	p.Add(ref)
	f.addLegend("delivered = offered", ref)
	for i, v := range []struct{ key, name string }{{"kept", "kept (no drop, p99 in bound)"}, {"drops", "drops"}, {"latency", "p99 over the bound"}} {
		xys := groups[v.key]
		if len(xys) == 0 {
			continue
		}
		glyph := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.CrossGlyph{}, draw.TriangleGlyph{}}[i]
		s, err := scatter(xys, colorAt(i), glyph)
		if err != nil {
			return nil, err
		}
		p.Add(s)
		f.addLegend(v.name, s)
	}
	if knee > 0 {
		l := vline(knee, lo/1.3, hi*1.3, colorAt(2), dotted)
		p.Add(l)
		f.addLegend(fmt.Sprintf("highest kept: %s msgs/s", short(knee)), l)
	}
	if hi/lo > 20 {
		for _, a := range []*plot.Axis{&p.X, &p.Y} {
			a.Scale = plot.LogScale{}
			a.Tick.Marker = logTicks{}
		}
	}
	p.X.Min, p.X.Max = lo/1.3, hi*1.3
	p.Y.Min, p.Y.Max = lo/1.3, hi*1.3
	return f, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func reconnectFigure(r *results.Run) (*Figure, error) {
	var back []float64
	for _, v := range strings.Split(r.Scenario.Params["back_ms"], ",") {
		if ms, err := strconv.ParseFloat(v, 64); err == nil {
			back = append(back, ms/1000)
		}
	}
	if len(back) < 2 {
		return nil, ErrNoData
	}
	slices.Sort(back)
	clients, _ := strconv.Atoi(r.Scenario.Params["clients"])
	clients = max(clients, len(back))
	end := math.Max(back[len(back)-1], r.Scenario.Duration.D().Seconds())
	tu := timeUnit(end)
	f, p := fieldFigure(r, "Reconnect storm", "time since the drop ("+tu.name+")", "clients back")
	xys := plotter.XYs{{X: 0, Y: 0}}
	for i, b := range back {
		xys = append(xys, plotter.XY{X: b / tu.div, Y: float64(i)}, plotter.XY{X: b / tu.div, Y: float64(i + 1)})
	}
	xys = append(xys, plotter.XY{X: end / tu.div, Y: float64(len(back))})
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.LineStyle = lineStyle(0)
	p.Add(l)
	name := "clients back"
	if b := r.Scenario.Params["backoff"]; b != "" {
		name += " (" + b + " backoff)"
	}
	f.addLegend(name, l)
	all, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: float64(clients)}, {X: end / tu.div, Y: float64(clients)}})
	all.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1), Dashes: dotted}
	p.Add(all)
	f.addLegend(fmt.Sprintf("all %d clients", clients), all)
	p.X.Min, p.X.Max = 0, end/tu.div
	p.Y.Min, p.Y.Max = 0, float64(clients)*1.1
	return f, nil
}

func reloadFigure(r *results.Run) (*Figure, error) {
	var xys plotter.XYs
	maxT, hiSlots := 0.0, 0.0
	for _, h := range r.Heap {
		t := h.Offset.D().Seconds()
		xys = append(xys, plotter.XY{X: t, Y: float64(h.SlotsInUse)})
		maxT, hiSlots = math.Max(maxT, t), math.Max(hiSlots, float64(h.SlotsInUse))
	}
	if len(xys) < 2 {
		return nil, ErrNoData
	}
	var from, to float64 = -1, -1
	if a, b, ok := strings.Cut(r.Scenario.Params["storm_ms"], "-"); ok {
		fa, e1 := strconv.ParseFloat(a, 64)
		fb, e2 := strconv.ParseFloat(b, 64)
		if e1 == nil && e2 == nil && fb >= fa {
			from, to = fa/1000, fb/1000
			maxT = math.Max(maxT, to)
		}
	}
	top := math.Max(hiSlots, float64(r.Board.Slots)) * 1.15
	top = math.Max(top, 1)
	tu := timeUnit(maxT)
	f, p := fieldFigure(r, "Reload storm", "time since start ("+tu.name+")", "board slots in use")
	if from >= 0 {
		band, err := plotter.NewPolygon(plotter.XYs{{X: from / tu.div, Y: 0}, {X: to / tu.div, Y: 0}, {X: to / tu.div, Y: top}, {X: from / tu.div, Y: top}})
		if err != nil {
			return nil, err
		}
		band.Color = colorAlpha(colorAt(4), 40)
		band.LineStyle.Width = 0
		p.Add(band)
		rate := r.Scenario.Rate
		name := "the storm"
		if rate > 0 {
			name = fmt.Sprintf("the storm (%s reloads/s)", short(rate))
		}
		f.addLegend(name, band)
	}
	for i := range xys {
		xys[i].X /= tu.div
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.LineStyle = lineStyle(0)
	p.Add(l)
	f.addLegend("slots in use", l)
	if n := r.Board.Slots; n > 0 {
		sl, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: float64(n)}, {X: maxT / tu.div, Y: float64(n)}})
		sl.LineStyle = draw.LineStyle{Color: colorAt(1), Width: vg.Points(1), Dashes: dotted}
		p.Add(sl)
		f.addLegend(fmt.Sprintf("the board's %d slots", n), sl)
	}
	p.X.Min, p.X.Max = 0, maxT/tu.div
	p.Y.Min, p.Y.Max = 0, top
	return f, nil
}

type pageResult struct {
	browser string
	sec     float64
	result  string
}

func browserFigure(r *results.Run) (*Figure, error) {
	var pages []pageResult
	for _, e := range strings.Split(r.Scenario.Params["pages"], "|") {
		f := strings.Split(e, ":")
		if len(f) != 3 {
			continue
		}
		ms, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		pages = append(pages, pageResult{f[0], ms / 1000, f[2]})
	}
	if len(pages) < 2 {
		return nil, ErrNoData
	}
	hi := 1.0 // the "at once" line
	for _, pg := range pages {
		hi = math.Max(hi, pg.sec)
	}
	f, p := fieldFigure(r, "Page loads, one user after another", "user (in the order they came)", "time to open the page (s)")
	legend := map[string]bool{}
	var labels plotter.XYLabels
	for i, pg := range pages {
		x := float64(i + 1)
		c := colorAt(0)
		if pg.browser == "Firefox" {
			c = colorAt(1)
		}
		bar, err := plotter.NewPolygon(plotter.XYs{{X: x - 0.35, Y: 0}, {X: x + 0.35, Y: 0}, {X: x + 0.35, Y: pg.sec}, {X: x - 0.35, Y: pg.sec}})
		if err != nil {
			return nil, err
		}
		bar.Color = c
		bar.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1)}
		if pg.result == "failed" {
			bar.Color = colorAlpha(c, 60) // a pale bar: the time it tried
		}
		p.Add(bar)
		if !legend[pg.browser] {
			legend[pg.browser] = true
			thumb, _ := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}})
			thumb.Color, thumb.LineStyle = c, draw.LineStyle{Color: c, Width: vg.Points(1)}
			f.addLegend(pg.browser, thumb) // in full colour, whatever its first bar
		}
		if pg.result != "ok" {
			labels.XYs = append(labels.XYs, plotter.XY{X: x - 0.3, Y: pg.sec + hi*0.03})
			labels.Labels = append(labels.Labels, fmt.Sprintf("%s (%.1f s)", pg.result, pg.sec))
		}
	}
	if len(labels.XYs) > 0 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, err
		}
		p.Add(lb)
	}
	once, _ := plotter.NewLine(plotter.XYs{{X: 0.5, Y: 1}, {X: float64(len(pages)) + 0.5, Y: 1}})
	once.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1), Dashes: dotted}
	p.Add(once)
	f.addLegend("1 s: \"at once\"", once)
	p.X.Min, p.X.Max = 0.5, float64(len(pages))+0.5
	p.X.Tick.Marker = userTicks(len(pages))
	p.Y.Min, p.Y.Max = 0, hi*1.15
	return f, nil
}

// userTicks labels the users 1..n.
type userTicks int

func (n userTicks) Ticks(_, _ float64) []plot.Tick {
	step := max(1, int(n)/10)
	var t []plot.Tick
	for i := 1; i <= int(n); i += step {
		t = append(t, plot.Tick{Value: float64(i), Label: strconv.Itoa(i)})
	}
	return t
}
