// Package gotool runs the go command and compiled test binaries for the
// benchmark tools (bench/gate's A/B mode and bench/instr): running a command
// with its stderr in the error, listing the packages that have tests, and
// building a package's test binary.
package gotool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// Output runs name args in dir (with env added to this process's
// environment when not nil) and returns its stdout; the error carries the
// end of the command's stderr.
func Output(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, Tail(stderr.String()))
	}
	return stdout.String(), nil
}

// Tail trims s to its last 2000 bytes, for error messages.
func Tail(s string) string {
	const max = 2000
	s = strings.TrimSpace(s)
	if len(s) > max {
		s = "..." + s[len(s)-max:]
	}
	return s
}

// Package is a package with tests.
type Package struct{ ImportPath, Dir string }

// TestPackages returns the packages matching patterns that have test
// files, sorted by import path.
func TestPackages(ctx context.Context, goCmd, dir string, patterns []string) ([]Package, error) {
	args := append([]string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{len .TestGoFiles}}\t{{len .XTestGoFiles}}"}, patterns...)
	out, err := Output(ctx, dir, nil, goCmd, args...)
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []Package
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 || (f[2] == "0" && f[3] == "0") {
			continue
		}
		pkgs = append(pkgs, Package{ImportPath: f[0], Dir: f[1]})
	}
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].ImportPath < pkgs[j].ImportPath })
	return pkgs, nil
}

// BuildTest compiles pkg's test binary to bin, running the go command in
// dir, with the given build tags (none when empty).
func BuildTest(ctx context.Context, goCmd, dir, pkg, bin string, tags ...string) error {
	args := []string{"test", "-c", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, pkg)
	if _, err := Output(ctx, dir, nil, goCmd, args...); err != nil {
		return fmt.Errorf("go test -c %s: %w", pkg, err)
	}
	return nil
}
