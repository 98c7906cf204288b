package results

import "strconv"

// ConfigLabel names a board configuration the one way wslab names it: the
// model and every buffer it sets, in bytes exactly (a recommendation is
// typed back as flags), e.g. "esp32-idf (slots 7, rx 512 B, tx 4380 B)".
// Runs of one label are runs of one configuration: diff groups by it,
// sweep's table, verdicts and report name by it, Recommend's configurations
// are labelled by it. Zero figures (not set) are left out; with none set it
// is the model alone.
func ConfigLabel(b Board) string {
	s := b.Model
	sep := " ("
	add := func(name string, v int, unit string) {
		if v == 0 {
			return
		}
		s += sep + name + " " + strconv.Itoa(v) + unit
		sep = ", "
	}
	add("slots", b.Slots, "")
	add("rx", b.RxBuf, " B")
	add("tx", b.TxBuf, " B")
	if sep == ", " {
		s += ")"
	}
	return s
}
