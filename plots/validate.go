package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ValidationCurve is one board model's published and emulated figures
// against the number of clients (closed-loop echo).
type ValidationCurve struct {
	Model   string
	Clients []float64
	// Emulated and Published figures, one per client count.
	EmuRate, PubRate []float64 // msgs/s
	EmuP50, PubP50   []float64 // ms
	EmuP99, PubP99   []float64 // ms
}

// Validation draws emulated against published: msgs/s against clients on
// the left, p50 and p99 latency on the right; published dashed with
// squares, emulated solid with circles, one colour per model.
func Validation(curves []ValidationCurve) (*Figure, error) {
	if len(curves) == 0 {
		return nil, fmt.Errorf("validation: %w", ErrNoData)
	}
	rate := newPlot("Emulated against published", "clients", "throughput (msg/s)")
	lat := newPlot(" ", "clients", "latency (ms): p50 lower, p99 upper")
	f := newFigure("validation", "Emulated boards against published measurements", [][]*plot.Plot{{rate, lat}})
	for i, c := range curves {
		col := colorAt(i)
		add := func(p *plot.Plot, ys []float64, published bool) error {
			xy := make(plotter.XYs, len(c.Clients))
			for k := range c.Clients {
				xy[k].X, xy[k].Y = c.Clients[k], ys[k]
			}
			l, s, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			l.Color, s.Color = col, col
			l.Width = vg.Points(1.5)
			s.Radius = vg.Points(3)
			if published {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				s.Shape = draw.BoxGlyph{}
			} else {
				s.Shape = draw.CircleGlyph{}
			}
			p.Add(l, s)
			return nil
		}
		for _, a := range []struct {
			p         *plot.Plot
			ys        []float64
			published bool
		}{{rate, c.EmuRate, false}, {rate, c.PubRate, true}, {lat, c.EmuP50, false}, {lat, c.PubP50, true},
			{lat, c.EmuP99, false}, {lat, c.PubP99, true}} {
			if len(a.ys) != len(c.Clients) {
				return nil, fmt.Errorf("validation %s: %d values for %d client counts", c.Model, len(a.ys), len(c.Clients))
			}
			if err := add(a.p, a.ys, a.published); err != nil {
				return nil, err
			}
		}
		le, _ := plotter.NewLine(plotter.XYs{{}})
		le.Color, le.Width = col, vg.Points(1.5)
		f.addLegend(c.Model+" emulated", le)
		lp, _ := plotter.NewLine(plotter.XYs{{}})
		lp.Color, lp.Width, lp.Dashes = col, vg.Points(1.5), []vg.Length{vg.Points(4), vg.Points(3)}
		f.addLegend(c.Model+" published", lp)
	}
	rate.Y.Min, lat.Y.Min = 0, 0
	return f, nil
}
