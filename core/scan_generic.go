//go:build !amd64 || purego || tinygo

package core

// mapBlocks maps each 64-byte block of b into ctl and colon (see
// mapBlocksGo); b holds len(ctl) blocks at least.
func mapBlocks(b []byte, ctl, colon []uint64) { mapBlocksGo(b, ctl, colon) }
