package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/wslab/wslab/results"
)

// Default figure size; PNGs are rendered at DPI dots per inch.
const (
	Width  = 20 * vg.Centimeter
	Height = 12 * vg.Centimeter
	DPI    = 110
)

// Figure is a drawing of one or more aligned plots, with a legend column on
// the right when it has legend entries.
type Figure struct {
	// Name is the file base name, e.g. "latency-spectrum".
	Name string
	// Title is a human title, for the report.
	Title         string
	Width, Height vg.Length
	// Board and Scenario name the run a field scenario's figure draws
	// (FieldFigure), so the report shows it beside the run's answer;
	// empty for the other figures.
	Board, Scenario string

	rows    [][]*plot.Plot
	legend  plot.Legend
	entries int
}

func newFigure(name, title string, rows [][]*plot.Plot) *Figure {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = vg.Points(3)
	l.ThumbnailWidth = vg.Points(24)
	return &Figure{Name: name, Title: title, Width: Width, Height: Height, rows: rows, legend: l}
}

func (f *Figure) addLegend(name string, thumbs ...plot.Thumbnailer) {
	f.legend.Add(name, thumbs...)
	f.entries++
}

// Draw draws the figure on c.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	plotArea := c
	if f.entries > 0 {
		w := f.legend.Rectangle(c).Size().X + vg.Points(12)
		plotArea.Max.X -= w
		lc := c
		lc.Min.X = plotArea.Max.X + vg.Points(6)
		lc.Max.Y -= vg.Points(30) // below the title line
		f.legend.Draw(lc)
	}
	tiles := draw.Tiles{
		Rows: len(f.rows), Cols: len(f.rows[0]),
		PadTop: vg.Points(6), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(6),
		PadX: vg.Points(14), PadY: vg.Points(10),
	}
	canvases := plot.Align(f.rows, tiles, plotArea)
	for i, row := range f.rows {
		for j, p := range row {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

// WriteTo writes the figure in format "png" or "svg".
func (f *Figure) WriteTo(w io.Writer, format string) error {
	var cw vg.CanvasWriterTo
	switch format {
	case "png":
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI))}
	case "svg":
		cw = vgsvg.New(f.Width, f.Height)
	default:
		return fmt.Errorf("plots: unsupported format %q (want png or svg)", format)
	}
	f.Draw(draw.New(cw))
	_, err := cw.WriteTo(w)
	return err
}

// Save writes dir/NAME.png and dir/NAME.svg and returns their paths.
func (f *Figure) Save(dir string) ([]string, error) {
	var paths []string
	for _, format := range []string{"png", "svg"} {
		var buf bytes.Buffer
		if err := f.WriteTo(&buf, format); err != nil {
			return paths, fmt.Errorf("plot %s: %w", f.Name, err)
		}
		p := filepath.Join(dir, f.Name+"."+format)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// palette is Okabe and Ito's colour-blind-safe set (without yellow, which
// is unreadable on white), then darker shades.
var palette = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // bluish green
	color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	color.RGBA{0x33, 0x33, 0x33, 0xff}, // near black
	color.RGBA{0x8C, 0x56, 0x3C, 0xff}, // brown
}

func colorAt(i int) color.Color { return palette[i%len(palette)] }

// dashesAt varies the dash pattern once the colours run out, so that lines
// stay distinguishable.
func dashesAt(i int) []vg.Length {
	switch (i / len(palette)) % 3 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	}
	return nil
}

// newPlot returns a plot with the house style: title, axis labels, grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(9.5)
	p.Y.Tick.Label.Font.Size = vg.Points(9.5)
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{0xdd}
	g.Horizontal.Color = color.Gray{0xdd}
	p.Add(g)
	return p
}

func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: colorAt(i), Width: vg.Points(1.6), Dashes: dashesAt(i)}
}

// niceTicks labels about five values with short numbers (1k, 2.5M).
type niceTicks struct{}

func (niceTicks) Ticks(min, max float64) []plot.Tick {
	if max <= min {
		return []plot.Tick{{Value: min, Label: short(min)}}
	}
	step := niceStep((max - min) / 6)
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: short(v)})
		if minor := v + step/2; minor < max {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}

