package loadgen

import (
	"encoding/json"
	"time"

	"github.com/wslab/wslab/results"
)

// foreignCrashes is the part of a foreign board's /stats (wslab board
// --exec, package foreign) that lists the server's crashes.
type foreignCrashes struct {
	Crashes []struct {
		At     time.Time `json:"at"`
		Reason string    `json:"reason"`
		OOM    bool      `json:"oom"`
		Peak   int64     `json:"memory_peak"`
	} `json:"crashes"`
}

// addBoardEvents reads the board's /stats once more after the run and puts
// the crashes it lists from the run's time in the Run (wslab's emulated
// board lists none).
func addBoardEvents(sc *statsClient, r *results.Run) {
	if sc == nil || r == nil {
		return
	}
	doc, err := sc.get()
	if err != nil {
		return
	}
	var fc foreignCrashes
	if json.Unmarshal(doc, &fc) != nil {
		return
	}
	for _, c := range fc.Crashes {
		if c.At.Before(r.Start) {
			continue // an earlier run's
		}
		detail := c.Reason
		if c.OOM {
			detail = "killed for memory at its limit"
		}
		r.BoardEvents = append(r.BoardEvents, results.BoardEvent{Offset: results.Duration(c.At.Sub(r.Start)), Kind: "crash", Detail: detail})
	}
	if len(fc.Crashes) > 0 && len(r.BoardEvents) > 0 {
		r.Notes = append(r.Notes, "the board crashed during the run: see board_events")
	}
}
