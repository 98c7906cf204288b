package gate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// aaPairs reads the A/A pairs recorded on this machine by
// testdata/record_aa.sh: the same tree's core benchmarks run twice in a
// row, -count 6 -benchtime 100ms, while other jobs shared the two cores.
func aaPairs(t *testing.T) (a, b []string) {
	t.Helper()
	a, _ = filepath.Glob("testdata/aa/pair*_a.txt")
	for _, f := range a {
		b = append(b, strings.TrimSuffix(f, "_a.txt")+"_b.txt")
	}
	if len(a) != 10 {
		t.Fatalf("%d A/A pairs in testdata/aa, want 10 (bash bench/gate/testdata/record_aa.sh records them)", len(a))
	}
	return a, b
}

// concat reads files into one set, in order: pooled runs.
func concat(t *testing.T, name string, files []string) *Set {
	t.Helper()
	var text strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(b)
	}
	return parse(t, name, text.String())
}

// Each of the ten A/A pairs passes: identical code never fails the gate.
// With six samples a side and ~40 sec/op rows the family-wise test cannot
// reach alpha 0.01, and the rows say how many samples they would need
// (sequential pairs on a shared machine move by up to 2.4x; no threshold
// tells that from a regression, which is why --against interleaves).
func TestAAPairsPass(t *testing.T) {
	as, bs := aaPairs(t)
	for i := range as {
		rep := Compare(read(t, as[i]), read(t, bs[i]), Options{})
		if rep.Failed() {
			t.Errorf("A/A pair %s: %s", as[i], rep.summaryLine())
		}
	}
}

// Pooled, the ten pairs are an interleaved A/A run of 60 samples a side
// (a b a b ... at the pair level): enough for the corrected test to reach
// alpha, and identical code still passes.
//
// What this noise hides, honestly: a 30% slowdown of one benchmark put
// into the same samples (side A times 1.3 against side A) is not
// significant here, family-wise, for benchmarks whose samples spread over
// tens of percent; the row then reads "~", never "ok". The test logs the
// p-values; TestRealSlowdown30 shows the rule fails a real 30% slowdown
// recorded here interleaved, and TestSyntheticSlowdown one on a machine
// whose noise is a few percent.
func TestAAPooled(t *testing.T) {
	as, bs := aaPairs(t)
	base, head := concat(t, "A", as), concat(t, "B", bs)
	rep := Compare(base, head, Options{})
	if rep.Failed() {
		var b strings.Builder
		rep.WriteTable(&b)
		t.Fatalf("pooled A/A failed:\n%s", b.String())
	}
	for _, row := range rep.Rows {
		if row.Kind == Time && row.Verdict == TooFew {
			t.Fatalf("pooled A/A: %s still too few samples (%s)", row.Key, row.Reason)
		}
	}
	for _, victim := range []string{"Mask/1MiB-2", "Echo64-2", "ParseHeader/64bit-2", "ReadMessage/binary-64B-2"} {
		rep := Compare(base, scaled(base, victim, 1.30), Options{})
		r, _ := rep.row(victim, "sec/op")
		t.Logf("30%% slower %s on this machine's noise (±%.0f%%): p=%.2g, Holm %.2g: %s",
			victim, 100*(r.Base.Hi-r.Base.Lo)/2/r.Base.Median, r.P, r.PAdj, verdictCell(r))
		if r.Verdict == OK {
			t.Errorf("%s: a slowdown judged ok", victim)
		}
	}
}

// A 30% slowdown of one of 40 benchmarks, ten interleaved runs a side with
// 5% noise, fails, and only that one; the same data without the slowdown
// passes.
func TestSyntheticSlowdown(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(name string, slow string) *Set {
		s := &Set{Name: name}
		for b := range 40 {
			k := Key{Name: fmt.Sprintf("B%02d-2", b)}
			for range 10 {
				v := float64(100+b) * math.Exp(0.05*rng.NormFloat64()) * 1e-9
				if k.Name == slow {
					v *= 1.30
				}
				s.add(k, "sec/op", v)
			}
		}
		return s
	}
	base := mk("base", "")
	if rep := Compare(base, mk("same", ""), Options{}); rep.Failed() {
		t.Errorf("synthetic A/A failed: %s", rep.summaryLine())
	}
	rep := Compare(base, mk("slow", "B17-2"), Options{})
	if f := rep.failures(); len(f) != 1 || f[0].Key.Name != "B17-2" {
		t.Errorf("30%% slower B17: failures %v", names(f))
	}
}

// scaled returns a copy of s with every sec/op sample of benchmark name
// multiplied by f.
func scaled(s *Set, name string, f float64) *Set {
	out := &Set{Name: s.Name + fmt.Sprintf(" (%s x%.2f)", name, f)}
	for _, k := range s.keys() {
		for _, u := range s.unitsOf(k) {
			for _, v := range s.Values(k, u) {
				if k.Name == name && u == "sec/op" {
					v *= f
				}
				out.add(k, u, v)
			}
		}
	}
	return out
}

func names(rows []Row) []string {
	var n []string
	for _, r := range rows {
		n = append(n, r.Key.Name+" "+r.Unit+" "+r.Reason)
	}
	return n
}

// A real 30% slowdown recorded on this machine (testdata/slow30, see
// record_slow30.sh): BenchmarkXOR with 1.30x the work, interleaved with
// its base, fails the time rule with a delta near +30%, and BenchmarkSHA1,
// unchanged beside it, does not; the same holds when a core is taken
// halfway through the recording.
func TestRealSlowdown30(t *testing.T) {
	for _, prefix := range []string{"", "hog_"} {
		rep := compareFiles(t, "testdata/slow30/"+prefix+"base.txt", "testdata/slow30/"+prefix+"head.txt", Options{})
		x := row(t, rep, "XOR-2", "sec/op")
		if x.Verdict != Fail || x.Delta < 0.2 || x.Delta > 0.45 || x.Base.N < 10 || x.Head.N < 10 {
			t.Errorf("%sXOR: verdict %v, delta %+.1f%%, n=%d+%d; want FAIL near +30%% from >= 10 a side",
				prefix, x.Verdict, 100*x.Delta, x.Base.N, x.Head.N)
		}
		if s := row(t, rep, "SHA1-2", "sec/op"); s.Verdict == Fail {
			t.Errorf("%sSHA1, unchanged, failed: %s", prefix, s.Reason)
		}
		if f := rep.failures(); len(f) != 1 {
			t.Errorf("%s: failures %v, want XOR alone", prefix, names(f))
		}
		t.Logf("%sXOR %+.1f%% p=%.2g (Holm %.2g); SHA1 %+.1f%%", prefix, 100*x.Delta, x.P, x.PAdj, 100*row(t, rep, "SHA1-2", "sec/op").Delta)
	}
	// As --against runs it: the first recording suspects XOR alone, and
	// the second, recorded after it (a core taken halfway), confirms it.
	rep := compareFiles(t, "testdata/slow30/base.txt", "testdata/slow30/head.txt", Options{})
	if re := SuspectedTime(rep); re != "^(BenchmarkXOR)$" {
		t.Fatalf("rerun asked for %q, want XOR alone", re)
	}
	Confirm(rep, compareFiles(t, "testdata/slow30/hog_base.txt", "testdata/slow30/hog_head.txt", Options{}))
	if r := row(t, rep, "XOR-2", "sec/op"); r.Verdict != Fail || !strings.Contains(r.Reason, "confirmed by a rerun") || !rep.Failed() {
		t.Errorf("confirmed by the second recording: %v %s", r.Verdict, r.Reason)
	}
}
