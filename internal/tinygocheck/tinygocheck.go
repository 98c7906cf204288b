// Package tinygocheck is a go/analysis analyzer for the board-side code
// (core/ and firmware/): it reports what TinyGo allocates or lacks where the
// gc toolchain does not, so the promise "the board code builds under TinyGo
// and allocates nothing" is checked on machines without TinyGo.
//
// The rules, each named by the prefix of its diagnostics:
//
//   - import: fmt, reflect, encoding/json, crypto/rand, sync, maps, net/http,
//     math/big imported by a board-side package.
//   - reach: an import whose transitive closure reaches one of fmt, reflect,
//     encoding/json, crypto/rand, net/http or math/big (TinyGo's baremetal
//     crypto/rand panics on rp2040, ESP32 and ESP8266). The chain is named.
//   - bytestring: a []byte to string conversion (string(b) == "x",
//     switch string(b), m := string(b)), which gc often does without a copy
//     and TinyGo always copies to the heap; a byte or rune turned into a
//     string; a string to []byte conversion inside a function. A conversion
//     that is itself a return value is not reported: its result escapes, and
//     both compilers copy it.
//   - map: map types, map indexing and ranging over a map.
//   - go: a go statement (each goroutine gets a heap-allocated stack, and
//     -scheduler=none has none).
//   - timer: time.Timer, time.Ticker, time.AfterFunc, time.After, time.Tick
//     (they need TinyGo's scheduler and allocate).
//   - defer: any defer statement (TinyGo heap-allocates defer frames in
//     loops and adds a runtime call per frame): the board code has none.
//   - iface: a non-constant value larger than a pointer (on a 32-bit
//     board) and not pointer-shaped converted to an interface, explicitly or
//     implicitly (argument, assignment, return, composite literal,
//     comparison, switch case): TinyGo boxes it on the heap. Package-level
//     initializers are not reported: they run once, at compile time under
//     TinyGo.
//   - concat: string concatenation of non-constant strings.
//   - closure: a function literal that captures a local variable: the
//     variable and the closure context go to the heap.
//
// The allocation rules (bytestring, iface, concat, closure) do not apply to
// start-up code: init functions and package-level initializers run once,
// and TinyGo evaluates them at compile time where it can.
//
// A deliberate exception is marked with a comment on the same line or the
// line above: //tinygo:ok followed by the reason. A marker without a reason
// is itself reported.
package tinygocheck

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Analyzer reports constructs TinyGo allocates for or lacks.
var Analyzer = &analysis.Analyzer{
	Name:      "tinygo",
	Doc:       "report what TinyGo allocates or lacks where gc does not (board-side code)",
	URL:       "https://github.com/wslab/wslab/tree/main/internal/tinygocheck",
	Run:       run,
	FactTypes: []analysis.Fact{new(reachFact)},
}

// bannedImports are packages a board-side package must not import.
var bannedImports = map[string]string{
	"fmt":           "it pulls in reflect and allocates; append the bytes instead",
	"reflect":       "TinyGo's reflect is partial and costs flash",
	"encoding/json": "it is reflection-based and allocates; write the document field by field",
	"crypto/rand":   "TinyGo's baremetal crypto/rand panics on rp2040, ESP32 and ESP8266; let the caller pass a random source in",
	"sync":          "one event loop drives the board; TinyGo's sync needs its scheduler",
	"maps":          "maps are kept off the board",
	"net/http":      "it is a host HTTP stack",
	"math/big":      "it allocates on every operation",
}

// bannedReach are packages no board-side package may reach transitively.
var bannedReach = []string{"crypto/rand", "encoding/json", "fmt", "math/big", "net/http", "reflect"}

// reachFact records, for a package, the shortest import chain from it to
// each package of bannedReach it reaches, in bannedReach's order (a slice,
// so its encoding is deterministic). Each chain ends with the banned package.
type reachFact struct {
	Chains [][]string
}

func (*reachFact) AFact() {}

func (f *reachFact) String() string { return "reaches " + f.reached() }

