package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/live"
)

// wslab compare --live: one page for the whole compare, whose event stream
// shows each board's run in turn with its intervals as they come, then
// the runs done with the lines the compare printed; the compare's table,
// figure and report are as without it.
func TestCompareCommandLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a compare")
	}
	dir := t.TempDir()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"compare", "--models", "esp32-idf,picow-tinygo", "--scenario", "echo", "--duration", "2500ms",
			"--link-off", "--in-process", "--quiet", "--live", "127.0.0.1:0",
			"--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}, stdout, stderr)
	}()
	u := waitLiveURL(t, stdout, done)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u+"events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/events is %q", ct)
	}
	// Each event is the whole state: note every run seen going on with
	// intervals, and keep the last state.
	seen := map[string]int{} // "index board" -> most intervals seen while running
	var last live.State
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		doc, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var st live.State
		if err := json.Unmarshal([]byte(doc), &st); err != nil {
			t.Fatalf("event %q: %v", doc, err)
		}
		if st.Job != "compare" || st.Total != 2 {
			t.Fatalf("job %q of %d runs, want compare of 2", st.Job, st.Total)
		}
		if st.Phase == "running" && st.Run != nil && len(st.Run.Intervals) > 0 {
			k := fmt.Sprintf("%d %s %s", st.Run.Index, st.Run.Board, st.Run.Scenario)
			seen[k] = max(seen[k], len(st.Run.Intervals))
		}
		last = st
		if st.Phase == "done" {
			break
		}
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("wslab compare did not end")
	}
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	// Both boards, in turn, each seen with its intervals growing.
	for _, k := range []string{"1 esp32-idf echo", "2 picow-tinygo echo"} {
		if seen[k] < 2 {
			t.Errorf("run %q seen with %d intervals while it ran; seen: %v", k, seen[k], seen)
		}
	}
	if len(seen) != 2 {
		t.Errorf("runs seen: %v", seen)
	}
	// The runs done are the compare's lines.
	var lines []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "    ") && strings.Contains(l, "msg/s") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if last.Phase != "done" || len(last.Steps) != 2 || len(lines) != 2 {
		t.Fatalf("final state %+v; lines %q", last, lines)
	}
	for i, want := range []string{"esp32-idf", "picow-tinygo"} {
		s := last.Steps[i]
		if s.Index != i+1 || s.Board != want || s.Step != "echo" || s.Line != lines[i] || s.Error != "" {
			t.Errorf("run done %d: %+v, want %s with %q", i+1, s, want, lines[i])
		}
	}
	// The table, with the same load on both (the smaller's 3 slots), and
	// the report in its own folder.
	out := stdout.String()
	for _, want := range []string{"BOARD ", "\nesp32-idf ", "\npicow-tinygo ", " 3/3 ", "figure: "} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o", "compare-echo", "index.html")); err != nil {
		t.Error(err)
	}
}
