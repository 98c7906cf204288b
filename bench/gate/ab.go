package gate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/wslab/wslab/internal/gotool"
)

// ABOptions configures RunAB.
type ABOptions struct {
	// Dir is a directory inside the module whose working tree is HEAD.
	// Empty means the current directory.
	Dir string
	// Against is the git revision that is BASE ("main", "HEAD~1", a hash).
	Against string
	// Pkgs are the package patterns to benchmark, relative to Dir.
	// Nil means "./...".
	Pkgs []string
	// Bench is the -test.bench regular expression. Empty means ".".
	Bench string
	// Count is how many runs each side gets. Zero means 10.
	Count int
	// Benchtime is passed as -test.benchtime when not empty.
	Benchtime string
	// Keep is a directory to write base.txt and head.txt into. Empty
	// means a temporary directory that RunAB removes.
	Keep string
	// Go is the go command. Empty means "go".
	Go string
	// Log receives progress lines. Nil means io.Discard.
	Log io.Writer
}

// ABResult is what RunAB measured.
type ABResult struct {
	Base, Head *Set
	// BasePath and HeadPath are the files written under ABOptions.Keep,
	// empty when Keep was empty.
	BasePath, HeadPath string
}

// RunAB measures BASE (git revision o.Against) against HEAD (the working
// tree, uncommitted changes included) on the same machine at the same time:
//
//  1. it checks o.Against out with `git worktree add --detach` into a
//     temporary directory (removed again, with `git worktree remove`, on
//     return);
//  2. it compiles each package's test binary in both trees with
//     `go test -c` (a package without benchmarks or tests is skipped; one
//     missing in BASE is benchmarked in HEAD only);
//  3. it runs the binaries interleaved, base then head, o.Count times, each
//     run `-test.run=^$ -test.bench=REGEX -test.benchmem -test.count=1`
//     in the package's own directory, so slow drifts of the machine hit both
//     sides alike;
//  4. it reads both outputs back with benchfmt and, if o.Keep is set, writes
//     them there as base.txt and head.txt.
func RunAB(ctx context.Context, o ABOptions) (*ABResult, error) {
	if o.Against == "" {
		return nil, errors.New("gate: no revision to run against")
	}
	if o.Pkgs == nil {
		o.Pkgs = []string{"./..."}
	}
	if o.Bench == "" {
		o.Bench = "."
	}
	if o.Count <= 0 {
		o.Count = 10
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	dir, err := filepath.Abs(orDot(o.Dir))
	if err != nil {
		return nil, err
	}
	top, err := gotool.Output(ctx, dir, nil, "git", "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("gate: %s is not in a git work tree: %w", dir, err)
	}
	top = strings.TrimSpace(top)
	rel, err := filepath.Rel(top, dir)
	if err != nil {
		return nil, err
	}
	rev, err := gotool.Output(ctx, dir, nil, "git", "rev-parse", "--verify", "--quiet", o.Against+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("gate: unknown revision %q", o.Against)
	}
	rev = strings.TrimSpace(rev)

	tmp, err := os.MkdirTemp("", "wslab-gate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	wt := filepath.Join(tmp, "base")
	fmt.Fprintf(o.Log, "gate: checking out %s (%s) into %s\n", o.Against, short(rev), wt)
	if _, err := gotool.Output(ctx, dir, nil, "git", "worktree", "add", "--detach", wt, rev); err != nil {
		return nil, fmt.Errorf("gate: git worktree add: %w", err)
	}
	defer func() {
		// A fresh context: the caller's may be cancelled already.
		if _, err := gotool.Output(context.Background(), dir, nil, "git", "worktree", "remove", "--force", wt); err != nil {
			fmt.Fprintf(o.Log, "gate: git worktree remove %s: %v\n", wt, err)
		}
	}()
	baseDir := filepath.Join(wt, rel)

	pkgs, err := gotool.TestPackages(ctx, o.Go, dir, o.Pkgs)
	if err != nil {
		return nil, err
	}
	type pair struct {
		pkg              gotool.Package
		baseBin, headBin string
		baseDir, headDir string
	}
	var pairs []pair
	for i, p := range pkgs {
		headBin := filepath.Join(tmp, fmt.Sprintf("head-%d.test", i))
		baseBin := filepath.Join(tmp, fmt.Sprintf("base-%d.test", i))
		fmt.Fprintf(o.Log, "gate: building %s\n", p.ImportPath)
		if err := gotool.BuildTest(ctx, o.Go, dir, p.ImportPath, headBin); err != nil {
			return nil, fmt.Errorf("gate: HEAD: %w", err)
		}
		pr := pair{pkg: p, headBin: headBin, headDir: p.Dir}
		relPkg, err := filepath.Rel(dir, p.Dir)
		if err != nil {
			return nil, err
		}
		pr.baseDir = filepath.Join(baseDir, relPkg)
		if _, err := os.Stat(pr.baseDir); err != nil {
			fmt.Fprintf(o.Log, "gate: %s does not exist at %s; HEAD only\n", p.ImportPath, o.Against)
		} else if err := gotool.BuildTest(ctx, o.Go, baseDir, p.ImportPath, baseBin); err != nil {
			return nil, fmt.Errorf("gate: BASE %s: %w", o.Against, err)
		} else {
			pr.baseBin = baseBin
		}
		pairs = append(pairs, pr)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("gate: no packages with tests in %s", strings.Join(o.Pkgs, " "))
	}

	args := []string{"-test.run=^$", "-test.bench=" + o.Bench, "-test.benchmem", "-test.count=1"}
	if o.Benchtime != "" {
		args = append(args, "-test.benchtime="+o.Benchtime)
	}
	var baseOut, headOut bytes.Buffer
	for i := 0; i < o.Count; i++ {
		fmt.Fprintf(o.Log, "gate: run %d/%d\n", i+1, o.Count)
		for _, p := range pairs {
			if p.baseBin != "" {
				if err := runBench(ctx, p.baseBin, p.baseDir, args, &baseOut); err != nil {
					return nil, fmt.Errorf("gate: BASE %s: %w", p.pkg.ImportPath, err)
				}
			}
			if err := runBench(ctx, p.headBin, p.headDir, args, &headOut); err != nil {
				return nil, fmt.Errorf("gate: HEAD %s: %w", p.pkg.ImportPath, err)
			}
		}
	}

	res := &ABResult{}
	if o.Keep != "" {
		if err := os.MkdirAll(o.Keep, 0o755); err != nil {
			return nil, err
		}
		res.BasePath = filepath.Join(o.Keep, "base.txt")
		res.HeadPath = filepath.Join(o.Keep, "head.txt")
		if err := os.WriteFile(res.BasePath, baseOut.Bytes(), 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(res.HeadPath, headOut.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	baseName, headName := "BASE "+o.Against, "HEAD"
	if res.BasePath != "" {
		baseName, headName = res.BasePath, res.HeadPath
	}
	if res.Base, err = Read(bytes.NewReader(baseOut.Bytes()), baseName); err != nil {
		return nil, err
	}
	if res.Head, err = Read(bytes.NewReader(headOut.Bytes()), headName); err != nil {
		return nil, err
	}
	return res, nil
}

func runBench(ctx context.Context, bin, dir string, args []string, out *bytes.Buffer) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(bin), err, gotool.Tail(stderr.String()))
	}
	return nil
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func orDot(s string) string {
	if s == "" {
		return "."
	}
	return s
}
