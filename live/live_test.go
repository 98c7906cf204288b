//go:build linux

package live_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/internal/chromium"
	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/live"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// The page binds to loopback unless told otherwise, and warns otherwise.
func TestListenAddress(t *testing.T) {
	for _, c := range []struct {
		addr, host string
		warn       bool
	}{
		{":0", "127.0.0.1:", false},
		{"0", "127.0.0.1:", false},
		{"127.0.0.1:0", "127.0.0.1:", false},
		{"[::1]:0", "[::1]:", false},
		{"0.0.0.0:0", "", true},
	} {
		var warn bytes.Buffer
		s, err := live.Listen(c.addr, "load", "x", &warn)
		if err != nil {
			if strings.Contains(c.addr, "::1") {
				continue // no IPv6 loopback here
			}
			t.Fatalf("%s: %v", c.addr, err)
		}
		u := s.URL()
		s.Close()
		if c.host != "" && !strings.HasPrefix(u, "http://"+c.host) {
			t.Errorf("%s serves at %s, want %s...", c.addr, u, c.host)
		}
		if got := strings.Contains(warn.String(), "warning: the live view listens on"); got != c.warn {
			t.Errorf("%s: warning %q", c.addr, warn.String())
		}
	}
	for _, bad := range []string{"", "127.0.0.1:x:y", "nohost.invalid:http-nope"} {
		if s, err := live.Listen(bad, "load", "x", nil); err == nil {
			s.Close()
			t.Errorf("%q: no error", bad)
		}
	}
}

// The event stream sends the state at once and at each change, and the
// final state still goes out when the server stops right after it; the
// board's CPU is the busy time between readings over its cores.
func TestEventsAndCPU(t *testing.T) {
	s, err := live.Listen("127.0.0.1:0", "load", "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan live.State, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var st live.State
				if err := json.Unmarshal([]byte(d), &st); err != nil {
					t.Errorf("event %q: %v", d, err)
				}
				events <- st
			}
		}
	}()
	next := func() live.State {
		t.Helper()
		select {
		case st, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return st
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return live.State{}
	}
	if st := next(); st.Phase != "waiting" || st.Job != "load" {
		t.Fatalf("first event %+v", st)
	}
	spec := loadgen.Spec{Target: "ws://b/ws", Conns: 2, Duration: time.Second}
	s.Begin("b", "", 0, 0, &spec)
	if st := next(); st.Phase != "running" || st.Run == nil || st.Run.Conns != 2 {
		t.Fatalf("after Begin %+v", st)
	}
	for i, busy := range []time.Duration{100, 100 + 250, 100 + 250 + 500} {
		spec.OnInterval(loadgen.Tick{Index: i, Offset: time.Duration(i) * time.Second, Length: time.Second, MsgsReceived: int64(10 * (i + 1)),
			HaveBoard: true, BoardAt: time.Duration(i+1) * time.Second, RAMInUse: 5000, RAMBudget: 9000,
			HaveCPU: true, CPUBusy: busy * time.Millisecond, CPUCores: 1})
	}
	var st live.State
	for st.Run == nil || len(st.Run.Intervals) < 3 {
		st = next()
	}
	var cpu []string
	for _, p := range st.Run.Intervals {
		cpu = append(cpu, fmt.Sprintf("%.0f", p.CPU))
	}
	if got := strings.Join(cpu, ","); got != "-1,25,50" {
		t.Errorf("CPU per interval %s, want -1,25,50", got)
	}
	s.End(nil, "the line", nil)
	s.Done(nil)
	s.Close()
	var last live.State
	for st := range events {
		last = st
	}
	if last.Phase != "done" || len(last.Steps) != 1 || last.Steps[0].Line != "the line" {
		t.Errorf("the last event before the stop: %+v", last)
	}
}

