package core

// Mask XORs b in place with the 4-byte masking key, starting at position pos
// of the key's cycle (the count of payload bytes already masked, mod 4), and
// returns the position after b. Masking and unmasking are the same operation,
// so a payload that arrives in several reads is unmasked piece by piece:
//
//	pos = Mask(key, pos, first)
//	pos = Mask(key, pos, second)
//
// On amd64 it runs an SSE2 or AVX2 kernel (mask_amd64.s); elsewhere, and
// with -tags purego, a word-at-a-time loop (mask_generic.go). maskBytes is
// the byte-wise reference the tests hold both to. Mask is small enough to
// be inlined, so callers reach the kernel with one call.
func Mask(key [4]byte, pos int, b []byte) int {
	return mask(keyWord(&key), pos, b)
}

// maskBytes is the portable byte-at-a-time reference for Mask.
func maskBytes(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// MaskGen is a MaskSource: a xorshift64* generator. Seed it from a secret
// random value so keys are not predictable from outside; it never
// allocates. core has no random source of its own: a client on a host seeds
// it from crypto/rand (internal/maskseed), and a board, which only answers
// clients and never masks, needs none (TinyGo's baremetal crypto/rand
// panics on rp2040, ESP32 and ESP8266).
type MaskGen struct{ s uint64 }

// NewMaskGen returns a generator seeded with seed (0 is replaced by a constant).
func NewMaskGen(seed uint64) *MaskGen {
	if seed == 0 {
		seed = 0x9E3779B97F4A7C15
	}
	return &MaskGen{s: seed}
}

// Uint64 returns the next 64 pseudo-random bits.
func (g *MaskGen) Uint64() uint64 {
	g.s ^= g.s >> 12
	g.s ^= g.s << 25
	g.s ^= g.s >> 27
	return g.s * 0x2545F4914F6CDD1D
}

// NextMask returns a fresh masking key.
func (g *MaskGen) NextMask() [4]byte {
	v := g.Uint64() >> 32
	return [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}
