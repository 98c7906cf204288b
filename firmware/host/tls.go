//go:build linux

package host

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/firmware"
)

// TLS terminates TLS in the host wrapper, in front of the sans-I/O board:
// the board's code stays TLS-free and sees plain bytes, as an ESP-IDF
// httpd sees them from esp_https_server. Each accepted connection (after
// the board took it in a slot, or refused it its way) gets a goroutine of
// its own that runs crypto/tls over the TCP socket and pumps the plain
// bytes to and from one end of a socket pair; the event loop drives the
// slot over the other end, as it would the socket. The cost of the
// handshake and of each record's bytes is charged to the board's virtual
// CPU (CPU.TLSHandshake, CPU.TLSByte): a board busy with a handshake
// takes no other input meanwhile, as a single-threaded server does. Each
// open connection's TLS session holds SessionRAM of the board's heap.
type TLS struct {
	// Key is the generated certificate's key: "ecdsa-p256" (default) or
	// "rsa-2048". Ignored with CertFile.
	Key string
	// CertFile and KeyFile are a PEM certificate (chain) and its key to
	// serve instead of a generated self-signed one.
	CertFile, KeyFile string
	// SessionRAM is the board's heap one TLS session holds (mbedTLS: the
	// context and its record buffers), counted in the RAM in use for each
	// open connection.
	SessionRAM int
	// HandshakeTimeout bounds a handshake; default 10s.
	HandshakeTimeout time.Duration
}

// TLSKeys are the generated certificates' key types.
var TLSKeys = []string{"ecdsa-p256", "rsa-2048"}

// TLSStats counts the TLS termination's work.
type TLSStats struct {
	Handshakes int64 // completed
	Failed     int64 // handshakes that failed (a client that refused the certificate, a timeout)
	ChargedNs  int64 // CPU time charged for handshakes and record bytes
	Sessions   int   // open TLS sessions now (connections holding SessionRAM)
}

// tlsTerm is a server's TLS termination.
type tlsTerm struct {
	opts    TLS
	cfg     *tls.Config
	certPEM []byte // the certificate served, for clients to trust

	handshakes, failed atomic.Int64
	charged            int64      // on the loop
	slots              []*tlsSlot // each slot's handshake in progress (the loop's)
	reqTimeout         int64      // the board's HeaderTimeout

	mu    sync.Mutex
	conns map[net.Conn]struct{} // TCP connections of the goroutines, closed with the board
	wg    sync.WaitGroup
}

// setupTLS prepares the TLS termination of o (nil: none); host is the
// listen address's host, put in a generated certificate's names.
func setupTLS(o *TLS, host string, slots int, reqTimeout int64) (*tlsTerm, error) {
	if o == nil {
		return nil, nil
	}
	t := &tlsTerm{opts: *o, conns: map[net.Conn]struct{}{}, slots: make([]*tlsSlot, slots), reqTimeout: reqTimeout}
	if t.opts.HandshakeTimeout <= 0 {
		t.opts.HandshakeTimeout = 10 * time.Second
	}
	var cert tls.Certificate
	var err error
	switch {
	case o.CertFile != "" || o.KeyFile != "":
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, errors.New("tls: --tls-cert and --tls-key go together")
		}
		if cert, err = tls.LoadX509KeyPair(o.CertFile, o.KeyFile); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		t.certPEM, _ = os.ReadFile(o.CertFile)
	default:
		if cert, t.certPEM, err = selfSigned(o.Key, host); err != nil {
			return nil, err
		}
	}
	// No session tickets, as esp_https_server by default
	// (CONFIG_ESP_TLS_SERVER_SESSION_TICKETS off): every handshake is a
	// full one, and costs the board CPU.TLSHandshake.
	t.cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, SessionTicketsDisabled: true}
	return t, nil
}

