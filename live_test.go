//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/internal/chromium"
	"github.com/wslab/wslab/results"
)

// syncBuffer is a bytes.Buffer a command and a test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLiveURL waits for the command to print its live view's address.
func waitLiveURL(t *testing.T, stderr *syncBuffer, done <-chan int) string {
	t.Helper()
	re := regexp.MustCompile(`live view: (http://127\.0\.0\.1:\d+/)`)
	deadline := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("the command ended (exit %d) before serving its live view:\n%s", code, stderr.String())
		case <-deadline:
			t.Fatalf("no live view address:\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wslab load --live serves a page, seen here in headless Chromium, whose
// figures change at each interval while the run goes on and whose final
// figures are the Run record's.
func TestLiveLoadInChromium(t *testing.T) {
	bin := chromium.Path(t)
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "live-board", Slots: 8, RxBuf: 2048, TxBuf: 2048,
		HeapBudget: 200 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	br := chromium.Launch(t, bin)
	page := br.NewPage()

	out := filepath.Join(t.TempDir(), "run.json")
	stderr := &syncBuffer{}
	// The run starts 2 s from now, so the page is open before its first
	// interval however slowly the browser comes up.
	at := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"load", "--target", srv.WSURL("/ws"), "--scenario", "echo", "--conns", "4", "--duration", "3s",
			"--interval", "250ms", "--live", "127.0.0.1:0", "--start-at", at, "--out", out}, io.Discard, stderr)
	}()
	u := waitLiveURL(t, stderr, done)
	page.Navigate(u)
	page.EvalExpect(`document.title`, "wslab live")

	// While the run goes on, the cards follow the intervals: several
	// interval counts and several message rates are seen with the phase
	// "running", with the latency and the board's RAM against its budget.
	got := page.Eval(`(async () => {
		const ticks = new Set(), rates = new Set(), opens = new Set(), bad = [];
		await waitFor(() => {
			const st = window.liveState;
			if (st && st.phase === "running" && st.run && st.run.intervals.length > 0) {
				ticks.add($("ticks").textContent);
				rates.add($("msgs").textContent);
				if (!/^\d+ µs$/.test($("p50").textContent) || !/^\d+ µs$/.test($("p99").textContent)) bad.push("latency " + $("p50").textContent);
				if (!/^\d+(\.\d+)? KiB of 200\.0 KiB \(\d+%\)$/.test($("ram").textContent)) bad.push("ram " + $("ram").textContent);
				opens.add($("open").textContent);
			}
			return st && st.phase === "done";
		});
		if (!opens.has("4")) bad.push("connections open: " + [...opens]);
		return JSON.stringify({ticks: ticks.size, rates: rates.size, bad: bad.slice(0, 3)});
	})()`)
	var seen struct {
		Ticks, Rates int
		Bad          []string
	}
	if err := jsonUnmarshal(got, &seen); err != nil {
		t.Fatal(err)
	}
	if seen.Ticks < 3 || seen.Rates < 2 || len(seen.Bad) > 0 {
		t.Fatalf("while running the page showed %d interval counts and %d message rates (want the figures to change); wrong figures: %q",
			seen.Ticks, seen.Rates, seen.Bad)
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("wslab load did not end")
	}
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}

	// The final figures are the record's.
	page.EvalExpect(`waitFor(() => !$("finalBox").hidden)`, true)
	s := r.Summary()
	c := r.Counts
	text := func(id string) string { return fmt.Sprint(page.Eval(`$(` + chromium.JSString(id) + `).textContent`)) }
	want := map[string]string{
		"fMsgsSent":     strconv.FormatInt(c.MsgsSent, 10),
		"fMsgsReceived": strconv.FormatInt(c.MsgsReceived, 10),
		"fBytes":        fmt.Sprintf("%d / %d", c.BytesSent, c.BytesReceived),
		"fMsgsPerSec":   fmt.Sprintf("%.0f", s.MsgsPerSec),
		"fMBps":         fmt.Sprintf("%.3f / %.3f", s.UpMBPerSec, s.DownMBPerSec),
		"fLat":          fmt.Sprintf("%.0f / %.0f (n=%d)", math.Round(s.P50), math.Round(s.P99), r.Hist(results.HistLatency).Count()),
		"fOpened":       "4",
		"fErrors":       fmt.Sprintf("%d (%d)", s.Errors, s.Refused),
		"fRAM":          results.FormatRAM(s.RAM, s.RAMBudget),
		"fID":           r.ID,
		"phase":         "done",
	}
	for id, w := range want {
		if g := text(id); g != w {
			t.Errorf("page #%s = %q, the record's is %q", id, g, w)
		}
	}
	if c.MsgsReceived == 0 || !s.HasRAM {
		t.Fatalf("the record measured nothing: %+v", c)
	}
	// The interval table is the record's series, interval by interval.
	var sent, recv, up []string
	for _, iv := range r.Intervals {
		sent = append(sent, strconv.FormatInt(iv.MsgsSent, 10))
		recv = append(recv, strconv.FormatInt(iv.MsgsReceived, 10))
		up = append(up, strconv.FormatInt(iv.BytesSent, 10))
	}
	col := func(i int) string {
		return fmt.Sprint(page.Eval(`[...$("ivs").tBodies[0].rows].map(r => r.cells[` + strconv.Itoa(i) + `].textContent).join(",")`))
	}
	for _, x := range []struct {
		name string
		i    int
		want []string
	}{{"msgs sent", 1, sent}, {"msgs received", 2, recv}, {"bytes up", 3, up}} {
		if g := col(x.i); g != strings.Join(x.want, ",") {
			t.Errorf("interval %s on the page %s, in the record %s", x.name, g, strings.Join(x.want, ","))
		}
	}
	// Its rates are over the record's interval lengths (the last one is
	// short: the run ended in it).
	var lengths []string
	for _, iv := range r.Intervals {
		lengths = append(lengths, fmt.Sprintf("%.6f", time.Duration(iv.Length).Seconds()))
	}
	if g := fmt.Sprint(page.Eval(`liveState.run.intervals.map(p => p.length.toFixed(6)).join(",")`)); g != strings.Join(lengths, ",") {
		t.Errorf("interval lengths on the page %s, in the record %s", g, strings.Join(lengths, ","))
	}
	// Each RAM figure the page showed is a reading of the record's series.
	readings := map[float64]bool{}
	for _, h := range r.Heap {
		readings[float64(h.RAMInUse)] = true
	}
	rams, _ := page.Eval(`liveState.run.intervals.map(p => p.ram)`).([]any)
	if len(rams) != len(r.Intervals) {
		t.Fatalf("%d intervals on the page, %d in the record", len(rams), len(r.Intervals))
	}
	peak := 0.0
	for _, v := range rams {
		f, _ := v.(float64)
		if !readings[f] {
			t.Errorf("the page showed board RAM %v, not in the record's readings", v)
		}
		peak = max(peak, f)
	}
	// With connections open the board's RAM is above its static footprint
	// (each holds its PCB and session): the page shows RAM in use, not
	// the footprint.
	if peak <= float64(r.Board.StaticFootprint) {
		t.Errorf("the page's board RAM peaked at %v, no more than the static footprint %d", peak, r.Board.StaticFootprint)
	}
	if errs := page.Exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
}

func jsonUnmarshal(v any, dst any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("not a string: %v", v)
	}
	return json.Unmarshal([]byte(s), dst)
}

// --live is checked before anything runs.
func TestLiveFlags(t *testing.T) {
	for _, args := range [][]string{
		{"load", "--target", "ws://127.0.0.1:9/ws", "--live-hold"},
		{"load", "--target", "ws://127.0.0.1:9/ws", "--live", "127.0.0.1:x:y"},
		{"lab", "--models", "esp32-idf", "--live", "127.0.0.1:x:y"},
		{"lab", "--models", "esp32-idf", "--live-hold"},
		{"sweep", "--model", "esp32-idf", "--live", "127.0.0.1:x:y"},
		{"sweep", "--model", "esp32-idf", "--live-hold"},
		{"compare", "--models", "esp32-idf", "--live", "127.0.0.1:x:y"},
		{"compare", "--models", "esp32-idf", "--live-hold"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "live") {
			t.Errorf("%q: exit %d, %s", args, code, stderr.String())
		}
	}
}