// reached lists the banned packages reached, in bannedReach's order.
func (f *reachFact) reached() string {
	var names []string
	for _, c := range f.Chains {
		names = append(names, c[len(c)-1])
	}
	return strings.Join(names, ", ")
}

// sizes are a 32-bit board's: what fits in an interface word there does
// not allocate.
var sizes = types.SizesFor("gc", "arm")

type checker struct {
	pass *analysis.Pass
	// initCode is set while walking code that runs once at start: init
	// functions and function literals in package-level initializers.
	// TinyGo evaluates them at compile time where it can, and a one-time
	// allocation there is no per-request cost, so the allocation rules
	// (bytestring, iface, concat, closure) do not apply.
	initCode bool
	ok       map[string]map[int]bool // file name -> lines covered by //tinygo:ok
	funcs    []*types.Signature      // enclosing functions, innermost last

	reachSeen map[string]bool // imports already reported by the reach rule
}

func run(pass *analysis.Pass) (any, error) {
	exportReach(pass)
	c := &checker{pass: pass, ok: map[string]map[int]bool{}, reachSeen: map[string]bool{}}
	for _, f := range pass.Files {
		c.collectOK(f)
	}
	for _, f := range pass.Files {
		c.imports(f)
		c.file(f)
	}
	return nil, nil
}

// exportReach computes this package's reachFact from its imports' facts.
func exportReach(pass *analysis.Pass) {
	chains := map[string][]string{}
	add := func(k string, c []string) {
		if old, ok := chains[k]; !ok || len(c) < len(old) {
			chains[k] = c
		}
	}
	for _, imp := range pass.Pkg.Imports() {
		if slices.Contains(bannedReach, imp.Path()) {
			add(imp.Path(), []string{imp.Path()})
		}
		var f reachFact
		if pass.ImportPackageFact(imp, &f) {
			for _, c := range f.Chains {
				add(c[len(c)-1], append([]string{imp.Path()}, c...))
			}
		}
	}
	var f reachFact
	for _, k := range bannedReach {
		if c, ok := chains[k]; ok {
			f.Chains = append(f.Chains, c)
		}
	}
	if len(f.Chains) > 0 {
		pass.ExportPackageFact(&f)
	}
}

func (c *checker) collectOK(f *ast.File) {
	for _, g := range f.Comments {
		for _, cm := range g.List {
			rest, found := strings.CutPrefix(cm.Text, "//tinygo:ok")
			if !found || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
				continue // not the marker (e.g. //tinygo:okay)
			}
			p := c.pass.Fset.Position(cm.Pos())
			if strings.TrimSpace(rest) == "" {
				// Reported on the line it would excuse.
				pos := cm.Pos()
				if tf := c.pass.Fset.File(pos); tf != nil && p.Line < tf.LineCount() {
					pos = tf.LineStart(p.Line + 1)
				}
				c.pass.Reportf(pos, "tinygo:ok needs a reason: //tinygo:ok why this is fine on a board")
				continue
			}
			if c.ok[p.Filename] == nil {
				c.ok[p.Filename] = map[int]bool{}
			}
			c.ok[p.Filename][p.Line] = true
			if !c.codeBefore(f, cm.Pos(), p.Line) {
				c.ok[p.Filename][p.Line+1] = true // a marker on a line of its own covers the next
			}
		}
	}
}

// codeBefore reports whether code precedes pos on its line (a trailing comment).
func (c *checker) codeBefore(f *ast.File, pos token.Pos, line int) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if found || n == nil || n.Pos() >= pos || n.End() < pos && c.pass.Fset.Position(n.End()).Line < line {
			return false
		}
		if _, isFile := n.(*ast.File); !isFile && c.pass.Fset.Position(n.Pos()).Line == line {
			found = true
		}
		return !found
	})
	return found
}

// alloc reports a finding of an allocation rule, outside start-up code.
func (c *checker) alloc(pos token.Pos, format string, args ...any) {
	if !c.initCode {
		c.report(pos, format, args...)
	}
}

func (c *checker) report(pos token.Pos, format string, args ...any) {
	p := c.pass.Fset.Position(pos)
	if c.ok[p.Filename][p.Line] {
		return
	}
	c.pass.Reportf(pos, format, args...)
}

