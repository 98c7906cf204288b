//go:build linux

package loadgen

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

// tlsBoard starts an emulated board that terminates TLS with a generated
// self-signed certificate.
func tlsBoard(t testing.TB, o host.Options) *host.Server {
	t.Helper()
	if o.TLS == nil {
		o.TLS = &host.TLS{}
	}
	return startBoard(t, o)
}

// caFile writes pem to a file of the test's and returns its path.
func caFile(t testing.TB, pem []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "board.pem")
	if err := os.WriteFile(p, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func wssURL(srv *host.Server) string { return "wss://" + srv.Addr().String() + "/ws" }

// Echo over wss:// against the emulated board with --insecure and with
// --ca: the messages come back, and the connect time is recorded in its
// three phases.
func TestWSSEcho(t *testing.T) {
	srv := tlsBoard(t, host.Options{})
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"insecure", Spec{Insecure: true}},
		{"ca", Spec{CAFile: caFile(t, srv.TLSCertPEM())}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.Target, s.Scenario, s.Conns, s.Size, s.Count, s.Workers = wssURL(srv), Echo, 4, 64, 50, 1
			r := run(t, s)
			logRun(t, r)
			if r.Counts.ConnsOpened != 4 || r.Counts.MsgsReceived != 200 || len(r.Errors) != 0 {
				t.Fatalf("wss echo: counts %+v errors %v: want 4 opened, 200 answered, no error", r.Counts, r.Errors)
			}
			all := r.Hist(results.HistHandshake)
			for _, name := range []string{HistConnectTCP, HistConnectTLS, HistConnectUpgrade} {
				h := r.Hist(name)
				if h.Count() != 4 {
					t.Errorf("%s: %d values, want one per connection (4)", name, h.Count())
				}
				if h.Max() > all.Max() {
					t.Errorf("%s max %d µs exceeds the whole connect's %d µs", name, h.Max(), all.Max())
				}
			}
			if len(r.Heap) == 0 {
				t.Error("no board RAM series: /stats over https not read")
			}
			if want := map[string]string{"insecure": "insecure", "ca": "ca"}[tc.name]; r.Scenario.Params["tls"] != want {
				t.Errorf("params tls %q, want %q", r.Scenario.Params["tls"], want)
			}
		})
	}
	if st := srv.TLSStats(); st.Handshakes < 8 {
		t.Errorf("board TLS handshakes %d: want at least the 8 connections'", st.Handshakes)
	}
}

