//go:build linux

package calibrate

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	colMeasured = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colTwin     = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

// Plot draws the board against its twin: the echo rate and p50 as clients
// rise (left) and the one-client p50 across message sizes (right); the
// board solid with circles, the twin dashed with squares. A point the
// twin missed and that was measured again on both sides (Row.Again, of
// rows as Verify left them) is drawn a second time, hollow, at its second
// figures: the lines are the first probes', the verdict the second's. It
// writes dir/calibration.png and .svg and returns their paths.
func Plot(dir, title string, m, t *Measurements, rows []Row) ([]string, error) {
	if m == nil || t == nil || len(m.Rate) == 0 {
		return nil, fmt.Errorf("calibrate: nothing to plot")
	}
	rate := plot.New()
	rate.Title.Text = title + ": echo rate vs clients"
	rate.X.Label.Text, rate.Y.Label.Text = "clients", "msgs/s"
	size := plot.New()
	size.Title.Text = "one-client round trip vs size"
	size.X.Label.Text, size.Y.Label.Text = "message size (B)", "p50 (ms)"
	for _, p := range []*plot.Plot{rate, size} {
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = true, true
		p.Y.Min = 0
	}
	line := func(p *plot.Plot, xs, ys []float64, twin bool, name string) error {
		xy := make(plotter.XYs, 0, len(xs))
		for i := range xs {
			if ys[i] > 0 {
				xy = append(xy, plotter.XY{X: xs[i], Y: ys[i]})
			}
		}
		if len(xy) == 0 {
			return nil
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		col, shape := color.Color(colMeasured), draw.GlyphDrawer(draw.CircleGlyph{})
		if twin {
			col, shape = colTwin, draw.BoxGlyph{}
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		l.Color, s.Color, s.Shape = col, col, shape
		l.Width, s.Radius = vg.Points(1.5), vg.Points(3)
		p.Add(l, s)
		p.Legend.Add(name, l, s)
		return nil
	}
	for i, mm := range []*Measurements{m, t} {
		name := "board"
		if i == 1 {
			name = "twin"
		}
		var cx, cy, sx, sy []float64
		for _, p := range m.Rate {
			if p.Window > 1 {
				continue
			}
			cx = append(cx, float64(p.Clients))
			cy = append(cy, find(mm.Rate, p.Size, p.Clients).Msgs)
		}
		for _, p := range m.Echo {
			sx = append(sx, float64(p.Size))
			sy = append(sy, find(mm.Echo, p.Size, p.Clients).P50)
		}
		if err := line(rate, cx, cy, i == 1, name); err != nil {
			return nil, err
		}
		if err := line(size, sx, sy, i == 1, name); err != nil {
			return nil, err
		}
	}
	// The points measured again, each side's second figure.
	var again [2][2]plotter.XYs // [rate, size][board, twin]
	for _, r := range rows {
		k := r.key
		if r.Again <= 0 || k.window > 1 || r.Measured <= 0 || r.Twin <= 0 {
			continue
		}
		switch k.kind {
		case "rate":
			again[0][0] = append(again[0][0], plotter.XY{X: float64(k.clients), Y: r.Measured})
			again[0][1] = append(again[0][1], plotter.XY{X: float64(k.clients), Y: r.Twin})
		case "echo":
			again[1][0] = append(again[1][0], plotter.XY{X: float64(k.size), Y: r.Measured})
			again[1][1] = append(again[1][1], plotter.XY{X: float64(k.size), Y: r.Twin})
		}
	}
	for i, p := range []*plot.Plot{rate, size} {
		for j, xy := range again[i] {
			if len(xy) == 0 {
				continue
			}
			s, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			name, col, shape := "board, measured again", color.Color(colMeasured), draw.GlyphDrawer(draw.RingGlyph{})
			if j == 1 {
				name, col, shape = "twin, measured again", colTwin, draw.SquareGlyph{}
			}
			s.Color, s.Shape, s.Radius = col, shape, vg.Points(5)
			p.Add(s)
			p.Legend.Add(name, s)
		}
	}
	w, h := 24*vg.Centimeter, 11*vg.Centimeter
	var paths []string
	for _, format := range []string{"png", "svg"} {
		var cw interface {
			vg.CanvasWriterTo
		}
		if format == "png" {
			cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
		} else {
			cw = vgsvg.New(w, h)
		}
		dc := draw.New(cw)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
		rate.Draw(tiles.At(dc, 0, 0))
		size.Draw(tiles.At(dc, 1, 0))
		path := filepath.Join(dir, "calibration."+format)
		f, err := os.Create(path)
		if err != nil {
			return paths, err
		}
		_, err = cw.WriteTo(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
