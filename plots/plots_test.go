package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/cmpimg"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// The fixtures below are synthetic runs from fixed seeds: the same every time.

func spectrumRuns() []*results.Run {
	return []*results.Run{
		resultstest.Run(resultstest.Spec{Seed: 1, Board: "esp32-idf", LatencyMedian: 2000, LatencySigma: 0.5}),
		resultstest.Run(resultstest.Spec{Seed: 2, Board: "pico-w-tinygo", LatencyMedian: 7000, LatencySigma: 0.8, Samples: 50000}),
		resultstest.Run(resultstest.Spec{Seed: 3, Board: "stm32-eth", LatencyMedian: 600, LatencySigma: 0.3, Samples: 3000}),
	}
}

func scalingRuns() []*results.Run {
	var runs []*results.Run
	for bi, b := range []string{"esp32-idf", "pico-w-tinygo"} {
		peak := []float64{4200, 1800}[bi]
		for _, c := range []int{1, 2, 4, 8, 16, 32, 64} {
			for rep := range 2 {
				tput := peak * (1 - math.Exp(-float64(c)/6)) * (1 + 0.04*float64(rep))
				runs = append(runs, resultstest.Run(resultstest.Spec{
					Seed: uint64(1000*bi + 10*c + rep), Board: b, Conns: c, MsgsPerSec: tput, Samples: 500,
				}))
			}
		}
	}
	return runs
}

func heapRuns() []*results.Run {
	return []*results.Run{
		resultstest.Run(resultstest.Spec{Seed: 4, Board: "esp32-idf", Duration: 10 * time.Minute, Samples: 500}),
		resultstest.Run(resultstest.Spec{Seed: 5, Board: "esp8266", Conns: 4, RxBuf: 1024, Duration: 10 * time.Minute,
			HeapLeak: 60000, Samples: 500}),
	}
}

func sweepRuns() ([]*results.Run, *results.Run) {
	var runs []*results.Run
	var rec *results.Run
	for i, rx := range []int{512, 1024, 2048, 4096, 8192, 16384} {
		r := resultstest.Run(resultstest.Spec{
			Seed: uint64(200 + i), Board: "esp32-idf", Conns: 8, Slots: 8, RxBuf: rx, Samples: 4000,
			MsgsPerSec:    3000 * (1 - math.Exp(-float64(rx)/1500)),
			LatencyMedian: 1500 + 6e6/float64(rx),
		})
		runs = append(runs, r)
		if rx == 4096 {
			rec = r
		}
	}
	return runs, rec
}

func boardRuns() []*results.Run {
	var runs []*results.Run
	for bi, b := range []string{"esp32-idf", "pico-w-tinygo", "stm32-eth"} {
		for si, sc := range []string{"echo", "rate", "stream"} {
			errs := map[string]int64{}
			if b == "pico-w-tinygo" && sc == "rate" {
				errs["timeout"] = 37
			}
			runs = append(runs, resultstest.Run(resultstest.Spec{
				Seed: uint64(300 + 10*bi + si), Board: b, Scenario: sc, Conns: 10 * (si + 1), Samples: 2000,
				MsgsPerSec:    []float64{2500, 900, 6000}[bi] * []float64{1, 0.8, 1.5}[si],
				LatencyMedian: []float64{2000, 9000, 700}[bi], Errors: errs,
				RxBuf: []int{4096, 2048, 8192}[bi], HeapLeak: []float64{0, 0, 0}[bi],
			}))
		}
	}
	return runs
}

func historyRuns() (runs, baseline []*results.Run) {
	for ci := range 9 {
		commit := fmt.Sprintf("v0.3.0-%d-g%07x", ci, 0xabc123+ci*4097)
		tput := 2000.0
		if ci >= 6 {
			tput = 1700
		}
		for rep := range 3 {
			r := resultstest.Run(resultstest.Spec{
				Seed: uint64(400 + 10*ci + rep), Commit: commit, Samples: 200,
				MsgsPerSec: tput * (1 + 0.03*float64(rep-1)),
				Start:      resultstest.Epoch.Add(time.Duration(ci*3+rep) * time.Hour),
			})
			runs = append(runs, r)
			if ci == 0 {
				baseline = append(baseline, r)
			}
		}
	}
	return runs, baseline
}

func goldenCases() map[string]func() (*Figure, error) {
	return map[string]func() (*Figure, error){
		"latency-spectrum": func() (*Figure, error) { return LatencySpectrum(spectrumRuns(), results.HistLatency) },
		"latency-over-time": func() (*Figure, error) {
			return LatencyOverTime(spectrumRuns()[:2], results.HistLatency)
		},
		"throughput-vs-conns": func() (*Figure, error) { return ThroughputVsConns(scalingRuns()) },
		"heap-over-time":      func() (*Figure, error) { return HeapOverTime(heapRuns()) },
		"cpu-over-time":       func() (*Figure, error) { return CPUOverTime(cpuRuns()) },
		"buffer-sweep":        func() (*Figure, error) { return BufferSweep(sweepRuns()) },
		"board-comparison":    func() (*Figure, error) { return BoardComparison(boardRuns()) },
		"history-msgs-s": func() (*Figure, error) {
			runs, base := historyRuns()
			return RegressionHistory(runs, "msgs/s", base)
		},
	}
}

