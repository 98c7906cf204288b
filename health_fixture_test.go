package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/internal/testenv"
)

// ailingBoard is a board whose health comes from outside its WebSocket
// port, as a real one's does: an emulated board to load, a stats server
// (free heap falling 100 B a reading, the largest free block 60000 B, an
// uptime that resets at the 4th reading, as after a reboot) and a serial
// console on a pseudo-terminal that prints crash at that same reading.
// It returns the board, the stats URL (path /sys) and the console's path.
func ailingBoard(t *testing.T, model, crash string) (srv *host.Server, statsURL, console string) {
	t.Helper()
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: model, Slots: 8, RxBuf: 2048, TxBuf: 2048}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ptmx, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		testenv.SkipOrFail(t, "no pseudo-terminals: %v", err)
	}
	unix.IoctlSetPointerInt(ptmx, unix.TIOCSPTLCK, 0)
	n, _ := unix.IoctlGetInt(ptmx, unix.TIOCGPTN)
	master := os.NewFile(uintptr(ptmx), "ptmx")
	t.Cleanup(func() { master.Close() })
	var calls atomic.Int64
	stats := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := calls.Add(1)
		up := c
		if c >= 4 {
			up = c - 3 // rebooted
			if c == 4 {
				master.Write([]byte(crash + "\r\n"))
			}
		}
		fmt.Fprintf(w, `{"heap":{"free":%d,"largest_free_block":%d},"uptime":%d}`, 150000-c*100, 60000, up)
	}))
	t.Cleanup(stats.Close)
	return srv, stats.URL + "/sys", fmt.Sprintf("/dev/pts/%d", n)
}
