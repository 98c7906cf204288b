package report

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite testdata/index.html")

func fixture() []*results.Run {
	var runs []*results.Run
	for bi, b := range []string{"esp32-idf", "pico-w-tinygo"} {
		for ci, c := range []int{1, 10, 50} {
			runs = append(runs, resultstest.Run(resultstest.Spec{
				Seed: uint64(10*bi + ci), Board: b, Conns: c, Samples: 500,
				MsgsPerSec: float64(1000*(bi+1)) * float64(ci+1),
				Start:      resultstest.Epoch.Add(time.Duration(10*bi+ci) * time.Minute),
				Errors:     map[string]int64{"timeout": int64(ci)},
			}))
		}
	}
	return runs
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	skipped := []error{&results.FileError{File: "wslab-results/bad.json", Err: errors.New("truncated")}}
	index, err := Write(dir, fixture(), Options{Skipped: skipped})
	if err != nil {
		t.Fatal(err)
	}
	if index != filepath.Join(dir, "index.html") {
		t.Errorf("index path %s", index)
	}
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{
		"<h3>esp32-idf</h3>", "<h3>pico-w-tinygo</h3>", "wslab-results/bad.json", "1 file skipped",
		"board-comparison.png", "throughput-vs-conns-echo.png", "latency-spectrum-echo.svg",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// Every image and link is a relative path to a file in the folder.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 10 {
		t.Fatalf("only %d references in index.html", len(refs))
	}
	for _, m := range refs {
		if filepath.IsAbs(m[1]) || strings.Contains(m[1], "/") {
			t.Errorf("reference %q is not a relative file name", m[1])
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
			t.Errorf("index.html references a missing file: %v", err)
		}
	}
	golden := filepath.Join("testdata", "index.html")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./plots/report -update creates it)", err)
	}
	if string(want) != html {
		t.Errorf("index.html differs from %s; rerun with -update after checking:\n%s", golden, diffLine(string(want), html))
	}
}

func TestWriteNoRuns(t *testing.T) {
	if _, err := Write(t.TempDir(), nil, Options{}); err == nil {
		t.Error("a report of no runs succeeded")
	}
}

