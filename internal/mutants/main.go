// Command mutants is wslab's own mutation check: it puts each realistic bug
// of a list (list.go) into the code, one at a time, runs the tests named
// for it and expects them to FAIL. A mutant whose tests pass "survived": the
// suite no longer guards against that bug. The tree is never modified: each
// mutant is a go build overlay (-overlay), so an interrupted run leaves
// nothing behind.
//
//	go run ./internal/mutants            # every mutant (make mutants)
//	go run ./internal/mutants -run echo  # those whose name matches "echo"
//	go run ./internal/mutants -list      # print the list
//	go run ./internal/mutants -j 1       # every mutant one at a time
//
// The mutants whose tests only compute (their package is computeOnly, or
// the mutant is marked Pure) run -j at a time (2), the others one at a
// time after them.
//
// Exit status: 0 every mutant killed; 1 a mutant survived, no longer
// applies (its original snippet is not in the file exactly once: update
// the list with the code) or does not compile; 2 usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Mutant is one bug put into one file.
type Mutant struct {
	Name string
	File string // relative to the module root
	From string // exact original snippet; must occur exactly once in File
	To   string // what replaces it
	Pkgs []string
	Run  string // go test -run filter (empty: every test of Pkgs)
	// Pure says the tests Run names only compute (no socket, emulated
	// link, timer or sleep), although their package has tests that time:
	// the mutant may share the CPUs with another. Mark it only when every
	// test the filter matches is so; a timing test run side by side could
	// fail for want of CPU and hide a survivor.
	Pure bool
}

type outcome int

const (
	killed outcome = iota
	survived
	stale
	broken
)

var outcomeNames = [...]string{"killed", "SURVIVED", "STALE (snippet not found once)", "BROKEN (does not build)"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	filter := fs.String("run", "", "only mutants whose name matches the regular expression `RE`")
	list := fs.Bool("list", false, "print the mutants and exit")
	timeout := fs.Duration("timeout", 3*time.Minute, "go test -timeout for each mutant (a hang counts as killed)")
	goCmd := fs.String("go", "go", "the go command")
	jobs := fs.Int("j", 2, "how many mutants whose tests only compute run at once (at most the CPUs)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(stderr, "mutants:", err)
		return 2
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(stderr, "mutants: -run:", err)
		return 2
	}
	var sel []Mutant
	for _, m := range Mutants {
		if re.MatchString(m.Name) {
			sel = append(sel, m)
		}
	}
	if *list {
		for _, m := range sel {
			fmt.Fprintf(stdout, "%-45s %s  (%s -run %q)\n", m.Name, m.File, strings.Join(m.Pkgs, " "), m.Run)
		}
		return 0
	}
	if len(sel) == 0 {
		fmt.Fprintf(stderr, "mutants: no mutant matches %q\n", *filter)
		return 2
	}
	tmp, err := os.MkdirTemp("", "wslab-mutants-")
	if err != nil {
		fmt.Fprintln(stderr, "mutants:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	bad := 0
	start := time.Now()
	var mu sync.Mutex
	one := func(i int) {
		m := sel[i]
		t0 := time.Now()
		o, detail := check(root, tmp, i, m, *goCmd, *timeout)
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, "%-45s %-8s %5.1fs\n", m.Name, outcomeNames[o], time.Since(t0).Seconds())
		if o != killed {
			bad++
			if detail != "" {
				fmt.Fprintf(stdout, "    %s\n", strings.ReplaceAll(strings.TrimSpace(detail), "\n", "\n    "))
			}
		}
	}
	// The mutants whose tests only compute (sideBySide) run *jobs at a
	// time; then the others, whose tests time real sockets, emulated links
	// and CPUs, one at a time: a test that failed only because another
	// mutant's tests shared its cores would hide a survivor.
	var alone []int
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(*jobs, runtime.NumCPU())) {
		wg.Go(func() {
			for i := range work {
				one(i)
			}
		})
	}
	for i, m := range sel {
		if sideBySide(m) {
			work <- i
		} else {
			alone = append(alone, i)
		}
	}
	close(work)
	wg.Wait()
	for _, i := range alone {
		one(i)
	}
	fmt.Fprintf(stdout, "%d mutants, %d killed, %d not (%.0fs)\n", len(sel), len(sel)-bad, bad, time.Since(start).Seconds())
	if bad > 0 {
		return 1
	}
	return 0
}

// computeOnly are the packages whose tests time nothing: the codec, the
// sans-I/O firmware, the run records, the gate's parsing, the plots.
var computeOnly = map[string]bool{"./core": true, "./firmware": true,
	"./results": true, "./bench/gate": true, "./plots": true}

// sideBySide reports whether m's tests may share the CPUs with another
// mutant's: they are marked Pure, or every package they run is computeOnly.
func sideBySide(m Mutant) bool {
	if m.Pure {
		return m.Run != ""
	}
	for _, p := range m.Pkgs {
		if !computeOnly[p] {
			return false
		}
	}
	return len(m.Pkgs) > 0
}

// check applies m through an overlay and runs its tests.
func check(root, tmp string, i int, m Mutant, goCmd string, timeout time.Duration) (outcome, string) {
	path := filepath.Join(root, m.File)
	src, err := os.ReadFile(path)
	if err != nil {
		return stale, err.Error()
	}
	if n := bytes.Count(src, []byte(m.From)); n != 1 {
		return stale, fmt.Sprintf("%s holds the original snippet %d times, want once:\n%s", m.File, n, m.From)
	}
	mutated := bytes.Replace(src, []byte(m.From), []byte(m.To), 1)
	mfile := filepath.Join(tmp, fmt.Sprintf("m%d.go", i))
	if err := os.WriteFile(mfile, mutated, 0o644); err != nil {
		return broken, err.Error()
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {path: mfile}})
	ovFile := filepath.Join(tmp, fmt.Sprintf("overlay%d.json", i))
	if err := os.WriteFile(ovFile, ov, 0o644); err != nil {
		return broken, err.Error()
	}
	args := []string{"test", "-count=1", "-p", "1", "-overlay", ovFile, "-timeout", timeout.String()}
	if m.Run != "" {
		args = append(args, "-run", m.Run)
	}
	args = append(args, m.Pkgs...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	s := string(out)
	if err == nil && strings.Contains(s, "no tests to run") {
		return broken, "the -run filter matches no test in " + strings.Join(m.Pkgs, " ")
	}
	if err == nil {
		return survived, "tests passed with the bug in place: " + goCmd + " " + strings.Join(args, " ")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return broken, err.Error()
	}
	if strings.Contains(s, "no tests to run") {
		return broken, "the -run filter matches no test in " + strings.Join(m.Pkgs, " ")
	}
	if strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]") || strings.Contains(s, "no test files") {
		return broken, tail(s)
	}
	return killed, ""
}

func tail(s string) string {
	if len(s) > 1500 {
		return "..." + s[len(s)-1500:]
	}
	return s
}

// moduleRoot is the folder holding go.mod, from the working directory up.
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", errors.New("no go.mod above the working directory")
		}
		d = p
	}
}
