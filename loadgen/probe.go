//go:build linux

package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/results"
)

// The field scenarios (browser, reload, background-tab, dead-peers,
// reconnect-storm, ladder, nodrop) ask a question of the board rather than
// load it: each is a sequence of a few connections doing what browsers,
// flaky WiFi and careless clients do, on blocking sockets (a handful of
// connections, not thousands), with one answer a user reads in one line.
// The answer goes in the Run's notes with the prefix AnswerNote.

// AnswerNote prefixes the note holding a field scenario's one-line answer.
const AnswerNote = results.AnswerPrefix

// Answer returns r's one-line answer (a field scenario's), or "".
func Answer(r *results.Run) string {
	for _, n := range r.Notes {
		if s, ok := strings.CutPrefix(n, AnswerNote); ok {
			return s
		}
	}
	return ""
}

// probe is one field scenario's run: its spec, target, the board's stats
// (nil when the target has none) and the record it fills.
type probe struct {
	ctx   context.Context
	s     *Spec
	t     *target
	clk   *clock
	sc    *statsClient
	smp   *sampler
	r     *results.Run
	t0    int64
	seed  atomic.Uint64
	stats BoardStats // the first /stats reading, when there was one
	have  bool
	// rcvBuf, when > 0, is the receive buffer of the sockets dialed (a
	// client that stops reading fills it soon).
	rcvBuf int
	mu     sync.Mutex // the record's counts from concurrent clients
}

// probeFunc runs a field scenario and returns its answer.
type probeFunc func(p *probe) (string, error)

// probeOf returns the probe of a field scenario (nil: a load scenario).
func probeOf(name string) probeFunc {
	switch name {
	case Browser:
		return runBrowser
	case Reload:
		return runReload
	case BackgroundTab:
		return runBackgroundTab
	case DeadPeers:
		return runDeadPeers
	case ReconnectStorm:
		return runReconnectStorm
	case Ladder:
		return runLadder
	case NoDrop:
		return runNoDrop
	}
	return nil
}

// runProbe runs a field scenario: the board's heap and slots are sampled
// all along (the plot of reload and dead-peers), and the answer is noted.
func runProbe(ctx context.Context, s *Spec, t *target, clk *clock, sc *statsClient, board results.Board, notes []string, f probeFunc) (*results.Run, error) {
	p := &probe{ctx: ctx, s: s, t: t, clk: clk, sc: sc}
	p.seed.Store(uint64(time.Now().UnixNano()))
	p.t0 = clk.now()
	p.r = results.New(clk.wall(p.t0), results.Scenario{Name: s.Scenario, Conns: s.Conns, Size: s.Size,
		Duration: results.Duration(s.Duration), Path: pathOnly(t.path), Params: params(s)}, board, s.Target)
	p.r.Notes = append(p.r.Notes, notes...)
	if sc != nil {
		if doc, err := sc.get(); err == nil && ParseStats(doc, &p.stats) == nil {
			p.have = true
		}
		if s.HeapEvery > 0 && (s.Scenario == Reload || s.Scenario == DeadPeers || s.Scenario == BackgroundTab) {
			// A series over time (each reading a connection of its own,
			// which the others would feel as a user taking a slot).
			p.smp = newSampler(sc, clk, s.HeapEvery, int(s.Timeout/s.HeapEvery)+8)
			p.smp.take()
			go p.smp.run()
		}
	}
	ans, err := f(p)
	if p.smp != nil {
		p.smp.halt()
		p.smp.take()
		p.r.Heap = p.smp.heap(p.t0)
		if p.smp.fails > 0 {
			p.note("%d board stats readings failed (each needs a slot of its own), the last with: %v", p.smp.fails, p.smp.err)
		}
	}
	p.r.End = clk.wall(clk.now())
	if ans != "" {
		p.r.Notes = append(p.r.Notes, AnswerNote+ans)
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return p.r, fmt.Errorf("loadgen: %s: %w", s.Scenario, err)
	}
	return p.r, nil
}

