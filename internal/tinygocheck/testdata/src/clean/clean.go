// Package clean is board-style code that follows every rule: no diagnostics.
package clean

type slot struct {
	buf    []byte
	rs, re int
}

var errFull = &slotErr{"full"}

type slotErr struct{ msg string }

func (e *slotErr) Error() string { return e.msg }

func hasPrefix(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

func (s *slot) feed(p []byte) (int, error) {
	n := copy(s.buf[s.re:], p)
	s.re += n
	if n < len(p) {
		return n, errFull
	}
	if hasPrefix(s.buf[s.rs:s.re], "GET ") {
		return n, nil
	}
	return n, nil
}