func (c *checker) imports(f *ast.File) {
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		if why, bad := bannedImports[path]; bad {
			c.report(spec.Pos(), "import: %s on the board: %s", path, why)
			continue
		}
		pkg := c.imported(path)
		if pkg == nil || c.reachSeen[path] {
			continue // one finding per imported package, not per file
		}
		c.reachSeen[path] = true
		var rf reachFact
		if !c.pass.ImportPackageFact(pkg, &rf) {
			continue
		}
		// One finding per import: what it reaches, and the chain to the
		// first of them (crypto/rand first: it is the one that panics).
		chain := rf.Chains[0]
		c.report(spec.Pos(), "reach: %s reaches %s (%s -> %s): %s", path, rf.reached(), path, strings.Join(chain, " -> "), bannedImports[chain[len(chain)-1]])
	}
}

func (c *checker) imported(path string) *types.Package {
	for _, p := range c.pass.Pkg.Imports() {
		if p.Path() == path {
			return p
		}
	}
	return nil
}

// file walks one file's declarations.
func (c *checker) file(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Body == nil {
				continue
			}
			sig, _ := c.pass.TypesInfo.Defs[d.Name].Type().(*types.Signature)
			c.funcs = append(c.funcs, sig)
			c.initCode = d.Recv == nil && d.Name.Name == "init"
			c.walk(d.Body)
			c.initCode = false
			c.funcs = c.funcs[:len(c.funcs)-1]
			c.walk(d.Type)
		case *ast.GenDecl:
			// Package-level declarations: types and initializers are
			// checked for maps and closures, not for conversions (they
			// run once, evaluated at compile time by TinyGo).
			c.walkTop(d)
		}
	}
}

// walkTop checks package-level declarations for the rules that hold there.
func (c *checker) walkTop(d *ast.GenDecl) {
	ast.Inspect(d, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.MapType:
			c.report(n.Pos(), "map: map type on the board (TinyGo's maps allocate and compare some keys by reflection)")
		case *ast.FuncLit:
			c.funcs = append(c.funcs, c.pass.TypesInfo.TypeOf(n).(*types.Signature))
			c.initCode = true
			c.walk(n.Body)
			c.initCode = false
			c.funcs = c.funcs[:len(c.funcs)-1]
			return false
		case *ast.SelectorExpr:
			c.timerUse(n)
		}
		return true
	})
}

// walk checks a function body or signature.
func (c *checker) walk(root ast.Node) {
	var stack []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		var parent ast.Node
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		if !c.node(n, parent, stack) {
			return false
		}
		stack = append(stack, n)
		return true
	})
}

func inLoop(stack []ast.Node) bool {
	for i := len(stack) - 1; i >= 0; i-- {
		switch stack[i].(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return true
		case *ast.FuncLit:
			return false
		}
	}
	return false
}

