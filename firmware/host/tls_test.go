//go:build linux

package host_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// startTLSBoard runs a board that terminates TLS with a generated
// certificate.
func startTLSBoard(t testing.TB, cfg firmware.Config, cpu host.CPU, o host.TLS) *host.Server {
	t.Helper()
	srv := startBoardOpts(t, host.Options{Board: cfg, CPU: cpu, TLS: &o})
	if !srv.TLSOn() || len(srv.TLSCertPEM()) == 0 {
		t.Fatal("TLS board without a certificate")
	}
	return srv
}

// trusting is a client configuration that trusts srv's certificate.
func trusting(t testing.TB, srv *host.Server) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.TLSCertPEM()) {
		t.Fatal("the board's certificate PEM does not parse")
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// dialWSS opens a WebSocket over TLS to the board.
func dialWSS(t testing.TB, srv *host.Server, cfg *tls.Config, path string, maxMsg int) (*wsClient, *tls.Conn) {
	t.Helper()
	d := net.Dialer{Timeout: opTimeout}
	tc, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("tls dial: %v", err)
	}
	c := &wsClient{t: t, conn: tc, keys: core.NewMaskGen(uint64(time.Now().UnixNano())), path: path}
	c.wbuf = make([]byte, 0, core.FrameSize(maxMsg, true)+core.MaxHeaderSize)
	c.rd.Src = tc
	c.rd.Rx = make([]byte, 64<<10)
	c.rd.R = core.Reader{Role: core.Client, Buf: make([]byte, maxMsg), MaxMessage: maxMsg}
	if err := c.handshake(srv.Addr().String()); err != nil {
		tc.Close()
		t.Fatalf("wss handshake: %v", err)
	}
	t.Cleanup(func() { tc.Close() })
	return c, tc
}

func TestTLSEcho(t *testing.T) {
	srv := startTLSBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024}, host.CPU{}, host.TLS{})
	if u := srv.WSURL("/ws"); u[:6] != "wss://" {
		t.Fatalf("WSURL %q: want wss://", u)
	}
	c, tc := dialWSS(t, srv, trusting(t, srv), "/ws", 4096)
	if v := tc.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x: want 1.2 or later", v)
	}
	for _, n := range []int{1, 125, 1000} {
		if err := c.echo(core.OpBinary, payload(n, false), 1); err != nil {
			t.Fatalf("echo of %d B over TLS: %v", n, err)
		}
	}
	c.closeNormally()
	st := srv.TLSStats()
	if st.Handshakes != 1 || st.Failed != 0 {
		t.Errorf("TLS stats %+v: want 1 handshake, none failed", st)
	}

	// The certificate is self-signed: a client trusting only the
	// system's roots refuses it.
	d := net.Dialer{Timeout: opTimeout}
	_, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), &tls.Config{ServerName: "127.0.0.1"})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("dial without trusting the board: %v, want an unknown authority error", err)
	}
	waitFor(t, opTimeout, "the refused handshake counted", func() bool { return srv.TLSStats().Failed == 1 })

	// Plain WebSocket bytes to a TLS board get no upgrade.
	if _, err := tryDialWS(srv.Addr().String(), "/ws", 1024, nil); err == nil {
		t.Error("a plain ws:// handshake succeeded on a TLS board")
	}
}

