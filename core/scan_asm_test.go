//go:build amd64 && !purego && !tinygo

package core

import (
	"math/rand/v2"
	"testing"
)

// Each kernel this machine can run, called directly, maps the same bits
// as mapBlocksGo for runs of one to eight blocks of random bytes drawn
// mostly from the bytes that matter (control characters, tab, DEL, ':'
// and their neighbours) at every offset, and writes no word past its
// blocks.
func TestMapBlocksKernels(t *testing.T) {
	kernels := map[string]func([]byte, []uint64, []uint64){"SSE2": mapBlocksSSE2}
	if useAVX2 {
		kernels["AVX2"] = mapBlocksAVX2
	} else {
		t.Log("no AVX2 on this machine: only the SSE2 kernel is tested")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	near := []byte{0x00, 0x08, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x39, 0x3a, 0x3b, 0x7e, 0x7f, 0x80, 0x89, 0x9f, 0xba, 0xff}
	buf := make([]byte, 8*64+64)
	for round := 0; round < 300; round++ {
		for i := range buf {
			if rng.IntN(2) == 0 {
				buf[i] = near[rng.IntN(len(near))]
			} else {
				buf[i] = byte(rng.Uint32())
			}
		}
		n := 1 + rng.IntN(8)
		off := rng.IntN(64)
		want, wantCol := make([]uint64, n), make([]uint64, n)
		mapBlocksGo(buf[off:off+n*64], want, wantCol)
		for name, k := range kernels {
			got, gotCol := make([]uint64, n+1), make([]uint64, n+1)
			got[n], gotCol[n] = 7, 7
			k(buf[off:off+n*64], got[:n], gotCol[:n])
			for i := range n {
				if got[i] != want[i] || gotCol[i] != wantCol[i] {
					t.Fatalf("%s, %d blocks at %d: block %d maps %x %x, want %x %x", name, n, off, i, got[i], gotCol[i], want[i], wantCol[i])
				}
			}
			if got[n] != 7 || gotCol[n] != 7 {
				t.Fatalf("%s wrote past its %d blocks", name, n)
			}
		}
	}
}