func niceStep(raw float64) float64 {
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// short formats v compactly: 950, 1.5k, 12k, 3M.
func short(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e4:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// logTicks labels a log axis at 1, 2 and 5 per decade when it spans up to
// three decades, else at powers of ten, with unlabelled minor ticks.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	labelled := []int{1, 2, 5}
	if max/min > 1000 {
		labelled = []int{1}
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow10(int(e))
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if slices.Contains(labelled, m) {
				t.Label = short(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// setLogY makes the Y axis logarithmic over [lo, hi] (both > 0), widened
// a little so lines do not sit on the frame.
func setLogY(p *plot.Plot, lo, hi float64) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Y.Min, p.Y.Max = lo/1.15, hi*1.15
}

// unit scales a quantity for display.
type unit struct {
	name string
	div  float64
}

// latencyUnit picks µs, ms or s for latencies up to maxUS microseconds.
func latencyUnit(maxUS float64) unit {
	switch {
	case maxUS >= 10e6:
		return unit{"s", 1e6}
	case maxUS >= 2000:
		return unit{"ms", 1e3}
	}
	return unit{"µs", 1}
}

// bytesUnit picks bytes, KiB or MiB.
func bytesUnit(max float64) unit {
	switch {
	case max >= 4<<20:
		return unit{"MiB", 1 << 20}
	case max >= 4<<10:
		return unit{"KiB", 1 << 10}
	}
	return unit{"bytes", 1}
}

// timeUnit picks seconds, minutes or hours for an axis up to maxSec.
func timeUnit(maxSec float64) unit {
	switch {
	case maxSec >= 3*3600:
		return unit{"h", 3600}
	case maxSec >= 300:
		return unit{"min", 60}
	}
	return unit{"s", 1}
}

// labels names runs for legends: Run.Label, made unique by the commit or,
// failing that, the ID's random suffix.
func labels(runs []*results.Run) []string {
	out := make([]string, len(runs))
	count := map[string]int{}
	for i, r := range runs {
		out[i] = r.Label()
		count[out[i]]++
	}
	// Runs of one label on different configurations: name the configuration.
	confs := map[string]map[string]bool{}
	conf := func(b results.Board) string {
		return fmt.Sprintf("%d slots rx %s tx %s", b.Slots, sizeLabel(b.RxBuf), sizeLabel(b.TxBuf))
	}
	for _, r := range runs {
		if confs[r.Label()] == nil {
			confs[r.Label()] = map[string]bool{}
		}
		confs[r.Label()][conf(r.Board)] = true
	}
	for i, r := range runs {
		if len(confs[r.Label()]) > 1 {
			out[i] += " (" + conf(r.Board) + ")"
		}
	}
	count = map[string]int{}
	for _, l := range out {
		count[l]++
	}
	for i, r := range runs {
		if count[out[i]] < 2 {
			continue
		}
		commits := map[string]bool{}
		for _, o := range runs {
			if o.Label() == r.Label() && conf(o.Board) == conf(r.Board) {
				commits[o.Host.Commit] = true
			}
		}
		if len(commits) == count[out[i]] {
			out[i] += " @" + r.Host.Commit
		} else {
			out[i] += " #" + r.ID[max(0, len(r.ID)-6):]
		}
	}
	return out
}

// histTitle describes a histogram name for titles.
func histTitle(name string) string {
	switch name {
	case results.HistLatency:
		return "latency from intended send time"
	case results.HistService:
		return "service time from actual send"
	case results.HistHandshake:
		return "handshake time"
	}
	return name
}

// figureLabel names a results figure for axes and titles.
func figureLabel(name string) string {
	switch name {
	case "msgs/s":
		return "throughput"
	case "up MB/s":
		return "payload rate up (to the board)"
	case "down MB/s":
		return "payload rate down (from the board)"
	case "ram":
		return "board RAM in use"
	case "p50", "p99", "p999":
		return name + " latency"
	}
	return name
}

// colorAlpha returns c with alpha a (premultiplied).
func colorAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	k := uint32(a)
	return color.RGBA{uint8(r >> 8 * k / 255), uint8(g >> 8 * k / 255), uint8(b >> 8 * k / 255), a}
}
