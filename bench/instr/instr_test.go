package instr

import (
	"bytes"
	"context"
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
		t.Skipf("skipping: %v; CI installs valgrind", err)
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

// TestCountDeterministic counts the same binary twice and wants identical
// instr/op for the b.N-style benchmarks (SHA-1 of 1 KiB, a 16 KiB XOR loop,
// sub-benchmarks), and for the b.Loop one a count within 0.01% (its counted
// region starts before testing's ReadMemStats, whose stop-the-world lets a
// few hundred instructions of background runtime work in).
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
		if a.Name == "XORLoop" {
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
	c, per, err := pickLoop(dumps, 200)
	if err != nil || per != 735 || c != [3]int64{147018, 294018, 441018} {
		t.Errorf("pickLoop = %v, %v, %v; want part 2, 735", c, per, err)
	}
	dumps[2] = map[string]int64{"1": 16, "2": 500000, "3": 150385}
	if _, _, err := pickLoop(dumps, 200); err == nil || !strings.Contains(err.Error(), "not linear") {
		t.Errorf("pickLoop on a non-linear loop: err = %v", err)
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
