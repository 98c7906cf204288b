package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
)

// `wslab load` against a TLS board: refused with the fix named without
// --insecure or --ca, an echo with the TLS phase in the summary with
// either.
func TestLoadWSS(t *testing.T) {
	opts := host.Options{Board: firmware.Config{Model: "cli-board", Slots: 8, RxBuf: 2048, TxBuf: 2048}}
	if _, err := catalog.ApplyTLS(&opts, "cli-board", "", "", ""); err != nil {
		t.Fatal(err)
	}
	srv, err := host.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "board.pem")
	if err := os.WriteFile(ca, srv.TLSCertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	target := srv.WSURL("/ws")
	base := []string{"load", "--target", target, "--scenario", "echo", "--conns", "2", "--count", "20", "--quiet"}
	var stdout, stderr bytes.Buffer
	if code := run(base, &stdout, &stderr); code != exitFailed || !strings.Contains(stderr.String(), "--insecure") || !strings.Contains(stderr.String(), "not trusted") {
		t.Errorf("self-signed board without --insecure: exit %d, stderr %q", code, stderr.String())
	}
	for _, extra := range [][]string{{"--insecure"}, {"--ca", ca}} {
		stdout.Reset()
		stderr.Reset()
		if code := run(append(append([]string{}, base...), extra...), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", extra, code, stderr.String())
		}
		for _, want := range []string{"connect_tls", "connect_upgrade", "40 received"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%v: summary lacks %q:\n%s", extra, want, stdout.String())
			}
		}
	}
}

// The TLS flags' bad input is refused before a board starts.
func TestBoardTLSBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"board", "--model", "nano33-wifinina", "--tls", "--listen", "127.0.0.1:0"}, "no TLS server"},
		{[]string{"board", "--model", "esp32-idf", "--tls-key-type", "dsa", "--listen", "127.0.0.1:0"}, "want one of"},
		{[]string{"board", "--model", "esp32-idf", "--tls-cert", "x.pem", "--listen", "127.0.0.1:0"}, "go together"},
		{[]string{"board", "--exec", "true", "--exec-port", "1", "--tls"}, "--exec"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %d and %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}

// Every catalog model has a TLS preset with its source; a preset's
// costs go to the board's CPU only when the CPU is modelled.
func TestTLSPresets(t *testing.T) {
	for _, m := range catalog.Names() {
		p, ok := catalog.TLSFor(m)
		if !ok || p.Source == "" {
			t.Errorf("%s: no TLS preset with a source", m)
			continue
		}
		if p.Unsupported != "" {
			continue
		}
		if p.Handshake["ecdsa-p256"] <= 0 || p.Handshake["rsa-2048"] <= 0 || p.SessionRAM <= 0 || p.Byte <= 0 {
			t.Errorf("%s: TLS preset %+v lacks a figure", m, p)
		}
	}
	pr, err := catalog.Get("esp32-idf")
	if err != nil {
		t.Fatal(err)
	}
	o := host.Options{CPU: pr.CPU}
	p, err := catalog.ApplyTLS(&o, "esp32-idf", "ecdsa-p256", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS == nil || o.TLS.Key != "ecdsa-p256" || o.CPU.TLSHandshake != p.Handshake["ecdsa-p256"] || o.TLS.SessionRAM != p.SessionRAM {
		t.Errorf("esp32-idf with an ECDSA key: options %+v cpu %+v", o.TLS, o.CPU)
	}
	o = host.Options{} // --cpu off
	if _, err := catalog.ApplyTLS(&o, "esp32-idf", "", "", ""); err != nil || o.CPU.TLSHandshake != 0 || o.TLS.Key != "rsa-2048" {
		t.Errorf("esp32-idf, CPU off: %v, cpu %+v, tls %+v", err, o.CPU, o.TLS)
	}
}
