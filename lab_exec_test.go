package main

import (
	"github.com/wslab/wslab/internal/testenv"

	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// TestLabExecSingleClient runs the default suite on the origin's
// single-client Python server under the esp32-idf model: every step runs,
// the runs carry the process's memory series, and the connect step shows
// one client held and the others timing out in the listen backlog.
func TestLabExecSingleClient(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite (about a minute)")
	}
	py, err := exec.LookPath("python3")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run as root with python3")
		}
		t.Skip("needs root (cgroups) and python3")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	server, _ := filepath.Abs("foreign/testdata/single.py")
	dir := t.TempDir()
	var stdout, stderr lockedBuffer
	code := run([]string{"lab", "--exec", py + " " + server + " " + strconv.Itoa(port), "--exec-port", strconv.Itoa(port),
		"--results", filepath.Join(dir, "res"), "--out", filepath.Join(dir, "rep"), "--quiet"}, &stdout, &stderr)
	t.Logf("%s%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	st, err := results.Open(filepath.Join(dir, "res"))
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := results.ReadDir(st.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lab.DefaultSuite()); len(runs) != n {
		t.Fatalf("%d runs stored, want the suite's %d", len(runs), n)
	}
	for _, r := range runs {
		if r.Board.Model != "esp32-idf+single" || r.Board.Slots != 7 {
			t.Errorf("%s: board %+v", r.Scenario.Name, r.Board)
		}
		// A field scenario (browser, ladder, nodrop) answers in a line
		// and reads no memory series.
		if loadgen.Answer(r) == "" && (len(r.Heap) == 0 || r.Heap[0].HeapInUse <= 0) {
			t.Errorf("%s: no memory series", r.Scenario.Name)
		}
		// The others hang in its listen backlog: refused, of the "hung" kind.
		if r.Scenario.Name == "connect" && (r.Counts.ConnsOpened != 1 || r.Counts.ConnsRefused != r.Counts.ConnsAttempted-1 || r.Errors["hung"] == 0) {
			t.Errorf("connect: %d of %d opened, %d refused (%v); want one held, the others hung in the backlog",
				r.Counts.ConnsOpened, r.Counts.ConnsAttempted, r.Counts.ConnsRefused, r.Errors)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rep", "index.html")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(stdout.String(), "foreign board esp32-idf+single") {
		t.Errorf("no foreign board line")
	}
}

// TestLabExecCServers runs the default suite on the libwebsockets and
// CivetWeb echo servers: every step runs and is stored, save the HTTP file
// steps, which these servers do not serve (the lab names them and exits 1).
func TestLabExecCServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite twice (about a minute)")
	}
	need := func(what string) {
		testenv.SkipOrFail(t, "%s (CI must install libwebsockets-dev, libcivetweb-dev, gcc, pkg-config and run as root)", what)
	}
	if os.Geteuid() != 0 {
		need("needs root (cgroups)")
	}
	for _, c := range []struct{ name, src, pkg, lib string }{
		{"libwebsockets", "lws_echo.c", "libwebsockets", ""},
		{"civetweb", "civet_echo.c", "", "-lcivetweb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "server")
			args := []string{"-O2", "-o", bin, filepath.Join("foreign", "testdata", c.src)}
			if c.pkg != "" {
				flags, err := exec.Command("pkg-config", "--cflags", "--libs", c.pkg).Output()
				if err != nil {
					need("pkg-config finds no " + c.pkg)
				}
				args = append(args, strings.Fields(string(flags))...)
			}
			if c.lib != "" {
				args = append(args, c.lib)
			}
			if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
				need("cannot build " + c.src + ": " + string(out))
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			ln.Close()
			dir := t.TempDir()
			var stdout, stderr lockedBuffer
			code := run([]string{"lab", "--exec", bin + " " + port, "--exec-port", port,
				"--results", filepath.Join(dir, "res"), "--out", filepath.Join(dir, "rep"), "--quiet"}, &stdout, &stderr)
			t.Logf("%s%s", stdout.String(), stderr.String())
			// An echo server has no files and no page: the two HTTP file
			// steps fail, and the browser step may (nothing answers GET /);
			// every WebSocket step runs.
			failed := strings.Count(stderr.String(), "wslab lab:")
			browser := strings.Count(stderr.String(), "/ws browser: ")
			if code != 1 || strings.Count(stderr.String(), "/files/") != 2 || failed != 2+browser {
				t.Fatalf("exit %d, stderr %q; want 1 with only the two HTTP file steps (and the page load) failed", code, stderr.String())
			}
			st, err := results.Open(filepath.Join(dir, "res"))
			if err != nil {
				t.Fatal(err)
			}
			runs, _, err := results.ReadDir(st.Dir)
			if n := len(lab.DefaultSuite()) - failed; err != nil || len(runs) != n {
				t.Fatalf("%d runs stored (%v), want the suite's %d steps that did not fail", len(runs), err, n)
			}
			for _, r := range runs {
				if !strings.HasPrefix(r.Board.Model, "esp32-idf+") || loadgen.Answer(r) == "" && len(r.Heap) == 0 {
					t.Errorf("%s: board %q, %d memory samples", r.Scenario.Name, r.Board.Model, len(r.Heap))
				}
				if r.Scenario.Name == "echo" && r.Counts.MsgsReceived == 0 {
					t.Errorf("echo: nothing came back")
				}
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer that the command and the foreign server's
// output and events may write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