// node checks one node; it returns false when it walked the children itself.
func (c *checker) node(n, parent ast.Node, stack []ast.Node) bool {
	info := c.pass.TypesInfo
	switch n := n.(type) {
	case *ast.GoStmt:
		c.report(n.Pos(), "go: goroutine on the board (TinyGo gives each a heap-allocated stack; -scheduler=none has none)")
	case *ast.DeferStmt:
		if inLoop(stack) {
			c.report(n.Pos(), "defer: defer in a loop (TinyGo heap-allocates the defer frame on every iteration)")
		} else {
			c.report(n.Pos(), "defer: defer on the board (a runtime call per frame under TinyGo, and a heap frame in loops); release explicitly or mark //tinygo:ok reason")
		}
	case *ast.MapType:
		c.report(n.Pos(), "map: map type on the board (TinyGo's maps allocate and compare some keys by reflection)")
	case *ast.IndexExpr:
		if isMap(info.TypeOf(n.X)) {
			c.report(n.Pos(), "map: map index on the board")
		}
	case *ast.RangeStmt:
		if isMap(info.TypeOf(n.X)) {
			c.report(n.Pos(), "map: range over a map on the board")
		}
	case *ast.FuncLit:
		c.closure(n)
		c.funcs = append(c.funcs, info.TypeOf(n).(*types.Signature))
		c.walk(n.Body)
		c.funcs = c.funcs[:len(c.funcs)-1]
		return false
	case *ast.SelectorExpr:
		c.timerUse(n)
	case *ast.Ident:
		c.timerUse(n)
	case *ast.BinaryExpr:
		c.binary(n)
	case *ast.AssignStmt:
		c.assign(n)
	case *ast.CallExpr:
		c.call(n, parent)
	case *ast.ReturnStmt:
		if len(c.funcs) > 0 && c.funcs[len(c.funcs)-1] != nil {
			res := c.funcs[len(c.funcs)-1].Results()
			if res.Len() == len(n.Results) {
				for i, r := range n.Results {
					c.iface(r, res.At(i).Type())
				}
			}
		}
	case *ast.CompositeLit:
		c.composite(n)
	case *ast.SendStmt:
		if ch, ok := under(info.TypeOf(n.Chan)).(*types.Chan); ok {
			c.iface(n.Value, ch.Elem())
		}
	case *ast.SwitchStmt:
		if n.Tag != nil {
			t := info.TypeOf(n.Tag)
			for _, s := range n.Body.List {
				for _, e := range s.(*ast.CaseClause).List {
					c.iface(e, t)
				}
			}
		}
	case *ast.ValueSpec:
		if n.Type != nil {
			t := info.TypeOf(n.Type)
			for _, v := range n.Values {
				c.iface(v, t)
			}
		}
	}
	return true
}

func under(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	return t.Underlying()
}

func isMap(t types.Type) bool {
	_, ok := under(t).(*types.Map)
	return ok
}

