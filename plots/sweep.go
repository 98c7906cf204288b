package plots

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/wslab/wslab/results"
)

// BufferSweep plots, against the receive buffer size (Board.RxBuf, on a
// logarithmic axis), three aligned panels: throughput, p99 latency and the
// board's RAM (its static footprint, never the host's heap), one line per
// board and value of every other field that varies (one line per tx
// value: never an average over them). The latency panel is left out when no run
// measured latency (a stream or sink sweep).
// Repeated runs at one size show their median. rec, when not nil, is the
// recommended configuration: a vertical line marks its buffer size in every
// panel, and the legend names it. The heap budget is drawn dotted in the
// RAM panel.
func BufferSweep(runs []*results.Run, rec *results.Run) (*Figure, error) {
	return SweepOn(runs, rec, AxisRx)
}

// SweepAxis is the configuration field a sweep varies.
type SweepAxis int

const (
	AxisRx    SweepAxis = iota // receive buffer per slot
	AxisTx                     // transmit buffer per slot
	AxisSlots                  // connection slots
)

func (a SweepAxis) of(b results.Board) int {
	switch a {
	case AxisTx:
		return b.TxBuf
	case AxisSlots:
		return b.Slots
	}
	return b.RxBuf
}

func (a SweepAxis) label() string {
	switch a {
	case AxisTx:
		return "transmit buffer per slot (bytes)"
	case AxisSlots:
		return "connection slots"
	}
	return "receive buffer per slot (bytes)"
}

