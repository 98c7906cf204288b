//go:build linux

package host

import (
	"math"
	"testing"
)

// TestSpreadPerUnit: with Spread 1 a unit of work's cost is exponential
// (its standard deviation is its mean), and a batch of n units taken in
// one call varies as their sum does, 1/sqrt(n) of that: a batch drawn as
// one unit scaled up made a saturated board's rate vary by a tenth between
// two runs. The mean stays the cost's at every batch size.
func TestSpreadPerUnit(t *testing.T) {
	for _, sp := range []float64{1, 0.5} {
		v := newVCPU(CPU{MsgIn: 1000, Spread: sp}, 0, 0, 42)
		for _, units := range []int64{1, 4, 8, spreadExact, 64, 400} {
			const draws = 40000
			var sum, sq float64
			for range draws {
				x := float64(v.spread(1_000_000, units)) / 1e6
				sum += x
				sq += x * x
			}
			mean := sum / draws
			sd := math.Sqrt(sq/draws - mean*mean)
			want := sp / math.Sqrt(float64(units))
			t.Logf("spread %.1f, %3d units: mean %.3f, sd %.3f (want 1, %.3f)", sp, units, mean, sd, want)
			if math.Abs(mean-1) > 0.02 {
				t.Errorf("spread %.1f, %d units: mean cost %.3f of the nominal, want 1", sp, units, mean)
			}
			if math.Abs(sd-want) > 0.05*want+0.005 {
				t.Errorf("spread %.1f, %d units: standard deviation %.3f, want %.3f (the sum of %d independent costs)", sp, units, sd, want, units)
			}
		}
	}
	if v := newVCPU(CPU{MsgIn: 1000}, 0, 0, 42); v.spread(12345, 3) != 12345 {
		t.Error("without Spread every cost is its mean")
	}
}