func isString(t types.Type) bool {
	b, ok := under(t).(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

func isInteger(t types.Type) bool {
	b, ok := under(t).(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// isBytes reports whether t is a slice of bytes or runes.
func isBytes(t types.Type) bool {
	s, ok := under(t).(*types.Slice)
	if !ok {
		return false
	}
	b, ok := under(s.Elem()).(*types.Basic)
	return ok && (b.Kind() == types.Byte || b.Kind() == types.Rune)
}

var timerNames = map[string]bool{
	"Timer": true, "NewTimer": true, "AfterFunc": true, "After": true,
	"Ticker": true, "NewTicker": true, "Tick": true,
}

func (c *checker) timerUse(e ast.Expr) {
	var id *ast.Ident
	switch e := e.(type) {
	case *ast.SelectorExpr:
		id = e.Sel
	case *ast.Ident:
		return // a dot-import would be needed; selectors cover the rest
	default:
		return
	}
	obj := c.pass.TypesInfo.Uses[id]
	if obj == nil || obj.Pkg() == nil || obj.Pkg().Path() != "time" || !timerNames[obj.Name()] {
		return
	}
	if obj.Parent() != obj.Pkg().Scope() {
		return // a method or field, e.g. (*time.Timer).Stop is reported at its type
	}
	c.report(e.Pos(), "timer: time.%s on the board (TinyGo's timers need its scheduler and allocate); the host passes the time in", obj.Name())
}

func (c *checker) binary(n *ast.BinaryExpr) {
	info := c.pass.TypesInfo
	switch n.Op {
	case token.ADD:
		if tv, ok := info.Types[n]; ok && tv.Value == nil && isString(tv.Type) {
			c.alloc(n.OpPos, "concat: string concatenation allocates under TinyGo; append to a byte buffer")
		}
	case token.EQL, token.NEQ:
		x, y := info.TypeOf(n.X), info.TypeOf(n.Y)
		if x == nil || y == nil {
			return
		}
		if types.IsInterface(x) && !types.IsInterface(y) {
			c.iface(n.Y, x)
		} else if types.IsInterface(y) && !types.IsInterface(x) {
			c.iface(n.X, y)
		}
	}
}

func (c *checker) assign(n *ast.AssignStmt) {
	info := c.pass.TypesInfo
	switch n.Tok {
	case token.ADD_ASSIGN:
		if len(n.Lhs) == 1 && isString(info.TypeOf(n.Lhs[0])) {
			c.alloc(n.TokPos, "concat: string concatenation allocates under TinyGo; append to a byte buffer")
		}
	case token.ASSIGN:
		if len(n.Lhs) == len(n.Rhs) {
			for i := range n.Lhs {
				c.iface(n.Rhs[i], info.TypeOf(n.Lhs[i]))
			}
		}
	}
}

func (c *checker) call(n *ast.CallExpr, parent ast.Node) {
	info := c.pass.TypesInfo
	ftv, ok := info.Types[n.Fun]
	if !ok {
		return
	}
	if ftv.IsType() {
		if len(n.Args) != 1 {
			return
		}
		to, from := ftv.Type, info.TypeOf(n.Args[0])
		arg := info.Types[n.Args[0]]
		switch {
		case types.IsInterface(to):
			c.iface(n.Args[0], to)
		case isString(to) && isBytes(from):
			if _, ret := parent.(*ast.ReturnStmt); ret {
				return // the copy escapes under either compiler
			}
			c.alloc(n.Pos(), "bytestring: string(%s) converts []byte to string: TinyGo copies it to the heap (gc does not for a comparison, switch or map key); compare the bytes (e.g. core.Equal)", exprString(n.Args[0]))
		case isString(to) && isInteger(from) && arg.Value == nil:
			c.alloc(n.Pos(), "bytestring: string(%s) turns a byte or rune into a string: TinyGo allocates", exprString(n.Args[0]))
		case isBytes(to) && isString(from):
			c.alloc(n.Pos(), "bytestring: []byte(%s) inside a function: TinyGo copies it to the heap unless it proves the slice read-only; use a package-level []byte", exprString(n.Args[0]))
		}
		return
	}
	if ftv.IsBuiltin() {
		id, _ := ast.Unparen(n.Fun).(*ast.Ident)
		if id == nil {
			return
		}
		switch id.Name {
		case "panic":
			if len(n.Args) == 1 {
				c.iface(n.Args[0], types.NewInterfaceType(nil, nil))
			}
		case "append":
			if n.Ellipsis.IsValid() || len(n.Args) < 2 {
				return
			}
			if s, ok := under(info.TypeOf(n.Args[0])).(*types.Slice); ok {
				for _, a := range n.Args[1:] {
					c.iface(a, s.Elem())
				}
			}
		}
		return
	}
	sig, ok := under(ftv.Type).(*types.Signature)
	if !ok {
		return
	}
	params := sig.Params()
	for i, a := range n.Args {
		var pt types.Type
		switch {
		case sig.Variadic() && i >= params.Len()-1:
			last := params.At(params.Len() - 1).Type()
			if n.Ellipsis.IsValid() {
				pt = last
			} else if s, ok := last.(*types.Slice); ok {
				pt = s.Elem()
			}
		case i < params.Len():
			pt = params.At(i).Type()
		}
		if pt != nil {
			c.iface(a, pt)
		}
	}
}

func (c *checker) composite(n *ast.CompositeLit) {
	info := c.pass.TypesInfo
	switch t := under(info.TypeOf(n)).(type) {
	case *types.Struct:
		for i, e := range n.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok {
					if obj := info.Uses[id]; obj != nil {
						c.iface(kv.Value, obj.Type())
					}
				}
			} else if i < t.NumFields() {
				c.iface(e, t.Field(i).Type())
			}
		}
	case *types.Slice:
		c.elems(n.Elts, nil, t.Elem())
	case *types.Array:
		c.elems(n.Elts, nil, t.Elem())
	case *types.Map:
		c.elems(n.Elts, t.Key(), t.Elem())
	}
}

func (c *checker) elems(elts []ast.Expr, key, elem types.Type) {
	for _, e := range elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if key != nil {
				c.iface(kv.Key, key)
			}
			e = kv.Value
		}
		c.iface(e, elem)
	}
}

