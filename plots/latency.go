package plots

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/wslab/wslab/results"
)

// ErrNoData is returned when none of the runs has what a figure needs.
var ErrNoData = errors.New("no data for this plot")

// nines is x = -log10(1-q): 1 at p90, 2 at p99, 3 at p99.9.
func nines(q float64) float64 { return -math.Log10(1 - q) }

var ninesTicks = plot.ConstantTicks{
	{Value: 0, Label: "0"},
	{Value: nines(0.5), Label: "50"},
	{Value: nines(0.75), Label: "75"},
	{Value: 1, Label: "90"},
	{Value: 2, Label: "99"},
	{Value: 3, Label: "99.9"},
	{Value: 4, Label: "99.99"},
	{Value: 5, Label: "99.999"},
	{Value: 6, Label: "99.9999"},
}

// LatencySpectrum plots the named histogram (results.HistLatency, say) of
// each run as latency against percentile, on an axis that gives each "nine"
// the same width. A line stops at the last percentile its sample count
// supports (about 1 - 1/count). The latency axis is logarithmic when the
// values span more than a factor of 20.
func LatencySpectrum(runs []*results.Run, hist string) (*Figure, error) {
	type line struct {
		label string
		xys   plotter.XYs
		idx   int
	}
	var lines []line
	lo, hi, maxX := math.Inf(1), 0.0, 0.0
	names := labels(runs)
	for i, r := range runs {
		h := r.Hist(hist)
		if h.Count() == 0 {
			continue
		}
		// Beyond 1 - 1/count there is no more information.
		top := math.Min(math.Log10(float64(h.Count())), 6)
		var xys plotter.XYs
		for x := 0.0; x <= top+1e-9; x += 0.02 {
			v := float64(h.Quantile(1 - math.Pow(10, -x)))
			xys = append(xys, plotter.XY{X: x, Y: v})
			lo, hi = math.Min(lo, math.Max(v, 1)), math.Max(hi, v)
		}
		maxX = math.Max(maxX, top)
		lines = append(lines, line{names[i], xys, i})
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("latency spectrum of %q: %w", hist, ErrNoData)
	}
	u := latencyUnit(hi)
	p := newPlot("Latency by percentile: "+histTitle(hist), "percentile (%)", "latency ("+u.name+")")
	f := newFigure("latency-spectrum", "Latency percentile spectrum", [][]*plot.Plot{{p}})
	for _, l := range lines {
		for k := range l.xys {
			l.xys[k].Y = math.Max(l.xys[k].Y, 1) / u.div
		}
		pl, err := plotter.NewLine(l.xys)
		if err != nil {
			return nil, err
		}
		pl.LineStyle = lineStyle(l.idx)
		p.Add(pl)
		f.addLegend(l.label, pl)
	}
	p.X.Min, p.X.Max = 0, math.Ceil(maxX*2)/2
	p.X.Tick.Marker = ninesTicks
	if hi/lo > 20 {
		setLogY(p, lo/u.div, hi/u.div)
	} else {
		p.Y.Min = 0
	}
	return f, nil
}

// LatencyOverTime plots the p50 (solid) and p99 (dashed) of the named
// histogram per interval of each run, against time since the run's start.
func LatencyOverTime(runs []*results.Run, hist string) (*Figure, error) {
	type series struct {
		p50, p99 plotter.XYs
		label    string
		idx      int
	}
	var all []series
	hi, maxT := 0.0, 0.0
	names := labels(runs)
	for i, r := range runs {
		var s series
		for _, iv := range r.Intervals {
			h := iv.Histograms[hist]
			if h.Count() == 0 {
				continue
			}
			t := (iv.Offset.D() + iv.Length.D()/2).Seconds()
			s.p50 = append(s.p50, plotter.XY{X: t, Y: float64(h.Quantile(0.5))})
			s.p99 = append(s.p99, plotter.XY{X: t, Y: float64(h.Quantile(0.99))})
			hi = math.Max(hi, float64(h.Quantile(0.99)))
			maxT = math.Max(maxT, (iv.Offset.D() + iv.Length.D()).Seconds())
		}
		if len(s.p50) >= 2 { // one point is not a series over time
			s.label, s.idx = names[i], i
			all = append(all, s)
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("latency over time of %q: %w", hist, ErrNoData)
	}
	lu, tu := latencyUnit(hi), timeUnit(maxT)
	p := newPlot("p50 and p99 per interval: "+histTitle(hist), "time since start ("+tu.name+")", "latency ("+lu.name+")")
	f := newFigure("latency-over-time", "Latency over time", [][]*plot.Plot{{p}})
	for _, s := range all {
		for k, pts := range []plotter.XYs{s.p50, s.p99} {
			for j := range pts {
				pts[j].X /= tu.div
				pts[j].Y /= lu.div
			}
			l, lp, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			l.LineStyle = lineStyle(s.idx)
			lp.Color = colorAt(s.idx)
			lp.Radius = vg.Points(2)
			name := s.label + " p50"
			if k == 1 {
				l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
				name = s.label + " p99"
			}
			p.Add(l, lp)
			f.addLegend(name, l, lp)
		}
	}
	p.X.Min, p.X.Max = 0, maxT/tu.div
	p.Y.Min = 0
	return f, nil
}
