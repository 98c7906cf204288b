package a // want package:"reaches crypto/rand, encoding/json, fmt, math/big, reflect"

import "errors"

type request struct{ Path, Method []byte }

// byte to string conversions

func route(req *request, b []byte) int {
	switch string(req.Path) { // want `bytestring: string\(req.Path\) converts \[\]byte to string`
	case "/":
		return 1
	}
	m := string(req.Method) // want `bytestring: string\(req.Method\) converts`
	if string(b) == "x" {   // want `bytestring: string\(b\) converts`
		return 2
	}
	if string(b[:2]) != "GE" { // want `bytestring: string\(b\[...\]\) converts`
		return 3
	}
	if equal(b, "GET") { // negative: a byte compare that does not convert
		return 4
	}
	_ = string(rune(b[0])) // want `bytestring: string\(rune\(...\)\) turns a byte or rune into a string`
	_ = string(rune('x'))  // negative: constant
	buf := []byte("done")  // want `bytestring: \[\]byte\("done"\) inside a function`
	_ = buf
	return len(m)
}

var pkgBytes = []byte("idle") // negative: package-level, made once

func equal(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

type msgErr struct{ msg []byte }

// negative: the copy is the result and escapes under either compiler.
func (e *msgErr) Error() string { return string(e.msg) }

// maps

type table map[string]int // want `map: map type on the board`

func maps(t table) int {
	m := make(map[string]int) // want `map: map type on the board`
	m["a"] = 1                // want `map: map index on the board`
	n := t["b"]               // want `map: map index on the board`
	for range t {             // want `map: range over a map on the board`
		n++
	}
	arr := [2]int{1, 2}
	n += arr[1] // negative: an array index
	for range arr {
	}
	return n
}

// goroutines and defer

func goroutine() {
	go func() {}() // want `go: goroutine on the board`
}

func deferred(f func()) {
	defer f() // want `defer: defer on the board`
	for i := 0; i < 2; i++ {
		defer f() // want `defer: defer in a loop`
	}
	//tinygo:ok released on every path, tested once at start
	defer f()
	defer f() //tinygo:ok same line marker
	defer f() //tinygo:okay is not the marker // want `defer: defer on the board`
	//tinygo:ok
	defer f() // want `tinygo:ok needs a reason` `defer: defer on the board`
}

// interface conversions

type code uint8

func (c code) Error() string { return "code" }

type strErr string

func (s strErr) Error() string { return string(s) }

type big struct{ a, b, c int32 }

func sink(v any)            {}
func sinks(v ...any)        {}
func takeErr(err error) int { return 0 }

var errVar = strErr("x") // negative: package-level initializer
var errIface error = strErr("y")

func ifaces(b big, p *big, s string, c code, err error, n int, n64 int64) (error, any) {
	sink(b)           // want `iface: b \(big, 12 bytes on a 32-bit board\) converted to any`
	sink(p)           // negative: a pointer
	sink(s)           // want `iface: s \(string, 8 bytes`
	sink("constant")  // negative: a constant
	sink(c)           // negative: fits in a pointer
	sink(n)           // negative: 4 bytes on a 32-bit board
	sink(n64)         // want `iface: n64 \(int64, 8 bytes`
	sinks(p, b, 1)    // want `iface: b \(big`
	sinks([]any{}...) // negative: passes the slice
	var e error
	e = errVar // want `iface: errVar \(strErr`
	e = code(3)
	_ = e
	if err == errVar { // want `iface: errVar \(strErr`
		return err, nil
	}
	if err == errIface || err == code(1) { // negative: interface and constant
		return nil, nil
	}
	switch err {
	case errVar: // want `iface: errVar \(strErr`
	case errIface:
	}
	_ = []any{b, p}             // want `iface: b \(big`
	_ = struct{ v any }{v: b}   // want `iface: b \(big`
	_ = any(b)                  // want `iface: b \(big`
	_ = takeErr(errors.New("")) // negative: already an interface
	if n > 0 {
		return errVar, nil // want `iface: errVar \(strErr`
	}
	return c, p
}

// string concatenation

const prefix = "ws" + ":" // negative: constant folding

func concat(a, b string) string {
	s := a + b        // want `concat: string concatenation`
	s += "x"          // want `concat: string concatenation`
	return s + prefix // want `concat: string concatenation`
}

// closures

func closures(d []byte, n int) []byte {
	f := func(d []byte, v byte) []byte { return append(d, v) } // negative: captures nothing
	d = f(d, 'a')
	g := func() { n++ } // want `closure: function literal captures n`
	g()
	h := func(x int) int { // want `closure: function literal captures d, n`
		return len(d) + n + x
	}
	return append(d, byte(h(1)))
}

// start-up code: the allocation rules do not apply

var table2 = func() (t [4]uint8) {
	for i, s := range []string{"ab", "cd"} {
		b := []byte(s) // negative: package-level initializer
		t[i] = b[0]
	}
	return t
}()

var names []any

func init() {
	s := "x"
	names = append(names, s+s, big{}) // negative: runs once
	m := map[int]int{}                // want `map: map type on the board`
	_ = m
}
