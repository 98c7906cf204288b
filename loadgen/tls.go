//go:build linux

package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/internal/rawio"
	"github.com/wslab/wslab/results"
)

// Histograms of a wss:// run's connect phases (the handshake histogram
// holds their sum): the TCP connect, the TLS handshake, and the WebSocket
// upgrade from the request to the 101.
const (
	HistConnectTCP     = results.HistConnectTCP
	HistConnectTLS     = results.HistConnectTLS
	HistConnectUpgrade = results.HistConnectUpgrade
)

// clientTLS is the TLS configuration of a wss:// target on host: the
// system's roots plus s.CAFile, or no verification with s.Insecure. The
// server name (SNI, and the name the certificate must carry) is host.
func clientTLS(s *Spec, host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: s.Insecure}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", s.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// certError reports whether err is the client refusing the server's
// certificate.
func certError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var inv x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &inv) || errors.As(err, &verify)
}

// tlsAdvice is what a certificate error says to do about it.
const tlsAdvice = "pass --insecure to accept a self-signed board, or --ca FILE to trust its certificate"

// CertError is a wss:// target whose certificate the client refused.
type CertError struct {
	URL string
	Err error
}

func (e *CertError) Error() string {
	return e.URL + ": the board's certificate is not trusted (" + e.Err.Error() + "): " + tlsAdvice
}

func (e *CertError) Unwrap() error { return e.Err }

// tlsError names a failed TLS handshake with target u; a refused
// certificate says how to fix it.
func tlsError(u string, err error) error {
	if certError(err) {
		return &CertError{URL: u, Err: err}
	}
	return fmt.Errorf("%s: TLS handshake: %w", u, err)
}

// tlsKind classifies a failed TCP connect or TLS handshake.
func tlsKind(err error, connected bool) errKind {
	var errno syscall.Errno
	switch {
	case certError(err):
		return eTLSCert
	case errors.As(err, &errno):
		if connected {
			return ioKind(errno)
		}
		return dialKind(errno)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return eHandshakeEOF // accepted, then closed without a word (accept-close)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		if connected {
			return eHung
		}
		return eSynTimeout
	case connected:
		return eTLS
	}
	return eDial
}

// checkTLS opens one TLS connection to t before a run, so that a board
// whose certificate is not trusted fails the run at once with the fix
// named, rather than as a count of failed connections. Other failures
// (refused, full) are left to the run to count.
func checkTLS(ctx context.Context, s *Spec, t *target) error {
	d := net.Dialer{Timeout: s.DialTimeout}
	ctx, cancel := context.WithTimeout(ctx, s.DialTimeout)
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(t.ip.String(), strconv.Itoa(t.port)))
	if err != nil {
		return nil
	}
	defer nc.Close()
	tc := tls.Client(nc, t.tls)
	if err := tc.HandshakeContext(ctx); err != nil && certError(err) {
		return tlsError(t.url, err)
	}
	_ = tc.Close()
	return nil
}

// wrapTLS runs the TLS handshake of t over nc (a probe's connection): nc
// itself for a ws:// target.
func wrapTLS(ctx context.Context, t *target, nc net.Conn, timeout time.Duration) (net.Conn, error) {
	if t.tls == nil {
		return nc, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc := tls.Client(nc, t.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		if certError(err) {
			return nil, tlsError(t.url, err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errHandshakeEOF
		}
		return nil, err
	}
	return tc, nil
}

// A wss:// connection of the epoll workers: the connection state machine
// reads and writes plain bytes on one end of a socket pair (so the loop,
// its readiness and its buffers are those of ws://), and a goroutine of
// its own connects, runs the TLS handshake and then pumps between the
// other end and the TLS connection. The connect completes, for the
// state machine, when the TLS handshake has: the goroutine hands the
// loop the outcome and the phases' times as a command.

// tlsDial is one wss:// connection attempt.
type tlsDial struct {
	cancel    context.CancelFunc
	connected atomic.Bool // the TCP connect completed (a timeout now is a hung handshake)
	tlsDone   int64       // when the TLS handshake finished (clock ns), for the upgrade phase
}

// dialTLS starts c's wss:// connection: c.fd is the state machine's end
// of a socket pair, watched for nothing until the handshake is done.
func (w *worker) dialTLS(c *conn) (dialResult, errKind) {
	e := w.e
	idx, ok := e.addrs.get()
	if !ok {
		return dialNoSocket, eAddr
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return dialNoSocket, eDial
	}
	c.gen++
	// Errors and hang-ups only until the command says the handshake is
	// done (connectDone turns reads on).
	w.ev = unix.EpollEvent{Events: unix.EPOLLRDHUP, Fd: int32(c.i), Pad: c.gen}
	if err := rawio.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fds[0], &w.ev); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return dialNoSocket, eDial
	}
	c.fd, c.addr = fds[0], idx
	f := os.NewFile(uintptr(fds[1]), "wss-pair")
	pair, err := net.FileConn(f) // a duplicate, in the runtime's poller
	f.Close()
	if err != nil {
		return dialFailed, eDial
	}
	ctx, cancel := context.WithTimeout(e.tlsCtx, w.s.DialTimeout)
	d := &tlsDial{cancel: cancel}
	w.tlsDials[c.i] = d
	var local net.Addr
	if ip := e.addrs.ip(idx); ip != nil && !(e.addrs.auto && idx == 0) {
		local = &net.TCPAddr{IP: ip}
	}
	e.tlsWG.Add(1)
	go w.tlsConnect(ctx, c, c.gen, d, pair, local)
	return dialPending, eNone
}

