package deadlines

import (
	"math/rand/v2"
	"testing"
)

// Random moves against a brute-force scan: Min is always the earliest
// deadline set, and removed items never come back.
func TestHeapAgainstScan(t *testing.T) {
	const n = 64
	h := New(n)
	want := make([]int64, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := 0; step < 20000; step++ {
		i := rng.IntN(n)
		v := int64(0)
		if rng.IntN(4) > 0 {
			v = 1 + rng.Int64N(1000)
		}
		h.Set(i, v)
		want[i] = v
		wi, wat := -1, int64(0)
		for k, at := range want {
			if at != 0 && (wi < 0 || at < wat) {
				wi, wat = k, at
			}
		}
		gi, gat := h.Min()
		if gat != wat || (wi < 0) != (gi < 0) || (gi >= 0 && want[gi] != gat) {
			t.Fatalf("step %d: Min = (%d, %d), want deadline %d (item %d)", step, gi, gat, wat, wi)
		}
		if h.At(i) != v {
			t.Fatalf("At(%d) = %d, want %d", i, h.At(i), v)
		}
	}
}

func TestSetAllocatesNothing(t *testing.T) {
	h := New(100)
	k := 0
	if a := testing.AllocsPerRun(1000, func() { k = (k + 37) % 100; h.Set(k, int64(k+1)) }); a != 0 {
		t.Fatalf("Set allocates %v", a)
	}
}
