// Package leaf reaches nothing banned.
package leaf

import "unicode/utf8"

// Valid reports whether b is UTF-8.
func Valid(b []byte) bool { return utf8.Valid(b) }