// A self-signed board is refused without --insecure or --ca, with an
// error that names the fix; no connection is counted as opened.
func TestWSSSelfSignedRefused(t *testing.T) {
	srv := tlsBoard(t, host.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Found by the first stats reading (at the target), or by the check
	// before the run when the stats are elsewhere or off.
	for _, stats := range []string{"", "-"} {
		r, err := Run(ctx, Spec{Target: wssURL(srv), Scenario: Echo, Conns: 2, Size: 64, Count: 5, StatsURL: stats})
		var ce *CertError
		if err == nil || !errors.As(err, &ce) {
			t.Fatalf("stats %q: run against a self-signed board: %v (record %v), want a certificate error", stats, err, r != nil)
		}
		for _, want := range []string{"not trusted", "--insecure", "--ca"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	var ce *CertError
	// A CA file that is not the board's certificate does not help.
	other, _ := selfSignedPEM(t)
	_, err := Run(ctx, Spec{Target: wssURL(srv), Scenario: Echo, Conns: 1, Size: 64, Count: 5, CAFile: caFile(t, other)})
	if !errors.As(err, &ce) {
		t.Errorf("run trusting another certificate: %v, want a certificate error", err)
	}
	// A CA file with no certificate is bad input.
	bad := caFile(t, []byte("not a certificate"))
	if _, err := Run(ctx, Spec{Target: wssURL(srv), Scenario: Echo, Conns: 1, Count: 1, CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("--ca with no certificate: %v", err)
	}
	if _, err := Run(ctx, Spec{Target: "ws://" + srv.Addr().String() + "/ws", Scenario: Echo, Conns: 1, Count: 1, Insecure: true}); err == nil {
		t.Error("--insecure with a ws:// target was accepted")
	}
}

// The kind a certificate failure is counted as, in the run's own
// connections (a certificate that stopped being trusted after the check).
func TestTLSKinds(t *testing.T) {
	if k := tlsKind(x509.UnknownAuthorityError{}, true); k != eTLSCert {
		t.Errorf("unknown authority: %s", errNames[k])
	}
	if k := tlsKind(io.EOF, true); k != eHandshakeEOF {
		t.Errorf("EOF in the handshake: %s", errNames[k])
	}
	if k := tlsKind(context.DeadlineExceeded, true); k != eHung {
		t.Errorf("handshake timeout once connected: %s", errNames[k])
	}
	if k := tlsKind(context.DeadlineExceeded, false); k != eSynTimeout {
		t.Errorf("connect timeout: %s", errNames[k])
	}
	if k := tlsKind(errors.New("tls: handshake failure"), true); k != eTLS {
		t.Errorf("alert: %s", errNames[k])
	}
}

// The board's CPU is charged for every handshake: with a handshake cost
// of 300 ms, the board's counters show at least that per connection, and
// the TLS phase of each connect took that long.
func TestWSSHandshakeCharged(t *testing.T) {
	const hs = 300 * time.Millisecond
	srv := tlsBoard(t, host.Options{CPU: host.CPU{TLSHandshake: int64(hs), TLSByte: 50}})
	before := srv.TLSStats()
	r := run(t, Spec{Target: wssURL(srv), Insecure: true, Scenario: Echo, Conns: 3, Size: 64, Count: 10, Workers: 1, DialTimeout: 10 * time.Second})
	logRun(t, r)
	if r.Counts.ConnsOpened != 3 {
		t.Fatalf("opened %d of 3", r.Counts.ConnsOpened)
	}
	st := srv.TLSStats()
	// The run's connections and the check before it.
	hsN := st.Handshakes - before.Handshakes
	if hsN < 4 {
		t.Fatalf("board TLS handshakes %d: want the check's and the 3 connections'", hsN)
	}
	if got := time.Duration(st.ChargedNs - before.ChargedNs); got < time.Duration(hsN)*hs {
		t.Errorf("board CPU charged %v for %d handshakes: want at least %v", got, hsN, time.Duration(hsN)*hs)
	}
	if busy := srv.CPUBusy(); busy < time.Duration(hsN)*hs {
		t.Errorf("board CPU busy %v: want the handshakes' %v in it", busy, time.Duration(hsN)*hs)
	}
	// The board serves handshakes one at a time: the TLS phase of the
	// connection served last waited for all three.
	if mx := time.Duration(r.Hist(HistConnectTLS).Max()) * time.Microsecond; mx < hs {
		t.Errorf("slowest TLS phase %v: want at least one handshake's %v", mx, hs)
	}
}

// The board's RAM counts a TLS session per open connection.
func TestWSSSessionRAM(t *testing.T) {
	const session = 40 << 10
	srv := tlsBoard(t, host.Options{Board: firmware.Config{Slots: 8}, TLS: &host.TLS{SessionRAM: session}})
	r := run(t, Spec{Target: wssURL(srv), Insecure: true, Scenario: Connect, Conns: 4, Hold: 500 * time.Millisecond, HeapEvery: 100 * time.Millisecond})
	if r.Counts.ConnsOpened != 4 {
		t.Fatalf("opened %d of 4", r.Counts.ConnsOpened)
	}
	var peak int64
	for _, h := range r.Heap {
		peak = max(peak, h.RAMInUse)
	}
	static := int64(srv.Footprint().Total)
	if peak-static < 4*session {
		t.Errorf("board RAM peak %d B, footprint %d B: want 4 TLS sessions of %d B in it", peak, static, session)
	}

	// A budget with room for two sessions: the third is closed during
	// its handshake, and the note says so. (The connections come 100 ms
	// apart: the session of the certificate check before the run is
	// closed by then.)
	cfg := firmware.Config{Model: "tls-small", Slots: 8, RxBuf: 1024, TxBuf: 1024, MaxMessage: 1024}
	cfg.HeapBudget = cfg.Footprint().Total + 2*session + 8*firmware.DefaultConnCost + 1024
	small := tlsBoard(t, host.Options{Board: cfg, TLS: &host.TLS{SessionRAM: session}})
	r = run(t, Spec{Target: wssURL(small), Insecure: true, Scenario: Connect, Conns: 3, ConnRate: 10, Hold: 300 * time.Millisecond, StatsURL: "-"})
	if r.Counts.ConnsOpened != 2 || r.Counts.ConnsRefused != 1 || r.Errors["handshake eof"] != 1 {
		t.Errorf("3 sessions on a heap for 2: counts %+v errors %v", r.Counts, r.Errors)
	}
	if n := strings.Join(r.Notes, "\n"); !strings.Contains(n, "board holds 2; the 3rd was accepted, then closed before its TLS handshake ended") {
		t.Errorf("notes %q", n)
	}
}

// wss:// against a server that is not ours: Go's crypto/tls server in
// front of a plain board (a TLS-terminating proxy, as a reverse proxy or
// a board's own TLS stack would be).
func TestWSSForeignTLSServer(t *testing.T) {
	plain := board(t, firmware.Config{})
	certPEM, cert := selfSignedPEM(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, err := net.Dial("tcp", plain.Addr().String())
				if err != nil {
					return
				}
				defer b.Close()
				done := make(chan struct{})
				go func() { _, _ = io.Copy(b, c); b.(*net.TCPConn).CloseWrite(); close(done) }()
				_, _ = io.Copy(c, b)
				<-done
			}()
		}
	}()
	u := "wss://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:") + "/ws"
	r := run(t, Spec{Target: u, CAFile: caFile(t, certPEM), Scenario: Echo, Conns: 2, Size: 200, Count: 20, Workers: 1, StatsURL: "-"})
	if r.Counts.MsgsReceived != 40 || len(r.Errors) != 0 {
		t.Fatalf("echo through Go's TLS server: counts %+v errors %v", r.Counts, r.Errors)
	}
	if r.Hist(HistConnectTLS).Count() != 2 {
		t.Errorf("TLS phases recorded: %d, want 2", r.Hist(HistConnectTLS).Count())
	}
}

// selfSignedPEM makes a self-signed ECDSA certificate for localhost.
func selfSignedPEM(t testing.TB) ([]byte, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pemEncode(der)
	return pemBytes, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func pemEncode(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// The HTTP scenarios over https:// (fasthttp's client with the run's TLS
// configuration), and a probe scenario over wss:// (the probes' dial).
func TestHTTPSAndProbe(t *testing.T) {
	srv := tlsBoard(t, host.Options{})
	for _, m := range []string{"GET", "PUT"} {
		r := run(t, Spec{Target: "https://" + srv.Addr().String() + "/", Insecure: true, Scenario: HTTP, Method: m, Conns: 2, Size: 2000, Count: 5})
		c := r.Counts
		if c.HTTPResponses != 10 || len(r.Errors) != 0 {
			t.Errorf("https %s: counts %+v errors %v, want 10 answered", m, c, r.Errors)
		}
	}
	r := run(t, Spec{Target: wssURL(srv), Insecure: true, Scenario: Ladder})
	if !strings.Contains(strings.Join(r.Notes, "\n"), "answer: first failing size") {
		t.Errorf("ladder over wss: notes %q", r.Notes)
	}
	before := srv.TLSStats().Handshakes
	_, err := Run(context.Background(), Spec{Target: wssURL(srv), Scenario: Ladder, StatsURL: "-"})
	var ce *CertError
	if !errors.As(err, &ce) {
		t.Errorf("ladder over wss without --insecure: %v, want a certificate error", err)
	}
	if srv.TLSStats().Handshakes != before {
		t.Error("a refused certificate completed a handshake on the board")
	}
}
