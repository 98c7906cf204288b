package foreign

import (
	"github.com/wslab/wslab/internal/testenv"

	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestExtractJSON(t *testing.T) {
	doc := []byte(`{"heap":{"free":123456,"largest_free_block":65536},"min_free":"90000","uptime":12.5,
		"tasks":[{"name":"httpd","free":512}]}`)
	r, err := Extract(doc, Figures{Free: "heap.free", LargestFree: "heap.largest_free_block", MinFree: "min_free", Uptime: "uptime"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Free != 123456 || r.LargestFree != 65536 || r.MinFree != 90000 || r.Uptime != 12.5 {
		t.Errorf("read %+v", r)
	}
	if r, err := Extract(doc, Figures{Free: "tasks.0.free"}); err != nil || r.Free != 512 || r.LargestFree != -1 {
		t.Errorf("array path: %+v %v", r, err)
	}
	for _, bad := range []string{"heap.nope", "tasks.3.free", "heap", "tasks.x"} {
		if _, err := Extract(doc, Figures{Free: bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("path %q: error %v, want one naming it", bad, err)
		}
	}
}

func TestExtractPrometheus(t *testing.T) {
	doc := []byte("# HELP esp_heap_free_bytes Free heap.\n# TYPE esp_heap_free_bytes gauge\nesp_heap_free_bytes 123456\n" +
		"# TYPE esp_heap_largest_free_block_bytes gauge\nesp_heap_largest_free_block_bytes{caps=\"8bit\"} 4096\n" +
		"# TYPE uptime_seconds_total counter\nuptime_seconds_total 42\nmin_free 1000\n")
	r, err := Extract(doc, Figures{Free: "esp_heap_free_bytes", LargestFree: "esp_heap_largest_free_block_bytes",
		Uptime: "uptime_seconds_total", MinFree: "min_free"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Free != 123456 || r.LargestFree != 4096 || r.Uptime != 42 || r.MinFree != 1000 {
		t.Errorf("read %+v", r)
	}
	if _, err := Extract(doc, Figures{Free: "heap_free"}); err == nil || !strings.Contains(err.Error(), "heap_free") {
		t.Errorf("missing metric: %v", err)
	}
}

// rebootingBoard is a board's stats server whose uptime counts its own
// requests: restarting it resets the uptime, as a reboot does.
type rebootingBoard struct {
	addr   string
	srv    *http.Server
	uptime atomic.Int64
}

func (b *rebootingBoard) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // the port may linger a moment after a stop
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	b.addr = ln.Addr().String()
	b.uptime.Store(0)
	b.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"heap":{"free":%d},"uptime":%d}`, 200000-b.uptime.Load(), 100+b.uptime.Add(1))
	})}
	go b.srv.Serve(ln)
}

func waitEvent(t *testing.T, w *Watcher, kind string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		c := 0
		for _, e := range w.events {
			if e.Kind == kind {
				c++
			}
		}
		w.mu.Unlock()
		if c >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Fatalf("no %s event in 10s; events %+v", kind, w.events)
}

func TestWatchDetectsReboot(t *testing.T) {
	b := &rebootingBoard{addr: "127.0.0.1:0"}
	b.start(t)
	w, err := Watch(WatchOptions{StatsURL: "http://" + b.addr + "/stats", Port: b.addr, Every: 20 * time.Millisecond,
		Figures: Figures{Free: "heap.free", Uptime: "uptime"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // a few readings, uptime rising
	b.srv.Close()
	waitEvent(t, w, EventStatsDown, 1)
	waitEvent(t, w, EventPortDown, 1)
	b.start(t)
	waitEvent(t, w, EventStatsUp, 1)
	waitEvent(t, w, EventPortUp, 1)
	waitEvent(t, w, EventReboot, 1)
	readings, events := w.Stop()
	b.srv.Close()
	if len(readings) < 3 || readings[0].Free <= 0 {
		t.Errorf("readings %+v", readings)
	}
	var reboots int
	for _, e := range events {
		if e.Kind == EventReboot {
			reboots++
		}
	}
	if reboots != 1 {
		t.Errorf("%d reboots in %+v, want 1", reboots, events)
	}
	// Without the restart, rising uptime is no reboot.
	b2 := &rebootingBoard{addr: "127.0.0.1:0"}
	b2.start(t)
	defer b2.srv.Close()
	w2, err := Watch(WatchOptions{StatsURL: "http://" + b2.addr + "/", Every: 10 * time.Millisecond, Figures: Figures{Uptime: "uptime"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, ev := w2.Stop(); len(ev) != 0 {
		t.Errorf("events on a steady board: %+v", ev)
	}
}

func TestWatchBadInput(t *testing.T) {
	b := &rebootingBoard{addr: "127.0.0.1:0"}
	b.start(t)
	defer b.srv.Close()
	for _, o := range []WatchOptions{
		{},
		{StatsURL: "http://" + b.addr + "/"},
		{StatsURL: "http://" + b.addr + "/", Figures: Figures{Free: "heap.nope"}},
		{Serial: "/nonexistent/tty"},
		{Serial: "/dev/null"},
	} {
		if w, err := Watch(o); err == nil {
			w.Stop()
			t.Errorf("Watch(%+v): no error", o)
		}
	}
}

// openPty returns a pseudo-terminal's master and its slave's path.
func openPty(t *testing.T) (*os.File, string) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		testenv.SkipOrFail(t, "no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { m.Close() })
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

func TestSerialCrashOnPty(t *testing.T) {
	m, slave := openPty(t)
	w, err := Watch(WatchOptions{Serial: slave, Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	console := "I (312) wifi: connected\r\n" +
		"Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.\r\n" +
		"I (400) httpd: started\r\n" +
		"ets Jun  8 2016 00:22:57\r\nrst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n" +
		"E (5000) task_wdt: Task watchdog got triggered.\r\n"
	if _, err := m.Write([]byte(console)); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, w, EventCrash, 3)
	_, events := w.Stop()
	want := []string{"Guru Meditation Error", "rst:0xc", "task_wdt"}
	if len(events) != len(want) {
		t.Fatalf("events %+v, want the %d crash lines", events, len(want))
	}
	for i, e := range events {
		if e.Kind != EventCrash || !strings.Contains(e.Detail, want[i]) || strings.HasSuffix(e.Detail, "\r") {
			t.Errorf("event %d: %+v, want the line with %q", i, e, want[i])
		}
	}
}
