package tinygocheck_test

import (
	"github.com/wslab/wslab/internal/testenv"

	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/wslab/wslab/internal/tinygocheck"
)

// A board-side build configuration: the host's (what `go list -deps ./core`
// shows and the emulated board runs) and TinyGo's file selection on a
// 32-bit board (GOARCH=arm, the tinygo build tag: mask_generic.go instead of
// the amd64 assembly).
type buildConfig struct {
	name  string
	env   []string
	flags []string
}

var configs = []buildConfig{
	{name: "host"},
	{name: "tinygo-arm", env: []string{"GOOS=linux", "GOARCH=arm", "GOARM=6", "CGO_ENABLED=0"}, flags: []string{"-tags=tinygo"}},
}

var loaded = map[string][]*packages.Package{}

// loadBoard loads the board-side packages with their dependencies' syntax
// (the analyzer's reach rule runs on every dependency), once per
// configuration. A go command that cannot list them skips the test on a
// developer's machine, and fails it under CI, where a skip would leave the
// TinyGo promise unchecked.
func loadBoard(t *testing.T, bc buildConfig) []*packages.Package {
	t.Helper()
	if pkgs, ok := loaded[bc.name]; ok {
		return pkgs
	}
	cfg := &packages.Config{Mode: packages.LoadAllSyntax, Dir: "../..", BuildFlags: bc.flags}
	if bc.env != nil {
		cfg.Env = append(os.Environ(), bc.env...)
	}
	pkgs, err := packages.Load(cfg, tinygocheck.BoardPackages...)
	if err == nil && packages.PrintErrors(pkgs) > 0 {
		err = errLoad
	}
	if err != nil {
		testenv.SkipOrFail(t, "%s: loading the board-side packages (go list): %v", bc.name, err)
	}
	if len(pkgs) != len(tinygocheck.BoardPackages) {
		t.Fatalf("%s: loaded %d packages for %q", bc.name, len(pkgs), tinygocheck.BoardPackages)
	}
	loaded[bc.name] = pkgs
	return pkgs
}

type loadError struct{}

func (loadError) Error() string { return "the packages have errors (printed above)" }

var errLoad = loadError{}

// TestBoardTinyGoClean runs the analyzer over core/ and firmware/: any
// finding fails, with its position.
func TestBoardTinyGoClean(t *testing.T) {
	for _, bc := range configs {
		t.Run(bc.name, func(t *testing.T) {
			pkgs := loadBoard(t, bc)
			graph, err := checker.Analyze([]*analysis.Analyzer{tinygocheck.Analyzer}, pkgs, nil)
			if err != nil {
				t.Fatal(err)
			}
			roots := 0
			for _, act := range graph.Roots {
				roots++
				if act.Err != nil {
					t.Errorf("%s: %v", act.Package.PkgPath, act.Err)
				}
				for _, d := range act.Diagnostics {
					t.Errorf("%s: %s", act.Package.Fset.Position(d.Pos), d.Message)
				}
			}
			if roots != len(tinygocheck.BoardPackages) {
				t.Fatalf("the analyzer ran on %d packages, want %d", roots, len(tinygocheck.BoardPackages))
			}
		})
	}
}

// TestBoardDeps checks the transitive closure of the board-side packages
// against tinygocheck.AllowedDeps, and the firmware package's own imports
// against its sans-I/O promise.
func TestBoardDeps(t *testing.T) {
	for _, bc := range configs {
		t.Run(bc.name, func(t *testing.T) {
			pkgs := loadBoard(t, bc)
			var closure []string
			why := map[string]string{} // package -> a package that imports it
			packages.Visit(pkgs, func(p *packages.Package) bool {
				for path := range p.Imports {
					if _, ok := why[path]; !ok {
						why[path] = p.PkgPath
					}
				}
				return true
			}, func(p *packages.Package) { closure = append(closure, p.PkgPath) })
			for _, p := range disallowed(closure) {
				t.Errorf("the board reaches %s (imported by %s): not in tinygocheck.AllowedDeps", p, why[p])
			}
			if !slices.Contains(closure, "crypto/sha1") || !slices.Contains(closure, "runtime") {
				t.Fatalf("the closure lacks packages the board surely uses: %q", closure)
			}
			for _, p := range pkgs {
				if p.PkgPath != "github.com/wslab/wslab/firmware" {
					continue
				}
				for imp := range p.Imports {
					if reason, bad := tinygocheck.SansIOImports[imp]; bad {
						t.Errorf("firmware imports %s: %s", imp, reason)
					}
				}
			}
		})
	}
}

func disallowed(closure []string) []string {
	var bad []string
	for _, p := range closure {
		if slices.Contains(tinygocheck.AllowedDeps, p) || slices.ContainsFunc(tinygocheck.AllowedDepPrefixes, func(pre string) bool {
			return strings.HasPrefix(p, pre)
		}) {
			continue
		}
		bad = append(bad, p)
	}
	slices.Sort(bad)
	return bad
}

// The allow-list check bites: the closure core had before its crypto/rand
// fix (fmt, reflect, math/big through crypto/rand) and a stray encoding/json
// are refused, and the standard library's internals are not.
func TestDisallowed(t *testing.T) {
	got := disallowed([]string{"github.com/wslab/wslab/core", "crypto/rand", "math/big", "fmt", "reflect",
		"encoding/binary", "encoding/json", "internal/bytealg", "crypto/internal/fips140/sha256", "strings"})
	want := []string{"crypto/rand", "encoding/binary", "encoding/json", "fmt", "math/big", "reflect"}
	if !slices.Equal(got, want) {
		t.Fatalf("disallowed = %q, want %q", got, want)
	}
}
