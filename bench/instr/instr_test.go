package instr

import (
	"github.com/wslab/wslab/internal/testenv"

	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wslab/wslab/bench/gate"
)

// detbench is a package of deterministic, allocation-free benchmarks.
const detbench = "./testdata/detbench"

func needValgrind(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping callgrind runs in -short mode")
	}
	if _, err := Available(""); err != nil {
		testenv.SkipOrFail(t, "skipping: %v; CI installs valgrind", err)
	}
}

func buildDetbench(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "detbench.test")
	out, err := exec.Command("go", "test", "-c", "-o", bin, detbench).CombinedOutput()
	if err != nil {
		t.Fatalf("go test -c %s: %v\n%s", detbench, err, out)
	}
	return bin
}

// TestCountDeterministic counts the same binary twice. The b.N loops that
// run on the goroutine's first stack (a 16 KiB XOR loop, the Sizes
// sub-benchmarks) must give identical instr/op. Two may move by a few
// instructions in 10^5: SHA-1 of 1 KiB, whose 1.4 KiB frame grows the
// fresh goroutine's stack in the first iteration (the stack allocator's
// path varies with the heap's state), and the b.Loop XOR, whose region
// holds testing's ReadMemStats.
func TestCountDeterministic(t *testing.T) {
	needValgrind(t)
	bin := buildDetbench(t)
	opts := CountOptions{Binary: bin, Dir: detbench, Bench: "^Benchmark(SHA1|XOR|XORLoop|Sizes)$", N: 200}
	var runs [2][]Result
	for i := range runs {
		rs, err := Count(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = rs
	}
	want := []string{"SHA1", "XOR", "XORLoop", "Sizes/size=64", "Sizes/size=4096"}
	for i := range runs {
		var got []string
		for _, r := range runs[i] {
			got = append(got, r.Name)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("run %d counted %q, want %q", i, got, want)
		}
	}
	for i, a := range runs[0] {
		b := runs[1][i]
		t.Logf("Benchmark%s: %v instr/op (counts %v, then %v)", a.Name, a.PerOp, a.Counts, b.Counts)
		if a.Name == "XORLoop" || a.Name == "SHA1" {
			if math.Abs(a.PerOp-b.PerOp) > 1e-4*a.PerOp {
				t.Errorf("Benchmark%s: %v instr/op, then %v", a.Name, a.PerOp, b.PerOp)
			}
		} else if a.PerOp != b.PerOp {
			t.Errorf("Benchmark%s: %v instr/op, then %v", a.Name, a.PerOp, b.PerOp)
		}
		if a.PerOp <= 0 {
			t.Errorf("Benchmark%s: %v instr/op", a.Name, a.PerOp)
		}
	}
	// The sub-benchmarks run the same loop over 64 and 4096 bytes: the
	// per-op counts must scale with the length (11 instructions a byte in
	// the loop plus a call's overhead), which a count that included set-up
	// or run1 would not.
	small, large := runs[0][3].PerOp, runs[0][4].PerOp
	perByte := (large - small) / (4096 - 64)
	if perByte < 5 || perByte > 20 {
		t.Errorf("Sizes: %v and %v instr/op give %v instructions a byte", small, large, perByte)
	}
	if over := small - 64*perByte; over < 0 || over > 200 {
		t.Errorf("Sizes/size=64: overhead %v instructions beyond the loop", over)
	}

	// BenchmarkXOR and BenchmarkXORLoop run the same 16 KiB loop, once
	// with b.N and once with b.Loop: their counts differ only by the
	// loop's few instructions of bookkeeping.
	if d := math.Abs(runs[0][1].PerOp - runs[0][2].PerOp); d > 20 {
		t.Errorf("XOR %v vs XORLoop %v instr/op: the b.N and b.Loop counts differ by %v", runs[0][1].PerOp, runs[0][2].PerOp, d)
	}

	// What Write prints, gate reads back.
	var buf bytes.Buffer
	if err := Write(&buf, runs[0]); err != nil {
		t.Fatal(err)
	}
	set, err := gate.Read(&buf, "instr")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Values(gate.Key{Pkg: runs[0][0].Pkg, Name: "SHA1"}, "instr/op"); len(got) != 1 || got[0] != runs[0][0].PerOp {
		t.Errorf("read back SHA1 instr/op = %v, want [%v]", got, runs[0][0].PerOp)
	}
}

func TestPerOp(t *testing.T) {
	for _, tc := range []struct {
		counts [3]int64
		n      int
		want   float64
		ok     bool
	}{
		// set-up 500 + run1 100 + 100 per op: the set-up cancels.
		{[3]int64{500 + 100 + 10*100, 500 + 100 + 20*100, 500 + 100 + 30*100}, 10, 100, true},
		// noise well under 0.5% is rounded away
		{[3]int64{1_000_000, 2_000_010, 3_000_000}, 1000, 1000, true},
		// not linear: a loop that allocates
		{[3]int64{57539, 3026155, 3100000}, 1000, 0, false},
		// does not grow
		{[3]int64{16, 16, 16}, 1000, 0, false},
	} {
		got, err := perOp(tc.counts, tc.n)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("perOp(%v, %d) = %v, %v; want %v, ok=%v", tc.counts, tc.n, got, err, tc.want, tc.ok)
		}
	}
}

