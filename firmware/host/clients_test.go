//go:build linux

package host_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/internal/testenv"
)

// Round trips with WebSocket clients not written in Go, as Debian packages
// them: node-ws (package node-ws) and python3-websockets. Each script in
// testdata sends text and binary larger than the board's buffers, a ping
// and an empty or fragmented message, offers permessage-deflate (declined)
// and closes with 1000.

func runClientScript(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 64 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append(args, srv.WSURL("/ws"))...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	st := srv.Stats()
	if st.Upgrades != 1 || st.MsgsOut < 3 || st.ClosesRecv[0] != 1 {
		t.Errorf("board saw %d upgrades, %d messages out, %d closes 1000", st.Upgrades, st.MsgsOut, st.ClosesRecv[0])
	}
}

func TestNodeWS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.SkipOrFail(t, "node not installed (Debian packages nodejs and node-ws): skipping")
	}
	check := exec.Command(node, "-e", `require("ws")`)
	check.Env = append(check.Environ(), "NODE_PATH=/usr/share/nodejs")
	if out, err := check.CombinedOutput(); err != nil {
		testenv.SkipOrFail(t, "node cannot load ws (Debian package node-ws): %v %s", err, out)
	}
	runClientScript(t, []string{"NODE_PATH=/usr/share/nodejs"}, node, "testdata/node_ws_echo.js")
}

func TestPythonWebsockets(t *testing.T) {
	// Debian's python3-websockets is installed for /usr/bin/python3, which
	// may not be the python3 first on PATH.
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import websockets").Run() == nil {
			runClientScript(t, nil, py, "testdata/py_websockets_echo.py")
			return
		}
	}
	testenv.SkipOrFail(t, "no python3 with the websockets module (Debian package python3-websockets): skipping")
}
