package loadgen

import "testing"

// The ramp's figure runs from the first dial of any worker to the last
// open of any, not from the run's start: workers that start late (a loaded
// machine, the first /stats reading) do not count in it (issue 16 item 3).
func TestRampNoteFromFirstDial(t *testing.T) {
	e := &engine{workers: []*worker{
		{firstDial: 5_000_000, lastOpen: 60_000_000},
		{firstDial: 3_000_000, lastOpen: 90_000_000},
		{}, // a worker with no connection
	}}
	got, ok := e.rampNote(1000)
	if want := "ramp: 1000 connections opened in 87ms"; !ok || got != want {
		t.Errorf("rampNote = %q %v, want %q", got, ok, want)
	}
	if _, ok := (&engine{workers: []*worker{{}}}).rampNote(0); ok {
		t.Error("a ramp that opened nothing has a figure")
	}
}