// selfSigned makes a self-signed certificate for host, localhost and the
// loopback addresses, with a key of kind.
func selfSigned(kind, host string) (tls.Certificate, []byte, error) {
	var key any
	var err error
	switch kind {
	case "", "ecdsa-p256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa-2048":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return tls.Certificate{}, nil, fmt.Errorf("tls key %q: want one of %v", kind, TLSKeys)
	}
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "wslab emulated board", Organization: []string{"wslab"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		// Self-signed: its own CA, so a client can trust it with --ca.
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if ip == nil && host != "" && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.(crypto.Signer).Public(), key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}

// TLSCertPEM is the certificate the board serves (PEM), or nil without
// TLS: a client trusts a self-signed board with it (loadgen --ca).
func (s *Server) TLSCertPEM() []byte {
	if s.tls == nil {
		return nil
	}
	return s.tls.certPEM
}

// TLSOn reports whether the board terminates TLS.
func (s *Server) TLSOn() bool { return s.tls != nil }

// TLSStats returns the TLS termination's counters (zero without TLS).
func (s *Server) TLSStats() TLSStats {
	if s.tls == nil {
		return TLSStats{}
	}
	var st TLSStats
	_ = s.Do(func(*firmware.Board) {
		st.ChargedNs = s.tls.charged
		st.Sessions = s.tlsSessions()
	})
	st.Handshakes, st.Failed = s.tls.handshakes.Load(), s.tls.failed.Load()
	return st
}

// tlsAccept puts TLS between the accepted TCP socket fd and the board:
// it returns the descriptor the loop drives the slot over (one end of a
// socket pair) and starts the goroutine that serves the TLS side.
func (s *Server) tlsAccept(fd, slot int) (int, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	// What the goroutine has decrypted and the board not read yet stays
	// near the board's window, as the TCP socket's would.
	_ = unix.SetsockoptInt(pair[1], unix.SOL_SOCKET, unix.SO_SNDBUF, s.sockBuf)
	raw, err1 := fileConn(fd, "tls-tcp")
	plain, err2 := fileConn(pair[1], "tls-pair")
	if err := errors.Join(err1, err2); err != nil {
		if raw != nil {
			raw.Close()
		}
		if plain != nil {
			plain.Close()
		}
		unix.Close(pair[0])
		return -1, err
	}
	hs := &tlsSlot{}
	hs.hold.Store(math.MaxInt64)
	s.tls.slots[slot] = hs
	s.tlsGo(raw, plain, nil, hs)
	return pair[0], nil
}

// tlsSlot is a slot's TLS handshake, as its request timer sees it.
type tlsSlot struct {
	// hold is until when the slot's timers wait: forever while the
	// handshake runs, then a request timeout from its end. The board
	// takes the connection after the handshake (esp_https_server's
	// open callback runs it first), so its request time starts then;
	// the slot itself counted from the TCP accept.
	hold atomic.Int64
}

// tlsHold reports whether slot i's request timer must not run yet: its
// TLS handshake runs, or ended less than a request timeout ago, or its
// request has arrived and waits for the busy CPU (the task that would
// time it out is the one busy).
func (s *Server) tlsHold(i int, now int64) bool {
	hs := s.tls.slots[i]
	if hs == nil {
		return false
	}
	if hs.hold.Load() <= now && !s.inCPUWait[i] {
		s.tls.slots[i] = nil // the slot's own timers from here
		return false
	}
	return true
}

// tlsRearm follows a held slot's service: a request deadline that
// passed (counted from the TCP accept) is looked at again shortly,
// instead of at once; later deadlines (output to release) stay.
func (s *Server) tlsRearm(i int, now int64) {
	if at := s.dl.At(i); at > 0 && at <= now {
		s.dl.Set(i, max(now+1, min(s.tls.slots[i].hold.Load(), now+int64(tlsHoldPoll))))
	}
}

// tlsHoldPoll is how often a held slot looks again.
const tlsHoldPoll = 50 * time.Millisecond

// tlsRefuse answers a 503 board's refusal over TLS: the handshake (its
// cost charged as any other), the response, the close.
func (s *Server) tlsRefuse(fd int) {
	raw, err := fileConn(fd, "tls-tcp")
	if err != nil {
		return
	}
	s.tlsGo(raw, nil, s.refuse, nil)
}

// fileConn makes a net.Conn of descriptor fd, which it takes over.
func fileConn(fd int, name string) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	c, err := net.FileConn(f) // a duplicate in the runtime's poller
	f.Close()
	return c, err
}

// tlsGo starts the goroutine of one TLS connection: raw is the client's
// TCP connection; plain the socket pair's end toward the slot, or nil for
// a refusal that sends refuse and closes.
func (s *Server) tlsGo(raw, plain net.Conn, refuse []byte, hs *tlsSlot) {
	t := s.tls
	t.mu.Lock()
	if t.conns == nil { // the board is closing
		t.mu.Unlock()
		raw.Close()
		if plain != nil {
			plain.Close()
		}
		return
	}
	t.conns[raw] = struct{}{}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		defer func() {
			t.mu.Lock()
			delete(t.conns, raw)
			t.mu.Unlock()
			raw.Close()
			if plain != nil {
				plain.Close()
			}
		}()
		tc := tls.Server(&chargedConn{Conn: raw, s: s}, t.cfg)
		_ = raw.SetDeadline(time.Now().Add(t.opts.HandshakeTimeout))
		err := tc.Handshake()
		if hs != nil {
			hs.hold.Store(s.now() + t.reqTimeout)
		}
		if err != nil {
			t.failed.Add(1)
			return
		}
		t.handshakes.Add(1)
		_ = raw.SetDeadline(time.Time{})
		if plain == nil {
			_ = raw.SetDeadline(time.Now().Add(t.opts.HandshakeTimeout))
			_, _ = tc.Write(refuse)
			_ = tc.Close()
			return
		}
		pumpTLS(tc, raw, plain)
	}()
}