// slots is the board's slot count from /stats, or def.
func (p *probe) slots(def int) int {
	if p.have && p.stats.SlotsTotal > 0 {
		return int(p.stats.SlotsTotal)
	}
	if p.r.Board.Slots > 0 {
		return p.r.Board.Slots
	}
	return def
}

// read takes one /stats reading now (false: none).
func (p *probe) read() (BoardStats, bool) {
	if p.smp != nil {
		x, ok := p.smp.take()
		return x.BoardStats, ok
	}
	if p.sc == nil {
		return BoardStats{}, false
	}
	var st BoardStats
	doc, err := p.sc.get()
	if err != nil || ParseStats(doc, &st) != nil {
		return st, false
	}
	return st, true
}

// plural is "1 user", "2 users".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// lastStats is the sampler's latest reading (false: none).
func (p *probe) lastStats() (BoardStats, bool) {
	if p.smp == nil {
		return BoardStats{}, false
	}
	x, ok := p.smp.last()
	return x.BoardStats, ok
}

// sleep waits d or until the run ends; false when it ended.
func (p *probe) sleep(d time.Duration) bool {
	if d <= 0 {
		return p.ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// fail counts one error of kind in the record.
func (p *probe) fail(kind string) {
	p.mu.Lock()
	p.r.Errors[kind]++
	p.mu.Unlock()
}

// countHTTP counts one answered HTTP request.
func (p *probe) countHTTP() {
	p.mu.Lock()
	p.r.Counts.HTTPRequests++
	p.r.Counts.HTTPResponses++
	p.mu.Unlock()
}

// note adds a note.
func (p *probe) note(format string, a ...any) {
	p.r.Notes = append(p.r.Notes, fmt.Sprintf(format, a...))
}

// param records a parameter of the scenario.
func (p *probe) param(k, v string) {
	if p.r.Scenario.Params == nil {
		p.r.Scenario.Params = map[string]string{}
	}
	p.r.Scenario.Params[k] = v
}

// pconn is a blocking WebSocket client connection over core's codec.
type pconn struct {
	nc   net.Conn
	rd   core.ConnReader
	wmu  sync.Mutex // send and recv's pongs may come from two goroutines
	keys *core.MaskGen
	out  []byte
}

// dialTCP opens a TCP connection to the target, its segments capped at
// the spec's MSS.
func (p *probe) dialTCP(timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	mss, rcv := p.s.MSS, p.rcvBuf
	d.Control = func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			if mss > 0 {
				_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, mss)
			}
			if rcv > 0 {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcv)
			}
		})
	}
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(p.t.ip.String(), fmt.Sprint(p.t.port)))
	if err != nil {
		return nil, err
	}
	return wrapTLS(p.ctx, p.t, nc, timeout) // wss://: the TLS handshake too (tls.go)
}

// handshake is what a WebSocket dial found.
type handshake struct {
	status    int
	extension string // Sec-WebSocket-Extensions of the 101, if any
}

// wsRequest builds an upgrade request for path with key; nil is core's.
type wsRequest func(host, path string, key []byte) []byte

// dialWS opens a WebSocket to path with the request req makes (nil:
// core's plain request), within timeout. The error's kind is errKindOf's.
// dialCounted opens a WebSocket on the target's path (no extra headers,
// 1 KiB messages) and counts the attempt in the Run: opened, or failed by
// its kind.
func (p *probe) dialCounted(timeout time.Duration) (*pconn, bool) {
	p.r.Counts.ConnsAttempted++
	c, _, err := p.dialWS(p.t.path, nil, timeout, 1<<10)
	if err != nil {
		p.fail(errKindOf(err))
		p.r.Counts.ConnsFailed++
		return nil, false
	}
	p.r.Counts.ConnsOpened++
	return c, true
}