// wslab lab's live view in Chromium: which step of which board runs, then
// the steps done with the lab's own one-line results.
func TestLabInChromium(t *testing.T) {
	bin := chromium.Path(t)
	br := chromium.Launch(t, bin)
	page := br.NewPage()
	s, err := live.Listen("127.0.0.1:0", "lab", "wslab lab: esp32-idf", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page.Navigate(s.URL())
	step := func(name string) lab.Step {
		return lab.Step{Name: name, Spec: func(t lab.Target) loadgen.Spec {
			return loadgen.Spec{Scenario: loadgen.Echo, Conns: 2, Duration: 1500 * time.Millisecond, Interval: 250 * time.Millisecond}
		}}
	}
	dir := t.TempDir()
	var status strings.Builder
	type result struct {
		oc  *lab.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		oc, err := lab.Lab(context.Background(), lab.Options{Models: []string{"esp32-idf"}, Suite: []lab.Step{step("echo a"), step("echo b")},
			Results: filepath.Join(dir, "results"), Out: filepath.Join(dir, "report"), Status: &status, Observer: s})
		s.Done(err)
		done <- result{oc, err}
	}()
	// Both steps are seen running, in turn, with their intervals.
	page.EvalExpect(`(async () => {
		const seen = new Set();
		await waitFor(() => {
			const st = window.liveState;
			if (st && st.phase === "running" && st.run.intervals.length > 0) seen.add($("where").textContent);
			return st && st.phase === "done";
		}, 60000);
		return [...seen].sort().join("|");
	})()`, "step 1 of 2: esp32-idf · echo a · 2 conns|step 2 of 2: esp32-idf · echo b · 2 conns")
	res := <-done
	if res.err != nil || len(res.oc.Runs) != 2 {
		t.Fatalf("lab: %v\n%s", res.err, status.String())
	}
	// The steps done, with the lines the lab printed.
	var want []string
	for _, l := range strings.Split(status.String(), "\n") {
		if strings.HasPrefix(l, "    ") && strings.Contains(l, "msg/s") {
			want = append(want, strings.TrimSpace(l))
		}
	}
	got := page.Eval(`[...$("steps").tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent).join(" | ")).join("\n")`)
	w := fmt.Sprintf("1 | esp32-idf | echo a | %s\n2 | esp32-idf | echo b | %s", at(want, 0), at(want, 1))
	if got != w || len(want) != 2 {
		t.Errorf("steps on the page:\n%v\nwant:\n%s\nstatus:\n%s", got, w, status.String())
	}
	page.EvalExpect(`!$("stepsBox").hidden && $("phase").textContent === "done" && $("fID").textContent === `+
		chromium.JSString(res.oc.Runs[1].ID), true)
	if errs := page.Exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// The board's CPU, when it reports one, and its RAM against its budget, on
// the page's cards and in its table.
func TestBoardFiguresInChromium(t *testing.T) {
	bin := chromium.Path(t)
	s, err := live.Listen("127.0.0.1:0", "load", "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spec := loadgen.Spec{Target: "ws://b/ws", Conns: 2, Duration: time.Second}
	s.Begin("b", "", 0, 0, &spec)
	for i, busy := range []time.Duration{100, 100 + 250, 100 + 250 + 500} {
		spec.OnInterval(loadgen.Tick{Index: i, Offset: time.Duration(i) * time.Second, Length: time.Second, MsgsReceived: int64(10 * (i + 1)),
			ConnsOpen: 2, HaveBoard: true, BoardAt: time.Duration(i+1) * time.Second, RAMInUse: 5000 + int64(i)*1024, RAMBudget: 9216,
			HaveCPU: true, CPUBusy: busy * time.Millisecond, CPUCores: 1})
	}
	page := chromium.Launch(t, bin).NewPage()
	page.Navigate(s.URL())
	page.EvalExpect(`waitFor(() => $("ticks").textContent === "3")`, true)
	page.EvalExpect(`[$("msgs").textContent, $("cpu").textContent, $("ram").textContent, $("open").textContent,
		[...$("ivs").tBodies[0].rows].map(r => r.cells[10].textContent).join(",")].join(" | ")`,
		"30 | 50% | 6.9 KiB of 9.0 KiB (76%) | 2 | –,25,50")
	if errs := page.Exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
}

// tlsRecord is a wss:// connect run's record: 20 connects of 2.4 s, TCP
// 3 ms, TLS 2.3 s, upgrade 95 ms.
func tlsRecord() *results.Run {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := results.New(t0, results.Scenario{Name: "connect", Conns: 20}, results.Board{Model: "esp32-idf"}, "wss://b/ws")
	r.ID, r.End = "tlsrun", t0.Add(10*time.Second)
	for name, us := range map[string]int64{results.HistHandshake: 2_400_000, results.HistConnectTCP: 3_000,
		results.HistConnectTLS: 2_300_000, results.HistConnectUpgrade: 95_000} {
		h := results.NewHistogram()
		for range 20 {
			h.Record(us)
		}
		r.Histograms[name] = h
	}
	return r
}

// A wss:// run's connect phases reach the final figures, each phase in its
// place; a ws:// run has none, and the page hides the row.
func TestConnectPhasesInChromium(t *testing.T) {
	s, err := live.Listen("127.0.0.1:0", "load", "connect", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spec := loadgen.Spec{Target: "wss://b/ws", Scenario: loadgen.Connect, Conns: 20, Duration: time.Second}
	s.Begin("b", "", 0, 0, &spec)
	spec.OnInterval(loadgen.Tick{Index: 0, Length: time.Second, ConnsOpen: 20})
	rec := tlsRecord()
	s.End(rec, "connect", nil)
	var st live.State
	if err := json.Unmarshal(s.Snapshot(), &st); err != nil {
		t.Fatal(err)
	}
	c := st.Run.Final.Connect
	if c == nil {
		t.Fatal("no connect phases in the final figures")
	}
	med := func(h string) int64 { return rec.Hist(h).Quantile(0.5) }
	got := fmt.Sprintf("%d %d %d %d %d", c.N, c.P50, c.TCP50, c.TLS50, c.Upgrade50)
	want := fmt.Sprintf("%d %d %d %d %d", 20, med(results.HistHandshake), med(results.HistConnectTCP), med(results.HistConnectTLS), med(results.HistConnectUpgrade))
	if got != want {
		t.Errorf("connect n, p50, TCP, TLS, upgrade (µs): %s, want %s", got, want)
	}
	if !strings.HasPrefix(c.Text, "connect p50 2.40 s: TLS 2.30 s of it") {
		t.Errorf("connect text %q", c.Text)
	}

	page := chromium.Launch(t, chromium.Path(t)).NewPage()
	page.Navigate(s.URL())
	page.EvalExpect(`waitFor(() => !$("finalBox").hidden)`, true)
	page.EvalExpect(`[$("fConnectRow").hidden, $("fConnect").textContent].join(" | ")`, "false | 2.40 s: 3.0 ms / 2.30 s / 95.0 ms")

	// The next run is ws://: no phases, the row goes.
	plain := tlsRecord()
	for _, h := range []string{results.HistConnectTCP, results.HistConnectTLS, results.HistConnectUpgrade} {
		delete(plain.Histograms, h)
	}
	s.Begin("b", "", 0, 0, &spec)
	s.End(plain, "connect", nil)
	page.EvalExpect(`waitFor(() => window.liveState.steps.length === 2 && !$("finalBox").hidden).then(() => $("fConnectRow").hidden)`, true)
	if errs := page.Exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
}