// pumpTLS copies both ways between the TLS connection and the slot's
// socket pair: the client's end (close_notify or FIN) becomes the pair's
// FIN; the board's end (its shutdown or close of the pair) becomes a
// close_notify and a FIN, and what the client still sends goes on to the
// board's lingering slot until the client's end (closing the TCP socket
// with unread input would reset the connection and lose the last bytes).
func pumpTLS(tc *tls.Conn, raw, plain net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(plain, tc)
		if uc, ok := plain.(*net.UnixConn); ok {
			_ = uc.CloseWrite()
		}
	}()
	_, _ = io.Copy(tc, plain)
	_ = tc.CloseWrite()
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
	<-done
}

// chargedConn is the TLS server's TCP connection: its first write (the
// server's first flight, after the key exchange and the signature) waits
// until the board's CPU has done the handshake's work.
type chargedConn struct {
	net.Conn
	s       *Server
	charged bool
}

func (c *chargedConn) Write(b []byte) (int, error) {
	if !c.charged {
		c.charged = true
		c.s.tlsHandshakeCPU()
	}
	return c.Conn.Write(b)
}

// tlsHandshakeCPU books one handshake on the board's CPU, from the loop,
// and waits until the CPU has finished it.
func (s *Server) tlsHandshakeCPU() {
	cost := s.opts.CPU.TLSHandshake
	if cost <= 0 {
		return
	}
	ch := make(chan int64, 1)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.pending = append(s.pending, func(*firmware.Board) {
		now := s.now()
		before := s.cpu.total
		done := s.cpu.runFixed(s.cpu.app, now, cost)
		s.tls.charged += s.cpu.total - before
		s.board.CPUBusy = s.cpu.total
		ch <- done
	})
	s.mu.Unlock()
	s.kick()
	select {
	case done := <-ch:
		if d := time.Until(s.base.Add(time.Duration(done))); d > 0 {
			select {
			case <-time.After(d):
			case <-s.done:
			}
		}
	case <-s.done:
	}
}

// tlsRecordCPU charges the record layer's work on n bytes, on the loop.
func (s *Server) tlsRecordCPU(now int64, n int) {
	if s.tls == nil || s.opts.CPU.TLSByte <= 0 || n <= 0 {
		return
	}
	before := s.cpu.total
	s.cpu.run(s.cpu.app, now, int64(float64(n)*s.opts.CPU.TLSByte), 1)
	s.tls.charged += s.cpu.total - before
	s.board.CPUBusy = s.cpu.total
}

// tlsSessions counts the open connections, each holding a TLS session.
func (s *Server) tlsSessions() int {
	n := 0
	for i := range s.conns {
		if s.conns[i].fd >= 0 {
			n++
		}
	}
	return n
}

// tlsHeld is the board RAM the open TLS sessions hold.
func (s *Server) tlsHeld() int {
	if s.tls == nil || s.tls.opts.SessionRAM <= 0 {
		return 0
	}
	return s.tlsSessions() * s.tls.opts.SessionRAM
}

// closeTLS ends every TLS goroutine: their TCP connections are closed
// (the slots' ends of the pairs are closed by the loop).
func (s *Server) closeTLS() {
	t := s.tls
	if t == nil {
		return
	}
	t.mu.Lock()
	conns := t.conns
	t.conns = nil
	t.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	t.wg.Wait()
}

// listenHost is the host part of a listen address ("" if none).
func listenHost(listen string) string {
	h, _, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	return h
}

// tlsRoom reports whether the board's heap has room for one more TLS
// session beside what is in use (the slot just taken included).
func (s *Server) tlsRoom() bool {
	if s.tls.opts.SessionRAM <= 0 {
		return true
	}
	r := s.board.RAM()
	return r.Budget <= 0 || r.InUse+s.tls.opts.SessionRAM <= r.Budget
}

// refuseSession closes a connection whose TLS session found no heap: the
// server closes the socket it accepted, without a byte (ESP-IDF:
// esp_tls_create_server_session failed, the session is closed).
func (s *Server) refuseSession(fd int) {
	for {
		if n, _ := unix.Read(fd, s.drain[:]); n <= 0 {
			break
		}
	}
	unix.Close(fd)
}

// runFixed is vcpu.run for work of a fixed cost (no Spread): a
// handshake's public-key arithmetic takes the same time every time.
func (v *vcpu) runFixed(core *int64, at, ns int64) int64 {
	start := *core
	if at-start > wakeSlack {
		ns += v.cost.Wake
		start = at
	}
	*core = start + ns
	v.total += ns
	return *core
}
