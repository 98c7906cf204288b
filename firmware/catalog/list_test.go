package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// listPresets are two fixed models whose figures differ pairwise (rx and
// tx, footprint and budget, bandwidth and round trip), so a printer that
// swaps two columns fails TestWriteList.
func listPresets() []Preset {
	return []Preset{
		{Name: "board-a", Description: "a board with a queue and a CPU",
			Board: firmware.Config{Model: "board-a", Slots: 3, RxBuf: 1024, TxBuf: 2048, MaxMessage: 4096,
				HeapBudget: 64 << 10, FailMode: firmware.FailEvictOldest, QueueLen: 8},
			Link:    host.Link{Bps: 5e6, RTT: int64(10 * time.Millisecond)},
			CPU:     host.CPU{MsgIn: int64(time.Millisecond), MsgOut: int64(500 * time.Microsecond)},
			Sources: map[string]string{"slots": "[V] three", "buffers": "[E] guessed"}},
		{Name: "board-b", Description: "a board on no link",
			Board: firmware.Config{Model: "board-b", Slots: 10, RxBuf: 512, TxBuf: 256, MaxMessage: 1000,
				HeapBudget: 1 << 20, FailMode: firmware.FailReject503}},
	}
}

func TestWriteList(t *testing.T) {
	ps := listPresets()
	var b strings.Builder
	if err := WriteList(&b, ps); err != nil {
		t.Fatal(err)
	}
	// The footprints follow the firmware's slot bookkeeping: computed
	// here, so the golden text holds only when the columns are right.
	fa, fb := sizeOf(ps[0].Board.Footprint().Total), sizeOf(ps[1].Board.Footprint().Total)
	want := strings.NewReplacer("FA/", fa+"/", "FB/", fb+"/").Replace(`MODEL    SLOTS  RX/TX B    MSG CAP  QUEUE   FOOTPRINT/BUDGET  LINK      RTT   CPU/ECHO  WHEN FULL
board-a  3      1024/2048  4 KiB    8 drop  FA/64 KiB   5 Mbit/s  10ms  1.5ms     evict-oldest
board-b  10     512/256    1000 B   -       FB/1 MiB    off       0s    -         503

Sources ([V] read in the source, [D] datasheet, [E] estimate to calibrate):

board-a: a board with a queue and a CPU
  buffers      [E] guessed
  slots        [V] three

board-b: a board on no link
`)
	if got := b.String(); got != want {
		t.Errorf("WriteList:\n%s\nwant:\n%s", got, want)
	}
}