func diffLine(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

// section returns the text of html from the heading that starts with
// start up to the next heading of the same level (or the end).
func section(t *testing.T, html, start string) string {
	t.Helper()
	i := strings.Index(html, start)
	if i < 0 {
		t.Fatalf("no %q in the page", start)
	}
	rest := html[i+len(start):]
	if j := strings.Index(rest, start[:4]); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestWriteHeadlineAndOrder(t *testing.T) {
	dir := t.TempDir()
	runs := fixture()
	index, err := Write(dir, runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(index)
	html := string(b)
	head, details := strings.Index(html, "<h2>Headline</h2>"), strings.Index(html, "<h2>Runs by board")
	if head < 0 || details < 0 || head > details || strings.Index(html, "<h2>Figures</h2>") < details {
		t.Fatalf("the headline is not first (headline at %d, runs at %d)", head, details)
	}
	for _, board := range []string{"esp32-idf", "pico-w-tinygo"} {
		// The board's own headline, with its own figures.
		h := section(t, html[head:details], `<section class="headline"><h3>`+board+"</h3>")
		for _, want := range []string{"<li>clients held:", "<li>echo 128 B at 1 client:", "(n=500)", "<li>payload: up ", "<li>RAM: "} {
			if !strings.Contains(h, want) {
				t.Errorf("%s headline lacks %q:\n%s", board, want, h)
			}
		}
		// Its runs in the order they ran, the latency with its n, no
		// p99.9 from 500 samples.
		d := section(t, html[details:], "<h3>"+board+"</h3>")
		rows := regexp.MustCompile(`<tr><td class="l">[^<]*</td><td>(\d+) \(`).FindAllStringSubmatch(d, -1)
		if len(rows) != 3 || rows[0][1] != "1" || rows[1][1] != "10" || rows[2][1] != "50" {
			t.Errorf("%s rows not in run order: %v", board, rows)
		}
		if n := strings.Count(d, "<td>500</td>"); n != 3 {
			t.Errorf("%s: n=500 shown %d times, want 3", board, n)
		}
		if regexp.MustCompile(`<td>[0-9.]+ ms</td><td>[0-9.]+ ms</td><td>[0-9.]+ ms</td><td>500</td>`).MatchString(d) {
			t.Errorf("%s: a p99.9 shown from 500 samples", board)
		}
	}
	if strings.Contains(html, "heap start") || strings.Contains(html, "peak heap") {
		t.Error("the page shows the host process heap as the board's")
	}
}

func TestWriteAgainst(t *testing.T) {
	var base, now []*results.Run
	for i := range uint64(6) {
		base = append(base, resultstest.Run(resultstest.Spec{Seed: i + 1, Samples: 500, LatencyMedian: 2000}))
		now = append(now, resultstest.Run(resultstest.Spec{Seed: i + 100, Samples: 500, LatencyMedian: 5000}))
	}
	index, err := Write(t.TempDir(), now, Options{Against: results.DiffSets(base, now), Baseline: "v1.2"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(index)
	html := string(b)
	s := section(t, html, "<h2>Against v1.2: worse</h2>")
	for _, want := range []string{"Holm-corrected", "baseline n=6, these runs n=6", `<td class="l">p50</td>`, `<td class="l">worse</td>`} {
		if !strings.Contains(s, want) {
			t.Errorf("against section lacks %q:\n%s", want, s)
		}
	}
}

// TestFieldFigureBesideAnswer: a field scenario's figure is shown beside its
// answer line in the board's headline, not again in the figure list; a run
// without the figure's data has its answer line alone.
func TestFieldFigureBesideAnswer(t *testing.T) {
	ladder := resultstest.Run(resultstest.Spec{Seed: 3, Board: "esp32-idf", Scenario: "ladder", Conns: 1, Samples: 100})
	ladder.Scenario.Params = map[string]string{"first_failing": "4097",
		"rungs": "1:180:ok|126:185:ok|1460:410:ok|4096:900:ok|4097:-1:whole: close 1009"}
	ladder.Notes = append(ladder.Notes, results.AnswerPrefix+"first failing size 4097 B: close 1009")
	nodrop := resultstest.Run(resultstest.Spec{Seed: 4, Board: "esp32-idf", Scenario: "nodrop", Conns: 1, Samples: 100,
		Start: resultstest.Epoch.Add(time.Minute)})
	nodrop.Notes = append(nodrop.Notes, results.AnswerPrefix+"highest rate without drops: 140 msgs/s")
	dir := t.TempDir()
	index, err := Write(dir, []*results.Run{ladder, nodrop}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	beside := `<li>ladder: first failing size 4097 B: close 1009
<figure class="answer"><a href="field-ladder-esp32-idf.svg"><img src="field-ladder-esp32-idf.png"`
	if !strings.Contains(html, beside) {
		t.Errorf("the ladder's figure is not beside its answer:\n%s", html)
	}
	if n := strings.Count(html, `src="field-ladder-esp32-idf.png"`); n != 1 {
		t.Errorf("the ladder's figure is shown %d times", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "field-ladder-esp32-idf.png")); err != nil {
		t.Error(err)
	}
	// nodrop has no steps in its record: its answer alone, no figure.
	if !strings.Contains(html, "<li>nodrop: highest rate without drops: 140 msgs/s</li>") || strings.Contains(html, "field-nodrop") {
		t.Errorf("nodrop without data:\n%s", html)
	}
}

// A wss:// run's connect phases reach the board's headline and a column of
// its table (p50s in the order TCP, TLS, upgrade); a board without TLS
// runs gets no such column.
func TestWriteConnectPhases(t *testing.T) {
	runs := fixture()
	r := runs[0]
	fill := func(name string, us int64) {
		h := results.NewHistogram()
		for range 50 {
			h.Record(us)
		}
		r.Histograms[name] = h
	}
	fill(results.HistHandshake, 2_400_000)
	fill(results.HistConnectTCP, 3_000)
	fill(results.HistConnectTLS, 2_300_000)
	fill(results.HistConnectUpgrade, 95_000)
	index, err := Write(t.TempDir(), runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(index)
	html := string(b)
	head, details := strings.Index(html, "<h2>Headline</h2>"), strings.Index(html, "<h2>Runs by board")
	h := section(t, html[head:details], `<section class="headline"><h3>esp32-idf</h3>`)
	if want := "<li>connect p50 2.40 s: TLS 2.30 s of it (TCP 3.00 ms, upgrade 95.0 ms); p99 2.40 s: TLS 2.30 s (n=50, "; !strings.Contains(h, want) {
		t.Errorf("esp32-idf headline lacks %q:\n%s", want, h)
	}
	d := section(t, html[details:], "<h3>esp32-idf</h3>")
	if !strings.Contains(d, "<th>wss connect p50 (phases)</th>") {
		t.Errorf("esp32-idf table has no connect column:\n%s", d)
	}
	if want := "<td>2.40 s (TCP 3.00 ms, TLS 2.30 s, upgrade 95.0 ms)</td>"; strings.Count(d, want) != 1 || strings.Count(d, "<td>–</td><td class=\"l\"><code>") != 2 {
		t.Errorf("esp32-idf table: want %q once and the other two runs without:\n%s", want, d)
	}
	p := section(t, html[details:], "<h3>pico-w-tinygo</h3>")
	if strings.Contains(p, "wss connect") || strings.Contains(html[head:details], "TLS") && strings.Contains(section(t, html[head:details], `<section class="headline"><h3>pico-w-tinygo</h3>`), "TLS") {
		t.Errorf("pico-w-tinygo, without TLS runs, shows connect phases:\n%s", p)
	}
}
