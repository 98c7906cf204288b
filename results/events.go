package results

// BoardEvent is something that happened to the board during a run, seen
// from outside it: a reboot (its uptime went backwards), its stats URL or
// WebSocket port going away and coming back, a crash line on its serial
// console, or a foreign server killed at its memory limit.
type BoardEvent struct {
	Offset Duration `json:"offset"` // from Start; negative: before the run began
	// Kind is "reboot", "stats-down", "stats-up", "port-down", "port-up"
	// or "crash".
	Kind string `json:"kind"`
	// Detail is the matched console line, or what was seen.
	Detail string `json:"detail,omitempty"`
}
