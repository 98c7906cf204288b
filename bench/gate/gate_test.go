package gate

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

func read(t *testing.T, path string) *Set {
	t.Helper()
	s, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func compareFiles(t *testing.T, base, head string, o Options) *Report {
	t.Helper()
	rep := Compare(read(t, base), read(t, head), o)
	if testing.Verbose() {
		var b strings.Builder
		rep.WriteTable(&b)
		t.Logf("%s vs %s:\n%s", base, head, b.String())
	}
	return rep
}

func row(t *testing.T, rep *Report, name, unit string) Row {
	t.Helper()
	r, ok := rep.row(name, unit)
	if !ok {
		t.Fatalf("no row %s %s", name, unit)
	}
	return r
}

// An injected 2% instr/op rise fails; 0.5% passes (threshold 1%).
func TestInstrThreshold(t *testing.T) {
	rep := compareFiles(t, "testdata/instr_base.txt", "testdata/instr_up2pct.txt", Options{})
	r := row(t, rep, "SHA1", "instr/op")
	if r.Verdict != Fail || math.Abs(r.Delta-0.02) > 0.001 {
		t.Errorf("2%% rise: verdict %v, delta %v; want FAIL, +2%%", r.Verdict, r.Delta)
	}
	if len(rep.failures()) != 1 {
		t.Errorf("2%% rise: %d failures, want 1 (only SHA1 changed)", len(rep.failures()))
	}

	rep = compareFiles(t, "testdata/instr_base.txt", "testdata/instr_up05pct.txt", Options{})
	if r := row(t, rep, "SHA1", "instr/op"); r.Verdict != OK || rep.Failed() {
		t.Errorf("0.5%% rise: verdict %v, failed %v; want ok, not failed", r.Verdict, rep.Failed())
	}
	// The threshold is an option.
	rep = compareFiles(t, "testdata/instr_base.txt", "testdata/instr_up05pct.txt", Options{InstrThreshold: 0.001})
	if r := row(t, rep, "SHA1", "instr/op"); r.Verdict != Fail {
		t.Errorf("0.5%% rise with 0.1%% threshold: verdict %v, want FAIL", r.Verdict)
	}
	// Switched off, instr is reported but does not gate.
	rep = compareFiles(t, "testdata/instr_base.txt", "testdata/instr_up2pct.txt", Options{Kinds: []Kind{Allocs}})
	if r := row(t, rep, "SHA1", "instr/op"); r.Verdict != NotGated || rep.Failed() {
		t.Errorf("instr not gated: verdict %v, failed %v", r.Verdict, rep.Failed())
	}
}

// A real 30% slowdown, ten interleaved runs per side, fails the time rule.
func TestRealSlowdownFails(t *testing.T) {
	rep := compareFiles(t, "testdata/slow_base.txt", "testdata/slow_head.txt", Options{})
	r := row(t, rep, "XOR-2", "sec/op")
	if r.Verdict != Fail {
		t.Fatalf("verdict %v (%s), want FAIL", r.Verdict, r.Reason)
	}
	// 1.30x the work; the recorded medians (on a shared machine) are
	// 1.45x apart.
	if r.P >= 0.01 || r.Delta < 0.15 || r.Delta > 0.6 {
		t.Errorf("p=%v delta=%v; want p<0.01 and a delta near +30%%", r.P, r.Delta)
	}
	if !strings.Contains(r.Reason, "sec/op") {
		t.Errorf("reason %q does not name the unit", r.Reason)
	}
	// B/s is reported, not gated.
	if r := row(t, rep, "XOR-2", "B/s"); r.Verdict != NotGated {
		t.Errorf("B/s verdict %v, want not gated", r.Verdict)
	}
	// With time not gated (CI on a noisy box) the same files pass.
	rep = compareFiles(t, "testdata/slow_base.txt", "testdata/slow_head.txt", Options{Kinds: []Kind{Allocs, Bytes, Instr}})
	if rep.Failed() {
		t.Errorf("time not gated but failed: %s", rep.summaryLine())
	}
}

// The same binary, run interleaved A B A B (as RunAB does) while the load on
// the machine changes halfway, passes with every kind gated.
func TestSameBinaryInterleavedPasses(t *testing.T) {
	rep := compareFiles(t, "testdata/same_ab_a.txt", "testdata/same_ab_b.txt", Options{})
	if rep.Failed() {
		t.Errorf("same binary failed: %s", rep.summaryLine())
	}
	for _, name := range []string{"SHA1-2", "XOR-2"} {
		r := row(t, rep, name, "sec/op")
		if r.Base.N != 10 || r.Head.N != 10 {
			t.Errorf("%s: n=%d+%d, want 10+10", name, r.Base.N, r.Head.N)
		}
	}
}

// The same binary run twice a few minutes apart, the second time with a
// core busy: the medians move apart while each run is tight, which is the
// noise the time rule cannot tell from a regression. Allocs, bytes and
// instr still pass, which is why CI on a shared box gates only those.
func TestSameBinarySequential(t *testing.T) {
	rep := compareFiles(t, "testdata/same_seq_1.txt", "testdata/same_seq_2.txt", Options{Kinds: []Kind{Allocs, Bytes, Instr}})
	if rep.Failed() {
		t.Errorf("same binary, time not gated, failed: %s", rep.summaryLine())
	}
	// Within the 10% threshold or not significant, the default rule
	// passes too; the recorded files show which (see README.md).
	rep = compareFiles(t, "testdata/same_seq_1.txt", "testdata/same_seq_2.txt", Options{})
	for _, f := range rep.failures() {
		if f.Kind != Time {
			t.Errorf("same binary failed on %s %s", f.Key, f.Unit)
		}
	}
}

// A new allocation (0 -> 1 allocs/op) fails, and so does a B/op rise.
func TestAllocAndBytesRiseFails(t *testing.T) {
	rep := compareFiles(t, "testdata/same_ab_a.txt", "testdata/alloc_head.txt", Options{})
	r := row(t, rep, "SHA1-2", "allocs/op")
	if r.Verdict != Fail || r.Reason != "+1 allocs/op" || !math.IsInf(r.Delta, 1) {
		t.Errorf("allocs 0->1: verdict %v, reason %q, delta %v", r.Verdict, r.Reason, r.Delta)
	}
	r = row(t, rep, "SHA1-2", "B/op")
	if r.Verdict != Fail || r.Reason != "+32 B/op" {
		t.Errorf("B/op 0->32: verdict %v, reason %q", r.Verdict, r.Reason)
	}

	rep = compareFiles(t, "testdata/same_ab_a.txt", "testdata/bytes_head.txt", Options{})
	if r := row(t, rep, "XOR-2", "B/op"); r.Verdict != Fail || r.Reason != "+8 B/op" {
		t.Errorf("B/op rise: verdict %v, reason %q", r.Verdict, r.Reason)
	}
	if r := row(t, rep, "XOR-2", "allocs/op"); r.Verdict != Same {
		t.Errorf("allocs unchanged: verdict %v, want ~", r.Verdict)
	}
	// Fewer allocations is fine.
	rep = compareFiles(t, "testdata/alloc_head.txt", "testdata/same_ab_a.txt", Options{})
	if r := row(t, rep, "SHA1-2", "allocs/op"); r.Verdict != OK || rep.Failed() {
		t.Errorf("allocs 1->0: verdict %v, failed %v", r.Verdict, rep.Failed())
	}
}

func parse(t *testing.T, name, text string) *Set {
	t.Helper()
	s, err := Read(strings.NewReader(text), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func lines(name string, unit string, vals ...float64) string {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString("Benchmark" + name + " 100 " + strconv.FormatFloat(v, 'f', -1, 64) + " " + unit + "\n")
	}
	return b.String()
}

// Even a doubling is not a failure when the samples are too few for the
// U test to reach alpha; the row says so.
func TestTooFewSamples(t *testing.T) {
	base := parse(t, "base", lines("X", "ns/op", 100, 101, 102))
	head := parse(t, "head", lines("X", "ns/op", 200, 201, 202))
	rep := Compare(base, head, Options{})
	r := row(t, rep, "X", "sec/op")
	if r.Verdict != TooFew || rep.Failed() {
		t.Errorf("verdict %v, failed %v; want too few samples, not failed", r.Verdict, rep.Failed())
	}
	if !strings.Contains(r.Reason, "need 5 per side") {
		t.Errorf("reason %q", r.Reason)
	}
	// Five per side can reach alpha 0.01 (min p = 2/252).
	base = parse(t, "base", lines("X", "ns/op", 100, 101, 102, 103, 104))
	head = parse(t, "head", lines("X", "ns/op", 200, 201, 202, 203, 204))
	if r := row(t, Compare(base, head, Options{}), "X", "sec/op"); r.Verdict != Fail {
		t.Errorf("5 per side, 2x slower: verdict %v (p=%v), want FAIL", r.Verdict, r.P)
	}
	// Significant but within the threshold is ok; a significant
	// improvement too.
	head = parse(t, "head", lines("X", "ns/op", 105, 106, 107, 108, 109))
	if r := row(t, Compare(base, head, Options{}), "X", "sec/op"); r.Verdict != OK {
		t.Errorf("+5%%: verdict %v, want ok", r.Verdict)
	}
	head = parse(t, "head", lines("X", "ns/op", 50, 51, 52, 53, 54))
	if r := row(t, Compare(base, head, Options{}), "X", "sec/op"); r.Verdict != OK {
		t.Errorf("-50%%: verdict %v, want ok", r.Verdict)
	}
	// Overlapping samples: not significant.
	head = parse(t, "head", lines("X", "ns/op", 150, 101, 103, 99, 160))
	if r := row(t, Compare(base, head, Options{}), "X", "sec/op"); r.Verdict != Same {
		t.Errorf("overlapping: verdict %v (p=%v), want ~", r.Verdict, r.P)
	}
}

func TestMissingAndNew(t *testing.T) {
	base := parse(t, "base", lines("Kept", "allocs/op", 1)+lines("Gone", "allocs/op", 1)+
		"BenchmarkKept 100 5 B/op\n")
	head := parse(t, "head", lines("Kept", "allocs/op", 1)+lines("Added", "allocs/op", 3))
	rep := Compare(base, head, Options{})
	if rep.Failed() {
		t.Errorf("missing/new must not fail: %s", rep.summaryLine())
	}
	want := map[string]Verdict{"Kept allocs/op": Same, "Kept B/op": Missing, "Gone ": Missing, "Added ": New}
	got := map[string]Verdict{}
	for _, r := range rep.Rows {
		got[r.Key.Name+" "+r.Unit] = r.Verdict
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q: verdict %v, want %v (rows %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	_, err := Read(strings.NewReader("PASS\nok  \tfoo\t0.1s\n"), "notes.txt")
	if !errors.Is(err, ErrNoResults) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("non-benchmark file: err = %v", err)
	}
	_, err = Read(strings.NewReader("BenchmarkX 100 12 ns/op\nBenchmarkY 100 twelve ns/op\n"), "bad.txt")
	if err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
		t.Errorf("malformed line: err = %v", err)
	}
	if _, err := ReadFile("testdata/does-not-exist.txt"); err == nil || !strings.Contains(err.Error(), "does-not-exist.txt") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestTable(t *testing.T) {
	rep := compareFiles(t, "testdata/same_ab_a.txt", "testdata/alloc_head.txt", Options{})
	rep.Verbose = true // every row: the p column of the unchanged time rows too
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"benchmark", "unit", "base", "head", "delta", "verdict",
		"BenchmarkSHA1-2", "allocs/op", "FAIL: +1 allocs/op", "FAIL: +32 B/op",
		"p=", "n=10", "not gated",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	last := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if !strings.HasPrefix(last, "FAIL: 2 regressions") {
		t.Errorf("summary line %q", last)
	}

	rep = compareFiles(t, "testdata/same_ab_a.txt", "testdata/same_ab_b.txt", Options{})
	if s := rep.summaryLine(); !strings.HasPrefix(s, "ok: no regressions") {
		t.Errorf("summary %q", s)
	}
}

func TestParseKinds(t *testing.T) {
	ks, err := ParseKinds("allocs, instr,ns/op,B")
	if err != nil || len(ks) != 4 || ks[0] != Allocs || ks[1] != Instr || ks[2] != Time || ks[3] != Bytes {
		t.Errorf("ParseKinds = %v, %v", ks, err)
	}
	for _, bad := range []string{"", "speed", ","} {
		if _, err := ParseKinds(bad); err == nil {
			t.Errorf("ParseKinds(%q): no error", bad)
		}
	}
}

func TestParseFraction(t *testing.T) {
	for in, want := range map[string]float64{"10%": 0.1, "0.5%": 0.005, "0.1": 0.1, " 1 % ": 0.01, "0": 0} {
		if got, err := ParseFraction(in); err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("ParseFraction(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ten", "-5%", "%"} {
		if _, err := ParseFraction(bad); err == nil {
			t.Errorf("ParseFraction(%q): no error", bad)
		}
	}
}

// minUTestP agrees with the table in benchmath (uTestMinP).
func TestMinUTestP(t *testing.T) {
	for n, want := range map[int]float64{2: 0.3333333333333333, 4: 0.02857142857142857, 5: 0.007936507936507936, 9: 4.113533525298231e-05} {
		if got := minUTestP(n, n); math.Abs(got-want) > 1e-9*want {
			t.Errorf("minUTestP(%d, %d) = %v, want %v", n, n, got, want)
		}
	}
	if _, n := samplesFor(0.01); n != 5 {
		t.Errorf("samplesFor(0.01) = %d, want 5", n)
	}
}