// tlsConnect is the goroutine of one wss:// connection: the TCP connect,
// the TLS handshake, the outcome to the loop, then the pump.
func (w *worker) tlsConnect(ctx context.Context, c *conn, gen int32, d *tlsDial, pair net.Conn, local net.Addr) {
	e := w.e
	defer e.tlsWG.Done()
	s := w.s
	t0 := e.clk.now()
	dl := net.Dialer{LocalAddr: local, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			if e.sndBuf > 0 {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, e.sndBuf)
			}
			if s.MSS > 0 {
				_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_MAXSEG, s.MSS)
			}
		})
	}}
	nc, err := dl.DialContext(ctx, "tcp", net.JoinHostPort(e.t.ip.String(), strconv.Itoa(e.t.port)))
	t1 := e.clk.now()
	var tc *tls.Conn
	if err == nil {
		d.connected.Store(true)
		tc = tls.Client(nc, e.t.tls)
		err = tc.HandshakeContext(ctx)
	}
	t2 := e.clk.now()
	d.cancel()
	k := eNone
	if err != nil {
		k = tlsKind(err, nc != nil)
		if k == eTLSCert {
			e.noteTLS(err)
		}
	}
	w.do(func() { w.tlsDone(c, gen, d, k, t1-t0, t2-t1, t2) })
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		pair.Close()
		return
	}
	pump(tc, pair)
}

// pump copies both ways between the TLS connection and the state
// machine's socket pair until either side is done.
func pump(tc *tls.Conn, pair net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The board's bytes to the state machine; the board's end
		// (close_notify or FIN) becomes the pair's FIN.
		_, _ = io.Copy(pair, tc)
		if uc, ok := pair.(*net.UnixConn); ok {
			_ = uc.CloseWrite()
		}
	}()
	// The state machine's bytes to the board; its close ends both.
	_, _ = io.Copy(tc, pair)
	_ = tc.Close()
	<-done
	pair.Close()
}

// tlsDone hands the connection attempt's outcome to the state machine, on
// the worker's loop.
func (w *worker) tlsDone(c *conn, gen int32, d *tlsDial, k errKind, tcpNs, tlsNs, at int64) {
	if c.gen != gen || c.fd < 0 || c.st != csDialing || w.tlsDials[c.i] != d {
		return // given up meanwhile (timeout, stop): the goroutine's pair is closed
	}
	now := w.e.clk.now()
	if k != eNone {
		c.connectDone(now, k)
		return
	}
	w.lane.record(hTCP, tcpNs)
	w.lane.record(hTLS, tlsNs)
	d.tlsDone = at
	c.connectDone(now, eNone)
}

// tlsUpgraded records the upgrade phase of a wss:// connection just
// opened.
func (w *worker) tlsUpgraded(c *conn, now int64) {
	if d := w.tlsDials[c.i]; d != nil && d.tlsDone > 0 {
		w.lane.record(hUpgrade, now-d.tlsDone)
	}
}

// tlsTimeoutKind is the kind of a wss:// connect that timed out: hung
// (connected, the handshake unanswered) or a SYN never answered.
func (w *worker) tlsTimeoutKind(c *conn) errKind {
	if d := w.tlsDials[c.i]; d != nil && d.connected.Load() {
		return eHung
	}
	return eSynTimeout
}

// tlsShut ends c's wss:// attempt in progress (closing the pair's end
// ends the pump of an open one).
func (w *worker) tlsShut(c *conn) {
	if d := w.tlsDials[c.i]; d != nil {
		d.cancel()
	}
}

// noteTLS keeps the first certificate error of the run, for its notes.
func (e *engine) noteTLS(err error) {
	e.mu.Lock()
	if e.tlsErr == nil {
		e.tlsErr = tlsError(e.t.url, err)
	}
	e.mu.Unlock()
}

// getTLS is get over https://: the board's /stats on its TLS port.
func (c *statsClient) getTLS() ([]byte, error) {
	var addr net.TCPAddr
	if c.v6 {
		addr = net.TCPAddr{IP: net.IP(c.sa6.Addr[:]), Port: c.sa6.Port}
	} else {
		addr = net.TCPAddr{IP: net.IP(c.sa4.Addr[:]), Port: c.sa4.Port}
	}
	d := net.Dialer{Timeout: c.timeout}
	tc, err := tls.DialWithDialer(&d, "tcp", addr.String(), c.tls)
	if err != nil {
		return nil, err
	}
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(c.timeout))
	if _, err := tc.Write(c.req); err != nil {
		return nil, err
	}
	n := 0
	for {
		if n == len(c.buf) {
			return nil, errors.New("stats: document too large")
		}
		k, err := tc.Read(c.buf[n:])
		n += k
		if err != nil {
			if n > 0 && (err == io.EOF || errors.Is(err, syscall.ECONNRESET)) {
				break
			}
			return nil, err
		}
		if done, _ := complete(c.buf[:n]); done {
			break
		}
	}
	return parseResponse(c.buf[:n])
}

// statsTLSTimeout bounds a /stats reading over https: a board's full
// handshake takes seconds.
const statsTLSTimeout = 10 * time.Second

// statsTLS is the stats client's copy of cfg: it resumes its sessions,
// so that a reading every second does not cost the board a full
// handshake each (a resumed one has no public-key work on the board).
func statsTLS(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	c.ClientSessionCache = tls.NewLRUClientSessionCache(2)
	return c
}
