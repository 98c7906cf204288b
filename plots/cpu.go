package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/wslab/wslab/results"
)

// CPUOverTime plots the board's CPU busy fraction for each run whose heap
// series carries the board's CPU (an emulated board's processor model, a
// foreign server's CPU time against its quota): each stretch between
// samples (results.Run.CPUBusySeries) as a step, in percent of the board's
// cores, against time since the run's start, with the board's crashes and
// reboots marked.
func CPUOverTime(runs []*results.Run) (*Figure, error) {
	var with []*results.Run
	var series [][]results.CPUStretch
	for _, r := range runs {
		if s, ok := r.CPUBusySeries(); ok {
			with, series = append(with, r), append(series, s)
		}
	}
	if len(with) == 0 {
		return nil, fmt.Errorf("cpu over time: %w", ErrNoData)
	}
	maxT := 0.0
	for i, r := range with {
		maxT = math.Max(maxT, series[i][len(series[i])-1].To.D().Seconds())
		for _, e := range r.BoardEvents {
			maxT = math.Max(maxT, e.Offset.D().Seconds())
		}
	}
	tu := timeUnit(maxT)
	p := newPlot("Board CPU busy", "time since start ("+tu.name+")", "CPU busy (% of the board's cores)")
	f := newFigure("cpu-over-time", "Board CPU over time", [][]*plot.Plot{{p}})
	names := labels(with)
	for i, r := range with {
		var xys plotter.XYs
		for _, c := range series[i] {
			y := float64(c.Permille) / 10
			xys = append(xys, plotter.XY{X: c.From.D().Seconds() / tu.div, Y: y}, plotter.XY{X: c.To.D().Seconds() / tu.div, Y: y})
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle = lineStyle(i)
		p.Add(l)
		f.addLegend(names[i], l)
		if err := markEvents(p, f, r, i, tu.div, 100); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = 0, maxT/tu.div
	p.Y.Min, p.Y.Max = 0, 105
	return f, nil
}
