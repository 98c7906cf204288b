package lab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
)

// BoardSpec names an emulated board: a catalog model with fields
// overridden (zero fields keep the model's value).
type BoardSpec struct {
	Model      string
	Slots      int
	RxBuf      int
	TxBuf      int
	MaxMessage int
	LinkOff    bool
}

// Config returns the board configuration and link for s.
func (s BoardSpec) Config() (firmware.Config, host.Link, error) {
	p, err := catalog.Get(s.Model)
	if err != nil {
		return firmware.Config{}, host.Link{}, err
	}
	c := p.Board
	if s.Slots > 0 {
		c.Slots = s.Slots
	}
	if s.RxBuf > 0 {
		c.RxBuf = s.RxBuf
	}
	if s.TxBuf > 0 {
		c.TxBuf = s.TxBuf
	}
	if s.MaxMessage > 0 {
		c.MaxMessage = s.MaxMessage
	}
	link := p.Link
	if s.LinkOff {
		link = host.Link{}
	}
	return c, link, nil
}

func (s BoardSpec) String() string {
	str := s.Model
	if s.Slots > 0 {
		str += fmt.Sprintf(" slots=%d", s.Slots)
	}
	if s.RxBuf > 0 || s.TxBuf > 0 {
		str += fmt.Sprintf(" rx=%d tx=%d", s.RxBuf, s.TxBuf)
	}
	return str
}

// CheckModels reports the first model name the catalog does not know, so
// that a job refuses it before anything runs.
func CheckModels(models []string) error {
	for _, m := range models {
		if _, err := catalog.Get(m); err != nil {
			return fmt.Errorf("model %q: %w (wslab board --list names them)", m, err)
		}
	}
	return nil
}

// running is an emulated board the lab started.
type running struct {
	addr  string // host:port
	stats string // the stats port's /stats URL, which takes no slot ("" if none)
	cfg   firmware.Config
	link  host.Link
	close func() error
}

// startBoard starts an emulated board on a loopback port: in this process,
// or, when exe is set, as a child process running "exe board ...", so the
// heap its /stats reports is the board's alone and not the load
// generator's too.
func startBoard(s BoardSpec, exe string) (*running, error) {
	c, link, err := s.Config()
	if err != nil {
		return nil, err
	}
	if exe != "" {
		return startChild(exe, s, c, link)
	}
	srv, err := host.Start(host.Options{Board: c, Listen: "127.0.0.1:0", Link: link, Backlog: 512})
	if err != nil {
		return nil, fmt.Errorf("board %s: %w", s, err)
	}
	return &running{addr: srv.Addr().String(), stats: srv.StatsURL(), cfg: srv.Config(), link: link, close: srv.Close}, nil
}

// startChild runs the board as "exe board" and reads its address from the
// first line it prints.
func startChild(exe string, s BoardSpec, c firmware.Config, link host.Link) (*running, error) {
	args := []string{"board", "-model", s.Model, "-listen", "127.0.0.1:0"}
	for _, o := range []struct {
		flag string
		v    int
	}{{"-slots", s.Slots}, {"-rx", s.RxBuf}, {"-tx", s.TxBuf}, {"-max-message", s.MaxMessage}} {
		if o.v > 0 {
			args = append(args, o.flag, strconv.Itoa(o.v))
		}
	}
	if s.LinkOff {
		args = append(args, "-link", "off")
	}
	cmd := exec.Command(exe, args...)
	// The board dies with the lab, however the lab ends (SIGKILL, a closed
	// pipe), and sits in its own process group so that a Ctrl-C reaches
	// only the lab, which then stops the board itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("board %s: %w", s, err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			if first {
				line <- sc.Text()
				first = false
			}
		}
		if first {
			close(line)
		}
	}()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
					return nil // ended by our SIGTERM: a clean stop
				}
			}
			return err
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			return <-done
		}
	}
	var first string
	select {
	case first = <-line:
	case <-time.After(10 * time.Second):
	}
	_, rest, ok := strings.Cut(first, "listening on http://")
	addr, _, _ := strings.Cut(rest, " ")
	if !ok || addr == "" {
		stop()
		return nil, fmt.Errorf("board %s did not start: %s", s, strings.TrimSpace(stderr.String()))
	}
	var stats string
	if _, u, ok := strings.Cut(first, "stats at "); ok {
		stats, _, _ = strings.Cut(u, " ")
	}
	return &running{addr: addr, stats: stats, cfg: c, link: link, close: stop}, nil
}
