package instr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/wslab/wslab/internal/gotool"
)

const stopTimer = "testing.(*B).StopTimer"

// linearTolerance is how far apart the two differences C(2N)-C(N) and
// C(3N)-C(2N) may be, relative to the first, before Count refuses the
// benchmark. It is half the gate's default instr/op threshold; with the
// loop adding at least minGrowth instructions it leaves room for 100,000
// instructions of runtime noise.
const linearTolerance = 0.005

// minGrowth is the fewest instructions the loop must add between the N and
// 3N runs; Count raises N for benchmarks whose loop adds fewer.
const minGrowth = 20_000_000

// callgrind runs one benchmark of bin under callgrind with n iterations,
// dumping the counts at every entry of the function matching entry and of
// testing.(*B).StopTimer, and returns the run's regions (see regions).
func callgrind(ctx context.Context, valgrind, bin, dir, outBase, bench, entry string, n int) (map[string]int64, error) {
	old, _ := filepath.Glob(outBase + ".out*")
	for _, f := range old {
		os.Remove(f)
	}
	args := []string{
		"--tool=callgrind",
		"--callgrind-out-file=" + outBase + ".out",
		"--separate-threads=yes",
		"--dump-line=no",
		"--dump-before=" + entry,
		"--dump-before=" + stopTimer,
		bin,
		"-test.run=^$",
		"-test.bench=" + bench,
		"-test.benchtime=" + strconv.Itoa(n) + "x",
	}
	if _, err := gotool.Output(ctx, dir, env, valgrind, args...); err != nil {
		return nil, explainValgrind(bench, err)
	}
	// Dumps are named OUT.<part>-<thread>; the end-of-program dumps,
	// OUT-<thread>, hold the exit path and are ignored.
	files, err := filepath.Glob(outBase + ".out.*")
	if err != nil {
		return nil, err
	}
	byPart := map[int]dump{}
	for _, f := range files {
		d, err := readDump(f)
		if err != nil {
			return nil, err
		}
		// One file per thread: a part's count is its busiest
		// thread's, the one that ran the benchmark (which thread that
		// is varies between runs; the others are the runtime's).
		if prev, ok := byPart[d.part]; !ok || d.total > prev.total {
			byPart[d.part] = d
		}
	}
	if len(byPart) == 0 {
		return nil, errors.New("callgrind wrote no dump (did the benchmark run?)")
	}
	ds := make([]dump, 0, len(byPart))
	for _, d := range byPart {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].part < ds[j].part })
	return regions(ds), nil
}

// A dump is one callgrind dump: the instructions since the previous dump,
// up to the entry of a function.
type dump struct {
	part  int
	stop  bool  // ended at StopTimer, not at the benchmark function's entry
	total int64 // instructions, less runtimeNoise
}

// regions returns the counted regions of one run, keyed by the ordinal of
// the StopTimer dump that ends each: a region runs from an entry of the
// benchmark function to the next StopTimer.
//
// Callgrind may see the function "entered" again inside the loop, when Go
// switches stacks and execution comes back into the function in a way
// callgrind cannot match to a call (the stack growing in the first
// iteration; a preemption), which splits the region into several dumps. So
// a split region comes in two readings: "K/all" adds up everything after
// the first entry, "K/last" only what follows the last one. A stack growth
// in the first iteration is cut off by "last" alike in every run, which
// cancels in the difference and keeps its noise out; a preemption mid-loop
// cuts a random part of the loop off "last", which "all" keeps. pickLoop
// pickLoop takes the reading that is linear in N.
//
// A third reading, "K/stops", adds up everything since the previous
// StopTimer, entries or not. Callgrind does not always see the benchmark
// function entered: when the goroutine that runs it starts on a stack
// callgrind's call tracking has not followed (seen on a CI machine, where
// runN's region came without its entry dump and the loop was lost), the
// loop has no entry-to-StopTimer region at all. Between two StopTimers lie
// only the loop and testing's constant set-up, which cancels in the
// differences pickLoop takes.
func regions(ds []dump) map[string]int64 {
	out := map[string]int64{}
	stops := 0
	prev := -1 // index of the previous StopTimer dump
	for i, d := range ds {
		if !d.stop {
			continue
		}
		var since int64
		for _, x := range ds[prev+1 : i+1] {
			since += x.total
		}
		out[strconv.Itoa(stops)+"/stops"] = since
		prev = i
		j := i
		for j > 0 && !ds[j-1].stop {
			j--
		}
		// ds[j] is the first entry dump of the run: its content is
		// what came before the entry; ds[j+1..i] are inside. With no
		// entry since the previous StopTimer (j == i) there is no
		// region: a second StopTimer in a row.
		if j < i {
			var sum int64
			for _, x := range ds[j+1 : i+1] {
				sum += x.total
			}
			k := strconv.Itoa(stops)
			out[k+"/all"] = sum
			if j+1 < i {
				out[k+"/last"] = d.total
			}
		}
		stops++
	}
	return out
}

