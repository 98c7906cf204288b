//go:build !amd64 || purego || tinygo

package core

// No assembly on this target: Mask uses its word-at-a-time loop for every
// size.

const haveMaskFast = false

const maskFastMin = maxInt

func maskFast(b []byte, key uint64) {}
