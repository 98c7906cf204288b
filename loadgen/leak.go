package loadgen

import (
	"fmt"

	"github.com/montanaflynn/stats"

	"github.com/wslab/wslab/results"
)

// Leak is the verdict on a board's heap after a churn or soak run.
type Leak struct {
	// Checked is false when the run has no heap series to judge.
	Checked bool
	// Suspected is true when the heap grew by at least the floor in all
	// and by at least the threshold per connection opened.
	Suspected bool
	// Growth is the heap growth in bytes: for churn, the settled reading
	// minus the baseline; for soak, the fitted slope over the run.
	Growth int64
	// Conns is the connections opened while the heap grew (churn: the
	// cycles; soak: the reconnections).
	Conns int64
	// PerConn is Growth/Conns in bytes (0 without connections).
	PerConn float64
	// PerHour is the least-squares slope of the heap in bytes per hour.
	PerHour float64
}

func (l Leak) String() string {
	if !l.Checked {
		return "heap not checked (no /stats series)"
	}
	verdict := "no leak"
	if l.Suspected {
		verdict = "LEAK suspected"
	}
	return fmt.Sprintf("%s: heap grew %d B over %d connections (%.0f B/conn), slope %.0f B/hour",
		verdict, l.Growth, l.Conns, l.PerConn, l.PerHour)
}

// CheckLeak judges the heap series of a churn or soak run made by Run:
// churn's series starts with the baseline and ends with the settled
// reading; soak's spans the measurement. A leak is suspected when the
// growth is at least floor bytes and at least threshold bytes per
// connection opened (DefaultLeakPerConn and DefaultLeakFloor when zero).
func CheckLeak(r *results.Run, threshold float64, floor int64) Leak {
	if threshold <= 0 {
		threshold = DefaultLeakPerConn
	}
	if floor <= 0 {
		floor = DefaultLeakFloor
	}
	var l Leak
	h := r.Heap
	if len(h) < 2 {
		return l
	}
	l.Checked = true
	l.PerHour = slopePerHour(h)
	switch r.Scenario.Name {
	case Soak:
		span := (h[len(h)-1].Offset - h[0].Offset).D().Hours()
		l.Growth = int64(l.PerHour * span)
		l.Conns = max(r.Counts.ConnsOpened-int64(r.Scenario.Conns), 0)
	default:
		l.Growth = h[len(h)-1].HeapInUse - h[0].HeapInUse
		l.Conns = r.Counts.ConnsOpened
	}
	if l.Conns > 0 {
		l.PerConn = float64(l.Growth) / float64(l.Conns)
	}
	l.Suspected = l.Growth >= floor && (l.Conns == 0 || l.PerConn >= threshold)
	return l
}

// slopePerHour fits heap in use against time by least squares.
func slopePerHour(h []results.HeapSample) float64 {
	series := make(stats.Series, len(h))
	for i, x := range h {
		series[i] = stats.Coordinate{X: x.Offset.D().Hours(), Y: float64(x.HeapInUse)}
	}
	fit, err := stats.LinearRegression(series)
	if err != nil || len(fit) < 2 {
		return 0
	}
	a, b := fit[0], fit[len(fit)-1]
	if b.X == a.X {
		return 0
	}
	return (b.Y - a.Y) / (b.X - a.X)
}
