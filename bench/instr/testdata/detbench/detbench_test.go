// Package detbench holds deterministic, allocation-free benchmarks that the
// instr package's tests count under callgrind: the same binary must give the
// same instr/op on every run.
package detbench

import (
	"crypto/sha1"
	"os"
	"strconv"
	"testing"
)

var (
	input = func() []byte {
		b := make([]byte, 16<<10)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}()
	sink [sha1.Size]byte
	out  = make([]byte, 16<<10)
)

// BenchmarkSHA1 hashes 1 KiB with crypto/sha1.
func BenchmarkSHA1(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(1024)
	for i := 0; i < b.N; i++ {
		sink = sha1.Sum(input[:1024])
	}
}

// xorLen is the length BenchmarkXOR masks: 16 KiB, or DETBENCH_XOR_BYTES
// bytes (at most 16 KiB). The gate's testdata/record.sh sets it to record a
// real slowdown of the same benchmark name.
var xorLen = func() int {
	if n, err := strconv.Atoi(os.Getenv("DETBENCH_XOR_BYTES")); err == nil && n > 0 && n <= len(input) {
		return n
	}
	return len(input)
}()

// BenchmarkXOR masks 16 KiB byte by byte with a 4-byte key, the way a
// WebSocket frame is masked.
func BenchmarkXOR(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(xorLen))
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for i := 0; i < b.N; i++ {
		xor(out[:xorLen], input[:xorLen], key)
	}
}

// BenchmarkXORLoop is BenchmarkXOR written with b.Loop, which the testing
// package calls once per measurement instead of once with b.N = 1 and again
// with b.N = N.
func BenchmarkXORLoop(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(xorLen))
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for b.Loop() {
		xor(out[:xorLen], input[:xorLen], key)
	}
}

//go:noinline
func xor(dst, src []byte, key [4]byte) {
	for i := range src {
		dst[i] = src[i] ^ key[i&3]
	}
}

// BenchmarkSizes has sub-benchmarks sharing one closure.
func BenchmarkSizes(b *testing.B) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range []int{64, 4096} {
		b.Run(sizeName(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				xor(out[:n], input[:n], key)
			}
		})
	}
}

func sizeName(n int) string {
	if n == 64 {
		return "size=64"
	}
	return "size=4096"
}

var sinkBuf []byte

// BenchmarkAlloc allocates 4 KiB per op, so the garbage collector runs
// during the loop.
func BenchmarkAlloc(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkBuf = make([]byte, 4096)
	}
}
