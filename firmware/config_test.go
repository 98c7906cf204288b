package firmware_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/wslab/wslab/firmware"
)

// budgetText is "S[+P] slots x (R rx + T tx + B slot[ + Q queue]) + F fixed = N B > G B budget...".
var budgetText = regexp.MustCompile(`^(\d+)(?:\+(\d+))? slots x \((\d+) rx \+ (\d+) tx \+ (\d+) slot(?: \+ (\d+) queue)?\) \+ (\d+) fixed = (\d+) B > (\d+) B budget`)

// TestBudgetTextAddsUp: the refusal of a configuration over its budget
// shows a sum that adds up, for boards with a queue and a spare slot too
// (the queue's bytes were once in the total but not in the text).
func TestBudgetTextAddsUp(t *testing.T) {
	for _, c := range []firmware.Config{
		{Model: "plain", Slots: 8, RxBuf: 2048, TxBuf: 2048, HeapBudget: 16 << 10},
		{Model: "queue", Slots: 8, RxBuf: 2048, TxBuf: 2048, QueueLen: 32, HeapBudget: 16 << 10},
		{Model: "evict", Slots: 8, RxBuf: 2048, TxBuf: 2048, QueueLen: 32, HeapBudget: 16 << 10, FailMode: firmware.FailEvictOldest},
	} {
		err := c.Check()
		if err == nil {
			t.Fatalf("%s: over budget but accepted", c.Model)
		}
		m := budgetText.FindStringSubmatch(err.Error())
		if m == nil {
			t.Fatalf("%s: %q does not read as a sum", c.Model, err)
		}
		n := make([]int, len(m))
		for i, s := range m[1:] {
			n[i+1], _ = strconv.Atoi(s)
		}
		slots, spare, rx, tx, book, queue, fixed, total := n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8]
		if sum := (slots+spare)*(rx+tx+book+queue) + fixed; sum != total {
			t.Errorf("%s: %q: the terms add up to %d, not %d", c.Model, err, sum, total)
		}
		if f := c.Footprint(); f.Total != total {
			t.Errorf("%s: text total %d, footprint %d", c.Model, total, f.Total)
		}
		if (c.QueueLen > 0) != (queue > 0) || (c.FailMode == firmware.FailEvictOldest) != (spare == 1) {
			t.Errorf("%s: %q: queue or spare slot missing from the text", c.Model, err)
		}
	}
}

// TestFailModeNames: every mode has a name that parses back.
func TestFailModeNames(t *testing.T) {
	for _, name := range []string{"503", "accept-close", "reset", "backlog", "evict-oldest", "syn-drop"} {
		m, ok := firmware.ParseFailMode(name)
		if !ok || m.String() != name {
			t.Errorf("%q parses to %v (%v)", name, m, ok)
		}
	}
	if _, ok := firmware.ParseFailMode("refuse"); ok {
		t.Error("an unknown name parsed")
	}
}
