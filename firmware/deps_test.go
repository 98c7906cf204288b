package firmware_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/wslab/wslab/internal/testenv"
)

// The board-side code must build for a microcontroller: standard library
// only, and none of fmt, encoding/json, net/http or reflect, which TinyGo
// supports poorly or which cost a small board too much flash. Nor, as
// doc.go promises, any socket, clock, lock or OS in the firmware package:
// the host drives the board.
// Only the board-side packages' own imports are checked: the standard
// library's internals are TinyGo's business (crypto/rand, which core uses
// for mask keys, reaches fmt through math/big on the big Go toolchain;
// TinyGo ships its own).
func TestBoardImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{join .Imports \",\"}}{{end}}", ".").CombinedOutput()
	if err != nil {
		testenv.SkipOrFail(t, "go list unavailable: %v\n%s", err, out)
	}
	banned := map[string]string{
		"fmt": "heavy on a microcontroller", "encoding/json": "reflection-based", "net/http": "a host HTTP stack",
		"reflect": "poorly supported by TinyGo",
	}
	// The sans-I/O promise of doc.go, for the firmware package itself.
	sansIO := map[string]string{
		"net": "the board does no socket I/O", "os": "the board has no OS", "time": "the host passes the time in",
		"syscall": "the board does no I/O", "sync": "one event loop drives the board",
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		seen++
		if pkg != "github.com/wslab/wslab/firmware" && pkg != "github.com/wslab/wslab/core" {
			t.Errorf("the board depends on non-standard package %s", pkg)
			continue
		}
		for _, imp := range strings.Split(imports, ",") {
			if why, bad := banned[imp]; bad {
				t.Errorf("%s imports %s (%s)", pkg, imp, why)
			}
			if why, bad := sansIO[imp]; bad && pkg == "github.com/wslab/wslab/firmware" {
				t.Errorf("%s imports %s (%s)", pkg, imp, why)
			}
		}
	}
	if seen < 2 {
		t.Fatalf("go list found %d board-side packages: %q", seen, out)
	}
}