func TestTLSRSAKeyAndHTTP(t *testing.T) {
	srv := startTLSBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024}, host.CPU{}, host.TLS{Key: "rsa-2048"})
	d := net.Dialer{Timeout: opTimeout}
	tc, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), trusting(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	pub, ok := tc.ConnectionState().PeerCertificates[0].PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("certificate key %T: want RSA-2048", tc.ConnectionState().PeerCertificates[0].PublicKey)
	}
	if _, err := tc.Write([]byte("GET /stats HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp := readHTTP(t, tc)
	if resp.Status != 200 || !bytes.Contains(resp.Body, []byte(`"ram"`)) {
		t.Fatalf("GET /stats over TLS: %d %q", resp.Status, resp.Body)
	}
	if _, err := host.Start(host.Options{Board: firmware.Config{Model: "x", Slots: 1, RxBuf: 512, TxBuf: 512}, TLS: &host.TLS{Key: "dsa"}}); err == nil {
		t.Error("an unknown key kind was accepted")
	}
}

// The handshake's cost is charged to the board's CPU once per handshake,
// the record bytes per byte; each open session holds SessionRAM.
func TestTLSChargesCPUAndRAM(t *testing.T) {
	const hs = int64(200 * time.Millisecond)
	const session = 40 << 10
	srv := startTLSBoard(t, firmware.Config{Slots: 3, RxBuf: 1024, TxBuf: 1024},
		host.CPU{TLSHandshake: hs, TLSByte: 1000}, host.TLS{SessionRAM: session})
	ram := func() firmware.RAM {
		var r firmware.RAM
		if err := srv.Do(func(b *firmware.Board) { r = b.RAM() }); err != nil {
			t.Fatal(err)
		}
		return r
	}
	base := ram().Stack
	cfg := trusting(t, srv)
	a, _ := dialWSS(t, srv, cfg, "/ws", 4096)
	b, _ := dialWSS(t, srv, cfg, "/ws", 4096)
	st := srv.TLSStats()
	if st.Handshakes != 2 || st.Sessions != 2 {
		t.Fatalf("TLS stats %+v: want 2 handshakes, 2 sessions", st)
	}
	if st.ChargedNs < 2*hs {
		t.Errorf("charged %v for 2 handshakes: want at least %v", time.Duration(st.ChargedNs), time.Duration(2*hs))
	}
	if busy := srv.CPUBusy(); busy < time.Duration(2*hs) {
		t.Errorf("board CPU busy %v: want the handshakes' %v in it", busy, time.Duration(2*hs))
	}
	if got := ram().Stack - base; got < 2*session {
		t.Errorf("RAM held beyond the slots with 2 TLS sessions: %d B, want at least %d", got, 2*session)
	}
	before := srv.TLSStats().ChargedNs
	if err := a.echo(core.OpBinary, payload(1000, false), 1); err != nil {
		t.Fatal(err)
	}
	// 1000 B in, 1000 B + framing out, 1000 ns a byte.
	if d := srv.TLSStats().ChargedNs - before; d < 2000*1000 {
		t.Errorf("a 1000 B echo charged %v of record work: want at least 2 ms", time.Duration(d))
	}
	a.closeNormally()
	b.closeNormally()
	waitFor(t, opTimeout, "the sessions' RAM released", func() bool { return ram().Stack-base < session })
}

// A full 503 board answers its refusal over TLS.
func TestTLSRefusal503(t *testing.T) {
	srv := startTLSBoard(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailReject503}, host.CPU{}, host.TLS{})
	cfg := trusting(t, srv)
	dialWSS(t, srv, cfg, "/ws", 1024)
	d := net.Dialer{Timeout: opTimeout}
	tc, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("the refused newcomer's TLS handshake: %v", err)
	}
	defer tc.Close()
	resp := readHTTP(t, tc)
	if resp.Status != 503 {
		t.Fatalf("refusal over TLS: status %d, want 503", resp.Status)
	}
}

// A TLS session the heap has no room for is closed at once (mbedTLS's
// setup failing for want of memory), counted as a refusal; the sessions
// that fit go on.
func TestTLSSessionHeapFull(t *testing.T) {
	const session = 30 << 10
	cfg := firmware.Config{Model: "test", Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 1024}
	fp := cfg.Footprint()
	// Room for two sessions and the connections' bookkeeping, not three.
	cfg.HeapBudget = fp.Total + 2*session + 4*firmware.DefaultConnCost + 1024
	srv := startTLSBoard(t, cfg, host.CPU{}, host.TLS{SessionRAM: session})
	tc := trusting(t, srv)
	a, _ := dialWSS(t, srv, tc, "/ws", 1024)
	dialWSS(t, srv, tc, "/ws", 1024)
	d := net.Dialer{Timeout: opTimeout}
	_, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), tc)
	if err == nil {
		t.Fatal("a third TLS session was set up beyond the heap budget")
	}
	if st := srv.Stats(); st.Refused != 1 {
		t.Errorf("refused %d: want the third session counted", st.Refused)
	}
	if err := a.echo(core.OpBinary, payload(100, false), 1); err != nil {
		t.Errorf("a session that fit: %v", err)
	}
}

