package core

import (
	"encoding/binary"
	"testing"
)

func TestEqualHasPrefix(t *testing.T) {
	for _, c := range []struct {
		b, s        string
		eq, hasPref bool
	}{
		{"GET", "GET", true, true},
		{"GETX", "GET", false, true},
		{"GE", "GET", false, false},
		{"get", "GET", false, false},
		{"", "", true, true},
		{"x", "", false, true},
		{"HTTP/1.1", "HTTP/1.", false, true},
		{"HTTP/2.0", "HTTP/1.", false, false},
	} {
		if got := Equal([]byte(c.b), c.s); got != c.eq {
			t.Errorf("Equal(%q, %q) = %v", c.b, c.s, got)
		}
		if got := HasPrefix([]byte(c.b), c.s); got != c.hasPref {
			t.Errorf("HasPrefix(%q, %q) = %v", c.b, c.s, got)
		}
	}
	b := []byte("/ws/source")
	if n := testing.AllocsPerRun(100, func() {
		if !Equal(b, "/ws/source") || !HasPrefix(b, "/ws") || Equal(b[:3], "/wx") {
			t.Fatal("wrong answer")
		}
	}); n != 0 {
		t.Fatalf("Equal and HasPrefix allocate: %v per run", n)
	}
}

// The byte-order helpers read and write what encoding/binary does.
func TestByteOrder(t *testing.T) {
	b := []byte{0x81, 0x02, 0xF3, 0x04, 0x05, 0xA6, 0x07, 0xF8, 0x09}
	if le32(b) != binary.LittleEndian.Uint32(b) || le64(b) != binary.LittleEndian.Uint64(b) ||
		be16(b) != binary.BigEndian.Uint16(b) || be64(b) != binary.BigEndian.Uint64(b) {
		t.Fatal("byte order helpers disagree with encoding/binary")
	}
	var x, y [8]byte
	putLE64(x[:], 0x0102030405060708)
	binary.LittleEndian.PutUint64(y[:], 0x0102030405060708)
	if x != y {
		t.Fatalf("putLE64 wrote % x, want % x", x, y)
	}
	var v uint64 = 0xF1E2D3C4B5A69788
	x, y = [8]byte{}, [8]byte{}
	putBE64(x[:], v)
	binary.BigEndian.PutUint64(y[:], v)
	if x != y {
		t.Fatalf("putBE64 wrote % x, want % x", x, y)
	}
	x, y = [8]byte{}, [8]byte{}
	putBE16(x[:], uint16(v))
	binary.BigEndian.PutUint16(y[:], uint16(v))
	putLE32(x[2:], uint32(v))
	binary.LittleEndian.PutUint32(y[2:], uint32(v))
	if x != y {
		t.Fatalf("putBE16/putLE32 wrote % x, want % x", x, y)
	}
}
