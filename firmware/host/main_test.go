//go:build linux

package host_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// childBoardEnv makes the test binary, re-executed by startChildBoard, run
// a board instead of the tests: TestMain sees the variable, starts a board
// with the JSON firmware.Config it holds, prints the board's address and
// serves until its standard input closes. The board then has a process of
// its own, so its Mallocs count only the board and the Go runtime, not the
// test's clients.
const childBoardEnv = "WSLAB_TEST_CHILD_BOARD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childBoardEnv); spec != "" {
		os.Exit(runChildBoard(spec))
	}
	os.Exit(m.Run())
}

// runChildBoard is the child process. It speaks a line protocol on stdin
// and stdout:
//
//	-> addr HOST:PORT       (once the board listens)
//	<- snap                 take a heap profile snapshot
//	-> ok
//	<- diff                 report allocations since the snapshot
//	-> alloc N FRAME|FRAME|...   (one line per allocation site)
//	-> end
//
// Every allocation is sampled (MemProfileRate 1), so the diff names each
// one with its stack and the parent can tell the board's code from the
// runtime's.
func runChildBoard(spec string) int {
	runtime.MemProfileRate = 1
	var cfg firmware.Config
	if err := json.Unmarshal([]byte(spec), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child board config:", err)
		return 2
	}
	srv, err := host.Start(host.Options{Board: cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child board:", err)
		return 1
	}
	// Start the GC's workers now: the first cycle creates them, and that
	// must not fall inside a measured phase.
	runtime.GC()
	fmt.Printf("addr %s\n", srv.Addr())
	var base map[[32]uintptr]int64
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "snap":
			runtime.GC()
			base = memProfile()
			fmt.Println("ok")
		case "diff":
			runtime.GC()
			for stk, n := range memProfile() {
				if d := n - base[stk]; d > 0 {
					fmt.Printf("alloc %d %s\n", d, frames(stk))
				}
			}
			fmt.Println("end")
		}
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child board:", err)
		return 1
	}
	return 0
}

// memProfile returns the allocation count of every allocation site.
func memProfile() map[[32]uintptr]int64 {
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	m := make(map[[32]uintptr]int64, len(recs))
	for _, r := range recs {
		m[r.Stack0] += r.AllocObjects
	}
	return m
}

func frames(stk [32]uintptr) string {
	var pcs []uintptr
	for _, pc := range stk {
		if pc == 0 {
			break
		}
		pcs = append(pcs, pc)
	}
	var parts []string
	fr := runtime.CallersFrames(pcs)
	for {
		f, more := fr.Next()
		parts = append(parts, fmt.Sprintf("%s %s:%d", f.Function, f.File, f.Line))
		if !more {
			break
		}
	}
	return strings.Join(parts, "|")
}

// childBoard is a board running in a child process.
type childBoard struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	send  func(string) error
	lines chan string
	Addr  string
}

// startChildBoard re-executes the test binary as a board with cfg.
func startChildBoard(t testing.TB, cfg firmware.Config) *childBoard {
	t.Helper()
	spec, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childBoardEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child board: %v", err)
	}
	c := &childBoard{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 1024)}
	c.send = func(s string) error { _, err := fmt.Fprintln(stdin, s); return err }
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("child board: %v", err)
			}
		case <-time.After(opTimeout):
			cmd.Process.Kill()
			<-done
			t.Errorf("child board did not stop when its stdin closed")
		}
	})
	line := c.line()
	addr, ok := strings.CutPrefix(line, "addr ")
	if !ok {
		t.Fatalf("child board said %q, want its address", line)
	}
	c.Addr = addr
	return c
}

func (c *childBoard) line() string {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatal("child board exited")
		}
		return l
	case <-time.After(opTimeout):
		c.t.Fatal("child board did not answer")
	}
	return ""
}

// snap takes the heap profile snapshot that diff compares with.
func (c *childBoard) snap() {
	c.t.Helper()
	if err := c.send("snap"); err != nil {
		c.t.Fatal(err)
	}
	if l := c.line(); l != "ok" {
		c.t.Fatalf("child board said %q to snap", l)
	}
}

// allocSite is an allocation site the child reported.
type allocSite struct {
	N      int64
	Frames []string // "function file:line", innermost first
}

// diff returns the allocation sites since snap.
func (c *childBoard) diff() []allocSite {
	c.t.Helper()
	if err := c.send("diff"); err != nil {
		c.t.Fatal(err)
	}
	var sites []allocSite
	for {
		l := c.line()
		if l == "end" {
			return sites
		}
		var s allocSite
		var rest string
		if _, err := fmt.Sscanf(l, "alloc %d", &s.N); err != nil {
			c.t.Fatalf("child board said %q", l)
		}
		_, rest, _ = strings.Cut(strings.TrimPrefix(l, "alloc "), " ")
		s.Frames = strings.Split(rest, "|")
		sites = append(sites, s)
	}
}
