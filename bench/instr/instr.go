// Package instr counts the machine instructions a Go benchmark executes per
// operation, by running its test binary under valgrind's callgrind, and
// writes the counts as Go benchmark lines in the unit instr/op:
//
//	BenchmarkSHA1    1000    19472 instr/op
//
// Unlike ns/op the count does not depend on the machine's load, so a CI gate
// (bench/gate) can fail on a 1% rise on a noisy shared box.
//
// # What is counted
//
// The instructions from the last entry of the benchmark function (the run
// with b.N = N) to the first b.StopTimer after it: for a
// `for i := 0; i < b.N; i++` benchmark that is the whole function, set-up
// included; for a `for b.Loop()` benchmark it ends where Loop stops the
// timer. The runtime's own machinery that runs when the clock says so is
// left out (see runtimeNoise: the scheduler and its timers, stack growth,
// the page allocator and scavenger, stop-the-world for ReadMemStats); the
// benchmark's work in the runtime (memmove, allocation, maps) is counted.
//
// The testing package calls a b.N benchmark more than once (run1 with
// b.N = 1, then b.N = N) and a b.Loop benchmark once with N iterations, and
// both may do set-up outside the loop, so one count divided by N would be
// wrong. Count therefore runs the benchmark three times, with
// -test.benchtime=Nx, 2Nx and 3Nx, and takes
//
//	instr/op = (C(3N) - C(N)) / 2N
//
// in which set-up, run1 and everything else that does not grow with N
// cancels exactly. It also checks that C(2N)-C(N) and C(3N)-C(2N) agree
// within 0.5%, and refuses the benchmark (an error, not a wrong number)
// when they do not. The loop must add at least 20 million instructions
// between the N and 3N runs, so that what noise is left stays small beside
// it; Count raises N for short loops, and Result.N says what it used.
//
// A deterministic b.N benchmark gets the same count on every run (see
// TestCountDeterministic); others may move by a few instructions in 10^5,
// far below the gate's 1%. The garbage collector is off (GOGC=off), so an
// allocation costs its malloc path and no collection work: allocs/op and
// B/op, which the gate also checks, carry the rest of its cost.
//
// # How
//
// The binary runs with GOMAXPROCS=1, GODEBUG=asyncpreemptoff=1 and
// GOGC=off, so no other goroutine shares the thread, no preemption signal
// lands in the loop and no collection starts in it. Count asks callgrind to
// dump its counts at every entry of the benchmark function (of its
// closures, for a sub-benchmark) and of testing.(*B).StopTimer
// (--dump-before) and adds up each dump's per-function own costs, less
// runtimeNoise; a region is what runs from an entry to the next StopTimer.
// Go switches stacks (morestack, systemstack, cooperative preemption) in
// ways callgrind cannot follow, so it may see the function "entered" again
// inside the loop; regions explains how the pieces are put back together.
// callgrind's --toggle-collect is not used: the same confusion leaves
// collection on after the benchmark returns.
//
// A closure of the benchmark function that the loop itself calls would
// make a dump per call: keep such helpers named functions.
//
// # What the number describes
//
// Counts describe the portable code path on every host: the binary is
// built with the purego tag (the standard library's crypto and wslab's
// core take their pure-Go paths) and run with GODEBUG=cpu.all=off (the
// runtime's memmove, bytealg and cputicks take their baseline x86-64
// paths). valgrind alone does not give that: it passes AVX2 through to the
// program, and what it hides depends on its version and the host. So a
// count is the same on an AMD or an Intel CI machine, with or without AVX2
// or SHA-NI; it compares two versions of the code, not with ns/op, and it
// does not describe the assembly fast paths (their speed is in ns/op, their
// allocations in allocs/op).
//
// Tests that need valgrind skip when it is not installed.
package instr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/wslab/wslab/internal/gotool"
)

// Options configures Run.
type Options struct {
	// Dir is a directory in the module; package patterns are relative to
	// it. Empty means the current directory.
	Dir string
	// Pkgs are package patterns. Nil means "./...".
	Pkgs []string
	// Bench is the -test.bench regular expression. Empty means ".".
	Bench string
	// N is the iteration count of the smallest run (-test.benchtime=Nx);
	// the others use 2N and 3N. Zero means 1000.
	N int
	// Go and Valgrind are the commands. Empty means "go" and "valgrind".
	Go, Valgrind string
	// Log receives progress lines. Nil means io.Discard.
	Log io.Writer
}

