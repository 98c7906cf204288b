//go:build !purego && !tinygo

package core

// mapBlocks maps each 64-byte block of b into ctl and colon, as
// mapBlocksGo does: with AVX2 when the machine has it (thirty-two bytes
// compared at once), else with SSE2, the amd64 baseline (sixteen), the
// top bits of the comparisons gathered by PMOVMSKB. b holds len(ctl)
// blocks at least, and colon is as long as ctl. The kernels are in
// scan_amd64.s; the tests hold both to mapBlocksGo and to a byte-at-a-time
// reference.
func mapBlocks(b []byte, ctl, colon []uint64) {
	if useAVX2 {
		mapBlocksAVX2(b, ctl, colon)
	} else {
		mapBlocksSSE2(b, ctl, colon)
	}
}

//go:noescape
func mapBlocksSSE2(b []byte, ctl, colon []uint64)

//go:noescape
func mapBlocksAVX2(b []byte, ctl, colon []uint64)
