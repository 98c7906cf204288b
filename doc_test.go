package main

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// example is one command of doc.go's Examples and what it prints.
type example struct {
	args []string // after "wslab", $WORK not yet replaced
	want string   // stdout, then stderr lines as "! line", then "[exit N]" unless 0
}

// docExamples reads the examples in doc.go's package comment: a line
// "\t$ wslab ARGS" starts one, the indented lines after it (blank lines
// included) up to the next command or prose are its output.
func docExamples(t *testing.T) []example {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		t.Fatalf("doc.go: %v", err)
	}
	_, text, ok := strings.Cut(f.Doc.Text(), "# Examples\n")
	if !ok {
		t.Fatal("doc.go has no Examples section")
	}
	var exs []example
	var cur *example
	var out []string
	flush := func() {
		if cur != nil {
			cur.want = strings.TrimRight(strings.Join(out, "\n"), "\n")
			exs = append(exs, *cur)
		}
		cur, out = nil, nil
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "\t$ wslab "):
			flush()
			cur = &example{args: strings.Fields(strings.TrimPrefix(line, "\t$ wslab "))}
		case strings.HasPrefix(line, "\t"):
			out = append(out, strings.TrimPrefix(line, "\t"))
		case line == "":
			out = append(out, "")
		default:
			flush()
		}
	}
	flush()
	return exs
}

// TestDoc runs the examples of the package documentation and compares what
// they print with what the documentation says, so that it cannot go
// stale; every file an example names under $WORK must have been written.
func TestDoc(t *testing.T) {
	exs := docExamples(t)
	cmds := map[string]bool{}
	for _, ex := range exs {
		cmds[ex.args[0]] = true
	}
	for _, c := range []string{"gate", "merge", "plot", "report"} {
		if !cmds[c] {
			t.Errorf("doc.go shows no example of wslab %s", c)
		}
	}
	work := t.TempDir()
	for _, ex := range exs {
		var args []string
		for _, a := range ex.args {
			a = strings.ReplaceAll(a, "$WORK", work)
			if strings.ContainsAny(a, "*?[") {
				m, err := filepath.Glob(a)
				if err != nil || len(m) == 0 {
					t.Fatalf("%s matches nothing", a)
				}
				args = append(args, m...)
				continue
			}
			args = append(args, a)
		}
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		got := strings.TrimRight(stdout.String(), "\n")
		for _, l := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
			if l != "" {
				got += "\n! " + l
			}
		}
		if code != 0 {
			got += fmt.Sprintf("\n[exit %d]", code)
		}
		got = strings.TrimLeft(strings.ReplaceAll(got, work, "$WORK"), "\n")
		if got != ex.want {
			t.Errorf("wslab %s\n got:\n%s\nwant (doc.go):\n%s", strings.Join(ex.args, " "), got, ex.want)
		}
		for _, l := range strings.Split(stdout.String(), "\n") {
			if p, ok := strings.CutPrefix(l, work); ok {
				if st, err := os.Stat(work + p); err != nil || st.Size() == 0 {
					t.Errorf("wslab %s printed %s but wrote nothing there", ex.args[0], l)
				}
			}
		}
	}
}
