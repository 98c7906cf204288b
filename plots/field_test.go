package plots

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

// fieldRun is a field scenario's run on board with params and an answer.
func fieldRun(seed uint64, board, scenario string, params map[string]string) *results.Run {
	r := resultstest.Run(resultstest.Spec{Seed: seed, Board: board, Scenario: scenario, Conns: 1, Slots: 8, Duration: 3 * time.Second, Samples: 100})
	r.Scenario.Params = params
	r.Notes = append(r.Notes, results.AnswerPrefix+"the answer")
	return r
}

// fieldRuns are one run of each drawn field scenario, with its data as
// the load generator records it.
func fieldRuns() []*results.Run {
	reload := fieldRun(14, "esp32-idf", "reload", map[string]string{"storm_ms": "100-2100"})
	reload.Scenario.Rate = 20
	reload.Heap = nil
	for i := range 30 {
		in := 1
		if i >= 2 && i < 21 {
			in = 2 + i%3
		}
		reload.Heap = append(reload.Heap, results.HeapSample{Offset: results.Duration(time.Duration(i) * 100 * time.Millisecond), SlotsInUse: in})
	}
	return []*results.Run{
		fieldRun(10, "esp32-idf", "ladder", map[string]string{
			"rungs":         "1:180:ok|125:190:ok|126:185:ok|536:240:ok|1433:400:ok|1460:410:ok|2048:600:ok|4096:900:ok|4097:-1:whole: close 1009|8192:-1:whole: close 1009",
			"first_failing": "4097"}),
		fieldRun(11, "esp32-idf", "nodrop", map[string]string{
			"steps": "50:50:800:kept:300ms 100:100:900:kept:300ms 200:199.7:1200:kept:300ms 400:310:90000:drops:250ms 300:260:150000:latency:300ms 250:250:3000:kept:300ms"}),
		fieldRun(12, "esp32-idf", "reconnect-storm", map[string]string{"back_ms": "120,180,950,1400,2600", "clients": "6", "backoff": "exp"}),
		reload,
		fieldRun(13, "esp32-idf", "browser", map[string]string{"pages": "Chromium:40:ok|Firefox:55:ok|Chromium:1800:waited|Firefox:2000:failed"}),
	}
}

func TestFieldFigures(t *testing.T) {
	for _, r := range fieldRuns() {
		f, err := FieldFigure(r)
		if err != nil {
			t.Errorf("%s: %v", r.Scenario.Name, err)
			continue
		}
		if f.Board != "esp32-idf" || f.Scenario != r.Scenario.Name || !strings.Contains(f.Title, "esp32-idf") {
			t.Errorf("%s: figure %q for board %q scenario %q", r.Scenario.Name, f.Title, f.Board, f.Scenario)
		}
		var png, svg bytes.Buffer
		if err := f.WriteTo(&png, "png"); err != nil || png.Len() == 0 {
			t.Errorf("%s: png: %v", r.Scenario.Name, err)
		}
		if err := f.WriteTo(&svg, "svg"); err != nil {
			t.Errorf("%s: svg: %v", r.Scenario.Name, err)
		}
		// What the figure marks is in its legend.
		want := map[string]string{
			"ladder":          "first failing size 4097 B",
			"nodrop":          "highest kept: 250 msgs/s",
			"reconnect-storm": "all 6 clients",
			"reload":          "the storm (20 reloads/s)",
			"browser":         "Firefox",
		}[r.Scenario.Name]
		if !strings.Contains(svg.String(), want) {
			t.Errorf("%s: %q not in the figure", r.Scenario.Name, want)
		}
		if dir := os.Getenv("WSLAB_FIELD_FIGURES"); dir != "" { // to look at them
			if _, err := f.Save(dir); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestFieldFiguresLeftOut(t *testing.T) {
	// Without the data, or with one point of it, a field scenario has no
	// figure: the answer says it all.
	for _, r := range fieldRuns() {
		bare := *r
		bare.Scenario.Params = nil
		bare.Heap = nil
		if f, err := FieldFigure(&bare); !errors.Is(err, ErrNoData) {
			t.Errorf("%s without data: figure %v, error %v", r.Scenario.Name, f, err)
		}
		one := *r
		one.Heap = r.Heap[:min(1, len(r.Heap))]
		one.Scenario.Params = map[string]string{}
		for k, v := range r.Scenario.Params {
			one.Scenario.Params[k] = v
		}
		for _, k := range []string{"rungs", "steps", "back_ms", "pages"} {
			if v, ok := one.Scenario.Params[k]; ok {
				sep := map[string]string{"rungs": "|", "steps": " ", "back_ms": ",", "pages": "|"}[k]
				one.Scenario.Params[k], _, _ = strings.Cut(v, sep)
			}
		}
		if f, err := FieldFigure(&one); !errors.Is(err, ErrNoData) {
			t.Errorf("%s with one point: figure %v, error %v", r.Scenario.Name, f, err)
		}
	}
	// A load scenario has none either.
	if _, err := FieldFigure(resultstest.Run(resultstest.Spec{Seed: 1})); !errors.Is(err, ErrNoData) {
		t.Errorf("echo: %v", err)
	}
}

func TestSelectFieldFigures(t *testing.T) {
	runs := fieldRuns()
	figs, err := Select(runs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range figs {
		got[f.Name] = true
	}
	for _, r := range runs {
		if name := "field-" + r.Scenario.Name + "-esp32-idf"; !got[name] {
			t.Errorf("no %s in %v", name, got)
		}
	}
	// The same runs without their data: no field figure.
	for _, r := range runs {
		r.Scenario.Params = nil
	}
	figs, _ = Select(runs)
	for _, f := range figs {
		if strings.HasPrefix(f.Name, "field-") && f.Scenario != "reload" {
			t.Errorf("%s drawn without data", f.Name)
		}
	}
	dir := t.TempDir()
	for _, f := range figs {
		if _, err := f.Save(dir); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "field-ladder*")); len(m) > 0 {
		t.Errorf("ladder figure saved without data: %v", m)
	}
}
