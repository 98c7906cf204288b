package gate

import (
	"github.com/wslab/wslab/internal/testenv"

	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const abGoMod = "module example.com/ab\n\ngo 1.26\n"

const abBase = `package ab

var sink []byte

// Work is allocation-free in BASE.
func Work(b []byte) int {
	n := 0
	for _, c := range b {
		n += int(c)
	}
	return n
}
`

// In HEAD, Work allocates a copy: one new allocation per op.
const abHead = `package ab

var sink []byte

func Work(b []byte) int {
	sink = append([]byte(nil), b...)
	n := 0
	for _, c := range sink {
		n += int(c)
	}
	return n
}
`

const abTest = `package ab

import "testing"

func BenchmarkWork(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 64)
	for i := 0; i < b.N; i++ {
		Work(buf)
	}
}
`

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=gate test", "-c", "user.email=gate@test", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunAB builds BASE from a commit and HEAD from the uncommitted working
// tree of a throwaway module, runs them interleaved and gates: the new
// allocation fails, time has too few samples, and the worktree is gone.
func TestRunAB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two test binaries")
	}
	if _, err := exec.LookPath("git"); err != nil {
		testenv.SkipOrFail(t, "git not installed")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q")
	write(t, filepath.Join(repo, "go.mod"), abGoMod)
	write(t, filepath.Join(repo, "ab", "ab.go"), abBase)
	write(t, filepath.Join(repo, "ab", "ab_test.go"), abTest)
	write(t, filepath.Join(repo, "ab", "doc.go"), "// Package ab is a test fixture.\npackage ab\n")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "base")
	write(t, filepath.Join(repo, "ab", "ab.go"), abHead)

	keep := filepath.Join(t.TempDir(), "kept")
	res, err := RunAB(context.Background(), ABOptions{
		Dir: repo, Against: "HEAD", Pkgs: []string{"./..."}, Count: 3,
		Benchtime: "100x", Keep: keep,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := Compare(res.Base, res.Head, Options{})
	r, ok := rep.row("Work", "allocs/op")
	if !ok {
		// The name carries the GOMAXPROCS suffix on a multi-core machine.
		for _, row := range rep.Rows {
			if strings.HasPrefix(row.Key.Name, "Work") && row.Unit == "allocs/op" {
				r, ok = row, true
			}
		}
	}
	if !ok || r.Verdict != Fail || r.Reason != "+1 allocs/op" {
		t.Errorf("allocs/op row %+v (found %v), want FAIL +1 allocs/op", r, ok)
	}
	if r.Base.N != 3 || r.Head.N != 3 {
		t.Errorf("n=%d+%d, want 3+3", r.Base.N, r.Head.N)
	}
	for _, row := range rep.Rows {
		if row.Unit == "sec/op" && row.Verdict != TooFew {
			t.Errorf("sec/op with 3 runs: verdict %v, want too few samples", row.Verdict)
		}
	}
	for _, p := range []string{res.BasePath, res.HeadPath} {
		if s, err := ReadFile(p); err != nil || s.size() != 1 {
			t.Errorf("kept file %s: %v", p, err)
		}
	}
	if wt := git(t, repo, "worktree", "list"); strings.Count(strings.TrimSpace(wt), "\n") != 0 {
		t.Errorf("worktree left behind:\n%s", wt)
	}

	if _, err := RunAB(context.Background(), ABOptions{Dir: repo, Against: "no-such-rev"}); err == nil || !strings.Contains(err.Error(), "no-such-rev") {
		t.Errorf("unknown revision: err = %v", err)
	}
}
