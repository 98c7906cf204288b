// Command apiuse lists the exported names of packages that no other package
// uses: package-level identifiers and the exported methods of exported
// types, referenced by no other package of the module or of the nested
// modules that import it (bench/peers), tests of other packages included.
// A package's own tests, black-box ones too, count as inside it.
//
//	go run ./internal/apiuse [-values] [-pos] [PKG ...]
//
// With no PKG it checks core, results and bench/gate (issue 14). With
// -values a type also counts as used when another package holds a value of
// it without naming it (a function's result, a field). Run it from the
// module root.
package main

import (
	"flag"
	"fmt"
	"go/types"
	"os"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

func main() {
	values := flag.Bool("values", false, "a type held as a value (a result, a field) by another package counts as used")
	withPos := flag.Bool("pos", false, "print where each name is declared")
	flag.Parse()
	targets := flag.Args()
	if len(targets) == 0 {
		targets = []string{"github.com/wslab/wslab/core", "github.com/wslab/wslab/results", "github.com/wslab/wslab/bench/gate"}
	}
	var pkgs []*packages.Package
	for _, dir := range []string{".", "bench/peers"} {
		ps, err := packages.Load(&packages.Config{
			Mode: packages.NeedName | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedDeps | packages.NeedImports,
			Dir:  dir, Tests: true,
		}, "./...")
		if err != nil {
			fmt.Fprintln(os.Stderr, "apiuse:", err)
			os.Exit(1)
		}
		if packages.PrintErrors(ps) > 0 {
			os.Exit(1)
		}
		pkgs = append(pkgs, ps...)
	}

	isTarget := map[string]bool{}
	for _, t := range targets {
		isTarget[t] = true
	}
	type name struct{ pkg, name string }
	decl := map[string]name{} // declaration position -> name
	used := map[string]bool{} // declaration positions used by another package
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.Types == nil || p.TypesInfo == nil {
			return
		}
		pp := basePath(p.PkgPath)
		pos := func(o types.Object) string { return p.Fset.Position(o.Pos()).String() }
		if isTarget[pp] && p.PkgPath == pp && p.ID == pp {
			sc := p.Types.Scope()
			for _, n := range sc.Names() {
				o := sc.Lookup(n)
				if !o.Exported() {
					continue
				}
				decl[pos(o)] = name{pp, n}
				if named, ok := o.Type().(*types.Named); ok && isTypeName(o) {
					for i := range named.NumMethods() {
						if m := named.Method(i); m.Exported() {
							decl[pos(m)] = name{pp, n + "." + m.Name()}
						}
					}
				}
			}
		}
		outside := func(o types.Object) bool { return o != nil && o.Pkg() != nil && basePath(o.Pkg().Path()) != pp }
		for _, o := range p.TypesInfo.Uses {
			if outside(o) {
				used[pos(o)] = true
			}
		}
		for _, s := range p.TypesInfo.Selections {
			if outside(s.Obj()) {
				used[pos(s.Obj())] = true
			}
		}
		if *values {
			for _, tv := range p.TypesInfo.Types {
				if n, ok := elem(tv.Type).(*types.Named); ok && outside(n.Obj()) {
					used[pos(n.Obj())] = true
				}
			}
		}
	})

	total := map[string]int{}
	unused := map[string][]string{}
	for at, n := range decl {
		total[n.pkg]++
		if !used[at] {
			s := n.name
			if *withPos {
				s += "\t" + at
			}
			unused[n.pkg] = append(unused[n.pkg], s)
		}
	}
	for _, t := range targets {
		sort.Strings(unused[t])
		fmt.Printf("%s: %d exported, %d unused outside\n", t, total[t], len(unused[t]))
		for _, s := range unused[t] {
			fmt.Println("   ", s)
		}
	}
}

// basePath is the import path of a package or of one of its test variants.
func basePath(p string) string {
	if i := strings.Index(p, " ["); i >= 0 {
		p = p[:i]
	}
	return strings.TrimSuffix(p, "_test")
}

func isTypeName(o types.Object) bool { _, ok := o.(*types.TypeName); return ok }

// elem strips pointers, slices and maps down to the element type.
func elem(t types.Type) types.Type {
	for {
		switch u := t.(type) {
		case *types.Pointer:
			t = u.Elem()
		case *types.Slice:
			t = u.Elem()
		case *types.Map:
			t = u.Elem()
		default:
			return t
		}
	}
}
