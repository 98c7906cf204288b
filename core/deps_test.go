package core

import (
	"os/exec"
	"strings"
	"testing"
)

// core must stay TinyGo-friendly: standard library only, and none of the
// heavy packages (fmt, reflect, net/http, encoding/json).
func TestImportsStandardLibraryOnly(t *testing.T) {
	// Under an emulator (GOARCH=arm go test -exec qemu-arm) or on a board
	// the go command may be missing or unable to run: skip, do not fail.
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/wslab/wslab/core" {
			t.Errorf("core depends on non-standard package %s", p)
		}
	}
	out, err = exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		switch p {
		case "fmt", "reflect", "net/http", "encoding/json", "strconv", "sort":
			t.Errorf("core imports %s, which is kept out of the TinyGo-friendly codec", p)
		}
	}
}
