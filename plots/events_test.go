package plots

import (
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

// TestHeapOverTimeMarksEvents: a board's crashes and reboots are marked on
// the heap figure's time axis (one legend entry per kind), and a board that
// gives only free heap is plotted as free heap, not as a zero line.
func TestHeapOverTimeMarksEvents(t *testing.T) {
	r := &results.Run{Board: results.Board{Model: "real-esp32"}}
	for i := 0; i < 10; i++ {
		r.Heap = append(r.Heap, results.HeapSample{Offset: results.Duration(time.Duration(i) * time.Second),
			HeapFree: int64(150000 - 1000*i), LargestFree: 60000})
	}
	plain, err := HeapOverTime([]*results.Run{r})
	if err != nil {
		t.Fatal(err)
	}
	if plain.entries != 1 || !freeOnly(r) {
		t.Errorf("%d legend entries, want the free heap line", plain.entries)
	}
	if y := plain.rows[0][0].Y.Max; y < 150000/1024.0 {
		t.Errorf("y axis up to %g KiB: the free heap is off the plot", y)
	}
	r.BoardEvents = []results.BoardEvent{
		{Offset: results.Duration(3 * time.Second), Kind: "crash", Detail: "Guru Meditation Error"},
		{Offset: results.Duration(4 * time.Second), Kind: "reboot"},
		{Offset: results.Duration(5 * time.Second), Kind: "stats-down"},
		{Offset: results.Duration(12 * time.Second), Kind: "crash"},
	}
	marked, err := HeapOverTime([]*results.Run{r})
	if err != nil {
		t.Fatal(err)
	}
	if marked.entries != 3 {
		t.Errorf("%d legend entries, want the line, crash and reboot", marked.entries)
	}
	if x := marked.rows[0][0].X.Max; x < 12 {
		t.Errorf("time axis ends at %g s, before the last crash at 12 s", x)
	}
}
