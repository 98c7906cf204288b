package maskseed

import "testing"

// Two generators seeded from crypto/rand start apart (a constant seed, or
// the zero seed NewMaskGen replaces, would make them equal).
func TestSeeded(t *testing.T) {
	a, b := New(), New()
	if a.Uint64() == b.Uint64() {
		t.Fatal("two seeded generators gave the same first value")
	}
}
