package gate

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18: a value that is not a measurement (NaN, an infinity, a
// negative count) is refused by name: NaN compares false with everything,
// so a gate fed one would pass whatever the head measured.
func TestReadRefusesNonMeasurements(t *testing.T) {
	for _, in := range []string{"BenchmarkX-2 1 NaN ns/op\n", "BenchmarkX-2 1 +Inf allocs/op\n",
		"BenchmarkX-2 1 -5 B/op\n", "BenchmarkX-2 0 5 ns/op\n"} {
		if _, err := Read(strings.NewReader(in), "head.txt"); err == nil || !strings.Contains(err.Error(), "head.txt") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// FuzzRead: any bytes either fail with an error naming the file or give a
// set of finite, non-negative values that gates against itself with no
// failure.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("pkg: x\nBenchmarkA-2 10 5 ns/op 0 B/op 0 allocs/op\nBenchmarkA-2 10 6 ns/op 0 B/op 0 allocs/op\n"))
	f.Add([]byte("BenchmarkX-2 1 NaN ns/op\n"))
	f.Add([]byte("BenchmarkX-2 1 12 instr/op\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Read(strings.NewReader(string(b)), "f.txt")
		if err != nil {
			if !strings.Contains(err.Error(), "f.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if s.size() == 0 {
			t.Fatal("a set with no benchmark read without error")
		}
		for _, k := range s.keys() {
			for _, u := range s.unitsOf(k) {
				vs := s.Values(k, u)
				if len(vs) == 0 {
					t.Fatalf("%s %s: no values", k, u)
				}
				for _, v := range vs {
					if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
						t.Fatalf("%s: %v %s read as a measurement", k, v, u)
					}
				}
			}
		}
		if r := Compare(s, s, Options{}); r.Failed() {
			t.Fatalf("a set gated against itself fails: %+v", r.failures())
		}
	})
}
