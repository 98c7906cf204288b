package main

import (
	"github.com/wslab/wslab/internal/testenv"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const td = "bench/gate/testdata/"

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestGateExitCodes(t *testing.T) {
	notBench := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notBench, []byte("PASS\nok  \tpkg\t0.01s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring the output must hold
		stderr string
	}{
		{"same binary", []string{"gate", td + "same_ab_a.txt", td + "same_ab_b.txt"}, 0, "ok: no regressions", ""},
		{"new allocation", []string{"gate", td + "same_ab_a.txt", td + "alloc_head.txt"}, 1, "FAIL: +1 allocs/op", ""},
		{"instr +2%", []string{"gate", td + "instr_base.txt", td + "instr_up2pct.txt"}, 1, "FAIL: +2.00% instr/op", ""},
		{"instr +2%, threshold after the files", []string{"gate", td + "instr_base.txt", td + "instr_up2pct.txt", "--instr-threshold", "3%"}, 0, "ok:", ""},
		{"30% slower", []string{"gate", td + "slow_base.txt", td + "slow_head.txt"}, 1, "FAIL:", ""},
		{"30% slower, time not gated", []string{"gate", "--only", "allocs,instr", td + "slow_base.txt", td + "slow_head.txt"}, 0, "not gated", ""},
		{"not a benchmark file", []string{"gate", td + "same_ab_a.txt", notBench}, 2, "", "notes.txt"},
		{"missing file", []string{"gate", td + "nope.txt", td + "same_ab_a.txt"}, 2, "", "nope.txt"},
		{"one file", []string{"gate", td + "same_ab_a.txt"}, 2, "", "want BASE and HEAD"},
		{"bad threshold", []string{"gate", "--threshold", "lots", td + "same_ab_a.txt", td + "same_ab_b.txt"}, 2, "", "-threshold"},
		{"bad units", []string{"gate", "--units", "speed", td + "same_ab_a.txt", td + "same_ab_b.txt"}, 2, "", "speed"},
		{"unknown flag", []string{"gate", "--frobnicate", td + "same_ab_a.txt", td + "same_ab_b.txt"}, 2, "", "frobnicate"},
		{"help", []string{"gate", "-h"}, 0, "", "usage: wslab gate"},
		{"bench without a mode", []string{"bench"}, 2, "", "--instructions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
		})
	}
}

// TestBenchInstructions runs `wslab bench --instructions` on the
// deterministic test benchmarks and gates the result against the committed
// count: same code, same count.
func TestBenchInstructions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs valgrind")
	}
	if _, err := exec.LookPath("valgrind"); err != nil {
		testenv.SkipOrFail(t, "valgrind not installed; CI installs it")
	}
	out := filepath.Join(t.TempDir(), "instr.txt")
	code, _, errOut := runCmd(t, "bench", "--instructions", "--pkg", "./bench/instr/testdata/detbench",
		"--bench", "^BenchmarkXOR$", "--n", "200", "--out", out)
	if code != 0 {
		t.Fatalf("wslab bench: exit %d\n%s", code, errOut)
	}
	code, table, errOut := runCmd(t, "gate", "-v", td+"instr_base.txt", out)
	if code != 0 || !strings.Contains(table, "BenchmarkXOR") {
		t.Errorf("gate against the committed count: exit %d\n%s%s", code, table, errOut)
	}
}
