package core

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestMaskMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 125, 127, 128, 1000, 1024, 4099, 16384, 65537}
	for i := 0; i < 200; i++ {
		sizes = append(sizes, rng.IntN(3000))
	}
	for _, n := range sizes {
		for pos := 0; pos < 8; pos++ {
			var key [4]byte
			for j := range key {
				key[j] = byte(rng.Uint32())
			}
			orig := make([]byte, n)
			for j := range orig {
				orig[j] = byte(rng.Uint32())
			}
			// Offset the slice start so unaligned starts are covered too.
			off := rng.IntN(8)
			buf := make([]byte, n+off)
			fast := buf[off:]
			copy(fast, orig)
			ref := append([]byte(nil), orig...)
			gotPos := Mask(key, pos, fast)
			wantPos := maskBytes(key, pos, ref)
			if gotPos != wantPos || !bytes.Equal(fast, ref) {
				t.Fatalf("n=%d pos=%d off=%d: Mask differs from reference (pos %d vs %d)", n, pos, off, gotPos, wantPos)
			}
		}
	}
}

func TestMaskAcrossReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	whole := append([]byte(nil), payload...)
	Mask(key, 0, whole)
	for trial := 0; trial < 50; trial++ {
		pieces := append([]byte(nil), payload...)
		pos, rest := 0, pieces
		for len(rest) > 0 {
			k := 1 + rng.IntN(97)
			if k > len(rest) {
				k = len(rest)
			}
			pos = Mask(key, pos, rest[:k])
			rest = rest[k:]
		}
		if !bytes.Equal(pieces, whole) {
			t.Fatal("masking in pieces differs from masking whole")
		}
	}
	// Masking twice restores the payload.
	Mask(key, 0, whole)
	if !bytes.Equal(whole, payload) {
		t.Fatal("mask is not its own inverse")
	}
}

func TestMaskAllocs(t *testing.T) {
	buf := make([]byte, 16384)
	key := [4]byte{1, 2, 3, 4}
	if n := testing.AllocsPerRun(100, func() { Mask(key, 1, buf) }); n != 0 {
		t.Fatalf("Mask allocates %v times", n)
	}
}

func benchMask(b *testing.B, n int) {
	buf := make([]byte, n)
	key := [4]byte{1, 2, 3, 4}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		Mask(key, 0, buf)
	}
}

func benchCopy(b *testing.B, n int) {
	src, dst := make([]byte, n), make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		copy(dst, src)
	}
}

func BenchmarkMask(b *testing.B) {
	for _, n := range []int{16, 125, 1024, 16384, 1 << 20} {
		b.Run(sizeName(n), func(b *testing.B) { benchMask(b, n) })
	}
}

func BenchmarkMaskBytesReference(b *testing.B) {
	for _, n := range []int{16, 1024, 16384} {
		b.Run(sizeName(n), func(b *testing.B) {
			buf := make([]byte, n)
			b.SetBytes(int64(n))
			for b.Loop() {
				maskBytes([4]byte{1, 2, 3, 4}, 0, buf)
			}
		})
	}
}

// BenchmarkCopy is the bandwidth yardstick for Mask: same sizes, plain copy().
func BenchmarkCopy(b *testing.B) {
	for _, n := range []int{16, 125, 1024, 16384, 1 << 20} {
		b.Run(sizeName(n), func(b *testing.B) { benchCopy(b, n) })
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + "MiB"
	case n >= 1024 && n%1024 == 0:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