func TestPickLoop(t *testing.T) {
	// Parts as callgrind numbers them for a b.N benchmark: 1 is noise
	// before the loop, 2 the loop, 3 the printing after it, which at
	// small N is larger than the loop but does not grow.
	dumps := [3]map[string]int64{
		{"1": 16, "2": 147018, "3": 149932},
		{"1": 16, "2": 294018, "3": 149673},
		{"1": 16, "2": 441018, "3": 150385},
	}
	c, per, grown, err := pickLoop(dumps, 200)
	if err != nil || per != 735 || c != [3]int64{147018, 294018, 441018} || grown != 294000 {
		t.Errorf("pickLoop = %v, %v, %v, %v; want part 2, 735, grown 294000", c, per, grown, err)
	}
	dumps[2] = map[string]int64{"1": 16, "2": 500000, "3": 150385}
	if _, _, grown, err := pickLoop(dumps, 200); err == nil || !strings.Contains(err.Error(), "not linear") || grown != 500000-147018 {
		t.Errorf("pickLoop on a non-linear loop: grown %v, err = %v", grown, err)
	}
}

func TestParseTotals(t *testing.T) {
	const file = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npart: 2\nthread: 1\n" +
		"events: Ir\nsummary: 147018\n\nfn=(1) main\n0 3\n\ntotals: 147018\n"
	got, err := ParseTotals(strings.NewReader(file))
	if err != nil || got != 147018 {
		t.Errorf("ParseTotals = %d, %v", got, err)
	}
	if _, err := ParseTotals(strings.NewReader("PASS\n")); err == nil {
		t.Error("ParseTotals of a non-callgrind file: no error")
	}
}

func TestBenchRegexp(t *testing.T) {
	for name, want := range map[string]string{
		"SHA1":            `^BenchmarkSHA1$`,
		"Sizes/size=4096": `^BenchmarkSizes$/^size=4096$`,
		"A/b.c(1)":        `^BenchmarkA$/^b\.c\(1\)$`,
	} {
		if got := benchRegexp(name); got != want {
			t.Errorf("benchRegexp(%q) = %q, want %q", name, got, want)
		}
	}
}

// Of two readings of a split region, pickLoop takes the linear one.
func TestPickLoopReadings(t *testing.T) {
	// SHA-1: the stack grows in the first iteration; "all" carries its
	// noise, "last" cuts it off the same way in every run.
	regs := [3]map[string]int64{
		{"1/all": 3874944 + 34794, "1/last": 3874944},
		{"1/all": 7769344 + 35235, "1/last": 7769344},
		{"1/all": 11663744 + 34102, "1/last": 11663744},
	}
	if _, per, _, err := pickLoop(regs, 200); err != nil || per != 19472 {
		t.Errorf("stack growth: per %v, err %v; want 19472 from the last reading", per, err)
	}
	// A preemption mid-loop split the 3N run at a random point: only
	// "all" is linear.
	regs = [3]map[string]int64{
		{"1/all": 4000000 + 900},
		{"1/all": 8000000 + 900},
		{"1/all": 12000000 + 900, "1/last": 5123456},
	}
	regs[0]["1/last"], regs[1]["1/last"] = 4000000, 8000000
	if _, per, _, err := pickLoop(regs, 1000); err != nil || per != 4000 {
		t.Errorf("preemption: per %v, err %v; want 4000 from the all reading", per, err)
	}
}

