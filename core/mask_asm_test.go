//go:build amd64 && !purego && !tinygo

package core

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// maskKernels are the assembly kernels this machine can run, by name.
func maskKernels(t *testing.T) map[string]func([]byte, uint64) {
	k := map[string]func([]byte, uint64){"SSE2": maskSSE2}
	if useAVX2 {
		k["AVX2"] = maskAVX2
	} else {
		t.Log("no AVX2 on this machine: only the SSE2 kernel is tested")
	}
	return k
}

// Each kernel, called directly, equals maskBytes for every size up to 5000
// and some large ones, every start offset within a 64-byte line and every
// key phase, and leaves the bytes around the slice alone.
func TestMaskKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	sizes := make([]int, 0, 5010)
	for n := 0; n <= 5000; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 65535, 65536, 1<<20+17)
	const guard = 64
	for name, kernel := range maskKernels(t) {
		t.Run(name, func(t *testing.T) {
			for _, n := range sizes {
				off := rng.IntN(64)
				if n < 300 {
					off = n % 64 // every offset for the sizes around the thresholds
				}
				pos := rng.IntN(4)
				key := [4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}
				buf := make([]byte, guard+off+n+guard)
				for i := range buf {
					buf[i] = byte(rng.Uint32())
				}
				ref := append([]byte(nil), buf...)
				maskBytes(key, pos, ref[guard+off:guard+off+n])
				k32 := uint32(key[pos]) | uint32(key[(pos+1)&3])<<8 | uint32(key[(pos+2)&3])<<16 | uint32(key[(pos+3)&3])<<24
				kernel(buf[guard+off:guard+off+n], uint64(k32)|uint64(k32)<<32)
				if !bytes.Equal(buf, ref) {
					i := 0
					for buf[i] == ref[i] {
						i++
					}
					t.Fatalf("n=%d off=%d pos=%d: first difference at byte %d of the slice", n, off, pos, i-guard-off)
				}
			}
		})
	}
}

// Mask itself, across the size where it switches to the kernels and in
// pieces that end at every phase, on both kernels.
func TestMaskDispatchBothKernels(t *testing.T) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	rng := rand.New(rand.NewPCG(13, 14))
	for _, avx := range []bool{false, saved} {
		useAVX2 = avx
		for n := 0; n < 600; n++ {
			payload := make([]byte, n)
			for i := range payload {
				payload[i] = byte(rng.Uint32())
			}
			key := [4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}
			want := append([]byte(nil), payload...)
			maskBytes(key, 0, want)
			got := append([]byte(nil), payload...)
			pos, rest := 0, got
			for len(rest) > 0 {
				k := 1 + rng.IntN(len(rest))
				pos = Mask(key, pos, rest[:k])
				rest = rest[k:]
			}
			if !bytes.Equal(got, want) || pos != n&3 {
				t.Fatalf("avx2=%v n=%d: Mask in pieces differs from maskBytes", avx, n)
			}
		}
	}
}
