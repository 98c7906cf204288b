//go:build !purego && !tinygo

package core

// mapBlocks maps each 64-byte block of b into ctl and colon, as
// mapBlocksGo does, with SSE2 (the amd64 baseline): sixteen bytes compared
// at once and their top bits gathered by PMOVMSKB. b holds len(ctl) blocks
// at least, and colon is as long as ctl. In scan_amd64.s; the fuzz tests
// hold it to mapBlocksGo and to a byte-at-a-time reference.
//
//go:noescape
func mapBlocks(b []byte, ctl, colon []uint64)
