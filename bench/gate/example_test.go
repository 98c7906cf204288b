package gate_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/wslab/wslab/bench/gate"
)

// Two small benchmark files, as `go test -bench -count 3` writes them: in
// HEAD the encoder allocates once per frame where BASE allocated nothing,
// and the decoder's median time rose by 20% on three samples, too few for
// the Holm-corrected test ever to reach significance. The gate fails on the
// allocation alone, which is exact, and says why the time row does not.
func Example() {
	base := `goos: linux
goarch: amd64
pkg: github.com/wslab/wslab/core
BenchmarkEncode-2   	 1000000	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkEncode-2   	 1000000	       101.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkEncode-2   	 1000000	        99.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecode-2   	 1000000	       200.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecode-2   	 1000000	       202.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecode-2   	 1000000	       198.0 ns/op	       0 B/op	       0 allocs/op
`
	head := `goos: linux
goarch: amd64
pkg: github.com/wslab/wslab/core
BenchmarkEncode-2   	 1000000	       100.0 ns/op	      64 B/op	       1 allocs/op
BenchmarkEncode-2   	 1000000	       102.0 ns/op	      64 B/op	       1 allocs/op
BenchmarkEncode-2   	 1000000	        98.0 ns/op	      64 B/op	       1 allocs/op
BenchmarkDecode-2   	 1000000	       240.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecode-2   	 1000000	       242.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecode-2   	 1000000	       238.0 ns/op	       0 B/op	       0 allocs/op
`
	b, err := gate.Read(strings.NewReader(base), "base.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := gate.Read(strings.NewReader(head), "head.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gate.Compare(b, h, gate.Options{})
	if err := r.WriteTable(os.Stdout); err != nil {
		fmt.Println(err)
	}
	fmt.Println("failed:", r.Failed())
	// Output:
	// gate: BASE base.txt vs HEAD head.txt
	// rules: gated time,allocs,bytes,instr; sec/op fails if p < 0.01 (Mann-Whitney, Holm-adjusted over the 2 sec/op rows) and > +10%; instr/op fails if > +1%; allocs/op and B/op fail on any rise
	//
	// benchmark          unit       base        head        delta    p            verdict
	// BenchmarkEncode-2  sec/op     100.0n ± ∞  100.0n ± ∞  0.00%    p=1.000 n=3  too few samples
	// BenchmarkEncode-2  B/op       0 ± ∞       64 ± ∞      +∞       n=3          FAIL: +64 B/op
	// BenchmarkEncode-2  allocs/op  0 ± ∞       1 ± ∞       +∞       n=3          FAIL: +1 allocs/op
	// BenchmarkDecode-2  sec/op     200.0n ± ∞  240.0n ± ∞  +20.00%  p=0.200 n=3  too few samples
	// (2 unchanged or ungated rows not shown; -v shows every row)
	//
	// note: need >= 6 samples for confidence interval at level 0.95 (4 rows)
	//
	// FAIL: 2 regressions: BenchmarkEncode-2 +64 B/op; BenchmarkEncode-2 +1 allocs/op (6 rows; 2 too few samples)
	// failed: true
}
