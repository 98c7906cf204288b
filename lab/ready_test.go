package lab

import (
	"encoding/json"
	"github.com/wslab/wslab/loadgen"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
)

func TestParseReady(t *testing.T) {
	b, err := catalog.Resolve("esp32-idf", catalog.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	r := Ready{Addr: "127.0.0.1:9", URL: "http://127.0.0.1:9", WS: "ws://127.0.0.1:9/ws", Stats: "http://127.0.0.1:10/stats", Board: b}
	got, err := ParseReady(ReadyLine(r))
	if err != nil || got != r {
		t.Fatalf("round trip: %+v %v, want %+v", got, err, r)
	}
	for _, bad := range []string{
		"board esp32-idf listening on http://127.0.0.1:9", // the human banner
		ReadyPrefix,
		ReadyPrefix + " {",
		ReadyPrefix + ` {"addr":"127.0.0.1:9"} trailing`,
		ReadyPrefix + ` {"addr":"127.0.0.1:9","port":9}`,
		ReadyPrefix + ` {"url":"http://127.0.0.1:9"}`,
	} {
		if _, err := ParseReady(bad); err == nil || !strings.Contains(err.Error(), ReadyPrefix) {
			t.Errorf("ParseReady(%q): %v, want an error naming %s", bad, err, ReadyPrefix)
		}
	}
}

// fakeBoard writes a script that stands for `wslab board`: it prints
// out and then waits to be stopped.
func fakeBoard(t *testing.T, out string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "wslab")
	script := "#!/bin/sh\ncat >/dev/null\nprintf '%s\\n' '" + out + "'\nexec sleep 30\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestStartChildRefuses: a child whose ready line is malformed, or that
// runs another board than the lab resolved, or prints none, is a clear
// error (and is stopped).
func TestStartChildRefuses(t *testing.T) {
	spec := BoardSpec{Model: "esp32-idf", Slots: 3}
	other, err := BoardSpec{Model: "esp32-idf", Slots: 4}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ out, want string }{
		{ReadyPrefix + ` {"addr":"127.0.0.1:9",`, "malformed " + ReadyPrefix},
		{ReadyLine(Ready{Addr: "127.0.0.1:9", Board: other}), "not the board the lab resolved"},
	} {
		_, err := startBoard(spec, fakeBoard(t, c.out))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("child printing %q: %v, want %q", c.out, err, c.want)
		}
	}
	exe := filepath.Join(t.TempDir(), "wslab")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho 'board listening on http://127.0.0.1:9' \necho 'no such flag' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := startBoard(spec, exe); err == nil || !strings.Contains(err.Error(), "did not start: no such flag") {
		t.Errorf("child with a banner and no ready line: %v", err)
	}
}

// TestChildRunsResolvedBoard starts a real `wslab board` child the lab's
// way and reads the configuration it serves on /stats: it is the board the
// lab resolved, overrides included, not the model's defaults.
func TestChildRunsResolvedBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wslab")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build wslab")
	}
	exe := filepath.Join(t.TempDir(), "wslab")
	if out, err := exec.Command(gobin, "build", "-o", exe, "github.com/wslab/wslab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	spec := BoardSpec{Model: "esp32-async", Slots: 3, RxBuf: 1536, TxBuf: 3072, MaxMessage: 4096, LinkOff: true}
	want, err := spec.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	b, err := startBoard(spec, exe)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := b.close(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if b.board != want {
		t.Fatalf("running %+v, want %+v", b.board, want)
	}
	url := b.stats
	if url == "" {
		url = "http://" + b.addr + "/stats"
	}
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Model     string `json:"model"`
		Footprint struct {
			Slots, Rx, Tx, Budget int
		} `json:"footprint"`
		Config struct {
			MaxMessage int    `json:"max_message"`
			QueueLen   int    `json:"queue_len"`
			FailMode   string `json:"fail_mode"`
			LinkBps    int64  `json:"link_bps"`
			LinkRTTus  int64  `json:"link_rtt_us"`
		} `json:"config"`
		Slots struct {
			Total int `json:"total"`
		} `json:"slots"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	c := want.Config
	if st.Model != c.Model || st.Slots.Total != 3 || st.Footprint.Slots != 3 || st.Footprint.Rx != 1536 || st.Footprint.Tx != 3072 ||
		st.Config.MaxMessage != 4096 || st.Config.QueueLen != c.QueueLen || st.Config.FailMode != c.FailMode.String() ||
		st.Footprint.Budget != c.HeapBudget || st.Config.LinkBps != 0 || st.Config.LinkRTTus != 0 {
		t.Fatalf("/stats says %+v, want the resolved %+v with the link off", st, c)
	}
}

// The open-loop step paces below what the board sustained in closed loop
// (an overloaded board's queue would grow for the whole step), at most
// 100 msgs/s a slot.
func TestRateStepBelowClosedLoop(t *testing.T) {
	var rate func(Target) loadgen.Spec
	for _, st := range DefaultSuite() {
		if st.Name == "rate" {
			rate = st.Spec
		}
	}
	if rate == nil {
		t.Fatal("no rate step")
	}
	for _, tc := range []struct {
		closed, want float64
	}{{0, 700}, {117, 82}, {10000, 700}} {
		if got := rate(Target{Slots: 7, Closed: tc.closed}).Rate; got != tc.want {
			t.Errorf("closed loop %.0f msgs/s: rate %.0f, want %.0f", tc.closed, got, tc.want)
		}
	}
}