// A handshake that queues behind another for longer than the request
// timeout keeps its slot: the board's request timer starts when the
// handshake ends (as esp_https_server runs it before the session), and
// the board's delayed output still flows meanwhile; a client that
// handshakes and sends nothing is closed a request timeout later.
func TestTLSSlowHandshakeKeepsSlot(t *testing.T) {
	cfg := firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 1024, HeaderTimeout: int64(300 * time.Millisecond)}
	srv := startBoardOpts(t, host.Options{Board: cfg, CPU: host.CPU{TLSHandshake: int64(250 * time.Millisecond)},
		Link: host.Link{RTT: int64(time.Millisecond)}, TLS: &host.TLS{}})
	tc := trusting(t, srv)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			c, err := dialWSSErr(srv, tc, "/ws", 1024)
			if err == nil {
				err = c.echo(core.OpBinary, payload(100, false), 1)
				c.conn.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("a client whose handshake queued past the request timeout: %v", err)
		}
	}
	if st := srv.Stats(); st.Timeouts != 0 {
		t.Errorf("%d request timeouts: the handshakes' wait counted against the request", st.Timeouts)
	}
	d := net.Dialer{Timeout: opTimeout}
	idle, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), tc)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.SetReadDeadline(time.Now().Add(opTimeout))
	if n, err := idle.Read(make([]byte, 16)); err == nil {
		t.Errorf("an idle TLS client read %d B, want the board's close", n)
	}
	if st := srv.Stats(); st.Timeouts != 1 {
		t.Errorf("timeouts %d: want the idle client's", st.Timeouts)
	}
}

// dialWSSErr is dialWSS without a test.
func dialWSSErr(srv *host.Server, cfg *tls.Config, path string, maxMsg int) (*wsClient, error) {
	d := net.Dialer{Timeout: opTimeout}
	tc, err := tls.DialWithDialer(&d, "tcp", srv.Addr().String(), cfg)
	if err != nil {
		return nil, err
	}
	c := &wsClient{conn: tc, keys: core.NewMaskGen(uint64(time.Now().UnixNano())), path: path}
	c.wbuf = make([]byte, 0, core.FrameSize(maxMsg, true)+core.MaxHeaderSize)
	c.rd.Src = tc
	c.rd.Rx = make([]byte, 64<<10)
	c.rd.R = core.Reader{Role: core.Client, Buf: make([]byte, maxMsg), MaxMessage: maxMsg}
	if err := c.handshake(srv.Addr().String()); err != nil {
		tc.Close()
		return nil, err
	}
	return c, nil
}

// The request timer's hold after a handshake holds only that timer: the
// board's delayed output (a link delay releases it by timer) flows. With
// a request timeout of a minute, an upgrade held with it would miss the
// client's read deadline.
func TestTLSHoldLetsOutputFlow(t *testing.T) {
	cfg := firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, MaxMessage: 1024, HeaderTimeout: int64(time.Minute)}
	srv := startBoardOpts(t, host.Options{Board: cfg, Link: host.Link{RTT: int64(2 * time.Millisecond)}, TLS: &host.TLS{}})
	c, _ := dialWSS(t, srv, trusting(t, srv), "/ws", 1024)
	if err := c.echo(core.OpBinary, payload(50, false), 1); err != nil {
		t.Fatal(err)
	}
}
