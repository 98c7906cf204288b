// Package lib reaches crypto/rand, as core did through SeedMaskGen.
package lib

import "crypto/rand" // not a root of the test: no diagnostic expected here

// Seed reads a seed from crypto/rand.
func Seed() byte {
	var b [1]byte
	rand.Read(b[:])
	return b[0]
}
