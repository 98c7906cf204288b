//go:build linux

package loadgen

import (
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// The nodrop search runs a rate step after another, each a run of its own:
// each takes the trust of the run that asked for it (--insecure against a
// self-signed wss:// board).
func TestFieldNoDropTLS(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "tls-board", Slots: 2, RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096},
		TLS: &host.TLS{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, _ := fieldRun(t, Spec{Target: srv.WSURL("/ws"), Scenario: NoDrop, Conns: 1, Size: 64, Rate: 50,
		Duration: time.Second, Insecure: true})
	if !strings.HasPrefix(a, "highest rate without drops: ") && !strings.HasPrefix(a, "no rate without drops: ") {
		t.Errorf("answer %q", a)
	}
	if strings.Contains(a, "certificate") {
		t.Errorf("a step did not take --insecure: %q", a)
	}
}
