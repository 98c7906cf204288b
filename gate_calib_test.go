package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Issue 17's "done when" for the gate, through the command and its exit
// code, in the mode the README recommends on this shared 2-core machine
// (files of interleaved runs, every kind gated, time included):
//
//   - a real 30% slowdown recorded here (bench/gate/testdata/slow30, by
//     record_slow30.sh: BenchmarkXOR with 1.30x the work, the same name,
//     twelve interleaved runs a side, once as the machine was and once with
//     a core taken halfway) exits 1, naming XOR and only XOR;
//   - the ten A/A pairs of identical code recorded here exit 0.
func TestGateRealSlowdownAndAA(t *testing.T) {
	failRow := regexp.MustCompile(`(?m)^BenchmarkXOR-2\s+sec/op\s.*\+(\d+)\.\d+%\s.*FAIL: \+\d`)
	for _, pair := range []struct{ name, prefix string }{{"as the machine was", ""}, {"a core taken halfway", "hog_"}} {
		base, head := td+"slow30/"+pair.prefix+"base.txt", td+"slow30/"+pair.prefix+"head.txt"
		t.Run("slow30 "+pair.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "gate", base, head)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (a regression)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			m := failRow.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no FAIL row for BenchmarkXOR-2 sec/op:\n%s", out)
			}
			if d, _ := strconv.Atoi(m[1]); d < 20 || d > 45 {
				t.Errorf("XOR rose +%d%%, want near +30%%", d)
			}
			if !strings.Contains(out, "FAIL: 1 regression: BenchmarkXOR-2 ") {
				t.Errorf("want exactly XOR to fail:\n%s", out)
			}
			// It is the time rule that fails it: with time not gated, and
			// the other way round (a speedup), the same files pass.
			if code, out, _ := runCmd(t, "gate", "--units", "allocs,bytes,instr", base, head); code != 0 {
				t.Errorf("time not gated: exit %d\n%s", code, out)
			}
			if code, out, _ := runCmd(t, "gate", head, base); code != 0 {
				t.Errorf("HEAD against BASE (30%% faster): exit %d\n%s", code, out)
			}
		})
	}
	as, _ := filepath.Glob(td + "aa/pair*_a.txt")
	if len(as) != 10 {
		t.Fatalf("%d A/A pairs, want 10", len(as))
	}
	for _, a := range as {
		b := strings.TrimSuffix(a, "_a.txt") + "_b.txt"
		if code, out, errOut := runCmd(t, "gate", a, b); code != 0 {
			t.Errorf("A/A %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", filepath.Base(a), code, out, errOut)
		}
	}
}