func TestRegions(t *testing.T) {
	e := func(n int64) dump { return dump{total: n} }
	st := func(n int64) dump { return dump{stop: true, total: n} }
	ds := []dump{
		e(900),   // before run1's entry
		st(100),  // run1, b.N = 1: region 0
		e(5000),  // runN's GC and set-up, before the entry
		e(40),    // loop, up to a spurious re-entry
		e(30),    // and another
		st(30),   // the rest of the loop: region 1 = 100
		st(7),    // a second StopTimer: no region
		e(3),     // exit path
		st(1000), // region 3
	}
	for i := range ds {
		ds[i].part = i + 1
	}
	got := regions(ds)
	want := map[string]int64{"0/all": 100, "1/all": 100, "1/last": 30, "3/all": 1000,
		"0/stops": 1000, "1/stops": 5100, "2/stops": 7, "3/stops": 1003}
	if len(got) != len(want) {
		t.Fatalf("regions = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("regions = %v, want %v", got, want)
		}
	}
}

// A binary valgrind cannot decode fails with one line naming the
// instruction and where, not with the program's goroutine dump.
func TestExplainValgrind(t *testing.T) {
	stderr := "vex amd64->IR: unhandled instruction bytes: 0xF 0x1 0xF9 0x48 0xC1 0xE2 0x20 0x48\n" +
		"vex amd64->IR:   REX=0 REX.W=0 REX.R=0 REX.X=0 REX.B=0\n" +
		"==123== valgrind: Unrecognised instruction at address 0x474e40.\n" +
		"==123==    at 0x474E40: runtime.cputicks (asm_amd64.s:1000)\n" +
		"goroutine 1 [running]:\nmain.main()\n"
	err := explainValgrind("BenchmarkX", fmt.Errorf("valgrind --tool=callgrind: exit status 1\n%s", stderr))
	msg := err.Error()
	for _, want := range []string{"BenchmarkX", "0xF 0x1 0xF9", "runtime.cputicks", "cpu.all=off"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "goroutine") || strings.Contains(msg, "\n") {
		t.Errorf("error is not one line without the dump: %q", msg)
	}
	if err := explainValgrind("B", errors.New("plain")); err.Error() != "plain" {
		t.Errorf("other failures must keep their text, got %q", err)
	}
}

// The CI machine's failure: callgrind saw BenchmarkSHA1 entered in run1 but
// not in runN, so no entry-to-StopTimer region held the loop and every
// reading was run1's one op (47372, 47372, 47372). The dumps below are this
// machine's for N = 400, 800, 1200 with runN's entry dump removed; the
// count must still come out at the loop's 47354 instructions an op.
func TestRegionsLostEntry(t *testing.T) {
	run := func(loop int64) []dump {
		ds := []dump{
			{part: 1, total: 2576020},           // up to run1's entry
			{part: 2, stop: true, total: 47372}, // run1
			// runN's entry dump is missing: its set-up and the loop
			// come in one dump ending at StopTimer.
			{part: 3, stop: true, total: 905398 + loop},
			{part: 4, stop: true, total: 27785}, // testing's last StopTimer
		}
		return ds
	}
	var regs [3]map[string]int64
	for i := range regs {
		regs[i] = regions(run(int64(i+1) * 400 * 47354))
	}
	if _, per, _, err := pickLoop(regs, 400); err != nil || per != 47354 {
		t.Errorf("pickLoop with runN's entry lost: per %v, err %v; want 47354", per, err)
	}
	// With the entry there, the entry-based reading still gives the
	// same figure.
	for i := range regs {
		ds := run(0)
		ds = []dump{ds[0], ds[1], {part: 3, total: 905398}, {part: 4, stop: true, total: int64(i+1) * 400 * 47354}, {part: 5, stop: true, total: 27785}}
		regs[i] = regions(ds)
	}
	if _, per, _, err := pickLoop(regs, 400); err != nil || per != 47354 {
		t.Errorf("pickLoop with the entry: per %v, err %v; want 47354", per, err)
	}
}
