package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

// tlsFlags are `wslab board`'s TLS termination flags.
type tlsFlags struct {
	on                bool
	keyType           string
	certFile, keyFile string
	certOut           string
}

func (f *tlsFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "tls", false, "terminate TLS in front of the board (https://, wss://) with a generated self-signed certificate; the handshake and record costs are the model's, charged to its CPU")
	fs.StringVar(&f.keyType, "tls-key-type", "", "with --tls: the generated certificate's key, ecdsa-p256 or rsa-2048 (default: the model's)")
	fs.StringVar(&f.certFile, "tls-cert", "", "serve this PEM certificate (chain) instead of a generated one; implies --tls")
	fs.StringVar(&f.keyFile, "tls-key", "", "the PEM private key of --tls-cert")
	fs.StringVar(&f.certOut, "tls-cert-out", "", "with --tls: write the certificate served here (default: a temporary file, named in the banner, removed at exit)")
}

// set reports whether any TLS flag was given.
func (f *tlsFlags) set() bool {
	return f.on || f.keyType != "" || f.certFile != "" || f.keyFile != "" || f.certOut != ""
}

// apply sets opts up to terminate TLS as model does, when asked.
func (f *tlsFlags) apply(opts *host.Options, model string) (catalog.TLSPreset, error) {
	if !f.set() {
		return catalog.TLSPreset{}, nil
	}
	if (f.certFile == "") != (f.keyFile == "") {
		return catalog.TLSPreset{}, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return catalog.ApplyTLS(opts, model, f.keyType, f.certFile, f.keyFile)
}

// writeCert writes the certificate srv serves where a client can trust it
// from (--ca), and returns the path of a temporary file to remove at
// exit ("" for none).
func (f *tlsFlags) writeCert(srv *host.Server) (string, error) {
	pem := srv.TLSCertPEM()
	if pem == nil {
		return "", nil
	}
	if f.certOut != "" {
		return "", os.WriteFile(f.certOut, pem, 0o644)
	}
	if f.certFile != "" {
		return "", nil // the user's own file
	}
	fh, err := os.CreateTemp("", "wslab-board-cert-*.pem")
	if err != nil {
		return "", err
	}
	if _, err := fh.Write(pem); err != nil {
		fh.Close()
		os.Remove(fh.Name())
		return "", err
	}
	return fh.Name(), fh.Close()
}

// printTLS is the banner's TLS line; tmp is the temporary certificate
// file, if any.
func (f *tlsFlags) printTLS(w io.Writer, srv *host.Server, p catalog.TLSPreset, tmp string) {
	cert := tmp
	if cert == "" {
		cert = f.certOut
	}
	if cert == "" {
		cert = f.certFile
	}
	cpu := srv.CPU()
	fmt.Fprintf(w, "tls: %s certificate in %s (trust it: wslab load --ca %s, or --insecure)", p.Key, cert, cert)
	if cpu.TLSHandshake > 0 || cpu.TLSByte > 0 {
		fmt.Fprintf(w, "; handshake %s and %g ns/B on the board's CPU", time.Duration(cpu.TLSHandshake), cpu.TLSByte)
	} else {
		fmt.Fprintf(w, "; handshakes at the host's speed")
	}
	if p.SessionRAM > 0 {
		fmt.Fprintf(w, "; %s of RAM per session", results.FormatBytes(int64(p.SessionRAM)))
		c, fp := srv.Config(), srv.Footprint()
		if fp.Budget > 0 {
			free := fp.Budget - fp.Total
			if n := free / (p.SessionRAM + c.ConnCost); n < c.Slots {
				fmt.Fprintf(w, ": the heap left beside the footprint holds %d of the %d slots' sessions, the next is closed at once", n, c.Slots)
			}
		}
	}
	fmt.Fprintln(w)
}
