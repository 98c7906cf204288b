//go:build !purego && !tinygo

package core

import "unsafe"

// The amd64 fast path: SSE2 (the amd64 baseline) and, when the CPU and the
// operating system support it, AVX2. Both are in mask_amd64.s and are held
// to maskBytes by mask_asm_test.go; build with -tags purego to use the
// portable word-at-a-time path (mask_generic.go) instead.

// keyWord reads the key as a little-endian uint32 (key[0] in the low byte)
// with one load: amd64 is little-endian. It costs the inliner next to
// nothing, so Mask stays inlinable.
func keyWord(k *[4]byte) uint32 { return *(*uint32)(unsafe.Pointer(k)) }

// useAVX2 is decided once, from CPUID and XGETBV.
var useAVX2 = hasAVX2()

// mask is Mask for a key read as a little-endian uint32 (key[0] in the low
// byte). It rotates the key to pos, then jumps to the AVX2 or the SSE2
// kernel as useAVX2 says.
//
//go:noescape
func mask(key uint32, pos int, b []byte) int

// maskSSE2 and maskAVX2 XOR all of b with key, the 4-byte key (already
// rotated so that its low byte goes with b[0]) repeated over 64 bits. Any
// length and alignment will do. The tests call them directly.
//
//go:noescape
func maskSSE2(b []byte, key uint64)

//go:noescape
func maskAVX2(b []byte, key uint64)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// hasAVX2 reports whether AVX2 instructions can run: the CPU has them
// (CPUID leaf 7) and the operating system saves the YMM registers (OSXSAVE,
// then XCR0 bits 1 and 2).
func hasAVX2() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}