// TestGolden renders every figure from fixed synthetic runs and compares
// the PNG with testdata/NAME.png. Run `go test ./plots -update` to rewrite
// the golden images after a deliberate change, and look at them.
func TestGolden(t *testing.T) {
	for name, mk := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			f, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != name {
				t.Errorf("figure named %q, want %q", f.Name, name)
			}
			var got bytes.Buffer
			if err := f.WriteTo(&got, "png"); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".png")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./plots -update to create it)", err)
			}
			ok, err := cmpimg.EqualApprox("png", got.Bytes(), want, 0.01)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				out := filepath.Join(t.TempDir(), name+".png")
				os.WriteFile(out, got.Bytes(), 0o644)
				t.Errorf("%s differs from %s; the new image is %s", name, golden, out)
			}
		})
	}
}

// Rendering twice gives the same bytes, so the golden test is meaningful.
func TestDeterministic(t *testing.T) {
	render := func() []byte {
		f, err := LatencySpectrum(spectrumRuns(), results.HistLatency)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		f.WriteTo(&b, "png")
		return b.Bytes()
	}
	if !bytes.Equal(render(), render()) {
		t.Fatal("the same runs rendered to different PNGs")
	}
}

func TestSaveWritesPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	f, err := HeapOverTime(heapRuns())
	if err != nil {
		t.Fatal(err)
	}
	paths, err := f.Save(dir)
	if err != nil || len(paths) != 2 {
		t.Fatalf("Save = %v, %v", paths, err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "heap-over-time.svg"))
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Error("no <svg> element")
	}
	png, _ := os.ReadFile(filepath.Join(dir, "heap-over-time.png"))
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Error("PNG file lacks the PNG signature")
	}
	if err := f.WriteTo(io.Discard, "gif"); err == nil {
		t.Error("unsupported format accepted")
	}
}

func TestNoData(t *testing.T) {
	empty := []*results.Run{{Schema: 1, ID: "x"}}
	for name, f := range map[string]func() (*Figure, error){
		"spectrum":   func() (*Figure, error) { return LatencySpectrum(empty, results.HistLatency) },
		"overtime":   func() (*Figure, error) { return LatencyOverTime(empty, results.HistLatency) },
		"scaling":    func() (*Figure, error) { return ThroughputVsConns(empty) },
		"heap":       func() (*Figure, error) { return HeapOverTime(empty) },
		"cpu":        func() (*Figure, error) { return CPUOverTime(empty) },
		"sweep":      func() (*Figure, error) { return BufferSweep(spectrumRuns(), nil) }, // one buffer size
		"history":    func() (*Figure, error) { return RegressionHistory(empty, "p99", nil) },
		"comparison": func() (*Figure, error) { return BoardComparison(nil) },
	} {
		if _, err := f(); !errors.Is(err, ErrNoData) {
			t.Errorf("%s: got %v, want ErrNoData", name, err)
		}
	}
	if _, err := RegressionHistory(spectrumRuns(), "bogus", nil); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown figure: %v", err)
	}
}

func TestLabelsAreUnique(t *testing.T) {
	a := resultstest.Run(resultstest.Spec{Seed: 1, Samples: 10, Commit: "v1"})
	b := resultstest.Run(resultstest.Spec{Seed: 2, Samples: 10, Commit: "v2"})
	c := resultstest.Run(resultstest.Spec{Seed: 3, Samples: 10, Commit: "v2"})
	got := labels([]*results.Run{a, b})
	if got[0] == got[1] || !strings.HasSuffix(got[1], "@v2") {
		t.Errorf("labels by commit: %q", got)
	}
	got = labels([]*results.Run{a, b, c})
	if got[1] == got[2] {
		t.Errorf("labels not unique: %q", got)
	}
}

// A run whose board reports its own RAM is drawn with it, not with the
// process heap; a run without is labelled as the process heap.
func TestHeapOverTimeDrawsBoardRAM(t *testing.T) {
	runs := heapRuns()
	for i := range runs[0].Heap {
		runs[0].Heap[i].RAMInUse = 100 << 10
	}
	svgOf := func(runs []*results.Run) string {
		f, err := HeapOverTime(runs)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.WriteTo(&b, "svg"); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	mixed := svgOf(runs)
	if !strings.Contains(mixed, "(process heap)") {
		t.Error("a run without board RAM is not labelled as the process heap")
	}
	only := svgOf(runs[:1])
	if !strings.Contains(only, "Board RAM in use") || strings.Contains(only, "(process heap)") {
		t.Error("a board reporting RAM is not drawn as the board's RAM")
	}
}

// A run that opened no connection (a board that refused every page load)
// is no point on the connections axis: with it, the log axis the spread
// of 1..64 asks for started at 0 and drawing the figure never ended.
func TestThroughputVsConnsSkipsNothingOpened(t *testing.T) {
	runs := scalingRuns()
	none := resultstest.Run(resultstest.Spec{Seed: 7, Board: "esp32-idf", Conns: 3, MsgsPerSec: 0, Samples: 10})
	none.Counts.ConnsOpened, none.Counts.ConnsAttempted = 0, 3
	f, err := ThroughputVsConns(append(runs, none))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := f.Save(t.TempDir()); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("drawing the figure does not end")
	}
}
