package foreign

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// CrashSignatures are the lines a board's serial console prints when it
// crashes or resets: ESP-IDF's panic handler ("Guru Meditation Error: Core
// 0 panic'ed"), the ROM's reset reason ("rst:0xc (SW_CPU_RESET)"), the task
// watchdog, abort() and panics of other runtimes (TinyGo, MicroPython,
// Zephyr's fatal errors).
var CrashSignatures = []string{"Guru Meditation", "rst:", "task_wdt", "abort()", "panic", "FATAL ERROR", "Fatal exception"}

var bauds = map[int]uint32{
	9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200,
	230400: unix.B230400, 460800: unix.B460800, 921600: unix.B921600, 1500000: unix.B1500000,
	2000000: unix.B2000000,
}

// Serial watches a serial console for crash signatures.
type Serial struct {
	f    *os.File
	done chan struct{}
	once sync.Once
}

// OpenSerial opens a serial device (or pseudo-terminal) raw at baud (0
// leaves its speed) and calls match with every line that holds one of
// signatures (CrashSignatures when nil).
func OpenSerial(path string, baud int, signatures []string, match func(line string)) (*Serial, error) {
	speed, ok := bauds[baud]
	if baud != 0 && !ok {
		return nil, fmt.Errorf("serial %s: unsupported baud rate %d", path, baud)
	}
	if signatures == nil {
		signatures = CrashSignatures
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("serial %s: %w", path, err)
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("serial %s: not a terminal: %w", path, err)
	}
	// Raw input, 8N1, no echo or line editing (cfmakeraw).
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if baud != 0 {
		t.Cflag &^= unix.CBAUD
		t.Cflag |= speed
		t.Ispeed, t.Ospeed = speed, speed
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("serial %s: set %d baud: %w", path, baud, err)
	}
	// Non-blocking, so the runtime's poller reads it and Close ends a read.
	s := &Serial{f: os.NewFile(uintptr(fd), path), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(s.f)
		sc.Buffer(make([]byte, 4096), 64<<10)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			for _, sig := range signatures {
				if strings.Contains(line, sig) {
					match(line)
					break
				}
			}
		}
	}()
	return s, nil
}

// Close stops watching.
func (s *Serial) Close() error {
	var err error
	s.once.Do(func() {
		err = s.f.Close()
		<-s.done
	})
	return err
}
