package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Mistakes users make get an answer that says what to type, before
// anything runs.
func TestArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	jobs := []string{"--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--duration", "5"}, "durations need a unit, e.g. 5s"},
		{[]string{"load", "--duration=5"}, "durations need a unit"},
		{[]string{"load", "--target", "192.168.1.50/ws"}, "did you mean ws://192.168.1.50/ws"},
		{append([]string{"lab", "--target", "192.168.1.50"}, jobs...), "did you mean ws://192.168.1.50"},
		{append([]string{"lab", "--models", "esp32-idf,nosuch-board"}, jobs...), `model "nosuch-board"`},
		{append([]string{"compare", "--models", "nosuch-board"}, jobs...), `model "nosuch-board"`},
		{append([]string{"sweep", "--model", "nosuch-board"}, jobs...), `model "nosuch-board"`},
		{append([]string{"sweep", "--goal", "p99<20m"}, jobs...), "use ms or min"},
		{append([]string{"sweep", "--duration", "2"}, jobs...), "durations need a unit"},
		{append([]string{"lab", "--threshold", "p99<NaNms"}, jobs...), "--threshold"},
		{append([]string{"sweep", "--cpu-quota", "4%,8%"}, jobs...), "-cpu-quota needs -exec"},
		{append([]string{"sweep", "--exec", "true", "--exec-port", "9", "--cpu-quota", "4%,fast"}, jobs...), `-cpu-quota "fast"`},
		{append([]string{"sweep", "--exec", "true", "--exec-port", "9", "--mem-limit", "64MiB,lots"}, jobs...), `-mem-limit "lots"`},
		{append([]string{"sweep", "--exec", "true", "--cpu-quota", "4%"}, jobs...), "-exec needs -exec-port"},
		{append([]string{"sweep", "--link-mbps", "1,5"}, jobs...), "-link-mbps needs -exec"},
		{append([]string{"sweep", "--exec", "true", "--exec-port", "9", "--link-mbps", "1,fast"}, jobs...), `-link-mbps "fast"`},
	} {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := run(tc.args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
		if strings.Count(stderr.String(), "\n") > 2 {
			t.Errorf("%v: %d lines of error, want one:\n%s", tc.args, strings.Count(stderr.String(), "\n"), stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "r")); err == nil {
			t.Fatalf("%v: a refused job created its results folder (ran something) after %v", tc.args, time.Since(start))
		}
	}
}

// Killing the lab with SIGKILL leaves no emulated board running, and the
// board's temporary upload store removed.
func TestBoardDiesWithLab(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wslab and starts the lab")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wslab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "lab", "--models", "esp8266", "--quiet", "--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o"))
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stores := func() []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "wslab-board-store-*"))
		return m
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var board int
	for deadline := time.Now().Add(30 * time.Second); (board == 0 || len(stores()) == 0) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if board == 0 {
			board = childNamed(cmd.Process.Pid, "board")
		}
	}
	if board == 0 || len(stores()) == 0 {
		t.Fatalf("the lab started no board child with its store within 30 s (board %d, stores %v)", board, stores())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(board) {
			if left := stores(); len(left) > 0 {
				t.Errorf("the board died with the lab but left its store behind: %v", left)
			}
			return
		}
	}
	syscall.Kill(board, syscall.SIGKILL)
	t.Errorf("board %d still running 10 s after the lab was killed", board)
}

// childNamed returns the pid of a child of parent whose command line holds
// word, or 0.
func childNamed(parent int, word string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != strconv.Itoa(parent) {
			continue
		}
		cl, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.Contains(string(cl), word) {
			return pid
		}
	}
	return 0
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