// iface reports e converted to the interface type to when TinyGo must box
// it on the heap: a non-constant value larger than a pointer that is not
// pointer-shaped.
func (c *checker) iface(e ast.Expr, to types.Type) {
	if to == nil || !types.IsInterface(to) {
		return
	}
	if _, isTP := types.Unalias(to).(*types.TypeParam); isTP {
		return
	}
	tv, ok := c.pass.TypesInfo.Types[e]
	if !ok || tv.Type == nil || tv.Value != nil || tv.IsNil() || types.IsInterface(tv.Type) {
		return
	}
	if hasTypeParam(tv.Type) {
		return
	}
	switch t := tv.Type.Underlying().(type) {
	case *types.Pointer, *types.Map, *types.Chan, *types.Signature:
		return
	case *types.Basic:
		if t.Kind() == types.UnsafePointer || t.Kind() == types.Invalid {
			return
		}
	case *types.Tuple:
		return
	}
	size := sizes.Sizeof(tv.Type)
	if size <= sizes.Sizeof(types.Typ[types.UnsafePointer]) {
		return
	}
	c.alloc(e.Pos(), "iface: %s (%s, %d bytes on a 32-bit board) converted to %s: TinyGo boxes a value larger than a pointer on the heap; pass a pointer or a constant", exprString(e), types.TypeString(tv.Type, types.RelativeTo(c.pass.Pkg)), size, types.TypeString(to, types.RelativeTo(c.pass.Pkg)))
}

func hasTypeParam(t types.Type) bool {
	found := false
	var visit func(types.Type, int)
	visit = func(t types.Type, depth int) {
		if found || depth > 8 || t == nil {
			return
		}
		switch t := t.(type) {
		case *types.TypeParam:
			found = true
		case *types.Named:
			if t.TypeArgs() != nil {
				for i := 0; i < t.TypeArgs().Len(); i++ {
					visit(t.TypeArgs().At(i), depth+1)
				}
			}
			visit(t.Underlying(), depth+1)
		case *types.Alias:
			visit(types.Unalias(t), depth+1)
		case *types.Pointer:
			visit(t.Elem(), depth+1)
		case *types.Slice:
			visit(t.Elem(), depth+1)
		case *types.Array:
			visit(t.Elem(), depth+1)
		case *types.Map:
			visit(t.Key(), depth+1)
			visit(t.Elem(), depth+1)
		case *types.Chan:
			visit(t.Elem(), depth+1)
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				visit(t.Field(i).Type(), depth+1)
			}
		}
	}
	visit(t, 0)
	return found
}

// closure reports a function literal that captures local variables.
func (c *checker) closure(lit *ast.FuncLit) {
	info := c.pass.TypesInfo
	var names []string
	seen := map[types.Object]bool{}
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		v, ok := info.Uses[id].(*types.Var)
		if !ok || v.IsField() || seen[v] || v.Pkg() != c.pass.Pkg {
			return true
		}
		if v.Parent() == nil || v.Parent() == c.pass.Pkg.Scope() {
			return true
		}
		if v.Pos() >= lit.Pos() && v.Pos() < lit.End() {
			return true
		}
		seen[v] = true
		names = append(names, v.Name())
		return true
	})
	if len(names) > 0 {
		c.alloc(lit.Pos(), "closure: function literal captures %s: TinyGo moves captured variables and the closure context to the heap; pass them as arguments", strings.Join(names, ", "))
	}
}

func exprString(e ast.Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e ast.Expr) {
	switch e := e.(type) {
	case *ast.Ident:
		b.WriteString(e.Name)
	case *ast.SelectorExpr:
		writeExpr(b, e.X)
		b.WriteByte('.')
		b.WriteString(e.Sel.Name)
	case *ast.BasicLit:
		b.WriteString(e.Value)
	case *ast.ParenExpr:
		b.WriteByte('(')
		writeExpr(b, e.X)
		b.WriteByte(')')
	case *ast.StarExpr:
		b.WriteByte('*')
		writeExpr(b, e.X)
	case *ast.IndexExpr:
		writeExpr(b, e.X)
		b.WriteString("[...]")
	case *ast.SliceExpr:
		writeExpr(b, e.X)
		b.WriteString("[...]")
	case *ast.CallExpr:
		writeExpr(b, e.Fun)
		b.WriteString("(...)")
	default:
		b.WriteString("...")
	}
}
