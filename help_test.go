package main

import (
	"bytes"
	"sort"
	"strings"
	"testing"
)

// Every command answers -h (and --help) with its flags on stderr and exit
// status 0, and runs nothing.
func TestEveryCommandHelp(t *testing.T) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 10 {
		t.Fatalf("only %d commands: %v", len(names), names)
	}
	for _, n := range names {
		for _, h := range []string{"-h", "--help"} {
			var stdout, stderr bytes.Buffer
			code := run([]string{n, h}, &stdout, &stderr)
			if code != 0 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "wslab "+n) {
				t.Errorf("wslab %s %s: exit %d, stderr %q", n, h, code, stderr.String())
			}
		}
	}
}
