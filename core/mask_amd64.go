//go:build !purego && !tinygo

package core

// The amd64 fast path: SSE2 (the amd64 baseline) and, when the CPU and the
// operating system support it, AVX2. Both are in mask_amd64.s and are held
// to maskBytes by mask_asm_test.go; build with -tags purego to use the
// portable word-at-a-time path instead.

const haveMaskFast = true

// maskFastMin is the payload size from which Mask calls the assembly: below
// it the word loop in Go is as fast as the call.
const maskFastMin = 32

// useAVX2 is decided once, from CPUID and XGETBV.
var useAVX2 = hasAVX2()

// maskFast XORs all of b with key, the 4-byte key (already rotated to b's
// first byte) repeated over 64 bits. It jumps to maskAVX2 or maskSSE2 as
// useAVX2 says: the choice is made in assembly so that Mask calls the
// kernel with no Go frame in between.
//
//go:noescape
func maskFast(b []byte, key uint64)

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