// SweepOn is BufferSweep against the field axis instead of the receive
// buffer.
func SweepOn(runs []*results.Run, rec *results.Run, axis SweepAxis) (*Figure, error) {
	type agg struct{ tput, p99, static []float64 }
	data := map[string]map[int]*agg{}
	maxLat, maxRAM := 0.0, 0.0
	var budget int64
	line := lineName(runs, axis)
	for _, r := range runs {
		b := line(r.Board)
		if data[b] == nil {
			data[b] = map[int]*agg{}
		}
		a := data[b][axis.of(r.Board)]
		if a == nil {
			a = &agg{}
			data[b][axis.of(r.Board)] = a
		}
		s := r.Summary()
		a.tput = append(a.tput, s.MsgsPerSec)
		if s.HasLatency {
			a.p99 = append(a.p99, s.P99)
			maxLat = math.Max(maxLat, s.P99)
		}
		a.static = append(a.static, float64(s.RAM))
		maxRAM = math.Max(maxRAM, float64(s.RAM))
		budget = max(budget, r.Board.HeapBudget)
	}
	sizes := map[int]bool{}
	for _, m := range data {
		for s := range m {
			sizes[s] = true
		}
	}
	if len(sizes) < 2 {
		return nil, fmt.Errorf("sweep needs runs at two or more sizes: %w", ErrNoData)
	}
	maxRAM = math.Max(maxRAM, float64(budget))
	lu, bu := latencyUnit(maxLat), bytesUnit(maxRAM)
	xs := slices.Sorted(maps.Keys(sizes))

	top := newPlot("Buffer sweep", "", "throughput (msg/s)")
	mid := newPlot("", "", "p99 latency ("+lu.name+")")
	bot := newPlot("", axis.label(), "board RAM ("+bu.name+")")
	panels := []*plot.Plot{top, mid, bot}
	if maxLat == 0 {
		panels = []*plot.Plot{top, bot}
	}
	rows := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		rows[i] = []*plot.Plot{p}
	}
	f := newFigure("buffer-sweep", "Buffer sweep", rows)
	f.Height = 20 * vg.Centimeter
	var ticks plot.ConstantTicks
	for _, x := range xs {
		lbl := sizeLabel(x)
		if axis == AxisSlots {
			lbl = fmt.Sprint(x)
		}
		ticks = append(ticks, plot.Tick{Value: float64(x), Label: lbl})
	}
	for _, p := range panels {
		p.X.Min, p.X.Max = float64(xs[0])/1.25, float64(xs[len(xs)-1])*1.25
		if xs[0] > 0 { // buffer sizes grow by factors: space them evenly
			p.X.Scale = plot.LogScale{}
		}
		p.X.Tick.Marker = ticks
		p.Y.Min = 0
	}
	add := func(p *plot.Plot, xys plotter.XYs, sty draw.LineStyle, glyph draw.GlyphDrawer) (*plotter.Line, *plotter.Scatter, error) {
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, nil, err
		}
		l.LineStyle = sty
		s.Color, s.Radius, s.Shape = sty.Color, vg.Points(3), glyph
		p.Add(l, s)
		return l, s, nil
	}
	for i, b := range slices.Sorted(maps.Keys(data)) {
		var tput, p99, static plotter.XYs
		for _, x := range slices.Sorted(maps.Keys(data[b])) {
			a := data[b][x]
			tput = append(tput, plotter.XY{X: float64(x), Y: median(a.tput)})
			if len(a.p99) > 0 {
				p99 = append(p99, plotter.XY{X: float64(x), Y: median(a.p99) / lu.div})
			}
			static = append(static, plotter.XY{X: float64(x), Y: median(a.static) / bu.div})
		}
		sty := lineStyle(i)
		l, s, err := add(top, tput, sty, draw.CircleGlyph{})
		if err != nil {
			return nil, err
		}
		f.addLegend(b, l, s)
		if len(p99) > 0 {
			if _, _, err := add(mid, p99, sty, draw.CircleGlyph{}); err != nil {
				return nil, err
			}
		}
		l, s, err = add(bot, static, sty, draw.SquareGlyph{})
		if err != nil {
			return nil, err
		}
		f.addLegend(b+" RAM (static footprint)", l, s)
	}
	if budget > 0 {
		y := float64(budget) / bu.div
		bl, _ := plotter.NewLine(plotter.XYs{{X: bot.X.Min, Y: y}, {X: bot.X.Max, Y: y}})
		bl.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
		bot.Add(bl)
		f.addLegend("heap budget "+results.FormatValue(float64(budget), "bytes"), bl)
	}
	if rec != nil {
		x := float64(axis.of(rec.Board))
		var mark *plotter.Line
		for _, p := range panels {
			ymax := p.Y.Max
			if math.IsInf(ymax, 0) {
				continue
			}
			l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: ymax * 1.05}})
			l.LineStyle = draw.LineStyle{Color: recColor, Width: vg.Points(2.5)}
			l.LineStyle.Color = recColor
			p.Add(l)
			mark = l
		}
		if mark != nil {
			f.addLegend(fmt.Sprintf("recommended: %s rx, %s tx, %d slots",
				sizeLabel(rec.Board.RxBuf), sizeLabel(rec.Board.TxBuf), rec.Board.Slots), mark)
		}
	}
	return f, nil
}

// recColor marks the recommended configuration: a translucent green.
var recColor = colorAlpha(palette[2], 0x70)

// sizeLabel prints a byte size as 512, 4K, 16K, 1M.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprint(n)
}

// lineName names a sweep line: the model, and every configuration field
// off the x axis that takes several values at one x.
func lineName(runs []*results.Run, axis SweepAxis) func(results.Board) string {
	// A field splits lines when it takes two values at one x (a field that
	// moves with x, such as tx = rx, does not).
	vary := func(f func(results.Board) int) bool {
		at := map[string]int{}
		for _, r := range runs {
			k := fmt.Sprintf("%s %d", r.Board.Model, axis.of(r.Board))
			if v, ok := at[k]; ok && v != f(r.Board) {
				return true
			}
			at[k] = f(r.Board)
		}
		return false
	}
	rx := axis != AxisRx && vary(func(b results.Board) int { return b.RxBuf })
	tx := axis != AxisTx && vary(func(b results.Board) int { return b.TxBuf })
	slots := axis != AxisSlots && vary(func(b results.Board) int { return b.Slots })
	return func(b results.Board) string {
		name := b.Model
		if rx {
			name += " rx " + sizeLabel(b.RxBuf)
		}
		if tx {
			name += " tx " + sizeLabel(b.TxBuf)
		}
		if slots {
			name += fmt.Sprintf(" %d slots", b.Slots)
		}
		return name
	}
}
