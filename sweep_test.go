package main

import (
	"bytes"
	"fmt"
	"html"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/internal/chromium"
	"github.com/wslab/wslab/internal/testenv"
	"github.com/wslab/wslab/results"
)

// A sweep whose goal nothing meets exits 3 and names the closest
// configuration, every buffer of it, and what it missed by; its report,
// in its own folder, shows the goal and the verdict.
func TestSweepCommandGoal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	dir := t.TempDir()
	args := []string{"sweep", "--model", "esp32-idf", "--rx", "512,1024", "--scenario", "echo", "--conns", "1",
		"--duration", "300ms", "--link-off", "--in-process", "--quiet", "--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}
	var stdout, stderr bytes.Buffer
	code := run(append(args, "--goal", "msgs>=100000000"), &stdout, &stderr)
	out := stdout.String()
	if code != exitThreshold || !strings.Contains(out, "no configuration meets the goal; closest: esp32-idf (slots 7, rx ") ||
		!strings.Contains(out, "misses msgs>=100000000") || strings.Contains(out, "tx 0 ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	html, err := os.ReadFile(filepath.Join(dir, "o", "sweep-esp32-idf-echo", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h2>Sweep: goal not met</h2>", "<code>msgs&gt;=100000000</code>", "no configuration meets the goal; closest: esp32-idf (slots 7, rx "} {
		if !strings.Contains(string(html), want) {
			t.Errorf("sweep report lacks %q", want)
		}
	}

	stdout.Reset()
	stderr.Reset()
	code = run(append(args, "--goal", "msgs>=1", "--repeat", "2"), &stdout, &stderr)
	out = stdout.String()
	if code != 0 || !strings.Contains(out, "recommended: esp32-idf (slots 7, rx 512 B, tx ") || !strings.Contains(out, "(2 of 2)") {
		t.Fatalf("goal met: exit %d\n%s\n%s", code, out, stderr.String())
	}
}

// wslab sweep --live serves one page for the whole sweep: each
// configuration's run is seen going on, named by its configuration, with
// its intervals as they come; the runs done are listed with the lines the
// sweep printed, and the page ends on the last run's record.
func TestSweepLiveInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	bin := chromium.Path(t)
	br := chromium.Launch(t, bin)
	page := br.NewPage()
	dir := t.TempDir()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"sweep", "--model", "esp32-idf", "--rx", "512,1024", "--tx", "2048", "--scenario", "echo", "--conns", "1",
			"--duration", "3s", "--link-off", "--in-process", "--quiet", "--live", "127.0.0.1:0",
			"--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}, stdout, stderr)
	}()
	// The human output goes to stdout here: the address is printed there.
	u := waitLiveURL(t, stdout, done)
	page.Navigate(u)
	page.EvalExpect(`document.title`, "wslab live")
	seen := page.Eval(`(async () => {
		const seen = new Set();
		await waitFor(() => {
			const st = window.liveState;
			if (st && st.phase === "running" && st.run.intervals.length > 0) seen.add($("where").textContent);
			return st && st.phase === "done";
		}, 60000);
		return [...seen].sort().join("|");
	})()`)
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("wslab sweep did not end")
	}
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	want := "run 1 of 2: esp32-idf (slots 7, rx 512 B, tx 2048 B) · echo · 1 conns|" +
		"run 2 of 2: esp32-idf (slots 7, rx 1024 B, tx 2048 B) · echo · 1 conns"
	if seen != want {
		t.Errorf("runs seen going on:\n%v\nwant:\n%s", seen, want)
	}
	// The runs done, with the lines the sweep printed.
	var lines []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "    ") && strings.Contains(l, "msg/s") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	got := page.Eval(`[...$("steps").tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent).join(" | ")).join("\n")`)
	w := fmt.Sprintf("1 | esp32-idf (slots 7, rx 512 B, tx 2048 B) | echo | %s\n2 | esp32-idf (slots 7, rx 1024 B, tx 2048 B) | echo | %s",
		at(lines, 0), at(lines, 1))
	if got != w || len(lines) != 2 {
		t.Errorf("runs done on the page:\n%v\nwant:\n%s", got, w)
	}
	if errs := page.Exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
}

// at is s[i], or "" past its end.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// wslab sweep --exec sweeps a foreign server's limits: each CPU cap a
// configuration, named by it in the table, the report and the stored runs;
// the recommendation is the smallest cap that meets the goal.
func TestSweepExecLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a foreign server twice")
	}
	py, err := exec.LookPath("python3")
	if err != nil || os.Geteuid() != 0 {
		testenv.SkipOrFail(t, "needs root (cgroups) and python3")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	server, _ := filepath.Abs("foreign/testdata/single.py")
	dir := t.TempDir()
	var stdout, stderr lockedBuffer
	code := run([]string{"sweep", "--exec", py + " " + server + " " + port, "--exec-port", port, "--cpu-quota", "50%,5%",
		"--conns", "1", "--duration", "1s", "--goal", "msgs>=1", "--quiet",
		"--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	for _, want := range []string{
		"\nLIMITS ", "\ncpu 50%, mem model ", "\ncpu 5%, mem model ",
		"recommended: esp32-idf+single (slots 7, rx 5760 B, tx 5760 B, cpu 5%, mem model), ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "o", "sweep-esp32-idf-echo", "index.html"))
	if err != nil || !strings.Contains(html.UnescapeString(string(page)), "recommended: esp32-idf+single (slots 7, rx 5760 B, tx 5760 B, cpu 5%, mem model)") {
		t.Errorf("the report does not name the recommendation by its limits (%v)", err)
	}
	runs, _, err := results.ReadDir(filepath.Join(dir, "r"))
	if err != nil || len(runs) != 2 {
		t.Fatalf("%d runs stored: %v", len(runs), err)
	}
	cpus := map[string]bool{}
	for _, r := range runs {
		cpus[r.Board.Extra[results.ExtraCPUQuota]] = true
		if r.Board.Extra[results.ExtraMemLimit] != "model" || r.Counts.MsgsReceived == 0 {
			t.Errorf("run %s: limits %v, %d echoed", r.ID, r.Board.Extra, r.Counts.MsgsReceived)
		}
	}
	if !cpus["0.5"] || !cpus["0.05"] {
		t.Errorf("the runs record CPU caps %v, want 0.5 and 0.05", cpus)
	}
}