// pickLoop finds the benchmark loop among the regions of the runs with N,
// 2N and 3N iterations and returns its three counts, the instructions per
// op and the most any region grew from N to 3N. The loop's region grows
// with N; the others (run1, a parent benchmark's printing) do not. Among
// the regions that grow by at least half the most, it takes the one most
// nearly linear in N, then the one that grows most; a "/stops" reading only
// when no reading from an entry is linear. When none is linear,
// grown still tells the caller how short the loop was.
func pickLoop(regs [3]map[string]int64, n int) (counts [3]int64, per float64, grown int64, err error) {
	type cand struct {
		c    [3]int64
		per  float64
		err  error
		bend int64 // |(C3-C2) - (C2-C1)|
		// fallback is a "/stops" reading: taken only when no entry-based
		// reading is linear, since it carries testing's set-up.
		fallback bool
	}
	keys := make([]string, 0, len(regs[0]))
	for k := range regs[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cands []cand
	for _, k := range keys {
		var c [3]int64
		ok := true
		for i := range regs {
			v, in := regs[i][k]
			ok = ok && in
			c[i] = v
		}
		if !ok {
			continue
		}
		p, perr := perOp(c, n)
		bend := (c[2] - c[1]) - (c[1] - c[0])
		if bend < 0 {
			bend = -bend
		}
		cands = append(cands, cand{c, p, perr, bend, strings.HasSuffix(k, "/stops")})
		if d := c[2] - c[0]; d > grown {
			grown = d
		}
	}
	better := func(a, b *cand) bool { // a better than b
		if (a.err == nil) != (b.err == nil) {
			return a.err == nil
		}
		if a.fallback != b.fallback {
			return !a.fallback
		}
		if a.bend != b.bend {
			return a.bend < b.bend
		}
		return a.c[2]-a.c[0] > b.c[2]-b.c[0]
	}
	var best *cand
	for i := range cands {
		c := &cands[i]
		if c.c[2]-c.c[0] < grown/2 {
			continue
		}
		if best == nil || better(c, best) {
			best = c
		}
	}
	switch {
	case best == nil:
		return counts, 0, grown, errors.New("callgrind found no benchmark region in every run")
	case best.err != nil:
		return best.c, 0, grown, best.err
	}
	return best.c, best.per, grown, nil
}

// errNotLinear is a measurement the runtime disturbed: the three runs'
// counts do not grow by the same amount.
var errNotLinear = errors.New("instruction counts are not linear in N")

// errLost is a run in which no region grew with N: the loop's instructions
// fell outside every region callgrind dumped.
var errLost = errors.New("no region holds the loop")

// perOp turns the counts of the N, 2N and 3N runs into instructions per op,
// or says why they are not a benchmark loop's.
func perOp(c [3]int64, n int) (float64, error) {
	d1, d2 := c[1]-c[0], c[2]-c[1]
	if d1 <= 0 || d2 <= 0 {
		return 0, fmt.Errorf("instruction counts do not grow with N (%d, %d, %d): callgrind lost the benchmark loop: %w", c[0], c[1], c[2], errLost)
	}
	if math.Abs(float64(d2-d1)) > linearTolerance*float64(d1) {
		return 0, fmt.Errorf("%w (%d, %d, %d for N=%d, %d, %d): "+
			"the loop allocates or switches goroutines, which lets the runtime in at varying times",
			errNotLinear, c[0], c[1], c[2], n, 2*n, 3*n)
	}
	return math.Round(float64(c[2]-c[0]) / float64(2*n)), nil
}

// runtimeNoise lists, by name prefix, the runtime functions whose
// instructions readDump leaves out of a region: the machinery that runs
// when the clock says so rather than when the benchmark asks, and so varies
// from run to run. A cooperative preemption every 10 ms (sysmon still
// requests them with asyncpreemptoff=1) runs the scheduler, its timers and
// netpoll; the background scavenger and page allocator get the thread then;
// a goroutine's first iterations grow its stack; b.Loop's and StopTimer's
// ReadMemStats stops the world. The benchmark's own work in the runtime
// (memmove, allocation, maps, hashing) is counted.
var runtimeNoise = []string{
	// Scheduling, timers, netpoll, locks and the clock.
	"runtime.gopreempt_m", "runtime.goschedImpl", "runtime.schedule", "runtime.findRunnable",
	"runtime.execute", "runtime.gogo", "runtime.mcall", "runtime.park_m", "runtime.wakep",
	"runtime.runq", "runtime.globrunq", "runtime.checkTimers", "runtime.(*timers)", "runtime.(*timer)",
	"runtime.netpoll", "runtime.injectglist", "runtime.stealWork", "runtime.resetspinning",
	"runtime.casgstatus", "runtime.dropg", "runtime.lock2", "runtime.unlock2", "runtime.nanotime",
	"runtime.usleep", "runtime.futex", "runtime.notewakeup", "runtime.notesleep", "runtime.semrelease",
	"runtime.semacquire", "runtime.osyield", "runtime.procyield", "runtime.handoffp", "runtime.startm",
	"runtime.stopm", "runtime.acquirep", "runtime.releasep", "internal/runtime/syscall.",
	// Stack growth and the unwinding it does.
	"runtime.morestack", "runtime.newstack", "runtime.copystack", "runtime.adjust", "runtime.stackalloc",
	"runtime.stackfree", "runtime.stackcache", "runtime.stackpool", "runtime.pcvalue", "runtime.step",
	"runtime.findfunc", "runtime.funcInfo", "runtime.funcdata", "runtime.pcdatavalue", "runtime.readvarint",
	"runtime.(*unwinder)", "runtime.(*moduledata).textAddr", "runtime.tracebackPCs", "runtime.funcspdelta",
	// The page allocator and the background scavenger.
	"runtime.(*pageAlloc)", "runtime.(*pallocBits)", "runtime.(*pallocData)", "runtime.(*pageBits)",
	"runtime.(*scavengeIndex)", "runtime.(*scavengerState)", "runtime.bgscavenge", "runtime.sysUnused",
	"runtime.madvise", "runtime.fillAligned", "runtime.(*mheap).nextSpanForSweep",
	// Stopping the world for ReadMemStats.
	"runtime.stopTheWorld", "runtime.startTheWorld", "runtime.readmemstats_m", "runtime.(*consistentHeapStats)",
	"runtime.ReadMemStats", "runtime.(*sysMemStat)", "runtime.(*heapStatsDelta)", "runtime.(*gcControllerState)",
	"runtime.forEachP", "runtime.preemptall", "runtime.preemptone", "runtime.procresize",
}

// isNoise reports whether fn (a callgrind function name, maybe with a
// recursion suffix like "'2") is in runtimeNoise.
func isNoise(fn string) bool {
	if i := strings.IndexByte(fn, '\''); i >= 0 {
		fn = fn[:i]
	}
	for _, p := range runtimeNoise {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// readDump reads one callgrind dump file: its part number, its trigger and
// the instructions it holds less those of runtimeNoise functions. It adds
// up each function's own (exclusive) cost lines, which callgrind attributes
// by instruction address and so gets right even when it loses track of Go's
// call stacks, and checks the sum against the file's "totals:" line.
func readDump(path string) (dump, error) {
	f, err := os.Open(path)
	if err != nil {
		return dump{}, err
	}
	defer f.Close()
	d := dump{part: -1}
	names := map[string]string{} // compressed "(id)" -> name
	var (
		fnNoise   bool  // the current fn= is runtime noise
		skipNext  bool  // the next cost line is a call's inclusive cost
		all, kept int64 // own costs, all and not noise
		totals    int64 = -1
	)
	name := func(spec string) string {
		// "(12) runtime.mcall" defines id 12; "(12)" uses it.
		if strings.HasPrefix(spec, "(") {
			if i := strings.IndexByte(spec, ')'); i > 0 {
				id, rest := spec[:i+1], strings.TrimSpace(spec[i+1:])
				if rest != "" {
					names[id] = rest
					return rest
				}
				return names[id]
			}
		}
		return spec
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		switch c := line[0]; {
		case c >= '0' && c <= '9' || c == '+' || c == '-' || c == '*':
			if skipNext {
				skipNext = false
				continue
			}
			fs := strings.Fields(line)
			if len(fs) < 2 {
				continue // a position without events
			}
			v, err := strconv.ParseInt(fs[1], 10, 64)
			if err != nil {
				return d, fmt.Errorf("%s: bad cost line %q", path, line)
			}
			all += v
			if !fnNoise {
				kept += v
			}
		case strings.HasPrefix(line, "fn="):
			fnNoise = isNoise(name(line[3:]))
		case strings.HasPrefix(line, "cfn="):
			name(line[4:]) // may define a name used by a later fn=
		case strings.HasPrefix(line, "calls="):
			skipNext = true
		case strings.HasPrefix(line, "part:"):
			d.part, err = strconv.Atoi(strings.TrimSpace(line[len("part:"):]))
			if err != nil {
				return d, fmt.Errorf("%s: bad part line %q", path, line)
			}
		case strings.HasPrefix(line, "desc: Trigger:"):
			d.stop = strings.HasSuffix(line, "="+stopTimer)
		case strings.HasPrefix(line, "totals:"):
			if totals, err = firstCount(line[len("totals:"):]); err != nil {
				return d, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	if d.part < 0 {
		return d, fmt.Errorf("%s: no part: line (not a callgrind dump?)", path)
	}
	if totals >= 0 && totals != all {
		return d, fmt.Errorf("%s: own costs add up to %d, totals: says %d (callgrind format not understood)", path, all, totals)
	}
	d.total = kept
	return d, nil
}

// ParseTotals reads a callgrind output file and returns its first event
// count (Ir, instructions executed) from the "totals:" line, or from the
// "summary:" line when there is no totals line.
func ParseTotals(r io.Reader) (int64, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	var summary string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "totals:"):
			return firstCount(strings.TrimPrefix(line, "totals:"))
		case strings.HasPrefix(line, "summary:"):
			summary = strings.TrimPrefix(line, "summary:")
		}
	}
	if summary != "" {
		return firstCount(summary)
	}
	return 0, errors.New("no totals: or summary: line (not a callgrind output file?)")
}

func firstCount(s string) (int64, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, errors.New("empty totals line")
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// explainValgrind turns a failed valgrind run into an error that names the
// reason in one line when valgrind says it (an instruction its CPU
// emulation cannot decode, a missing tool), instead of the program's
// goroutine dump; other failures keep their output.
func explainValgrind(bench string, err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "unhandled instruction bytes:"); i >= 0 {
		line := msg[i:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		where := ""
		if k := strings.Index(msg, "valgrind: Unrecognised instruction at address"); k >= 0 {
			rest := msg[k:]
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				rest = rest[j+1:]
				if j := strings.IndexByte(rest, '\n'); j >= 0 {
					rest = rest[:j]
				}
				where = " (" + strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), "=0123456789")) + ")"
			}
		}
		return fmt.Errorf("valgrind cannot run benchmark %s on this CPU: its emulator does not decode an instruction the binary uses: %s%s; "+
			"the counted binary runs with GODEBUG=cpu.all=off and the purego tag to avoid optional instructions, so this one is in code that ignores both", bench, strings.TrimSpace(line), where)
	}
	if strings.Contains(msg, "executable file not found") {
		return fmt.Errorf("valgrind is not installed (apt-get install valgrind): %w", err)
	}
	return err
}
