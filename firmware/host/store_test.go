//go:build linux

package host_test

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// Issue 18 defect 8: the store serves regular files only. A FIFO must not
// hang the board's one event loop, a symlink must not lead out of the
// store, and DELETE of a directory's name must not remove it.
func TestStoreServesRegularFilesOnly(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "good.txt"), []byte("good"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startBoardOpts(t, host.Options{Board: firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024}, StoreDir: dir})
	addr := srv.Addr().String()
	t.Cleanup(func() {
		// Unblock a board stuck opening the FIFO, so it can be closed.
		if fd, err := syscall.Open(filepath.Join(dir, "fifo"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			syscall.Close(fd)
		}
	})

	// The FIFO first: a board that blocks opening it answers nothing more.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(opTimeout))
	if _, err := c.Write([]byte("GET /files/fifo HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if r := readHTTP(t, c); r.Status != 404 {
		t.Errorf("GET of a FIFO: %d, want 404", r.Status)
	}
	if r := get(t, addr, "/files/good.txt"); r.Status != 200 || string(r.Body) != "good" {
		t.Fatalf("GET good.txt after the FIFO: %d %q", r.Status, r.Body)
	}
	if r := get(t, addr, "/files/link.txt"); r.Status != 404 || string(r.Body) == "secret" {
		t.Errorf("GET through a symlink out of the store: %d %q, want 404", r.Status, r.Body)
	}
	if r := rawHTTP(t, addr, "DELETE /files/sub HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"); r.Status != 404 {
		t.Errorf("DELETE of a directory: %d, want 404", r.Status)
	}
	if st, err := os.Stat(filepath.Join(dir, "sub")); err != nil || !st.IsDir() {
		t.Errorf("the directory is gone: %v", err)
	}
	if r := rawHTTP(t, addr, "DELETE /files/good.txt HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"); r.Status != 204 {
		t.Errorf("DELETE of a file: %d, want 204", r.Status)
	}
}

// Issue 18 table: a client that resets its connection frees its slot at
// once, not when a timeout runs out (a 1-slot board with hour-long
// timeouts: the next client gets the slot).
func TestResetFreesSlot(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 1024,
		HeaderTimeout: 3600 * firmware.Second, IdleTimeout: 3600 * firmware.Second,
		PingInterval: 3600 * firmware.Second, PongTimeout: 3600 * firmware.Second})
	addr := srv.Addr().String()
	for i := 0; i < 3; i++ {
		c := dialWS(t, addr, "/ws", 1024)
		if err := c.echo(core.OpBinary, []byte("hi"), 1); err != nil {
			t.Fatal(err)
		}
		tc := c.conn.(*net.TCPConn)
		tc.SetLinger(0) // close sends a reset
		tc.Close()
		waitFor(t, opTimeout, "the reset slot freed", func() bool { return srv.Stats().SlotsInUse == 0 })
	}
	if st := srv.Stats(); st.Abnormal != 3 || st.Timeouts != 0 {
		t.Errorf("abnormal %d, timeouts %d; want 3 and 0", st.Abnormal, st.Timeouts)
	}
}
