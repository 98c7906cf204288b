package foreign

import (
	"github.com/wslab/wslab/internal/testenv"

	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// missing skips a test that needs something the machine lacks, or fails it
// in CI (CI set), where .ci/run installs it.
func missing(t *testing.T, what string) {
	t.Helper()
	testenv.SkipOrFail(t, "%s (CI must provide it: .ci/run installs libwebsockets-dev, libcivetweb-dev, gcc, pkg-config, python3 and runs as root)", what)
}

// needCgroup skips (or fails in CI) without root and cgroup v1.
func needCgroup(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root for cgroups")
	}
	for _, c := range []string{"cpu", "cpuacct", "memory"} {
		if _, err := os.Stat(filepath.Join(CgroupRoot, c, "cgroup.procs")); err != nil {
			missing(t, "needs the cgroup v1 "+c+" controller at "+CgroupRoot)
		}
	}
}

// buildC compiles testdata/src with gcc against the given pkg-config
// packages and plain libraries, once per test binary run.
func buildC(t *testing.T, src string, pkgs []string, libs ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		missing(t, "gcc not installed")
	}
	args := []string{"-O2", "-Wall", "-o"}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(src, ".c"))
	args = append(args, out, filepath.Join("testdata", src))
	if len(pkgs) > 0 {
		flags, err := exec.Command("pkg-config", append([]string{"--cflags", "--libs"}, pkgs...)...).Output()
		if err != nil {
			missing(t, "pkg-config finds no "+strings.Join(pkgs, ", ")+" (libwebsockets-dev)")
		}
		args = append(args, strings.Fields(string(flags))...)
	}
	args = append(args, libs...)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		if strings.Contains(string(b), "No such file") || strings.Contains(string(b), "cannot find -l") {
			missing(t, "headers or library for "+src+" not installed: "+string(b))
		}
		t.Fatalf("gcc %s: %v\n%s", src, err, b)
	}
	return out
}

func lwsEcho(t *testing.T) string {
	return buildC(t, "lws_echo.c", []string{"libwebsockets"})
}

func civetEcho(t *testing.T) string {
	return buildC(t, "civet_echo.c", nil, "-lcivetweb")
}

func pythonSingle(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		missing(t, "python3 not installed")
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", "single.py"))
	return py + " " + abs
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startModel runs cmd (with "PORT" replaced by a free port) under model's
// limits; mod changes the options first.
func startModel(t *testing.T, model, cmd string, mod func(*Options)) *Board {
	t.Helper()
	needCgroup(t)
	p, err := catalog.Get(model)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	share, _ := CPUShare(model)
	o := Options{Command: strings.ReplaceAll(cmd, "PORT", strconv.Itoa(port)), Port: port, Listen: "127.0.0.1:0",
		Model: model, Board: p.Board, Link: p.Link, CPUShare: share, Output: testWriter{t}, Events: testWriter{t}}
	if mod != nil {
		mod(&o)
	}
	b, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if _, err := os.Stat(filepath.Join(CgroupRoot, "cpu", b.Cgroup().Name())); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left behind", b.Cgroup().Name())
		}
	})
	return b
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// load runs a bounded scenario against the board through its relay.
func load(t *testing.T, b *Board, s loadgen.Spec) *results.Run {
	t.Helper()
	s.Target = "ws://" + b.Addr().String() + "/ws"
	if s.Timeout == 0 {
		s.Timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := loadgen.Run(ctx, s)
	if r == nil {
		t.Fatalf("load %s: %v", s.Scenario, err)
	}
	if err != nil { // the run happened; the test judges its record
		t.Logf("load %s: %v", s.Scenario, err)
	}
	return r
}