func (p *probe) dialWS(path string, req wsRequest, timeout time.Duration, maxMsg int) (*pconn, handshake, error) {
	var hs handshake
	deadline := time.Now().Add(timeout)
	nc, err := p.dialTCP(timeout)
	if err != nil {
		return nil, hs, err
	}
	c := &pconn{nc: nc, keys: core.NewMaskGen(p.seed.Add(1))}
	key := core.NewClientKey(c.keys)
	var b []byte
	if req != nil {
		b = req(p.t.hostport, path, key[:])
	} else {
		b = core.AppendClientRequest(nil, []byte(p.t.hostport), []byte(path), key[:], nil)
	}
	_ = nc.SetDeadline(deadline)
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, hs, err
	}
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			nc.Close()
			return nil, hs, errors.New("handshake bad")
		}
		n, err := nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		resp, hn, perr := core.ParseResponse(buf, key[:])
		if perr == nil {
			hs.status = 101
			hs.extension = headerValue(resp.Head, "sec-websocket-extensions")
			rx := max(maxMsg+core.MaxHeaderSize+core.MaxControlPayload, 4<<10)
			c.rd = core.ConnReader{Src: nc, Rx: make([]byte, rx), R: core.Reader{Role: core.Client, Buf: make([]byte, max(maxMsg, 1<<10)), MaxMessage: max(maxMsg, 1<<10)}}
			c.rd.Preload(buf[hn:])
			_ = nc.SetDeadline(time.Time{})
			return c, hs, nil
		}
		if perr != core.ErrNeedMore {
			nc.Close()
			hs.status = resp.Status
			if resp.Status != 0 && resp.Status != 101 {
				return nil, hs, probeStatus(resp.Status)
			}
			return nil, hs, errors.New("handshake bad")
		}
		if err != nil {
			nc.Close()
			if err == io.EOF {
				return nil, hs, errHandshakeEOF
			}
			return nil, hs, err
		}
	}
}

var errHandshakeEOF = errors.New("handshake eof")

type probeStatus int

func (e probeStatus) Error() string { return results.HandshakeStatus(int(e)) }

// headerValue returns the value of header name (lower case) in head.
func headerValue(head []byte, name string) string {
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(k)), name) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// errKindOf names an error the way Run.Errors does.
func errKindOf(err error) string {
	var se probeStatus
	var ce closeError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Error()
	case errors.As(err, &ce):
		return ce.Error()
	case errors.Is(err, errHandshakeEOF):
		return "handshake eof"
	case certError(err):
		return errNames[eTLSCert]
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.EOF):
		return "eof"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "unreachable"
	}
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return err.Error()
}

// closeError is a close frame the board sent.
type closeError int

func (e closeError) Error() string { return results.CloseCode(int(e)) }

// send writes one binary message as a single frame.
func (c *pconn) send(payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.out = core.AppendFrame(c.out[:0], true, core.OpBinary, payload, true, c.keys.NextMask())
	_, err := c.nc.Write(c.out)
	return err
}

// recv returns the next data message within timeout, answering pings; a
// close frame from the board is a closeError.
func (c *pconn) recv(timeout time.Duration) ([]byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		ev, err := c.rd.Next()
		if err != nil {
			return nil, err
		}
		switch ev.Kind {
		case core.EventMessage:
			return ev.Payload, nil
		case core.EventPing:
			c.wmu.Lock()
			c.out = core.AppendFrame(c.out[:0], true, core.OpPong, ev.Payload, true, c.keys.NextMask())
			_, err := c.nc.Write(c.out)
			c.wmu.Unlock()
			if err != nil {
				return nil, err
			}
		case core.EventClose:
			code := int(ev.Code)
			if code == 0 {
				code = 1005
			}
			return nil, closeError(code)
		}
	}
}

// closeWS sends a close frame (1001: going away, as a browser leaving a
// page) and closes the socket without waiting.
func (c *pconn) closeWS() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.out = core.AppendClose(c.out[:0], 1001, nil, true, c.keys.NextMask())
	_ = c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.nc.Write(c.out)
	c.nc.Close()
}

// abort closes the socket without a close frame (FIN, as a reload or a
// killed tab).
func (c *pconn) abort() { c.nc.Close() }
