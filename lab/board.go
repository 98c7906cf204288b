package lab

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
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
	CPUOff     bool // the host's speed instead of the board's processor
	// TLS terminates TLS in front of the board as its model does
	// (catalog.ApplyTLS: a self-signed certificate of the model's key,
	// the handshake on its CPU, a session's RAM): it serves wss://.
	TLS bool
}

// Resolve returns the board s names, through catalog.Resolve like
// `wslab board`'s flags.
func (s BoardSpec) Resolve() (catalog.Board, error) {
	var o catalog.Overrides
	for _, f := range []struct {
		dst **int
		v   int
	}{{&o.Slots, s.Slots}, {&o.RxBuf, s.RxBuf}, {&o.TxBuf, s.TxBuf}, {&o.MaxMessage, s.MaxMessage}} {
		if f.v > 0 {
			v := f.v
			*f.dst = &v
		}
	}
	o.LinkOff, o.CPUOff = s.LinkOff, s.CPUOff
	if s.Model == "" || strings.EqualFold(s.Model, catalog.Custom) {
		return catalog.Board{}, fmt.Errorf("board model %q: the lab runs catalog models (wslab board --list names them)", s.Model)
	}
	return catalog.Resolve(s.Model, o)
}

// String names the configuration the one way wslab does
// (results.ConfigLabel), the figures it sets and no others.
func (s BoardSpec) String() string {
	return results.ConfigLabel(results.Board{Model: s.Model, Slots: s.Slots, RxBuf: s.RxBuf, TxBuf: s.TxBuf})
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

// CheckTLS reports the first model whose board serves no TLS, so that a
// job with TLS on refuses it before anything runs.
func CheckTLS(models []string) error {
	for _, m := range models {
		if p, ok := catalog.TLSFor(m); ok && p.Unsupported != "" {
			return fmt.Errorf("model %s serves no TLS: %s (drop it from the models, or run without --tls)", m, p.Unsupported)
		}
	}
	return nil
}

// tlsHandshake is what a TLS handshake costs board b's CPU when it runs
// with TLS on, as `wslab board --tls` sets it up.
func tlsHandshake(b catalog.Board) time.Duration {
	opts := b.Options()
	if _, err := catalog.ApplyTLS(&opts, b.Config.Model, "", "", ""); err != nil {
		return 0
	}
	return time.Duration(opts.CPU.TLSHandshake)
}

// running is an emulated board the lab started.
type running struct {
	ws string // the scheme and host:port of its WebSocket server, ws://... or wss://...
	// tlsHandshake is what a TLS handshake costs the board's CPU (0:
	// no TLS, or at the host's speed).
	tlsHandshake time.Duration
	addr         string // host:port
	stats        string // the stats port's /stats URL, which takes no slot ("" if none)
	board        catalog.Board
	close        func() error
}

// startBoard starts an emulated board on a loopback port: in this process,
// or, when exe is set, as a child process running "exe board ...", so the
// heap its /stats reports is the board's alone and not the load
// generator's too. Both run the board s resolves to.
func startBoard(s BoardSpec, exe string) (*running, error) {
	b, err := s.Resolve()
	if err != nil {
		return nil, err
	}
	if exe != "" {
		r, err := startChild(exe, s, b)
		if err == nil && s.TLS {
			r.tlsHandshake = tlsHandshake(b)
		}
		return r, err
	}
	opts := b.Options()
	opts.Listen = "127.0.0.1:0"
	opts.Backlog = 512
	if s.TLS {
		if _, err := catalog.ApplyTLS(&opts, b.Config.Model, "", "", ""); err != nil {
			return nil, fmt.Errorf("board %s: %w", s, err)
		}
	}
	srv, err := host.Start(opts)
	if err != nil {
		return nil, fmt.Errorf("board %s: %w", s, err)
	}
	return &running{ws: baseURL(srv.WSURL("/")), tlsHandshake: time.Duration(opts.CPU.TLSHandshake),
		addr: srv.Addr().String(), stats: srv.StatsURL(), board: b, close: srv.Close}, nil
}

// startChild runs the board as "exe board --config-json -", hands it the
// resolved board on its standard input and reads its address from the
// ready line it prints (see ReadyPrefix). The child must echo back
// the board it runs: one that runs anything else is stopped and refused.
func startChild(exe string, s BoardSpec, b catalog.Board) (*running, error) {
	spec, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	args := []string{"board", "--config-json", "-", "--listen", "127.0.0.1:0"}
	if s.TLS {
		args = append(args, "--tls")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdin = bytes.NewReader(spec)
	// The board dies with the lab, however the lab ends (SIGKILL, a closed
	// pipe), and sits in its own process group so that a Ctrl-C reaches
	// only the lab, which then stops the board itself. The lab's death
	// sends it SIGTERM, not SIGKILL: it closes and removes its temporary
	// upload store (wslab board stops itself within boardStopWait).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
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
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		ready := false
		for sc.Scan() {
			// Lines before the ready line (a foreign server's events)
			// are not the lab's.
			if !ready && strings.HasPrefix(sc.Text(), ReadyPrefix) {
				line <- sc.Text()
				ready = true
			}
		}
		if !ready {
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
	var said bool
	select {
	case first, said = <-line:
	case <-time.After(10 * time.Second):
	}
	if !said {
		stop()
		return nil, fmt.Errorf("board %s did not start: %s", s, strings.TrimSpace(stderr.String()))
	}
	r, err := ParseReady(first)
	if err != nil {
		stop()
		return nil, fmt.Errorf("board %s: %w (stderr: %s)", s, err, strings.TrimSpace(stderr.String()))
	}
	if r.Board != b {
		stop()
		return nil, fmt.Errorf("board %s: the child runs %+v, not the board the lab resolved, %+v", s, r.Board, b)
	}
	ws := "ws://" + r.Addr
	if r.WS != "" {
		ws = baseURL(r.WS)
	}
	if s.TLS && !strings.HasPrefix(ws, "wss://") {
		stop()
		return nil, fmt.Errorf("board %s: started without TLS (ready line: %s)", s, first)
	}
	return &running{ws: ws, addr: r.Addr, stats: r.Stats, board: b, close: stop}, nil
}