func (o Options) withDefaults() Options {
	if o.Pkgs == nil {
		o.Pkgs = []string{"./..."}
	}
	if o.Bench == "" {
		o.Bench = "."
	}
	if o.N <= 0 {
		o.N = 1000
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Valgrind == "" {
		o.Valgrind = "valgrind"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// A Result is the instruction count of one benchmark.
type Result struct {
	// Pkg is the benchmark's import path.
	Pkg string
	// Name is the full name as `go test` prints it with GOMAXPROCS=1,
	// without the "Benchmark" prefix ("SHA1", "Sizes/size=64").
	Name string
	// N is the smallest iteration count (Options.N, or more for a short
	// loop); Counts are the loop region's counts in the runs with N, 2N
	// and 3N iterations.
	N      int
	Counts [3]int64
	// PerOp is (Counts[2]-Counts[0]) / 2N, rounded to a whole instruction.
	PerOp float64
}

// ErrNoValgrind means valgrind is not installed.
var ErrNoValgrind = errors.New("valgrind not found (apt-get install valgrind)")

// Available reports whether the valgrind command (empty means "valgrind")
// can be run, and its version.
func Available(valgrind string) (string, error) {
	if valgrind == "" {
		valgrind = "valgrind"
	}
	path, err := exec.LookPath(valgrind)
	if err != nil {
		return "", ErrNoValgrind
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Run builds the test binary of each package matching o.Pkgs (`go test -c`),
// counts the instructions per op of each benchmark matching o.Bench (see
// Count) and returns the results in package and benchmark order.
func Run(ctx context.Context, o Options) ([]Result, error) {
	o = o.withDefaults()
	if _, err := Available(o.Valgrind); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(orDot(o.Dir))
	if err != nil {
		return nil, err
	}
	pkgs, err := gotool.TestPackages(ctx, o.Go, dir, o.Pkgs)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "wslab-instr-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var all []Result
	for i, p := range pkgs {
		bin := filepath.Join(tmp, fmt.Sprintf("%d.test", i))
		fmt.Fprintf(o.Log, "instr: building %s\n", p.ImportPath)
		if err := gotool.BuildTest(ctx, o.Go, dir, p.ImportPath, bin, BuildTags...); err != nil {
			return nil, fmt.Errorf("instr: %w", err)
		}
		rs, err := Count(ctx, CountOptions{Binary: bin, Dir: p.Dir, Bench: o.Bench, N: o.N, Valgrind: o.Valgrind, Log: o.Log})
		if err != nil {
			return nil, fmt.Errorf("instr: %s: %w", p.ImportPath, err)
		}
		all = append(all, rs...)
	}
	return all, nil
}

// CountOptions configures Count.
type CountOptions struct {
	// Binary is a test binary built with `go test -c`.
	Binary string
	// Dir is the directory to run it in (its package's directory, for
	// testdata). Empty means the current directory.
	Dir string
	// Bench is the -test.bench regular expression. Empty means ".".
	Bench string
	// N is the smallest iteration count. Zero means 1000.
	N int
	// Valgrind is the valgrind command. Empty means "valgrind".
	Valgrind string
	// Log receives progress lines. Nil means io.Discard.
	Log io.Writer
}

// env is the environment every run of the binary gets: one P, so nothing
// else runs on the benchmark's thread, no asynchronous preemption signals,
// and every optional CPU feature off for the runtime (cpu.all=off): the
// runtime's memmove, memclr, bytealg and cputicks then take their baseline
// x86-64 paths whatever the host CPU offers (valgrind 3.19 cannot even
// decode RDTSCP, which runtime.cputicks uses when CPUID reports it).
var env = []string{"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1,cpu.all=off", "GOGC=off"}

// notLinearRetries is how many times a disturbed measurement is repeated
// before the benchmark is refused.
const notLinearRetries = 3

// BuildTags are the build tags of a counted binary: purego makes the
// standard library's crypto (SHA-1 of the handshake) and wslab's core
// (masking) take their portable Go paths, so a count does not depend on
// which extensions (SHA-NI, AVX2) the CPU running CI has.
var BuildTags = []string{"purego"}

// Count counts the instructions per op of each benchmark of one test binary
// matching o.Bench, as the package doc describes. It first runs the binary
// natively with -test.benchtime=1x to learn the benchmarks' full names
// (sub-benchmarks included), then runs each one alone under callgrind three
// times.
func Count(ctx context.Context, o CountOptions) ([]Result, error) {
	if o.Bench == "" {
		o.Bench = "."
	}
	if o.N <= 0 {
		o.N = 1000
	}
	if o.Valgrind == "" {
		o.Valgrind = "valgrind"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	bin, err := filepath.Abs(o.Binary)
	if err != nil {
		return nil, err
	}
	names, pkg, err := listBenchmarks(ctx, bin, o.Dir, o.Bench)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, nil
	}
	syms, err := symbols(ctx, bin)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "wslab-callgrind-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	var out []Result
	for _, name := range names {
		top, _, hasSub := strings.Cut(name, "/")
		sym, ok := findSymbol(syms, pkg, "Benchmark"+top)
		if !ok {
			return nil, fmt.Errorf("no symbol for Benchmark%s in %s", top, filepath.Base(o.Binary))
		}
		entry := sym
		if hasSub {
			// The sub-benchmark's body is a closure of the top-level
			// function.
			entry = sym + ".func*"
		}
		measure := func(n int) ([3]int64, float64, int64, error) {
			var regs [3]map[string]int64
			for i := range regs {
				fmt.Fprintf(o.Log, "instr: Benchmark%s: callgrind, %d iterations\n", name, n*(i+1))
				r, err := callgrind(ctx, o.Valgrind, bin, o.Dir, filepath.Join(tmp, fmt.Sprintf("cg%d", i)), benchRegexp(name), entry, n*(i+1))
				if err != nil {
					return [3]int64{}, 0, 0, err
				}
				regs[i] = r
			}
			return pickLoop(regs, n)
		}
		n := o.N
		counts, per, grown, err := measure(n)
		if grown > 0 && grown < minGrowth {
			// A short loop: the runtime's few hundred instructions of
			// noise are not small beside it. Lengthen it and measure
			// again.
			n *= int((minGrowth + grown - 1) / grown)
			counts, per, _, err = measure(n)
		}
		// A run the runtime disturbed (a goroutine switch that moved
		// part of the loop to another thread's dump, which happens more
		// often on a loaded machine) is measured again, never averaged:
		// a count is taken only from three runs that agree.
		for retry := 0; retry < notLinearRetries && (errors.Is(err, errNotLinear) || errors.Is(err, errLost)); retry++ {
			fmt.Fprintf(o.Log, "instr: Benchmark%s: %v; measuring again\n", name, err)
			counts, per, _, err = measure(n)
		}
		if err != nil {
			return nil, fmt.Errorf("Benchmark%s: %w", name, err)
		}
		r := Result{Pkg: pkg, Name: name, N: n, Counts: counts, PerOp: per}
		out = append(out, r)
	}
	return out, nil
}

// benchRegexp returns a -test.bench expression that matches exactly the
// benchmark with the given full name, level by level.
func benchRegexp(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		if i == 0 {
			p = "Benchmark" + p
		}
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// listBenchmarks runs bin natively with -test.benchtime=1x and returns the
// full names of the benchmarks it ran, in order, and the package.
func listBenchmarks(ctx context.Context, bin, dir, bench string) ([]string, string, error) {
	out, err := gotool.Output(ctx, dir, env, bin, "-test.run=^$", "-test.bench="+bench, "-test.benchtime=1x")
	if err != nil {
		return nil, "", err
	}
	r := benchfmt.NewReader(strings.NewReader(out), filepath.Base(bin))
	var names []string
	seen := map[string]bool{}
	var pkg string
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		pkg = res.GetConfig("pkg")
		n := res.Name.String()
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names, pkg, r.Err()
}

// symbols returns the text symbols of bin (`go tool nm`).
func symbols(ctx context.Context, bin string) (map[string]bool, error) {
	out, err := gotool.Output(ctx, "", nil, "go", "tool", "nm", bin)
	if err != nil {
		return nil, err
	}
	syms := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[1] == "T" || f[1] == "t") {
			syms[strings.Join(f[2:], " ")] = true
		}
	}
	return syms, nil
}

// findSymbol finds the benchmark function fn of package pkg, which may be
// compiled into pkg, its external test package pkg_test, or main.
func findSymbol(syms map[string]bool, pkg, fn string) (string, bool) {
	for _, p := range []string{pkg, pkg + "_test", "main"} {
		if s := p + "." + fn; syms[s] {
			return s, true
		}
	}
	return "", false
}

// Write writes results as Go benchmark lines (one "pkg:" header per
// package) that benchfmt, benchstat and bench/gate read back.
func Write(w io.Writer, results []Result) error {
	bw := benchfmt.NewWriter(w)
	for _, r := range results {
		res := &benchfmt.Result{
			Config: []benchfmt.Config{{Key: "pkg", Value: []byte(r.Pkg), File: true}},
			Name:   benchfmt.Name(r.Name),
			Iters:  r.N,
			Values: []benchfmt.Value{{Value: r.PerOp, Unit: "instr/op"}},
		}
		if err := bw.Write(res); err != nil {
			return err
		}
	}
	return nil
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}
